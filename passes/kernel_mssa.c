/* The fused MSSA kernel (SPEC §1.4), and its residual form mssa_add
 * (x + MSSA(y), made by pass_fuse_mssa).
 *
 *   1. W = Y Uᵀ for every token: row blocks on every core, U transposed
 *      once so no block packs it.
 *   2. Per (sample, head), over static partitions with one N×N scratch
 *      each (never every head's matrix at once): S = W_h W_hᵀ, the row
 *      exponentials exp(s·(S − max)) in place, O_h = E W_h, then O_h's rows
 *      scaled by 1/Σ (N·p multiplies instead of N·N). S is symmetric, but
 *      computing its lower block triangle and mirroring the rest was
 *      slower at CRATE-Tiny's N = 197 (the mirror reads columns: 147 ms
 *      against 120 ms per batch of 32 on one core), so S is one GEMM.
 *   3. out = O W_oᵀ + b_o [+ x] in row blocks, bias and residual added while
 *      each block is in cache. Without to_out, O is the output. */
#include "kernel_util.h"

/* Item b·K + h: head h of sample b starts at column h·p of row b·N. */
static LExpr *head_offset(LVar *item, int64_t N, int64_t K, int64_t p) {
  return kadd(kmul(lbin(LB_DIV, kv(item), ki(K)), ki(N * K * p)), kmul(lbin(LB_REM, kv(item), ki(K)), ki(p)));
}

static void attention(LowerCtx *c, LVar *w, LVar *o, LVar *batch, int64_t N, int64_t K, int64_t p,
                      double scale) {
  int64_t Kp = K * p;
  KItems it = k_items(c, kmul(kv(batch), ki(K)), N * N + N);
  LVar *wh = lower_local(c, "wh", LT_PTR_F32), *oh = lower_local(c, "oh", LT_PTR_F32);
  LVar *sums = lower_local(c, "sums", LT_PTR_F32), *r = lower_local(c, "r", LT_I64);
  LVar *base = lower_local(c, "base", LT_I64), *inv = lower_local(c, "inv", LT_F32);
  LVar *r2 = lower_local(c, "r", LT_I64), *j = lower_local(c, "j", LT_I64);
  lappend(it.body, ldecl(wh, laddr(kv(w), head_offset(it.item, N, K, p))));
  lappend(it.body, ldecl(oh, laddr(kv(o), head_offset(it.item, N, K, p))));
  lappend(it.body, ldecl(sums, laddr(kv(it.scratch), ki(N * N))));
  KGemm sim = {.tb = true, .m = ki(N), .n = N, .k = p, .a = kv(wh), .lda = Kp, .b = kv(wh), .ldb = Kp,
               .c = kv(it.scratch), .ldc = N};
  lappend(it.body, k_gemm(&sim));
  LStmt *rows = lfor(r, ki(0), ki(N), LF_SERIAL);
  lappend(rows, ldecl(base, kmul(kv(r), ki(N))));
  LVar *sum = k_softmax_row(c, rows, it.scratch, base, N, scale);
  lappend(rows, lstore(kv(sums), kv(r), kv(sum)));
  lappend(it.body, rows);
  KGemm mix = {.m = ki(N), .n = p, .k = N, .a = kv(it.scratch), .lda = N, .b = kv(wh), .ldb = Kp,
               .c = kv(oh), .ldc = Kp};
  lappend(it.body, k_gemm(&mix));
  LStmt *norm = lfor(r2, ki(0), ki(N), LF_SERIAL);
  lappend(norm, ldecl(inv, lbin(LB_DIV, lf32(1), kld(sums, kv(r2)))));
  LStmt *cols = lfor(j, ki(0), ki(p), LF_VECTOR);
  lappend(cols, lstore(kv(oh), kix(kv(r2), Kp, kv(j)), kmul(kld(oh, kix(kv(r2), Kp, kv(j))), kv(inv))));
  lappend(norm, cols);
  lappend(it.body, norm);
}

/* Y, U, W_o, b_o are OPERANDS[0..3] (W_o, b_o absent without to_out);
 * RESIDUAL is added to the output when not NULL. */
static bool mssa(LowerCtx *c, const IrOp *op, IrValue *const *operands, int n, const IrValue *residual) {
  const IrValue *y = operands[0], *u = operands[1], *res = op->results.items[0];
  int64_t N = y->type.dims[1], d = y->type.dims[2], K = ir_attr_int(op, "heads");
  int64_t p = ir_attr_int(op, "dim_head"), Kp = K * p, e = k_last_dim(res);
  LVar *out = k_ptr(c, res), *in = k_ptr(c, y);
  LVar *batch = k_let(c, "batch", LT_I64, lower_dim(c, y->type.dims[0]));
  LVar *rx = residual ? k_ptr(c, residual) : NULL;
  LVar *w = k_let(c, "w", LT_PTR_F32, lower_scratch(c, 0, N * Kp));
  LVar *o = n == 4 ? k_let(c, "o", LT_PTR_F32, lower_scratch(c, 0, N * Kp)) : out;
  KEpilogue none = {.alpha = 1};
  lower_emit(c, lcomment("mssa %%%s: W = Y Uᵀ", res->name));
  k_linear_rows(c, w, in, k_transposed(c, u), kmul(kv(batch), ki(N)), d, Kp, &none);
  lower_emit(c, lcomment("per (sample, head): O_h = softmax(s W_h W_hᵀ) W_h"));
  attention(c, w, o, batch, N, K, p, ir_attr_float(op, "scale"));
  if (n == 4) {
    lower_emit(c, lcomment("out = O W_oᵀ + b_o%s", residual ? " + x" : ""));
    KEpilogue epi = {.alpha = 1, .bias = k_ptr(c, operands[3]), .residual = rx};
    k_linear_rows(c, out, o, k_transposed(c, operands[2]), kmul(kv(batch), ki(N)), Kp, e, &epi);
  } else if (residual) {
    LVar *i;
    LStmt *loop = k_flat(c, kmul(kv(batch), ki(N * e)), &i);
    lappend(loop, lstore(kv(out), kv(i), kadd(kld(out, kv(i)), kld(rx, kv(i)))));
  }
  return true;
}

bool kernel_mssa(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  return mssa(c, op, op->operands.items, op->operands.len, NULL);
}

/* mssa_add(x, y, qkv [, W_o, b_o]) = x + mssa(y, qkv [, W_o, b_o]) */
bool kernel_mssa_add(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  return mssa(c, op, op->operands.items + 1, op->operands.len - 1, op->operands.items[0]);
}
