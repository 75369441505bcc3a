/* ISTA kernels (docs/model.md §2.5).
 *
 *   ista          training form, two GEMMs per row block:
 *                 relu(y + η·(y − y·Dᵀ)·D − ηλ), equal to the official
 *                 three-product formula since y·D − y·Dᵀ·D = (y − y·Dᵀ)·D
 *   ista_matrix   E = η(D − DᵀD), parameters only (hoisted by the
 *                 pipeline: once per weights, not per batch)
 *   ista_apply    relu(y + y·E − threshold): one GEMM, the residual y, the
 *                 threshold and the ReLU in its epilogue. Folding I into the
 *                 matrix (y·(I + E)) would round E's entries to the ulp of 1
 *                 and lose precision over deep models (CRATE-Large drifted to
 *                 1.7e-4 of scale from the reference; 9e-5 unfused). */
#include "kernel_util.h"

bool kernel_ista(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  const IrValue *y = op->operands.items[0], *D = op->operands.items[1];
  int64_t dim = k_last_dim(y);
  double eta = ir_attr_float(op, "step"), lambda = ir_attr_float(op, "lambda");
  LVar *out = k_ptr(c, op->results.items[0]), *in = k_ptr(c, y), *dict = k_ptr(c, D);
  LVar *dt = k_transposed(c, D);
  int64_t tile = k_row_tile(op);
  KRows r = k_row_tiles(c, k_rows(c, y), tile, tile * dim);
  LExpr *y_blk = laddr(kv(in), kmul(kv(r.r0), ki(dim)));
  KGemm first = {.m = kv(r.nr), .n = dim, .k = dim, .a = y_blk, .lda = dim, .b = kv(dt), .ldb = dim,
                 .c = kv(r.it.scratch), .ldc = dim};
  lappend(r.it.body, k_gemm(&first));
  /* T = y − y·Dᵀ over the block */
  LVar *i = lower_local(c, "i", LT_I64);
  LStmt *diff = lfor(i, ki(0), kmul(kv(r.nr), ki(dim)), LF_VECTOR);
  LExpr *yi = kld(in, kadd(kmul(kv(r.r0), ki(dim)), kv(i)));
  lappend(diff, lstore(kv(r.it.scratch), kv(i), ksub(yi, kld(r.it.scratch, kv(i)))));
  lappend(r.it.body, diff);
  KGemm second = {.m = kv(r.nr), .n = dim, .k = dim, .a = kv(r.it.scratch), .lda = dim, .b = kv(dict),
                  .ldb = dim, .c = laddr(kv(out), kmul(kv(r.r0), ki(dim))), .ldc = dim};
  lappend(r.it.body, k_gemm(&second));
  KEpilogue e = {.alpha = eta, .residual = in, .shrink = true, .threshold = eta * lambda};
  k_epilogue(c, r.it.body, &e, out, r.r0, r.nr, dim, NULL);
  return true;
}

bool kernel_ista_matrix(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  const IrValue *D = op->operands.items[0];
  int64_t dim = D->type.dims[0];
  double eta = ir_attr_float(op, "step");
  LVar *m = k_ptr(c, op->results.items[0]), *dict = k_ptr(c, D);
  KGemm dtd = {.ta = true, .m = ki(dim), .n = dim, .k = dim, .a = kv(dict), .lda = dim, .b = kv(dict),
               .ldb = dim, .c = kv(m), .ldc = dim};
  k_gemm_parallel(c, &dtd);
  LVar *r = lower_local(c, "r", LT_I64), *j = lower_local(c, "j", LT_I64);
  LStmt *rows = lfor(r, ki(0), ki(dim), LF_PARALLEL), *cols = lfor(j, ki(0), ki(dim), LF_VECTOR);
  LExpr *v = kmul(lf32(eta), ksub(kld(dict, kix(kv(r), dim, kv(j))), kld(m, kix(kv(r), dim, kv(j)))));
  lappend(cols, lstore(kv(m), kix(kv(r), dim, kv(j)), v));
  lappend(rows, cols);
  lower_emit(c, rows);
  return true;
}

/* y and E are operands 0 and MATRIX; with NORM, y = layernorm(operand 0),
 * normalised tile by tile (the tile is then both the GEMM's input and the
 * residual). */
static void ista_apply(LowerCtx *c, const IrOp *op, const KNorm *norm, int matrix) {
  const IrValue *y = op->operands.items[0];
  int64_t dim = k_last_dim(y);
  LVar *out = k_ptr(c, op->results.items[0]), *in = k_ptr(c, y), *m = k_ptr(c, op->operands.items[matrix]);
  KEpilogue e = {.alpha = 1, .add_input = true, .shrink = true, .threshold = ir_attr_float(op, "threshold")};
  k_linear_tiled(c, out, in, norm, m, k_rows(c, y), dim, dim, &e, k_row_tile(op));
}

bool kernel_ista_apply(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  ista_apply(c, op, NULL, 1);
  return true;
}

/* layernorm_ista_apply(x, γ, β, E) */
bool kernel_layernorm_ista_apply(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  KNorm norm = k_norm_of(c, op);
  ista_apply(c, op, &norm, 3);
  return true;
}
