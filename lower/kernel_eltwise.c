/* Elementwise kernels: add, sub, scale, shrink (flat, in parallel chunks),
 * the embedding's pos_add and cls_concat (per sample), and causal_mask
 * (per row). */
#include <math.h>

#include "kernel_util.h"

/* out[i] = F(op, a[i], b[i]) over every element, flat; B is NULL for a
 * one-operand op. */
static bool flat(LowerCtx *c, const IrOp *op, LExpr *(*f)(const IrOp *op, LExpr *a, LExpr *b)) {
  LVar *out = k_ptr(c, op->results.items[0]), *a = k_ptr(c, op->operands.items[0]);
  LVar *b = op->operands.len > 1 ? k_ptr(c, op->operands.items[1]) : NULL;
  LVar *i;
  LStmt *loop = k_flat(c, lower_numel(c, op->results.items[0]), &i);
  lappend(loop, lstore(kv(out), kv(i), f(op, kld(a, kv(i)), b ? kld(b, kv(i)) : NULL)));
  return true;
}

static LExpr *add(const IrOp *op, LExpr *a, LExpr *b) { return kadd(a, b); }
static LExpr *sub(const IrOp *op, LExpr *a, LExpr *b) { return ksub(a, b); }
static LExpr *scale(const IrOp *op, LExpr *a, LExpr *b) { return kmul(lf32(ir_attr_float(op, "alpha")), a); }
static LExpr *shrink(const IrOp *op, LExpr *a, LExpr *b) {
  return lbin(LB_MAX, ksub(a, lf32(ir_attr_float(op, "threshold"))), lf32(0));
}

bool kernel_add(LowerCtx *c, const IrOp *op, Diag *d) { return flat(c, op, add); }
bool kernel_sub(LowerCtx *c, const IrOp *op, Diag *d) { return flat(c, op, sub); }
bool kernel_scale(LowerCtx *c, const IrOp *op, Diag *d) { return flat(c, op, scale); }
bool kernel_shrink(LowerCtx *c, const IrOp *op, Diag *d) { return flat(c, op, shrink); }

/* out[b, t, :] = x[b, t, :] + table[t, :], one sample per item. */
bool kernel_pos_add(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  const IrValue *x = op->operands.items[0];
  int64_t per = k_sample_numel(x);
  LVar *out = k_ptr(c, op->results.items[0]), *in = k_ptr(c, x), *table = k_ptr(c, op->operands.items[1]);
  KItems it = k_items(c, lower_dim(c, x->type.dims[0]), 0);
  LVar *i = lower_local(c, "i", LT_I64);
  LStmt *loop = lfor(i, ki(0), ki(per), LF_VECTOR);
  LExpr *at = kix(kv(it.item), per, kv(i));
  lappend(loop, lstore(kv(out), at, kadd(kld(in, kix(kv(it.item), per, kv(i))), kld(table, kv(i)))));
  lappend(it.body, loop);
  return true;
}

/* out[b, 0, :] = cls; out[b, 1 + t, :] = x[b, t, :] */
bool kernel_cls_concat(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  const IrValue *x = op->operands.items[0];
  int64_t n = x->type.dims[1], dim = x->type.dims[2], per = n * dim, per_out = per + dim;
  LVar *out = k_ptr(c, op->results.items[0]), *in = k_ptr(c, x), *cls = k_ptr(c, op->operands.items[1]);
  KItems it = k_items(c, lower_dim(c, x->type.dims[0]), 0);
  LVar *j = lower_local(c, "j", LT_I64), *i = lower_local(c, "i", LT_I64);
  LStmt *head = lfor(j, ki(0), ki(dim), LF_VECTOR);
  lappend(head, lstore(kv(out), kix(kv(it.item), per_out, kv(j)), kld(cls, kv(j))));
  LStmt *rest = lfor(i, ki(0), ki(per), LF_VECTOR);
  lappend(rest, lstore(kv(out), kadd(kix(kv(it.item), per_out, ki(dim)), kv(i)),
                       kld(in, kix(kv(it.item), per, kv(i)))));
  lappend(it.body, head);
  lappend(it.body, rest);
  return true;
}

/* Row r of x seen as (rows, N) is query q = r mod N: keys 0..q are copied,
 * the rest get fill. One row per item. */
bool kernel_causal_mask(LowerCtx *c, const IrOp *op, Diag *d) {
  const IrValue *x = op->operands.items[0];
  int64_t n = k_last_dim(x);
  float fill = (float)ir_attr_float_or(op, "fill", -INFINITY);
  LVar *out = k_ptr(c, op->results.items[0]), *in = k_ptr(c, x);
  KItems it = k_items(c, k_rows(c, x), 0);
  LVar *base = lower_local(c, "base", LT_I64), *q = lower_local(c, "q", LT_I64);
  LVar *j = lower_local(c, "j", LT_I64), *m = lower_local(c, "j", LT_I64);
  lappend(it.body, ldecl(base, kmul(kv(it.item), ki(n))));
  lappend(it.body, ldecl(q, lbin(LB_REM, kv(it.item), ki(n))));
  LStmt *keep = lfor(j, ki(0), kadd(kv(q), ki(1)), LF_VECTOR);
  lappend(keep, lstore(kv(out), kadd(kv(base), kv(j)), kld(in, kadd(kv(base), kv(j)))));
  LStmt *mask = lfor(m, kadd(kv(q), ki(1)), ki(n), LF_VECTOR);
  lappend(mask, lstore(kv(out), kadd(kv(base), kv(m)), lf32(fill)));
  lappend(it.body, keep);
  lappend(it.body, mask);
  return true;
}
