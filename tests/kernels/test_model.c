/* The whole micro model (tests/ir/micro.ir) lowered by the emitters and run
 * on the PyTorch reference case's weights and images: logits within the
 * reference tests' tolerance (1e-4 absolute), as built (mssa + add, the
 * two-GEMM ista), fused (fuse_mssa, fold_ista) and lowered to primitives
 * (the -O0 path). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kt.h"
#include "passes.h"

static crt_st_file *open_case(const char *file) {
  char *path = xasprintf("%s/micro/%s", KT_CASES_DIR, file);
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

static void micro_logits(PassFn pass1, PassFn pass2) {
  char *ir = slurp(KT_SOURCE_DIR "/tests/ir/micro.ir");
  Graph *g = kt_parse(ir);
  free(ir);
  Diag d;
  diag_init(&d, stderr);
  if (pass1) ck_assert(pass1(g, NULL, &d));
  if (pass2) ck_assert(pass2(g, NULL, &d));
  ck_assert(ir_verify(g, &d));
  KTest t;
  kt_open_graph(&t, g, 2, "llvm");
  crt_st_file *weights = open_case("weights.safetensors"), *input = open_case("input.safetensors");
  crt_st_file *expected = open_case("expected.safetensors");
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
  const crt_tensor *images = tensor(input, "images");
  ck_assert_int_eq((int64_t)images->nbytes, kt_numel(&t, "images") * 4);
  memcpy(kt_at(&t, "images"), images->data, images->nbytes);
  kt_run(&t);
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

START_TEST(micro_as_built) { micro_logits(NULL, NULL); }
END_TEST
START_TEST(micro_fused) { micro_logits(pass_fuse_mssa, pass_fold_ista); }
END_TEST
START_TEST(micro_primitives) { micro_logits(pass_lower_composites, NULL); }
END_TEST

Suite *kt_model_suite(void) {
  Suite *s = suite_create("kernels_model");
  TCase *tc = tcase_create("micro");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, micro_as_built);
  tcase_add_test(tc, micro_fused);
  tcase_add_test(tc, micro_primitives);
  suite_add_tcase(s, tc);
  return s;
}
