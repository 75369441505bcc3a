/* ista_grad and mssa_grad against the reference executor, on both
 * backends, with 1 vs 2 threads bitwise. */
#include "kg.h"

static const char *const backends[] = {"llvm", "c"};

START_TEST(ista_grad) {
  kg_check_graph("graph t { input %y : f32[B,13,24] param %D : f32[24,24] = \"D\" input %dz : f32[B,13,24]\n"
              "  %dy, %dD = ista_grad(%y, %D, %dz) {step = 0.1, lambda = 0.1} : f32[B,13,24], f32[24,24]\n"
              "  output \"dy\" = %dy }",
              11, backends[_i], 1e-4, 9, -1, 1);
}
END_TEST

/* 3 heads of 8 over 17 tokens of width 20, 5 samples: partitions hold
 * uneven numbers of (sample, head) items. */
START_TEST(mssa_grad) {
  kg_check_graph("graph t { input %y : f32[B,17,20] param %u : f32[24,20] = \"u\" input %go : f32[B,17,24]\n"
              "  %dy, %du = mssa_grad(%y, %u, %go) {heads = 3, dim_head = 8, scale = 0.35355339059327373}"
              " : f32[B,17,20], f32[24,20]\n"
              "  output \"dy\" = %dy }",
              5, backends[_i], 1e-4, 9, -1, 1);
}
END_TEST

Suite *kg_attn_suite(void) {
  Suite *s = suite_create("grad kernels: ista, mssa");
  TCase *tc = tcase_create("attn");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, ista_grad, 0, 2);
  tcase_add_loop_test(tc, mssa_grad, 0, 2);
  suite_add_tcase(s, tc);
  return s;
}
