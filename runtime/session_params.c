/* A session's parameters: loaded from a file or the embedded blob, or
 * initialised from scratch as the description says (cratec writes how
 * PyTorch initialises the official model). */
#include "session_internal.h"

#include <stdlib.h>

static size_t numel(const crt_param_spec *s) {
  size_t n = 1;
  for (int r = 0; r < s->rank; r++) n *= (size_t)s->shape[r];
  return n;
}

static void draw(float *p, size_t n, const crt_param_init *init, crt_rng *r) {
  for (size_t j = 0; j < n; j++) switch (init->kind) {
      case CRT_INIT_NORMAL: p[j] = (float)(init->value * crt_rng_normal(r)); break;
      case CRT_INIT_UNIFORM: p[j] = (float)((2.0 * crt_rng_uniform(r) - 1.0) * init->value); break;
      case CRT_INIT_CONSTANT: p[j] = (float)init->value; break;
      case CRT_INIT_NONE: return;
    }
}

/* In order, from one generator: the values depend on the seed and the
 * parameter list only. A parameter the description gives no "init" (one
 * compiled by an older cratec) keeps its value. */
void crt_session_init_params(crt_session *s, uint64_t seed) {
  const crt_param_table *t = &s->desc.info.params;
  crt_rng r;
  crt_rng_seed(&r, seed);
  for (int i = 0; i < t->count; i++) draw(s->params + t->offsets[i], numel(&t->specs[i]), &s->desc.inits[i], &r);
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
    for (int i = 0; i < m->params.count; i++)
      if (s->desc.inits[i].kind == CRT_INIT_NONE)
        return crt_fail(e, "model description: param '%s' has no 'init' (compiled by an older cratec): "
                           "give weights, or build the model again", m->params.specs[i].key);
    crt_session_init_params(s, m->train.seed);
    return 0;
  }
  if (!f) return -1;
  int rc = load_file(s, f, e);
  crt_st_close(f);
  return rc;
}
