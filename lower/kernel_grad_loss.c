/* The gradient of the batch-mean label-smoothed cross-entropy (docs/model.md §5.1). */
#include "kernel_grad.h"

#include <math.h>

/* Per sample: dx = (softmax(x) − q) / B, q = (1 − s)·onehot + s/C, the
 * exponentials stored in dx and scaled in a second pass. A label outside
 * [0, C) gives its sample a NaN row (the loaders check labels; the kernel
 * must only never read out of bounds). */
bool kernel_cross_entropy_grad(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  const IrValue *logits = op->operands.items[0];
  int64_t C = logits->type.dims[1];
  double s = ir_attr_float(op, "label_smoothing");
  LVar *dx = k_ptr(c, op->results.items[0]), *x = k_ptr(c, logits), *labels = k_ptr(c, op->operands.items[1]);
  LVar *B = k_let(c, "samples", LT_I64, lower_dim(c, logits->type.dims[0]));
  LVar *inv_b = k_let(c, "inv_b", LT_F32, lbin(LB_DIV, lf32(1), lcast(LT_F32, kv(B))));
  KItems it = k_items(c, kv(B), 0);
  LVar *base = lower_local(c, "base", LT_I64), *label = lower_local(c, "label", LT_I64);
  LVar *inv = lower_local(c, "inv", LT_F32), *ok = lower_local(c, "ok", LT_BOOL);
  LVar *j = lower_local(c, "j", LT_I64);
  lappend(it.body, ldecl(base, kmul(kv(it.item), ki(C))));
  LStmt *copy = lfor(j, ki(0), ki(C), LF_VECTOR);
  lappend(copy, lstore(kv(dx), kadd(kv(base), kv(j)), kld(x, kadd(kv(base), kv(j)))));
  lappend(it.body, copy);
  LVar *sum = k_softmax_row(c, it.body, dx, base, C, 1);
  lappend(it.body, ldecl(inv, lbin(LB_DIV, lf32(1), kv(sum))));
  lappend(it.body, ldecl(label, lload(kv(labels), kv(it.item))));
  lappend(it.body, ldecl(ok, lbin(LB_AND, lbin(LB_GE, kv(label), ki(0)), lbin(LB_LT, kv(label), ki(C)))));
  LVar *j2 = lower_local(c, "j", LT_I64);
  LStmt *grad = lfor(j2, ki(0), ki(C), LF_VECTOR);
  LExpr *q = kadd(lselect(lbin(LB_EQ, kv(j2), kv(label)), lf32(1 - s), lf32(0)), lf32(s / (double)C));
  LExpr *g = kmul(ksub(kmul(kld(dx, kadd(kv(base), kv(j2))), kv(inv)), q), kv(inv_b));
  lappend(grad, lstore(kv(dx), kadd(kv(base), kv(j2)), lselect(kv(ok), g, lf32(NAN))));
  lappend(it.body, grad);
  return true;
}
