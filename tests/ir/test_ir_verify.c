/* The verifier rejects broken graphs with a message naming the op and value. */
#include <stdlib.h>
#include <string.h>

#include "ir_test_util.h"

static void assert_rejected(const Graph *g, const char *message) {
  Captured c;
  capture_begin(&c);
  ck_assert_msg(!ir_verify(g, &c.d), "verified although broken (expected '%s')", message);
  ck_assert_msg(strstr(capture_text(&c), message), "expected '%s' in:\n%s", message, capture_text(&c));
  capture_end(&c);
}

/* Parses TEXT (which must parse) and expects the verifier to say MESSAGE. */
static void assert_text_rejected(const char *text, const char *message) {
  Captured c;
  capture_begin(&c);
  Graph *g = parse_text(text, &c);
  ck_assert_msg(g, "%s", capture_text(&c));
  capture_end(&c);
  assert_rejected(g, message);
  ir_graph_free(g);
}

START_TEST(shape_mismatch) {
  Graph *g = build_model_graph("tests/data/micro/model.crate");
  IrValue *proj = ir_find_value(g, "embed.proj");
  proj->type.dims[2] = 65;
  assert_rejected(g, "graph micro: op 2 'linear': result %embed.proj is f32[B,16,65], expected f32[B,16,64]");
  /* ... and the consumer now sees a mismatched operand. */
  assert_rejected(g, "op 3 'layernorm' (%embed.norm2): operand 1 (%embed.norm2.w: f32[64]) must have "
                     "dimension 0 equal to 65");
  ir_graph_free(g);
}
END_TEST

/* A fused op's reader part reports in the reader's terms, and says so. */
START_TEST(fused_op_names_its_reader) {
  assert_text_rejected("graph t {\n  input %x : f32[B,5,8]\n  param %g : f32[8] = \"g\"\n"
                       "  param %b : f32[8] = \"b\"\n  param %m : f32[8,6] = \"m\"\n"
                       "  %o = layernorm_ista_apply(%x, %g, %b, %m) {eps = 1e-05, threshold = 0.1} : f32[B,5,8]\n"
                       "  output \"o\" = %o\n}\n",
                       "op 0 'layernorm_ista_apply' (%o): as ista_apply on the normalised x: operand 1 (%m: "
                       "f32[8,6]) must have dimension 1 equal to 8");
}
END_TEST

START_TEST(use_before_definition) {
  Graph *g = build_model_graph("tests/data/micro/model.crate");
  IrOp *first = g->ops.items[0];
  g->ops.items[0] = g->ops.items[1];
  g->ops.items[1] = first;
  assert_rejected(g, "graph micro: op 0 'layernorm' uses %embed.patches before its definition");
  ir_graph_free(g);
}
END_TEST

START_TEST(double_definition) {
  Graph *g = build_model_graph("tests/data/micro/model.crate");
  IrValue *norm = ir_find_value(g, "embed.norm2");
  char *saved = norm->name;
  norm->name = xstrdup("embed.proj");
  assert_rejected(g, "graph micro: value %embed.proj is defined twice");
  free(norm->name);
  norm->name = saved;
  /* The same value listed as the result of two ops. */
  IrOp *op = g->ops.items[3];
  IrValue *own = op->results.items[0];
  op->results.items[0] = g->ops.items[2]->results.items[0];
  assert_rejected(g, "graph micro: result %embed.proj is defined twice");
  op->results.items[0] = own;
  ir_graph_free(g);
}
END_TEST

START_TEST(wrong_dtype) {
  assert_text_rejected("graph g {\n  input %logits : f32[B,10]\n  input %labels : f32[B]\n"
                       "  %loss = cross_entropy(%logits, %labels) {label_smoothing = 0.0} : f32[1]\n"
                       "  output \"loss\" = %loss\n}\n",
                       "graph g: op 0 'cross_entropy' (%loss): operand 1 (%labels: f32[B]) must be i64");
  assert_text_rejected("graph g {\n  input %x : i64[B,4]\n  %y = softmax(%x) : f32[B,4]\n"
                       "  output \"y\" = %y\n}\n",
                       "operand 0 (%x: i64[B,4]) must be f32");
}
END_TEST

START_TEST(attributes_follow_the_schema) {
  assert_text_rejected("graph g {\n  input %x : f32[B,4]\n  %y = scale(%x) : f32[B,4]\n  output \"y\" = %y\n}\n",
                       "op 0 'scale' (%y): missing attribute 'alpha'");
  assert_text_rejected("graph g {\n  input %x : f32[B,4]\n  %y = scale(%x) {alpha = 1.0, beta = 2} : f32[B,4]\n"
                       "  output \"y\" = %y\n}\n",
                       "unknown attribute 'beta' (scale takes: alpha:float)");
  assert_text_rejected("graph g {\n  input %x : f32[B,4]\n  %y = split_heads(%x) {heads = 2.0} : f32[B,4]\n"
                       "  output \"y\" = %y\n}\n",
                       "attribute 'heads' is float, expected int");
  assert_text_rejected("graph g {\n  input %x : f32[B,17,64]\n  %y = pool(%x) {mode = max} : f32[B,64]\n"
                       "  output \"y\" = %y\n}\n",
                       "attribute 'mode' must be cls or mean, found 'max'");
}
END_TEST

START_TEST(graph_level_rules) {
  assert_text_rejected("graph g {\n  input %x : f32[4]\n  param %a : f32[4] = \"k\"\n  param %b : f32[4] = \"k\"\n"
                       "  output \"x\" = %x\n}\n",
                       "parameters %a and %b are both bound to \"k\"");
  assert_text_rejected("graph g {\n  input %x : f32[4,B]\n  output \"x\" = %x\n}\n",
                       "value %x: dimension 1 is B (only the first dimension may be B)");
  assert_text_rejected("graph g {\n  input %x : f32[4]\n}\n", "graph g: has no outputs");
  assert_text_rejected("graph g {\n  input %x : f32[4]\n  %y = softmax(%x, %x) : f32[4]\n  output \"y\" = %y\n}\n",
                       "op 0 'softmax' (%y): takes 1 operands, found 2");
  assert_text_rejected("graph g {\n  input %x : f32[B,4]\n  %y = add(%x, %x) : f32[B,4]\n"
                       "  output \"y\" = %y\n  output \"y\" = %x\n}\n",
                       "output \"y\" is given twice");
  assert_text_rejected("graph g {\n  input %x : f32[B,5,8]\n  %y = merge_heads(%x) : f32[B,5,8]\n"
                       "  output \"y\" = %y\n}\n",
                       "operand 0 (%x: f32[B,5,8]) must have rank 4");
}
END_TEST

/* causal_mask keeps its operand's type, whose last two axes (queries,
 * keys) must be equal. */
START_TEST(causal_mask_shapes) {
  Captured c;
  capture_begin(&c);
  Graph *g = parse_text("graph g {\n  input %s : f32[B,2,5,5]\n  %m = causal_mask(%s) : f32[B,2,5,5]\n"
                        "  %z = causal_mask(%m) {fill = 0.0} : f32[B,2,5,5]\n  output \"z\" = %z\n}\n", &c);
  ck_assert_msg(g && ir_verify(g, &c.d), "%s", capture_text(&c));
  capture_end(&c);
  ir_graph_free(g);
  assert_text_rejected("graph g {\n  input %s : f32[B,2,4,5]\n  %m = causal_mask(%s) : f32[B,2,4,5]\n"
                       "  output \"m\" = %m\n}\n",
                       "op 0 'causal_mask' (%m): operand 0 (%s: f32[B,2,4,5]) must have dimension 2 equal to 5");
  assert_text_rejected("graph g {\n  input %s : f32[5]\n  %m = causal_mask(%s) : f32[5]\n  output \"m\" = %m\n}\n",
                       "operand 0 must have rank 2 or more (queries, keys)");
  assert_text_rejected("graph g {\n  input %s : f32[B,5,5]\n  %m = causal_mask(%s) : f32[B,5,4]\n"
                       "  output \"m\" = %m\n}\n",
                       "result %m is f32[B,5,4], expected f32[B,5,5]");
}
END_TEST

START_TEST(foreign_values_and_dangling_outputs) {
  Graph *g = build_model_graph("tests/data/micro/model.crate");
  Graph *other = build_model_graph("tests/data/custom/model.crate");
  IrOp *op = g->ops.items[0];
  IrValue *mine = op->operands.items[0];
  op->operands.items[0] = other->inputs.items[0];
  assert_rejected(g, "op 0 'patchify' uses %images, which is not a value of this graph");
  op->operands.items[0] = mine;
  IrValue *logits = g->outputs.items[0].value;
  g->outputs.items[0].value = ir_find_value(other, "logits");
  assert_rejected(g, "output \"logits\" is %logits, which is not defined in this graph");
  g->outputs.items[0].value = logits;
  ir_graph_free(other);
  ir_graph_free(g);
}
END_TEST

Suite *ir_verify_suite(void) {
  Suite *s = suite_create("ir_verify");
  TCase *tc = tcase_create("verify");
  tcase_add_test(tc, shape_mismatch);
  tcase_add_test(tc, fused_op_names_its_reader);
  tcase_add_test(tc, use_before_definition);
  tcase_add_test(tc, double_definition);
  tcase_add_test(tc, wrong_dtype);
  tcase_add_test(tc, attributes_follow_the_schema);
  tcase_add_test(tc, graph_level_rules);
  tcase_add_test(tc, causal_mask_shapes);
  tcase_add_test(tc, foreign_values_and_dangling_outputs);
  suite_add_tcase(s, tc);
  return s;
}
