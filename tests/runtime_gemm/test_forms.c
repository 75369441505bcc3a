/* Every transpose form and both betas against the double reference, on odd
 * shapes, CRATE-Tiny's shapes and padded leading dimensions, through each
 * entry point. */
#include "gemm_suites.h"

#include <stdlib.h>
#include <string.h>

/* M, N, K, pad: sizes 1, primes below a block, CRATE-Tiny's per-head and
 * projection shapes, a K deep enough to be split (with a ragged last
 * slice), one whose ragged slice is folded into the last, and an N wide
 * enough to be split. */
static const int shapes[][4] = {
    {1, 1, 1, 0},      {7, 13, 5, 3},    {197, 64, 197, 0}, {197, 197, 64, 5}, {300, 384, 384, 0},
    {65, 130, 700, 1}, {600, 70, 33, 0}, {1, 300, 2, 2},    {33, 40, 1030, 0},
};
#define SHAPES (int)(sizeof shapes / sizeof shapes[0])

static gemm_case case_of(int index) {
  const int *s = shapes[index / 4];
  gemm_case c = {s[0], s[1], s[2], form_ta(index % 4), form_tb(index % 4), s[3]};
  return c;
}

START_TEST(single_thread_call) {
  gemm_case c = case_of(_i);
  check_call(crt_sgemm, &c, 0.0f, 1 + _i);
  check_call(crt_sgemm, &c, 1.0f, 2 + _i);
}
END_TEST

START_TEST(parallel_call) {
  gemm_case c = case_of(_i);
  check_call(crt_sgemm_parallel, &c, 0.0f, 3 + _i);
  check_call(crt_sgemm_parallel, &c, 1.0f, 4 + _i);
}
END_TEST

/* Three items side by side in one allocation: item i's operands start
 * i·stride further on, with the stride one padded matrix. */
START_TEST(batch_call) {
  gemm_case c = case_of(_i);
  enum { ITEMS = 3 };
  gemm_operands item[ITEMS];
  for (int i = 0; i < ITEMS; i++) operands_make(&item[i], &c, 1.0f, 5 + _i * ITEMS + i);
  int a_rows = c.ta == CRT_TRANS ? c.K : c.M, b_rows = c.tb == CRT_TRANS ? c.N : c.K;
  int64_t sa = (int64_t)a_rows * item[0].lda, sb = (int64_t)b_rows * item[0].ldb,
          sc = (int64_t)c.M * item[0].ldc;
  float *A = crt_alloc(ITEMS * sa * sizeof(float)), *B = crt_alloc(ITEMS * sb * sizeof(float)),
        *C = crt_alloc(ITEMS * sc * sizeof(float));
  for (int i = 0; i < ITEMS; i++) {
    memcpy(A + i * sa, item[i].A, sa * sizeof(float));
    memcpy(B + i * sb, item[i].B, sb * sizeof(float));
    memcpy(C + i * sc, item[i].C, sc * sizeof(float));
  }
  crt_error e = {{0}};
  ck_assert_msg(crt_sgemm_batch(c.ta, c.tb, c.M, c.N, c.K, A, item[0].lda, sa, B, item[0].ldb, sb,
                                1.0f, C, item[0].ldc, sc, ITEMS, &e) == 0,
                "%s", e.msg);
  for (int i = 0; i < ITEMS; i++) {
    expect_product(&c, &item[i], 1.0f, item[i].C, C + i * sc);
    operands_free(&item[i]);
  }
  crt_free(A);
  crt_free(B);
  crt_free(C);
}
END_TEST

/* K = 0 leaves beta·C; empty M or N touch nothing. */
START_TEST(empty_products) {
  float A[1] = {1}, B[1] = {1}, C[6] = {1, 2, 3, 4, 5, 6};
  ck_assert_int_eq(
      crt_sgemm_parallel(CRT_NO_TRANS, CRT_NO_TRANS, 2, 3, 0, A, 1, B, 3, 1.0f, C, 3, NULL), 0);
  ck_assert_float_eq(C[5], 6.0f);
  ck_assert_int_eq(crt_sgemm(CRT_NO_TRANS, CRT_NO_TRANS, 2, 3, 0, A, 1, B, 3, 0.0f, C, 3, NULL), 0);
  for (int i = 0; i < 6; i++) ck_assert_float_eq(C[i], 0.0f);
  C[0] = 7;
  ck_assert_int_eq(crt_sgemm(CRT_TRANS, CRT_TRANS, 0, 3, 4, NULL, 1, NULL, 4, 0.0f, C, 3, NULL), 0);
  ck_assert_float_eq(C[0], 7.0f);
}
END_TEST

Suite *forms_suite(void) {
  Suite *s = suite_create("forms");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 300);
  tcase_add_loop_test(tc, single_thread_call, 0, SHAPES * 4);
  tcase_add_loop_test(tc, parallel_call, 0, SHAPES * 4);
  tcase_add_loop_test(tc, batch_call, 0, SHAPES * 4);
  tcase_add_test(tc, empty_products);
  suite_add_tcase(s, tc);
  return s;
}
