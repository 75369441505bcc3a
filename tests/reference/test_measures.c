/* test_measures.c — the white-box measures on inputs with closed-form
 * answers. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "crate_ref.h"
#include "gradcheck.h"

static const double EPS = REF_CODING_RATE_EPS;

START_TEST(coding_rate_two_tokens) {
  /* N = 2: det(I₂ + c·G) with G the Gram matrix of two unit rows is
   * (1 + c)² − c²cos²θ. */
  enum { B = 2, N = 2, K = 2, p = 3 };
  crt_rng r = gc_seeded(47);
  float *q = gc_random(&r, B * N * K * p, 1);
  double rc[B];
  ck_assert_int_eq(ref_coding_rate(rc, q, B, N, K, p, EPS, NULL), 0);
  double c = p / (N * EPS);
  for (int b = 0; b < B; b++) {
    double want = 0;
    for (int k = 0; k < K; k++) {
      const float *x0 = q + (size_t)b * N * K * p + k * p, *x1 = x0 + K * p;
      double dot = 0, n0 = 0, n1 = 0;
      for (int i = 0; i < p; i++) {
        double a = x0[i], b = x1[i];
        dot += a * b, n0 += a * a, n1 += b * b;
      }
      double cos2 = dot * dot / (n0 * n1);
      want += 0.5 * log((1 + c) * (1 + c) - c * c * cos2);
    }
    ck_assert_double_eq_tol(rc[b], want, 1e-9 * want);
  }
  free(q);
}
END_TEST

START_TEST(coding_rate_one_dimensional_heads) {
  /* p = 1: every normalised token is ±1, so X̃ᵀX̃ counts the non-zero tokens
   * and R_k = ½ log(1 + count/(N·eps)); a zero token stays zero. */
  enum { N = 5, K = 3 };
  float q[N * K] = {0.5f, -2, 3, 1, 0, -1, 7, 4, 2, -3, 1, 1, 2, 5, -0.25f};
  double rc;
  ck_assert_int_eq(ref_coding_rate(&rc, q, 1, N, K, 1, EPS, NULL), 0);
  double full = 0.5 * log(1 + N / (N * EPS)), missing_one = 0.5 * log(1 + (N - 1) / (N * EPS));
  ck_assert_double_eq_tol(rc, 2 * full + missing_one, 1e-9);
}
END_TEST

START_TEST(coding_rate_rejects_non_finite_input) {
  float q[4] = {1, NAN, 0.5f, 2};
  double rc = 0;
  ck_assert_int_eq(ref_coding_rate(&rc, q, 1, 2, 1, 2, EPS, NULL), 0);
  ck_assert(isnan(rc));
}
END_TEST

START_TEST(zero_fraction_and_statistics) {
  float z[2 * 4] = {0, 1, 0, 0, 2, 0, 3, 4};
  float zero[2], zmean, zstd;
  ref_zero_fraction(zero, z, 2, 4);
  ck_assert_float_eq(zero[0], 0.75f);
  ck_assert_float_eq(zero[1], 0.25f);
  ref_sparsity_stats(&zmean, &zstd, zero, 2);
  ck_assert_float_eq(zmean, 0.5f);
  ck_assert_float_eq(zstd, 0.25f);
  double x[4] = {1, 2, 3, 4}, mean, std;
  ref_mean_std(&mean, &std, x, 4, true);
  ck_assert_double_eq_tol(mean, 2.5, 1e-15);
  ck_assert_double_eq_tol(std, sqrt(5.0 / 3.0), 1e-15);
  ref_mean_std(&mean, &std, x, 4, false);
  ck_assert_double_eq_tol(std, sqrt(1.25), 1e-15);
  ref_mean_std(&mean, &std, x, 1, true);
  ck_assert(isnan(std));
}
END_TEST

START_TEST(sparsity_statistics_round_like_float32_numpy) {
  /* The micro case's layer 0: 549 and 551 zeros of 1088. Exact population
   * std is 1/1088 = 9.19117647e-4; numpy in float32 reports the value below
   * (meta.json), which float32 arithmetic reproduces to the bit. */
  float zero[2] = {549.0f / 1088.0f, 551.0f / 1088.0f}, mean, std;
  ref_sparsity_stats(&mean, &std, zero, 2);
  ck_assert_float_eq(mean, 0.5055147409439087f);
  ck_assert_float_eq(std, 0.0009191334247589111f);
}
END_TEST

START_TEST(layer_measures_combine_both) {
  enum { B = 3, N = 2, d = 2, K = 1, p = 2 };
  crt_rng r = gc_seeded(53);
  float *q = gc_random(&r, B * N * K * p, 1);
  float z[B * N * d] = {0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0};
  ref_layer_measures m;
  ck_assert_int_eq(ref_measure_layer(&m, q, z, B, N, d, K, p, NULL), 0);
  double rc[B], mean, std;
  ref_coding_rate(rc, q, B, N, K, p, EPS, NULL);
  ref_mean_std(&mean, &std, rc, B, true);
  ck_assert_double_eq(m.rc_mean, mean);
  ck_assert_double_eq(m.rc_std, std);
  ck_assert_double_eq_tol(m.zero_mean, (0.25 + 0.5 + 1.0) / 3, 1e-7);  /* float32 */
  ck_assert_double_eq_tol(m.nonzero_mean, 1 - m.zero_mean, 1e-7);
  float zs[3] = {0.25f, 0.5f, 1.0f}, zmean, zstd;
  ref_sparsity_stats(&zmean, &zstd, zs, 3);
  ck_assert_double_eq(m.zero_std, zstd);
  free(q);
}
END_TEST

int main(void) {
  Suite *s = suite_create("reference white-box measures");
  TCase *tc = tcase_create("measures");
  tcase_add_test(tc, coding_rate_two_tokens);
  tcase_add_test(tc, coding_rate_one_dimensional_heads);
  tcase_add_test(tc, coding_rate_rejects_non_finite_input);
  tcase_add_test(tc, zero_fraction_and_statistics);
  tcase_add_test(tc, sparsity_statistics_round_like_float32_numpy);
  tcase_add_test(tc, layer_measures_combine_both);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
