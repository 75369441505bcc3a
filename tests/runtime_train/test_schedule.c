/* Learning-rate schedules at their boundaries. Expected values are the
 * formulas worked out by hand (and to full precision with a calculator);
 * comparisons allow relative 1e-15 for the libm cosine. */
#include "cratert_host.h"

#include "train_suites.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void assert_lr(double got, double want) {
  ck_assert_msg(fabs(got - want) <= 1e-15 * fabs(want) + 1e-300, "got %.17g, want %.17g", got, want);
}

START_TEST(constant_is_constant) {
  crt_schedule s = {.kind = CRT_SCHEDULE_CONSTANT, .base_lr = 3e-4};
  ck_assert_int_eq(crt_schedule_check(&s, NULL), 0);
  ck_assert_double_eq(crt_schedule_lr(&s, 0, 0, 10), 3e-4);
  ck_assert_double_eq(crt_schedule_lr(&s, 1000, 7, 10), 3e-4);
}
END_TEST

/* The official recipe: lr 2e-4, 20 warm-up epochs, 200 epochs;
 * factor(e) = min((e+1)/(20 + 1e-8), ½(cos(e/200·π) + 1)).
 *   e = 0:   1/20.00000001 = 0.0499999999750        → 9.999999995e-06
 *   e = 9:   10/20.00000001                          → 9.999999995e-05
 *   e = 18:  19/20.00000001 (cos part 0.98015)       → 1.89999999905e-04
 *   e = 19:  cos part ½(1 + cos(0.095π)) = 0.97789650739916 < 0.9999999995
 *                                                    → 1.9557930147983e-04
 *   e = 100: ½(1 + cos(π/2)) = ½                     → 1e-4
 *   e = 199: ½(1 + cos(0.995π)) = 6.168375916970e-05 → 1.2336751833941e-08
 *   e = 200 and later: ½(1 + cos π) = 0 */
START_TEST(official_cosine_per_epoch) {
  crt_schedule s = {.kind = CRT_SCHEDULE_COSINE, .base_lr = 2e-4, .epochs = 200, .warmup_epochs = 20};
  ck_assert_int_eq(crt_schedule_check(&s, NULL), 0);
  assert_lr(crt_schedule_lr(&s, 0, 0, 100), 9.999999995000001e-06);
  assert_lr(crt_schedule_lr(&s, 9, 0, 100), 9.999999995e-05);
  assert_lr(crt_schedule_lr(&s, 18, 0, 100), 0.000189999999905);
  assert_lr(crt_schedule_lr(&s, 19, 0, 100), 0.00019557930147983302);
  assert_lr(crt_schedule_lr(&s, 100, 0, 100), 1e-4);
  assert_lr(crt_schedule_lr(&s, 199, 0, 100), 1.2336751833941229e-08);
  ck_assert_double_eq(crt_schedule_lr(&s, 200, 0, 100), 0.0);
  ck_assert_double_eq(crt_schedule_lr(&s, 250, 0, 100), 0.0);
  /* LambdaLR is stepped once per epoch: no change within one. */
  ck_assert_double_eq(crt_schedule_lr(&s, 19, 99, 100), crt_schedule_lr(&s, 19, 0, 100));
}
END_TEST

/* Per step: base 1, floor 0.1, 2 epochs of 5 steps (T = 10), 4 warm-up steps.
 *   cos(t) = 0.1 + 0.9·½(cos(tπ/10) + 1), warm(t) = (t+1)/4 while t < 4
 *   t = 0: min(0.25, 1)                 = 0.25
 *   t = 3: min(1, 0.1 + 0.45·1.5877853) = 0.81450336353161
 *   t = 4: past warm-up, cos            = 0.68905764746873
 *   t = 5 (epoch 1, step 0): 0.1 + 0.45 = 0.55
 *   t = 9: 0.1 + 0.45·(1 − 0.9510565)   = 0.12202456766718
 *   t = 10 and later: the floor 0.1 */
START_TEST(cosine_per_step_with_warmup_steps_and_floor) {
  crt_schedule s = {.kind = CRT_SCHEDULE_COSINE, .per_step = true, .base_lr = 1.0, .min_lr = 0.1,
                    .epochs = 2, .warmup_steps = 4};
  ck_assert_int_eq(crt_schedule_check(&s, NULL), 0);
  assert_lr(crt_schedule_lr(&s, 0, 0, 5), 0.25);
  assert_lr(crt_schedule_lr(&s, 0, 3, 5), 0.8145033635316129);
  assert_lr(crt_schedule_lr(&s, 0, 4, 5), 0.6890576474687263);
  assert_lr(crt_schedule_lr(&s, 1, 0, 5), 0.55);
  assert_lr(crt_schedule_lr(&s, 1, 4, 5), 0.12202456766718092);
  assert_lr(crt_schedule_lr(&s, 2, 0, 5), 0.1);
  assert_lr(crt_schedule_lr(&s, 3, 2, 5), 0.1);
}
END_TEST

/* Warm-up of one epoch = 5 steps: t = 0 → ⅕, t = 2 → ⅗ (below the cosine's
 * 0.914), t = 4 → min(1, 0.68906) = 0.68906. */
START_TEST(cosine_per_step_with_warmup_epochs) {
  crt_schedule s = {.kind = CRT_SCHEDULE_COSINE, .per_step = true, .base_lr = 1.0, .min_lr = 0.1,
                    .epochs = 2, .warmup_epochs = 1};
  assert_lr(crt_schedule_lr(&s, 0, 0, 5), 0.2);
  assert_lr(crt_schedule_lr(&s, 0, 2, 5), 0.6);
  assert_lr(crt_schedule_lr(&s, 0, 4, 5), 0.6890576474687263);
}
END_TEST

/* main.py's --warmup-epochs is a float. W = 1.5, E = 10, lr 1e-3:
 *   e = 0: min(1/1.50000001, 1)                     → 6.6666666222e-04
 *   e = 1: min(2/1.50000001, ½(1 + cos(π/10)))      → ½(1 + 0.95105651629515) e-3
 * Per step, 1.5 epochs of 4 steps warm up over 6: t = 2 → 3/6 (cosine 0.98). */
START_TEST(fractional_warmup_epochs) {
  crt_schedule s = {.kind = CRT_SCHEDULE_COSINE, .base_lr = 1e-3, .epochs = 10, .warmup_epochs = 1.5};
  ck_assert_int_eq(crt_schedule_check(&s, NULL), 0);
  assert_lr(crt_schedule_lr(&s, 0, 0, 4), 1e-3 / 1.50000001);
  assert_lr(crt_schedule_lr(&s, 1, 0, 4), 0.5 * (1 + cos(M_PI / 10)) * 1e-3);
  s.per_step = true;
  assert_lr(crt_schedule_lr(&s, 0, 2, 4), 0.5e-3);
  s.warmup_epochs = NAN;
  ck_assert_int_eq(crt_schedule_check(&s, NULL), -1);
}
END_TEST

static void expect_check_error(crt_schedule s, const char *fragment) {
  crt_error err = {{0}};
  ck_assert_int_eq(crt_schedule_check(&s, &err), -1);
  ck_assert_msg(strstr(err.msg, fragment), "message '%s' lacks '%s'", err.msg, fragment);
}

START_TEST(bad_schedules_are_rejected) {
  crt_schedule cosine = {.kind = CRT_SCHEDULE_COSINE, .base_lr = 1e-3, .epochs = 10};
  crt_schedule s = cosine;
  s.epochs = 0;
  expect_check_error(s, "epochs");
  s = cosine;
  s.warmup_steps = 100;
  expect_check_error(s, "per-step");
  s = cosine;
  s.per_step = true, s.min_lr = 1.0;
  expect_check_error(s, "min_lr");
  s = cosine;
  s.base_lr = NAN;
  expect_check_error(s, "learning rate");
  s = cosine;
  s.warmup_epochs = -1;
  expect_check_error(s, "warm-up");
}
END_TEST

START_TEST(names) {
  ck_assert_str_eq(crt_schedule_name(CRT_SCHEDULE_CONSTANT), "constant");
  ck_assert_str_eq(crt_schedule_name(CRT_SCHEDULE_COSINE), "cosine");
  ck_assert_str_eq(crt_schedule_name((crt_schedule_kind)-1), "unknown");
}
END_TEST

Suite *schedule_suite(void) {
  const TTest *tests[] = {
      constant_is_constant,
      official_cosine_per_epoch,
      cosine_per_step_with_warmup_steps_and_floor,
      cosine_per_step_with_warmup_epochs,
      fractional_warmup_epochs,
      bad_schedules_are_rejected,
      names,
  };
  return train_suite("schedules", tests, sizeof tests / sizeof tests[0]);
}
