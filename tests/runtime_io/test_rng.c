/* The random number generator: the published reference sequences of
 * splitmix64 and xoshiro256**, reproducibility from a saved state, and the
 * distributions of the derived samples. */
#include "cratert_host.h"
#include "run_suite.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

START_TEST(seeding_follows_splitmix64) {
  /* splitmix64's reference output for seed 1234567. */
  crt_rng r;
  crt_rng_seed(&r, 1234567);
  ck_assert_uint_eq(r.s[0], 6457827717110365317u);
  ck_assert_uint_eq(r.s[1], 3203168211198807973u);
  ck_assert_uint_eq(r.s[2], 9817491932198370423u);
  ck_assert_uint_eq(r.s[3], 4593380528125082431u);
}
END_TEST

START_TEST(xoshiro256starstar_reference_sequence) {
  /* The reference implementation from state {1, 2, 3, 4}. */
  crt_rng r = {{1, 2, 3, 4}};
  ck_assert_uint_eq(crt_rng_next_u64(&r), 11520u);
  ck_assert_uint_eq(crt_rng_next_u64(&r), 0u);
  ck_assert_uint_eq(crt_rng_next_u64(&r), 1509978240u);
  ck_assert_uint_eq(crt_rng_next_u64(&r), 1215971899390074240u);
}
END_TEST

START_TEST(saved_state_continues_identically) {
  crt_rng a, b;
  crt_rng_seed(&a, 42);
  for (int i = 0; i < 100; i++) crt_rng_next_u64(&a);
  memcpy(&b, &a, sizeof a);   /* what a checkpoint does */
  for (int i = 0; i < 1000; i++) ck_assert_uint_eq(crt_rng_next_u64(&a), crt_rng_next_u64(&b));
  crt_rng c;
  crt_rng_seed(&c, 43);
  ck_assert_uint_ne(crt_rng_next_u64(&a), crt_rng_next_u64(&c));
}
END_TEST

enum { SAMPLES = 1 << 20 };

START_TEST(uniform_is_in_range_with_the_right_moments) {
  crt_rng r;
  crt_rng_seed(&r, 7);
  double sum = 0, sum_sq = 0;
  long outside = 0;   /* counted, not asserted per sample: Check's asserts are slow */
  for (int i = 0; i < SAMPLES; i++) {
    float u = crt_rng_uniform(&r);
    outside += !(u >= 0.0f && u < 1.0f);
    sum += u;
    sum_sq += (double)u * u;
  }
  ck_assert_int_eq(outside, 0);
  double mean = sum / SAMPLES, var = sum_sq / SAMPLES - mean * mean;
  /* Standard errors: 0.29/1024 for the mean; tolerance about 5 of them. */
  ck_assert_double_eq_tol(mean, 0.5, 1.5e-3);
  ck_assert_double_eq_tol(var, 1.0 / 12, 1e-3);
}
END_TEST

START_TEST(normal_has_zero_mean_unit_variance) {
  crt_rng r;
  crt_rng_seed(&r, 8);
  double sum = 0, sum_sq = 0, sum_4 = 0;
  long infinite = 0;
  for (int i = 0; i < SAMPLES; i++) {
    double x = crt_rng_normal(&r);
    infinite += !isfinite(x);
    sum += x;
    sum_sq += x * x;
    sum_4 += x * x * x * x;
  }
  ck_assert_int_eq(infinite, 0);
  ck_assert_double_eq_tol(sum / SAMPLES, 0.0, 5e-3);
  ck_assert_double_eq_tol(sum_sq / SAMPLES, 1.0, 7e-3);
  ck_assert_double_eq_tol(sum_4 / SAMPLES, 3.0, 0.05);   /* Gaussian kurtosis */
}
END_TEST

START_TEST(below_is_unbiased) {
  crt_rng r;
  crt_rng_seed(&r, 9);
  enum { N = 6 };
  long counts[N + 1] = {0};   /* counts[N]: out of range */
  for (int i = 0; i < SAMPLES; i++) {
    uint64_t k = crt_rng_below(&r, N);
    counts[k < N ? k : N]++;
  }
  ck_assert_int_eq(counts[N], 0);
  double expected = (double)SAMPLES / N, chi2 = 0;
  for (int k = 0; k < N; k++) chi2 += (counts[k] - expected) * (counts[k] - expected) / expected;
  ck_assert_double_lt(chi2, 20.5);   /* 5 degrees of freedom, p = 0.001 */

  for (int i = 0; i < 1000; i++) ck_assert_uint_eq(crt_rng_below(&r, 1), 0);
  ck_assert_uint_eq(crt_rng_below(&r, 0), 0);
  /* A bound just above 2^63 rejects almost half the draws: still in range. */
  uint64_t big = (UINT64_C(1) << 63) + 1;
  for (int i = 0; i < 1000; i++) ck_assert_uint_lt(crt_rng_below(&r, big), big);
}
END_TEST

int main(void) {
  Suite *s = suite_create("rng");
  TCase *tc = tcase_create("rng");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, seeding_follows_splitmix64);
  tcase_add_test(tc, xoshiro256starstar_reference_sequence);
  tcase_add_test(tc, saved_state_continues_identically);
  tcase_add_test(tc, uniform_is_in_range_with_the_right_moments);
  tcase_add_test(tc, normal_has_zero_mean_unit_variance);
  tcase_add_test(tc, below_is_unbiased);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
