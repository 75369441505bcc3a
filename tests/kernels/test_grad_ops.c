/* The GEMM, normalisation and elementwise gradients, and causal_mask,
 * against the reference executor, on both backends, with 1 vs 2 threads
 * bitwise. */
#include "kg.h"

static const char *const backends[] = {"llvm", "c"};

/* 67 samples of 2 tokens: 134 rows, more than two GEMM blocks. */
START_TEST(linear_grad) {
  kg_check_graph("graph t { input %x : f32[B,2,33] param %w : f32[70,33] = \"w\" input %dy : f32[B,2,70]\n"
              "  %dx, %dw = linear_grad(%x, %w, %dy) : f32[B,2,33], f32[70,33]\n"
              "  output \"dx\" = %dx }",
              67, backends[_i], 1e-4, 5, -1.5f, 1.5f);
}
END_TEST

START_TEST(matmul_grad) {
  kg_check_graph("graph t { input %a : f32[B,3,9,5] input %c : f32[B,3,9,5] input %dz : f32[B,3,9,9]\n"
              "  param %dict : f32[5,5] = \"dict\" input %dv : f32[B,3,5,5] input %dw : f32[B,3,9,5]\n"
              "  %da, %dc = matmul_grad(%a, %c, %dz) {transpose_b = 1, alpha = 0.5} : f32[B,3,9,5], f32[B,3,9,5]\n"
              "  %ta, %tc = matmul_grad(%a, %c, %dv) {transpose_a = 1} : f32[B,3,9,5], f32[B,3,9,5]\n"
              "  %sa, %sd = matmul_grad(%a, %dict, %dw) : f32[B,3,9,5], f32[5,5]\n"
              "  %ua, %ud = matmul_grad(%a, %dict, %dw) {transpose_b = 1} : f32[B,3,9,5], f32[5,5]\n"
              "  output \"da\" = %da }",
              4, backends[_i], 1e-4, 5, -1.5f, 1.5f);
}
END_TEST

START_TEST(norm_and_rows) {
  kg_check_graph("graph t { input %x : f32[B,7,45] param %g : f32[45] = \"g\" input %dy : f32[B,7,45]\n"
              "  %dx, %dg, %db = layernorm_grad(%x, %g, %dy) {eps = 1e-05} : f32[B,7,45], f32[45], f32[45]\n"
              "  %sy = softmax(%x) : f32[B,7,45]\n"
              "  %ds = softmax_grad(%sy, %dy) : f32[B,7,45]\n"
              "  %dr = shrink_grad(%x, %dy) : f32[B,7,45]\n"
              "  output \"dx\" = %dx }",
              19, backends[_i], 1e-5, 5, -1.5f, 1.5f);
}
END_TEST

/* causal attention's mask (-inf above the diagonal, then softmax) and its
 * gradient form (fill 0); 13 keys, not a whole vector, so every row ends
 * with a partial one on both sides of the diagonal. */
START_TEST(causal_mask) {
  kg_check_graph("graph t { input %s : f32[B,3,13,13] input %dy : f32[B,3,13,13]\n"
                 "  %m = causal_mask(%s) : f32[B,3,13,13]\n"
                 "  %a = softmax(%m) : f32[B,3,13,13]\n"
                 "  %dm = causal_mask(%dy) {fill = 0.0} : f32[B,3,13,13]\n"
                 "  output \"a\" = %a }",
                 5, backends[_i], 1e-5, 5, -1.5f, 1.5f);
}
END_TEST

Suite *kg_ops_suite(void) {
  Suite *s = suite_create("grad kernels: GEMMs, norms, elementwise");
  TCase *tc = tcase_create("ops");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, linear_grad, 0, 2);
  tcase_add_loop_test(tc, matmul_grad, 0, 2);
  tcase_add_loop_test(tc, norm_and_rows, 0, 2);
  tcase_add_loop_test(tc, causal_mask, 0, 2);
  suite_add_tcase(s, tc);
  return s;
}
