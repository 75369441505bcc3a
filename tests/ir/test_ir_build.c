/* The builder on every example and test model, its parameters against the
 * reference case's meta.json, and lowering. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "ir_test_util.h"

static void assert_verifies(const Graph *g, const char *what) {
  Captured c;
  capture_begin(&c);
  bool ok = ir_verify(g, &c.d);
  ck_assert_msg(ok, "%s does not verify:\n%s", what, capture_text(&c));
  capture_end(&c);
}

START_TEST(every_model_builds_and_verifies) {
  for (const char *const *m = all_models(); *m; m++) {
    Model *model = load_model(*m);
    Diag d;
    diag_init(&d, stderr);
    Graph *infer = model_inference_graph(model, &d), *train = model_training_graph(model, 0.1, &d);
    ck_assert_msg(infer && train, "%s does not build", *m);
    assert_verifies(infer, *m);
    assert_verifies(train, *m);
    ck_assert_int_eq(infer->params.len, 8 + 8 * model->depth + 4 -
                                            2 * (model->layers[0].has_out_proj ? 0 : model->depth));
    ck_assert_str_eq(infer->outputs.items[0].name, "logits");
    ck_assert_int_eq(ir_type_numel(&infer->outputs.items[0].value->type, 1), model->classes);
    ck_assert_str_eq(train->outputs.items[0].name, "loss");
    ck_assert_int_eq(train->inputs.items[1]->type.dtype, IR_I64);
    ir_graph_free(infer);
    ir_graph_free(train);
    model_free(model);
  }
}
END_TEST

/* meta.json lists every key with its shape, from the reference model. */
static void check_params_against_meta(const char *case_name) {
  char *path = xasprintf("%s/tests/data/%s/meta.json", CRATEC_SOURCE_DIR, case_name);
  char *text = read_file(path);
  /* The cases were written by Python's json, which spells a missing
   * measurement NaN; cJSON (rightly) does not read that. */
  for (char *nan; (nan = strstr(text, "NaN"));) memcpy(nan, "0  ", 3);
  cJSON *meta = cJSON_Parse(text);
  ck_assert_msg(meta, "%s is not JSON", path);
  const cJSON *params = cJSON_GetObjectItemCaseSensitive(meta, "params");
  char *model_path = xasprintf("tests/data/%s/model.crate", case_name);
  Graph *g = build_model_graph(model_path);
  ck_assert_int_eq(cJSON_GetArraySize(params), g->params.len);
  for (int i = 0; i < g->params.len; i++) {
    const IrValue *p = g->params.items[i];
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(params, p->key);
    ck_assert_msg(cJSON_IsArray(shape), "%s: key %s is not in meta.json", case_name, p->key);
    ck_assert_int_eq(cJSON_GetArraySize(shape), p->type.rank);
    for (int k = 0; k < p->type.rank; k++)
      ck_assert_int_eq(cJSON_GetArrayItem(shape, k)->valueint, p->type.dims[k]);
  }
  ir_graph_free(g);
  cJSON_Delete(meta);
  free(model_path);
  free(text);
  free(path);
}

START_TEST(params_are_the_reference_keys) {
  check_params_against_meta("micro");
  check_params_against_meta("custom");
  check_params_against_meta("tiny_fwd");
}
END_TEST

START_TEST(training_graph_takes_the_label_smoothing) {
  Model *m = load_model("tests/data/custom/model.crate");
  Diag d;
  diag_init(&d, stderr);
  Graph *g = model_training_graph(m, m->train.label_smoothing, &d);
  const IrOp *loss = g->outputs.items[0].value->def;
  ck_assert_int_eq(loss->kind, IR_OP_CROSS_ENTROPY);
  ck_assert_double_eq(ir_attr_float(loss, "label_smoothing"), 0.1);
  ir_graph_free(g);
  model_free(m);
}
END_TEST

START_TEST(lowered_graphs_verify_without_composites) {
  for (const char *const *m = all_models(); *m; m++) {
    Graph *g = build_model_graph(*m);
    /* Each mssa becomes 6 primitives (7 with the output projection), each
     * ista 7. */
    int added = 0, ops = g->ops.len;
    for (int i = 0; i < g->ops.len; i++) {
      const IrOp *op = g->ops.items[i];
      if (op->kind == IR_OP_MSSA) added += op->operands.len == 4 ? 6 : 5;
      if (op->kind == IR_OP_ISTA) added += 6;
    }
    Captured c;
    capture_begin(&c);
    ck_assert_msg(ir_expand_composites(g, &c.d), "%s: %s", *m, capture_text(&c));
    capture_end(&c);
    assert_verifies(g, *m);
    for (int i = 0; i < g->ops.len; i++)
      ck_assert(!(ir_op_info(g->ops.items[i]->kind)->flags & IR_FLAG_COMPOSITE));
    ck_assert_int_eq(g->ops.len, ops + added);
    ck_assert_ptr_nonnull(ir_find_value(g, "l0.mssa"));
    ck_assert_int_eq(ir_find_value(g, "l0.out")->def->kind, IR_OP_SHRINK);
    ir_graph_free(g);
  }
}
END_TEST

START_TEST(fixed_batch_verifies) {
  Graph *g = build_model_graph("tests/data/micro/model.crate");
  ir_set_batch(g, 4);
  assert_verifies(g, "micro at batch 4");
  ck_assert_int_eq(g->outputs.items[0].value->type.dims[0], 4);
  ir_graph_free(g);
}
END_TEST

START_TEST(dead_ops_are_removed) {
  Graph *g = build_model_graph("tests/data/micro/model.crate");
  int ops = g->ops.len;
  IrValue *patches = ir_find_value(g, "embed.patches");
  ck_assert_ptr_nonnull(ir_emit1(g, IR_OP_SOFTMAX, &patches, 1, "unused", NULL));
  ck_assert_int_eq(ir_use_count(g, patches), 2);
  ck_assert_int_eq(ir_remove_dead(g), 1);
  ck_assert_int_eq(g->ops.len, ops);
  ck_assert_ptr_null(ir_find_value(g, "unused"));
  ir_graph_free(g);
}
END_TEST

Suite *ir_build_suite(void) {
  Suite *s = suite_create("ir_build");
  TCase *tc = tcase_create("build");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, every_model_builds_and_verifies);
  tcase_add_test(tc, params_are_the_reference_keys);
  tcase_add_test(tc, training_graph_takes_the_label_smoothing);
  tcase_add_test(tc, lowered_graphs_verify_without_composites);
  tcase_add_test(tc, fixed_batch_verifies);
  tcase_add_test(tc, dead_ops_are_removed);
  suite_add_tcase(s, tc);
  return s;
}
