/* GEMM gradients: linear_grad and the -O0 primitive's matmul_grad. Batch
 * sums (dW, a shared operand's gradient) are GEMMs whose K runs over every
 * row, or products accumulated in index order: never split over threads. */
#include "kernel_grad.h"

/* dx = dy·W (no packing); dW = dyᵀ·x, K = every row of the batch. */
bool kernel_linear_grad(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  const IrValue *x = op->operands.items[0], *w = op->operands.items[1];
  int64_t out = w->type.dims[0], in = w->type.dims[1];
  LVar *px = k_ptr(c, x), *pw = k_ptr(c, w), *dy = k_ptr(c, op->operands.items[2]);
  LVar *dx = k_ptr(c, op->results.items[0]), *dw = k_ptr(c, op->results.items[1]);
  LVar *rows = k_let(c, "rows", LT_I64, k_rows(c, x));
  KGemm gx = {.m = kv(rows), .n = in, .k = out, .a = kv(dy), .lda = out, .b = kv(pw), .ldb = in, .c = kv(dx), .ldc = in};
  k_gemm_parallel(c, &gx);
  KGemm gw = {.ta = true, .m = ki(out), .n = in, .k_expr = kv(rows), .a = kv(dy), .lda = out, .b = kv(px), .ldb = in,
              .c = kv(dw), .ldc = in};
  k_gemm_parallel(c, &gw);
  return true;
}

/* One operand's gradient: COUNT products of one shape, item i at A + i·SA,
 * B + i·SB, C + i·SC (crt_sgemm_batch: each item on one thread). */
typedef struct Batched {
  bool ta, tb;
  int64_t m, n, k;
  LVar *a, *b, *c;
  int64_t lda, ldb, ldc, sa, sb, sc;
} Batched;

static void batched(LowerCtx *c, const Batched *g, LExpr *count) {
  LStmt *s = lcall("crt_sgemm_batch");
  LExpr *args[] = {ki(g->ta), ki(g->tb), ki(g->m), ki(g->n), ki(g->k), kv(g->a), ki(g->lda), ki(g->sa), kv(g->b),
                   ki(g->ldb), ki(g->sb), lf32(0), kv(g->c), ki(g->ldc), ki(g->sc), count};
  for (size_t i = 0; i < sizeof args / sizeof *args; i++) lcall_arg(s, args[i]);
  lower_emit(c, s);
}

static void scale_all(LowerCtx *c, LVar *p, LExpr *n, double alpha) {
  LVar *i;
  LStmt *loop = k_flat(c, n, &i);
  lappend(loop, lstore(kv(p), kv(i), kmul(lf32(alpha), kld(p, kv(i)))));
}

/* z = α·op(a) op(c) per leading index: d op(a) = α dz op(c)ᵀ and
 * d op(c) = α op(a)ᵀ dz (docs/ir.md), each written transposed back when its
 * flag is set, as products of crt_sgemm_batch. A shared rank-2 c with a
 * plain a stacks the leading indices into the rows of one product, so its
 * gradient is one GEMM whose K runs over all of them. α scales afterwards. */
bool kernel_matmul_grad(LowerCtx *c, const IrOp *op, Diag *d) {
  const IrValue *a = op->operands.items[0], *b = op->operands.items[1];
  bool ta = ir_attr_int_or(op, "transpose_a", 0), tb = ir_attr_int_or(op, "transpose_b", 0);
  bool shared = b->type.rank == 2 && a->type.rank > 2;
  if (shared && ta) return k_unsupported(op, d, "a shared right operand with transpose_a");
  double alpha = ir_attr_float_or(op, "alpha", 1);
  int ra = a->type.rank, rb = b->type.rank;
  int64_t ar = a->type.dims[ra - 2], ac = a->type.dims[ra - 1], br = b->type.dims[rb - 2], bc = b->type.dims[rb - 1];
  int64_t M = ta ? ac : ar, K = ta ? ar : ac, N = tb ? br : bc;
  LExpr *count = ki(1);
  for (int i = 0; i < ra - 2; i++) count = kmul(count, lower_dim(c, a->type.dims[i]));
  LVar *L = k_let(c, "count", LT_I64, count);
  LVar *pa = k_ptr(c, a), *pb = k_ptr(c, b), *dz = k_ptr(c, op->operands.items[2]);
  LVar *da = k_ptr(c, op->results.items[0]), *db = k_ptr(c, op->results.items[1]);
  int64_t sa = ar * ac, sb = shared ? 0 : br * bc, sz = M * N;
  Batched ga = ta ? (Batched){tb, true, K, M, N, pb, dz, da, bc, N, ac, sb, sz, sa}
                  : (Batched){false, !tb, M, K, N, dz, pb, da, N, bc, ac, sz, sb, sa};
  batched(c, &ga, kv(L));
  Batched gb = tb ? (Batched){true, ta, N, K, M, dz, pa, db, N, ac, bc, sz, sa, sb}
                  : (Batched){!ta, false, K, N, M, pa, dz, db, ac, N, bc, sa, sz, sb};
  if (shared) {
    KGemm g = {.ta = gb.ta, .tb = gb.tb, .m = ki(gb.m), .n = gb.n, .k_expr = kmul(kv(L), ki(M)), .a = kv(gb.a),
               .lda = gb.lda, .b = kv(gb.b), .ldb = gb.ldb, .c = kv(db), .ldc = gb.ldc};
    k_gemm_parallel(c, &g);
  } else {
    batched(c, &gb, kv(L));
  }
  if (alpha != 1) {
    scale_all(c, da, lower_numel(c, op->results.items[0]), alpha);
    scale_all(c, db, lower_numel(c, op->results.items[1]), alpha);
  }
  return true;
}
