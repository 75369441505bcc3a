/* GEMM kernels: linear (x·Wᵀ + b), linear_t and layernorm_linear_t (the weight
 * stored transposed; the latter normalising each row tile first), and the
 * -O0 primitive matmul. */
#include "kernel_util.h"

/* Each block: [its rows of X layernormed into scratch,] the GEMM, the
 * epilogue. */
static void linear_blocks(LowerCtx *c, KRows r, LVar *out, LVar *x, const KNorm *norm, LVar *wt, int64_t k,
                          int64_t n, const KEpilogue *e) {
  LVar *a = lower_local(c, "a", LT_PTR_F32);
  if (norm) {
    LVar *row = lower_local(c, "r", LT_I64), *src = lower_local(c, "src", LT_I64);
    LVar *dst = lower_local(c, "dst", LT_I64);
    LStmt *rows = lfor(row, ki(0), kv(r.nr), LF_SERIAL);
    lappend(rows, ldecl(src, kmul(kadd(kv(r.r0), kv(row)), ki(k))));
    lappend(rows, ldecl(dst, kmul(kv(row), ki(k))));
    k_layernorm_row(c, rows, norm, r.it.scratch, dst, x, src, k);
    lappend(r.it.body, rows);
    lappend(r.it.body, ldecl(a, kv(r.it.scratch)));
  } else {
    lappend(r.it.body, ldecl(a, laddr(kv(x), kmul(kv(r.r0), ki(k)))));
  }
  KGemm g = {.m = kv(r.nr), .n = n, .k = k, .a = kv(a), .lda = k, .b = kv(wt), .ldb = n,
             .c = laddr(kv(out), kmul(kv(r.r0), ki(n))), .ldc = n};
  lappend(r.it.body, k_gemm(&g));
  k_epilogue(c, r.it.body, e, out, r.r0, r.nr, n, a);
}

void k_linear_rows(LowerCtx *c, LVar *out, LVar *x, LVar *wt, LExpr *rows, int64_t k, int64_t n,
                   const KEpilogue *e) {
  linear_blocks(c, k_row_blocks(c, rows, K_ROW_BLOCK, 0), out, x, NULL, wt, k, n, e);
}

void k_linear_tiled(LowerCtx *c, LVar *out, LVar *x, const KNorm *norm, LVar *wt, LExpr *rows, int64_t k,
                    int64_t n, const KEpilogue *e, int64_t tile) {
  linear_blocks(c, k_row_tiles(c, rows, tile, norm ? tile * k : 0), out, x, norm, wt, k, n, e);
}

LVar *k_transposed(LowerCtx *c, const IrValue *w) {
  int64_t rows = w->type.dims[0], cols = w->type.dims[1];
  LVar *wt = k_let(c, "wt", LT_PTR_F32, lower_scratch(c, rows * cols, 0));
  k_transpose(c, wt, k_ptr(c, w), rows, cols);
  return wt;
}

/* Row blocks of x (normalised first with NORM) times Wᵀ (WT, (k, n)),
 * the bias added while the block is in cache. BIAS is the bias operand's
 * index. */
static void linear(LowerCtx *c, const IrOp *op, const KNorm *norm, LVar *wt, int bias, int64_t k, int64_t n) {
  const IrValue *x = op->operands.items[0];
  LVar *out = k_ptr(c, op->results.items[0]), *in = k_ptr(c, x);
  KEpilogue e = {.alpha = 1, .bias = op->operands.len > bias ? k_ptr(c, op->operands.items[bias]) : NULL};
  k_linear_tiled(c, out, in, norm, wt, k_rows(c, x), k, n, &e, k_row_tile(op));
}

/* The weight transposed once into scratch, so no block packs it again. */
bool kernel_linear(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  const IrValue *w = op->operands.items[1];
  linear(c, op, NULL, k_transposed(c, w), 2, w->type.dims[1], w->type.dims[0]);
  return true;
}

/* The weight already transposed (pass_pack_weights, hoisted to P_prepare). */
bool kernel_linear_t(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  const IrValue *wt = op->operands.items[1];
  linear(c, op, NULL, k_ptr(c, wt), 2, wt->type.dims[0], wt->type.dims[1]);
  return true;
}

/* layernorm_linear_t(x, γ, β, Wᵀ [, b]) */
bool kernel_layernorm_linear_t(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  const IrValue *wt = op->operands.items[3];
  KNorm norm = k_norm_of(c, op);
  linear(c, op, &norm, k_ptr(c, wt), 4, wt->type.dims[0], wt->type.dims[1]);
  return true;
}

bool kernel_transpose(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  const IrValue *w = op->operands.items[0];
  k_transpose(c, k_ptr(c, op->results.items[0]), k_ptr(c, w), w->type.dims[0], w->type.dims[1]);
  return true;
}

/* Every leading index is one product of crt_sgemm_batch; a rank-2 right
 * operand is shared (stride 0). alpha scales the result afterwards. */
bool kernel_matmul(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  const IrValue *a = op->operands.items[0], *b = op->operands.items[1], *y = op->results.items[0];
  bool ta = ir_attr_int_or(op, "transpose_a", 0), tb = ir_attr_int_or(op, "transpose_b", 0);
  double alpha = ir_attr_float_or(op, "alpha", 1);
  int ra = a->type.rank, rb = b->type.rank;
  int64_t M = y->type.dims[ra - 2], N = y->type.dims[ra - 1], K = a->type.dims[ra - 1 - ta];
  int64_t lda = a->type.dims[ra - 1], ldb = b->type.dims[rb - 1];
  LExpr *count = ki(1);
  for (int i = 0; i < ra - 2; i++) count = kmul(count, lower_dim(c, a->type.dims[i]));
  LVar *out = k_ptr(c, y), *pa = k_ptr(c, a), *pb = k_ptr(c, b);
  LStmt *s = lcall("crt_sgemm_batch");
  LExpr *args[] = {ki(ta), ki(tb), ki(M), ki(N), ki(K), kv(pa), ki(lda), ki(M * K), kv(pb), ki(ldb),
                   ki(rb == 2 ? 0 : K * N), lf32(0), kv(out), ki(N), ki(M * N), count};
  for (size_t i = 0; i < sizeof args / sizeof *args; i++) lcall_arg(s, args[i]);
  lower_emit(c, s);
  if (alpha != 1) {
    LVar *i;
    LStmt *loop = k_flat(c, lower_numel(c, y), &i);
    lappend(loop, lstore(kv(out), kv(i), kmul(lf32(alpha), kld(out, kv(i)))));
  }
  return true;
}
