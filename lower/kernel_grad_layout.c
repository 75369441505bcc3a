/* Gradients of the data-movement ops and the batch sums of the embedding:
 * pool_grad, cls_concat_grad, pos_add_grad, bias_grad. */
#include "kernel_grad.h"

#include <string.h>

KgColumns kg_columns(LowerCtx *c, LExpr *rows, int64_t cols, LVar *const *outs, int n) {
  LVar *nrows = k_let(c, "rows", LT_I64, rows);
  KItems it = k_items(c, ki((cols + KG_SUM_COLS - 1) / KG_SUM_COLS), 0);
  LVar *j0 = lower_local(c, "j0", LT_I64), *j1 = lower_local(c, "j1", LT_I64), *jz = lower_local(c, "j", LT_I64);
  KgColumns k = {.r = lower_local(c, "r", LT_I64), .j = lower_local(c, "j", LT_I64)};
  lappend(it.body, ldecl(j0, kmul(kv(it.item), ki(KG_SUM_COLS))));
  lappend(it.body, ldecl(j1, lbin(LB_MIN, kadd(kv(j0), ki(KG_SUM_COLS)), ki(cols))));
  LStmt *zero = lfor(jz, kv(j0), kv(j1), LF_VECTOR);
  for (int i = 0; i < n; i++) lappend(zero, lstore(kv(outs[i]), kv(jz), lf32(0)));
  lappend(it.body, zero);
  k.each = lfor(k.r, ki(0), kv(nrows), LF_SERIAL);
  k.acc = lfor(k.j, kv(j0), kv(j1), LF_VECTOR);
  lappend(it.body, k.each);
  return k;
}

void kg_sum_rows(LowerCtx *c, LVar *out, LVar *in, LExpr *rows, int64_t stride, int64_t cols) {
  KgColumns k = kg_columns(c, rows, cols, &out, 1);
  lappend(k.acc, lstore(kv(out), kv(k.j), kadd(kld(out, kv(k.j)), kld(in, kix(kv(k.r), stride, kv(k.j))))));
  lappend(k.each, k.acc);
}

bool kernel_bias_grad(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  const IrValue *dy = op->operands.items[0];
  int64_t n = k_last_dim(dy);
  LVar *out = k_ptr(c, op->results.items[0]), *in = k_ptr(c, dy);
  kg_sum_rows(c, out, in, k_rows(c, dy), n, n);
  return true;
}

/* dtable[t, :] = Σ_b dy[b, t, :]: the table is one row of N·d columns. */
bool kernel_pos_add_grad(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  const IrValue *dy = op->operands.items[0];
  int64_t per = k_sample_numel(dy);
  LVar *out = k_ptr(c, op->results.items[0]), *in = k_ptr(c, dy);
  kg_sum_rows(c, out, in, lower_dim(c, dy->type.dims[0]), per, per);
  return true;
}

/* dx[b, t, :] = dy[b, 1 + t, :] per sample; dcls = Σ_b dy[b, 0, :]. */
bool kernel_cls_concat_grad(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  const IrValue *dy = op->operands.items[0];
  int64_t dim = dy->type.dims[2], per_in = k_sample_numel(dy), per = per_in - dim;
  LVar *dx = k_ptr(c, op->results.items[0]), *dcls = k_ptr(c, op->results.items[1]), *in = k_ptr(c, dy);
  KItems it = k_items(c, lower_dim(c, dy->type.dims[0]), 0);
  LVar *i = lower_local(c, "i", LT_I64);
  LStmt *copy = lfor(i, ki(0), ki(per), LF_VECTOR);
  lappend(copy, lstore(kv(dx), kix(kv(it.item), per, kv(i)), kld(in, kadd(kix(kv(it.item), per_in, ki(dim)), kv(i)))));
  lappend(it.body, copy);
  kg_sum_rows(c, dcls, in, lower_dim(c, dy->type.dims[0]), per_in, dim);
  return true;
}

/* cls: dx[b, 0] = dy[b], other tokens 0; mean: dx[b, t] = dy[b] / N. */
bool kernel_pool_grad(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  const IrValue *dy = op->operands.items[0];
  int64_t N = ir_attr_int(op, "tokens"), dim = dy->type.dims[1];
  bool mean = strcmp(ir_attr_str(op, "mode"), "mean") == 0;
  LVar *dx = k_ptr(c, op->results.items[0]), *in = k_ptr(c, dy);
  KItems it = k_items(c, lower_dim(c, dy->type.dims[0]), 0);
  LVar *t = lower_local(c, "t", LT_I64), *j = lower_local(c, "j", LT_I64);
  LStmt *tokens = lfor(t, ki(0), ki(N), LF_SERIAL), *cols = lfor(j, ki(0), ki(dim), LF_VECTOR);
  LExpr *g = kld(in, kix(kv(it.item), dim, kv(j)));
  LExpr *v = mean ? kmul(g, lf32(1.0 / (double)N)) : lselect(lbin(LB_EQ, kv(t), ki(0)), g, lf32(0));
  lappend(cols, lstore(kv(dx), kadd(kix(kix(kv(it.item), N, kv(t)), dim, ki(0)), kv(j)), v));
  lappend(tokens, cols);
  lappend(it.body, tokens);
  return true;
}
