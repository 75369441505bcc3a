/* Each forward op and primitive, lowered by its emitter, compiled with the
 * LLVM backend (and a few with the C backend), against the reference
 * kernels (runtime/reference/crate_ref.h) or, for pure data movement,
 * plain loops here. */
#include <math.h>
#include <stdlib.h>

#include "crate_ref.h"
#include "kt.h"

static const char *const backends[] = {"llvm", "c"};

static void elementwise_on(const char *backend) {
  KTest t;
  kt_open(&t,
          "graph t { input %a : f32[B,3,37] input %c : f32[B,3,37]\n"
          "  %s = add(%a, %c) : f32[B,3,37]  %d = sub(%a, %c) : f32[B,3,37]\n"
          "  %e = scale(%d) {alpha = 0.25} : f32[B,3,37]  %f = shrink(%e) {threshold = 0.1} : f32[B,3,37]\n"
          "  output \"f\" = %f output \"s\" = %s }",
          5, backend);
  kt_fill_all(&t, 1, -2, 2);
  kt_run(&t);
  int64_t n = kt_numel(&t, "a");
  const float *a = kt_at(&t, "a"), *c = kt_at(&t, "c");
  float *sum = malloc((size_t)n * sizeof *sum), *want = malloc((size_t)n * sizeof *want);
  ref_residual_forward(sum, a, c, (size_t)n);
  kt_close_to(kt_at(&t, "s"), sum, n, 1e-5, "add");
  for (int64_t i = 0; i < n; i++) {
    float e = 0.25f * (a[i] - c[i]);
    want[i] = e - 0.1f > 0 ? e - 0.1f : 0;
  }
  kt_close_to(kt_at(&t, "f"), want, n, 1e-5, "sub/scale/shrink");
  free(sum);
  free(want);
  kt_close(&t);
}

START_TEST(elementwise) { elementwise_on(backends[_i]); }
END_TEST

/* patchify, layernorm, linear, layernorm, cls_concat, pos_add: the patch
 * embedding of SPEC §1.1–1.2 step by step. */
static void embedding_on(const char *backend) {
  enum { B = 3, C = 3, H = 8, W = 12, P = 4, n = 6, PD = 48, D = 20 };
  KTest t;
  kt_open(&t,
          "graph t { input %img : f32[B,3,8,12]\n"
          "  param %pos : f32[1,7,20] = \"pos\" param %cls : f32[1,1,20] = \"cls\"\n"
          "  param %g1 : f32[48] = \"g1\" param %b1 : f32[48] = \"b1\"\n"
          "  param %w : f32[20,48] = \"w\" param %bw : f32[20] = \"bw\"\n"
          "  %p = patchify(%img) {p1 = 4, p2 = 4} : f32[B,6,48]\n"
          "  %n1 = layernorm(%p, %g1, %b1) {eps = 1e-05} : f32[B,6,48]\n"
          "  %x = linear(%n1, %w, %bw) : f32[B,6,20]\n"
          "  %tok = cls_concat(%x, %cls) : f32[B,7,20]\n"
          "  %z = pos_add(%tok, %pos) : f32[B,7,20]\n"
          "  output \"z\" = %z }",
          B, backend);
  kt_fill_all(&t, 2, -1, 1);
  kt_run(&t);
  static float patches[B * n * PD], norm[B * n * PD], mean[B * n], rstd[B * n], x[B * n * D], z[B * (n + 1) * D];
  ref_patchify_forward(patches, kt_at(&t, "img"), B, C, H, W, P, P);
  kt_close_to(kt_at(&t, "p"), patches, B * n * PD, 0, "patchify");
  ref_layernorm_forward(norm, mean, rstd, kt_at(&t, "p"), kt_at(&t, "g1"), kt_at(&t, "b1"), B * n, PD, 1e-5f);
  kt_close_to(kt_at(&t, "n1"), norm, B * n * PD, 1e-5, "layernorm");
  ref_linear_forward(x, kt_at(&t, "n1"), kt_at(&t, "w"), kt_at(&t, "bw"), B * n, PD, D);
  kt_close_to(kt_at(&t, "x"), x, B * n * D, 1e-4, "linear");
  ref_embed_forward(z, kt_at(&t, "x"), kt_at(&t, "cls"), kt_at(&t, "pos"), B, n, D);
  kt_close_to(kt_at(&t, "z"), z, B * (n + 1) * D, 1e-5, "cls_concat + pos_add");
  kt_close(&t);
}

START_TEST(embedding) { embedding_on(backends[_i]); }
END_TEST

/* More rows than one GEMM block (130 = 2·64 + 2), no bias. */
START_TEST(linear_row_blocks) {
  KTest t;
  kt_open(&t,
          "graph t { input %x : f32[B,65,33] param %w : f32[70,33] = \"w\"\n"
          "  %y = linear(%x, %w) : f32[B,65,70] output \"y\" = %y }",
          2, "llvm");
  kt_fill_all(&t, 3, -1, 1);
  kt_run(&t);
  float *want = malloc(2 * 65 * 70 * sizeof *want);
  ref_linear_forward(want, kt_at(&t, "x"), kt_at(&t, "w"), NULL, 130, 33, 70);
  kt_close_to(kt_at(&t, "y"), want, 130 * 70, 1e-4, "linear");
  free(want);
  kt_close(&t);
}
END_TEST

START_TEST(pool_modes) {
  KTest t;
  kt_open(&t,
          "graph t { input %x : f32[B,9,24]\n"
          "  %c = pool(%x) {mode = cls} : f32[B,24] %m = pool(%x) {mode = mean} : f32[B,24]\n"
          "  output \"c\" = %c output \"m\" = %m }",
          4, "llvm");
  kt_fill_all(&t, 4, -3, 3);
  kt_run(&t);
  float want[4 * 24];
  ref_pool_forward(want, kt_at(&t, "x"), 4, 9, 24, REF_POOL_CLS);
  kt_close_to(kt_at(&t, "c"), want, 4 * 24, 0, "pool cls");
  ref_pool_forward(want, kt_at(&t, "x"), 4, 9, 24, REF_POOL_MEAN);
  kt_close_to(kt_at(&t, "m"), want, 4 * 24, 1e-5, "pool mean");
  kt_close(&t);
}
END_TEST

/* The -O0 lowering of attention: split, scaled Q·Kᵀ, softmax, A·V, merge. */
static void primitives_on(const char *backend) {
  enum { B = 2, N = 11, K = 3, P = 8 };
  KTest t;
  kt_open(&t,
          "graph t { input %w : f32[B,11,24]\n"
          "  %h = split_heads(%w) {heads = 3} : f32[B,3,11,8]\n"
          "  %s = matmul(%h, %h) {transpose_b = 1, alpha = 0.35} : f32[B,3,11,11]\n"
          "  %a = softmax(%s) : f32[B,3,11,11]\n"
          "  %o = matmul(%a, %h) : f32[B,3,11,8]\n"
          "  %m = merge_heads(%o) : f32[B,11,24]\n"
          "  output \"m\" = %m }",
          B, backend);
  kt_fill_all(&t, 5, -1, 1);
  kt_run(&t);
  const float *w = kt_at(&t, "w"), *h = kt_at(&t, "h");
  for (int b = 0; b < B; b++)
    for (int k = 0; k < K; k++)
      for (int n = 0; n < N; n++)
        for (int j = 0; j < P; j++)
          ck_assert(h[((b * K + k) * N + n) * P + j] == w[(b * N + n) * K * P + k * P + j]);
  static float s[B * K * N * N], o[B * K * N * P];
  for (int i = 0; i < B * K; i++)
    ref_gemm(false, true, N, N, P, 0.35f, h + i * N * P, P, h + i * N * P, P, 0, s + i * N * N, N);
  kt_close_to(kt_at(&t, "s"), s, B * K * N * N, 1e-4, "matmul transpose_b alpha");
  ref_softmax_forward(s, kt_at(&t, "s"), B * K * N, N);
  kt_close_to(kt_at(&t, "a"), s, B * K * N * N, 1e-5, "softmax");
  for (int i = 0; i < B * K; i++)
    ref_gemm(false, false, N, P, N, 1, kt_at(&t, "a") + i * N * N, N, h + i * N * P, P, 0, o + i * N * P, P);
  kt_close_to(kt_at(&t, "o"), o, B * K * N * P, 1e-4, "matmul");
  const float *m = kt_at(&t, "m"), *oh = kt_at(&t, "o");
  for (int b = 0; b < B; b++)
    for (int k = 0; k < K; k++)
      for (int n = 0; n < N; n++)
        for (int j = 0; j < P; j++)
          ck_assert(m[(b * N + n) * K * P + k * P + j] == oh[((b * K + k) * N + n) * P + j]);
  kt_close(&t);
}

START_TEST(attention_primitives) { primitives_on(backends[_i]); }
END_TEST

/* A shared rank-2 right operand, and a transposed left one. */
START_TEST(matmul_shared_and_transposed) {
  KTest t;
  kt_open(&t,
          "graph t { input %y : f32[B,7,10] param %d : f32[10,10] = \"d\"\n"
          "  %a = matmul(%y, %d) : f32[B,7,10]\n"
          "  %c = matmul(%y, %y) {transpose_a = 1} : f32[B,10,10]\n"
          "  output \"a\" = %a output \"c\" = %c }",
          3, "llvm");
  kt_fill_all(&t, 6, -1, 1);
  kt_run(&t);
  float a[3 * 70], c[3 * 100];
  const float *y = kt_at(&t, "y");
  for (int b = 0; b < 3; b++) {
    ref_gemm(false, false, 7, 10, 10, 1, y + b * 70, 10, kt_at(&t, "d"), 10, 0, a + b * 70, 10);
    ref_gemm(true, false, 10, 10, 7, 1, y + b * 70, 10, y + b * 70, 10, 0, c + b * 100, 10);
  }
  kt_close_to(kt_at(&t, "a"), a, 3 * 70, 1e-4, "shared matmul");
  kt_close_to(kt_at(&t, "c"), c, 3 * 100, 1e-4, "transpose_a matmul");
  kt_close(&t);
}
END_TEST

START_TEST(cross_entropy_loss) {
  enum { B = 6, C = 13 };
  KTest t;
  kt_open(&t,
          "graph t { input %x : f32[B,13] input %labels : i64[B]\n"
          "  %loss = cross_entropy(%x, %labels) {label_smoothing = 0.1} : f32[1]\n"
          "  output \"loss\" = %loss }",
          B, "llvm");
  kt_fill_all(&t, 7, -4, 4);
  for (int b = 0; b < B; b++) t.labels[b] = (b * 5) % C;
  kt_run(&t);
  double loss;
  float probs[B * C];
  ck_assert_int_eq(ref_crossentropy_forward(&loss, probs, kt_at(&t, "x"), t.labels, B, C, 0.1f, NULL), 0);
  float want = (float)loss;
  kt_close_to(kt_at(&t, "loss"), &want, 1, 1e-5, "cross_entropy");
  t.labels[2] = C;   /* out of range: NaN, never an out-of-bounds read */
  kt_run(&t);
  ck_assert(isnan(kt_at(&t, "loss")[0]));
  kt_close(&t);
}
END_TEST

Suite *kt_forward_suite(void) {
  Suite *s = suite_create("kernels_forward");
  TCase *tc = tcase_create("ops");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, elementwise, 0, 2);
  tcase_add_loop_test(tc, embedding, 0, 2);
  tcase_add_loop_test(tc, attention_primitives, 0, 2);
  tcase_add_test(tc, linear_row_blocks);
  tcase_add_test(tc, pool_modes);
  tcase_add_test(tc, matmul_shared_and_transposed);
  tcase_add_test(tc, cross_entropy_loss);
  suite_add_tcase(s, tc);
  return s;
}
