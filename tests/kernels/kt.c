#include "kt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"

static Graph *parse_verified(const char *ir) {
  SourceFile *src = source_from_string("test.ir", ir, strlen(ir));
  Diag d;
  diag_init(&d, stderr);
  Graph *g = ir_parse(src, &d);
  ck_assert_msg(g != NULL, "IR does not parse");
  ck_assert_msg(ir_verify(g, &d), "IR does not verify");
  source_free(src);
  return g;
}

Graph *kt_parse(const char *ir) { return parse_verified(ir); }

/* Binds every value, lowers every op; returns the module and the arena size. */
static LModule *lower_graph(Graph *g, int64_t batch, int64_t *offset, int64_t *floats) {
  LModule *m = lmodule_new("kt");
  LFunc *f = lfunc_new(m, "k", true);
  LVar *arena = lfunc_param(f, "arena", LT_PTR_F32), *labels = lfunc_param(f, "labels", LT_PTR_I64);
  LVar *bvar = lfunc_param(f, "batch", LT_I64);
  Target target;
  target_detect_host(&target);
  LowerCtx *c = lower_ctx_new(m, f, bvar, &target);
  int64_t at = 0;
  VEC(IrValue *) all = {0};
  for (int i = 0; i < g->inputs.len; i++) vec_push(&all, g->inputs.items[i]);
  for (int i = 0; i < g->params.len; i++) vec_push(&all, g->params.items[i]);
  for (int i = 0; i < g->ops.len; i++)
    for (int j = 0; j < g->ops.items[i]->results.len; j++) vec_push(&all, g->ops.items[i]->results.items[j]);
  for (int i = 0; i < all.len; i++) {
    IrValue *v = all.items[i];
    if (v->type.dtype == IR_I64) {
      lower_bind(c, v, labels, 0, 0);
      continue;
    }
    offset[v->id] = at;
    lower_bind(c, v, arena, at, 0);
    at += (ir_type_numel(&v->type, batch) + 15) / 16 * 16;
  }
  free(all.items);
  lower_set_scratch_base(c, arena, at, 0);
  Diag d;
  diag_init(&d, stderr);
  for (int i = 0; i < g->ops.len; i++) {
    const IrOp *op = g->ops.items[i];
    KernelFn k = kernel_for(op->kind);
    ck_assert_msg(k != NULL, "no emitter for '%s'", ir_op_name(op->kind));
    lower_begin_op(c);
    ck_assert_msg(k(c, op, &d), "emitter for '%s' failed", ir_op_name(op->kind));
  }
  int64_t peak, peak_per_batch;
  lower_scratch_peak(c, &peak, &peak_per_batch);
  *floats = at + 16 + peak + peak_per_batch * batch;
  lower_ctx_free(c);
  ck_assert_msg(lmodule_verify(m, &d), "the emitted loop IR does not verify");
  return m;
}

void kt_open(KTest *t, const char *ir, int64_t batch, const char *backend) {
  kt_open_graph(t, parse_verified(ir), batch, backend);
}

void kt_open_graph(KTest *t, Graph *g, int64_t batch, const char *backend) {
  memset(t, 0, sizeof *t);
  t->g = g;
  t->batch = batch;
  t->offset = calloc((size_t)t->g->next_value_id, sizeof *t->offset);
  int64_t floats;
  LModule *m = lower_graph(t->g, batch, t->offset, &floats);
  load_module(m, backend, &t->lib);
  lmodule_free(m);
  t->fn = (void (*)(float *, int64_t *, int64_t))loaded_symbol(&t->lib, "k");
  t->arena = aligned_alloc(64, (size_t)(floats + 15) / 16 * 64);
  /* NaN everywhere: a kernel that reads what it never wrote shows. */
  for (int64_t i = 0; i < floats; i++) t->arena[i] = NAN;
  t->labels = calloc((size_t)batch, sizeof *t->labels);
}

void kt_close(KTest *t) {
  unload_module(&t->lib);
  ir_graph_free(t->g);
  free(t->offset);
  free(t->arena);
  free(t->labels);
}

void kt_run(KTest *t) { t->fn(t->arena, t->labels, t->batch); }

static IrValue *value(KTest *t, const char *name) {
  IrValue *v = ir_find_value(t->g, name);
  ck_assert_msg(v != NULL, "no value %%%s", name);
  return v;
}

float *kt_at(KTest *t, const char *name) { return t->arena + t->offset[value(t, name)->id]; }
int64_t kt_numel(KTest *t, const char *name) { return ir_type_numel(&value(t, name)->type, t->batch); }

void kt_fill(float *x, int64_t n, unsigned seed, float lo, float hi) {
  for (int64_t i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = lo + (hi - lo) * (float)(seed >> 8) / (float)(1u << 24);
  }
}

void kt_fill_all(KTest *t, unsigned seed, float lo, float hi) {
  for (int i = 0; i < t->g->inputs.len + t->g->params.len; i++) {
    IrValue *v = i < t->g->inputs.len ? t->g->inputs.items[i] : t->g->params.items[i - t->g->inputs.len];
    if (v->type.dtype == IR_F32)
      kt_fill(t->arena + t->offset[v->id], ir_type_numel(&v->type, t->batch), seed + (unsigned)i * 7919u, lo, hi);
  }
}

void kt_close_to(const float *got, const float *want, int64_t n, double tol, const char *what) {
  double sq = 0;
  for (int64_t i = 0; i < n; i++) sq += (double)want[i] * want[i];
  double floor = n ? sqrt(sq / (double)n) : 0;
  for (int64_t i = 0; i < n; i++)
    ck_assert_msg(fabs((double)got[i] - want[i]) <= tol * (fabs(want[i]) + floor), "%s at %lld: got %.9g, want %.9g",
                  what, (long long)i, got[i], want[i]);
}

char *kt_loops(const char *ir) {
  Graph *g = parse_verified(ir);
  int64_t *offset = calloc((size_t)g->next_value_id, sizeof *offset), floats;
  LModule *m = lower_graph(g, 1, offset, &floats);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  lmodule_print(f, m);
  fclose(f);
  lmodule_free(m);
  free(offset);
  ir_graph_free(g);
  return text;
}
