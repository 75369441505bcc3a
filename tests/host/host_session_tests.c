/* Sessions in process: description checks and the initialisation the
 * description asks for, on a model whose entries do nothing (only the
 * description matters). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "host_run.h"

static void prepare(const float *params, float *derived) {}
static void forward(const float *params, const float *derived, const float *images, float *logits,
                    float *work, int64_t batch) {}
static void train_step(const float *params, const float *images, const int64_t *labels,
                       float *loss, float *logits, float *grads, float *work, int64_t batch) {}

/* One layer of width 8 (2 heads of 4) on 4×4 grey images in 2×2 patches:
 * 5 tokens, 3 classes, each parameter with the "init" cratec writes for it.
 * EDIT, when given, changes one field first. */
static char *description(void (*edit)(cJSON *)) {
  static const struct {
    const char *key;
    int rank;
    int shape[2];
    const char *init;
    double value;
  } params[] = {{"pos_embedding", 3, {5, 8}, "normal", 1},
                {"cls_token", 3, {1, 8}, "normal", 1},
                {"to_patch_embedding.1.weight", 1, {4}, "constant", 1},
                {"to_patch_embedding.1.bias", 1, {4}, "constant", 0},
                {"to_patch_embedding.2.weight", 2, {8, 4}, "uniform", 0.5},
                {"to_patch_embedding.2.bias", 1, {8}, "uniform", 0.5},
                {"to_patch_embedding.3.weight", 1, {8}, "constant", 1},
                {"to_patch_embedding.3.bias", 1, {8}, "constant", 0},
                {"transformer.layers.0.0.norm.weight", 1, {8}, "constant", 1},
                {"transformer.layers.0.0.norm.bias", 1, {8}, "constant", 0},
                {"transformer.layers.0.0.fn.qkv.weight", 2, {8, 8}, "uniform", 0.35355339059327373},
                {"transformer.layers.0.0.fn.to_out.0.weight", 2, {8, 8}, "uniform", 0.35355339059327373},
                {"transformer.layers.0.0.fn.to_out.0.bias", 1, {8}, "uniform", 0.35355339059327373},
                {"transformer.layers.0.1.norm.weight", 1, {8}, "constant", 1},
                {"transformer.layers.0.1.norm.bias", 1, {8}, "constant", 0},
                {"transformer.layers.0.1.fn.weight", 2, {8, 8}, "uniform", 0.8660254037844386},
                {"mlp_head.0.weight", 1, {8}, "constant", 1},
                {"mlp_head.0.bias", 1, {8}, "constant", 0},
                {"mlp_head.1.weight", 2, {3, 8}, "uniform", 0.35355339059327373},
                {"mlp_head.1.bias", 1, {3}, "uniform", 0.35355339059327373}};
  cJSON *d = cJSON_Parse("{\"abi\": 1, \"name\": \"tiny\", \"channels\": 1, \"height\": 4, "
                         "\"width\": 4, \"classes\": 3, \"depth\": 1, \"tokens\": 5, \"dim\": 8, "
                         "\"layers\": [{\"heads\": 2, \"dim_head\": 4}], \"batch\": null, "
                         "\"derived_floats\": 0, \"work_floats\": {\"forward\": [0, 0], "
                         "\"features\": [0, 0], \"train\": [0, 0]}, \"train\": {\"seed\": 5}}");
  cJSON *list = cJSON_AddArrayToObject(d, "params");
  int offset = 0;
  for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
    cJSON *p = cJSON_CreateObject(), *shape = cJSON_AddArrayToObject(p, "shape");
    cJSON_AddStringToObject(p, "key", params[i].key);
    int n = 1;
    if (params[i].rank == 3) cJSON_AddItemToArray(shape, cJSON_CreateNumber(1));
    for (int r = 0; r < (params[i].rank == 1 ? 1 : 2); r++) {
      cJSON_AddItemToArray(shape, cJSON_CreateNumber(params[i].shape[r]));
      n *= params[i].shape[r];
    }
    cJSON_AddNumberToObject(p, "offset", offset);
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(p, "init"), params[i].init, params[i].value);
    cJSON_AddItemToArray(list, p);
    offset += n;
  }
  cJSON_AddNumberToObject(d, "param_floats", offset);
  if (edit) edit(d);
  char *text = cJSON_PrintUnformatted(d);
  cJSON_Delete(d);
  return text;
}

static crt_session *open_model(void (*edit)(cJSON *), crt_error *e) {
  static crt_model m = {NULL, NULL, prepare, forward, forward, train_step};
  static char *desc;
  free(desc);
  m.desc = desc = description(edit);
  return crt_session_create(&m, NULL, e);
}

static void expect_refusal(void (*edit)(cJSON *), const char *text) {
  crt_error e;
  crt_session *s = open_model(edit, &e);
  ck_assert_ptr_null(s);
  ck_assert_msg(strstr(e.msg, text), "'%s' lacks '%s'", e.msg, text);
}

static void abi_2(cJSON *d) { cJSON_ReplaceItemInObject(d, "abi", cJSON_CreateNumber(2)); }
static void no_params(cJSON *d) { cJSON_DeleteItemFromObject(d, "params"); }
static void few_floats(cJSON *d) {
  cJSON_ReplaceItemInObject(d, "param_floats", cJSON_CreateNumber(100));
}
static void two_layers(cJSON *d) { cJSON_ReplaceItemInObject(d, "depth", cJSON_CreateNumber(2)); }
static void bad_optimizer(cJSON *d) {
  cJSON_AddStringToObject(cJSON_GetObjectItem(d, "train"), "optimizer", "adam");
}
static void fractional(cJSON *d) { cJSON_ReplaceItemInObject(d, "dim", cJSON_CreateNumber(8.5)); }
static void bad_work(cJSON *d) {
  cJSON_ReplaceItemInObject(cJSON_GetObjectItem(d, "work_floats"), "train", cJSON_CreateNumber(3));
}
static void bad_init(cJSON *d) {
  cJSON *init = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "params"), 1), "init");
  cJSON_AddNumberToObject(init, "uniform", 0.5);
}
/* A description from before "init" was written. */
static void no_init(cJSON *d) {
  cJSON *p;
  cJSON_ArrayForEach(p, cJSON_GetObjectItem(d, "params")) cJSON_DeleteItemFromObject(p, "init");
}

START_TEST(bad_descriptions) {
  expect_refusal(abi_2, "ABI version 2, this runtime speaks version 1");
  expect_refusal(no_params, "'params' must be a non-empty array");
  expect_refusal(few_floats, "runs past param_floats 100");
  expect_refusal(two_layers, "'layers' must be an array of 2 entries");
  expect_refusal(bad_optimizer, "train 'optimizer' must be sgd, adamw or lion");
  expect_refusal(fractional, "'dim' = 8.5: expected an integer");
  expect_refusal(bad_work, "work_floats.train must be an array [a, b]");
  expect_refusal(bad_init, "param 'cls_token': 'init' must be {\"normal\": std}");
  expect_refusal(no_init, "param 'pos_embedding' has no 'init' (compiled by an older cratec): give weights");
  crt_model garbage = {"{\"abi\": 1,", NULL, prepare, forward, forward, train_step};
  crt_error e;
  ck_assert_ptr_null(crt_session_create(&garbage, NULL, &e));
  ck_assert_str_eq(e.msg, "model description: not a JSON object");
}
END_TEST

static const float *param(crt_session *s, const char *key, size_t *n) {
  const crt_param_table *t = &crt_session_info(s)->params;
  for (int i = 0; i < t->count; i++) {
    if (strcmp(t->specs[i].key, key) != 0) continue;
    *n = 1;
    for (int r = 0; r < t->specs[i].rank; r++) *n *= (size_t)t->specs[i].shape[r];
    return crt_session_params(s) + t->offsets[i];
  }
  ck_abort_msg("no parameter %s", key);
  return NULL;
}

/* Every value within ±BOUND and reaching past 0.6·BOUND (not all tiny). */
static void assert_uniform(crt_session *s, const char *key, double bound) {
  size_t n;
  const float *p = param(s, key, &n);
  double top = 0;
  for (size_t i = 0; i < n; i++) {
    ck_assert_msg(fabs(p[i]) <= bound, "%s[%zu] = %g beyond %g", key, i, p[i], bound);
    top = fmax(top, fabs(p[i]));
  }
  ck_assert_msg(top > 0.6 * bound, "%s: largest %g of bound %g", key, top, bound);
}

static void assert_constant(crt_session *s, const char *key, float value) {
  size_t n;
  const float *p = param(s, key, &n);
  for (size_t i = 0; i < n; i++) ck_assert_float_eq(p[i], value);
}

START_TEST(initialisation_follows_the_description) {
  crt_error e;
  crt_session *s = open_model(NULL, &e);
  ck_assert_msg(s, "%s", e.msg);
  assert_uniform(s, "to_patch_embedding.2.weight", 1 / sqrt(4.0));
  assert_uniform(s, "to_patch_embedding.2.bias", 1 / sqrt(4.0));
  assert_uniform(s, "transformer.layers.0.0.fn.qkv.weight", 1 / sqrt(8.0));
  assert_uniform(s, "transformer.layers.0.0.fn.to_out.0.bias", 1 / sqrt(8.0));
  assert_uniform(s, "transformer.layers.0.1.fn.weight", sqrt(6 / 8.0));
  assert_uniform(s, "mlp_head.1.weight", 1 / sqrt(8.0));
  assert_constant(s, "to_patch_embedding.1.weight", 1);
  assert_constant(s, "to_patch_embedding.3.bias", 0);
  assert_constant(s, "transformer.layers.0.1.norm.weight", 1);
  assert_constant(s, "mlp_head.0.bias", 0);
  size_t n;
  const float *pos = param(s, "pos_embedding", &n);
  double sum = 0, sq = 0;
  for (size_t i = 0; i < n; i++) sum += pos[i], sq += pos[i] * pos[i];
  ck_assert_msg(fabs(sum / n) < 0.4 && fabs(sq / n - 1) < 0.5, "N(0,1)? mean %g, square %g",
                sum / n, sq / n);
  /* the description's seed: the same values again, another seed others */
  float first = pos[0];
  crt_session_init_params(s, 5);
  ck_assert_float_eq(param(s, "pos_embedding", &n)[0], first);
  crt_session_init_params(s, 6);
  ck_assert_float_ne(param(s, "pos_embedding", &n)[0], first);
  crt_session_free(s);
}
END_TEST

static void cosine(cJSON *d, const char *key, double value) {
  cJSON *t = cJSON_GetObjectItem(d, "train");
  cJSON_AddStringToObject(t, "schedule", "cosine");
  cJSON_AddNumberToObject(t, "epochs", 10);
  cJSON_AddNumberToObject(t, "lr", 1e-3);
  cJSON_AddNumberToObject(t, key, value);
}
static void warmup_1_5(cJSON *d) { cosine(d, "warmup_epochs", 1.5); }
static void floor_only(cJSON *d) { cosine(d, "min_lr", 1e-4); }
static void normalised(cJSON *d) {
  cJSON_AddItemToObject(d, "normalize", cJSON_Parse("{\"mean\": [0.25], \"std\": [0.5]}"));
}
static void normalised_twice(cJSON *d) {
  cJSON_AddItemToObject(d, "normalize", cJSON_Parse("{\"mean\": [0.25, 0.5], \"std\": [0.5, 0.5]}"));
}
static void normalised_by_0(cJSON *d) {
  cJSON_AddItemToObject(d, "normalize", cJSON_Parse("{\"mean\": [0.25], \"std\": [0]}"));
}

/* The description's normalisation is the model's, per channel; a wrong one
 * is refused. */
START_TEST(normalisation_in_the_description) {
  crt_error e;
  crt_session *s = open_model(NULL, &e);
  ck_assert_msg(s != NULL, "%s", e.msg);
  ck_assert_ptr_null(crt_session_info(s)->mean);
  crt_session_free(s);
  s = open_model(normalised, &e);
  ck_assert_msg(s != NULL, "%s", e.msg);
  ck_assert_float_eq(crt_session_info(s)->mean[0], 0.25f);
  ck_assert_float_eq(crt_session_info(s)->std[0], 0.5f);
  crt_session_free(s);
  expect_refusal(normalised_twice, "'normalize' must hold arrays 'mean' and 'std' of 1 entries (channels)");
  expect_refusal(normalised_by_0, "normalize channel 0: mean must be in [0, 1] and std in (0, 1]");
}
END_TEST

/* main.py's --warmup-epochs is a float: 1.5 gives lr·1/1.5 in the first
 * epoch, not lr·1/1; a floor alone selects the per-step schedule, whose
 * cosine ends at it. */
START_TEST(schedule_as_written) {
  crt_error e;
  crt_session *s = open_model(warmup_1_5, &e);
  ck_assert_msg(s != NULL, "%s", e.msg);
  const crt_schedule *warm = &crt_session_info(s)->train.schedule;
  ck_assert_double_eq_tol(crt_schedule_lr(warm, 0, 0, 4), 1e-3 / (1.5 + 1e-8), 1e-18);
  crt_session_free(s);
  s = open_model(floor_only, &e);
  ck_assert_msg(s != NULL, "%s", e.msg);
  const crt_schedule *floor = &crt_session_info(s)->train.schedule;
  ck_assert_double_eq(crt_schedule_lr(floor, 0, 0, 4), 1e-3);
  ck_assert_double_eq_tol(crt_schedule_lr(floor, 10, 0, 4), 1e-4, 1e-15);
  crt_session_free(s);
}
END_TEST

Suite *session_suite(void) {
  const TTest *tests[] = {bad_descriptions, initialisation_follows_the_description,
                          schedule_as_written, normalisation_in_the_description};
  return host_suite("session", tests, sizeof tests / sizeof tests[0]);
}
