/* kernels.h — small loop-IR modules built by hand, the inputs of the
 * codegen tests. Each builder adds one exported kernel to M; the comment
 * gives its C signature once compiled. */
#ifndef CRATEC_TEST_KERNELS_H
#define CRATEC_TEST_KERNELS_H

#include "loop.h"

/* void vadd(float *out, float *a, float *b, int64_t n)         out = a + b */
void build_vadd(LModule *m);
/* void row_sum(float *out, float *x, int64_t rows, int64_t cols)  out[r] = sum_c x[r, c] */
void build_row_sum(LModule *m);
/* void layernorm(float *out, float *x, float *gamma, float *beta, int64_t rows, int64_t cols)
 * rows in parallel, two reductions per row, eps 1e-5 */
void build_layernorm(LModule *m);
/* void softmax(float *out, float *x, int64_t rows, int64_t cols)  row-wise, max-subtracted */
void build_softmax(LModule *m);
/* void exp_map(float *out, float *x, int64_t n)                out = exp(x) */
void build_exp_map(LModule *m);
/* void reverse_double(float *out, int64_t n)  through a crt_alloc'ed scratch buffer:
 * out[i] = 2 * (n - 1 - i) */
void build_runtime_scratch(LModule *m);
/* void positive_mask(int64_t *out, float *x, int64_t n)        out = x > 0 ? i + 1 : -1 */
void build_positive_mask(LModule *m);
/* void scale_by_blob(float *out, int64_t n)                    out[i] = blob[i % 4] * i,
 * with blob = {1, 2, 3, 4} embedded in the module */
void build_blob_scale(LModule *m);

/* void gemm(float *c, float *a, float *b, int64_t *status, int64_t m, int64_t n, int64_t k)
 * c (m,n) = a (m,k) . b (k,n) by crt_sgemm; *status = its return value */
void build_gemm(LModule *m);

/* A module with every kernel above. */
LModule *build_all_kernels(void);

#endif
