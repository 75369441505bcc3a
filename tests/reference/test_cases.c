/* test_cases.c — the plain CRATE model built from the reference kernels
 * against the PyTorch reference cases micro (cls pooling, plain
 * cross-entropy) and custom (mean pooling, label smoothing 0.1): features,
 * logits, loss, every gradient and the white-box measures. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_checks.h"
#include "gradcheck.h"

static const char *const CASES[] = {"micro", "custom"};

/* Bounds, from the cases' README: float32 implementations land within
 * 10–100× of tolerance_hint (features ~2e-6, gradients ~4e-7). */
#define LOGITS_TOL 1e-4
#define FEATURES_TOL 1e-4
#define GRADS_REL_TOL 1e-4
#define MEASURES_REL_TOL 1e-5

static void open_case(ref_case *c, int i) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/%s", CRATEC_TEST_DATA, CASES[i]);
  crt_error e = {{0}};
  ck_assert_msg(ref_case_open(c, dir, &e) == 0, "%s", e.msg);
  printf("%s:\n", CASES[i]);
  ck_assert_msg(crate_model_forward(&c->model, c->labels, &e) == 0, "%s", e.msg);
}

START_TEST(forward_matches_features) {
  ref_case c;
  open_case(&c, _i);
  crate_model *m = &c.model;
  size_t tokens = (size_t)m->B * m->N * m->cfg.dim;
  check_max_abs(c.features, "embed", m->embed, tokens, FEATURES_TOL);
  for (int l = 0; l < m->cfg.depth; l++) {
    char name[64];
    snprintf(name, sizeof name, "layers.%d.mssa_out", l);
    check_max_abs(c.features, name, m->layer[l].half, tokens, FEATURES_TOL);
    snprintf(name, sizeof name, "layers.%d.out", l);
    check_max_abs(c.features, name, m->layer[l].out, tokens, FEATURES_TOL);
  }
  check_max_abs(c.features, "pooled", m->pooled, (size_t)m->B * m->cfg.dim, FEATURES_TOL);
  size_t nlogits = (size_t)m->B * m->cfg.num_classes;
  check_max_abs(c.features, "logits", m->logits, nlogits, LOGITS_TOL);
  check_max_abs(c.expected, "logits", m->logits, nlogits, LOGITS_TOL);
  float loss = (float)m->loss;
  check_max_abs(c.expected, "loss", &loss, 1, 1e-5);
  ref_case_close(&c);
}
END_TEST

START_TEST(backward_matches_gradients) {
  ref_case c;
  open_case(&c, _i);
  crate_model *m = &c.model;
  crt_error e = {{0}};
  ck_assert_msg(crate_model_backward(m, c.labels, &e) == 0, "%s", e.msg);
  check_relative(c.expected, "dlogits", m->dlogits, (size_t)m->B * m->cfg.num_classes,
                 GRADS_REL_TOL);
  size_t img = (size_t)m->B * m->cfg.channels * m->cfg.image_size * m->cfg.image_size;
  check_relative(c.expected, "dimages", m->dimages, img, GRADS_REL_TOL);
  int checked = 0;
  for (int i = 0; i < m->slots; i++) {
    if (m->spec[i].rank == 0) continue;
    size_t count = 1;
    for (int k = 0; k < m->spec[i].rank; k++) count *= (size_t)m->spec[i].shape[k];
    check_relative(c.grads, m->spec[i].key, m->grad[i], count, GRADS_REL_TOL);
    checked++;
  }
  ck_assert_int_eq(checked, crt_st_count(c.grads));
  ref_case_close(&c);
}
END_TEST

START_TEST(measurements_match_meta) {
  ref_case c;
  open_case(&c, _i);
  check_measurements(&c, MEASURES_REL_TOL);
  ref_case_close(&c);
}
END_TEST

START_TEST(unreadable_case_is_a_clear_error) {
  ref_case c;
  crt_error e = {{0}};
  ck_assert_int_eq(ref_case_open(&c, CRATEC_TEST_DATA "/no_such_case", &e), -1);
  ck_assert_str_eq(e.msg, CRATEC_TEST_DATA "/no_such_case/meta.json: cannot open");
  crate_config cfg;
  ck_assert_int_eq(crate_config_from_meta(&cfg, CRATEC_TEST_DATA "/micro/model.crate", &e), -1);
  ck_assert_str_eq(e.msg, "" CRATEC_TEST_DATA "/micro/model.crate: not valid JSON");
  /* a weights file that is not the model's: input.safetensors has no parameters */
  ck_assert_int_eq(crate_config_from_meta(&cfg, CRATEC_TEST_DATA "/micro/meta.json", &e), 0);
  crate_model m;
  ck_assert_int_eq(crate_model_init(&m, &cfg, 1, &e), 0);
  ck_assert_int_eq(crate_model_load(&m, CRATEC_TEST_DATA "/micro/input.safetensors", &e), -1);
  ck_assert_ptr_nonnull(strstr(e.msg, "input.safetensors"));
  crate_model_free(&m);
}
END_TEST

int main(void) {
  Suite *s = suite_create("reference model vs PyTorch cases");
  TCase *tc = tcase_create("cases");
  int n = (int)(sizeof CASES / sizeof CASES[0]);
  tcase_add_loop_test(tc, forward_matches_features, 0, n);
  tcase_add_loop_test(tc, backward_matches_gradients, 0, n);
  tcase_add_loop_test(tc, measurements_match_meta, 0, n);
  tcase_add_test(tc, unreadable_case_is_a_clear_error);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
