/* ref_gemm.c — the one matrix product every reference kernel builds on. */
#include "crate_ref.h"

/* Row blocks of this many outputs are accumulated in double on the stack,
 * so a product of any width needs no heap. */
enum { ACC_BLOCK = 256 };

static float combine(double acc, float alpha, float beta, const float *c) {
  double r = (double)alpha * acc;
  if (beta != 0.0f) r += (double)beta * (double)*c;
  return (float)r;
}

/* op(b) is bᵀ: row j of b is column j of op(b), so each output is a dot
 * product of two contiguous rows. */
static void gemm_dot(bool trans_a, int M, int N, int K, float alpha, const float *a, int lda,
                     const float *b, int ldb, float beta, float *c, int ldc) {
  for (int i = 0; i < M; i++) {
    for (int j = 0; j < N; j++) {
      double acc = 0.0;
      for (int k = 0; k < K; k++) {
        float aik = trans_a ? a[(size_t)k * lda + i] : a[(size_t)i * lda + k];
        acc += (double)aik * b[(size_t)j * ldb + k];
      }
      float *cij = &c[(size_t)i * ldc + j];
      *cij = combine(acc, alpha, beta, cij);
    }
  }
}

/* op(b) is b: i-k-j order walks rows of b contiguously. */
static void gemm_axpy(bool trans_a, int M, int N, int K, float alpha, const float *a, int lda,
                      const float *b, int ldb, float beta, float *c, int ldc) {
  double acc[ACC_BLOCK];
  for (int i = 0; i < M; i++) {
    for (int j0 = 0; j0 < N; j0 += ACC_BLOCK) {
      int jn = N - j0 < ACC_BLOCK ? N - j0 : ACC_BLOCK;
      for (int j = 0; j < jn; j++) acc[j] = 0.0;
      for (int k = 0; k < K; k++) {
        double aik = trans_a ? a[(size_t)k * lda + i] : a[(size_t)i * lda + k];
        const float *bk = &b[(size_t)k * ldb + j0];
        for (int j = 0; j < jn; j++) acc[j] += aik * bk[j];
      }
      float *ci = &c[(size_t)i * ldc + j0];
      for (int j = 0; j < jn; j++) ci[j] = combine(acc[j], alpha, beta, &ci[j]);
    }
  }
}

void ref_gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *a,
              int lda, const float *b, int ldb, float beta, float *c, int ldc) {
  if (trans_b)
    gemm_dot(trans_a, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc);
  else
    gemm_axpy(trans_a, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc);
}
