/* gen_model: writes the C file that stands in for cratec's output in the
 * host tests — the description (crate_model_desc, the ABI's JSON), the
 * configuration ref_model.c runs, and optionally embedded weights — for a
 * reference case's meta.json or the small Fashion-MNIST-shaped model.
 *   gen_model OUT.c [--batch B] micro|custom META.json [WEIGHTS]   (WEIGHTS: embed them)
 *   gen_model OUT.c [--batch B] fashion [CLASSES [MEAN STD]]   (CLASSES: 10 unless given;
 *       MEAN STD: the model's input normalisation, as `normalize` declares it)
 * --batch fixes the batch, as cratec build --batch does. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crate_model.h"

/* 28×28 grey images, 7×7 patches (17 tokens), two layers, 10 classes. */
static const crate_config fashion = {28, 7, 1, 10, 32, 2, 2, 16, REF_POOL_CLS,
                                     0.1f, 0.1f, 1e-5f, 0.0f};

static cJSON *ints(const int64_t *v, int n) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber((double)v[i]));
  return a;
}

static cJSON *train_block(const char *name, const crate_config *c) {
  cJSON *t = cJSON_CreateObject();
  cJSON_AddNumberToObject(t, "label_smoothing", c->label_smoothing);
  if (strcmp(name, "fashion") != 0) return t;
  cJSON_AddStringToObject(t, "optimizer", "adamw");
  cJSON_AddNumberToObject(t, "lr", 2e-3);
  cJSON_AddNumberToObject(t, "weight_decay", 0.01);
  cJSON_AddStringToObject(t, "schedule", "cosine");
  cJSON_AddNumberToObject(t, "warmup_epochs", 1);
  cJSON_AddNumberToObject(t, "epochs", 3);
  cJSON_AddNumberToObject(t, "batch", 16);
  cJSON_AddNumberToObject(t, "seed", 7);
  return t;
}

/* The "init" cratec writes for parameter slot I: PyTorch's initialisation
 * of the official model. A linear bias follows its weight, the slot before. */
static cJSON *init_of(const crate_model *m, int i) {
  enum { RANDN, ONE, ZERO, LINEAR, DICT };
  static const int global[P_GLOBALS] = {RANDN, RANDN, ONE, ZERO, LINEAR, LINEAR, ONE, ZERO};
  static const int layer[CRATE_LAYER_SLOTS] = {ONE, ZERO, LINEAR, LINEAR, LINEAR, ONE, ZERO, DICT};
  static const int head[CRATE_HEAD_SLOTS] = {ONE, ZERO, LINEAR, LINEAR};
  int at = i - P_GLOBALS, layers = m->cfg.depth * CRATE_LAYER_SLOTS;
  int kind = at < 0 ? global[i] : at < layers ? layer[at % CRATE_LAYER_SLOTS] : head[at - layers];
  const crt_param_spec *w = m->spec[i].rank == 2 ? &m->spec[i] : &m->spec[i - 1];
  cJSON *init = cJSON_CreateObject();
  if (kind == RANDN) cJSON_AddNumberToObject(init, "normal", 1);
  if (kind == ONE || kind == ZERO) cJSON_AddNumberToObject(init, "constant", kind == ONE);
  if (kind == LINEAR) cJSON_AddNumberToObject(init, "uniform", 1 / sqrt((double)w->shape[1]));
  if (kind == DICT) cJSON_AddNumberToObject(init, "uniform", sqrt(6.0 / (double)w->shape[1]));
  return init;
}

/* NORM: the mean and std of every channel, or NULL. */
static char *describe(const char *name, const crate_model *m, int batch, size_t embedded,
                      const double *norm) {
  const crate_config *c = &m->cfg;
  cJSON *d = cJSON_CreateObject();
  cJSON_AddNumberToObject(d, "abi", 1);
  cJSON_AddStringToObject(d, "name", name);
  cJSON_AddNumberToObject(d, "channels", c->channels);
  cJSON_AddNumberToObject(d, "height", c->image_size);
  cJSON_AddNumberToObject(d, "width", c->image_size);
  cJSON_AddNumberToObject(d, "classes", c->num_classes);
  cJSON_AddNumberToObject(d, "depth", c->depth);
  cJSON_AddNumberToObject(d, "tokens", m->N);
  cJSON_AddNumberToObject(d, "dim", c->dim);
  cJSON *layers = cJSON_AddArrayToObject(d, "layers");
  for (int l = 0; l < c->depth; l++) {
    cJSON *layer = cJSON_CreateObject();
    cJSON_AddNumberToObject(layer, "heads", c->heads);
    cJSON_AddNumberToObject(layer, "dim_head", c->dim_head);
    cJSON_AddItemToArray(layers, layer);
  }
  if (batch)
    cJSON_AddNumberToObject(d, "batch", batch);
  else
    cJSON_AddNullToObject(d, "batch");
  cJSON *params = cJSON_AddArrayToObject(d, "params");
  for (int i = 0; i < m->slots; i++) {
    if (!m->param[i]) continue;
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "key", m->spec[i].key);
    cJSON_AddItemToObject(p, "shape", ints(m->spec[i].shape, m->spec[i].rank));
    cJSON_AddNumberToObject(p, "offset", (double)(m->param[i] - m->param_mem));
    cJSON_AddItemToObject(p, "init", init_of(m, i));
    cJSON_AddItemToArray(params, p);
  }
  cJSON_AddNumberToObject(d, "param_floats", (double)m->num_params);
  /* ref_model.c's P_prepare copies the parameters here, and its entries
   * clear their work areas: both sizes are checked by running. */
  cJSON_AddNumberToObject(d, "derived_floats", (double)m->num_params);
  cJSON *work = cJSON_AddObjectToObject(d, "work_floats");
  const int64_t fwd[2] = {64, 16}, feat[2] = {32, 8}, train[2] = {128, 32};
  cJSON_AddItemToObject(work, "forward", ints(fwd, 2));
  cJSON_AddItemToObject(work, "features", ints(feat, 2));
  cJSON_AddItemToObject(work, "train", ints(train, 2));
  cJSON_AddItemToObject(d, "train", train_block(name, c));
  if (norm) {
    cJSON *n = cJSON_AddObjectToObject(d, "normalize");
    cJSON *mean = cJSON_AddArrayToObject(n, "mean"), *std = cJSON_AddArrayToObject(n, "std");
    for (int ch = 0; ch < c->channels; ch++) {
      cJSON_AddItemToArray(mean, cJSON_CreateNumber(norm[0]));
      cJSON_AddItemToArray(std, cJSON_CreateNumber(norm[1]));
    }
  }
  cJSON_AddNumberToObject(d, "embedded_weights", (double)embedded);
  char *json = cJSON_PrintUnformatted(d);
  cJSON_Delete(d);
  return json;
}

static unsigned char *slurp(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *size = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *buf = malloc(*size ? *size : 1);
  if (buf && fread(buf, 1, *size, f) != *size) free(buf), buf = NULL;
  fclose(f);
  return buf;
}

static void write_c(FILE *out, const char *json, const crate_config *c, const unsigned char *w,
                    size_t wsize) {
  fprintf(out, "/* generated by gen_model */\n#include \"crate_model.h\"\n\n"
               "const char crate_model_desc[] = \"");
  for (const char *p = json; *p; p++) fprintf(out, *p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
  fprintf(out, "\";\n\nconst crate_config ref_model_config = {%d, %d, %d, %d, %d, %d, %d, %d, %s, "
               "(float)%.9g, (float)%.9g, (float)%.9g, (float)%.9g};\n", c->image_size, c->patch_size, c->channels,
          c->num_classes, c->dim, c->depth, c->heads, c->dim_head,
          c->pool == REF_POOL_CLS ? "REF_POOL_CLS" : "REF_POOL_MEAN", c->eta, c->lambd,
          c->layernorm_eps, c->label_smoothing);
  if (!w) return;
  fprintf(out, "\n__attribute__((aligned(64))) const unsigned char crate_model_weights[] = {");
  for (size_t i = 0; i < wsize; i++) fprintf(out, "%s%u,", i % 24 ? "" : "\n", w[i]);
  fprintf(out, "\n};\n");
}

int main(int argc, char **argv) {
  int batch = 0;
  if (argc > 3 && strcmp(argv[2], "--batch") == 0) {
    batch = atoi(argv[3]);
    argv[3] = argv[1], argv += 2, argc -= 2;
  }
  if (argc < 3 || (strcmp(argv[2], "fashion") != 0 && argc < 4)) {
    fprintf(stderr, "usage: gen_model OUT.c [--batch B] fashion [CLASSES [MEAN STD]] | micro|custom META.json [WEIGHTS]\n");
    return 2;
  }
  crate_config cfg = fashion;
  bool fashion = strcmp(argv[2], "fashion") == 0;
  if (fashion && argc > 3) cfg.num_classes = atoi(argv[3]);
  double norm[2];
  if (fashion && argc > 5) norm[0] = atof(argv[4]), norm[1] = atof(argv[5]);
  crt_error e;
  if (strcmp(argv[2], "fashion") != 0 && crate_config_from_meta(&cfg, argv[3], &e)) {
    fprintf(stderr, "gen_model: %s\n", e.msg);
    return 1;
  }
  size_t wsize = 0;
  unsigned char *w = !fashion && argc > 4 ? slurp(argv[4], &wsize) : NULL;
  crate_model m;
  if ((!fashion && argc > 4 && !w) || crate_model_init(&m, &cfg, 1, &e)) {
    fprintf(stderr, "gen_model: cannot read %s or build the model\n", argc > 4 ? argv[4] : "");
    return 1;
  }
  char *json = describe(argv[2], &m, batch, wsize, fashion && argc > 5 ? norm : NULL);
  FILE *out = fopen(argv[1], "w");
  if (!out || !json) return 1;
  write_c(out, json, &cfg, w, wsize);
  int rc = fclose(out) ? 1 : 0;
  free(json), free(w);
  crate_model_free(&m);
  return rc;
}
