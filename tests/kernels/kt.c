#include "kt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

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

/* lower_flat's one-function form: every value in its own arena slot. */
static LModule *lower_graph(Graph *g, int64_t batch, int64_t *offset, int64_t *floats) {
  Target target;
  target_detect_host(&target);
  Diag d;
  diag_init(&d, stderr);
  FlatLowering flat;
  ck_assert_msg(lower_flat(g, batch, &target, false, &flat, &d), "lowering failed");
  memcpy(offset, flat.offset, (size_t)g->next_value_id * sizeof *offset);
  *floats = flat.floats;
  LModule *m = flat.module;
  flat.module = NULL;
  flat_lowering_free(&flat);
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
  t->fn = (void (*)(float *, int64_t *, int64_t))loaded_symbol(&t->lib, "all");
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
  for (int64_t i = 0; i < n; i++)
    if (isfinite(want[i])) sq += (double)want[i] * want[i];
  double floor = n ? sqrt(sq / (double)n) : 0;
  for (int64_t i = 0; i < n; i++)
    ck_assert_msg(got[i] == want[i] || fabs((double)got[i] - want[i]) <= tol * (fabs(want[i]) + floor),
                  "%s at %lld: got %.9g, want %.9g", what, (long long)i, got[i], want[i]);
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
