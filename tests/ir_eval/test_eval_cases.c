/* The executor against the PyTorch reference cases: inference logits and
 * every intermediate the case records (features.safetensors), and through
 * autodiff the loss and every parameter gradient, on the graph with its
 * composite ops whole and lowered to primitives. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "case_io.h"
#include "eval_case.h"
#include "ir_text.h"
#include "lower.h"
#include "passes.h"

static const char *const CASES[] = {"micro", "custom", "tiny_fwd"};
enum { TRAIN_CASES = 2 };   /* tiny_fwd has no gradients */

/* The reference model's bounds (tests/reference/test_cases.c): float32
 * lands within 10–100× of the cases' f32-vs-f64 hints. */
#define FEATURES_TOL 1e-4
#define LOSS_TOL 1e-5
#define GRADS_REL_TOL 1e-4

static void check_features(const EvalCase *c, const IrEval *ev, const Graph *g) {
  const crate_model *m = &c->ref.model;
  size_t tokens = (size_t)m->B * m->N * m->cfg.dim;
  check_max_abs(c->ref.features, "embed", eval_value_named(ev, g, "embed"), tokens, FEATURES_TOL);
  for (int l = 0; l < m->cfg.depth; l++) {
    char feature[64], value[64];
    snprintf(feature, sizeof feature, "layers.%d.mssa_out", l);
    snprintf(value, sizeof value, "l%d.z_half", l);
    check_max_abs(c->ref.features, feature, eval_value_named(ev, g, value), tokens, FEATURES_TOL);
    snprintf(feature, sizeof feature, "layers.%d.out", l);
    snprintf(value, sizeof value, "l%d.out", l);
    check_max_abs(c->ref.features, feature, eval_value_named(ev, g, value), tokens, FEATURES_TOL);
  }
  check_max_abs(c->ref.features, "pooled", eval_value_named(ev, g, "pooled"), (size_t)m->B * m->cfg.dim,
                FEATURES_TOL);
}

/* The inference graph as built, lowered to primitives, and through the -O2
 * pipeline (every fused op, in the executor's terms). */
static const struct {
  unsigned flags;
  const char *label;
} INFER_FORMS[] = {{0, ""}, {GRAPH_LOWERED, " (lowered)"}, {GRAPH_OPTIMIZED, " (-O2)"}};
enum { NFORMS = sizeof INFER_FORMS / sizeof *INFER_FORMS };

/* _i: case index × NFORMS + form */
START_TEST(inference_matches_case) {
  EvalCase c;
  if (!eval_case_open(&c, CASES[_i / NFORMS])) return;
  printf("%s inference%s:\n", c.name, INFER_FORMS[_i % NFORMS].label);
  Graph *g = eval_case_graph(&c, INFER_FORMS[_i % NFORMS].flags);
  IrEval *ev = eval_case_run(&c, g);
  const crate_model *m = &c.ref.model;
  double tol = FEATURES_TOL;
  if (!c.ref.features) {   /* CRATE-Tiny: 100× its hint, relative to the largest logit */
    crt_error e = {{0}};
    const cJSON *hint = cJSON_GetObjectItemCaseSensitive(c.ref.meta, "tolerance_hint");
    ck_assert_int_eq(case_json_number(hint, "logits_max_abs_f32_vs_f64", &tol, &e), 0);
    tol *= 100;
  } else {
    check_features(&c, ev, g);
  }
  check_max_abs(c.ref.expected, "logits", ir_eval_output(ev, "logits"), (size_t)m->B * m->cfg.num_classes,
                tol);
  ir_eval_free(ev);
  ir_graph_free(g);
  eval_case_close(&c);
}
END_TEST

START_TEST(training_gradients_match_case) {
  EvalCase c;
  ck_assert(eval_case_open(&c, CASES[_i / 2]));
  bool lowered = _i % 2;
  printf("%s training%s:\n", c.name, lowered ? " (lowered)" : "");
  Graph *g = eval_case_graph(&c, GRAPH_TRAIN | GRAPH_AUTODIFF | (lowered ? GRAPH_LOWERED : 0));
  IrEval *ev = eval_case_run(&c, g);
  check_max_abs(c.ref.expected, "loss", ir_eval_output(ev, "loss"), 1, LOSS_TOL);
  ck_assert_int_eq(g->params.len, crt_st_count(c.ref.grads));
  double worst = 0;
  for (int i = 0; i < g->params.len; i++) {
    const IrValue *p = g->params.items[i];
    const float *grad = ir_eval_output(ev, p->key);
    ck_assert_msg(grad, "no gradient output \"%s\"", p->key);
    double err = check_relative(c.ref.grads, p->key, grad, (size_t)ir_eval_numel(ev, p), GRADS_REL_TOL);
    if (err > worst) worst = err;
  }
  printf("  worst relative gradient error: %.3g over %d parameters\n", worst, g->params.len);
  ir_eval_free(ev);
  ir_graph_free(g);
  eval_case_close(&c);
}
END_TEST

/* The gradient outputs come in g->params order, after loss and logits. */
START_TEST(autodiff_outputs_follow_params) {
  EvalCase c;
  ck_assert(eval_case_open(&c, "micro"));
  Graph *g = eval_case_graph(&c, GRAPH_TRAIN | GRAPH_AUTODIFF | (_i ? GRAPH_LOWERED : 0));
  ck_assert_int_eq(g->outputs.len, 2 + g->params.len);
  ck_assert_str_eq(g->outputs.items[0].name, "loss");
  ck_assert_str_eq(g->outputs.items[1].name, "logits");
  for (int i = 0; i < g->params.len; i++) {
    const IrOutput *o = &g->outputs.items[2 + i];
    ck_assert_str_eq(o->name, g->params.items[i]->key);
    ck_assert(ir_type_eq(&o->value->type, &g->params.items[i]->type));
    ck_assert(ir_op_info(o->value->def->kind)->flags & IR_FLAG_GRAD || o->value->def->kind == IR_OP_ADD);
  }
  ir_graph_free(g);
  eval_case_close(&c);
}
END_TEST

/* print(parse(print(g))) == print(g), and the parsed graph verifies. */
START_TEST(autodiff_text_round_trips) {
  EvalCase c;
  ck_assert(eval_case_open(&c, CASES[_i / 2]));
  Graph *g = eval_case_graph(&c, GRAPH_TRAIN | GRAPH_AUTODIFF | (_i % 2 ? GRAPH_LOWERED : 0));
  char *text = ir_print_string(g);
  Graph *back = test_parse_ir("autodiff.ir", text);
  char *again = ir_print_string(back);
  ck_assert_str_eq(again, text);
  free(again);
  ir_graph_free(back);
  free(text);
  ir_graph_free(g);
  eval_case_close(&c);
}
END_TEST

/* A parameter the loss does not reach gets an all-zero gradient output. */
START_TEST(unused_parameter_gets_zero_gradient) {
  const char *text = "graph unused {\n  input %x : f32[2,3]\n  input %labels : i64[2]\n"
                     "  param %w : f32[3,3] = \"w\"\n  param %v : f32[4] = \"v\"\n"
                     "  %logits = linear(%x, %w) : f32[2,3]\n"
                     "  %loss = cross_entropy(%logits, %labels) {label_smoothing = 0.0} : f32[1]\n"
                     "  output \"loss\" = %loss\n}\n";
  Diag *d = stderr_diag();
  Graph *g = test_parse_ir("unused.ir", text);
  ck_assert(pass_autodiff(g, NULL, d) && ir_verify(g, d));
  IrEval *ev = ir_eval_new(g, 1, d);
  const float x[6] = {1, 2, 3, -1, 0, 1}, w[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, v[4] = {5, 6, 7, 8};
  const int64_t labels[2] = {0, 2};
  ck_assert(ir_eval_bind_f32(ev, "x", x, d) && ir_eval_bind_i64(ev, "labels", labels, d));
  ck_assert(ir_eval_bind_param_key(ev, "w", w, d) && ir_eval_bind_param_key(ev, "v", v, d));
  ck_assert(ir_eval_run(ev, d));
  const float *dv = ir_eval_output(ev, "v"), *dw = ir_eval_output(ev, "w");
  for (int i = 0; i < 4; i++) ck_assert_float_eq(dv[i], 0.0f);
  /* w is the identity: dW = dlogitsᵀ x with dlogits = (softmax(x) − onehot)/2 */
  double row0 = exp(1) + exp(2) + exp(3);
  ck_assert_double_eq_tol(dw[0], (exp(1) / row0 - 1) / 2 * 1 + (exp(-1) / (exp(-1) + 1 + exp(1))) / 2 * -1,
                          1e-6);
  ir_eval_free(ev);
  ir_graph_free(g);
}
END_TEST

Suite *eval_cases_suite(void) {
  Suite *s = suite_create("ir_eval: reference cases");
  TCase *tc = tcase_create("cases");
  tcase_set_timeout(tc, 900);
  int n = (int)(sizeof CASES / sizeof *CASES);
  tcase_add_loop_test(tc, inference_matches_case, 0, NFORMS * n);
  tcase_add_loop_test(tc, training_gradients_match_case, 0, 2 * TRAIN_CASES);
  tcase_add_loop_test(tc, autodiff_outputs_follow_params, 0, 2);
  tcase_add_loop_test(tc, autodiff_text_round_trips, 0, 2 * TRAIN_CASES);
  tcase_add_test(tc, unused_parameter_gets_zero_gradient);
  suite_add_tcase(s, tc);
  return s;
}
