/* ref_linear.c — nn.Linear in PyTorch's layout (docs/model.md §5.2). */
#include "crate_ref.h"

void ref_linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                        int rows, int IC, int OC) {
  ref_gemm(false, true, rows, OC, IC, 1.0f, inp, IC, weight, IC, 0.0f, out, OC);
  if (!bias) return;
  for (int r = 0; r < rows; r++)
    for (int o = 0; o < OC; o++) out[(size_t)r * OC + o] += bias[o];
}

void ref_linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *weight, int rows, int IC, int OC) {
  if (dinp) ref_gemm(false, false, rows, IC, OC, 1.0f, dout, OC, weight, IC, 1.0f, dinp, IC);
  ref_gemm(true, false, OC, IC, rows, 1.0f, dout, OC, inp, IC, 1.0f, dweight, IC);
  if (!dbias) return;
  for (int o = 0; o < OC; o++) {
    double sum = 0.0;
    for (int r = 0; r < rows; r++) sum += dout[(size_t)r * OC + o];
    dbias[o] += (float)sum;
  }
}
