/* Helpers shared by the kernel emitters (kernel_util.h). */
#include "kernel_util.h"

#include <math.h>

LVar *k_let(LowerCtx *c, const char *name, LType t, LExpr *e) {
  LVar *v = lower_local(c, name, t);
  lower_emit(c, ldecl(v, e));
  return v;
}

LVar *k_ptr(LowerCtx *c, const IrValue *v) {
  return k_let(c, "p", v->type.dtype == IR_I64 ? LT_PTR_I64 : LT_PTR_F32, lower_buffer(c, v));
}

LExpr *k_rows(LowerCtx *c, const IrValue *v) {
  int64_t per = ir_type_numel(&v->type, 1) / k_last_dim(v);
  if (v->type.dims[0] != IR_BATCH) return ki(per);
  return kmul(ki(per), lower_dim(c, IR_BATCH));
}

/* 16384 floats (64 KiB) per chunk: enough to amortise a thread hand-off,
 * small enough to split a layer's activations over every core. */
enum { FLAT_CHUNK = 16384 };

LStmt *k_flat(LowerCtx *c, LExpr *n, LVar **i) {
  LVar *len = k_let(c, "n", LT_I64, n);
  LVar *chunk = lower_local(c, "chunk", LT_I64), *hi = lower_local(c, "hi", LT_I64);
  *i = lower_local(c, "i", LT_I64);
  LStmt *outer = lfor(chunk, ki(0), lbin(LB_DIV, kadd(kv(len), ki(FLAT_CHUNK - 1)), ki(FLAT_CHUNK)),
                      LF_PARALLEL);
  lappend(outer, ldecl(hi, lbin(LB_MIN, kmul(kadd(kv(chunk), ki(1)), ki(FLAT_CHUNK)), kv(len))));
  LStmt *inner = lfor(*i, kmul(kv(chunk), ki(FLAT_CHUNK)), kv(hi), LF_VECTOR);
  lappend(outer, inner);
  lower_emit(c, outer);
  return inner;
}

int k_parts(LowerCtx *c) {
  const Target *t = lower_target(c);
  return t && t->cores > 0 ? t->cores : 1;
}

KItems k_items(LowerCtx *c, LExpr *n, int64_t scratch_floats) {
  KItems it = {.parts = k_parts(c)};
  int64_t stride = (scratch_floats + 15) / 16 * 16;   /* each block on a cache line */
  LVar *base = stride ? k_let(c, "scratch", LT_PTR_F32, lower_scratch(c, stride * it.parts, 0)) : NULL;
  LVar *count = k_let(c, "items", LT_I64, n);
  it.part = lower_local(c, "part", LT_I64);
  it.item = lower_local(c, "item", LT_I64);
  LStmt *outer = lfor(it.part, ki(0), ki(it.parts), LF_PARALLEL);
  if (base) {
    it.scratch = lower_local(c, "mine", LT_PTR_F32);
    lappend(outer, ldecl(it.scratch, laddr(kv(base), kmul(kv(it.part), ki(stride)))));
  }
  LExpr *lo = lbin(LB_DIV, kmul(kv(it.part), kv(count)), ki(it.parts));
  LExpr *hi = lbin(LB_DIV, kmul(kadd(kv(it.part), ki(1)), kv(count)), ki(it.parts));
  it.body = lfor(it.item, lo, hi, LF_SERIAL);
  lappend(outer, it.body);
  lower_emit(c, outer);
  return it;
}

/* BLOCK rows per block: the local B when not NULL, else the constant N. */
static LExpr *block_rows(LVar *b, int64_t n) { return b ? kv(b) : ki(n); }

static KRows blocks_of(LowerCtx *c, LVar *total, LVar *b, int64_t n, int64_t scratch_floats) {
  LExpr *count = lbin(LB_DIV, kadd(kv(total), ksub(block_rows(b, n), ki(1))), block_rows(b, n));
  KRows r = {.it = k_items(c, count, scratch_floats)};
  r.r0 = lower_local(c, "r0", LT_I64);
  r.nr = lower_local(c, "nr", LT_I64);
  lappend(r.it.body, ldecl(r.r0, kmul(kv(r.it.item), block_rows(b, n))));
  lappend(r.it.body, ldecl(r.nr, lbin(LB_MIN, block_rows(b, n), ksub(kv(total), kv(r.r0)))));
  return r;
}

KRows k_row_blocks(LowerCtx *c, LExpr *rows, int64_t block, int64_t scratch_floats) {
  return blocks_of(c, k_let(c, "rows", LT_I64, rows), NULL, block, scratch_floats);
}

/* tiles = ceil(rows / TILE) rounded up to a multiple of the partitions,
 * block = ceil(rows / tiles): at batch 1 (197 rows, 2 cores) two tiles of
 * 99 and 98 rows rather than 64 + 64 against 64 + 5. */
KRows k_row_tiles(LowerCtx *c, LExpr *rows, int64_t tile, int64_t scratch_floats) {
  int64_t parts = k_parts(c);
  LVar *total = k_let(c, "rows", LT_I64, rows);
  LExpr *at_most = lbin(LB_DIV, kadd(kv(total), ki(tile - 1)), ki(tile));
  LVar *tiles = k_let(c, "tiles", LT_I64, kmul(lbin(LB_DIV, kadd(at_most, ki(parts - 1)), ki(parts)), ki(parts)));
  LVar *block = k_let(c, "block", LT_I64, lbin(LB_DIV, kadd(kv(total), ksub(kv(tiles), ki(1))), kv(tiles)));
  return blocks_of(c, total, block, 0, scratch_floats);
}

static LStmt *gemm_call(const char *fn, const KGemm *g) {
  LStmt *s = lcall(fn);
  LExpr *k = g->k_expr ? g->k_expr : ki(g->k);
  LExpr *args[] = {ki(g->ta), ki(g->tb), g->m, ki(g->n), k, g->a, ki(g->lda), g->b, ki(g->ldb),
                   lf32(g->accumulate ? 1 : 0), g->c, ki(g->ldc)};
  for (size_t i = 0; i < sizeof args / sizeof *args; i++) lcall_arg(s, args[i]);
  return s;
}

LStmt *k_gemm(const KGemm *g) { return gemm_call("crt_sgemm", g); }
void k_gemm_parallel(LowerCtx *c, const KGemm *g) { lower_emit(c, gemm_call("crt_sgemm_parallel", g)); }

void k_epilogue(LowerCtx *c, LStmt *body, const KEpilogue *e, LVar *out, LVar *r0, LVar *nr,
                int64_t cols, LVar *input) {
  if (e->alpha == 1 && !e->bias && !e->residual && !e->add_input && !e->shrink) return;
  LVar *r = lower_local(c, "r", LT_I64), *j = lower_local(c, "j", LT_I64);
  LStmt *rows = lfor(r, kv(r0), kadd(kv(r0), kv(nr)), LF_SERIAL);
  LStmt *col = lfor(j, ki(0), ki(cols), LF_VECTOR);
  LExpr *v = kld(out, kix(kv(r), cols, kv(j)));
  if (e->alpha != 1) v = kmul(lf32(e->alpha), v);
  if (e->bias) v = kadd(v, kld(e->bias, kv(j)));
  if (e->residual) v = kadd(v, kld(e->residual, kix(kv(r), cols, kv(j))));
  if (e->add_input) v = kadd(v, kld(input, kix(ksub(kv(r), kv(r0)), cols, kv(j))));
  if (e->shrink) v = lbin(LB_MAX, ksub(v, lf32(e->threshold)), lf32(0));
  lappend(col, lstore(kv(out), kix(kv(r), cols, kv(j)), v));
  lappend(rows, col);
  lappend(body, rows);
}

void k_transpose(LowerCtx *c, LVar *dst, LVar *src, int64_t rows, int64_t cols) {
  LVar *j = lower_local(c, "j", LT_I64), *i = lower_local(c, "i", LT_I64);
  LStmt *outer = lfor(j, ki(0), ki(cols), LF_PARALLEL);
  LStmt *inner = lfor(i, ki(0), ki(rows), LF_VECTOR);
  lappend(inner, lstore(kv(dst), kix(kv(j), rows, kv(i)), kld(src, kix(kv(i), cols, kv(j)))));
  lappend(outer, inner);
  lower_emit(c, outer);
}

LVar *k_softmax_row(LowerCtx *c, LStmt *body, LVar *p, LVar *base, int64_t n, double scale) {
  LVar *mx = lower_local(c, "mx", LT_F32), *sum = lower_local(c, "sum", LT_F32);
  LVar *j1 = lower_local(c, "j", LT_I64), *j2 = lower_local(c, "j", LT_I64);
  LVar *ex = lower_local(c, "e", LT_F32);
  lappend(body, ldecl(mx, lf32(-INFINITY)));
  LStmt *max = lfor(j1, ki(0), ki(n), LF_VECTOR);
  lappend(max, lassign(mx, lbin(LB_MAX, kv(mx), kld(p, kadd(kv(base), kv(j1))))));
  lappend(body, max);
  lappend(body, ldecl(sum, lf32(0)));
  LStmt *exp = lfor(j2, ki(0), ki(n), LF_VECTOR);
  LExpr *x = ksub(kld(p, kadd(kv(base), kv(j2))), kv(mx));
  if (scale != 1) x = kmul(lf32(scale), x);
  /* Terms under exp(-64) = 1.6e-28 are 0: against the row maximum's 1
   * they are far below a float's rounding, and their subnormal results
   * (exp, then the GEMM that multiplies them) cost a microcode assist per
   * lane on x86: attention rows underflow in most of their entries, and
   * mssa_add spent half its time there. The clamp keeps exp's own
   * intermediates normal in the lanes that are then dropped. */
  LVar *arg = lower_local(c, "x", LT_F32);
  lappend(exp, ldecl(arg, x));
  LExpr *e = lun(LU_EXP, lbin(LB_MAX, kv(arg), lf32(-64)));
  lappend(exp, ldecl(ex, lselect(lbin(LB_LT, kv(arg), lf32(-64)), lf32(0), e)));
  lappend(exp, lstore(kv(p), kadd(kv(base), kv(j2)), kv(ex)));
  lappend(exp, lassign(sum, kadd(kv(sum), kv(ex))));
  lappend(body, exp);
  return sum;
}

bool k_unsupported(const IrOp *op, Diag *d, const char *why) {
  diag(d, DIAG_ERROR, "cannot lower '%s' (%%%s): %s", ir_op_name(op->kind), op->results.items[0]->name, why);
  return false;
}
