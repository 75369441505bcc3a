/* The LayerNorm gradient (docs/model.md §5.3). */
#include "kernel_grad.h"

static LExpr *at(LVar *base, LVar *j) { return kadd(kv(base), kv(j)); }

/* dγ and dβ over column blocks from x, dy and the per-row (mean, r). */
static void affine_grads(LowerCtx *c, LVar *dg, LVar *dbeta, LVar *in, LVar *dy, LVar *stats, LVar *rows, int64_t C) {
  LVar *outs[2] = {dg, dbeta};
  KgColumns k = kg_columns(c, kv(rows), C, outs, 2);
  LVar *base = lower_local(c, "base", LT_I64), *mean = lower_local(c, "mean", LT_F32);
  LVar *rstd = lower_local(c, "rstd", LT_F32), *j = k.j;
  lappend(k.each, ldecl(base, kmul(kv(k.r), ki(C))));
  lappend(k.each, ldecl(mean, kld(stats, kmul(kv(k.r), ki(2)))));
  lappend(k.each, ldecl(rstd, kld(stats, kadd(kmul(kv(k.r), ki(2)), ki(1)))));
  LExpr *xhat = kmul(ksub(kld(in, at(base, j)), kv(mean)), kv(rstd));
  lappend(k.acc, lstore(kv(dg), kv(j), kadd(kld(dg, kv(j)), kmul(kld(dy, at(base, j)), xhat))));
  lappend(k.acc, lstore(kv(dbeta), kv(j), kadd(kld(dbeta, kv(j)), kld(dy, at(base, j)))));
  lappend(k.each, k.acc);
}

/* Per row (in parallel), with mean and r = 1/√(var + eps) recomputed from x
 * as the forward kernel does: x̂ = (x − mean)·r, h = dy ⊙ γ,
 * dx = r·(h − mean(h) − x̂·mean(h ⊙ x̂)), mean and r kept in scratch. Then,
 * in one pass over column blocks, dγ = Σ_rows dy ⊙ x̂ and dβ = Σ_rows dy,
 * each column summed in row order (x̂ recomputed: storing it cost a write
 * and a read of a whole activation). */
bool kernel_layernorm_grad(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  const IrValue *x = op->operands.items[0];
  int64_t C = k_last_dim(x);
  double eps = ir_attr_float(op, "eps");
  LVar *in = k_ptr(c, x), *gamma = k_ptr(c, op->operands.items[1]), *dy = k_ptr(c, op->operands.items[2]);
  LVar *dx = k_ptr(c, op->results.items[0]), *dg = k_ptr(c, op->results.items[1]);
  LVar *dbeta = k_ptr(c, op->results.items[2]);
  LVar *rows = k_let(c, "rows", LT_I64, k_rows(c, x));
  LVar *stats = k_let(c, "stats", LT_PTR_F32, lower_scratch(c, 0, 2 * (k_sample_numel(x) / C)));
  KItems it = k_items(c, kv(rows), 0);
  LVar *base = lower_local(c, "base", LT_I64), *mean = lower_local(c, "mean", LT_F32);
  LVar *var = lower_local(c, "var", LT_F32), *dev = lower_local(c, "dev", LT_F32);
  LVar *rstd = lower_local(c, "rstd", LT_F32), *hm = lower_local(c, "h_mean", LT_F32);
  LVar *hxm = lower_local(c, "hx_mean", LT_F32), *xh = lower_local(c, "xhat", LT_F32), *h = lower_local(c, "h", LT_F32);
  LVar *j[4];
  for (int i = 0; i < 4; i++) j[i] = lower_local(c, "j", LT_I64);
  lappend(it.body, ldecl(base, kmul(kv(it.item), ki(C))));
  lappend(it.body, ldecl(mean, lf32(0)));
  LStmt *sum = lfor(j[0], ki(0), ki(C), LF_VECTOR);
  lappend(sum, lassign(mean, kadd(kv(mean), kld(in, at(base, j[0])))));
  lappend(it.body, sum);
  lappend(it.body, lassign(mean, lbin(LB_DIV, kv(mean), lf32((double)C))));
  lappend(it.body, ldecl(var, lf32(0)));
  LStmt *sq = lfor(j[1], ki(0), ki(C), LF_VECTOR);
  lappend(sq, ldecl(dev, ksub(kld(in, at(base, j[1])), kv(mean))));
  lappend(sq, lassign(var, kadd(kv(var), kmul(kv(dev), kv(dev)))));
  lappend(it.body, sq);
  LExpr *variance = lbin(LB_DIV, kv(var), lf32((double)C));
  lappend(it.body, ldecl(rstd, lbin(LB_DIV, lf32(1), lun(LU_SQRT, kadd(variance, lf32(eps))))));
  lappend(it.body, lstore(kv(stats), kmul(kv(it.item), ki(2)), kv(mean)));
  lappend(it.body, lstore(kv(stats), kadd(kmul(kv(it.item), ki(2)), ki(1)), kv(rstd)));
  lappend(it.body, ldecl(hm, lf32(0)));
  lappend(it.body, ldecl(hxm, lf32(0)));
  LStmt *means = lfor(j[2], ki(0), ki(C), LF_VECTOR);
  lappend(means, ldecl(xh, kmul(ksub(kld(in, at(base, j[2])), kv(mean)), kv(rstd))));
  lappend(means, ldecl(h, kmul(kld(dy, at(base, j[2])), kld(gamma, kv(j[2])))));
  lappend(means, lassign(hm, kadd(kv(hm), kv(h))));
  lappend(means, lassign(hxm, kadd(kv(hxm), kmul(kv(h), kv(xh)))));
  lappend(it.body, means);
  lappend(it.body, lassign(hm, lbin(LB_DIV, kv(hm), lf32((double)C))));
  lappend(it.body, lassign(hxm, lbin(LB_DIV, kv(hxm), lf32((double)C))));
  LStmt *grad = lfor(j[3], ki(0), ki(C), LF_VECTOR);
  LExpr *xhat = kmul(ksub(kld(in, at(base, j[3])), kv(mean)), kv(rstd));
  LExpr *hh = kmul(kld(dy, at(base, j[3])), kld(gamma, kv(j[3])));
  lappend(grad, lstore(kv(dx), at(base, j[3]), kmul(kv(rstd), ksub(ksub(hh, kv(hm)), kmul(xhat, kv(hxm))))));
  lappend(it.body, grad);
  affine_grads(c, dg, dbeta, in, dy, stats, rows, C);
  return true;
}
