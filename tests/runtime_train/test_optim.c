/* Optimizer steps against hand-derived values. Most hyper-parameters are
 * powers of two so every intermediate is exact in float32 and the expected
 * values can be compared bitwise; where a bias correction makes that
 * impossible, the expectation comes from a closed form and the comparison
 * allows a few units of rounding. */
#include "cratert_host.h"

#include "train_suites.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static crt_optimizer make(crt_optimizer_config config, size_t count) {
  crt_optimizer opt;
  crt_error err = {{0}};
  ck_assert_msg(crt_optimizer_init(&opt, &config, count, &err) == 0, "%s", err.msg);
  return opt;
}

static void step(crt_optimizer *opt, float *params, const float *grads, size_t n, double lr) {
  crt_error err = {{0}};
  ck_assert_msg(crt_optimizer_step(opt, params, grads, n, lr, &err) == 0, "%s", err.msg);
}

static void assert_floats(const float *got, const float *want, size_t n, float tol) {
  for (size_t i = 0; i < n; i++)
    ck_assert_msg(tol == 0.0f ? got[i] == want[i] : fabsf(got[i] - want[i]) <= tol,
                  "element %zu: got %.9g, want %.9g", i, got[i], want[i]);
}

/* lr 0.5, momentum 0.5, wd 0.25, constant gradient g = (0.5, 1), p0 = (1, −2).
 *   step 1: g' = g + ¼p = (0.75, 0.5); buf = g';         p = p − ½buf = (0.625, −2.25)
 *   step 2: g' = (0.65625, 0.4375); buf = ½buf + g' = (1.03125, 0.6875);
 *           p = (0.109375, −2.59375)
 *   step 3: g' = (0.52734375, 0.3515625); buf = (1.04296875, 0.6953125);
 *           p = (−0.412109375, −2.94140625) */
START_TEST(sgd_momentum_three_steps) {
  crt_optimizer_config c = {.kind = CRT_OPT_SGD, .momentum = 0.5, .weight_decay = 0.25};
  crt_optimizer opt = make(c, 2);
  float p[2] = {1.0f, -2.0f};
  const float g[2] = {0.5f, 1.0f};
  const float want_p[3][2] = {{0.625f, -2.25f}, {0.109375f, -2.59375f}, {-0.412109375f, -2.94140625f}};
  const float want_buf[3][2] = {{0.75f, 0.5f}, {1.03125f, 0.6875f}, {1.04296875f, 0.6953125f}};
  for (int t = 0; t < 3; t++) {
    step(&opt, p, g, 2, 0.5);
    assert_floats(p, want_p[t], 2, 0.0f);
    assert_floats(opt.exp_avg, want_buf[t], 2, 0.0f);
  }
  ck_assert_int_eq(opt.steps, 3);
  crt_optimizer_free(&opt);
}
END_TEST

/* Same as above with nesterov: the applied direction is g' + ½buf.
 *   step 1: g' = (0.75, 0.5), buf = g', d = (1.125, 0.75);   p = (0.4375, −2.375)
 *   step 2: g' = (0.609375, 0.40625), buf = (0.984375, 0.65625),
 *           d = (1.1015625, 0.734375);                        p = (−0.11328125, −2.7421875) */
START_TEST(sgd_nesterov_two_steps) {
  crt_optimizer_config c = {.kind = CRT_OPT_SGD, .momentum = 0.5, .weight_decay = 0.25, .nesterov = true};
  crt_optimizer opt = make(c, 2);
  float p[2] = {1.0f, -2.0f};
  const float g[2] = {0.5f, 1.0f};
  const float want[2][2] = {{0.4375f, -2.375f}, {-0.11328125f, -2.7421875f}};
  for (int t = 0; t < 2; t++) {
    step(&opt, p, g, 2, 0.5);
    assert_floats(p, want[t], 2, 0.0f);
  }
  crt_optimizer_free(&opt);
}
END_TEST

/* momentum 0 is plain SGD and keeps no buffer: p = 1 − ½(0.5 + ¼·1) = 0.625. */
START_TEST(sgd_without_momentum) {
  crt_optimizer_config c = {.kind = CRT_OPT_SGD, .weight_decay = 0.25};
  crt_optimizer opt = make(c, 1);
  ck_assert_ptr_null(opt.exp_avg);
  float p = 1.0f;
  const float g = 0.5f;
  step(&opt, &p, &g, 1, 0.5);
  ck_assert_float_eq(p, 0.625f);
  crt_optimizer_free(&opt);
}
END_TEST

/* AdamW with settings that keep the first step exact in float32. */
static crt_optimizer_config dyadic_adamw(void) {
  return (crt_optimizer_config){
      .kind = CRT_OPT_ADAMW, .beta1 = 0.75, .beta2 = 0.75, .eps = 0.5, .weight_decay = 0.5};
}

/* AdamW, β = (0.75, 0.75), lr ¼, wd ½ (decay factor 1 − ⅛ = 0.875), eps ½
 * (large, so that its place shows), p0 = 1, g = ½ every step.
 * Step 1: m = lerp(0, ½, ¼) = 0.125, v = ¼·¼ = 0.0625; bias corrections
 * 1 − 0.75 = ¼ and √¼ = ½: denom = √v/½ + eps = 0.5 + 0.5 = 1 and
 * p = 0.875 − (¼/¼)·0.125/1 = 0.75 exactly. (eps inside the division would
 * give (0.25 + 0.5)/0.5 = 1.5 and p = 0.7916…; no bias correction, 0.8125.)
 * With a constant gradient the bias-corrected moments are exactly m̂ = g and
 * v̂ = g² at every step, so p_t = 0.875·p_{t−1} − ¼·g/(|g| + eps)
 *                              = 0.875·p_{t−1} − 0.125:
 * 0.75, 0.53125, 0.33984375, 0.17236328125, 0.02581787109375. */
START_TEST(adamw_bias_correction_constant_gradient) {
  crt_optimizer opt = make(dyadic_adamw(), 1);
  float p = 1.0f;
  const float g = 0.5f;
  const float want[5] = {0.75f, 0.53125f, 0.33984375f, 0.17236328125f, 0.02581787109375f};
  step(&opt, &p, &g, 1, 0.25);
  ck_assert_float_eq(p, want[0]);
  ck_assert_float_eq(opt.exp_avg[0], 0.125f);
  ck_assert_float_eq(opt.exp_avg_sq[0], 0.0625f);
  for (int t = 1; t < 5; t++) {
    step(&opt, &p, &g, 1, 0.25);
    ck_assert_float_eq_tol(p, want[t], 4e-7f);
  }
  crt_optimizer_free(&opt);
}
END_TEST

/* Same settings, gradient ½ then −½: the second step's first moment crosses
 * zero. Step 2: p = 0.75·0.875 = 0.65625; m = 0.125 + ¼(−0.5 − 0.125)
 * = −0.03125; v = 0.0625·0.75 + ¼·¼ = 0.109375; bias corrections
 * 1 − 0.75² = 0.4375 for both, so √v̂ = √0.25 = ½ and denom = 1;
 * p = 0.65625 − ¼·(−0.03125/0.4375) = 0.65625 + 0.0178571… = 0.6741071428… */
START_TEST(adamw_gradient_changes_sign) {
  crt_optimizer opt = make(dyadic_adamw(), 1);
  float p = 1.0f;
  const float g1 = 0.5f, g2 = -0.5f;
  step(&opt, &p, &g1, 1, 0.25);
  step(&opt, &p, &g2, 1, 0.25);
  ck_assert_float_eq(opt.exp_avg[0], -0.03125f);
  ck_assert_float_eq(opt.exp_avg_sq[0], 0.109375f);
  ck_assert_float_eq_tol(p, 0.6741071428f, 1.2e-7f);
  crt_optimizer_free(&opt);
}
END_TEST

/* PyTorch's defaults (β 0.9/0.999, eps 1e-8) and lr 1e-3, wd 0.01: with a
 * constant gradient each step moves p by −lr·g/(|g| + 1e-8) after the decay
 * p·(1 − 1e-5), so for g = (0.5, −2, 0) and p0 = (1, 1, 1) after 3 steps
 *   p = 0.99999³ − 1e-3·(0.99999² + 0.99999 + 1)·(0.99999998, −0.999999995, 0)
 *     = (0.99697003, 1.00296997, 0.99997000)  (to 1e-8).
 * A zero gradient leaves only the decay: 0.99999³ = 0.9999700003. Without
 * bias correction the first step alone would move p by lr·0.1/√0.001 ≈ 3.2·lr. */
START_TEST(adamw_pytorch_defaults) {
  crt_optimizer_config c = crt_optimizer_defaults(CRT_OPT_ADAMW);
  c.weight_decay = 0.01;
  crt_optimizer opt = make(c, 3);
  float p[3] = {1.0f, 1.0f, 1.0f};
  const float g[3] = {0.5f, -2.0f, 0.0f};
  for (int t = 0; t < 3; t++) step(&opt, p, g, 3, 1e-3);
  const float want[3] = {0.99697003f, 1.00296997f, 0.99997f};
  assert_floats(p, want, 3, 3e-7f);
  crt_optimizer_free(&opt);
}
END_TEST

/* Lion, β1 ¾, β2 ½, lr ⅛, wd ½ (decay 1 − 1/16 = 0.9375), p0 = 1, m0 = 0.
 *   g1 = (1, −1, 1, 0):   u = sign(¼g) = (1, −1, 1, 0)  — sign(0) = 0
 *     p = 0.9375 − ⅛u = (0.8125, 1.0625, 0.8125, 0.9375); m = ½g = (½, −½, ½, 0)
 *   g2 = (−1, −1, −1.5, 0): u = sign(¾m + ¼g) = sign(0.125, −0.625, 0, 0) = (1, −1, 0, 0)
 *     — element 0 follows the old momentum against its gradient (interpolating
 *     with the updated m, −¼, would flip it), element 2 cancels to exactly 0.
 *     p = (0.63671875, 1.12109375, 0.76171875, 0.87890625); m = (−¼, −¾, −½, 0)
 *   g3 = 0: u = sign(¾m) = (−1, −1, −1, 0)
 *     p = 0.9375p + ⅛ = (0.721923828125, 1.176025390625, 0.839111328125, 0.823974609375)
 *     m = ½m = (−0.125, −0.375, −0.25, 0) */
START_TEST(lion_three_steps) {
  crt_optimizer_config c = {.kind = CRT_OPT_LION, .beta1 = 0.75, .beta2 = 0.5, .weight_decay = 0.5};
  crt_optimizer opt = make(c, 4);
  float p[4] = {1, 1, 1, 1};
  const float g[3][4] = {{1, -1, 1, 0}, {-1, -1, -1.5f, 0}, {0, 0, 0, 0}};
  const float want_p[3][4] = {{0.8125f, 1.0625f, 0.8125f, 0.9375f},
                              {0.63671875f, 1.12109375f, 0.76171875f, 0.87890625f},
                              {0.721923828125f, 1.176025390625f, 0.839111328125f, 0.823974609375f}};
  const float want_m[3][4] = {{0.5f, -0.5f, 0.5f, 0}, {-0.25f, -0.75f, -0.5f, 0}, {-0.125f, -0.375f, -0.25f, 0}};
  for (int t = 0; t < 3; t++) {
    step(&opt, p, g[t], 4, 0.125);
    assert_floats(p, want_p[t], 4, 0.0f);
    assert_floats(opt.exp_avg, want_m[t], 4, 0.0f);
  }
  crt_optimizer_free(&opt);
}
END_TEST

/* Each element is independent, so 1 and 2 threads must agree bit for bit. */
START_TEST(thread_count_does_not_change_results) {
  enum { N = 100003 };
  for (int kind = 0; kind < CRT_OPT_KIND_COUNT; kind++) {
    float *p[2], *g = malloc(N * sizeof *g);
    for (size_t i = 0; i < N; i++) g[i] = (float)((int)(i * 7919 % 2001) - 1000) / 1000.0f;
    crt_optimizer opt[2];
    for (int threads = 1; threads <= 2; threads++) {
      crt_optimizer_config c = crt_optimizer_defaults((crt_optimizer_kind)kind);
      c.weight_decay = 0.05;
      opt[threads - 1] = make(c, N);
      p[threads - 1] = malloc(N * sizeof(float));
      for (size_t i = 0; i < N; i++) p[threads - 1][i] = (float)i / N;
      crt_set_threads(threads);
      for (int t = 0; t < 3; t++) step(&opt[threads - 1], p[threads - 1], g, N, 1e-3);
    }
    ck_assert_mem_eq(p[0], p[1], N * sizeof(float));
    ck_assert_mem_eq(opt[0].exp_avg, opt[1].exp_avg, N * sizeof(float));
    for (int k = 0; k < 2; k++) {
      crt_optimizer_free(&opt[k]);
      free(p[k]);
    }
    free(g);
  }
}
END_TEST

static void expect_init_error(crt_optimizer_config c, size_t count, const char *fragment) {
  crt_optimizer opt;
  crt_error err = {{0}};
  ck_assert_int_eq(crt_optimizer_init(&opt, &c, count, &err), -1);
  ck_assert_msg(strstr(err.msg, fragment), "message '%s' lacks '%s'", err.msg, fragment);
  crt_optimizer_free(&opt);
}

START_TEST(bad_configurations_are_rejected) {
  crt_optimizer_config adamw = crt_optimizer_defaults(CRT_OPT_ADAMW);
  adamw.beta1 = 1.0;
  expect_init_error(adamw, 4, "betas");
  adamw = crt_optimizer_defaults(CRT_OPT_ADAMW);
  adamw.eps = 0.0;
  expect_init_error(adamw, 4, "eps");
  crt_optimizer_config lion = crt_optimizer_defaults(CRT_OPT_LION);
  lion.weight_decay = -0.1;
  expect_init_error(lion, 4, "weight_decay");
  crt_optimizer_config sgd = {.kind = CRT_OPT_SGD, .nesterov = true};
  expect_init_error(sgd, 4, "nesterov");
  expect_init_error(crt_optimizer_defaults(CRT_OPT_SGD), 0, "no parameters");
}
END_TEST

START_TEST(bad_steps_are_rejected) {
  crt_optimizer opt = make(crt_optimizer_defaults(CRT_OPT_LION), 2);
  float p[3] = {0}, g[3] = {0};
  crt_error err = {{0}};
  ck_assert_int_eq(crt_optimizer_step(&opt, p, g, 3, 1e-3, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "3 parameters"));
  ck_assert_int_eq(crt_optimizer_step(&opt, p, g, 2, -1.0, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "learning rate"));
  ck_assert_int_eq(opt.steps, 0);
  crt_optimizer_free(&opt);
}
END_TEST

/* Every optimizer reports a step that leaves a parameter or its state
 * non-finite, whichever element it is in (10,000 elements span several
 * thread ranges): a NaN gradient, or Lion, whose sign(NaN) is 0, so that
 * only its momentum turns NaN; and a finite step that overflows. */
START_TEST(nonfinite_steps_are_reported) {
  enum { N = 10000 };
  static const crt_optimizer_kind kinds[] = {CRT_OPT_SGD, CRT_OPT_ADAMW, CRT_OPT_LION};
  float *p = calloc(N, sizeof *p), *g = calloc(N, sizeof *g);
  for (int k = 0; k < 3; k++)
    for (int at = 0; at < N; at += 4999) {
      crt_optimizer opt = make(crt_optimizer_defaults(kinds[k]), N);
      memset(p, 0, N * sizeof *p), memset(g, 0, N * sizeof *g);
      g[at] = NAN;
      crt_error err = {{0}};
      ck_assert_msg(crt_optimizer_step(&opt, p, g, N, 1e-3, &err) == -1, "%s, element %d",
                    crt_optimizer_name(kinds[k]), at);
      ck_assert_msg(strstr(err.msg, crt_optimizer_name(kinds[k])) && strstr(err.msg, "NaN or infinite"),
                    "%s", err.msg);
      crt_optimizer_free(&opt);
    }
  crt_optimizer opt = make((crt_optimizer_config){.kind = CRT_OPT_SGD}, N);
  memset(g, 0, N * sizeof *g);
  p[7] = 3e38f, g[7] = -3e38f;
  ck_assert_int_eq(crt_optimizer_step(&opt, p, g, N, 1.0, NULL), -1);
  crt_optimizer_free(&opt);
  free(p), free(g);
}
END_TEST

START_TEST(names) {
  ck_assert_str_eq(crt_optimizer_name(CRT_OPT_SGD), "sgd");
  ck_assert_str_eq(crt_optimizer_name(CRT_OPT_ADAMW), "adamw");
  ck_assert_str_eq(crt_optimizer_name(CRT_OPT_LION), "lion");
  ck_assert_str_eq(crt_optimizer_name((crt_optimizer_kind)7), "unknown");
}
END_TEST

Suite *optim_suite(void) {
  const TTest *tests[] = {
      sgd_momentum_three_steps,
      sgd_nesterov_two_steps,
      sgd_without_momentum,
      adamw_bias_correction_constant_gradient,
      adamw_gradient_changes_sign,
      adamw_pytorch_defaults,
      lion_three_steps,
      thread_count_does_not_change_results,
      bad_configurations_are_rejected,
      bad_steps_are_rejected,
      nonfinite_steps_are_reported,
      names,
  };
  return train_suite("optimizers", tests, sizeof tests / sizeof tests[0]);
}
