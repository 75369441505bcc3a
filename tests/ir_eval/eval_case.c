#include "eval_case.h"

#include <stdio.h>
#include <string.h>

#include "lower.h"
#include "passes.h"

Diag *stderr_diag(void) {
  static Diag d;
  diag_init(&d, stderr);
  return &d;
}

/* tests/data/NAME, or for CRATE-Tiny (weights not in git) CRATEC_CASES_DIR. */
static const char *case_dir(const char *name, char *buf, size_t size) {
  const char *roots[] = {CRATEC_TEST_DATA, CRATEC_CASES_DIR};
  for (int i = 0; i < 2; i++) {
    snprintf(buf, size, "%s/%s", roots[i], name);
    if (ref_case_has(buf, "weights.safetensors") && ref_case_has(buf, "input.safetensors")) return buf;
  }
  return NULL;
}

bool eval_case_open(EvalCase *c, const char *name) {
  char dir[512], path[600];
  if (!case_dir(name, dir, sizeof dir)) {
    printf("SKIPPED: case %s has no weights in %s or %s\n", name, CRATEC_TEST_DATA, CRATEC_CASES_DIR);
    return false;
  }
  c->name = name;
  crt_error e = {{0}};
  ck_assert_msg(ref_case_open(&c->ref, dir, &e) == 0, "%s", e.msg);
  snprintf(path, sizeof path, "%s/%s/model.crate", CRATEC_TEST_DATA, name);
  char *err = NULL;
  SourceFile *src = source_read(path, &err);
  ck_assert_msg(src, "%s: %s", path, err);
  c->model = frontend_parse(src, stderr_diag());
  source_free(src);
  ck_assert_msg(c->model, "%s does not check", path);
  return true;
}

void eval_case_close(EvalCase *c) {
  ref_case_close(&c->ref);
  model_free(c->model);
}

Graph *eval_case_graph(const EvalCase *c, unsigned flags) {
  Diag *d = stderr_diag();
  Graph *g = flags & GRAPH_TRAIN ? model_training_graph(c->model, c->ref.model.cfg.label_smoothing, d)
                                 : model_inference_graph(c->model, d);
  ck_assert_ptr_nonnull(g);
  if (flags & GRAPH_LOWERED) ck_assert(ir_expand_composites(g, d));
  if (flags & GRAPH_AUTODIFF) ck_assert(pass_autodiff(g, NULL, d));
  if (flags & GRAPH_OPTIMIZED) ck_assert(pipeline_run(g, "test", NULL, &(PipelineOptions){.opt_level = 2}, d));
  ck_assert(ir_verify(g, d));
  return g;
}

IrEval *eval_case_run(const EvalCase *c, const Graph *g) {
  Diag *d = stderr_diag();
  const crate_model *m = &c->ref.model;
  IrEval *ev = ir_eval_new(g, m->B, d);
  ck_assert_ptr_nonnull(ev);
  int bound = 0;
  for (int i = 0; i < m->slots; i++)
    if (m->param[i]) {
      ck_assert(ir_eval_bind_param_key(ev, m->spec[i].key, m->param[i], d));
      bound++;
    }
  ck_assert_int_eq(bound, g->params.len);
  ck_assert(ir_eval_bind_f32(ev, "images", m->images, d));
  if (ir_find_value(g, "labels")) ck_assert(ir_eval_bind_i64(ev, "labels", c->ref.labels, d));
  ck_assert(ir_eval_run(ev, d));
  return ev;
}

const float *eval_value_named(const IrEval *ev, const Graph *g, const char *name) {
  const IrValue *v = ir_find_value(g, name);
  ck_assert_msg(v, "no value %%%s", name);
  const float *data = ir_eval_value(ev, v);
  ck_assert_msg(data, "%%%s was not computed", name);
  return data;
}
