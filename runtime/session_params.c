/* A session's parameters: loaded from a file or the embedded blob, or
 * initialised from scratch as PyTorch initialises the official model. */
#include "session_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t numel(const crt_param_spec *s) {
  size_t n = 1;
  for (int r = 0; r < s->rank; r++) n *= (size_t)s->shape[r];
  return n;
}

/* The weight of the same module: "x.2.bias" -> "x.2.weight", or NULL. */
static const crt_param_spec *sibling_weight(const crt_param_table *t, const char *key) {
  size_t len = strlen(key);
  if (len < 5 || strcmp(key + len - 5, ".bias") != 0) return NULL;
  for (int i = 0; i < t->count; i++) {
    const char *k = t->specs[i].key;
    if (strncmp(k, key, len - 4) == 0 && strcmp(k + len - 4, "weight") == 0) return &t->specs[i];
  }
  return NULL;
}

/* ISTA dictionaries are "transformer.layers.L.1.fn.weight" (docs/model.md §3.1). */
static bool is_dictionary(const char *key) {
  const char *tail = strstr(key, ".1.fn.weight");
  return strncmp(key, "transformer.layers.", 19) == 0 && tail && !tail[12];
}

static void fill_uniform(float *p, size_t n, double bound, crt_rng *r) {
  for (size_t i = 0; i < n; i++) p[i] = (float)((2.0 * crt_rng_uniform(r) - 1.0) * bound);
}

/* docs/model.md §3.3. Rank 3 are the cls token and the position table; a rank-1
 * tensor whose module has a matrix weight is a Linear bias, otherwise it
 * belongs to a LayerNorm. */
void crt_session_init_params(crt_session *s, uint64_t seed) {
  const crt_param_table *t = &s->desc.info.params;
  crt_rng r;
  crt_rng_seed(&r, seed);
  for (int i = 0; i < t->count; i++) {
    const crt_param_spec *spec = &t->specs[i];
    float *p = s->params + t->offsets[i];
    size_t n = numel(spec);
    const crt_param_spec *w = sibling_weight(t, spec->key);
    if (spec->rank >= 3) {
      for (size_t j = 0; j < n; j++) p[j] = crt_rng_normal(&r);
    } else if (spec->rank == 2) {
      double fan_in = (double)spec->shape[1];
      fill_uniform(p, n, is_dictionary(spec->key) ? sqrt(6.0 / fan_in) : 1.0 / sqrt(fan_in), &r);
    } else if (w && w->rank == 2) {
      fill_uniform(p, n, 1.0 / sqrt((double)w->shape[1]), &r);
    } else {
      bool bias = w != NULL;
      for (size_t j = 0; j < n; j++) p[j] = bias ? 0.0f : 1.0f;
    }
  }
}

/* Loads F into the parameter buffer through the checkpoint-aware loader. */
static int load_file(crt_session *s, const crt_st_file *f, crt_error *e) {
  const crt_param_table *t = &s->desc.info.params;
  float **dst = malloc((size_t)t->count * sizeof *dst);
  if (!dst) return crt_fail(e, "%s: out of memory", crt_st_path(f));
  for (int i = 0; i < t->count; i++) dst[i] = s->params + t->offsets[i];
  int rc = crt_checkpoint_load_weights(f, t->specs, t->count, dst, e);
  free(dst);
  return rc;
}

int crt_session_load_initial(crt_session *s, const char *weights_path, crt_error *e) {
  const crt_model_info *m = &s->desc.info;
  crt_st_file *f = NULL;
  if (weights_path)
    f = crt_st_open(weights_path, e);
  else if (m->embedded_weights && !s->model->weights)
    return crt_fail(e, "the description declares %zu bytes of embedded weights, but none are "
                       "linked in", m->embedded_weights);
  else if (m->embedded_weights)
    f = crt_st_open_memory(s->model->weights, m->embedded_weights, "embedded weights", e);
  else {
    crt_session_init_params(s, m->train.seed);
    return 0;
  }
  if (!f) return -1;
  int rc = load_file(s, f, e);
  crt_st_close(f);
  return rc;
}
