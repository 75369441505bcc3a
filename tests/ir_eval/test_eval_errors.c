/* Bad inputs to the executor and to autodiff: each is a named error and a
 * false or NULL result, never a crash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval_case.h"
#include "ir_text.h"
#include "lower.h"
#include "passes.h"

typedef struct Captured {
  Diag d;
  char *buf;
  size_t size;
  FILE *f;
} Captured;

static void capture_begin(Captured *c) {
  c->buf = NULL;
  c->size = 0;
  c->f = open_memstream(&c->buf, &c->size);
  diag_init(&c->d, c->f);
}

static void expect_message(Captured *c, const char *part) {
  fflush(c->f);
  ck_assert_msg(c->buf && strstr(c->buf, part), "expected \"%s\" in: %s", part, c->buf ? c->buf : "");
  fclose(c->f);
  free(c->buf);
  capture_begin(c);
}

/* Ends a test: the capture, the graph and the case (C may be NULL). */
static void finish(Captured *cap, Graph *g, EvalCase *c) {
  fclose(cap->f);
  free(cap->buf);
  ir_graph_free(g);
  if (c) eval_case_close(c);
}

static Graph *micro_graph(EvalCase *c, unsigned flags) {
  ck_assert(eval_case_open(c, "micro"));
  return eval_case_graph(c, flags);
}

START_TEST(bad_bindings_are_named) {
  EvalCase c;
  Graph *g = micro_graph(&c, GRAPH_TRAIN);
  Captured cap;
  capture_begin(&cap);
  ck_assert_ptr_null(ir_eval_new(g, 0, &cap.d));
  expect_message(&cap, "batch size must be at least 1, got 0");
  IrEval *ev = ir_eval_new(g, 2, &cap.d);
  float x[4] = {0};
  int64_t labels[2] = {0, 1};
  ck_assert(!ir_eval_bind_param_key(ev, "no.such.weight", x, &cap.d));
  expect_message(&cap, "has no parameter \"no.such.weight\"");
  ck_assert(!ir_eval_bind_param(ev, 99, x, &cap.d));
  expect_message(&cap, "has no parameter 99");
  ck_assert(!ir_eval_bind_f32(ev, "labels", x, &cap.d));
  expect_message(&cap, "input %labels is i64, bound with f32 data");
  ck_assert(!ir_eval_bind_i64(ev, "pixels", labels, &cap.d));
  expect_message(&cap, "has no input %pixels");
  ck_assert(!ir_eval_run(ev, &cap.d));
  expect_message(&cap, "parameter \"cls_token\" is not bound");
  ck_assert_ptr_null(ir_eval_output(ev, "logits"));
  ir_eval_free(ev);
  finish(&cap, g, &c);
}
END_TEST

START_TEST(label_out_of_range_names_the_op) {
  EvalCase c;
  Graph *g = micro_graph(&c, GRAPH_TRAIN);
  c.ref.labels[1] = 10;
  Captured cap;
  capture_begin(&cap);
  IrEval *ev = ir_eval_new(g, c.ref.model.B, &cap.d);
  for (int i = 0; i < g->params.len; i++) {
    const IrValue *p = g->params.items[i];
    float *zeros = calloc((size_t)ir_eval_numel(ev, p), sizeof *zeros);
    ck_assert(ir_eval_bind_param(ev, i, zeros, &cap.d));
    free(zeros);
  }
  ck_assert(ir_eval_bind_f32(ev, "images", c.ref.model.images, &cap.d));
  ck_assert(ir_eval_bind_i64(ev, "labels", c.ref.labels, &cap.d));
  ck_assert(!ir_eval_run(ev, &cap.d));
  expect_message(&cap, "'cross_entropy' (%loss)");
  ck_assert_ptr_null(ir_eval_output(ev, "loss"));
  ir_eval_free(ev);
  finish(&cap, g, &c);
}
END_TEST

START_TEST(autodiff_needs_an_undifferentiated_training_graph) {
  EvalCase c;
  Graph *g = micro_graph(&c, 0);
  Captured cap;
  capture_begin(&cap);
  ck_assert(!pass_autodiff(g, NULL, &cap.d));
  expect_message(&cap, "autodiff: graph micro has no \"loss\" output");
  ir_graph_free(g);
  g = eval_case_graph(&c, GRAPH_TRAIN | GRAPH_AUTODIFF);
  ck_assert(!pass_autodiff(g, NULL, &cap.d));
  expect_message(&cap, "already has a gradient output \"pos_embedding\"");
  finish(&cap, g, &c);
}
END_TEST

/* A graph whose loss depends on an op autodiff has no rule for. */
START_TEST(autodiff_names_an_op_it_cannot_differentiate) {
  const char *text =
      "graph odd {\n"
      "  input %images : f32[2,3,4,4]\n"
      "  input %labels : i64[2]\n"
      "  param %w : f32[2,3,4,4] = \"w\"\n"
      "  %x = add(%images, %w) : f32[2,3,4,4]\n"
      "  %p = patchify(%x) {p1 = 4, p2 = 4} : f32[2,1,48]\n"
      "  %pooled = pool(%p) {mode = cls} : f32[2,48]\n"
      "  %loss = cross_entropy(%pooled, %labels) {label_smoothing = 0.0} : f32[1]\n"
      "  output \"loss\" = %loss\n"
      "}\n";
  Graph *g = test_parse_ir("odd.ir", text);
  Captured cap;
  capture_begin(&cap);
  ck_assert(!pass_autodiff(g, NULL, &cap.d));
  expect_message(&cap, "cannot differentiate op 'patchify' (%p)");
  finish(&cap, g, NULL);
}
END_TEST

Suite *eval_errors_suite(void) {
  Suite *s = suite_create("ir_eval: errors");
  TCase *tc = tcase_create("errors");
  tcase_add_test(tc, bad_bindings_are_named);
  tcase_add_test(tc, label_out_of_range_names_the_op);
  tcase_add_test(tc, autodiff_needs_an_undifferentiated_training_graph);
  tcase_add_test(tc, autodiff_names_an_op_it_cannot_differentiate);
  suite_add_tcase(s, tc);
  return s;
}
