/* Row normalisations: LayerNorm (biased variance, docs/model.md §1.2) and softmax. */
#include "kernel_util.h"

KNorm k_norm_of(LowerCtx *c, const IrOp *op) {
  return (KNorm){k_ptr(c, op->operands.items[1]), k_ptr(c, op->operands.items[2]), ir_attr_float(op, "eps")};
}

void k_layernorm_row(LowerCtx *c, LStmt *body, const KNorm *n, LVar *dst, LVar *dst_base, LVar *src,
                     LVar *src_base, int64_t C) {
  LVar *mean = lower_local(c, "mean", LT_F32), *var = lower_local(c, "var", LT_F32);
  LVar *dev = lower_local(c, "dev", LT_F32), *rstd = lower_local(c, "rstd", LT_F32);
  LVar *j1 = lower_local(c, "j", LT_I64), *j2 = lower_local(c, "j", LT_I64), *j3 = lower_local(c, "j", LT_I64);
  lappend(body, ldecl(mean, lf32(0)));
  LStmt *sum = lfor(j1, ki(0), ki(C), LF_VECTOR);
  lappend(sum, lassign(mean, kadd(kv(mean), kld(src, kadd(kv(src_base), kv(j1))))));
  lappend(body, sum);
  lappend(body, lassign(mean, lbin(LB_DIV, kv(mean), lf32((double)C))));
  /* Two passes: the variance of centred values does not cancel. */
  lappend(body, ldecl(var, lf32(0)));
  LStmt *sq = lfor(j2, ki(0), ki(C), LF_VECTOR);
  lappend(sq, ldecl(dev, ksub(kld(src, kadd(kv(src_base), kv(j2))), kv(mean))));
  lappend(sq, lassign(var, kadd(kv(var), kmul(kv(dev), kv(dev)))));
  lappend(body, sq);
  LExpr *variance = lbin(LB_DIV, kv(var), lf32((double)C));
  lappend(body, ldecl(rstd, lbin(LB_DIV, lf32(1), lun(LU_SQRT, kadd(variance, lf32(n->eps))))));
  LStmt *norm = lfor(j3, ki(0), ki(C), LF_VECTOR);
  LExpr *centred = kmul(ksub(kld(src, kadd(kv(src_base), kv(j3))), kv(mean)), kv(rstd));
  LExpr *v = kadd(kmul(centred, kld(n->gamma, kv(j3))), kld(n->beta, kv(j3)));
  lappend(norm, lstore(kv(dst), kadd(kv(dst_base), kv(j3)), v));
  lappend(body, norm);
}

bool kernel_layernorm(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  const IrValue *x = op->operands.items[0];
  int64_t C = k_last_dim(x);
  LVar *out = k_ptr(c, op->results.items[0]), *in = k_ptr(c, x);
  KNorm n = k_norm_of(c, op);
  KItems it = k_items(c, k_rows(c, x), 0);
  LVar *base = lower_local(c, "base", LT_I64);
  lappend(it.body, ldecl(base, kmul(kv(it.item), ki(C))));
  k_layernorm_row(c, it.body, &n, out, base, in, base, C);
  return true;
}

/* Softmax over the last axis: exponentials written to the output, then
 * scaled by the row's 1/sum. */
bool kernel_softmax(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  const IrValue *x = op->operands.items[0];
  int64_t C = k_last_dim(x);
  LVar *out = k_ptr(c, op->results.items[0]), *in = k_ptr(c, x);
  KItems it = k_items(c, k_rows(c, x), 0);
  LVar *base = lower_local(c, "base", LT_I64), *inv = lower_local(c, "inv", LT_F32);
  LVar *j0 = lower_local(c, "j", LT_I64), *j = lower_local(c, "j", LT_I64);
  lappend(it.body, ldecl(base, kmul(kv(it.item), ki(C))));
  LStmt *copy = lfor(j0, ki(0), ki(C), LF_VECTOR);
  lappend(copy, lstore(kv(out), kadd(kv(base), kv(j0)), kld(in, kadd(kv(base), kv(j0)))));
  lappend(it.body, copy);
  LVar *sum = k_softmax_row(c, it.body, out, base, C, 1);
  lappend(it.body, ldecl(inv, lbin(LB_DIV, lf32(1), kv(sum))));
  LStmt *scale = lfor(j, ki(0), ki(C), LF_VECTOR);
  lappend(scale, lstore(kv(out), kadd(kv(base), kv(j)), kmul(kld(out, kadd(kv(base), kv(j))), kv(inv))));
  lappend(it.body, scale);
  return true;
}
