/* Reference evaluation of the backward ops (docs/ir.md, "Backward ops").
 * Results arrive zeroed, so the reference backward kernels, which add into
 * their outputs, are called directly; what they need from the forward pass
 * (LayerNorm statistics, MSSA's W, A, O, ISTA's output) is recomputed here
 * from the operands with the forward kernels. */
#include <stdlib.h>

#include "eval_internal.h"

bool eval_cross_entropy_grad(IrEvalCtx *c) {
  int B = ev_dim(c, 0, 0), C = ev_dim(c, 0, 1);
  float *probs = ev_scratch((int64_t)B * C);
  double loss;
  bool ok = eval_cross_entropy_probs(c, &loss, probs) &&
            ref_crossentropy_backward(c->out[0], probs, c->in[1], B, C,
                                      (float)ir_attr_float(c->op, "label_smoothing"), c->e) == 0;
  free(probs);
  return ok;
}

bool eval_linear_grad(IrEvalCtx *c) {
  ref_linear_backward(c->out[0], c->out[1], NULL, ev_in(c, 2), ev_in(c, 0), ev_in(c, 1), ev_rows(c, 0),
                      ev_dim(c, 0, -1), ev_dim(c, 1, 0));
  return true;
}

bool eval_bias_grad(IrEvalCtx *c) {
  int rows = ev_rows(c, 0), n = ev_dim(c, 0, -1);
  for (int j = 0; j < n; j++) {
    double sum = 0;
    for (int r = 0; r < rows; r++) sum += ev_in(c, 0)[(size_t)r * n + j];
    c->out[0][j] = (float)sum;
  }
  return true;
}

bool eval_layernorm_grad(IrEvalCtx *c) {
  int rows = ev_rows(c, 0), d = ev_dim(c, 0, -1);
  float *y = ev_scratch(ev_numel(c, 0)), *stats = ev_scratch(2 * (int64_t)rows);
  /* the bias does not change the statistics: the zero dβ buffer stands in */
  ref_layernorm_forward(y, stats, stats + rows, ev_in(c, 0), ev_in(c, 1), c->out[2], rows, d,
                        (float)ir_attr_float(c->op, "eps"));
  ref_layernorm_backward(c->out[0], c->out[1], c->out[2], ev_in(c, 2), ev_in(c, 0), ev_in(c, 1), stats,
                         stats + rows, rows, d);
  free(y);
  free(stats);
  return true;
}

/* Sample by sample: without to_out the reference backward reads dO with
 * y's row stride, which is right for one sample of any K·p. */
bool eval_mssa_grad(IrEvalCtx *c) {
  MssaActs a = {0};
  float *o = ev_scratch(ev_numel(c, 2));
  bool ok = eval_mssa_acts(c, o, &a);
  int64_t item = (int64_t)a.N * a.K * a.p, rows = (int64_t)a.N * a.d, nn = (int64_t)a.K * a.N * a.N;
  for (int b = 0; ok && b < a.B; b++)
    ok = ref_mssa_backward(c->out[0] + b * rows, c->out[1], NULL, NULL, ev_in(c, 2) + b * item,
                           ev_in(c, 0) + b * rows, a.w + b * item, a.attn + b * nn, a.o + b * item,
                           ev_in(c, 1), NULL, 1, a.N, a.d, a.K, a.p, c->e) == 0;
  if (a.w) eval_mssa_acts_free(&a);
  free(o);
  return ok;
}

bool eval_ista_grad(IrEvalCtx *c) {
  int rows = ev_rows(c, 0), d = ev_dim(c, 0, -1);
  float eta = (float)ir_attr_float(c->op, "step");
  float *out = ev_scratch(ev_numel(c, 0));
  bool ok = ref_ista_forward(out, ev_in(c, 0), ev_in(c, 1), rows, d, eta, (float)ir_attr_float(c->op, "lambda"),
                             c->e) == 0 &&
            ref_ista_backward(c->out[0], c->out[1], ev_in(c, 2), ev_in(c, 0), out, ev_in(c, 1), rows, d, eta,
                              c->e) == 0;
  free(out);
  return ok;
}

bool eval_pool_grad(IrEvalCtx *c) {
  ref_pool_backward(c->out[0], ev_in(c, 0), ev_dim(c, 0, 0), (int)ir_attr_int(c->op, "tokens"),
                    ev_dim(c, 0, 1), eval_pool_mode(c->op));
  return true;
}

/* The embedding kernel's backward; the position gradient it also gives is dropped. */
bool eval_cls_concat_grad(IrEvalCtx *c) {
  int n = ev_dim(c, 0, 1) - 1, d = ev_dim(c, 0, 2);
  float *dpos = ev_scratch((int64_t)(n + 1) * d);
  ref_embed_backward(c->out[0], c->out[1], dpos, ev_in(c, 0), ev_dim(c, 0, 0), n, d);
  free(dpos);
  return true;
}

/* The embedding kernel's backward with the cls token as one more position:
 * dpos[t] = Σ_b dy[b, t] for every t, which is pos_add's table gradient. */
bool eval_pos_add_grad(IrEvalCtx *c) {
  int B = ev_dim(c, 0, 0), N = ev_dim(c, 0, 1), d = ev_dim(c, 0, 2);
  float *dx = ev_scratch(ev_numel(c, 0)), *dcls = ev_scratch(d);
  ref_embed_backward(dx, dcls, c->out[0], ev_in(c, 0), B, N - 1, d);
  free(dx);
  free(dcls);
  return true;
}

/* z = α·op(a) op(c) per leading index (docs/ir.md): d op(a) = α dz op(c)ᵀ,
 * d op(c) = α op(a)ᵀ dz, each transposed back when its flag is set. */
bool eval_matmul_grad(IrEvalCtx *c) {
  bool ta = ir_attr_int_or(c->op, "transpose_a", 0), tb = ir_attr_int_or(c->op, "transpose_b", 0);
  float alpha = (float)ir_attr_float_or(c->op, "alpha", 1.0);
  bool shared = c->op->operands.items[1]->type.rank == 2;
  int ar = ev_dim(c, 0, -2), ac = ev_dim(c, 0, -1), br = ev_dim(c, 1, -2), bc = ev_dim(c, 1, -1);
  int M = ta ? ac : ar, K = ta ? ar : ac, N = tb ? br : bc;
  int L = (int)(ev_numel(c, 0) / ((int64_t)ar * ac));
  size_t sa = (size_t)ar * ac, sb = shared ? 0 : (size_t)br * bc, sz = (size_t)M * N;
  const float *a = ev_in(c, 0), *b = ev_in(c, 1), *dz = ev_in(c, 2);
  float *da = c->out[0], *db = c->out[1];
  for (int l = 0; l < L; l++) {
    if (ta)
      ref_gemm(tb, true, K, M, N, alpha, b + l * sb, bc, dz + l * sz, N, 1.0f, da + l * sa, ac);
    else
      ref_gemm(false, !tb, M, K, N, alpha, dz + l * sz, N, b + l * sb, bc, 1.0f, da + l * sa, ac);
  }
  /* A shared c with a plain a: the leading indices stack into rows of one
   * product, so the sum over them is accumulated in double. */
  if (shared && !ta) {
    int rows = L * M;
    if (tb)
      ref_gemm(true, false, N, K, rows, alpha, dz, N, a, ac, 1.0f, db, bc);
    else
      ref_gemm(true, false, K, N, rows, alpha, a, ac, dz, N, 1.0f, db, bc);
    return true;
  }
  for (int l = 0; l < L; l++) {
    if (tb)
      ref_gemm(true, ta, N, K, M, alpha, dz + l * sz, N, a + l * sa, ac, 1.0f, db + l * sb, bc);
    else
      ref_gemm(!ta, false, K, N, M, alpha, a + l * sa, ac, dz + l * sz, N, 1.0f, db + l * sb, bc);
  }
  return true;
}

bool eval_softmax_grad(IrEvalCtx *c) {
  ref_softmax_backward(c->out[0], ev_in(c, 1), ev_in(c, 0), ev_rows(c, 0), ev_dim(c, 0, -1));
  return true;
}

bool eval_shrink_grad(IrEvalCtx *c) {
  for (int64_t i = 0; i < ev_numel(c, 0); i++) c->out[0][i] = ev_in(c, 0)[i] > 0 ? ev_in(c, 1)[i] : 0;
  return true;
}
