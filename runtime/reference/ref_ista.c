/* ref_ista.c — one ISTA step with a square dictionary (docs/model.md §2.5, §5.5),
 * as the official code computes it: three products, not the folded
 * M = I + η(D − DᵀD) an optimised kernel may use. */
#include <stdlib.h>
#include <string.h>

#include "crate_ref.h"

int ref_ista_forward(float *out, const float *y, const float *D, int rows, int d, float eta,
                     float lambd, crt_error *e) {
  size_t n = (size_t)rows * d;
  float *x1 = calloc(n, sizeof(float));
  if (!x1) return crt_fail(e, "reference ISTA forward: out of memory (%d rows of %d)", rows, d);
  /* out = y D − (y Dᵀ) D, then relu(y + η·out − ηλ) in place */
  ref_gemm(false, true, rows, d, d, 1.0f, y, d, D, d, 0.0f, x1, d);
  ref_gemm(false, false, rows, d, d, 1.0f, y, d, D, d, 0.0f, out, d);
  ref_gemm(false, false, rows, d, d, -1.0f, x1, d, D, d, 1.0f, out, d);
  float threshold = eta * lambd;
  for (size_t i = 0; i < n; i++) {
    float pre = y[i] + eta * out[i] - threshold;
    out[i] = pre > 0.0f ? pre : 0.0f;
  }
  free(x1);
  return 0;
}

int ref_ista_backward(float *dy, float *dD, const float *dout, const float *y, const float *out,
                      const float *D, int rows, int d, float eta, crt_error *e) {
  size_t n = (size_t)rows * d, dd = (size_t)d * d;
  float *mem = calloc(2 * n + 2 * dd, sizeof(float));
  if (!mem) return crt_fail(e, "reference ISTA backward: out of memory (%d rows of %d)", rows, d);
  float *g_p = mem, *g_pdt = mem + n, *c = mem + 2 * n, *c_sym = mem + 2 * n + dd;

  for (size_t i = 0; i < n; i++) g_p[i] = out[i] > 0.0f ? dout[i] : 0.0f;

  /* dy += gP + η (gP Dᵀ − (gP Dᵀ) D) */
  ref_gemm(false, true, rows, d, d, 1.0f, g_p, d, D, d, 0.0f, g_pdt, d);
  for (size_t i = 0; i < n; i++) dy[i] += g_p[i] + eta * g_pdt[i];
  ref_gemm(false, false, rows, d, d, -eta, g_pdt, d, D, d, 1.0f, dy, d);

  /* C = yᵀ gP is the gradient of M = I + η(D − DᵀD); dD += η (C − D (C + Cᵀ)) */
  ref_gemm(true, false, d, d, rows, 1.0f, y, d, g_p, d, 0.0f, c, d);
  for (int i = 0; i < d; i++)
    for (int j = 0; j < d; j++) c_sym[(size_t)i * d + j] = c[(size_t)i * d + j] + c[(size_t)j * d + i];
  for (size_t i = 0; i < dd; i++) dD[i] += eta * c[i];
  ref_gemm(false, false, d, d, d, -eta, D, d, c_sym, d, 1.0f, dD, d);
  free(mem);
  return 0;
}
