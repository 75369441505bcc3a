/* Sessions (cratert_host.h, "sessions"): a compiled model's entries with
 * the buffers they need, allocated once and reused every step. */
#include "session_internal.h"

#include <stdlib.h>
#include <string.h>

crt_session *crt_session_create(const crt_model *m, const char *weights_path, crt_error *e) {
  if (!m || !m->prepare || !m->forward || !m->features || !m->train_step) {
    crt_fail(e, "model: an entry point is missing");
    return NULL;
  }
  crt_session *s = calloc(1, sizeof *s);
  if (!s) {
    crt_fail(e, "out of memory");
    return NULL;
  }
  s->model = m;
  if (crt_desc_parse(&s->desc, m->desc, e)) goto fail;
  const crt_model_info *info = &s->desc.info;
  size_t nparams = info->params.flat_count * sizeof(float);
  s->params = crt_alloc(nparams);
  s->grads = crt_alloc(nparams);
  s->derived = crt_alloc((info->derived_floats ? info->derived_floats : 1) * sizeof(float));
  if (!s->params || !s->grads || !s->derived) {
    crt_fail(e, "out of memory for %zu parameters", info->params.flat_count);
    goto fail;
  }
  if (crt_session_load_initial(s, weights_path, e)) goto fail;
  m->prepare(s->params, s->derived);
  return s;
fail:
  crt_session_free(s);
  return NULL;
}

void crt_session_free(crt_session *s) {
  if (!s) return;
  crt_desc_free(&s->desc);
  crt_free(s->params), crt_free(s->grads), crt_free(s->derived);
  crt_arena_destroy(&s->arena);
  crt_optimizer_free(&s->opt);
  free(s);
}

const crt_model_info *crt_session_info(const crt_session *s) { return &s->desc.info; }
float *crt_session_params(crt_session *s) { return s->params; }
const float *crt_session_grads(const crt_session *s) { return s->grads; }
void crt_session_params_changed(crt_session *s) {
  s->model->prepare(s->params, s->derived);
  s->derived_stale = false;
}

/* Training steps leave the derived buffer stale: only the inference
 * entries read it, so it is rebuilt once before the next of them rather
 * than after every step. */
static void refresh_derived(crt_session *s) {
  if (s->derived_stale) crt_session_params_changed(s);
}

/* a + b·batch floats, SIZE_MAX when that does not fit. */
static size_t work_floats(const int64_t w[2], int64_t batch) {
  size_t per_batch, floats;
  if (__builtin_mul_overflow((size_t)w[1], (size_t)batch, &per_batch) ||
      __builtin_add_overflow(per_batch, (size_t)w[0], &floats))
    return SIZE_MAX;
  return floats;
}

/* Floats of the arena ENTRY needs at BATCH: its work, plus for a
 * fixed-batch forward a padded chunk of images and logits, plus for a
 * training step the logits it keeps when the caller wants none. Only the
 * entry being run is reserved for: inference never pays for the training
 * step's activations. */
static bool arena_floats(const crt_model_info *m, crt_entry entry, int64_t batch, size_t *floats) {
  const int64_t *work = entry == CRT_ENTRY_FORWARD    ? m->work_forward
                        : entry == CRT_ENTRY_FEATURES ? m->work_features
                                                      : m->work_train;
  size_t image = (size_t)m->channels * m->height * m->width;
  int64_t extra = entry == CRT_ENTRY_TRAIN                 ? (int64_t)m->classes
                  : entry == CRT_ENTRY_FORWARD && m->batch ? (int64_t)(image + (size_t)m->classes)
                                                           : 0;
  return !__builtin_add_overflow(work_floats(work, batch), work_floats((int64_t[2]){0, extra}, batch),
                                 floats) &&
         *floats <= (SIZE_MAX - 3 * CRT_ALIGN) / sizeof(float);
}

int crt_session_reserve(crt_session *s, crt_entry entry, int64_t batch, crt_error *e) {
  const crt_model_info *m = &s->desc.info;
  if (batch < 1) return crt_fail(e, "batch %lld: must be at least 1", (long long)batch);
  if ((unsigned)entry > CRT_ENTRY_TRAIN) return crt_fail(e, "unknown entry %d", (int)entry);
  if (m->batch) batch = m->batch;
  size_t floats;
  if (!arena_floats(m, entry, batch, &floats))
    return crt_fail(e, "batch %lld: the scratch memory it needs exceeds the address space",
                    (long long)batch);
  size_t bytes = floats * sizeof(float) + 3 * CRT_ALIGN;
  if (s->arena.base && bytes <= s->arena.size) return 0;
  crt_arena_destroy(&s->arena);
  return crt_arena_init(&s->arena, bytes, e);
}

static int check_batch(const crt_session *s, int64_t batch, crt_error *e) {
  int64_t fixed = s->desc.info.batch;
  if (batch < 1) return crt_fail(e, "batch %lld: must be at least 1", (long long)batch);
  if (fixed && batch != fixed)
    return crt_fail(e, "batch %lld: this model was compiled for batch %lld", (long long)batch,
                    (long long)fixed);
  return 0;
}

static float *take(crt_session *s, size_t floats) {
  return crt_arena_alloc(&s->arena, (floats ? floats : 1) * sizeof(float));
}

/* A fixed-batch model runs full chunks in place and the remainder through
 * a zero-padded copy. */
int crt_session_forward(crt_session *s, const float *images, float *logits, int64_t batch,
                        crt_error *e) {
  const crt_model_info *m = &s->desc.info;
  if (crt_session_reserve(s, CRT_ENTRY_FORWARD, batch, e)) return -1;
  int64_t step = m->batch ? m->batch : batch;
  size_t image = (size_t)m->channels * m->height * m->width;
  refresh_derived(s);
  size_t mark = crt_arena_mark(&s->arena);
  float *work = take(s, work_floats(m->work_forward, step));
  for (int64_t b = 0; b < batch; b += step) {
    int64_t n = batch - b < step ? batch - b : step;
    const float *in = images + (size_t)b * image;
    float *out = logits + (size_t)b * m->classes;
    if (n == step) {
      s->model->forward(s->params, s->derived, in, out, work, step);
      continue;
    }
    float *pad_in = take(s, (size_t)step * image), *pad_out = take(s, (size_t)step * m->classes);
    memset(pad_in, 0, (size_t)step * image * sizeof(float));
    memcpy(pad_in, in, (size_t)n * image * sizeof(float));
    s->model->forward(s->params, s->derived, pad_in, pad_out, work, step);
    memcpy(out, pad_out, (size_t)n * m->classes * sizeof(float));
  }
  crt_arena_release(&s->arena, mark);
  return 0;
}

int crt_session_features(crt_session *s, const float *images, float *features, int64_t batch,
                         crt_error *e) {
  const crt_model_info *m = &s->desc.info;
  if (check_batch(s, batch, e) || crt_session_reserve(s, CRT_ENTRY_FEATURES, batch, e)) return -1;
  refresh_derived(s);
  size_t mark = crt_arena_mark(&s->arena);
  s->model->features(s->params, s->derived, images, features,
                     take(s, work_floats(m->work_features, batch)), batch);
  crt_arena_release(&s->arena, mark);
  return 0;
}

static int check_labels(const crt_model_info *m, const int64_t *labels, int64_t batch,
                        crt_error *e) {
  for (int64_t b = 0; b < batch; b++)
    if (labels[b] < 0 || labels[b] >= m->classes)
      return crt_fail(e, "label %lld of sample %lld is outside [0, %d)", (long long)labels[b],
                      (long long)b, m->classes);
  return 0;
}

int crt_session_gradients(crt_session *s, const float *images, const int64_t *labels,
                          int64_t batch, float *loss, float *logits, crt_error *e) {
  const crt_model_info *m = &s->desc.info;
  if (check_batch(s, batch, e) || check_labels(m, labels, batch, e) ||
      crt_session_reserve(s, CRT_ENTRY_TRAIN, batch, e))
    return -1;
  size_t mark = crt_arena_mark(&s->arena);
  float *work = take(s, work_floats(m->work_train, batch));
  float *out = logits ? logits : take(s, (size_t)batch * m->classes);
  s->model->train_step(s->params, images, labels, loss, out, s->grads, work, batch);
  crt_arena_release(&s->arena, mark);
  return 0;
}

crt_optimizer *crt_session_optimizer(crt_session *s) {
  if (!s->opt_ready && crt_session_set_optimizer(s, &s->desc.info.train.optimizer, NULL))
    return NULL;
  return &s->opt;
}

int crt_session_set_optimizer(crt_session *s, const crt_optimizer_config *config, crt_error *e) {
  crt_optimizer_free(&s->opt);
  s->opt_ready = false;
  if (crt_optimizer_init(&s->opt, config, s->desc.info.params.flat_count, e)) return -1;
  s->opt_ready = true;
  return 0;
}

/* After a step failed on a non-finite value: which tensor went bad, and
 * whether a gradient was already bad or the update itself overflowed. */
static int explain_nonfinite(const crt_session *s, crt_error *e) {
  const crt_param_table *t = &s->desc.info.params;
  const float *buffers[] = {s->params, s->opt.exp_avg, s->opt.exp_avg_sq};
  for (int b = 0; b < 3; b++) {
    int bad = crt_param_table_find_nonfinite(t, buffers[b]);
    if (bad < 0) continue;
    int grad = crt_param_table_find_nonfinite(t, s->grads);
    char cause[256];
    if (grad >= 0)
      snprintf(cause, sizeof cause, "the gradient of '%s' holds NaN or infinity", t->specs[grad].key);
    else
      snprintf(cause, sizeof cause, "every gradient was finite: the update overflowed");
    return crt_fail(e, "optimizer step %lld made %s'%s' NaN or infinite (%s)",
                    (long long)s->opt.steps, b ? "the optimizer state of " : "parameter ",
                    t->specs[bad].key, cause);
  }
  return -1;
}

int crt_session_train_step(crt_session *s, const float *images, const int64_t *labels,
                           int64_t batch, double lr, float *loss, float *logits, crt_error *e) {
  if (!s->opt_ready && crt_session_set_optimizer(s, &s->desc.info.train.optimizer, e)) return -1;
  if (crt_session_gradients(s, images, labels, batch, loss, logits, e)) return -1;
  s->derived_stale = true;
  if (crt_optimizer_step(&s->opt, s->params, s->grads, s->desc.info.params.flat_count, lr, e)) {
    explain_nonfinite(s, e);
    return -1;
  }
  return 0;
}
