#include "gemm_suites.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

crt_trans form_ta(int form) { return form & 2 ? CRT_TRANS : CRT_NO_TRANS; }
crt_trans form_tb(int form) { return form & 1 ? CRT_TRANS : CRT_NO_TRANS; }

static float uniform(uint64_t *state) {
  *state = *state * 6364136223846793005u + 1442695040888963407u;
  return (float)((*state >> 40) * (2.0 / 16777216.0) - 1.0);
}

float *random_floats(size_t n, uint64_t *state) {
  float *m = crt_alloc(n * sizeof(float));
  ck_assert_ptr_nonnull(m);
  for (size_t i = 0; i < n; i++) m[i] = uniform(state);
  return m;
}

static float *random_matrix(int rows, int ld, uint64_t *state) {
  return random_floats((size_t)(rows > 0 ? rows : 1) * ld, state);
}

void operands_make(gemm_operands *op, const gemm_case *c, float beta, uint64_t seed) {
  uint64_t state = seed;
  int a_rows = c->ta == CRT_TRANS ? c->K : c->M, a_cols = c->ta == CRT_TRANS ? c->M : c->K;
  int b_rows = c->tb == CRT_TRANS ? c->N : c->K, b_cols = c->tb == CRT_TRANS ? c->K : c->N;
  op->lda = (a_cols > 0 ? a_cols : 1) + c->pad;
  op->ldb = (b_cols > 0 ? b_cols : 1) + c->pad;
  op->ldc = (c->N > 0 ? c->N : 1) + c->pad;
  op->A = random_matrix(a_rows, op->lda, &state);
  op->B = random_matrix(b_rows, op->ldb, &state);
  op->C = random_matrix(c->M, op->ldc, &state);
  if (beta == 0.0f)
    for (size_t i = 0; i < (size_t)c->M * op->ldc; i++) op->C[i] = NAN;
}

void operands_free(gemm_operands *op) {
  crt_free(op->A);
  crt_free(op->B);
  crt_free(op->C);
  memset(op, 0, sizeof *op);
}

/* op(X) as a dense (rows, cols) double matrix. */
static double *dense(const float *x, int ld, bool trans, int rows, int cols) {
  double *d = malloc(((size_t)rows * cols + 1) * sizeof(double));
  ck_assert_ptr_nonnull(d);
  for (int r = 0; r < rows; r++)
    for (int col = 0; col < cols; col++)
      d[(size_t)r * cols + col] = trans ? x[(size_t)col * ld + r] : x[(size_t)r * ld + col];
  return d;
}

void expect_product(const gemm_case *c, const gemm_operands *op, float beta, const float *c0,
                    const float *result) {
  double *a = dense(op->A, op->lda, c->ta == CRT_TRANS, c->M, c->K);
  double *b = dense(op->B, op->ldb, c->tb == CRT_TRANS, c->K, c->N);
  double *sum = malloc(((size_t)c->N + 1) * sizeof(double)),
         *magnitude = malloc(((size_t)c->N + 1) * sizeof(double));
  bool bad = false;
  int bad_i = 0, bad_j = 0;
  double bad_got = 0, bad_want = 0;
  for (int i = 0; i < c->M && !bad; i++) {
    for (int j = 0; j < c->N; j++) {
      sum[j] = beta != 0.0f ? c0[(size_t)i * op->ldc + j] : 0.0;
      magnitude[j] = fabs(sum[j]);
    }
    for (int p = 0; p < c->K; p++) {
      const double aip = a[(size_t)i * c->K + p], *bp = b + (size_t)p * c->N;
      for (int j = 0; j < c->N; j++) {
        sum[j] += aip * bp[j];
        magnitude[j] += fabs(aip * bp[j]);
      }
    }
    for (int j = 0; j < c->N && !bad; j++) {
      double got = result[(size_t)i * op->ldc + j];
      /* A float sum of K+1 terms: each step rounds by at most eps·|partial|. */
      double tolerance = (c->K + 2) * 1.2e-7 * magnitude[j] + 1e-30;
      /* Check records every assertion, so look first and assert once. */
      if (!(fabs(got - sum[j]) <= tolerance))
        bad = true, bad_i = i, bad_j = j, bad_got = got, bad_want = sum[j];
    }
  }
  ck_assert_msg(!bad, "%dx%dx%d ta=%d tb=%d pad=%d beta=%g: C[%d][%d] = %.9g, expected %.9g", c->M,
                c->N, c->K, c->ta, c->tb, c->pad, (double)beta, bad_i, bad_j, bad_got, bad_want);
  free(a);
  free(b);
  free(sum);
  free(magnitude);
  /* Past each row's N columns lies memory that is not C's. */
  for (int i = 0; i < c->M && !bad; i++) {
    size_t row = (size_t)i * op->ldc;
    if (memcmp(result + row + c->N, c0 + row + c->N, (size_t)c->pad * sizeof(float)))
      bad = true, bad_i = i;
  }
  ck_assert_msg(!bad, "row %d: padding beyond column %d was written", bad_i, c->N);
}

void check_call(gemm_entry entry, const gemm_case *c, float beta, uint64_t seed) {
  gemm_operands op;
  operands_make(&op, c, beta, seed);
  size_t c_bytes = (size_t)c->M * op.ldc * sizeof(float);
  float *c0 = malloc(c_bytes ? c_bytes : 1);
  ck_assert_ptr_nonnull(c0);
  memcpy(c0, op.C, c_bytes);
  crt_error e = {{0}};
  ck_assert_msg(entry(c->ta, c->tb, c->M, c->N, c->K, op.A, op.lda, op.B, op.ldb, beta, op.C,
                      op.ldc, &e) == 0,
                "%s", e.msg);
  expect_product(c, &op, beta, c0, op.C);
  free(c0);
  operands_free(&op);
}
