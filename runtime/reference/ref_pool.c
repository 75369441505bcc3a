/* ref_pool.c — the head's pooling over tokens (docs/model.md §2.6, §5.6). */
#include "crate_ref.h"

void ref_pool_forward(float *out, const float *x, int B, int N, int d, ref_pool pool) {
  for (int b = 0; b < B; b++) {
    const float *xb = x + (size_t)b * N * d;
    for (int i = 0; i < d; i++) {
      if (pool == REF_POOL_CLS) {
        out[(size_t)b * d + i] = xb[i];
        continue;
      }
      double sum = 0.0;
      for (int t = 0; t < N; t++) sum += xb[(size_t)t * d + i];
      out[(size_t)b * d + i] = (float)(sum / N);
    }
  }
}

void ref_pool_backward(float *dx, const float *dout, int B, int N, int d, ref_pool pool) {
  int tokens = pool == REF_POOL_CLS ? 1 : N;
  float share = pool == REF_POOL_CLS ? 1.0f : (float)(1.0 / N);
  for (int b = 0; b < B; b++)
    for (int t = 0; t < tokens; t++)
      for (int i = 0; i < d; i++)
        dx[((size_t)b * N + t) * d + i] += dout[(size_t)b * d + i] * share;
}
