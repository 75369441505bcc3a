/* case_checks.c — see case_checks.h. */
#include "case_checks.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "case_io.h"
#include "gradcheck.h"

/* Prints and asserts one error measure of GOT against F[name]. */
static double compare(const crt_st_file *f, const char *name, const float *got, size_t count,
                      double tol, bool relative) {
  crt_error e = {{0}};
  float *want = case_tensor(f, name, CRT_F32, count, &e);
  ck_assert_msg(want != NULL, "%s", e.msg);
  double err = relative ? gc_relative_norm_error(got, want, count)
                        : gc_max_abs_diff(got, want, count);
  free(want);
  const char *what = relative ? "relative error" : "max abs error";
  printf("  %-40s %s %.3g\n", name, what, err);
  ck_assert_msg(err <= tol, "%s: %s %g above %g", name, what, err, tol);
  return err;
}

double check_max_abs(const crt_st_file *f, const char *name, const float *got, size_t count,
                     double tol) {
  return compare(f, name, got, count, tol, false);
}

double check_relative(const crt_st_file *f, const char *name, const float *got, size_t count,
                      double tol) {
  return compare(f, name, got, count, tol, true);
}

static void check_value(const cJSON *entry, const char *name, double got, int layer, double tol) {
  crt_error e = {{0}};
  double want;
  ck_assert_msg(case_json_number(entry, name, &want, &e) == 0, "%s", e.msg);
  if (isnan(want)) {
    printf("  layer %d %-22s %g (expected NaN)\n", layer, name, got);
    ck_assert_msg(isnan(got), "layer %d %s: %g, expected NaN", layer, name, got);
    return;
  }
  /* the floor lets a std of exactly 0 (one sample, or equal fractions) match */
  double err = fabs(got - want) / fmax(fabs(want), 1e-9);
  printf("  layer %d %-22s %.10g (relative error %.3g)\n", layer, name, got, err);
  ck_assert_msg(err <= tol, "layer %d %s: %.10g, expected %.10g", layer, name, got, want);
}

void check_measurements(const ref_case *c, double tol) {
  const crate_model *m = &c->model;
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(c->meta, "measurements_per_layer");
  ck_assert_int_eq(cJSON_GetArraySize(list), m->cfg.depth);
  for (int l = 0; l < m->cfg.depth; l++) {
    ref_layer_measures got;
    crt_error e = {{0}};
    ck_assert_msg(ref_measure_layer(&got, m->layer[l].w, m->layer[l].out, m->B, m->N, m->cfg.dim,
                                    m->cfg.heads, m->cfg.dim_head, &e) == 0,
                  "%s", e.msg);
    const cJSON *entry = cJSON_GetArrayItem(list, l);
    check_value(entry, "Rc_input_mean", got.rc_mean, l, tol);
    check_value(entry, "Rc_input_std", got.rc_std, l, tol);
    check_value(entry, "zero_fraction_mean", got.zero_mean, l, tol);
    check_value(entry, "zero_fraction_std", got.zero_std, l, tol);
    check_value(entry, "nonzero_fraction_mean", got.nonzero_mean, l, tol);
  }
}
