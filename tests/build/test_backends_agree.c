/* The LLVM and C backends compute the same logits (within 1e-5 of their
 * scale) for a model given on the command line, with random weights and
 * images: the two backends share everything above code emission, so a
 * difference beyond float32 rounding is a code generation bug in one of
 * them. What remains is rounding: the backends sum vector reductions
 * (layernorm statistics, softmax denominators) in different orders, and the
 * difference grows with depth and width.
 *
 *   test_backends_agree CRATEC MODEL.crate TOLERANCE   (of the logits' scale) */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build_test.h"
#include "cratert_host.h"
#include "frontend.h"
#include "run_suite.h"

static const char *cratec, *model_path;
static double tolerance;

/* Random weights of a trained network's scale, as cratec verify makes them:
 * matrices with standard deviation 1/√fan_in, layernorm gains near 1. */
static void write_weights(const Model *m, const char *path, crt_rng *r) {
  ParamInfo *info;
  int n = model_params(m, &info);
  crt_tensor *t = calloc((size_t)n, sizeof *t);
  for (int i = 0; i < n; i++) {
    float *data = malloc((size_t)info[i].numel * sizeof *data);
    bool gain = strstr(info[i].key, "norm") && strstr(info[i].key, ".weight");
    float scale = info[i].rank == 2 ? 1.0f / sqrtf((float)info[i].shape[1]) : 0.02f;
    for (int64_t j = 0; j < info[i].numel; j++) data[j] = gain ? 1.0f + 0.1f * crt_rng_normal(r) : scale * crt_rng_normal(r);
    t[i] = (crt_tensor){info[i].key, CRT_F32, info[i].rank, {0}, data, (size_t)info[i].numel * sizeof *data};
    memcpy(t[i].shape, info[i].shape, sizeof info[i].shape);
  }
  crt_error e;
  ck_assert_msg(crt_st_write(path, t, n, NULL, &e) == 0, "%s", e.msg);
  for (int i = 0; i < n; i++) free((void *)t[i].data);
  free(t);
  param_infos_free(info, n);
}

static void write_images(const Model *m, const char *path, int64_t batch, crt_rng *r) {
  int64_t n = batch * m->channels * m->height * m->width;
  float *x = malloc((size_t)n * sizeof *x);
  for (int64_t i = 0; i < n; i++) x[i] = crt_rng_normal(r);
  crt_tensor t = {"images", CRT_F32, 4, {batch, m->channels, m->height, m->width}, x, (size_t)n * sizeof *x};
  crt_error e;
  ck_assert_msg(crt_st_write(path, &t, 1, NULL, &e) == 0, "%s", e.msg);
  free(x);
}

static void sh(const char *cmd) { ck_assert_msg(system(cmd) == 0, "failed: %s", cmd); }

START_TEST(llvm_and_c_agree) {
  char *err = NULL;
  SourceFile *src = source_read(model_path, &err);
  ck_assert_msg(src != NULL, "%s", err);
  Diag d;
  diag_init(&d, stderr);
  Model *m = frontend_parse(src, &d);
  ck_assert_ptr_nonnull(m);
  char dir[] = "/tmp/cratec_backends_agree_XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char path[3][256], cmd[2048];
  snprintf(path[0], sizeof path[0], "%s/w.safetensors", dir);
  snprintf(path[1], sizeof path[1], "%s/i.safetensors", dir);
  crt_rng r;
  crt_rng_seed(&r, 42);
  write_weights(m, path[0], &r);
  write_images(m, path[1], 2, &r);
  const char *backends[2] = {"llvm", "c"};
  for (int b = 0; b < 2; b++) {
    snprintf(cmd, sizeof cmd, "'%s' build '%s' --backend %s -o '%s/%s'", cratec, model_path, backends[b], dir,
             backends[b]);
    sh(cmd);
    snprintf(cmd, sizeof cmd, "'%s/%s' infer --weights '%s' --input '%s' --output '%s/%s.safetensors'", dir,
             backends[b], path[0], path[1], dir, backends[b]);
    sh(cmd);
  }
  size_t n = 2 * (size_t)m->classes;
  snprintf(path[2], sizeof path[2], "%s/llvm.safetensors", dir);
  float *a = bt_tensor(path[2], "logits", n);
  snprintf(path[2], sizeof path[2], "%s/c.safetensors", dir);
  float *c = bt_tensor(path[2], "logits", n);
  double scale = 0, worst = 0;
  for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(a[i]));
  for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs((double)a[i] - c[i]));
  ck_assert_msg(worst <= tolerance * fmax(scale, 1e-30), "%s: logits differ by %.3g (scale %.3g)", model_path, worst,
                scale);
  printf("%s: logits of the two backends differ by at most %.3g (scale %.3g)\n", model_path, worst, scale);
  free(a);
  free(c);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  sh(cmd);
  model_free(m);
  source_free(src);
}
END_TEST

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: test_backends_agree CRATEC MODEL.crate TOLERANCE\n");
    return 2;
  }
  cratec = argv[1];
  model_path = argv[2];
  tolerance = atof(argv[3]);
  Suite *s = suite_create("backends_agree");
  TCase *tc = tcase_create("logits");
  tcase_set_timeout(tc, 900);
  tcase_add_test(tc, llvm_and_c_agree);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
