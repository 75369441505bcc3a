/* The MSSA gradient without to_out (SPEC §5.4 from gO on), with W and A
 * recomputed from y and U.
 *
 *   1. W = Y Uᵀ for every token (row blocks on every core).
 *   2. Per (sample, head), over static partitions with three N×N scratch
 *      matrices and W_hᵀ each: A = softmax(s W_h W_hᵀ), gA = gO_h W_hᵀ
 *      (W_hᵀ copied once, so neither product packs), then in place
 *      gS = s·A ⊙ (gA − δ) with δ_i = Σ_j gA_ij A_ij, and
 *      gW_h = Aᵀ gO_h + (gS + gSᵀ) W_h (the query and key paths of the one
 *      W_h in one product: these per-head products are small enough that a
 *      call and its packing cost as much as the multiply), written into the
 *      head's columns of gW.
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

/* DST (cols, rows) = SRC (rows, cols; rows LD apart)ᵀ into BODY. */
static void transpose_into(LowerCtx *c, LStmt *body, LVar *dst, LVar *src, int64_t rows, int64_t cols,
                           int64_t ld) {
  LVar *j = lower_local(c, "j", LT_I64), *r = lower_local(c, "r", LT_I64);
  LStmt *outer = lfor(j, ki(0), ki(cols), LF_SERIAL), *inner = lfor(r, ki(0), ki(rows), LF_SERIAL);
  lappend(inner, lstore(kv(dst), kix(kv(j), rows, kv(r)), kld(src, kix(kv(r), ld, kv(j)))));
  lappend(outer, inner);
  lappend(body, outer);
}

/* G2 (N, N) = G + Gᵀ into BODY. */
static void symmetrize(LowerCtx *c, LStmt *body, LVar *g2, LVar *g, int64_t N) {
  LVar *r = lower_local(c, "r", LT_I64), *j = lower_local(c, "j", LT_I64);
  LStmt *rows = lfor(r, ki(0), ki(N), LF_SERIAL), *cols = lfor(j, ki(0), ki(N), LF_SERIAL);
  lappend(cols, lstore(kv(g2), kix(kv(r), N, kv(j)), kadd(kld(g, kix(kv(r), N, kv(j))), kld(g, kix(kv(j), N, kv(r))))));
  lappend(rows, cols);
  lappend(body, rows);
}

static void heads_backward(LowerCtx *c, LVar *w, LVar *go, LVar *gw, LVar *batch, int64_t N, int64_t K, int64_t p,
                           double scale) {
  int64_t Kp = K * p;
  KItems it = k_items(c, kmul(kv(batch), ki(K)), 3 * N * N + p * N);
  LVar *wh = lower_local(c, "wh", LT_PTR_F32), *goh = lower_local(c, "goh", LT_PTR_F32);
  LVar *gwh = lower_local(c, "gwh", LT_PTR_F32), *g = lower_local(c, "gs", LT_PTR_F32);
  LVar *g2 = lower_local(c, "gsym", LT_PTR_F32), *wt = lower_local(c, "wt", LT_PTR_F32);
  lappend(it.body, ldecl(wh, laddr(kv(w), head_at(it.item, N, K, p))));
  lappend(it.body, ldecl(goh, laddr(kv(go), head_at(it.item, N, K, p))));
  lappend(it.body, ldecl(gwh, laddr(kv(gw), head_at(it.item, N, K, p))));
  lappend(it.body, ldecl(g, laddr(kv(it.scratch), ki(N * N))));
  lappend(it.body, ldecl(g2, laddr(kv(it.scratch), ki(2 * N * N))));
  lappend(it.body, ldecl(wt, laddr(kv(it.scratch), ki(3 * N * N))));
  transpose_into(c, it.body, wt, wh, N, p, Kp);
  KGemm sim = {.m = ki(N), .n = N, .k = p, .a = kv(wh), .lda = Kp, .b = kv(wt), .ldb = N, .c = kv(it.scratch), .ldc = N};
  lappend(it.body, k_gemm(&sim));
  KGemm ga = {.m = ki(N), .n = N, .k = p, .a = kv(goh), .lda = Kp, .b = kv(wt), .ldb = N, .c = kv(g), .ldc = N};
  lappend(it.body, k_gemm(&ga));
  softmax_backward(c, it.body, it.scratch, g, N, scale);
  symmetrize(c, it.body, g2, g, N);
  KGemm value = {.ta = true, .m = ki(N), .n = p, .k = N, .a = kv(it.scratch), .lda = N, .b = kv(goh), .ldb = Kp,
                 .c = kv(gwh), .ldc = Kp};
  KGemm paths = {.accumulate = true, .m = ki(N), .n = p, .k = N, .a = kv(g2), .lda = N, .b = kv(wh), .ldb = Kp,
                 .c = kv(gwh), .ldc = Kp};
  lappend(it.body, k_gemm(&value));
  lappend(it.body, k_gemm(&paths));
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
