/* Results do not depend on the thread count: 1 and 2 threads give the same
 * bits for every form, through the tiled and the batched entry points; and
 * the single-thread entry agrees with the tiled one. */
#include "gemm_suites.h"

#include <stdlib.h>
#include <string.h>

/* CRATE-Tiny's projection (batch 2) and per-head shapes, and a split K. */
static const int shapes[][3] = {{394, 384, 384}, {197, 197, 64}, {197, 64, 197}, {384, 384, 700}};
#define SHAPES (int)(sizeof shapes / sizeof shapes[0])

static float *run(gemm_entry entry, int threads, const gemm_case *c, const gemm_operands *op) {
  size_t bytes = (size_t)c->M * op->ldc * sizeof(float);
  float *C = crt_alloc(bytes);
  memcpy(C, op->C, bytes);
  crt_set_threads(threads);
  ck_assert_int_eq(
      entry(c->ta, c->tb, c->M, c->N, c->K, op->A, op->lda, op->B, op->ldb, 1.0f, C, op->ldc, NULL),
      0);
  return C;
}

START_TEST(one_and_two_threads_agree) {
  const int *s = shapes[_i / 4];
  gemm_case c = {s[0], s[1], s[2], form_ta(_i % 4), form_tb(_i % 4), 0};
  gemm_operands op;
  operands_make(&op, &c, 1.0f, 300 + _i);
  size_t bytes = (size_t)c.M * op.ldc * sizeof(float);
  float *one = run(crt_sgemm_parallel, 1, &c, &op), *two = run(crt_sgemm_parallel, 2, &c, &op),
        *single = run(crt_sgemm, 2, &c, &op);
  ck_assert_msg(memcmp(one, two, bytes) == 0, "%dx%dx%d form %d: 1 and 2 threads differ", c.M, c.N,
                c.K, _i % 4);
  ck_assert_msg(memcmp(one, single, bytes) == 0, "%dx%dx%d form %d: crt_sgemm differs", c.M, c.N,
                c.K, _i % 4);
  crt_free(one);
  crt_free(two);
  crt_free(single);
  operands_free(&op);
  crt_set_threads(0);
}
END_TEST

/* Six heads' products, the attention layer's batched call. */
START_TEST(batch_one_and_two_threads_agree) {
  enum { HEADS = 6, T = 197, D = 64 };
  /* Form _i of scores = q·kᵀ (T,T,D), each operand stored as its form says. */
  const crt_trans ta = form_ta(_i), tb = form_tb(_i);
  const int lda = ta == CRT_TRANS ? T : D, ldb = tb == CRT_TRANS ? D : T;
  const int64_t item = (int64_t)T * D;
  uint64_t state = 400 + _i;
  float *A = random_floats(HEADS * item, &state), *B = random_floats(HEADS * item, &state);
  float *out[2];
  for (int t = 0; t < 2; t++) {
    out[t] = crt_alloc((size_t)HEADS * T * T * sizeof(float));
    crt_set_threads(t + 1);
    ck_assert_int_eq(crt_sgemm_batch(ta, tb, T, T, D, A, lda, item, B, ldb, item, 0.0f, out[t], T,
                                     (int64_t)T * T, HEADS, NULL),
                     0);
  }
  ck_assert_msg(memcmp(out[0], out[1], (size_t)HEADS * T * T * sizeof(float)) == 0,
                "form %d: 1 and 2 threads differ", _i);
  crt_free(out[0]);
  crt_free(out[1]);
  crt_free(A);
  crt_free(B);
  crt_set_threads(0);
}
END_TEST

Suite *determinism_suite(void) {
  Suite *s = suite_create("determinism");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, one_and_two_threads_agree, 0, SHAPES * 4);
  tcase_add_loop_test(tc, batch_one_and_two_threads_agree, 0, 4);
  suite_add_tcase(s, tc);
  return s;
}
