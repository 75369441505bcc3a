/* ref_layernorm.c — LayerNorm over the last axis, biased variance
 * (docs/model.md §1.2 and §5.3). */
#include <math.h>

#include "crate_ref.h"

void ref_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                           const float *weight, const float *bias, int rows, int C, float eps) {
  for (int r = 0; r < rows; r++) {
    const float *x = inp + (size_t)r * C;
    float *y = out + (size_t)r * C;
    double m = 0.0;
    for (int i = 0; i < C; i++) m += x[i];
    m /= C;
    double var = 0.0;
    for (int i = 0; i < C; i++) var += (x[i] - m) * (x[i] - m);
    var /= C;
    double s = 1.0 / sqrt(var + eps);
    for (int i = 0; i < C; i++) y[i] = (float)((x[i] - m) * s * weight[i] + bias[i]);
    mean[r] = (float)m;
    rstd[r] = (float)s;
  }
}

void ref_layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                            const float *inp, const float *weight, const float *mean,
                            const float *rstd, int rows, int C) {
  for (int r = 0; r < rows; r++) {
    const float *x = inp + (size_t)r * C, *gy = dout + (size_t)r * C;
    float *gx = dinp + (size_t)r * C;
    double m = mean[r], s = rstd[r];
    /* h = gy ⊙ γ;  gx = s · (h − mean(h) − x̂ · mean(h ⊙ x̂)) */
    double h_mean = 0.0, hx_mean = 0.0;
    for (int i = 0; i < C; i++) {
      double xhat = (x[i] - m) * s, h = (double)gy[i] * weight[i];
      h_mean += h;
      hx_mean += h * xhat;
      dweight[i] += (float)(gy[i] * xhat);
      dbias[i] += gy[i];
    }
    h_mean /= C;
    hx_mean /= C;
    for (int i = 0; i < C; i++) {
      double xhat = (x[i] - m) * s, h = (double)gy[i] * weight[i];
      gx[i] += (float)(s * (h - h_mean - xhat * hx_mean));
    }
  }
}
