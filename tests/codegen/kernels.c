#include "kernels.h"

#include <math.h>

static LExpr *V(LVar *v) { return lvar(v); }
static LExpr *at(LVar *p, LExpr *index) { return lload(V(p), index); }
/* r * cols + c */
static LExpr *rc(LVar *r, LVar *cols, LVar *c) { return lbin(LB_ADD, lbin(LB_MUL, V(r), V(cols)), V(c)); }

void build_vadd(LModule *m) {
  LFunc *f = lfunc_new(m, "vadd", true);
  LVar *out = lfunc_param(f, "out", LT_PTR_F32), *a = lfunc_param(f, "a", LT_PTR_F32);
  LVar *b = lfunc_param(f, "b", LT_PTR_F32), *n = lfunc_param(f, "n", LT_I64);
  LVar *i = lfunc_var(f, "i", LT_I64);
  LStmt *loop = lfor(i, li64(0), V(n), LF_VECTOR);
  lappend(loop, lstore(V(out), V(i), lbin(LB_ADD, at(a, V(i)), at(b, V(i)))));
  lappend(f->body, lcomment("out = a + b"));
  lappend(f->body, loop);
}

void build_row_sum(LModule *m) {
  LFunc *f = lfunc_new(m, "row_sum", true);
  LVar *out = lfunc_param(f, "out", LT_PTR_F32), *x = lfunc_param(f, "x", LT_PTR_F32);
  LVar *rows = lfunc_param(f, "rows", LT_I64), *cols = lfunc_param(f, "cols", LT_I64);
  LVar *r = lfunc_var(f, "r", LT_I64), *c = lfunc_var(f, "c", LT_I64), *sum = lfunc_var(f, "sum", LT_F32);
  LStmt *row = lfor(r, li64(0), V(rows), LF_SERIAL);
  lappend(row, ldecl(sum, lf32(0)));
  LStmt *col = lfor(c, li64(0), V(cols), LF_VECTOR);
  lappend(col, lassign(sum, lbin(LB_ADD, V(sum), at(x, rc(r, cols, c)))));
  lappend(row, col);
  lappend(row, lstore(V(out), V(r), V(sum)));
  lappend(f->body, row);
}

void build_layernorm(LModule *m) {
  LFunc *f = lfunc_new(m, "layernorm", true);
  LVar *out = lfunc_param(f, "out", LT_PTR_F32), *x = lfunc_param(f, "x", LT_PTR_F32);
  LVar *gamma = lfunc_param(f, "gamma", LT_PTR_F32), *beta = lfunc_param(f, "beta", LT_PTR_F32);
  LVar *rows = lfunc_param(f, "rows", LT_I64), *cols = lfunc_param(f, "cols", LT_I64);
  LVar *r = lfunc_var(f, "r", LT_I64), *c1 = lfunc_var(f, "c1", LT_I64), *c2 = lfunc_var(f, "c2", LT_I64);
  LVar *c3 = lfunc_var(f, "c3", LT_I64), *mean = lfunc_var(f, "mean", LT_F32);
  LVar *var = lfunc_var(f, "var", LT_F32), *d = lfunc_var(f, "d", LT_F32), *rstd = lfunc_var(f, "rstd", LT_F32);

  LStmt *row = lfor(r, li64(0), V(rows), LF_PARALLEL);
  lappend(row, lcomment("mean and biased variance of row r"));
  lappend(row, ldecl(mean, lf32(0)));
  LStmt *sum = lfor(c1, li64(0), V(cols), LF_VECTOR);
  lappend(sum, lassign(mean, lbin(LB_ADD, V(mean), at(x, rc(r, cols, c1)))));
  lappend(row, sum);
  lappend(row, lassign(mean, lbin(LB_DIV, V(mean), lcast(LT_F32, V(cols)))));
  lappend(row, ldecl(var, lf32(0)));
  LStmt *sq = lfor(c2, li64(0), V(cols), LF_VECTOR);
  lappend(sq, ldecl(d, lbin(LB_SUB, at(x, rc(r, cols, c2)), V(mean))));
  lappend(sq, lassign(var, lbin(LB_ADD, V(var), lbin(LB_MUL, V(d), V(d)))));
  lappend(row, sq);
  LExpr *variance = lbin(LB_DIV, V(var), lcast(LT_F32, V(cols)));
  lappend(row, ldecl(rstd, lbin(LB_DIV, lf32(1), lun(LU_SQRT, lbin(LB_ADD, variance, lf32(1e-5))))));
  LStmt *norm = lfor(c3, li64(0), V(cols), LF_VECTOR);
  LExpr *centred = lbin(LB_MUL, lbin(LB_SUB, at(x, rc(r, cols, c3)), V(mean)), V(rstd));
  lappend(norm, lstore(V(out), rc(r, cols, c3), lbin(LB_ADD, lbin(LB_MUL, centred, at(gamma, V(c3))), at(beta, V(c3)))));
  lappend(row, norm);
  lappend(f->body, row);
}

void build_softmax(LModule *m) {
  LFunc *f = lfunc_new(m, "softmax", true);
  LVar *out = lfunc_param(f, "out", LT_PTR_F32), *x = lfunc_param(f, "x", LT_PTR_F32);
  LVar *rows = lfunc_param(f, "rows", LT_I64), *cols = lfunc_param(f, "cols", LT_I64);
  LVar *r = lfunc_var(f, "r", LT_I64), *c1 = lfunc_var(f, "c1", LT_I64), *c2 = lfunc_var(f, "c2", LT_I64);
  LVar *c3 = lfunc_var(f, "c3", LT_I64), *mx = lfunc_var(f, "mx", LT_F32), *sum = lfunc_var(f, "sum", LT_F32);
  LVar *e = lfunc_var(f, "e", LT_F32), *inv = lfunc_var(f, "inv", LT_F32);

  LStmt *row = lfor(r, li64(0), V(rows), LF_SERIAL);
  lappend(row, ldecl(mx, lf32(-INFINITY)));
  LStmt *max = lfor(c1, li64(0), V(cols), LF_VECTOR);
  lappend(max, lassign(mx, lbin(LB_MAX, V(mx), at(x, rc(r, cols, c1)))));
  lappend(row, max);
  lappend(row, ldecl(sum, lf32(0)));
  LStmt *ex = lfor(c2, li64(0), V(cols), LF_VECTOR);
  lappend(ex, ldecl(e, lun(LU_EXP, lbin(LB_SUB, at(x, rc(r, cols, c2)), V(mx)))));
  lappend(ex, lstore(V(out), rc(r, cols, c2), V(e)));
  lappend(ex, lassign(sum, lbin(LB_ADD, V(sum), V(e))));
  lappend(row, ex);
  lappend(row, ldecl(inv, lbin(LB_DIV, lf32(1), V(sum))));
  LStmt *scale = lfor(c3, li64(0), V(cols), LF_VECTOR);
  lappend(scale, lstore(V(out), rc(r, cols, c3), lbin(LB_MUL, at(out, rc(r, cols, c3)), V(inv))));
  lappend(row, scale);
  lappend(f->body, row);
}

void build_exp_map(LModule *m) {
  LFunc *f = lfunc_new(m, "exp_map", true);
  LVar *out = lfunc_param(f, "out", LT_PTR_F32), *x = lfunc_param(f, "x", LT_PTR_F32);
  LVar *n = lfunc_param(f, "n", LT_I64), *i = lfunc_var(f, "i", LT_I64);
  LStmt *loop = lfor(i, li64(0), V(n), LF_VECTOR);
  lappend(loop, lstore(V(out), V(i), lun(LU_EXP, at(x, V(i)))));
  lappend(f->body, loop);
}

void build_runtime_scratch(LModule *m) {
  LFunc *f = lfunc_new(m, "reverse_double", true);
  LVar *out = lfunc_param(f, "out", LT_PTR_F32), *n = lfunc_param(f, "n", LT_I64);
  LVar *buf = lfunc_var(f, "buf", LT_PTR_F32), *i = lfunc_var(f, "i", LT_I64), *j = lfunc_var(f, "j", LT_I64);
  lappend(f->body, ldecl(buf, V(out)));
  LStmt *alloc = lcall_result(buf, "crt_alloc");
  lcall_arg(alloc, lbin(LB_MUL, V(n), li64(4)));
  lappend(f->body, alloc);
  LStmt *fill = lfor(i, li64(0), V(n), LF_SERIAL);
  lappend(fill, lstore(V(buf), V(i), lbin(LB_MUL, lcast(LT_F32, V(i)), lf32(2))));
  lappend(f->body, fill);
  LStmt *copy = lfor(j, li64(0), V(n), LF_PARALLEL);
  lappend(copy, lstore(V(out), V(j), at(buf, lbin(LB_SUB, lbin(LB_SUB, V(n), li64(1)), V(j)))));
  lappend(f->body, copy);
  LStmt *release = lcall("crt_free");
  lcall_arg(release, V(buf));
  lappend(f->body, release);
}

void build_positive_mask(LModule *m) {
  LFunc *f = lfunc_new(m, "positive_mask", true);
  LVar *out = lfunc_param(f, "out", LT_PTR_I64), *x = lfunc_param(f, "x", LT_PTR_F32);
  LVar *n = lfunc_param(f, "n", LT_I64), *i = lfunc_var(f, "i", LT_I64);
  LStmt *loop = lfor(i, li64(0), V(n), LF_SERIAL);
  LStmt *test = lif(lbin(LB_GT, at(x, V(i)), lf32(0)));
  lappend(test, lstore(V(out), V(i), lbin(LB_ADD, V(i), li64(1))));
  lappend_else(test, lstore(V(out), V(i), lselect(lbin(LB_LT, at(x, V(i)), lf32(0)), li64(-1), li64(0))));
  lappend(loop, test);
  lappend(f->body, loop);
}

void build_gemm(LModule *m) {
  LFunc *f = lfunc_new(m, "gemm", true);
  LVar *c = lfunc_param(f, "c", LT_PTR_F32), *a = lfunc_param(f, "a", LT_PTR_F32);
  LVar *b = lfunc_param(f, "b", LT_PTR_F32), *status = lfunc_param(f, "status", LT_PTR_I64);
  LVar *rows = lfunc_param(f, "m", LT_I64), *cols = lfunc_param(f, "n", LT_I64), *inner = lfunc_param(f, "k", LT_I64);
  LVar *rc = lfunc_var(f, "rc", LT_I64);
  lappend(f->body, ldecl(rc, li64(0)));
  LStmt *call = lcall_result(rc, "crt_sgemm");
  LExpr *args[] = {li64(0), li64(0), V(rows), V(cols), V(inner), V(a), V(inner), V(b), V(cols), lf32(0), V(c), V(cols)};
  for (size_t i = 0; i < sizeof args / sizeof args[0]; i++) lcall_arg(call, args[i]);
  lappend(f->body, lcomment("c = a . b through the runtime's GEMM"));
  lappend(f->body, call);
  lappend(f->body, lstore(V(status), li64(0), V(rc)));
}

static const float blob_values[4] = {1, 2, 3, 4};

void build_blob_scale(LModule *m) {
  LData *blob = lmodule_data(m, "blob", blob_values, sizeof blob_values, 64);
  LFunc *f = lfunc_new(m, "scale_by_blob", true);
  LVar *out = lfunc_param(f, "out", LT_PTR_F32), *n = lfunc_param(f, "n", LT_I64);
  LVar *i = lfunc_var(f, "i", LT_I64);
  LStmt *loop = lfor(i, li64(0), V(n), LF_SERIAL);
  LExpr *w = lload(ldata(blob), lbin(LB_REM, V(i), li64(4)));
  lappend(loop, lstore(V(out), V(i), lbin(LB_MUL, w, lcast(LT_F32, V(i)))));
  lappend(f->body, loop);
}

LModule *build_all_kernels(void) {
  LModule *m = lmodule_new("kernels");
  build_vadd(m);
  build_row_sum(m);
  build_layernorm(m);
  build_softmax(m);
  build_exp_map(m);
  build_runtime_scratch(m);
  build_positive_mask(m);
  build_blob_scale(m);
  build_gemm(m);
  return m;
}
