/* The fused ops of the fusion passes, each as the unfused computation it
 * replaces (docs/ir.md, "Fused ops"), on the same reference kernels. */
#include <stdlib.h>
#include <string.h>

#include "eval_internal.h"
#include "shape.h"

static float *transposed(const float *w, int rows, int cols) {
  float *t = ev_scratch((int64_t)rows * cols);
  for (int i = 0; i < rows; i++)
    for (int j = 0; j < cols; j++) t[(size_t)j * rows + i] = w[(size_t)i * cols + j];
  return t;
}

/* x + mssa(y, ...): the mssa op that fuse_mssa absorbed, then the add. */
static bool mssa_add_plain(IrEvalCtx *c) {
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

/* With weights_t, U and W_o are transposed back first. */
bool eval_mssa_add(IrEvalCtx *c) {
  MssaAddView view;
  const IrOp *op = mssa_add_view(c->op, &view);
  if (op != c->op) {
    void *in[5] = {0};
    float *plain[2] = {0};
    for (int i = 0; i < op->operands.len; i++) in[i] = c->in[i];
    for (int i = 2; i < op->operands.len && i < 4; i++)
      in[i] = plain[i - 2] = transposed(ev_in(c, i), ev_dim(c, i, 0), ev_dim(c, i, 1));
    IrEvalCtx plain_ctx = *c;
    plain_ctx.op = op;
    plain_ctx.in = in;
    bool ok = mssa_add_plain(&plain_ctx);
    free(plain[0]), free(plain[1]);
    return ok;
  }
  return mssa_add_plain(c);
}

/* E = η(D − DᵀD), in the reference GEMM's float accumulation. */
bool eval_ista_matrix(IrEvalCtx *c) {
  int d = ev_dim(c, 0, 0);
  float eta = (float)ir_attr_float(c->op, "step");
  const float *D = ev_in(c, 0);
  float *m = c->out[0];
  ref_gemm(true, false, d, d, d, -eta, D, d, D, d, 0.0f, m, d);
  for (int i = 0; i < d; i++)
    for (int j = 0; j < d; j++) m[i * d + j] += eta * D[i * d + j];
  return true;
}

/* relu(y + y·E − threshold). */
bool eval_ista_apply(IrEvalCtx *c) {
  int rows = ev_rows(c, 0), d = ev_dim(c, 0, -1);
  float threshold = (float)ir_attr_float(c->op, "threshold");
  float *out = c->out[0];
  const float *y = ev_in(c, 0);
  ref_gemm(false, false, rows, d, d, 1.0f, y, d, ev_in(c, 1), d, 0.0f, out, d);
  for (int64_t i = 0; i < (int64_t)rows * d; i++) {
    float v = y[i] + out[i];
    out[i] = v > threshold ? v - threshold : 0.0f;
  }
  return true;
}

bool eval_transpose(IrEvalCtx *c) {
  int rows = ev_dim(c, 0, 0), cols = ev_dim(c, 0, 1);
  float *t = transposed(ev_in(c, 0), rows, cols);
  memcpy(c->out[0], t, (size_t)rows * cols * sizeof *t);
  free(t);
  return true;
}

/* x·Wᵀ + b with Wᵀ as stored. */
bool eval_linear_t(IrEvalCtx *c) {
  int rows = ev_rows(c, 0), k = ev_dim(c, 0, -1), n = ev_dim(c, 1, 1);
  float *out = c->out[0];
  ref_gemm(false, false, rows, n, k, 1.0f, ev_in(c, 0), k, ev_in(c, 1), n, 0.0f, out, n);
  if (c->op->operands.len == 3)
    for (int64_t i = 0; i < (int64_t)rows * n; i++) out[i] += ev_in(c, 2)[i % n];
  return true;
}

/* layernorm_READER(x, γ, β, …): layernorm into a buffer, then READER on it. */
bool eval_layernorm_fused(IrEvalCtx *c) {
  NormedView view;
  const IrOp *reader = layernorm_fused_view(c->op, &view);
  float *normed = ev_scratch(ev_numel(c, 0));
  IrEvalCtx norm = *c;
  norm.out = &normed;
  bool ok = eval_layernorm(&norm);
  void *in[6];
  for (int i = 0; i < reader->operands.len; i++) in[i] = view.origin[i] < 0 ? normed : c->in[view.origin[i]];
  IrEvalCtx read = *c;
  read.op = reader;
  read.in = in;
  ok = ok && eval_fn(reader->kind)(&read);
  free(normed);
  return ok;
}
