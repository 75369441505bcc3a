/* What a checked model implies: the state_dict keys and shapes (checked
 * against the reference cases' meta.json), parameter counts (the official
 * figures of SPEC §2), and FLOPs against hand counts. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

/* SPEC §2: per layer 4d + Kp·d + (d·Kp + d) + d², plus embedding and head.
 * Written from the formula, independently of model_params' key list. */
static int64_t spec_param_count(int64_t C, int64_t H, int64_t W, int64_t P, int64_t d, int64_t depth, int64_t K,
                                int64_t p, int64_t classes) {
  int64_t n = (H / P) * (W / P), pd = C * P * P, Kp = K * p;
  int64_t embed = (n + 1) * d + d + 2 * pd + d * pd + d + 2 * d;
  int64_t layer = 4 * d + Kp * d + (d * Kp + d) + d * d;
  int64_t head = 2 * d + classes * d + classes;
  return embed + depth * layer + head;
}

START_TEST(test_official_parameter_counts) {
  static const struct { const char *file; int64_t params; } official[] = {
      {"examples/crate_tiny.crate", 6090856},
      {"examples/crate_small.crate", 13116328},
      {"examples/crate_base.crate", 22796008},
      {"examples/crate_large.crate", 77641192},
      {"tests/data/micro/model.crate", 40010},
      {"tests/data/custom/model.crate", 96874},
      {"tests/data/tiny_fwd/model.crate", 6090856},
  };
  for (size_t i = 0; i < sizeof official / sizeof official[0]; i++) {
    Model *m = parse_source_file(official[i].file);
    ck_assert_msg(model_param_count(m) == official[i].params, "%s: %lld parameters, expected %lld", official[i].file,
                  (long long)model_param_count(m), (long long)official[i].params);
    model_free(m);
  }
}
END_TEST

START_TEST(test_small_examples_follow_the_formula) {
  Model *f = parse_source_file("examples/fashion_mnist.crate");
  ck_assert_int_eq(model_param_count(f), spec_param_count(1, 28, 28, 4, 128, 4, 4, 32, 10));
  Model *c = parse_source_file("examples/cifar10.crate");
  ck_assert_int_eq(model_param_count(c), spec_param_count(3, 32, 32, 4, 192, 6, 6, 32, 10));
  model_free(f);
  model_free(c);
}
END_TEST

/* Every key and shape, in order, as the reference model's meta.json lists
 * them (an ordered object: key -> shape array). */
static void check_against_meta(const char *case_name) {
  char *model_path = xasprintf("tests/data/%s/model.crate", case_name);
  char *meta_path = xasprintf("%s/tests/data/%s/meta.json", SOURCE_DIR, case_name);
  Model *m = parse_source_file(model_path);
  char *err = NULL;
  SourceFile *meta_file = source_read(meta_path, &err);
  ck_assert_msg(meta_file, "%s", err);
  cJSON *meta = cJSON_Parse(meta_file->text);
  ck_assert_msg(meta, "%s: not JSON", meta_path);

  ck_assert_int_eq(model_param_count(m), (int64_t)cJSON_GetObjectItem(meta, "num_params")->valuedouble);
  ck_assert_int_eq(model_tokens(m), cJSON_GetObjectItem(meta, "num_tokens")->valueint);
  ParamInfo *p;
  int n = model_params(m, &p);
  const cJSON *params = cJSON_GetObjectItem(meta, "params");
  ck_assert_int_eq(n, cJSON_GetArraySize(params));
  int i = 0;
  for (const cJSON *entry = params->child; entry; entry = entry->next, i++) {
    ck_assert_str_eq(p[i].key, entry->string);
    ck_assert_int_eq(p[i].rank, cJSON_GetArraySize(entry));
    for (int r = 0; r < p[i].rank; r++) ck_assert_int_eq(p[i].shape[r], cJSON_GetArrayItem(entry, r)->valueint);
  }
  param_infos_free(p, n);
  cJSON_Delete(meta);
  source_free(meta_file);
  model_free(m);
  free(model_path);
  free(meta_path);
}

START_TEST(test_keys_match_reference_cases) {
  /* tiny_fwd's meta.json holds NaN measurements, which strict JSON (cJSON)
   * refuses; its count is checked in test_official_parameter_counts. */
  check_against_meta("micro");
  check_against_meta("custom");
}
END_TEST

START_TEST(test_single_head_full_width_has_no_output_projection) {
  Model *m = parse_text("model one {\n"
                        "  input image(channels = 1, height = 8, width = 8)\n"
                        "  patch_embed(patch = 4, dim = 16)\n"
                        "  mssa(heads = 1); ista()\n"      /* dim_head = 16 = dim: to_out is Identity */
                        "  mssa(heads = 2); ista()\n"      /* dim_head = 8: a projection */
                        "  head(classes = 3)\n"
                        "}\n",
                        NULL);
  ck_assert_ptr_nonnull(m);
  ck_assert(!m->layers[0].has_out_proj);
  ck_assert(m->layers[1].has_out_proj);
  ParamInfo *p;
  int n = model_params(m, &p);
  ck_assert_int_eq(n, 8 + 6 + 8 + 4);
  for (int i = 0; i < n; i++) ck_assert_msg(!strstr(p[i].key, "layers.0.0.fn.to_out"), "%s", p[i].key);
  ck_assert_str_eq(p[8 + 6 + 3].key, "transformer.layers.1.0.fn.to_out.0.weight");
  ck_assert_int_eq(p[8 + 6 + 3].shape[0], 16);
  ck_assert_int_eq(p[8 + 6 + 3].shape[1], 16);
  param_infos_free(p, n);
  model_free(m);
}
END_TEST

/* PyTorch's initialisation, by module: what the description tells the
 * runtime instead of the runtime reading it off the keys. */
START_TEST(test_parameters_carry_role_and_initialisation) {
  Model *m = parse_source_file("tests/data/micro/model.crate");   /* dim 64, patch_dim 192, 10 classes */
  ParamInfo *p;
  int n = model_params(m, &p);
  static const struct {
    const char *key;
    ParamRole role;
    InitKind kind;
    double value;
  } expect[] = {
      {"pos_embedding", PARAM_EMBEDDING, INIT_NORMAL, 1},
      {"cls_token", PARAM_EMBEDDING, INIT_NORMAL, 1},
      {"to_patch_embedding.1.weight", PARAM_NORM_WEIGHT, INIT_CONSTANT, 1},
      {"to_patch_embedding.1.bias", PARAM_NORM_BIAS, INIT_CONSTANT, 0},
      {"to_patch_embedding.2.weight", PARAM_LINEAR_WEIGHT, INIT_UNIFORM, 0.07216878364870323},   /* 1/√192 */
      {"to_patch_embedding.2.bias", PARAM_LINEAR_BIAS, INIT_UNIFORM, 0.07216878364870323},
      {"transformer.layers.1.0.fn.qkv.weight", PARAM_LINEAR_WEIGHT, INIT_UNIFORM, 0.125},     /* 1/√64 */
      {"transformer.layers.1.0.fn.to_out.0.bias", PARAM_LINEAR_BIAS, INIT_UNIFORM, 0.125},
      {"transformer.layers.1.1.norm.bias", PARAM_NORM_BIAS, INIT_CONSTANT, 0},
      {"transformer.layers.1.1.fn.weight", PARAM_DICTIONARY, INIT_UNIFORM, 0.30618621784789724},   /* √(6/64) */
      {"mlp_head.1.weight", PARAM_LINEAR_WEIGHT, INIT_UNIFORM, 0.125},
      {"mlp_head.1.bias", PARAM_LINEAR_BIAS, INIT_UNIFORM, 0.125},
  };
  for (size_t k = 0; k < sizeof expect / sizeof *expect; k++) {
    int i = 0;
    while (i < n && strcmp(p[i].key, expect[k].key) != 0) i++;
    ck_assert_msg(i < n, "no parameter %s", expect[k].key);
    ck_assert_str_eq(param_role_name(p[i].role), param_role_name(expect[k].role));
    ck_assert_str_eq(init_kind_name(p[i].init.kind), init_kind_name(expect[k].kind));
    ck_assert_double_eq_tol(p[i].init.value, expect[k].value, 1e-15);
  }
  param_infos_free(p, n);
  model_free(m);
}
END_TEST

/* Hand counts, multiply-add = 2, following docs/language.md. */
START_TEST(test_flops_micro) {
  Model *m = parse_source_file("tests/data/micro/model.crate");
  /* 32x32x3, patch 8: n = 16, N = 17, patch_dim = 192, d = 64, 2 layers of
   * 2 heads x 32, 10 classes. */
  int64_t patch = 2LL * 16 * 192 * 64;                 /* 393216 */
  int64_t qkv = 2LL * 17 * 64 * 64;                    /* 139264 */
  int64_t attention = 2 * (2LL * 17 * 17 * 32) * 2;    /* S and A·W, 2 heads: 73984 */
  int64_t out = 2LL * 17 * 64 * 64;                    /* 139264 */
  int64_t ista = 3 * 2LL * 17 * 64 * 64;               /* 417792 */
  int64_t head = 2LL * 64 * 10;                        /* 1280 */
  ck_assert_int_eq(model_flops(m), patch + 2 * (qkv + attention + out + ista) + head);
  ck_assert_int_eq(model_flops(m), 1935104);
  model_free(m);
}
END_TEST

START_TEST(test_flops_crate_tiny) {
  Model *m = parse_source_file("examples/crate_tiny.crate");
  /* 224/16: n = 196, N = 197, patch_dim = 768, d = 384, 12 layers of 6 x 64. */
  int64_t patch = 2LL * 196 * 768 * 384;               /* 115605504 */
  int64_t qkv = 2LL * 197 * 384 * 384;                 /* 58097664 */
  int64_t attention = 6 * 2 * (2LL * 197 * 197 * 64);  /* 59610624 */
  int64_t out = qkv;
  int64_t ista = 3 * qkv;                              /* 174292992 */
  int64_t head = 2LL * 384 * 1000;                     /* 768000 */
  ck_assert_int_eq(model_flops(m), patch + 12 * (qkv + attention + out + ista) + head);
  ck_assert_int_eq(model_flops(m), 4317560832LL);
  model_free(m);
}
END_TEST

/* The largest model the limits allow: every count must still be exact. */
START_TEST(test_limits_do_not_overflow) {
  char *text = xasprintf("model big {\n"
                         "  input image(channels = 256, height = %d, width = %d)\n"
                         "  patch_embed(patch = 64, dim = %d)\n"
                         "  repeat %d { mssa(heads = %d, dim_head = 1); ista() }\n"
                         "  head(classes = %d)\n"
                         "}\n",
                         CRATE_MAX_SIDE, CRATE_MAX_SIDE, CRATE_MAX_WIDTH, CRATE_MAX_DEPTH, CRATE_MAX_WIDTH,
                         CRATE_MAX_CLASSES);
  char *diagnostics;
  Model *m = parse_text(text, &diagnostics);
  ck_assert_msg(m, "%s", diagnostics);
  ck_assert_int_eq(model_patches(m), CRATE_MAX_PATCHES);
  ck_assert_int_eq(model_patch_dim(m), CRATE_MAX_PATCH_DIM);
  __int128 d = CRATE_MAX_WIDTH, N = CRATE_MAX_PATCHES + 1, n = CRATE_MAX_PATCHES, L = CRATE_MAX_DEPTH;
  __int128 flops = 2 * n * CRATE_MAX_PATCH_DIM * d + L * (2 * N * d * d + 4 * N * N * d + 2 * N * d * d + 6 * N * d * d) +
                   2 * d * CRATE_MAX_CLASSES;
  ck_assert(flops < INT64_MAX);
  ck_assert(model_flops(m) == (int64_t)flops);
  ck_assert_int_eq(model_param_count(m), spec_param_count(256, CRATE_MAX_SIDE, CRATE_MAX_SIDE, 64, CRATE_MAX_WIDTH,
                                                          CRATE_MAX_DEPTH, CRATE_MAX_WIDTH, 1, CRATE_MAX_CLASSES));
  model_free(m);
  free(diagnostics);
  free(text);
}
END_TEST

int main(void) {
  Suite *s = suite_create("frontend model");
  TCase *tc = tcase_create("model");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_official_parameter_counts);
  tcase_add_test(tc, test_small_examples_follow_the_formula);
  tcase_add_test(tc, test_keys_match_reference_cases);
  tcase_add_test(tc, test_single_head_full_width_has_no_output_projection);
  tcase_add_test(tc, test_parameters_carry_role_and_initialisation);
  tcase_add_test(tc, test_flops_micro);
  tcase_add_test(tc, test_flops_crate_tiny);
  tcase_add_test(tc, test_limits_do_not_overflow);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
