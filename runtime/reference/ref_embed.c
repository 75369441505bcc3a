/* ref_embed.c — prepend the cls token, add the position table (docs/model.md §2.2). */
#include "crate_ref.h"

void ref_embed_forward(float *out, const float *x, const float *cls, const float *pos, int B,
                       int n, int d) {
  int N = n + 1;
  for (int b = 0; b < B; b++)
    for (int t = 0; t < N; t++) {
      const float *src = t == 0 ? cls : x + ((size_t)b * n + (t - 1)) * d;
      float *dst = out + ((size_t)b * N + t) * d;
      for (int i = 0; i < d; i++) dst[i] = src[i] + pos[(size_t)t * d + i];
    }
}

void ref_embed_backward(float *dx, float *dcls, float *dpos, const float *dout, int B, int n,
                        int d) {
  int N = n + 1;
  for (int b = 0; b < B; b++)
    for (int t = 0; t < N; t++) {
      const float *g = dout + ((size_t)b * N + t) * d;
      float *dsrc = t == 0 ? dcls : dx + ((size_t)b * n + (t - 1)) * d;
      for (int i = 0; i < d; i++) {
        dsrc[i] += g[i];
        dpos[(size_t)t * d + i] += g[i];
      }
    }
}
