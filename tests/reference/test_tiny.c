/* test_tiny.c — CRATE-Tiny/16 forward (case tiny_fwd) with the plain model:
 * logits and the per-layer white-box measures. Its 25 MB of weights are not
 * in git: looked for in tests/data/tiny_fwd, then CRATEC_CASES_DIR; the test
 * says so and passes when neither has them. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "case_checks.h"
#include "case_io.h"
#include "gradcheck.h"

static const char *find_case(void) {
  static const char *const dirs[] = {CRATEC_TEST_DATA "/tiny_fwd", CRATEC_CASES_DIR "/tiny_fwd"};
  for (int i = 0; i < 2; i++)
    if (ref_case_has(dirs[i], "weights.safetensors") && ref_case_has(dirs[i], "input.safetensors") &&
        ref_case_has(dirs[i], "expected.safetensors"))
      return dirs[i];
  return NULL;
}

START_TEST(tiny_forward_matches_reference) {
  const char *dir = find_case();
  if (!dir) {
    printf("SKIPPED: CRATE-Tiny weights not found in %s/tiny_fwd or %s/tiny_fwd\n",
           CRATEC_TEST_DATA, CRATEC_CASES_DIR);
    return;
  }
  ref_case c;
  crt_error e = {{0}};
  ck_assert_msg(ref_case_open(&c, dir, &e) == 0, "%s", e.msg);
  crate_model *m = &c.model;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  ck_assert_msg(crate_model_forward(m, c.labels, &e) == 0, "%s", e.msg);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("tiny_fwd (%s): forward at batch %d took %.2f s\n", dir, m->B,
         (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec));

  /* README: float32 implementations land within 10–100× of the hint, which
   * is relative to the largest logit. */
  const cJSON *hint = cJSON_GetObjectItemCaseSensitive(c.meta, "tolerance_hint");
  double logits_hint, logits_scale;
  ck_assert_int_eq(case_json_number(hint, "logits_max_abs_f32_vs_f64", &logits_hint, &e), 0);
  ck_assert_int_eq(case_json_number(hint, "logits_max_abs_value", &logits_scale, &e), 0);
  double err = check_max_abs(c.expected, "logits", m->logits,
                             (size_t)m->B * m->cfg.num_classes, 100 * logits_hint);
  printf("  logits error / hint = %.2f (largest logit %.3f)\n", err / logits_hint, logits_scale);
  check_measurements(&c, 1e-5);
  ref_case_close(&c);
}
END_TEST

int main(void) {
  Suite *s = suite_create("reference model: CRATE-Tiny forward");
  TCase *tc = tcase_create("tiny");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, tiny_forward_matches_reference);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
