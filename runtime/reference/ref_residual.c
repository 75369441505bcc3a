/* ref_residual.c — the MSSA skip connection, kept as its own kernel so an
 * IR executor maps each graph operation to exactly one call. */
#include "crate_ref.h"

void ref_residual_forward(float *out, const float *a, const float *b, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

void ref_residual_backward(float *da, float *db, const float *dout, size_t n) {
  for (size_t i = 0; i < n; i++) {
    da[i] += dout[i];
    db[i] += dout[i];
  }
}
