/* ref_measures.c — the white-box measures of the official repository's
 * figures (docs/model.md §6): coding rate of each layer's input in its own
 * subspaces (vis_utils/coding_rate.py) and sparsity of each layer's output
 * (vis_utils/plot.py::cal_sparsity). */
#include <math.h>
#include <stdlib.h>

#include "crate_ref.h"

/* log det G for a symmetric positive definite G (n, n), by Cholesky in place;
 * NaN when G is not positive definite (non-finite input). */
static double logdet_spd(double *g, int n) {
  double logdet = 0.0;
  for (int j = 0; j < n; j++) {
    double diag = g[(size_t)j * n + j];
    for (int k = 0; k < j; k++) diag -= g[(size_t)j * n + k] * g[(size_t)j * n + k];
    if (!(diag > 0.0)) return NAN;
    double ljj = sqrt(diag);
    g[(size_t)j * n + j] = ljj;
    logdet += 2.0 * log(ljj);
    for (int i = j + 1; i < n; i++) {
      double v = g[(size_t)i * n + j];
      for (int k = 0; k < j; k++) v -= g[(size_t)i * n + k] * g[(size_t)j * n + k];
      g[(size_t)i * n + j] = v / ljj;
    }
  }
  return logdet;
}

/* ½ logdet(I_N + c·X̃X̃ᵀ) for one head, computed as ½ logdet(I_p + c·X̃ᵀX̃):
 * by Sylvester's identity det(I + AB) = det(I + BA) the two agree, and the
 * p×p form is cheaper since p < N for every real layer. x is (N, p) with row
 * stride ld; xn (N, p) and g (p, p) are working memory. */
static double head_rate(const float *x, int ld, int N, int p, double eps, double *xn,
                        double *g) {
  for (int t = 0; t < N; t++) {
    double norm = 0.0;
    for (int i = 0; i < p; i++) norm += (double)x[(size_t)t * ld + i] * x[(size_t)t * ld + i];
    norm = sqrt(norm);
    /* A zero token stays zero, as torch.nn.functional.normalize leaves it. */
    double scale = norm > 0.0 ? 1.0 / norm : 0.0;
    for (int i = 0; i < p; i++) xn[(size_t)t * p + i] = x[(size_t)t * ld + i] * scale;
  }
  double c = p / (N * eps);
  for (int i = 0; i < p; i++)
    for (int j = 0; j <= i; j++) {
      double dot = 0.0;
      for (int t = 0; t < N; t++) dot += xn[(size_t)t * p + i] * xn[(size_t)t * p + j];
      double v = (i == j ? 1.0 : 0.0) + c * dot;
      g[(size_t)i * p + j] = g[(size_t)j * p + i] = v;
    }
  return 0.5 * logdet_spd(g, p);
}

int ref_coding_rate(double *rc, const float *q, int B, int N, int K, int p, double eps,
                    crt_error *e) {
  int Kp = K * p;
  double *xn = malloc(sizeof(double) * ((size_t)N * p + (size_t)p * p));
  if (!xn) return crt_fail(e, "coding rate: out of memory (N=%d, p=%d)", N, p);
  double *g = xn + (size_t)N * p;
  for (int b = 0; b < B; b++) {
    rc[b] = 0.0;
    for (int k = 0; k < K; k++)
      rc[b] += head_rate(q + (size_t)b * N * Kp + (size_t)k * p, Kp, N, p, eps, xn, g);
  }
  free(xn);
  return 0;
}

void ref_zero_fraction(float *zero, const float *z, int B, size_t count) {
  for (int b = 0; b < B; b++) {
    size_t zeros = 0;
    for (size_t i = 0; i < count; i++) zeros += z[(size_t)b * count + i] == 0.0f;
    zero[b] = (float)zeros / (float)count;
  }
}

void ref_sparsity_stats(float *mean, float *std, const float *zero, int B) {
  float sum = 0.0f;
  for (int b = 0; b < B; b++) sum += zero[b];
  float m = sum / (float)B, sq = 0.0f;
  for (int b = 0; b < B; b++) sq += (zero[b] - m) * (zero[b] - m);
  *mean = m;
  *std = sqrtf(sq / (float)B);
}

void ref_mean_std(double *mean, double *std, const double *x, int n, bool unbiased) {
  double m = 0.0;
  for (int i = 0; i < n; i++) m += x[i];
  m /= n;
  double ss = 0.0;
  for (int i = 0; i < n; i++) ss += (x[i] - m) * (x[i] - m);
  int dof = unbiased ? n - 1 : n;
  *mean = m;
  *std = dof > 0 ? sqrt(ss / dof) : NAN;
}

int ref_measure_layer(ref_layer_measures *m, const float *q, const float *z, int B, int N,
                      int d, int K, int p, crt_error *e) {
  double *rc = malloc(sizeof(double) * (size_t)B);
  float *zero = malloc(sizeof(float) * (size_t)B);
  int status = rc && zero ? ref_coding_rate(rc, q, B, N, K, p, REF_CODING_RATE_EPS, e)
                          : crt_fail(e, "layer measures: out of memory (batch %d)", B);
  if (status == 0) {
    ref_mean_std(&m->rc_mean, &m->rc_std, rc, B, true);
    ref_zero_fraction(zero, z, B, (size_t)N * d);
    float zero_mean, zero_std;
    ref_sparsity_stats(&zero_mean, &zero_std, zero, B);
    m->zero_mean = zero_mean, m->zero_std = zero_std;
    m->nonzero_mean = 1.0f - zero_mean;
  }
  free(rc), free(zero);
  return status;
}
