/* The MSSA gradient without to_out (docs/model.md §5.4 from gO on), with W and A
 * recomputed from y and U.
 *
 *   1. W = Y Uᵀ for every token (row blocks on every core).
 *   2. Per (sample, head), over static partitions: the head's rows stacked
 *      as T = [W_h; gO_h; W_h] (3N × p, contiguous), then
 *      [S; gA] = T[0:2N] W_hᵀ (S = s W_h W_hᵀ), A = softmax(S) and in place
 *      gS = s·A ⊙ (gA − δ) with δ_i = Σ_j gA_ij A_ij, then
 *      gW_h = [A; gS]ᵀ T[N:3N] + gS W_h = Aᵀ gO_h + gSᵀ W_h + gS W_h (the
 *      value, key and query paths), written into the head's columns of gW.
 *      Three products rather than five: at N×N×p these are small enough
 *      that a call and its packing cost as much as the multiply.
 *   3. dy = gW U (no packing); dU = gWᵀ Y, K over every token of the
 *      batch: a fixed-order sum, whatever the thread count. */
#include "kernel_grad.h"

/* Item b·K + h: head h of sample b starts at column h·p of row b·N. */
static LExpr *head_at(LVar *item, int64_t N, int64_t K, int64_t p) {
  return kadd(kmul(lbin(LB_DIV, kv(item), ki(K)), ki(N * K * p)), kmul(lbin(LB_REM, kv(item), ki(K)), ki(p)));
}

/* A's rows normalised, then gA replaced by gS = s·A ⊙ (gA − δ) row by row. */
static void softmax_backward(LowerCtx *c, LStmt *body, LVar *a, LVar *g, int64_t N, double scale) {
  LVar *r = lower_local(c, "r", LT_I64), *base = lower_local(c, "base", LT_I64);
  LVar *inv = lower_local(c, "inv", LT_F32), *delta = lower_local(c, "delta", LT_F32);
  LVar *j1 = lower_local(c, "j", LT_I64), *j2 = lower_local(c, "j", LT_I64), *an = lower_local(c, "an", LT_F32);
  LStmt *rows = lfor(r, ki(0), ki(N), LF_SERIAL);
  lappend(rows, ldecl(base, kmul(kv(r), ki(N))));
  LVar *sum = k_softmax_row(c, rows, a, base, N, scale);
  lappend(rows, ldecl(inv, lbin(LB_DIV, lf32(1), kv(sum))));
  lappend(rows, ldecl(delta, lf32(0)));
  LStmt *norm = lfor(j1, ki(0), ki(N), LF_VECTOR);
  lappend(norm, ldecl(an, kmul(kld(a, kadd(kv(base), kv(j1))), kv(inv))));
  lappend(norm, lstore(kv(a), kadd(kv(base), kv(j1)), kv(an)));
  lappend(norm, lassign(delta, kadd(kv(delta), kmul(kv(an), kld(g, kadd(kv(base), kv(j1)))))));
  lappend(rows, norm);
  LStmt *gs = lfor(j2, ki(0), ki(N), LF_VECTOR);
  LExpr *v = kmul(kmul(lf32(scale), kld(a, kadd(kv(base), kv(j2)))), ksub(kld(g, kadd(kv(base), kv(j2))), kv(delta)));
  lappend(gs, lstore(kv(g), kadd(kv(base), kv(j2)), v));
  lappend(rows, gs);
  lappend(body, rows);
}

/* T (3N, p) = [W_h; gO_h; W_h], rows LD apart in W and gO, into BODY. */
static void stack_rows(LowerCtx *c, LStmt *body, LVar *t, LVar *wh, LVar *goh, int64_t N, int64_t p, int64_t ld) {
  LVar *r = lower_local(c, "r", LT_I64), *j = lower_local(c, "j", LT_I64), *w = lower_local(c, "w", LT_F32);
  LStmt *rows = lfor(r, ki(0), ki(N), LF_SERIAL), *cols = lfor(j, ki(0), ki(p), LF_VECTOR);
  lappend(cols, ldecl(w, kld(wh, kix(kv(r), ld, kv(j)))));
  lappend(cols, lstore(kv(t), kix(kv(r), p, kv(j)), kv(w)));
  lappend(cols, lstore(kv(t), kadd(kix(kv(r), p, kv(j)), ki(N * p)), kld(goh, kix(kv(r), ld, kv(j)))));
  lappend(cols, lstore(kv(t), kadd(kix(kv(r), p, kv(j)), ki(2 * N * p)), kv(w)));
  lappend(rows, cols);
  lappend(body, rows);
}

static void heads_backward(LowerCtx *c, LVar *w, LVar *go, LVar *gw, LVar *batch, int64_t N, int64_t K, int64_t p,
                           double scale) {
  int64_t Kp = K * p;
  KItems it = k_items(c, kmul(kv(batch), ki(K)), 2 * N * N + 3 * N * p);
  LVar *wh = lower_local(c, "wh", LT_PTR_F32), *goh = lower_local(c, "goh", LT_PTR_F32);
  LVar *gwh = lower_local(c, "gwh", LT_PTR_F32), *g = lower_local(c, "gs", LT_PTR_F32);
  LVar *t = lower_local(c, "stack", LT_PTR_F32);
  lappend(it.body, ldecl(wh, laddr(kv(w), head_at(it.item, N, K, p))));
  lappend(it.body, ldecl(goh, laddr(kv(go), head_at(it.item, N, K, p))));
  lappend(it.body, ldecl(gwh, laddr(kv(gw), head_at(it.item, N, K, p))));
  lappend(it.body, ldecl(g, laddr(kv(it.scratch), ki(N * N))));
  lappend(it.body, ldecl(t, laddr(kv(it.scratch), ki(2 * N * N))));
  stack_rows(c, it.body, t, wh, goh, N, p, Kp);
  KGemm sim = {.tb = true, .m = ki(2 * N), .n = N, .k = p, .a = kv(t), .lda = p, .b = kv(t), .ldb = p,
               .c = kv(it.scratch), .ldc = N};
  lappend(it.body, k_gemm(&sim));
  softmax_backward(c, it.body, it.scratch, g, N, scale);
  KGemm paths = {.ta = true, .m = ki(N), .n = p, .k = 2 * N, .a = kv(it.scratch), .lda = N,
                 .b = laddr(kv(t), ki(N * p)), .ldb = p, .c = kv(gwh), .ldc = Kp};
  KGemm query = {.accumulate = true, .m = ki(N), .n = p, .k = N, .a = kv(g), .lda = N, .b = kv(t), .ldb = p,
                 .c = kv(gwh), .ldc = Kp};
  lappend(it.body, k_gemm(&paths));
  lappend(it.body, k_gemm(&query));
}

bool kernel_mssa_grad(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  const IrValue *y = op->operands.items[0], *u = op->operands.items[1];
  int64_t N = y->type.dims[1], dim = y->type.dims[2], K = ir_attr_int(op, "heads");
  int64_t p = ir_attr_int(op, "dim_head"), Kp = K * p;
  LVar *in = k_ptr(c, y), *pu = k_ptr(c, u), *go = k_ptr(c, op->operands.items[2]);
  LVar *dy = k_ptr(c, op->results.items[0]), *du = k_ptr(c, op->results.items[1]);
  LVar *batch = k_let(c, "batch", LT_I64, lower_dim(c, y->type.dims[0]));
  LVar *tokens = k_let(c, "tokens", LT_I64, kmul(kv(batch), ki(N)));
  LVar *w = k_let(c, "w", LT_PTR_F32, lower_scratch(c, 0, N * Kp));
  LVar *gw = k_let(c, "gw", LT_PTR_F32, lower_scratch(c, 0, N * Kp));
  KEpilogue none = {.alpha = 1};
  lower_emit(c, lcomment("mssa_grad %%%s: W = Y Uᵀ", op->results.items[0]->name));
  k_linear_rows(c, w, in, k_transposed(c, u), kv(tokens), dim, Kp, &none);
  lower_emit(c, lcomment("per (sample, head): gW_h from A, gO_h and W_h"));
  heads_backward(c, w, go, gw, batch, N, K, p, ir_attr_float(op, "scale"));
  lower_emit(c, lcomment("dy = gW U, dU = gWᵀ Y"));
  k_linear_rows(c, dy, gw, pu, kv(tokens), Kp, dim, &none);
  KGemm gu = {.ta = true, .m = ki(Kp), .n = dim, .k_expr = kv(tokens), .a = kv(gw), .lda = Kp, .b = kv(in),
              .ldb = dim, .c = kv(du), .ldc = dim};
  k_gemm_parallel(c, &gu);
  return true;
}
