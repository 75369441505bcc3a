/* The fused kernels: mssa and mssa_add against ref_mssa_forward (with the
 * residual), ista (two-GEMM training form) and ista_matrix + ista_apply
 * (the folded inference form) against the official three-product
 * ref_ista_forward, the mssa kernel's independence of the thread count, and
 * each layernorm_READER op against layernorm then READER. */
#include <stdlib.h>
#include <string.h>

#include "crate_ref.h"
#include "kt.h"

/* 70 tokens: the attention's N×N block and the row blocks have edges.
 * TILES: extra attributes of both mssa ops (pass_tile's). */
#define MSSA_TILED_IR(tiles, extra_ops)                                            \
  "graph t { input %z : f32[B,70,48] input %y : f32[B,70,48]\n"                    \
  "  param %u : f32[48,48] = \"u\" param %wo : f32[48,48] = \"wo\"\n"              \
  "  param %bo : f32[48] = \"bo\" \n"               \
  "  %m = mssa(%y, %u, %wo, %bo) {heads = 3, dim_head = 16, scale = 0.25" tiles "} : f32[B,70,48]\n" \
  "  %s = mssa(%z, %u) {heads = 3, dim_head = 16, scale = 0.25" tiles "} : f32[B,70,48]\n" extra_ops \
  "  output \"m\" = %m output \"s\" = %s }"
#define MSSA_IR(extra_ops) MSSA_TILED_IR("", extra_ops)
/* 5 query tiles, the last of 6 rows; 3·70 = 210 rows in 14 row tiles of
 * 15 (at most 16 rows each, their count a multiple of the partitions) */
#define TILES ", row_tile = 16, query_tile = 16"

enum { MB = 3, MN = 70, MD = 48, MK = 3, MP = 16, ME = 48 };

static void mssa_on(const char *backend, const char *ir) {
  KTest t;
  kt_open(&t, ir, MB, backend);
  kt_fill_all(&t, 11, -1, 1);
  kt_run(&t);
  float *w = malloc(MB * MN * MD * sizeof *w), *o = malloc(MB * MN * MD * sizeof *o);
  float *attn = malloc(MB * MK * MN * MN * sizeof *attn), *out = malloc(MB * MN * MD * sizeof *out);
  ref_mssa_forward(out, w, attn, o, kt_at(&t, "y"), kt_at(&t, "u"), kt_at(&t, "wo"), kt_at(&t, "bo"), MB, MN, MD,
                   MK, MP);
  kt_close_to(kt_at(&t, "m"), out, MB * MN * ME, 1e-4, "mssa with to_out");
  ref_mssa_forward(out, w, attn, o, kt_at(&t, "z"), kt_at(&t, "u"), NULL, NULL, MB, MN, MD, MK, MP);
  kt_close_to(kt_at(&t, "s"), out, MB * MN * MD, 1e-4, "mssa without to_out");
  free(w), free(o), free(attn), free(out);
  kt_close(&t);
}

START_TEST(mssa_llvm) { mssa_on("llvm", MSSA_IR("")); }
END_TEST
START_TEST(mssa_c) { mssa_on("c", MSSA_IR("")); }
END_TEST
START_TEST(mssa_tiled_llvm) { mssa_on("llvm", MSSA_TILED_IR(TILES, "")); }
END_TEST
START_TEST(mssa_tiled_c) { mssa_on("c", MSSA_TILED_IR(TILES, "")); }
END_TEST

START_TEST(mssa_add_residual) {
  KTest t;
  kt_open(&t,
          "graph t { input %x : f32[B,70,48] input %y : f32[B,70,48]\n"
          "  param %u : f32[48,48] = \"u\" param %wo : f32[48,48] = \"wo\" param %bo : f32[48] = \"bo\"\n"
          "  %m = mssa_add(%x, %y, %u, %wo, %bo) {heads = 3, dim_head = 16, scale = 0.25} : f32[B,70,48]\n"
          "  output \"m\" = %m }",
          MB, "llvm");
  kt_fill_all(&t, 12, -1, 1);
  kt_run(&t);
  int64_t n = MB * MN * ME;
  float *w = malloc(MB * MN * MD * sizeof *w), *o = malloc(MB * MN * MD * sizeof *o);
  float *attn = malloc(MB * MK * MN * MN * sizeof *attn), *out = malloc((size_t)n * sizeof *out);
  ref_mssa_forward(out, w, attn, o, kt_at(&t, "y"), kt_at(&t, "u"), kt_at(&t, "wo"), kt_at(&t, "bo"), MB, MN, MD,
                   MK, MP);
  ref_residual_forward(out, out, kt_at(&t, "x"), (size_t)n);
  kt_close_to(kt_at(&t, "m"), out, n, 1e-4, "mssa_add");
  free(w), free(o), free(attn), free(out);
  kt_close(&t);
}
END_TEST

/* 1 and 2 threads give the same bits (static partitions, one item per
 * output element, per-item code independent of the partition). */
static void mssa_threads(const char *ir) {
  KTest t;
  kt_open(&t, ir, 5, "llvm");
  kt_fill_all(&t, 13, -1, 1);
  int64_t n = kt_numel(&t, "m");
  int saved = crt_threads();
  crt_set_threads(1);
  kt_run(&t);
  float *one = malloc((size_t)n * sizeof *one);
  memcpy(one, kt_at(&t, "m"), (size_t)n * sizeof *one);
  crt_set_threads(2);
  kt_run(&t);
  ck_assert_msg(memcmp(one, kt_at(&t, "m"), (size_t)n * sizeof *one) == 0, "1 and 2 threads differ");
  crt_set_threads(saved);
  free(one);
  kt_close(&t);
}

START_TEST(mssa_thread_count_independent) { mssa_threads(MSSA_IR("")); }
END_TEST
START_TEST(mssa_tiled_thread_count_independent) { mssa_threads(MSSA_TILED_IR(TILES, "")); }
END_TEST

enum { IB = 2, IN = 67, ID = 40 };

static void ista_check(KTest *t, const char *name, double tol) {
  int64_t n = IB * IN * ID;
  float *want = malloc((size_t)n * sizeof *want);
  ck_assert_int_eq(ref_ista_forward(want, kt_at(t, "y"), kt_at(t, "dict"), IB * IN, ID, 0.1f, 0.1f, NULL), 0);
  kt_close_to(kt_at(t, name), want, n, tol, name);
  int zeros = 0;
  for (int64_t i = 0; i < n; i++) zeros += want[i] == 0;
  ck_assert_msg(zeros > 0 && zeros < n, "the test data must exercise both sides of the ReLU");
  free(want);
}

/* TILES: extra attributes of ista and ista_apply (pass_tile's). */
#define ISTA_IR(tiles)                                                                  \
  "graph t { input %y : f32[B,67,40] param %dict : f32[40,40] = \"dict\"\n"             \
  "  %two = ista(%y, %dict) {step = 0.1, lambda = 0.1" tiles "} : f32[B,67,40]\n"       \
  "  %m = ista_matrix(%dict) {step = 0.1} : f32[40,40]\n"                               \
  "  %one = ista_apply(%y, %m) {threshold = 0.01" tiles "} : f32[B,67,40]\n"            \
  "  output \"two\" = %two output \"one\" = %one }"

static void ista_on(const char *backend, const char *ir) {
  KTest t;
  kt_open(&t, ir, IB, backend);
  kt_fill_all(&t, 14, -0.3f, 0.3f);
  kt_fill(kt_at(&t, "y"), kt_numel(&t, "y"), 15, -1, 1);
  kt_run(&t);
  ista_check(&t, "two", 1e-4);
  ista_check(&t, "one", 1e-4);
  kt_close(&t);
}

START_TEST(ista_llvm) { ista_on("llvm", ISTA_IR("")); }
END_TEST
START_TEST(ista_c) { ista_on("c", ISTA_IR("")); }
END_TEST
/* 134 rows in tiles of at most 16 (on 2 cores: 10 tiles of 14 rows, the
 * last of 8) */
START_TEST(ista_tiled) { ista_on("llvm", ISTA_IR(", row_tile = 16")); }
END_TEST

/* ROWS: row_tile of every op (LINEAR_ROWS: linear_t's whole attribute
 * list), QUERIES: query_tile of the mssa ones. */
#define NORM_IR(rows, linear_rows, queries)                                                                          \
  "graph t { input %x : f32[B,70,48]\n"                                                                 \
  "  param %g : f32[48] = \"g\" param %b : f32[48] = \"b\" param %u : f32[48,48] = \"u\"\n"            \
  "  param %wo : f32[48,48] = \"wo\" param %bo : f32[48] = \"bo\" param %m : f32[48,48] = \"m\"\n"      \
  "  param %wt : f32[48,10] = \"wt\" param %bt : f32[10] = \"bt\"\n"                                    \
  "  %n = layernorm(%x, %g, %b) {eps = 1e-05} : f32[B,70,48]\n"                                         \
  "  %a = mssa_add(%x, %n, %u, %wo, %bo) {heads = 3, dim_head = 16, scale = 0.25" rows queries         \
  "} : f32[B,70,48]\n"                                                                                  \
  "  %fa = layernorm_mssa_add(%x, %g, %b, %u, %wo, %bo) {eps = 1e-05, heads = 3, dim_head = 16, "       \
  "scale = 0.25" rows queries "} : f32[B,70,48]\n"                                                      \
  "  %i = ista_apply(%n, %m) {threshold = 0.05" rows "} : f32[B,70,48]\n"                               \
  "  %fi = layernorm_ista_apply(%x, %g, %b, %m) {eps = 1e-05, threshold = 0.05" rows "} : f32[B,70,48]\n" \
  "  %l = linear_t(%n, %wt, %bt)" linear_rows " : f32[B,70,10]\n"                                   \
  "  %fl = layernorm_linear_t(%x, %g, %b, %wt, %bt) {eps = 1e-05" rows "} : f32[B,70,10]\n"              \
  "  output \"a\" = %a output \"fa\" = %fa output \"i\" = %i output \"fi\" = %fi\n"                     \
  "  output \"l\" = %l output \"fl\" = %fl }"

/* The fused kernels run the same normalisation code and the same GEMM
 * calls as the pair they replace, on normalised rows in scratch instead
 * of a whole normalised tensor (the results are bitwise equal on both
 * backends today; the bound leaves room for a vectoriser's reordering). */
static void layernorm_fused_on(const char *backend, const char *ir) {
  KTest t;
  kt_open(&t, ir, MB, backend);
  kt_fill_all(&t, 16, -1, 1);
  kt_run(&t);
  const char *pairs[][2] = {{"a", "fa"}, {"i", "fi"}, {"l", "fl"}};
  for (int p = 0; p < 3; p++)
    kt_close_to(kt_at(&t, pairs[p][1]), kt_at(&t, pairs[p][0]), kt_numel(&t, pairs[p][0]), 1e-6, pairs[p][1]);
  kt_close(&t);
}

START_TEST(layernorm_fused_llvm) { layernorm_fused_on("llvm", NORM_IR("", "", "")); }
END_TEST
START_TEST(layernorm_fused_c) { layernorm_fused_on("c", NORM_IR("", "", "")); }
END_TEST
START_TEST(layernorm_fused_tiled) {
  layernorm_fused_on("llvm", NORM_IR(", row_tile = 16", " {row_tile = 16}", ", query_tile = 16"));
}
END_TEST

Suite *kt_fused_suite(void) {
  Suite *s = suite_create("kernels_fused");
  TCase *tc = tcase_create("fused");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, mssa_llvm);
  tcase_add_test(tc, mssa_c);
  tcase_add_test(tc, mssa_add_residual);
  tcase_add_test(tc, mssa_thread_count_independent);
  tcase_add_test(tc, mssa_tiled_llvm);
  tcase_add_test(tc, mssa_tiled_c);
  tcase_add_test(tc, mssa_tiled_thread_count_independent);
  tcase_add_test(tc, ista_llvm);
  tcase_add_test(tc, ista_c);
  tcase_add_test(tc, ista_tiled);
  tcase_add_test(tc, layernorm_fused_llvm);
  tcase_add_test(tc, layernorm_fused_c);
  tcase_add_test(tc, layernorm_fused_tiled);
  suite_add_tcase(s, tc);
  return s;
}
