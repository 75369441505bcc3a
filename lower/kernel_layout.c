/* Data movement: patch extraction, head split and merge, pooling. */
#include "kernel_util.h"

#include <string.h>

/* docs/model.md §2.1: out[b, i·gw + j, (u·P2 + v)·C + ch] = img[b, ch, i·P1 + u, j·P2 + v].
 * Items are (sample, grid row); the innermost loop walks v, contiguous in
 * the image. */
bool kernel_patchify(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  const IrValue *img = op->operands.items[0];
  int64_t C = img->type.dims[1], H = img->type.dims[2], W = img->type.dims[3];
  int64_t p1 = ir_attr_int(op, "p1"), p2 = ir_attr_int(op, "p2"), gh = H / p1, gw = W / p2;
  int64_t pdim = p1 * p2 * C;
  LVar *out = k_ptr(c, op->results.items[0]), *in = k_ptr(c, img);
  KItems it = k_items(c, kmul(lower_dim(c, img->type.dims[0]), ki(gh)), 0);
  LVar *b = lower_local(c, "b", LT_I64), *gi = lower_local(c, "gi", LT_I64);
  LVar *gj = lower_local(c, "gj", LT_I64), *ch = lower_local(c, "ch", LT_I64);
  LVar *u = lower_local(c, "u", LT_I64), *v = lower_local(c, "v", LT_I64);
  lappend(it.body, ldecl(b, lbin(LB_DIV, kv(it.item), ki(gh))));
  lappend(it.body, ldecl(gi, lbin(LB_REM, kv(it.item), ki(gh))));
  LStmt *lj = lfor(gj, ki(0), ki(gw), LF_SERIAL), *lc = lfor(ch, ki(0), ki(C), LF_SERIAL);
  LStmt *lu = lfor(u, ki(0), ki(p1), LF_SERIAL), *lv = lfor(v, ki(0), ki(p2), LF_VECTOR);
  /* ((b·gh + gi)·gw + gj)·pdim + (u·p2 + v)·C + ch */
  LExpr *patch = kix(kix(kv(it.item), gw, kv(gj)), pdim, ki(0));
  LExpr *to = kadd(patch, kadd(kmul(kix(kv(u), p2, kv(v)), ki(C)), kv(ch)));
  /* ((b·C + ch)·H + gi·p1 + u)·W + gj·p2 + v */
  LExpr *row = kadd(kix(kix(kv(b), C, kv(ch)), H, kmul(kv(gi), ki(p1))), kv(u));
  LExpr *from = kadd(kix(row, W, kmul(kv(gj), ki(p2))), kv(v));
  lappend(lv, lstore(kv(out), to, kld(in, from)));
  lappend(lu, lv);
  lappend(lc, lu);
  lappend(lj, lc);
  lappend(it.body, lj);
  return true;
}

/* split (b, N, K·p) -> (b, K, N, p) or merge, its inverse: items are
 * (sample, head), rows of p floats copied between the two layouts. */
static bool copy_heads(LowerCtx *c, const IrOp *op, bool split) {
  const IrValue *heads = split ? op->results.items[0] : op->operands.items[0];
  int64_t K = heads->type.dims[1], N = heads->type.dims[2], p = heads->type.dims[3];
  LVar *out = k_ptr(c, op->results.items[0]), *in = k_ptr(c, op->operands.items[0]);
  KItems it = k_items(c, kmul(lower_dim(c, heads->type.dims[0]), ki(K)), 0);
  LVar *b = lower_local(c, "b", LT_I64), *k = lower_local(c, "k", LT_I64);
  LVar *n = lower_local(c, "n", LT_I64), *j = lower_local(c, "j", LT_I64);
  lappend(it.body, ldecl(b, lbin(LB_DIV, kv(it.item), ki(K))));
  lappend(it.body, ldecl(k, lbin(LB_REM, kv(it.item), ki(K))));
  LStmt *ln = lfor(n, ki(0), ki(N), LF_SERIAL), *lj = lfor(j, ki(0), ki(p), LF_VECTOR);
  LExpr *h = kadd(kix(kix(kv(it.item), N, kv(n)), p, ki(0)), kv(j));
  LExpr *m = kadd(kix(kix(kv(b), N, kv(n)), K * p, kmul(kv(k), ki(p))), kv(j));
  lappend(lj, split ? lstore(kv(out), h, kld(in, m)) : lstore(kv(out), m, kld(in, h)));
  lappend(ln, lj);
  lappend(it.body, ln);
  return true;
}

bool kernel_split_heads(LowerCtx *c, const IrOp *op, Diag *d) { return copy_heads(c, op, true); }
bool kernel_merge_heads(LowerCtx *c, const IrOp *op, Diag *d) { return copy_heads(c, op, false); }

/* docs/model.md §2.6: token 0, or the mean over all N tokens (cls included). */
bool kernel_pool(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  const IrValue *x = op->operands.items[0];
  int64_t N = x->type.dims[1], dim = x->type.dims[2];
  bool mean = strcmp(ir_attr_str(op, "mode"), "mean") == 0;
  LVar *out = k_ptr(c, op->results.items[0]), *in = k_ptr(c, x);
  KItems it = k_items(c, lower_dim(c, x->type.dims[0]), 0);
  LVar *j = lower_local(c, "j", LT_I64), *t = lower_local(c, "t", LT_I64);
  LStmt *first = lfor(j, ki(0), ki(dim), LF_VECTOR);
  lappend(first, lstore(kv(out), kix(kv(it.item), dim, kv(j)), kld(in, kix(kv(it.item), N * dim, kv(j)))));
  lappend(it.body, first);
  if (!mean) return true;
  LVar *j2 = lower_local(c, "j", LT_I64), *j3 = lower_local(c, "j", LT_I64);
  LStmt *tokens = lfor(t, ki(1), ki(N), LF_SERIAL), *acc = lfor(j2, ki(0), ki(dim), LF_VECTOR);
  LExpr *o = kix(kv(it.item), dim, kv(j2));
  LExpr *xt = kld(in, kadd(kix(kix(kv(it.item), N, kv(t)), dim, ki(0)), kv(j2)));
  lappend(acc, lstore(kv(out), o, kadd(kld(out, kix(kv(it.item), dim, kv(j2))), xt)));
  lappend(tokens, acc);
  lappend(it.body, tokens);
  LStmt *div = lfor(j3, ki(0), ki(dim), LF_VECTOR);
  lappend(div, lstore(kv(out), kix(kv(it.item), dim, kv(j3)),
                      lbin(LB_DIV, kld(out, kix(kv(it.item), dim, kv(j3))), lf32((double)N))));
  lappend(it.body, div);
  return true;
}
