/* Whole models of the PyTorch reference cases (micro: cls pooling; custom:
 * mean pooling, label smoothing 0.1), built from their model.crate, lowered
 * by the emitters and run on the case's weights and images: logits (and
 * the training graph's loss) within the reference tests' tolerance (1e-4
 * absolute, 1e-5 on the loss), as built (mssa + add, the two-GEMM ista),
 * fused (fuse_mssa, fold_ista, pack_weights, fuse_layernorm) and lowered to primitives (the -O0 path). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cratert_host.h"
#include "frontend.h"
#include "kt.h"
#include "lower.h"
#include "passes.h"

static crt_st_file *open_case(const char *name, const char *file) {
  char *path = xasprintf("%s/%s/%s", KT_CASES_DIR, name, file);
  crt_error e;
  crt_st_file *f = crt_st_open(path, &e);
  ck_assert_msg(f != NULL, "%s", e.msg);
  free(path);
  return f;
}

static const crt_tensor *tensor(const crt_st_file *f, const char *name) {
  const crt_tensor *x = crt_st_find(f, name);
  ck_assert_msg(x && x->dtype == CRT_F32, "%s: no f32 tensor '%s'", crt_st_path(f), name);
  return x;
}

static Graph *case_graph(const char *name, bool training) {
  char *path = xasprintf("%s/%s/model.crate", KT_CASES_DIR, name), *err = NULL;
  SourceFile *src = source_read(path, &err);
  ck_assert_msg(src != NULL, "%s", err);
  Diag d;
  diag_init(&d, stderr);
  Model *m = frontend_parse(src, &d);
  ck_assert_msg(m != NULL, "%s does not check", path);
  Graph *g = training ? model_training_graph(m, m->train.label_smoothing, &d) : model_inference_graph(m, &d);
  ck_assert(g != NULL);
  model_free(m);
  source_free(src);
  free(path);
  return g;
}

/* PASSES: run in order, NULL-terminated. */
static void case_outputs(const char *name, bool training, const PassFn *passes) {
  Graph *g = case_graph(name, training);
  Diag d;
  diag_init(&d, stderr);
  for (; *passes; passes++) ck_assert((*passes)(g, NULL, &d));
  ck_assert(ir_verify(g, &d));
  crt_st_file *weights = open_case(name, "weights.safetensors"), *input = open_case(name, "input.safetensors");
  crt_st_file *expected = open_case(name, "expected.safetensors");
  const crt_tensor *images = tensor(input, "images");
  KTest t;
  kt_open_graph(&t, g, images->shape[0], "llvm");
  int n = g->params.len;
  crt_param_spec *specs = calloc((size_t)n, sizeof *specs);
  float **dst = calloc((size_t)n, sizeof *dst);
  for (int i = 0; i < n; i++) {
    const IrValue *p = g->params.items[i];
    specs[i].key = p->key;
    specs[i].rank = p->type.rank;
    memcpy(specs[i].shape, p->type.dims, sizeof p->type.dims);
    dst[i] = kt_at(&t, p->name);
  }
  crt_error e;
  ck_assert_msg(crt_st_load_f32(weights, specs, n, dst, &e) == 0, "%s", e.msg);
  ck_assert_int_eq((int64_t)images->nbytes, kt_numel(&t, "images") * 4);
  memcpy(kt_at(&t, "images"), images->data, images->nbytes);
  if (training) {
    const crt_tensor *labels = crt_st_find(input, "labels");
    ck_assert(labels && labels->dtype == CRT_I64 && labels->shape[0] == t.batch);
    memcpy(t.labels, labels->data, labels->nbytes);
  }
  kt_run(&t);
  if (training) {
    float want = *(const float *)tensor(expected, "loss")->data, got = kt_at(&t, "loss")[0];
    ck_assert_msg(fabsf(got - want) <= 1e-5f, "loss: got %.8g, want %.8g", got, want);
  }
  const crt_tensor *logits = tensor(expected, "logits");
  const float *want = logits->data, *got = kt_at(&t, "logits");
  for (int64_t i = 0; i < kt_numel(&t, "logits"); i++)
    ck_assert_msg(fabsf(got[i] - want[i]) <= 1e-4f, "logit %lld: got %.7g, want %.7g", (long long)i, got[i], want[i]);
  free(specs);
  free(dst);
  crt_st_close(weights);
  crt_st_close(input);
  crt_st_close(expected);
  kt_close(&t);
}

static const char *const cases[] = {"micro", "custom"};

START_TEST(as_built) { case_outputs(cases[_i], false, (PassFn[]){NULL}); }
END_TEST
START_TEST(fused) {
  case_outputs(cases[_i], false,
               (PassFn[]){pass_fuse_mssa, pass_fold_ista, pass_pack_weights, pass_fuse_layernorm, NULL});
}
END_TEST
START_TEST(primitives) { case_outputs(cases[_i], false, (PassFn[]){pass_expand_composites, NULL}); }
END_TEST
START_TEST(training_loss) { case_outputs(cases[_i], true, (PassFn[]){pass_fuse_mssa, NULL}); }
END_TEST

Suite *kt_model_suite(void) {
  Suite *s = suite_create("kernels_model");
  TCase *tc = tcase_create("cases");
  tcase_set_timeout(tc, 300);
  tcase_add_loop_test(tc, as_built, 0, 2);
  tcase_add_loop_test(tc, fused, 0, 2);
  tcase_add_loop_test(tc, primitives, 0, 2);
  tcase_add_loop_test(tc, training_loss, 0, 2);
  suite_add_tcase(s, tc);
  return s;
}
