/* infer and grad through the command line against the PyTorch cases. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "case_io.h"
#include "case_model.h"
#include "host_run.h"
#include "scratch.h"

/* max |a − b| / max |b|: the per-tensor relative error SPEC §8 advises. */
static double rel_error(const float *a, const float *b, size_t n) {
  double diff = 0, scale = 1e-12;
  for (size_t i = 0; i < n; i++) {
    diff = fmax(diff, fabs((double)a[i] - b[i]));
    scale = fmax(scale, fabs((double)b[i]));
  }
  return diff / scale;
}

/* Asserts every F32 tensor of EXPECTED is in GOT with the same shape and
 * within TOL (relative); returns how many were compared. */
static int compare_files(const char *got_path, const char *expected_path, const char *only,
                         double tol) {
  crt_error e;
  crt_st_file *got = crt_st_open(got_path, &e), *want = crt_st_open(expected_path, &e);
  ck_assert_msg(got && want, "%s", e.msg);
  int compared = 0;
  for (int i = 0; i < crt_st_count(want); i++) {
    const crt_tensor *w = crt_st_at(want, i);
    if (only && strcmp(w->name, only) != 0) continue;
    const crt_tensor *g = crt_st_find(got, w->name);
    ck_assert_msg(g != NULL, "%s: no tensor '%s'", got_path, w->name);
    ck_assert_int_eq(g->rank, w->rank);
    for (int r = 0; r < w->rank; r++) ck_assert_int_eq(g->shape[r], w->shape[r]);
    size_t n = w->nbytes / sizeof(float);
    float *a = case_tensor(got, w->name, CRT_F32, n, &e), *b = case_tensor(want, w->name, CRT_F32, n, &e);
    double err = rel_error(a, b, n);
    ck_assert_msg(err <= tol, "%s: relative error %g > %g", w->name, err, tol);
    free(a), free(b);
    compared++;
  }
  crt_st_close(got), crt_st_close(want);
  return compared;
}

static void infer_case(const char *exe, const char *name, bool weights) {
  const char *dir = scratch_dir();
  char w[4096], in[4096], out[4096], expected[4096];
  scratch_path(out, sizeof out, dir, "logits.safetensors");
  const char *with[] = {"infer", "--weights", CASE_PATH(w, name, "weights.safetensors"),
                        "--input", CASE_PATH(in, name, "input.safetensors"), "--output", out,
                        "--threads", "2", NULL};
  const char *embedded[] = {"infer", "--input", in, "--output", out, NULL};
  host_result r = host_run(dir, exe, weights ? with : embedded);
  ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
  ck_assert_int_eq(compare_files(out, CASE_PATH(expected, name, "expected.safetensors"), "logits",
                                 1e-4), 1);
  host_result_free(&r);
  scratch_remove(dir);
}

START_TEST(infer_micro) { infer_case("micro", "micro", true); }
END_TEST

START_TEST(infer_custom) { infer_case("custom", "custom", true); }
END_TEST

START_TEST(infer_embedded_weights) { infer_case("micro_embedded", "micro", false); }
END_TEST

/* A model compiled for batch 3 runs the case's 2 images as one padded
 * chunk; its gradients need exactly 3. */
START_TEST(fixed_batch_model) {
  infer_case("micro_fixed", "micro", true);
  const char *dir = scratch_dir();
  char w[4096], in[4096];
  const char *args[] = {"grad", "--weights", CASE_PATH(w, "micro", "weights.safetensors"),
                        "--input", CASE_PATH(in, "micro", "input.safetensors"), "--output",
                        "/dev/null", NULL};
  host_expect_error(dir, "micro_fixed", args, "batch 2: this model was compiled for batch 3");
  scratch_remove(dir);
}
END_TEST

/* DataParallel checkpoints prefix every key with "module.". */
START_TEST(infer_module_prefixed_weights) {
  const char *dir = scratch_dir();
  char w[4096], prefixed[4096], in[4096], out[4096], expected[4096];
  crt_error e;
  crt_st_file *f = crt_st_open(CASE_PATH(w, "micro", "weights.safetensors"), &e);
  ck_assert_msg(f, "%s", e.msg);
  int n = crt_st_count(f);
  crt_tensor *t = calloc((size_t)n, sizeof *t);
  char (*names)[128] = calloc((size_t)n, sizeof *names);
  for (int i = 0; i < n; i++) {
    t[i] = *crt_st_at(f, i);
    snprintf(names[i], sizeof names[i], "module.%s", t[i].name);
    t[i].name = names[i];
  }
  scratch_path(prefixed, sizeof prefixed, dir, "prefixed.safetensors");
  ck_assert_msg(crt_st_write(prefixed, t, n, NULL, &e) == 0, "%s", e.msg);
  crt_st_close(f);
  free(t), free(names);
  scratch_path(out, sizeof out, dir, "logits.safetensors");
  const char *args[] = {"infer", "--weights", prefixed, "--input",
                        CASE_PATH(in, "micro", "input.safetensors"), "--output", out, NULL};
  host_result r = host_run(dir, "micro", args);
  ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
  ck_assert_int_eq(compare_files(out, CASE_PATH(expected, "micro", "expected.safetensors"),
                                 "logits", 1e-4), 1);
  host_result_free(&r);
  scratch_remove(dir);
}
END_TEST

static void grad_case(const char *name) {
  const char *dir = scratch_dir();
  char w[4096], in[4096], out[4096], expected[4096];
  const char *args[] = {"grad", "--weights", CASE_PATH(w, name, "weights.safetensors"), "--input",
                        CASE_PATH(in, name, "input.safetensors"), "--output",
                        scratch_path(out, sizeof out, dir, "grads.safetensors"), NULL};
  host_result r = host_run(dir, name, args);
  ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
  /* the case's loss carries its label smoothing, as the model compiled it */
  ck_assert_int_eq(compare_files(out, CASE_PATH(expected, name, "expected.safetensors"), "loss",
                                 1e-4), 1);
  ck_assert_int_ge(compare_files(out, CASE_PATH(expected, name, "grads.safetensors"), NULL, 1e-3),
                   20);
  host_result_free(&r);
  scratch_remove(dir);
}

START_TEST(grad_micro) { grad_case("micro"); }
END_TEST

START_TEST(grad_custom) { grad_case("custom"); }
END_TEST

/* --label-smoothing other than the compiled 0.1: the gradients of the
 * reference model run in process with that smoothing. */
START_TEST(grad_other_smoothing) {
  const char *dir = scratch_dir();
  char casedir[4096], in[4096], w[4096], out[4096];
  snprintf(casedir, sizeof casedir, "%s/custom", CRATEC_TEST_DATA);
  const char *args[] = {"grad", "--weights", CASE_PATH(w, "custom", "weights.safetensors"),
                        "--input", CASE_PATH(in, "custom", "input.safetensors"),
                        "--label-smoothing", "0.3", "--output",
                        scratch_path(out, sizeof out, dir, "grads.safetensors"), NULL};
  host_result r = host_run(dir, "custom", args);
  ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
  ref_case c;
  crt_error e;
  ck_assert_msg(ref_case_open(&c, casedir, &e) == 0, "%s", e.msg);
  c.model.cfg.label_smoothing = 0.3f;
  ck_assert(crate_model_forward(&c.model, c.labels, &e) == 0);
  ck_assert(crate_model_backward(&c.model, c.labels, &e) == 0);
  crt_st_file *f = crt_st_open(out, &e);
  ck_assert_msg(f, "%s", e.msg);
  float *loss = case_tensor(f, "loss", CRT_F32, 1, &e);
  ck_assert_double_eq_tol(loss[0], c.model.loss, 1e-5);
  for (int i = 0; i < c.model.slots; i++) {
    if (!c.model.param[i]) continue;
    size_t n = 1;
    for (int k = 0; k < c.model.spec[i].rank; k++) n *= (size_t)c.model.spec[i].shape[k];
    float *g = case_tensor(f, c.model.spec[i].key, CRT_F32, n, &e);
    ck_assert_msg(g, "%s", e.msg);
    double err = rel_error(g, c.model.grad[i], n);
    ck_assert_msg(err < 1e-4, "%s: relative error %g", c.model.spec[i].key, err);
    free(g);
  }
  free(loss);
  crt_st_close(f);
  ref_case_close(&c);
  host_result_free(&r);
  scratch_remove(dir);
}
END_TEST

Suite *io_suite(void) {
  const TTest *tests[] = {infer_micro, infer_custom, infer_embedded_weights,
                          fixed_batch_model, infer_module_prefixed_weights, grad_micro,
                          grad_custom, grad_other_smoothing};
  return host_suite("io", tests, sizeof tests / sizeof tests[0]);
}
