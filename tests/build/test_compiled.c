/* The compiled-model ABI end to end: `cratec build --emit shared` on the
 * micro case, loaded into this process (which exports the runtime), driven
 * through its description, P_prepare, P_forward and P_features, and
 * compared with the PyTorch case (logits, Z^{l+1}) and with the reference
 * kernels (Q = LN(Z^l)·Wqkvᵀ). One test per backend and -O level. */
#include <check.h>
#include <cjson/cJSON.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build_test.h"
#include "case_io.h"
#include "crate_ref.h"
#include "cratert_host.h"
#include "run_suite.h"

#define CASE CRATEC_TEST_DATA "/micro/"

typedef void (*prepare_fn)(const float *, float *);
typedef void (*run_fn)(const float *, const float *, const float *, float *, float *, int64_t);

typedef struct Compiled {
  char dir[64];
  void *handle;
  cJSON *desc;
  float *params, *derived;
} Compiled;

static void build(Compiled *c, const char *flags) {
  strcpy(c->dir, "/tmp/cratec_test_compiled_XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(c->dir));
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "'%s' build '%s' --emit shared --no-train %s -o '%s/m.so'", CRATEC_PROGRAM,
           CASE "model.crate", flags, c->dir);
  ck_assert_int_eq(system(cmd), 0);
  snprintf(cmd, sizeof cmd, "%s/m.so", c->dir);
  c->handle = dlopen(cmd, RTLD_NOW | RTLD_LOCAL);
  ck_assert_msg(c->handle != NULL, "dlopen: %s", dlerror());
  const char *desc = dlsym(c->handle, "crate_model_desc");
  ck_assert_ptr_nonnull(desc);
  c->desc = cJSON_Parse(desc);
  ck_assert_ptr_nonnull(c->desc);
}

static int64_t number(const cJSON *obj, const char *name) {
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, name);
  ck_assert_msg(cJSON_IsNumber(n), "description: '%s' is not a number", name);
  return (int64_t)n->valuedouble;
}


/* Every parameter at the description's offset; then P_prepare. */
static void load_params(Compiled *c) {
  c->params = crt_alloc((size_t)number(c->desc, "param_floats") * sizeof(float));
  c->derived = crt_alloc(((size_t)number(c->desc, "derived_floats") + 1) * sizeof(float));
  const cJSON *p;
  cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(c->desc, "params")) {
    size_t count = 1;
    const cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(p, "shape")) count *= (size_t)d->valuedouble;
    const char *key = cJSON_GetObjectItemCaseSensitive(p, "key")->valuestring;
    float *t = bt_tensor(CASE "weights.safetensors", key, count);
    memcpy(c->params + number(p, "offset"), t, count * sizeof *t);
    free(t);
  }
  prepare_fn prepare = (prepare_fn)dlsym(c->handle, "crate_model_prepare");
  ck_assert_ptr_nonnull(prepare);
  prepare(c->params, c->derived);
}

static float *work_for(const Compiled *c, const char *entry, int64_t batch) {
  const cJSON *w = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c->desc, "work_floats"), entry);
  int64_t floats = (int64_t)cJSON_GetArrayItem(w, 0)->valuedouble + (int64_t)cJSON_GetArrayItem(w, 1)->valuedouble * batch;
  ck_assert_int_ge(floats, 0);
  return crt_alloc(((size_t)floats + 1) * sizeof(float));
}

static void release(Compiled *c) {
  crt_free(c->params);
  crt_free(c->derived);
  cJSON_Delete(c->desc);
  dlclose(c->handle);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", c->dir);
  ck_assert_int_eq(system(cmd), 0);
}


enum { B = 2, C = 3, HW = 32, CLASSES = 10, DEPTH = 2, N = 17, D = 64 };

static void check_forward(Compiled *c) {
  float *images = bt_tensor(CASE "input.safetensors", "images", (size_t)B * C * HW * HW);
  float *want = bt_tensor(CASE "expected.safetensors", "logits", (size_t)B * CLASSES);
  float logits[B * CLASSES];
  float *work = work_for(c, "forward", B);
  run_fn forward = (run_fn)dlsym(c->handle, "crate_model_forward");
  forward(c->params, c->derived, images, logits, work, B);
  bt_assert_close(logits, want, B * CLASSES, 1e-4f, "logits");
  crt_free(work);
  free(want);
  free(images);
}

/* The parameter KEY, from the params buffer. */
static const float *param(const Compiled *c, const char *key) {
  const cJSON *p;
  cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(c->desc, "params")) {
    if (strcmp(cJSON_GetObjectItemCaseSensitive(p, "key")->valuestring, key) == 0)
      return c->params + number(p, "offset");
  }
  ck_abort_msg("no parameter '%s' in the description", key);
  return NULL;
}

static void check_features(Compiled *c) {
  float *images = bt_tensor(CASE "input.safetensors", "images", (size_t)B * C * HW * HW);
  size_t slot = (size_t)B * N * D;
  float *features = crt_alloc(DEPTH * 2 * slot * sizeof(float));
  float *work = work_for(c, "features", B);
  run_fn run = (run_fn)dlsym(c->handle, "crate_model_features");
  run(c->params, c->derived, images, features, work, B);
  float *z = bt_tensor(CASE "features.safetensors", "embed", slot);
  float *y = malloc(slot * sizeof *y), *q = malloc(slot * sizeof *q), mean[B * N], rstd[B * N];
  for (int l = 0; l < DEPTH; l++) {
    char key[96], wkey[96];
    snprintf(key, sizeof key, "transformer.layers.%d.0.norm.weight", l);
    snprintf(wkey, sizeof wkey, "transformer.layers.%d.0.norm.bias", l);
    ref_layernorm_forward(y, mean, rstd, z, param(c, key), param(c, wkey), B * N, D, 1e-5f);
    snprintf(key, sizeof key, "transformer.layers.%d.0.fn.qkv.weight", l);
    ref_linear_forward(q, y, param(c, key), NULL, B * N, D, D);
    bt_assert_close(features + (2 * l) * slot, q, slot, 1e-4f, "Q");
    free(z);
    snprintf(key, sizeof key, "layers.%d.out", l);
    z = bt_tensor(CASE "features.safetensors", key, slot);
    bt_assert_close(features + (2 * l + 1) * slot, z, slot, 1e-4f, "Z");
  }
  free(z);
  free(y);
  free(q);
  crt_free(work);
  crt_free(features);
  free(images);
}

static void run_config(const char *flags) {
  Compiled c;
  build(&c, flags);
  ck_assert_int_eq(number(c.desc, "abi"), 1);
  ck_assert_int_eq(number(c.desc, "tokens"), N);
  load_params(&c);
  check_forward(&c);
  check_features(&c);
  release(&c);
}

/* The weights file's bytes, exactly, under crate_model_weights, and their
 * size in the description. */
static void check_embedded(const char *flags) {
  Compiled c;
  char all[256];
  snprintf(all, sizeof all, "%s --weights '%s' --embed-weights", flags, CASE "weights.safetensors");
  build(&c, all);
  FILE *f = fopen(CASE "weights.safetensors", "rb");
  ck_assert_ptr_nonnull(f);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  rewind(f);
  unsigned char *bytes = malloc((size_t)size);
  ck_assert_int_eq(fread(bytes, 1, (size_t)size, f), size);
  fclose(f);
  ck_assert_int_eq(number(c.desc, "embedded_weights"), size);
  const unsigned char *blob = dlsym(c.handle, "crate_model_weights");
  ck_assert_ptr_nonnull(blob);
  ck_assert_int_eq((uintptr_t)blob % 64, 0);
  ck_assert(memcmp(blob, bytes, (size_t)size) == 0);
  free(bytes);
  load_params(&c);
  check_forward(&c);
  release(&c);
}

START_TEST(llvm_embedded_weights) { check_embedded("-O2"); }
END_TEST
START_TEST(c_embedded_weights) { check_embedded("--backend c"); }
END_TEST

START_TEST(llvm_o2) { run_config("-O2"); }
END_TEST
START_TEST(llvm_o0) { run_config("-O0"); }
END_TEST
START_TEST(c_o2) { run_config("--backend c -O2"); }
END_TEST
START_TEST(llvm_fixed_batch) { run_config("--batch 2"); }
END_TEST
START_TEST(llvm_o0_fixed_batch) { run_config("-O0 --batch 2"); }
END_TEST

int main(void) {
  Suite *s = suite_create("compiled");
  TCase *tc = tcase_create("micro");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, llvm_o2);
  tcase_add_test(tc, llvm_o0);
  tcase_add_test(tc, c_o2);
  tcase_add_test(tc, llvm_fixed_batch);
  tcase_add_test(tc, llvm_o0_fixed_batch);
  tcase_add_test(tc, llvm_embedded_weights);
  tcase_add_test(tc, c_embedded_weights);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
