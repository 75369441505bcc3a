/* rate against the cases' meta.json measurements, and bench. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_io.h"
#include "host_run.h"
#include "scratch.h"

static void rate_case(const char *name) {
  const char *dir = scratch_dir();
  char w[4096], in[4096], meta_path[4096];
  const char *args[] = {"rate", "--weights", CASE_PATH(w, name, "weights.safetensors"), "--input",
                        CASE_PATH(in, name, "input.safetensors"), NULL};
  host_result r = host_run(dir, name, args);
  ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
  crt_error e;
  cJSON *meta = case_json_read(CASE_PATH(meta_path, name, "meta.json"), &e);
  ck_assert_ptr_nonnull(meta);
  const cJSON *layers = cJSON_GetObjectItem(meta, "measurements_per_layer");
  ck_assert_int_gt(cJSON_GetArraySize(layers), 0);
  const char *line = strstr(r.out, "zero_std\n");
  ck_assert_ptr_nonnull(line);
  line += strlen("zero_std\n");
  for (int l = 0; l < cJSON_GetArraySize(layers); l++) {
    const cJSON *m = cJSON_GetArrayItem(layers, l);
    int layer;
    double rc, rc_std, nonzero, zero_std;
    ck_assert_int_eq(sscanf(line, "%d %lf %lf %lf %lf", &layer, &rc, &rc_std, &nonzero, &zero_std),
                     5);
    ck_assert_int_eq(layer, l);
    double want = cJSON_GetObjectItem(m, "Rc_input_mean")->valuedouble;
    ck_assert_double_eq_tol(rc, want, 1e-6 * want);
    want = cJSON_GetObjectItem(m, "Rc_input_std")->valuedouble;
    ck_assert_double_eq_tol(rc_std, want, 1e-4 * want + 1e-6);
    ck_assert_double_eq_tol(nonzero, cJSON_GetObjectItem(m, "nonzero_fraction_mean")->valuedouble,
                            1e-7);
    ck_assert_double_eq_tol(zero_std, cJSON_GetObjectItem(m, "zero_fraction_std")->valuedouble,
                            1e-7);
    line = strchr(line, '\n') + 1;
  }
  cJSON_Delete(meta);
  host_result_free(&r);
  scratch_remove(dir);
}

START_TEST(rate_micro) { rate_case("micro"); }
END_TEST

START_TEST(rate_custom) { rate_case("custom"); }
END_TEST

static void bench(const char *const *args) {
  const char *dir = scratch_dir();
  host_result r = host_run(dir, "micro", args);
  ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
  double throughput, latency;
  const char *t = strstr(r.out, "\nthroughput: "), *l = strstr(r.out, "\nlatency: ");
  ck_assert_msg(t && l, "%s", r.out);
  ck_assert_int_eq(sscanf(t, "\nthroughput: %lf images/s", &throughput), 1);
  ck_assert_int_eq(sscanf(l, "\nlatency: %lf ms", &latency), 1);
  ck_assert(throughput > 0 && latency > 0);
  host_result_free(&r);
  scratch_remove(dir);
}

START_TEST(bench_forward) { bench((const char *[]){"bench", "--batch", "4", "--iters", "3", NULL}); }
END_TEST

START_TEST(bench_train) {
  bench((const char *[]){"bench", "--train", "--batch", "2", "--iters", "3", "--threads", "1", NULL});
}
END_TEST

Suite *measures_suite(void) {
  const TTest *tests[] = {rate_micro, rate_custom, bench_forward, bench_train};
  return host_suite("measures", tests, sizeof tests / sizeof tests[0]);
}
