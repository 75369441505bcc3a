/* gemm_internal.h — what the GEMM layer's files share (not part of the
 * public runtime interface). Everything below works in libxsmm's
 * column-major convention: C (m,n) = [C +] A (m,k) · B (k,n). */
#ifndef CRATERT_GEMM_INTERNAL_H
#define CRATERT_GEMM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* One micro-kernel: a JIT function, or NULL for the plain C loop over the
 * same block (the JIT refused it or the fallback is forced). */
typedef struct gemm_kernel {
  void (*jit)(const float *a, const float *b, float *c, ...);
  int m, n, k, lda, ldb, ldc;
  bool accumulate; /* C += A·B; otherwise C = A·B without reading C */
} gemm_kernel;

/* The kernel for a block shape, JIT-compiled on first request and cached
 * (thread-safe; a repeat request costs one lock-free hash probe). */
gemm_kernel gemm_kernel_get(int m, int n, int k, int lda, int ldb, int ldc, bool accumulate);

/* a (m,k) lda, b (k,n) ldb, c (m,n) ldc as given to gemm_kernel_get */
void gemm_kernel_run(const gemm_kernel *kernel, const float *a, const float *b, float *c);

/* This thread's packing buffer, 64-byte aligned, at least FLOATS long; it
 * grows only when a larger shape needs it. NULL when memory runs out. */
float *gemm_scratch(size_t floats);

/* dst[c·ldd + r] = src[r·lds + c] for r < rows, c < cols */
void gemm_transpose(int rows, int cols, const float *src, int lds, float *dst, int ldd);

#endif
