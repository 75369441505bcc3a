/* The backward ops of the loss, the pooling and the embedding, and the bias
 * gradient, against the reference executor. */
#include "kg.h"

static const char *const backends[] = {"llvm", "c"};

/* 130 samples: more than one row block and a batch sum long enough that a
 * reordered reduction would show in the bits. */
static void head_on(const char *backend) {
  KTest t;
  kt_open(&t,
          "graph t { input %x : f32[B,11] input %labels : i64[B] input %dy : f32[B,70]\n"
          "  input %dz : f32[B,7,70]\n"
          "  %dl = cross_entropy_grad(%x, %labels) {label_smoothing = 0.1} : f32[B,11]\n"
          "  %db = bias_grad(%dz) : f32[70]\n"
          "  %dc = pool_grad(%dy) {mode = \"cls\", tokens = 7} : f32[B,7,70]\n"
          "  %dm = pool_grad(%dy) {mode = \"mean\", tokens = 7} : f32[B,7,70]\n"
          "  %dx, %dcls = cls_concat_grad(%dz) : f32[B,6,70], f32[1,1,70]\n"
          "  %dpos = pos_add_grad(%dz) : f32[1,7,70]\n"
          "  output \"dl\" = %dl }",
          130, backend);
  kt_fill_all(&t, 3, -3, 3);
  for (int64_t b = 0; b < t.batch; b++) t.labels[b] = (b * 7) % 11;
  kt_run(&t);
  kg_check_eval(&t, 1e-5);
  kg_check_threads(&t);
  kt_close(&t);
}

START_TEST(head) { head_on(backends[_i]); }
END_TEST

Suite *kg_simple_suite(void) {
  Suite *s = suite_create("grad kernels: loss, pooling, embedding, bias");
  TCase *tc = tcase_create("simple");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, head, 0, 2);
  suite_add_tcase(s, tc);
  return s;
}
