/* ir_op_flops, which `bench --profile` divides by each kernel's time:
 * micro's -O2 inference graph counts the model's work with ISTA folded, and
 * the training graph's GEMM kernels, backward ones included, count the
 * products they run, in proportion to the batch. */
#include "passes_test.h"

static void optimize(Graph *g) {
  Diag d;
  diag_init(&d, stderr);
  ck_assert(pipeline_run(g, "test", pt_target(), &(PipelineOptions){.opt_level = 2}, &d));
}

static int64_t graph_flops(const Graph *g, int64_t batch) {
  int64_t sum = 0;
  for (int i = 0; i < g->ops.len; i++) sum += ir_op_flops(g->ops.items[i], batch);
  return sum;
}

/* model_flops(micro) is 1935104 per image (tests/frontend); the folded
 * ISTA runs one of its three 17·64·64 products (2 layers × 2 products ×
 * 2·17·64·64 = 557056 less), and ista_matrix's 2·64³ per layer once per
 * call. */
START_TEST(inference_counts_the_folded_model) {
  Graph *g = pt_graph_model("micro", false);
  optimize(g);
  for (int64_t batch = 1; batch <= 3; batch += 2)
    ck_assert_int_eq(graph_flops(g, batch), batch * (1935104 - 557056) + 2 * 2 * 64 * 64 * 64);
  ir_graph_free(g);
}
END_TEST

/* micro: N = 17 tokens, d = 64, 2 heads of 32. */
START_TEST(training_kernels_count_their_products) {
  Graph *g = pt_graph_model("micro", true);
  optimize(g);
  int counted = 0;
  for (int i = 0; i < g->ops.len; i++) {
    const IrOp *op = g->ops.items[i];
    int64_t one = ir_op_flops(op, 1);
    ck_assert_int_eq(ir_op_flops(op, 4), 4 * one);
    switch (op->kind) {
    case IR_OP_MSSA_GRAD:   /* W, dy, dU: 3·2·17·64·64; per head S and gA, three paths: 10·17²·64 */
      ck_assert_int_eq(one, 6 * 17 * 64 * 64 + 10 * 17 * 17 * 64);
      counted++;
      break;
    case IR_OP_ISTA_GRAD:   /* y·M, gP·Mᵀ, yᵀ·gP */
      ck_assert_int_eq(one, 6 * 17 * 64 * 64);
      counted++;
      break;
    case IR_OP_LINEAR_GRAD:
      ck_assert_int_gt(one, 0);
      counted++;
      break;
    default:
      break;
    }
  }
  /* per layer mssa_grad, ista_grad and the output projection's linear_grad;
   * the embedding's and the head's linear_grad */
  ck_assert_int_eq(counted, 2 * 3 + 2);
  ir_graph_free(g);
}
END_TEST

Suite *flops_suite(void) {
  Suite *s = suite_create("flops");
  TCase *tc = tcase_create("flops");
  tcase_add_test(tc, inference_counts_the_folded_model);
  tcase_add_test(tc, training_kernels_count_their_products);
  suite_add_tcase(s, tc);
  return s;
}
