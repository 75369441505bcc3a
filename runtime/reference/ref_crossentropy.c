/* ref_crossentropy.c — label-smoothed cross-entropy, batch mean
 * (docs/model.md §4.1, §5.1; PyTorch's cross_entropy(label_smoothing = s)). */
#include <math.h>

#include "crate_ref.h"

static int check_labels(const int64_t *labels, int B, int C, crt_error *e) {
  for (int b = 0; b < B; b++)
    if (labels[b] < 0 || labels[b] >= C)
      return crt_fail(e, "cross-entropy: label %lld of sample %d is outside [0, %d)",
                      (long long)labels[b], b, C);
  return 0;
}

/* The target distribution q = (1 − s)·onehot(label) + s/C at class j. */
static double target(int64_t label, int j, int C, float smoothing) {
  return (j == label ? 1.0 - smoothing : 0.0) + (double)smoothing / C;
}

int ref_crossentropy_forward(double *loss, float *probs, const float *logits,
                             const int64_t *labels, int B, int C, float smoothing, crt_error *e) {
  if (check_labels(labels, B, C, e)) return -1;
  double total = 0.0;
  for (int b = 0; b < B; b++) {
    const float *z = logits + (size_t)b * C;
    double mx = -INFINITY;
    for (int j = 0; j < C; j++) mx = z[j] > mx ? z[j] : mx;
    double sum = 0.0;
    for (int j = 0; j < C; j++) sum += exp(z[j] - mx);
    double log_sum = mx + log(sum);
    for (int j = 0; j < C; j++) {
      double logp = z[j] - log_sum;
      probs[(size_t)b * C + j] = (float)exp(logp);
      total -= target(labels[b], j, C, smoothing) * logp;
    }
  }
  *loss = total / B;
  return 0;
}

int ref_crossentropy_backward(float *dlogits, const float *probs, const int64_t *labels, int B,
                              int C, float smoothing, crt_error *e) {
  if (check_labels(labels, B, C, e)) return -1;
  for (int b = 0; b < B; b++)
    for (int j = 0; j < C; j++)
      dlogits[(size_t)b * C + j] +=
          (float)((probs[(size_t)b * C + j] - target(labels[b], j, C, smoothing)) / B);
  return 0;
}
