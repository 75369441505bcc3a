/* ref_mssa.c — multi-head subspace self-attention (docs/model.md §2.4, §5.4).
 *
 * One bias-free projection per head serves as query, key and value, so the
 * similarity S_k = s·W_k W_kᵀ is symmetric and its gradient reaches W_k
 * twice (the gS + gSᵀ rule). Heads are column slices of the (N, K·p) tensors,
 * handed to ref_gemm as views with row stride K·p. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "crate_ref.h"

void ref_mssa_forward(float *out, float *w, float *attn, float *o, const float *y,
                      const float *u, const float *wo, const float *bo, int B, int N, int d,
                      int K, int p) {
  int Kp = K * p;
  float s = (float)(1.0 / sqrt((double)p));
  ref_linear_forward(w, y, u, NULL, B * N, d, Kp);
  for (int b = 0; b < B; b++)
    for (int k = 0; k < K; k++) {
      const float *wk = w + (size_t)b * N * Kp + (size_t)k * p;
      float *ok = o + (size_t)b * N * Kp + (size_t)k * p;
      float *ak = attn + ((size_t)b * K + k) * N * N;
      ref_gemm(false, true, N, N, p, s, wk, Kp, wk, Kp, 0.0f, ak, N);
      ref_softmax_forward(ak, ak, N, N);
      ref_gemm(false, false, N, p, N, 1.0f, ak, N, wk, Kp, 0.0f, ok, Kp);
    }
  if (wo)
    ref_linear_forward(out, o, wo, bo, B * N, Kp, d);
  else
    memcpy(out, o, sizeof(float) * (size_t)B * N * d);
}

/* Working memory of one sample. */
typedef struct mssa_scratch {
  float *g_o;   /* (N, K·p) gradient of the concatenated heads */
  float *g_w;   /* (N, K·p) gradient of the projection W */
  float *g_a;   /* (N, N) gradient of one head's attention */
  float *g_s;   /* (N, N) gradient of one head's scaled similarity */
} mssa_scratch;

/* g_w[:, head] += A_kᵀ gO_k + s·(gS_k + gS_kᵀ) W_k for one head. */
static void head_backward(const mssa_scratch *t, const float *wk, const float *ak, int N, int Kp,
                          int k, int p, float s) {
  const float *gok = t->g_o + (size_t)k * p;
  float *gwk = t->g_w + (size_t)k * p;
  ref_gemm(false, true, N, N, p, 1.0f, gok, Kp, wk, Kp, 0.0f, t->g_a, N);
  memset(t->g_s, 0, sizeof(float) * (size_t)N * N);
  ref_softmax_backward(t->g_s, t->g_a, ak, N, N);
  ref_gemm(true, false, N, p, N, 1.0f, ak, N, gok, Kp, 1.0f, gwk, Kp);
  ref_gemm(false, false, N, p, N, s, t->g_s, N, wk, Kp, 1.0f, gwk, Kp);
  ref_gemm(true, false, N, p, N, s, t->g_s, N, wk, Kp, 1.0f, gwk, Kp);
}

int ref_mssa_backward(float *dy, float *du, float *dwo, float *dbo, const float *dout,
                      const float *y, const float *w, const float *attn, const float *o,
                      const float *u, const float *wo, int B, int N, int d, int K, int p,
                      crt_error *e) {
  int Kp = K * p;
  float s = (float)(1.0 / sqrt((double)p));
  size_t nkp = (size_t)N * Kp, nn = (size_t)N * N;
  float *mem = calloc(2 * nkp + 2 * nn, sizeof(float));
  if (!mem) return crt_fail(e, "reference MSSA backward: out of memory (N=%d, K·p=%d)", N, Kp);
  mssa_scratch t = {mem, mem + nkp, mem + 2 * nkp, mem + 2 * nkp + nn};
  for (int b = 0; b < B; b++) {
    const float *dout_b = dout + (size_t)b * N * d, *y_b = y + (size_t)b * N * d;
    const float *w_b = w + (size_t)b * nkp, *o_b = o + (size_t)b * nkp;
    if (wo) {
      memset(t.g_o, 0, sizeof(float) * nkp);
      ref_linear_backward(t.g_o, dwo, dbo, dout_b, o_b, wo, N, Kp, d);
    } else {
      memcpy(t.g_o, dout_b, sizeof(float) * nkp);
    }
    memset(t.g_w, 0, sizeof(float) * nkp);
    for (int k = 0; k < K; k++)
      head_backward(&t, w_b + (size_t)k * p, attn + ((size_t)b * K + k) * nn, N, Kp, k, p, s);
    ref_linear_backward(dy + (size_t)b * N * d, du, NULL, t.g_w, y_b, u, N, d, Kp);
  }
  free(mem);
  return 0;
}
