/* The text form: the micro model's golden dump, print/parse round trips,
 * parse errors, and the graphviz form. */
#include <stdlib.h>
#include <string.h>

#include "ir_test_util.h"

/* tests/ir/micro.ir is the reviewed dump of the micro case; regenerate it
 * only on purpose: cratec build tests/data/micro/model.crate --emit ir -o tests/ir/micro.ir */
START_TEST(micro_matches_golden) {
  Graph *g = build_model_graph("tests/data/micro/model.crate");
  char *text = ir_print_string(g);
  char *golden = read_file(IR_TEST_DIR "/micro.ir");
  ck_assert_str_eq(text, golden);
  free(golden);
  free(text);
  ir_graph_free(g);
}
END_TEST

static void assert_round_trip(const Graph *g, const char *what) {
  char *first = ir_print_string(g);
  Captured c;
  capture_begin(&c);
  Graph *back = parse_text(first, &c);
  ck_assert_msg(back, "%s does not parse back:\n%s", what, capture_text(&c));
  ck_assert_msg(ir_verify(back, &c.d), "%s parsed back does not verify:\n%s", what, capture_text(&c));
  capture_end(&c);
  char *second = ir_print_string(back);
  ck_assert_str_eq(second, first);
  Graph *copy = ir_graph_clone(back);
  char *third = ir_print_string(copy);
  ck_assert_str_eq(third, first);
  free(third);
  free(second);
  free(first);
  ir_graph_free(copy);
  ir_graph_free(back);
}

START_TEST(every_model_round_trips) {
  for (const char *const *m = all_models(); *m; m++) {
    Model *model = load_model(*m);
    Diag d;
    diag_init(&d, stderr);
    Graph *train = model_training_graph(model, 0.1, &d);
    assert_round_trip(train, *m);
    ck_assert(ir_expand_composites(train, &d));
    assert_round_trip(train, *m);
    ir_graph_free(train);
    model_free(model);
  }
}
END_TEST

START_TEST(attributes_of_every_type_round_trip) {
  const char *text = "graph t {\n"
                     "  input %x : f32[B,4]\n"
                     "  %y = scale(%x) {alpha = 3} : f32[B,4]\n"
                     "  %z = pool(%y) {mode = \"odd \\\"mode\\\"\"} : f32[B,4]\n"
                     "  output \"y\" = %y\n"
                     "}\n";
  Captured c;
  capture_begin(&c);
  Graph *g = parse_text(text, &c);
  ck_assert_msg(g, "%s", capture_text(&c));
  capture_end(&c);
  ck_assert_double_eq(ir_attr_float(g->ops.items[0], "alpha"), 3.0);
  ck_assert_str_eq(ir_attr_str(g->ops.items[1], "mode"), "odd \"mode\"");
  ir_set_ints(g->ops.items[1], "sizes", (const int64_t[]){1, -2, 3}, 3);
  ir_set_float(g->ops.items[1], "third", 1.0 / 3.0);
  char *printed = ir_print_string(g);
  ck_assert_ptr_nonnull(strstr(printed, "{alpha = 3.0}"));
  ck_assert_ptr_nonnull(strstr(printed, "sizes = [1, -2, 3], third = 0.3333333333333333}"));
  Graph *back = parse_text(printed, &c);
  char *again = ir_print_string(back);
  ck_assert_str_eq(again, printed);
  free(again);
  free(printed);
  ir_graph_free(back);
  ir_graph_free(g);
}
END_TEST

static void assert_parse_error(const char *text, const char *message) {
  Captured c;
  capture_begin(&c);
  Graph *g = parse_text(text, &c);
  ck_assert_msg(!g, "parsed although bad: %s", text);
  ck_assert_msg(strstr(capture_text(&c), message), "expected '%s' in:\n%s", message, capture_text(&c));
  capture_end(&c);
}

START_TEST(parse_errors_name_the_place) {
  assert_parse_error("graph g {\n  input %x : f32[B,4]\n  %y = softmx(%x) : f32[B,4]\n}\n",
                     "test.ir:3:8: error: unknown op 'softmx'; did you mean 'softmax'?");
  assert_parse_error("graph g {\n  %y = softmax(%x) : f32[B,4]\n}\n",
                     "test.ir:2:16: error: use of undefined value %x");
  assert_parse_error("graph g {\n  input %x : f32[B,4]\n  input %x : f32[4]\n}\n",
                     "test.ir:3:9: error: value %x is defined twice");
  assert_parse_error("graph g {\n  input %x : f16[B,4]\n}\n",
                     "test.ir:2:14: error: expected a type (f32[...] or i64[...]), found 'f16'");
  assert_parse_error("graph g {\n  input %x : f32[B,4,1,1,1]\n}\n", "a type has at most 4 dimensions");
  assert_parse_error("graph g {\n  input %x : f32[0]\n}\n", "dimension 0 is out of range");
  assert_parse_error("graph g {\n  input %x : f32[4]\n  %a, %b = softmax(%x) : f32[4]\n}\n",
                     "1 result types for 2 results");
  assert_parse_error("graph g {\n  input %x : f32[4]\n  %a = scale(%x) {alpha = 1, alpha = 2} : f32[4]\n}\n",
                     "attribute 'alpha' is given twice");
  assert_parse_error("graph g {\n  input %x : f32[4]\n}\n}\n", "expected the end of the file after the graph");
  assert_parse_error("graph g {\n  input %x : f32[4]\n", "expected '}', found the end of the file");
  /* Every bad line is reported, not only the first. */
  assert_parse_error("graph g {\n  bogus\n  input %x : f32[0]\n}\n", "test.ir:3:18: error: dimension 0");
  assert_parse_error("graph g {\n  input %x : f32[99999999999999999999]\n}\n", "out of range");
  assert_parse_error("graph g {\n  input %x \x01 f32[4]\n}\n", "expected ':'");
}
END_TEST

START_TEST(dot_draws_every_op_and_edge) {
  Graph *g = build_model_graph("tests/data/micro/model.crate");
  char *buf = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&buf, &size);
  ir_print_dot(f, g);
  fclose(f);
  ck_assert_ptr_nonnull(strstr(buf, "digraph \"micro\" {"));
  ck_assert_ptr_nonnull(strstr(buf, "[label=\"mssa\\nheads=2\\ndim_head=32\\nscale=0.176777\", shape=box, style=\"filled,bold\""));
  ck_assert_ptr_nonnull(strstr(buf, " -> op1 [label=\"f32[B,16,192]\"];"));
  int edges = 0;
  for (const char *p = buf; (p = strstr(p, " -> ")); p++) edges++;
  int operands = g->outputs.len;
  for (int i = 0; i < g->ops.len; i++) operands += g->ops.items[i]->operands.len;
  ck_assert_int_eq(edges, operands);
  ck_assert_int_eq(buf[size - 2], '}');
  free(buf);
  ir_graph_free(g);
}
END_TEST

Suite *ir_text_suite(void) {
  Suite *s = suite_create("ir_text");
  TCase *tc = tcase_create("text");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, micro_matches_golden);
  tcase_add_test(tc, every_model_round_trips);
  tcase_add_test(tc, attributes_of_every_type_round_trip);
  tcase_add_test(tc, parse_errors_name_the_place);
  tcase_add_test(tc, dot_draws_every_op_and_edge);
  suite_add_tcase(s, tc);
  return s;
}
