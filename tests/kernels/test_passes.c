/* The fusion passes, IR text in, IR text out. */
#include <stdlib.h>
#include <string.h>

#include "kt.h"
#include "lower.h"
#include "passes.h"

#define PARAMS                                                                          \
  "graph t {\n"                                                                         \
  "  input %z : f32[B,5,8]\n"                                                           \
  "  param %n.w : f32[8] = \"n.w\"\n"                                                   \
  "  param %n.b : f32[8] = \"n.b\"\n"                                                   \
  "  param %qkv : f32[8,8] = \"qkv\"\n"                                                 \
  "  param %out.w : f32[8,8] = \"out.w\"\n"                                             \
  "  param %out.b : f32[8] = \"out.b\"\n"                                               \
  "  param %dict : f32[8,8] = \"dict\"\n"
#define HEADER PARAMS "  %y = layernorm(%z, %n.w, %n.b) {eps = 1e-05} : f32[B,5,8]\n"
#define MSSA "  %m = mssa(%y, %qkv, %out.w, %out.b) {heads = 2, dim_head = 4, scale = 0.5} : f32[B,5,8]\n"

/* Runs PASS on IN and compares the printed result with WANT. */
static void check_pass(PassFn pass, const char *in, const char *want) {
  SourceFile *src = source_from_string("in.ir", in, strlen(in));
  Diag d;
  diag_init(&d, stderr);
  Graph *g = ir_parse(src, &d);
  ck_assert(g && ir_verify(g, &d));
  ck_assert(pass(g, NULL, &d));
  ck_assert_msg(ir_verify(g, &d), "the pass broke the graph");
  char *got = ir_print_string(g);
  ck_assert_str_eq(got, want);
  free(got);
  ir_graph_free(g);
  source_free(src);
}

START_TEST(fuse_mssa_residual) {
  check_pass(pass_fuse_mssa,
             HEADER MSSA "  %h = add(%z, %m) : f32[B,5,8]\n  output \"h\" = %h\n}\n",
             HEADER "  %h = mssa_add(%z, %y, %qkv, %out.w, %out.b) {heads = 2, dim_head = 4, scale = 0.5} : f32[B,5,8]\n"
                    "  output \"h\" = %h\n}\n");
}
END_TEST

/* The result used again (a training graph's backward, an output): kept. */
START_TEST(fuse_mssa_needs_sole_use) {
  const char *twice = HEADER MSSA "  %h = add(%z, %m) : f32[B,5,8]\n  %k = add(%h, %m) : f32[B,5,8]\n"
                                  "  output \"k\" = %k\n}\n";
  check_pass(pass_fuse_mssa, twice, twice);
  const char *output = HEADER MSSA "  %h = add(%m, %z) : f32[B,5,8]\n  output \"h\" = %h\n  output \"m\" = %m\n}\n";
  check_pass(pass_fuse_mssa, output, output);
}
END_TEST

START_TEST(fold_ista_inference) {
  check_pass(pass_fold_ista,
             HEADER "  %o = ista(%y, %dict) {step = 0.1, lambda = 0.5} : f32[B,5,8]\n  output \"o\" = %o\n}\n",
             HEADER "  %o.matrix = ista_matrix(%dict) {step = 0.1} : f32[8,8]\n"
                    "  %o = ista_apply(%y, %o.matrix) {threshold = 0.05} : f32[B,5,8]\n  output \"o\" = %o\n}\n");
}
END_TEST

START_TEST(fold_ista_keeps_shared_dictionary) {
  const char *shared = HEADER "  %o = ista(%y, %dict) {step = 0.1, lambda = 0.5} : f32[B,5,8]\n"
                              "  %p = matmul(%o, %dict) : f32[B,5,8]\n  output \"p\" = %p\n}\n";
  check_pass(pass_fold_ista, shared, shared);
}
END_TEST

/* Each reader a layernorm fuses into; the fused op takes x, γ, β, then
 * the reader's other operands, and the reader's attributes after eps. */
START_TEST(fuse_layernorm_readers) {
  check_pass(pass_fuse_layernorm,
             HEADER "  %h = mssa_add(%z, %y, %qkv, %out.w, %out.b) {heads = 2, dim_head = 4, scale = 0.5} : f32[B,5,8]\n"
                    "  output \"h\" = %h\n}\n",
             PARAMS "  %h = layernorm_mssa_add(%z, %n.w, %n.b, %qkv, %out.w, %out.b) {eps = 1e-05, heads = 2, "
                    "dim_head = 4, scale = 0.5} : f32[B,5,8]\n  output \"h\" = %h\n}\n");
  check_pass(pass_fuse_layernorm,
             HEADER "  %o = ista_apply(%y, %dict) {threshold = 0.05, row_tile = 16} : f32[B,5,8]\n"
                    "  output \"o\" = %o\n}\n",
             PARAMS "  %o = layernorm_ista_apply(%z, %n.w, %n.b, %dict) {eps = 1e-05, threshold = 0.05, "
                    "row_tile = 16} : f32[B,5,8]\n  output \"o\" = %o\n}\n");
  check_pass(pass_fuse_layernorm,
             HEADER "  %l = linear_t(%y, %out.w, %out.b) : f32[B,5,8]\n  output \"l\" = %l\n}\n",
             PARAMS "  %l = layernorm_linear_t(%z, %n.w, %n.b, %out.w, %out.b) {eps = 1e-05} : f32[B,5,8]\n"
                    "  output \"l\" = %l\n}\n");
}
END_TEST

/* Kept: a residual other than the layernorm's x, a second reader, the
 * normalised value as an output, a reader without a fused form. */
START_TEST(fuse_layernorm_keeps) {
  const char *residual = HEADER "  %s = scale(%z) {alpha = 2.0} : f32[B,5,8]\n"
                                "  %h = mssa_add(%s, %y, %qkv) {heads = 2, dim_head = 4, scale = 0.5} : f32[B,5,8]\n"
                                "  output \"h\" = %h\n}\n";
  check_pass(pass_fuse_layernorm, residual, residual);
  const char *two = HEADER "  %o = ista_apply(%y, %dict) {threshold = 0.05} : f32[B,5,8]\n"
                           "  %l = linear_t(%y, %out.w) : f32[B,5,8]\n  output \"o\" = %o\n  output \"l\" = %l\n}\n";
  check_pass(pass_fuse_layernorm, two, two);
  const char *output = HEADER "  %o = ista_apply(%y, %dict) {threshold = 0.05} : f32[B,5,8]\n"
                              "  output \"o\" = %o\n  output \"y\" = %y\n}\n";
  check_pass(pass_fuse_layernorm, output, output);
  const char *add = HEADER "  %h = add(%z, %y) : f32[B,5,8]\n  output \"h\" = %h\n}\n";
  check_pass(pass_fuse_layernorm, add, add);
}
END_TEST

/* The mssa kernel walks (sample, head) items in static partitions with
 * per-partition scratch, calls the single-thread GEMM inside the parallel
 * loop and never materialises every head's N×N matrix. */
START_TEST(mssa_loop_structure) {
  char *loops = kt_loops(HEADER MSSA "  output \"m\" = %m\n}\n");
  ck_assert_ptr_nonnull(strstr(loops, "parallel for %part"));
  ck_assert_ptr_nonnull(strstr(loops, "crt_sgemm("));
  ck_assert_ptr_null(strstr(loops, "crt_sgemm_batch"));
  free(loops);
}
END_TEST

Suite *kt_pass_suite(void) {
  Suite *s = suite_create("kernels_passes");
  TCase *tc = tcase_create("passes");
  tcase_add_test(tc, fuse_mssa_residual);
  tcase_add_test(tc, fuse_mssa_needs_sole_use);
  tcase_add_test(tc, fold_ista_inference);
  tcase_add_test(tc, fold_ista_keeps_shared_dictionary);
  tcase_add_test(tc, fuse_layernorm_readers);
  tcase_add_test(tc, fuse_layernorm_keeps);
  tcase_add_test(tc, mssa_loop_structure);
  suite_add_tcase(s, tc);
  return s;
}
