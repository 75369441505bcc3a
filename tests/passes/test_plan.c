/* Memory planning: no two values alive at the same time share memory
 * (every pair checked), every value fits its region, and the arena is no
 * larger than the values laid end to end. */
#include <stdlib.h>

#include "passes_test.h"

static void run_o(Graph *g, int level) {
  Diag d;
  diag_init(&d, stderr);
  PipelineOptions o = {.opt_level = level};
  ck_assert(pipeline_run(g, "test", pt_target(), &o, &d));
}

/* The results of G's ops, in program order. */
static int results(const Graph *g, const IrValue **out) {
  int n = 0;
  for (int i = 0; i < g->ops.len; i++)
    for (int r = 0; r < g->ops.items[i]->results.len; r++) out[n++] = g->ops.items[i]->results.items[r];
  return n;
}

static void check_plan(const Graph *g, const MemPlan *p) {
  const IrValue **v = xmalloc(((size_t)g->next_value_id + 1) * sizeof *v);
  int n = results(g, v);
  for (int i = 0; i < n; i++) {
    int a = v[i]->id;
    ck_assert_msg(p->planned[a], "%%%s is not planned", v[i]->name);
    int64_t size = plan_value_floats(&v[i]->type);
    ck_assert_int_eq(p->offset[a] % 16, 0);
    ck_assert_int_le(p->offset[a] + size, p->per_batch[a] ? p->batch : p->fixed);
    for (int j = 0; j < i; j++) {
      int b = v[j]->id;
      if (p->per_batch[a] != p->per_batch[b]) continue;
      bool alive_together = p->first[a] <= p->last[b] && p->first[b] <= p->last[a];
      bool overlap = p->offset[a] < p->offset[b] + plan_value_floats(&v[j]->type) && p->offset[b] < p->offset[a] + size;
      ck_assert_msg(!(alive_together && overlap), "%%%s and %%%s are alive together and share memory", v[i]->name,
                    v[j]->name);
    }
  }
  free(v);
  ck_assert_int_le(plan_floats(p, 32), plan_naive_floats(g, p, 32));
}

START_TEST(chain_needs_two_slots) {
  Graph *g = pt_graph_file("chain.ir");
  MemPlan *p = plan_memory(g, NULL, NULL);
  check_plan(g, p);
  /* 4·8 = 32 floats per image each; two alive at once. */
  ck_assert_int_eq(p->batch, 64);
  ck_assert_int_eq(p->fixed, 0);
  ck_assert_int_eq(plan_naive_floats(g, p, 1), 128);
  plan_free(p);
  ir_graph_free(g);
}
END_TEST

/* An external value (an ABI output) and a skipped op's results are not
 * planned. */
START_TEST(external_and_skipped_not_planned) {
  Graph *g = pt_graph_file("chain.ir");
  bool *external = xcalloc((size_t)g->next_value_id + 1, sizeof *external);
  bool skip[4] = {true, false, false, false};
  const IrValue *d = ir_find_value(g, "d");
  external[d->id] = true;
  MemPlan *p = plan_memory(g, external, skip);
  ck_assert(!p->planned[d->id]);
  ck_assert(!p->planned[ir_find_value(g, "a")->id]);
  ck_assert(p->planned[ir_find_value(g, "b")->id]);
  ck_assert_int_eq(p->batch, 64);
  plan_free(p);
  free(external);
  ir_graph_free(g);
}
END_TEST

static void check_model(const char *name, bool training, int level) {
  Graph *g = pt_graph_model(name, training);
  run_o(g, level);
  MemPlan *p = plan_memory(g, NULL, NULL);
  check_plan(g, p);
  /* Reuse pays: a real model's arena is well under the sum. */
  ck_assert_int_lt(2 * plan_floats(p, 32), plan_naive_floats(g, p, 32));
  plan_free(p);
  ir_graph_free(g);
}

START_TEST(micro_inference_o0) { check_model("micro", false, 0); }
END_TEST
START_TEST(micro_inference_o2) { check_model("micro", false, 2); }
END_TEST
START_TEST(micro_training_o2) { check_model("micro", true, 2); }
END_TEST
START_TEST(custom_training_o0) { check_model("custom", true, 0); }
END_TEST

/* A fixed batch puts everything in the fixed region. */
START_TEST(fixed_batch_is_fixed_region) {
  Graph *g = pt_graph_model("micro", false);
  ir_set_batch(g, 4);
  run_o(g, 2);
  MemPlan *p = plan_memory(g, NULL, NULL);
  check_plan(g, p);
  ck_assert_int_eq(p->batch, 0);
  ck_assert_int_gt(p->fixed, 0);
  plan_free(p);
  ir_graph_free(g);
}
END_TEST

/* An inference entry's plan hoists the ops computed from parameters alone
 * (at -O2 the packed weights and the folded ISTA matrices) and plans
 * neither their results nor the graph's outputs; training hoists nothing. */
START_TEST(entry_plan_hoists_parameter_ops) {
  Graph *g = pt_graph_model("micro", false);
  run_o(g, 2);
  MemPlan *p = plan_entry(g, true);
  int hoisted = 0;
  for (int i = 0; i < g->ops.len; i++) {
    const IrOp *op = g->ops.items[i];
    bool batch = op->results.items[0]->type.dims[0] == IR_BATCH;
    ck_assert_msg(!(batch && p->hoisted[i]), "op %d '%s' grows with the batch but is hoisted", i, ir_op_name(op->kind));
    hoisted += p->hoisted[i];
    for (int r = 0; r < op->results.len; r++) {
      const IrValue *v = op->results.items[r];
      ck_assert_msg(p->planned[v->id] == !(p->hoisted[i] || ir_is_output(g, v)), "%%%s", v->name);
    }
  }
  ck_assert_int_ge(hoisted, 2 * 3);   /* per layer: transpose(U), transpose(W_o), ista_matrix */
  plan_free(p);
  ir_graph_free(g);
  g = pt_graph_model("micro", true);
  run_o(g, 2);
  p = plan_entry(g, false);
  ck_assert_ptr_null(p->hoisted);
  plan_free(p);
  ir_graph_free(g);
}
END_TEST

Suite *plan_suite(void) {
  Suite *s = suite_create("plan_memory");
  TCase *tc = tcase_create("plan");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, chain_needs_two_slots);
  tcase_add_test(tc, external_and_skipped_not_planned);
  tcase_add_test(tc, entry_plan_hoists_parameter_ops);
  tcase_add_test(tc, micro_inference_o0);
  tcase_add_test(tc, micro_inference_o2);
  tcase_add_test(tc, micro_training_o2);
  tcase_add_test(tc, custom_training_o0);
  tcase_add_test(tc, fixed_batch_is_fixed_region);
  suite_add_tcase(s, tc);
  return s;
}
