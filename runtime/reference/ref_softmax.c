/* ref_softmax.c — softmax over the last axis. */
#include <math.h>

#include "crate_ref.h"

void ref_softmax_forward(float *out, const float *inp, int rows, int C) {
  for (int r = 0; r < rows; r++) {
    const float *x = inp + (size_t)r * C;
    float *y = out + (size_t)r * C;
    /* Subtracting the row maximum keeps exp() finite; it cancels exactly. */
    double mx = -INFINITY;
    for (int i = 0; i < C; i++) mx = x[i] > mx ? x[i] : mx;
    double sum = 0.0;
    for (int i = 0; i < C; i++) sum += exp(x[i] - mx);
    for (int i = 0; i < C; i++) y[i] = (float)(exp(x[i] - mx) / sum);
  }
}

void ref_softmax_backward(float *dinp, const float *dout, const float *out, int rows, int C) {
  for (int r = 0; r < rows; r++) {
    const float *g = dout + (size_t)r * C, *a = out + (size_t)r * C;
    double delta = 0.0;
    for (int i = 0; i < C; i++) delta += (double)g[i] * a[i];
    for (int i = 0; i < C; i++) dinp[(size_t)r * C + i] += (float)(a[i] * (g[i] - delta));
  }
}
