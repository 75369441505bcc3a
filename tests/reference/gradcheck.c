/* gradcheck.c — see gradcheck.h. */
#include "gradcheck.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>

crt_rng gc_seeded(uint64_t seed) {
  crt_rng r;
  crt_rng_seed(&r, seed);
  return r;
}

float *gc_zeros(size_t n) {
  float *x = calloc(n ? n : 1, sizeof(float));
  ck_assert_ptr_nonnull(x);
  return x;
}

float *gc_random(crt_rng *r, size_t n, float scale) {
  float *x = gc_zeros(n);
  for (size_t i = 0; i < n; i++) x[i] = scale * (2.0f * crt_rng_uniform(r) - 1.0f);
  return x;
}

double gc_dot(const float *dout, const float *out, size_t n) {
  double sum = 0.0;
  for (size_t i = 0; i < n; i++) sum += (double)dout[i] * out[i];
  return sum;
}

double gc_relative_error(gc_loss_fn loss, void *ctx, float *x, const float *grad, size_t n,
                         float h) {
  double err = 0.0, ref = 0.0;
  for (size_t i = 0; i < n; i++) {
    float orig = x[i];
    x[i] = orig + h;
    double step_up = (double)x[i] - orig;   /* the step float actually took */
    double up = loss(ctx);
    x[i] = orig - h;
    double step_down = (double)orig - x[i];
    double down = loss(ctx);
    x[i] = orig;
    double fd = (up - down) / (step_up + step_down);
    err += (grad[i] - fd) * (grad[i] - fd);
    ref += fd * fd;
  }
  loss(ctx);   /* leave the outputs as the unperturbed inputs give them */
  return sqrt(err) / (ref > 0.0 ? sqrt(ref) : 1.0);
}

double gc_max_abs_diff(const float *a, const float *b, size_t n) {
  double m = 0.0;
  for (size_t i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - b[i]));
  return m;
}

double gc_relative_norm_error(const float *got, const float *want, size_t n) {
  double err = 0.0, ref = 0.0;
  for (size_t i = 0; i < n; i++) {
    err += ((double)got[i] - want[i]) * ((double)got[i] - want[i]);
    ref += (double)want[i] * want[i];
  }
  return sqrt(err) / (ref > 0.0 ? sqrt(ref) : 1.0);
}
