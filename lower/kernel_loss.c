/* Label-smoothed cross-entropy, batch mean (docs/model.md §4.1). */
#include "kernel_util.h"

#include <math.h>

/* Per sample (in parallel, into scratch): loss_b = logsumexp(x_b) −
 * (1 − s)·x_b[label] − (s/C)·Σ x_b; then their mean, summed in sample order
 * on one thread. A label outside [0, C) makes its sample's loss NaN (the
 * loaders check labels; the kernel must only never read out of bounds). */
bool kernel_cross_entropy(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  const IrValue *logits = op->operands.items[0];
  int64_t C = logits->type.dims[1];
  double s = ir_attr_float(op, "label_smoothing");
  LVar *out = k_ptr(c, op->results.items[0]), *x = k_ptr(c, logits);
  LVar *labels = k_ptr(c, op->operands.items[1]);
  LVar *per = k_let(c, "per_sample", LT_PTR_F32, lower_scratch(c, 0, 1));
  LVar *B = k_let(c, "samples", LT_I64, lower_dim(c, logits->type.dims[0]));
  KItems it = k_items(c, kv(B), 0);
  LVar *base = lower_local(c, "base", LT_I64), *mx = lower_local(c, "mx", LT_F32);
  LVar *sum = lower_local(c, "sum", LT_F32), *all = lower_local(c, "all", LT_F32);
  LVar *label = lower_local(c, "label", LT_I64), *ok = lower_local(c, "ok", LT_BOOL);
  LVar *j1 = lower_local(c, "j", LT_I64), *j2 = lower_local(c, "j", LT_I64);
  lappend(it.body, ldecl(base, kmul(kv(it.item), ki(C))));
  lappend(it.body, ldecl(mx, lf32(-INFINITY)));
  lappend(it.body, ldecl(all, lf32(0)));
  LStmt *max = lfor(j1, ki(0), ki(C), LF_VECTOR);
  lappend(max, lassign(mx, lbin(LB_MAX, kv(mx), kld(x, kadd(kv(base), kv(j1))))));
  lappend(max, lassign(all, kadd(kv(all), kld(x, kadd(kv(base), kv(j1))))));
  lappend(it.body, max);
  lappend(it.body, ldecl(sum, lf32(0)));
  LStmt *exp = lfor(j2, ki(0), ki(C), LF_VECTOR);
  lappend(exp, lassign(sum, kadd(kv(sum), lun(LU_EXP, ksub(kld(x, kadd(kv(base), kv(j2))), kv(mx))))));
  lappend(it.body, exp);
  lappend(it.body, ldecl(label, lload(kv(labels), kv(it.item))));
  lappend(it.body, ldecl(ok, lbin(LB_AND, lbin(LB_GE, kv(label), ki(0)), lbin(LB_LT, kv(label), ki(C)))));
  LExpr *target = kld(x, kadd(kv(base), lselect(kv(ok), kv(label), ki(0))));
  LExpr *lse = kadd(kv(mx), lun(LU_LOG, kv(sum)));
  LExpr *loss = ksub(ksub(lse, kmul(lf32(1 - s), target)), kmul(lf32(s / (double)C), kv(all)));
  lappend(it.body, lstore(kv(per), kv(it.item), lselect(kv(ok), loss, lf32(NAN))));
  LVar *total = k_let(c, "total", LT_F32, lf32(0)), *b = lower_local(c, "b", LT_I64);
  LStmt *mean = lfor(b, ki(0), kv(B), LF_SERIAL);
  lappend(mean, lassign(total, kadd(kv(total), kld(per, kv(b)))));
  lower_emit(c, mean);
  lower_emit(c, lstore(kv(out), ki(0), lbin(LB_DIV, kv(total), lcast(LT_F32, kv(B)))));
  return true;
}
