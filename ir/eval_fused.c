/* The fused ops of the fusion passes, each as the unfused computation it
 * replaces (docs/ir.md, "Fused ops"), on the same reference kernels. */
#include <string.h>

#include "eval_internal.h"

/* x + mssa(y, ...): the mssa op that fuse_mssa absorbed, then the add. */
bool eval_mssa_add(IrEvalCtx *c) {
  IrOp mssa = *c->op;
  mssa.kind = IR_OP_MSSA;
  mssa.operands.items++;
  mssa.operands.len--;
  IrEvalCtx inner = *c;
  inner.op = &mssa;
  inner.in = c->in + 1;
  MssaActs a = {0};
  if (!eval_mssa_acts(&inner, c->out[0], &a)) return false;
  eval_mssa_acts_free(&a);
  ref_residual_forward(c->out[0], ev_in(c, 0), c->out[0], (size_t)ev_numel(c, 0));
  return true;
}

/* M = I + η(D − DᵀD), in the reference GEMM's float accumulation. */
bool eval_ista_matrix(IrEvalCtx *c) {
  int d = ev_dim(c, 0, 0);
  float eta = (float)ir_attr_float(c->op, "step");
  const float *D = ev_in(c, 0);
  float *m = c->out[0];
  ref_gemm(true, false, d, d, d, -eta, D, d, D, d, 0.0f, m, d);
  for (int i = 0; i < d; i++)
    for (int j = 0; j < d; j++) m[i * d + j] += eta * D[i * d + j] + (i == j ? 1.0f : 0.0f);
  return true;
}

/* relu(y·M − threshold). */
bool eval_ista_apply(IrEvalCtx *c) {
  int rows = ev_rows(c, 0), d = ev_dim(c, 0, -1);
  float threshold = (float)ir_attr_float(c->op, "threshold");
  float *out = c->out[0];
  ref_gemm(false, false, rows, d, d, 1.0f, ev_in(c, 0), d, ev_in(c, 1), d, 0.0f, out, d);
  for (int64_t i = 0; i < (int64_t)rows * d; i++) out[i] = out[i] > threshold ? out[i] - threshold : 0.0f;
  return true;
}
