/* Both backends on the sample kernels: each module is compiled to a shared
 * object, loaded, run, and compared with plain C computed here (exact for
 * elementwise and integer kernels; reductions within float rounding of a
 * double-precision reference). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "kernels.h"

static const char *const backend_names_under_test[] = {"llvm", "c"};
static Loaded loaded[2];

static void load_all(void) {
  LModule *m = build_all_kernels();
  for (int i = 0; i < 2; i++) load_module(m, backend_names_under_test[i], &loaded[i]);
  lmodule_free(m);
}

static void unload_all(void) {
  for (int i = 0; i < 2; i++) unload_module(&loaded[i]);
}

static void fill(float *x, int64_t n, unsigned seed, float lo, float hi) {
  for (int64_t i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = lo + (hi - lo) * (float)(seed >> 8) / (float)(1u << 24);
  }
}

/* |got - want| <= abs_tol + rel * |want|, reported with the backend (index B). */
static void assert_close(int b, double got, double want, double rel, double abs_tol, const char *what, int64_t at) {
  ck_assert_msg(fabs(got - want) <= abs_tol + rel * fabs(want), "%s [%s] at %lld: got %.9g, want %.9g", what,
                backend_names_under_test[b], (long long)at, got, want);
}

START_TEST(vadd_exact) {
  void (*vadd)(float *, float *, float *, int64_t) = loaded_symbol(&loaded[_i], "vadd");
  enum { N = 1003 };   /* not a multiple of any vector width: the remainder loop runs */
  float a[N], b[N], out[N];
  fill(a, N, 1, -10, 10);
  fill(b, N, 2, -10, 10);
  vadd(out, a, b, N);
  for (int i = 0; i < N; i++) ck_assert_msg(out[i] == a[i] + b[i], "vadd at %d", i);
}
END_TEST

START_TEST(row_sum_reduction) {
  void (*row_sum)(float *, float *, int64_t, int64_t) = loaded_symbol(&loaded[_i], "row_sum");
  enum { R = 7, C = 301 };
  float x[R * C], out[R];
  fill(x, R * C, 3, 0, 1);
  row_sum(out, x, R, C);
  for (int r = 0; r < R; r++) {
    double want = 0;
    for (int c = 0; c < C; c++) want += x[r * C + c];
    assert_close(_i, out[r], want, 1e-6, 0, "row_sum", r);
  }
}
END_TEST

START_TEST(layernorm_rows) {
  void (*layernorm)(float *, float *, float *, float *, int64_t, int64_t) = loaded_symbol(&loaded[_i], "layernorm");
  enum { R = 33, C = 96 };
  static float x[R * C], out[R * C], gamma[C], beta[C];
  fill(x, R * C, 4, -3, 5);
  fill(gamma, C, 5, 0.5f, 1.5f);
  fill(beta, C, 6, -0.5f, 0.5f);
  layernorm(out, x, gamma, beta, R, C);
  for (int r = 0; r < R; r++) {
    double mean = 0, var = 0;
    for (int c = 0; c < C; c++) mean += x[r * C + c];
    mean /= C;
    for (int c = 0; c < C; c++) var += (x[r * C + c] - mean) * (x[r * C + c] - mean);
    double rstd = 1 / sqrt(var / C + 1e-5);
    for (int c = 0; c < C; c++)
      assert_close(_i, out[r * C + c], (x[r * C + c] - mean) * rstd * gamma[c] + beta[c], 1e-6, 1e-6, "layernorm", r * C + c);
  }
}
END_TEST

START_TEST(softmax_rows) {
  void (*softmax)(float *, float *, int64_t, int64_t) = loaded_symbol(&loaded[_i], "softmax");
  enum { R = 5, C = 197 };
  static float x[R * C], out[R * C];
  fill(x, R * C, 7, -20, 20);
  softmax(out, x, R, C);
  for (int r = 0; r < R; r++) {
    double mx = -INFINITY, sum = 0;
    for (int c = 0; c < C; c++) mx = fmax(mx, x[r * C + c]);
    /* x - max is rounded to float first, as the kernel does: that rounding
     * is the input's, not the kernel's error. */
    for (int c = 0; c < C; c++) sum += exp((float)(x[r * C + c] - mx));
    for (int c = 0; c < C; c++)
      assert_close(_i, out[r * C + c], exp((float)(x[r * C + c] - mx)) / sum, 2e-6, 1e-30, "softmax", c);
  }
}
END_TEST

START_TEST(runtime_scratch_buffer) {
  void (*reverse_double)(float *, int64_t) = loaded_symbol(&loaded[_i], "reverse_double");
  enum { N = 517 };
  float out[N];
  reverse_double(out, N);
  for (int i = 0; i < N; i++) ck_assert_msg(out[i] == 2.0f * (float)(N - 1 - i), "reverse_double at %d", i);
}
END_TEST

START_TEST(integer_mask) {
  void (*positive_mask)(int64_t *, float *, int64_t) = loaded_symbol(&loaded[_i], "positive_mask");
  enum { N = 100 };
  float x[N];
  int64_t out[N];
  fill(x, N, 8, -1, 1);
  positive_mask(out, x, N);
  for (int i = 0; i < N; i++) ck_assert_int_eq(out[i], x[i] > 0 ? i + 1 : x[i] < 0 ? -1 : 0);
}
END_TEST

START_TEST(embedded_blob) {
  void (*scale_by_blob)(float *, int64_t) = loaded_symbol(&loaded[_i], "scale_by_blob");
  enum { N = 10 };
  float out[N];
  scale_by_blob(out, N);
  for (int i = 0; i < N; i++) ck_assert_msg(out[i] == (float)(i % 4 + 1) * (float)i, "scale_by_blob at %d", i);
}
END_TEST

/* ulps between GOT and the exact WANT, measured in units of WANT's binade. */
static double ulp_error(float got, double want) {
  int e;
  frexp(want, &e);
  double ulp = ldexp(1.0, (e - 24 < -149 ? -149 : e - 24));
  return fabs(got - want) / ulp;
}

START_TEST(exp_accuracy) {
  void (*exp_map)(float *, float *, int64_t) = loaded_symbol(&loaded[_i], "exp_map");
  enum { N = 1 << 20 };
  float *x = malloc(N * sizeof *x), *out = malloc(N * sizeof *out);
  for (int i = 0; i < N; i++) x[i] = -87.0f + 175.0f * (float)i / (float)(N - 1);
  exp_map(out, x, N);
  double worst = 0;
  int worst_at = 0;
  for (int i = 0; i < N; i++) {
    double e = ulp_error(out[i], exp((double)x[i]));
    if (e > worst) worst = e, worst_at = i;
  }
  ck_assert_msg(worst <= 2.0, "[%s] exp off by %.2f ulp at x = %.9g", backend_names_under_test[_i], worst,
                x[worst_at]);

  float special[] = {0.0f, -INFINITY, INFINITY, NAN, -200.0f, 100.0f, 88.7f, -103.0f};
  float got[8];
  exp_map(got, special, 8);
  ck_assert(got[0] == 1.0f);
  ck_assert(got[1] == 0.0f);
  ck_assert(isinf(got[2]) && got[2] > 0);
  ck_assert(isnan(got[3]));
  ck_assert(got[4] == 0.0f);
  ck_assert(isinf(got[5]));
  ck_assert_msg(ulp_error(got[6], exp((double)special[6])) <= 2.0, "exp(88.7) = %.9g", got[6]);
  ck_assert_msg(fabs(got[7] - exp((double)special[7])) <= ldexp(1, -149), "exp(-103) = %.9g", got[7]);
  free(x);
  free(out);
}
END_TEST

START_TEST(gemm_through_runtime) {
  void (*gemm)(float *, float *, float *, int64_t *, int64_t, int64_t, int64_t) = loaded_symbol(&loaded[_i], "gemm");
  enum { M = 17, N = 40, K = 33 };
  float a[M * K], b[K * N], c[M * N];
  int64_t status = 99;
  fill(a, M * K, 9, -1, 1);
  fill(b, K * N, 10, -1, 1);
  gemm(c, a, b, &status, M, N, K);
  ck_assert_int_eq(status, 0);
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      double want = 0;
      for (int k = 0; k < K; k++) want += (double)a[i * K + k] * b[k * N + j];
      assert_close(_i, c[i * N + j], want, 1e-5, 1e-6, "gemm", i * N + j);
    }
}
END_TEST

int main(void) {
  Suite *s = suite_create("backends");
  TCase *tc = tcase_create("kernels");
  tcase_set_timeout(tc, 120);
  tcase_add_unchecked_fixture(tc, load_all, unload_all);
  tcase_add_loop_test(tc, vadd_exact, 0, 2);
  tcase_add_loop_test(tc, row_sum_reduction, 0, 2);
  tcase_add_loop_test(tc, layernorm_rows, 0, 2);
  tcase_add_loop_test(tc, softmax_rows, 0, 2);
  tcase_add_loop_test(tc, runtime_scratch_buffer, 0, 2);
  tcase_add_loop_test(tc, integer_mask, 0, 2);
  tcase_add_loop_test(tc, embedded_blob, 0, 2);
  tcase_add_loop_test(tc, exp_accuracy, 0, 2);
  tcase_add_loop_test(tc, gemm_through_runtime, 0, 2);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
