/* Row-wise and elementwise gradients: softmax_grad and shrink_grad. */
#include "kernel_grad.h"

/* dx = dy where y > 0, else 0 (relu′(0) = 0, as the reference ISTA). */
bool kernel_shrink_grad(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  LVar *dx = k_ptr(c, op->results.items[0]), *y = k_ptr(c, op->operands.items[0]);
  LVar *dy = k_ptr(c, op->operands.items[1]), *i;
  LStmt *loop = k_flat(c, lower_numel(c, op->results.items[0]), &i);
  lappend(loop, lstore(kv(dx), kv(i), lselect(lbin(LB_GT, kld(y, kv(i)), lf32(0)), kld(dy, kv(i)), lf32(0))));
  return true;
}

/* Per row of the last axis: dx = y ⊙ (dy − Σ dy ⊙ y). */
bool kernel_softmax_grad(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  const IrValue *y = op->operands.items[0];
  int64_t C = k_last_dim(y);
  LVar *dx = k_ptr(c, op->results.items[0]), *py = k_ptr(c, y), *dy = k_ptr(c, op->operands.items[1]);
  KItems it = k_items(c, k_rows(c, y), 0);
  LVar *base = lower_local(c, "base", LT_I64), *dot = lower_local(c, "dot", LT_F32);
  LVar *j1 = lower_local(c, "j", LT_I64), *j2 = lower_local(c, "j", LT_I64);
  lappend(it.body, ldecl(base, kmul(kv(it.item), ki(C))));
  lappend(it.body, ldecl(dot, lf32(0)));
  LStmt *sum = lfor(j1, ki(0), ki(C), LF_VECTOR);
  lappend(sum, lassign(dot, kadd(kv(dot), kmul(kld(dy, kadd(kv(base), kv(j1))), kld(py, kadd(kv(base), kv(j1)))))));
  lappend(it.body, sum);
  LStmt *grad = lfor(j2, ki(0), ki(C), LF_VECTOR);
  LExpr *at = kadd(kv(base), kv(j2));
  lappend(grad, lstore(kv(dx), at, kmul(kld(py, kadd(kv(base), kv(j2))), ksub(kld(dy, kadd(kv(base), kv(j2))), kv(dot)))));
  lappend(it.body, grad);
  return true;
}
