/* The ISTA gradient (docs/model.md §5.5), on M = I + η(D − DᵀD), the matrix the
 * forward step applies (y·M = y + η(y·D − y·Dᵀ·D); DᵀD is symmetric, so
 * Mᵀ = I + η(Dᵀ − DᵀD)).
 *
 *   1. DᵀD (into dD, free until step 4), then M and Mᵀ in scratch.
 *   2. Per row block: P = y·M, gP = dz where P − ηλ > 0 (the recomputed
 *      ReLU mask), dy = gP·Mᵀ: the block stays in cache.
 *   3. C = yᵀ·gP, K over every row (a fixed-order batch sum).
 *   4. dD = η(C − D(C + Cᵀ)). */
#include "kernel_grad.h"

bool kernel_ista_grad(LowerCtx *c, const IrOp *op, Diag *d) {
  (void)d;
  const IrValue *y = op->operands.items[0];
  int64_t dim = k_last_dim(y), dd = dim * dim;
  double eta = ir_attr_float(op, "step"), threshold = eta * ir_attr_float(op, "lambda");
  LVar *in = k_ptr(c, y), *D = k_ptr(c, op->operands.items[1]), *dz = k_ptr(c, op->operands.items[2]);
  LVar *dy = k_ptr(c, op->results.items[0]), *dD = k_ptr(c, op->results.items[1]);
  LVar *M = k_let(c, "m", LT_PTR_F32, lower_scratch(c, 4 * dd, 0));
  LVar *Mt = k_let(c, "mt", LT_PTR_F32, laddr(kv(M), ki(dd))), *C = k_let(c, "cy", LT_PTR_F32, laddr(kv(M), ki(2 * dd)));
  LVar *Cs = k_let(c, "csym", LT_PTR_F32, laddr(kv(M), ki(3 * dd)));
  LVar *gp = k_let(c, "gp", LT_PTR_F32, lower_scratch(c, 0, k_sample_numel(y)));
  LVar *rows = k_let(c, "rows", LT_I64, k_rows(c, y));

  KGemm dtd = {.ta = true, .m = ki(dim), .n = dim, .k = dim, .a = kv(D), .lda = dim, .b = kv(D), .ldb = dim,
               .c = kv(dD), .ldc = dim};
  k_gemm_parallel(c, &dtd);
  LVar *r = lower_local(c, "r", LT_I64), *j = lower_local(c, "j", LT_I64);
  LStmt *mrows = lfor(r, ki(0), ki(dim), LF_PARALLEL), *mcols = lfor(j, ki(0), ki(dim), LF_VECTOR);
  LExpr *at = kix(kv(r), dim, kv(j));
  LExpr *eye = lselect(lbin(LB_EQ, kv(r), kv(j)), lf32(1), lf32(0));
  lappend(mcols, lstore(kv(M), at, kadd(eye, kmul(lf32(eta), ksub(kld(D, kix(kv(r), dim, kv(j))), kld(dD, kix(kv(r), dim, kv(j))))))));
  LExpr *eye2 = lselect(lbin(LB_EQ, kv(r), kv(j)), lf32(1), lf32(0));
  lappend(mcols, lstore(kv(Mt), kix(kv(r), dim, kv(j)),
                        kadd(eye2, kmul(lf32(eta), ksub(kld(D, kix(kv(j), dim, kv(r))), kld(dD, kix(kv(r), dim, kv(j))))))));
  lappend(mrows, mcols);
  lower_emit(c, mrows);

  KRows b = k_row_blocks(c, kv(rows), K_ROW_BLOCK, K_ROW_BLOCK * dim);
  LVar *off = lower_local(c, "off", LT_I64), *i = lower_local(c, "i", LT_I64);
  lappend(b.it.body, ldecl(off, kmul(kv(b.r0), ki(dim))));
  KGemm pre = {.m = kv(b.nr), .n = dim, .k = dim, .a = laddr(kv(in), kv(off)), .lda = dim, .b = kv(M), .ldb = dim,
               .c = kv(b.it.scratch), .ldc = dim};
  lappend(b.it.body, k_gemm(&pre));
  LStmt *mask = lfor(i, ki(0), kmul(kv(b.nr), ki(dim)), LF_VECTOR);
  LExpr *live = lbin(LB_GT, kld(b.it.scratch, kv(i)), lf32(threshold));
  lappend(mask, lstore(kv(gp), kadd(kv(off), kv(i)), lselect(live, kld(dz, kadd(kv(off), kv(i))), lf32(0))));
  lappend(b.it.body, mask);
  KGemm back = {.m = kv(b.nr), .n = dim, .k = dim, .a = laddr(kv(gp), kv(off)), .lda = dim, .b = kv(Mt), .ldb = dim,
                .c = laddr(kv(dy), kv(off)), .ldc = dim};
  lappend(b.it.body, k_gemm(&back));

  KGemm cy = {.ta = true, .m = ki(dim), .n = dim, .k_expr = kv(rows), .a = kv(in), .lda = dim, .b = kv(gp),
              .ldb = dim, .c = kv(C), .ldc = dim};
  k_gemm_parallel(c, &cy);
  LVar *r2 = lower_local(c, "r", LT_I64), *j2 = lower_local(c, "j", LT_I64);
  LStmt *srows = lfor(r2, ki(0), ki(dim), LF_PARALLEL), *scols = lfor(j2, ki(0), ki(dim), LF_VECTOR);
  lappend(scols, lstore(kv(Cs), kix(kv(r2), dim, kv(j2)), kadd(kld(C, kix(kv(r2), dim, kv(j2))), kld(C, kix(kv(j2), dim, kv(r2))))));
  lappend(srows, scols);
  lower_emit(c, srows);
  KGemm dc = {.m = ki(dim), .n = dim, .k = dim, .a = kv(D), .lda = dim, .b = kv(Cs), .ldb = dim, .c = kv(dD), .ldc = dim};
  k_gemm_parallel(c, &dc);
  LVar *e;
  LStmt *fin = k_flat(c, ki(dd), &e);
  lappend(fin, lstore(kv(dD), kv(e), kmul(lf32(eta), ksub(kld(C, kv(e)), kld(dD, kv(e))))));
  return true;
}
