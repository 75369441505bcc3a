/* The GEMM tests' shared pieces: suites, random operands and the reference. */
#ifndef GEMM_SUITES_H
#define GEMM_SUITES_H

#include <check.h>
#include <stdint.h>

#include "cratert_abi.h"

Suite *forms_suite(void);
Suite *fallback_suite(void);
Suite *determinism_suite(void);
Suite *errors_suite(void);
Suite *threads_suite(void);

/* One product: sizes, transposes, and extra floats at the end of each row. */
typedef struct gemm_case {
  int M, N, K;
  crt_trans ta, tb;
  int pad;
} gemm_case;

/* N floats uniform in [-1, 1), drawn from *STATE; free with crt_free. */
float *random_floats(size_t n, uint64_t *state);

/* Operands laid out for CASE, uniform in [-1, 1) from SEED; C holds NaN
 * for beta 0 (it must never be read) and random values for beta 1. */
typedef struct gemm_operands {
  int lda, ldb, ldc;
  float *A, *B, *C;
} gemm_operands;

void operands_make(gemm_operands *op, const gemm_case *c, float beta, uint64_t seed);
void operands_free(gemm_operands *op);

/* Checks RESULT (M,N) ldc against C0 + op(A)·op(B) accumulated in double,
 * allowing the rounding of a K-term float sum; C0 is the operands' C before
 * the call (ignored for beta 0). Fails the running test on a mismatch. */
void expect_product(const gemm_case *c, const gemm_operands *op, float beta, const float *c0,
                    const float *result);

/* A GEMM entry point (crt_sgemm, crt_sgemm_parallel). */
typedef int (*gemm_entry)(crt_trans, crt_trans, int, int, int, const float *, int, const float *,
                          int, float, float *, int, crt_error *);

/* Runs ENTRY on fresh operands for CASE and checks the result. */
void check_call(gemm_entry entry, const gemm_case *c, float beta, uint64_t seed);

/* The forms a case exercises: index 0..3 = NN, NT, TN, TT. */
crt_trans form_ta(int form);
crt_trans form_tb(int form);

#endif
