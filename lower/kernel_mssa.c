/* The fused MSSA kernel (docs/model.md §2.4), and its residual form mssa_add
 * (x + MSSA(y), made by pass_fuse_mssa).
 *
 *   1. W = Y Uᵀ for every token: row blocks on every core, U transposed
 *      once so no block packs it.
 *   2. Per (sample, head), over static partitions with their own scratch
 *      (never every head's matrix at once), query tiles of T rows (the
 *      op's query_tile, set by pass_tile from the cache sizes): S_t =
 *      W_h[t] W_hᵀ, each row's exponentials exp(s·(S − max)) in place
 *      while the tile is in cache, O_h[t] = E_t W_h, and its rows scaled by
 *      1/Σ (T·p multiplies instead of T·N). The runtime packs W_hᵀ with
 *      register transposes (a loop-IR transpose became gathers: 5% of
 *      Tiny's time). S is symmetric, but computing half of it and
 *      mirroring was slower at CRATE-Tiny's N = 197 (the mirror reads
 *      columns: 147 ms against 120 ms per batch of 32 on one core).
 *   3. out = O W_oᵀ + b_o [+ x] in row blocks, bias and residual added while
 *      each block is in cache. Without to_out, O is the output. */
#include "kernel_util.h"

/* Item b·K + h: head h of sample b starts at column h·p of row b·N. */
static LExpr *head_offset(LVar *item, int64_t N, int64_t K, int64_t p) {
  return kadd(kmul(lbin(LB_DIV, kv(item), ki(K)), ki(N * K * p)), kmul(lbin(LB_REM, kv(item), ki(K)), ki(p)));
}

/* Rows [T0, T0+NT) of head WH's output OH (the tile's S in S, its row
 * sums in SUMS). */
static void query_tile(LowerCtx *c, LStmt *body, LVar *wh, LVar *oh, LVar *s, LVar *sums, LVar *t0,
                       LVar *nt, int64_t N, int64_t Kp, int64_t p, int64_t ldt, double scale) {
  LVar *r = lower_local(c, "r", LT_I64), *base = lower_local(c, "base", LT_I64);
  LVar *r2 = lower_local(c, "r", LT_I64), *j = lower_local(c, "j", LT_I64);
  LVar *inv = lower_local(c, "inv", LT_F32);
  LExpr *w_rows = laddr(kv(wh), kmul(kv(t0), ki(Kp)));
  KGemm sim = {.tb = true, .m = kv(nt), .n = N, .k = p, .a = w_rows, .lda = Kp, .b = kv(wh), .ldb = Kp,
               .c = kv(s), .ldc = ldt};
  lappend(body, k_gemm(&sim));
  LStmt *rows = lfor(r, ki(0), kv(nt), LF_SERIAL);
  lappend(rows, ldecl(base, kmul(kv(r), ki(ldt))));
  LVar *sum = k_softmax_row(c, rows, s, base, N, scale);
  lappend(rows, lstore(kv(sums), kv(r), kv(sum)));
  lappend(body, rows);
  LExpr *o_rows = laddr(kv(oh), kmul(kv(t0), ki(Kp)));
  KGemm mix = {.m = kv(nt), .n = p, .k = N, .a = kv(s), .lda = ldt, .b = kv(wh), .ldb = Kp,
               .c = o_rows, .ldc = Kp};
  lappend(body, k_gemm(&mix));
  LStmt *norm = lfor(r2, ki(0), kv(nt), LF_SERIAL);
  lappend(norm, ldecl(inv, lbin(LB_DIV, lf32(1), kld(sums, kv(r2)))));
  LStmt *cols = lfor(j, ki(0), ki(p), LF_VECTOR);
  LExpr *at = kix(kadd(kv(t0), kv(r2)), Kp, kv(j));
  lappend(cols, lstore(kv(oh), at, kmul(kld(oh, kix(kadd(kv(t0), kv(r2)), Kp, kv(j))), kv(inv))));
  lappend(norm, cols);
  lappend(body, norm);
}

static void attention(LowerCtx *c, LVar *w, LVar *o, LVar *batch, int64_t N, int64_t K, int64_t p,
                      double scale, int64_t T) {
  int64_t Kp = K * p, ldt = (N + 15) / 16 * 16;   /* rows of S start on cache lines */
  KItems it = k_items(c, kmul(kv(batch), ki(K)), T * ldt + T);
  LVar *wh = lower_local(c, "wh", LT_PTR_F32), *oh = lower_local(c, "oh", LT_PTR_F32);
  LVar *sums = lower_local(c, "sums", LT_PTR_F32), *tile = lower_local(c, "tile", LT_I64);
  LVar *t0 = lower_local(c, "t0", LT_I64), *nt = lower_local(c, "nt", LT_I64);
  lappend(it.body, ldecl(wh, laddr(kv(w), head_offset(it.item, N, K, p))));
  lappend(it.body, ldecl(oh, laddr(kv(o), head_offset(it.item, N, K, p))));
  lappend(it.body, ldecl(sums, laddr(kv(it.scratch), ki(T * ldt))));
  LStmt *tiles = lfor(tile, ki(0), ki((N + T - 1) / T), LF_SERIAL);
  lappend(tiles, ldecl(t0, kmul(kv(tile), ki(T))));
  lappend(tiles, ldecl(nt, lbin(LB_MIN, ki(T), ksub(ki(N), kv(t0)))));
  query_tile(c, tiles, wh, oh, it.scratch, sums, t0, nt, N, Kp, p, ldt, scale);
  lappend(it.body, tiles);
}

/* Y, U, W_o, b_o are OPERANDS[0..3] (W_o, b_o absent without to_out);
 * RESIDUAL is added to the output when not NULL. With NORM the projection
 * reads layernorm(Y), each row tile normalised in its scratch. */
static bool mssa(LowerCtx *c, const IrOp *op, IrValue *const *operands, int n, const IrValue *residual,
                 const KNorm *norm) {
  const IrValue *y = operands[0], *u = operands[1], *res = op->results.items[0];
  int64_t N = y->type.dims[1], d = y->type.dims[2], K = ir_attr_int(op, "heads");
  int64_t p = ir_attr_int(op, "dim_head"), Kp = K * p, e = k_last_dim(res);
  LVar *out = k_ptr(c, res), *in = k_ptr(c, y);
  LVar *batch = k_let(c, "batch", LT_I64, lower_dim(c, y->type.dims[0]));
  LVar *rx = residual ? k_ptr(c, residual) : NULL;
  LVar *w = k_let(c, "w", LT_PTR_F32, lower_scratch(c, 0, N * Kp));
  LVar *o = n == 4 ? k_let(c, "o", LT_PTR_F32, lower_scratch(c, 0, N * Kp)) : out;
  KEpilogue none = {.alpha = 1};
  bool packed = ir_attr_int_or(op, "weights_t", 0);   /* U and W_o stored transposed */
  lower_emit(c, lcomment("mssa %%%s: W = Y Uᵀ", res->name));
  LVar *ut = packed ? k_ptr(c, u) : k_transposed(c, u);
  k_linear_tiled(c, w, in, norm, ut, kmul(kv(batch), ki(N)), d, Kp, &none, k_row_tile(op));
  lower_emit(c, lcomment("per (sample, head): O_h = softmax(s W_h W_hᵀ) W_h"));
  attention(c, w, o, batch, N, K, p, ir_attr_float(op, "scale"), ir_attr_int_or(op, "query_tile", N));
  if (n == 4) {
    lower_emit(c, lcomment("out = O W_oᵀ + b_o%s", residual ? " + x" : ""));
    KEpilogue epi = {.alpha = 1, .bias = k_ptr(c, operands[3]), .residual = rx};
    LVar *wot = packed ? k_ptr(c, operands[2]) : k_transposed(c, operands[2]);
    k_linear_tiled(c, out, o, NULL, wot, kmul(kv(batch), ki(N)), Kp, e, &epi, k_row_tile(op));
  } else if (residual) {
    LVar *i;
    LStmt *loop = k_flat(c, kmul(kv(batch), ki(N * e)), &i);
    lappend(loop, lstore(kv(out), kv(i), kadd(kld(out, kv(i)), kld(rx, kv(i)))));
  }
  return true;
}

bool kernel_mssa(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  return mssa(c, op, op->operands.items, op->operands.len, NULL, NULL);
}

/* mssa_add(x, y, qkv [, W_o, b_o]) = x + mssa(y, qkv [, W_o, b_o]) */
bool kernel_mssa_add(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  return mssa(c, op, op->operands.items + 1, op->operands.len - 1, op->operands.items[0], NULL);
}

/* layernorm_mssa_add(x, γ, β, U [, W_o, b_o]) = x + mssa(layernorm(x), U [, W_o, b_o]):
 * operands from γ on, with x in γ's place, read as mssa's y, U, W_o, b_o. */
bool kernel_layernorm_mssa_add(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  IrValue *const *x = op->operands.items;
  IrValue *operands[4] = {x[0]};
  for (int i = 3; i < op->operands.len; i++) operands[i - 2] = x[i];
  KNorm norm = k_norm_of(c, op);
  return mssa(c, op, operands, op->operands.len - 2, x[0], &norm);
}
