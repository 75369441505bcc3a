/* The model description (cratert_abi.h, "compiled models"): parsed with cJSON
 * and checked field by field, so a program built against a mismatched
 * runtime fails with a sentence instead of running on garbage. */
#include "session_internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BAD(...) crt_fail(e, "model description: " __VA_ARGS__)

static int get_int(const cJSON *obj, const char *name, int64_t min, int64_t *out, crt_error *e) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (!cJSON_IsNumber(v)) return BAD("'%s' is missing or not a number", name);
  double x = v->valuedouble;
  if (x != floor(x) || x < (double)min || x > 9.0e15)
    return BAD("'%s' = %g: expected an integer >= %lld", name, x, (long long)min);
  *out = (int64_t)x;
  return 0;
}

static int get_small(const cJSON *obj, const char *name, int *out, crt_error *e) {
  int64_t v;
  if (get_int(obj, name, 1, &v, e)) return -1;
  if (v > 1 << 24) return BAD("'%s' = %lld is implausibly large", name, (long long)v);
  *out = (int)v;
  return 0;
}

/* An optional number of the train block: DEF when absent. */
static int get_real(const cJSON *obj, const char *name, double def, double *out, crt_error *e) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (!v || cJSON_IsNull(v)) return *out = def, 0;
  if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
    return BAD("train '%s' must be a finite number", name);
  *out = v->valuedouble;
  return 0;
}

static int get_pair(const cJSON *work, const char *name, int64_t out[2], crt_error *e) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(work, name);
  if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2)
    return BAD("work_floats.%s must be an array [a, b]", name);
  for (int i = 0; i < 2; i++) {
    const cJSON *x = cJSON_GetArrayItem(v, i);
    if (!cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble != floor(x->valuedouble))
      return BAD("work_floats.%s[%d] must be a non-negative integer", name, i);
    out[i] = (int64_t)x->valuedouble;
  }
  return 0;
}

static int parse_layers(crt_desc *d, const cJSON *root, crt_error *e) {
  const cJSON *layers = cJSON_GetObjectItemCaseSensitive(root, "layers");
  int depth = d->info.depth;
  if (!cJSON_IsArray(layers) || cJSON_GetArraySize(layers) != depth)
    return BAD("'layers' must be an array of %d entries (depth)", depth);
  d->layers = calloc((size_t)depth, sizeof *d->layers);
  if (!d->layers) return BAD("out of memory");
  for (int l = 0; l < depth; l++) {
    const cJSON *layer = cJSON_GetArrayItem(layers, l);
    if (get_small(layer, "heads", &d->layers[l].heads, e) ||
        get_small(layer, "dim_head", &d->layers[l].dim_head, e))
      return -1;
  }
  d->info.layers = d->layers;
  return 0;
}

/* "init": {"normal": std} | {"uniform": bound} | {"constant": value};
 * optional, since descriptions from before it was written lack it. */
static int parse_init(crt_param_init *init, const char *key, const cJSON *v, crt_error *e) {
  static const char *const kinds[] = {[CRT_INIT_NORMAL] = "normal", [CRT_INIT_UNIFORM] = "uniform",
                                      [CRT_INIT_CONSTANT] = "constant"};
  *init = (crt_param_init){CRT_INIT_NONE, 0};
  if (!v) return 0;
  const cJSON *x = cJSON_IsObject(v) && cJSON_GetArraySize(v) == 1 ? v->child : NULL;
  for (int k = CRT_INIT_NORMAL; x && k <= CRT_INIT_CONSTANT; k++)
    if (strcmp(x->string, kinds[k]) == 0) init->kind = (crt_init_kind)k;
  if (init->kind == CRT_INIT_NONE || !cJSON_IsNumber(x) || !isfinite(x->valuedouble) ||
      (init->kind != CRT_INIT_CONSTANT && x->valuedouble < 0))
    return BAD("param '%s': 'init' must be {\"normal\": std}, {\"uniform\": bound} or {\"constant\": value}, "
               "with std and bound >= 0", key);
  init->value = x->valuedouble;
  return 0;
}

static int parse_param(crt_desc *d, int i, const cJSON *p, crt_error *e) {
  const cJSON *key = cJSON_GetObjectItemCaseSensitive(p, "key");
  const cJSON *shape = cJSON_GetObjectItemCaseSensitive(p, "shape");
  if (!cJSON_IsString(key) || !key->valuestring[0]) return BAD("params[%d] has no 'key'", i);
  int rank = cJSON_GetArraySize(shape);
  if (!cJSON_IsArray(shape) || rank < 1 || rank > 4)
    return BAD("param '%s': 'shape' must be an array of 1 to 4 sizes", key->valuestring);
  d->keys[i] = strdup(key->valuestring);
  if (!d->keys[i]) return BAD("out of memory");
  crt_param_spec *s = &d->specs[i];
  s->key = d->keys[i], s->rank = rank;
  size_t count = 1;
  for (int r = 0; r < rank; r++) {
    const cJSON *x = cJSON_GetArrayItem(shape, r);
    if (!cJSON_IsNumber(x) || x->valuedouble < 1 || x->valuedouble > 1e9 ||
        x->valuedouble != floor(x->valuedouble))
      return BAD("param '%s': shape entries must be positive integers", s->key);
    s->shape[r] = (int64_t)x->valuedouble;
    count *= (size_t)s->shape[r];
  }
  int64_t offset;
  if (get_int(p, "offset", 0, &offset, e)) return -1;
  if ((size_t)offset + count > d->info.params.flat_count)
    return BAD("param '%s' (offset %lld, %zu floats) runs past param_floats %zu", s->key,
               (long long)offset, count, d->info.params.flat_count);
  d->offsets[i] = (size_t)offset;
  return parse_init(&d->inits[i], s->key, cJSON_GetObjectItemCaseSensitive(p, "init"), e);
}

static int parse_params(crt_desc *d, const cJSON *root, crt_error *e) {
  int64_t floats, derived;
  if (get_int(root, "param_floats", 1, &floats, e) ||
      get_int(root, "derived_floats", 0, &derived, e))
    return -1;
  d->info.params.flat_count = (size_t)floats;
  d->info.derived_floats = (size_t)derived;
  const cJSON *params = cJSON_GetObjectItemCaseSensitive(root, "params");
  int n = cJSON_GetArraySize(params);
  if (!cJSON_IsArray(params) || n < 1) return BAD("'params' must be a non-empty array");
  d->specs = calloc((size_t)n, sizeof *d->specs);
  d->keys = calloc((size_t)n, sizeof *d->keys);
  d->offsets = calloc((size_t)n, sizeof *d->offsets);
  d->inits = calloc((size_t)n, sizeof *d->inits);
  if (!d->specs || !d->keys || !d->offsets || !d->inits) return BAD("out of memory");
  d->info.params = (crt_param_table){d->specs, d->offsets, n, (size_t)floats};
  for (int i = 0; i < n; i++)
    if (parse_param(d, i, cJSON_GetArrayItem(params, i), e)) return -1;
  return 0;
}

static int parse_optimizer(crt_train_config *t, const cJSON *train, crt_error *e) {
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(train, "optimizer");
  crt_optimizer_kind kind = CRT_OPT_ADAMW;
  if (name) {
    int k = 0;
    while (k < CRT_OPT_KIND_COUNT && !(cJSON_IsString(name) &&
                                        strcmp(name->valuestring, crt_optimizer_name(k)) == 0))
      k++;
    if (k == CRT_OPT_KIND_COUNT) return BAD("train 'optimizer' must be sgd, adamw or lion");
    kind = (crt_optimizer_kind)k;
  }
  crt_optimizer_config *o = &t->optimizer;
  *o = crt_optimizer_defaults(kind);
  const cJSON *nesterov = cJSON_GetObjectItemCaseSensitive(train, "nesterov");
  if (nesterov && !cJSON_IsBool(nesterov)) return BAD("train 'nesterov' must be true or false");
  o->nesterov = cJSON_IsTrue(nesterov);
  return get_real(train, "weight_decay", o->weight_decay, &o->weight_decay, e) ||
         get_real(train, "momentum", o->momentum, &o->momentum, e) ||
         get_real(train, "beta1", o->beta1, &o->beta1, e) ||
         get_real(train, "beta2", o->beta2, &o->beta2, e) ||
         get_real(train, "eps", o->eps, &o->eps, e);
}

static int parse_train(crt_train_config *t, const cJSON *root, crt_error *e) {
  const cJSON *train = cJSON_GetObjectItemCaseSensitive(root, "train");
  if (train && !cJSON_IsObject(train) && !cJSON_IsNull(train))
    return BAD("'train' must be an object");
  if (parse_optimizer(t, train, e)) return -1;
  crt_schedule *s = &t->schedule;
  const cJSON *sched = cJSON_GetObjectItemCaseSensitive(train, "schedule");
  s->kind = CRT_SCHEDULE_CONSTANT;
  if (sched && !(cJSON_IsString(sched) && (strcmp(sched->valuestring, "constant") == 0 ||
                                           strcmp(sched->valuestring, "cosine") == 0)))
    return BAD("train 'schedule' must be constant or cosine");
  if (sched && strcmp(sched->valuestring, "cosine") == 0) s->kind = CRT_SCHEDULE_COSINE;
  double epochs, batch, warm_e, warm_s, seed;
  if (get_real(train, "lr", 1e-3, &s->base_lr, e) || get_real(train, "min_lr", 0, &s->min_lr, e) ||
      get_real(train, "epochs", 10, &epochs, e) || get_real(train, "batch", 128, &batch, e) ||
      get_real(train, "warmup_epochs", 0, &warm_e, e) ||
      get_real(train, "warmup_steps", 0, &warm_s, e) || get_real(train, "seed", 0, &seed, e) ||
      get_real(train, "label_smoothing", 0, &t->label_smoothing, e))
    return -1;
  if (epochs < 1 || batch < 1 || warm_e < 0 || warm_s < 0 || seed < 0)
    return BAD("train epochs and batch must be positive, warm-up and seed non-negative");
  if (!(t->label_smoothing >= 0 && t->label_smoothing < 1))
    return BAD("train 'label_smoothing' must be in [0, 1)");
  s->epochs = (int64_t)epochs, t->batch = (int64_t)batch, t->seed = (uint64_t)seed;
  s->warmup_epochs = warm_e, s->warmup_steps = (int64_t)warm_s;
  /* The official schedule has neither a floor nor a warm-up in steps: either
   * one asks for the per-step variant (docs/model.md §4.3). */
  s->per_step = s->warmup_steps > 0 || s->min_lr > 0;
  return crt_schedule_check(s, e);
}

static int parse_sizes(crt_desc *d, const cJSON *root, crt_error *e) {
  crt_model_info *m = &d->info;
  int64_t abi;
  if (get_int(root, "abi", 0, &abi, e)) return -1;
  if (abi != 1) return BAD("ABI version %lld, this runtime speaks version 1", (long long)abi);
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
  if (!cJSON_IsString(name)) return BAD("'name' is missing or not a string");
  if (!(d->name = strdup(name->valuestring))) return BAD("out of memory");
  m->name = d->name;
  if (get_small(root, "channels", &m->channels, e) || get_small(root, "height", &m->height, e) ||
      get_small(root, "width", &m->width, e) || get_small(root, "classes", &m->classes, e) ||
      get_small(root, "depth", &m->depth, e) || get_small(root, "tokens", &m->tokens, e) ||
      get_small(root, "dim", &m->dim, e))
    return -1;
  const cJSON *batch = cJSON_GetObjectItemCaseSensitive(root, "batch");
  if (batch && !cJSON_IsNull(batch) && get_int(root, "batch", 1, &m->batch, e)) return -1;
  const cJSON *work = cJSON_GetObjectItemCaseSensitive(root, "work_floats");
  if (!cJSON_IsObject(work)) return BAD("'work_floats' must be an object");
  if (get_pair(work, "forward", m->work_forward, e) ||
      get_pair(work, "features", m->work_features, e) ||
      get_pair(work, "train", m->work_train, e))
    return -1;
  const cJSON *flops = cJSON_GetObjectItemCaseSensitive(root, "flops");
  const cJSON *fwd = cJSON_GetObjectItemCaseSensitive(flops, "forward");
  m->flops_forward = cJSON_IsNumber(fwd) ? fwd->valuedouble : 0;
  int64_t embedded = 0;
  if (cJSON_GetObjectItemCaseSensitive(root, "embedded_weights") &&
      get_int(root, "embedded_weights", 0, &embedded, e))
    return -1;
  m->embedded_weights = (size_t)embedded;
  return 0;
}

/* "normalize": {"mean": [channels], "std": [channels]}, optional. */
static int parse_normalize(crt_desc *d, const cJSON *root, crt_error *e) {
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(root, "normalize");
  if (!n || cJSON_IsNull(n)) return 0;
  int channels = d->info.channels;
  const cJSON *mean = cJSON_GetObjectItemCaseSensitive(n, "mean"), *std = cJSON_GetObjectItemCaseSensitive(n, "std");
  if (!cJSON_IsArray(mean) || !cJSON_IsArray(std) || cJSON_GetArraySize(mean) != channels ||
      cJSON_GetArraySize(std) != channels)
    return BAD("'normalize' must hold arrays 'mean' and 'std' of %d entries (channels)", channels);
  d->mean = malloc((size_t)channels * sizeof *d->mean);
  d->std = malloc((size_t)channels * sizeof *d->std);
  if (!d->mean || !d->std) return BAD("out of memory");
  for (int c = 0; c < channels; c++) {
    const cJSON *m = cJSON_GetArrayItem(mean, c), *s = cJSON_GetArrayItem(std, c);
    if (!cJSON_IsNumber(m) || !cJSON_IsNumber(s) || !(m->valuedouble >= 0 && m->valuedouble <= 1) ||
        !(s->valuedouble > 0 && s->valuedouble <= 1))
      return BAD("normalize channel %d: mean must be in [0, 1] and std in (0, 1]", c);
    d->mean[c] = (float)m->valuedouble, d->std[c] = (float)s->valuedouble;
  }
  d->info.mean = d->mean, d->info.std = d->std;
  return 0;
}

int crt_desc_parse(crt_desc *d, const char *json, crt_error *e) {
  memset(d, 0, sizeof *d);
  if (!json) return BAD("missing");
  cJSON *root = cJSON_Parse(json);
  if (!root || !cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return BAD("not a JSON object");
  }
  int rc = parse_sizes(d, root, e) || parse_layers(d, root, e) || parse_params(d, root, e) ||
                   parse_train(&d->info.train, root, e) || parse_normalize(d, root, e)
               ? -1
               : 0;
  cJSON_Delete(root);
  if (rc) crt_desc_free(d);
  return rc;
}

void crt_desc_free(crt_desc *d) {
  for (int i = 0; d->keys && i < d->info.params.count; i++) free(d->keys[i]);
  free(d->keys), free(d->specs), free(d->offsets), free(d->inits), free(d->layers), free(d->name);
  free(d->mean), free(d->std);
  memset(d, 0, sizeof *d);
}
