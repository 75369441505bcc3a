/* Bad arguments are refused with a message naming the problem; nothing is
 * written. */
#include "gemm_suites.h"

#include <string.h>

static float A[64], B[64], C[64];

static void expect_refused(int status, const crt_error *e, const char *words) {
  ck_assert_int_eq(status, -1);
  ck_assert_msg(strstr(e->msg, words) != NULL, "message '%s' lacks '%s'", e->msg, words);
}

START_TEST(refuses_bad_arguments) {
  crt_error e = {{0}};
  const crt_trans N_ = CRT_NO_TRANS, T_ = CRT_TRANS;
  expect_refused(crt_sgemm(N_, N_, -1, 2, 2, A, 2, B, 2, 0, C, 2, &e), &e, "negative size");
  expect_refused(crt_sgemm(N_, N_, 2, 2, 2, A, 2, B, 2, 0.5f, C, 2, &e), &e, "beta must be 0 or 1");
  expect_refused(crt_sgemm(N_, N_, 2, 3, 4, A, 3, B, 3, 0, C, 3, &e), &e, "lda = 3");
  expect_refused(crt_sgemm(T_, N_, 2, 3, 4, A, 1, B, 3, 0, C, 3, &e), &e, "lda = 1");
  expect_refused(crt_sgemm(N_, T_, 2, 3, 4, A, 4, B, 3, 0, C, 3, &e), &e, "ldb = 3");
  expect_refused(crt_sgemm_parallel(N_, N_, 2, 3, 4, A, 4, B, 3, 0, C, 2, &e), &e, "ldc = 2");
  expect_refused(crt_sgemm_parallel(N_, N_, 2, 3, 4, NULL, 4, B, 3, 0, C, 3, &e), &e,
                 "NULL matrix");
  expect_refused(crt_sgemm((crt_trans)7, N_, 2, 3, 4, A, 4, B, 3, 0, C, 3, &e), &e,
                 "transpose flags");
  expect_refused(crt_sgemm_batch(N_, N_, 2, 3, 4, A, 4, 8, B, 3, 12, 0, C, 3, 2, 3, &e), &e,
                 "overlap");
  expect_refused(crt_sgemm_batch(N_, N_, 2, 3, 4, A, 4, 8, B, 3, 12, 0, C, 3, 6, -1, &e), &e,
                 "negative count");
}
END_TEST

Suite *errors_suite(void) {
  Suite *s = suite_create("errors");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, refuses_bad_arguments);
  suite_add_tcase(s, tc);
  return s;
}
