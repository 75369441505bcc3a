/* The plain C kernels, forced, give the same products as the JIT: every
 * form, both betas, whole and edge blocks, a split K. */
#include "gemm_suites.h"

static const gemm_case shapes[] = {
    {1, 1, 1, CRT_NO_TRANS, CRT_NO_TRANS, 0},
    {7, 13, 5, CRT_NO_TRANS, CRT_NO_TRANS, 2},
    {197, 64, 197, CRT_NO_TRANS, CRT_NO_TRANS, 0},
    {70, 90, 600, CRT_NO_TRANS, CRT_NO_TRANS, 1},
};
#define SHAPES (int)(sizeof shapes / sizeof shapes[0])

START_TEST(forced_fallback) {
  gemm_case c = shapes[_i / 4];
  c.ta = form_ta(_i % 4), c.tb = form_tb(_i % 4);
  crt_gemm_force_fallback(true);
  check_call(crt_sgemm, &c, 0.0f, 100 + _i);
  check_call(crt_sgemm_parallel, &c, 1.0f, 200 + _i);
  crt_gemm_force_fallback(false);
}
END_TEST

Suite *fallback_suite(void) {
  Suite *s = suite_create("fallback");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, forced_fallback, 0, SHAPES * 4);
  suite_add_tcase(s, tc);
  return s;
}
