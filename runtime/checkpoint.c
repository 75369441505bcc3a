/* Training checkpoints: weights, optimizer state and progress in one
 * safetensors file (the layout is documented in cratert.h). Loading reads
 * and checks every piece of metadata first and then hands all tensors,
 * weights and optimizer state alike, to crt_st_load_f32, which checks them
 * all before copying any: a bad checkpoint changes nothing. */
#include "cratert.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT_NAME "cratec-checkpoint"
#define FORMAT_VERSION "1"

/* ---- which optimizer buffers a configuration keeps ------------------------ */

#define MAX_STATE 2

/* The prefixes of the state buffers CONFIG keeps, in the order of
 * crt_optimizer's exp_avg, exp_avg_sq; returns their number. */
static int state_prefixes(const crt_optimizer_config *c, const char *prefix[MAX_STATE]) {
  switch (c->kind) {
  case CRT_OPT_SGD:
    prefix[0] = "optimizer.momentum_buffer.";
    return c->momentum != 0.0;
  case CRT_OPT_ADAMW:
    prefix[0] = "optimizer.exp_avg.", prefix[1] = "optimizer.exp_avg_sq.";
    return 2;
  case CRT_OPT_LION: prefix[0] = "optimizer.exp_avg."; return 1;
  }
  return 0;
}

/* ---- the tensors of a checkpoint ------------------------------------------ */

/* Every tensor a checkpoint holds: the n weights, then for each state buffer
 * one tensor per weight, of the weight's shape. */
typedef struct plan {
  int weights, states, count;
  crt_param_spec *specs;
  char **owned_keys;   /* the state keys, (states·weights) */
} plan;

static void plan_free(plan *p) {
  for (int i = 0; p->owned_keys && i < p->states * p->weights; i++) free(p->owned_keys[i]);
  free(p->owned_keys);
  free(p->specs);
  memset(p, 0, sizeof *p);
}

static int plan_init(plan *p, const crt_param_spec *specs, int n, const crt_optimizer_config *c,
                     crt_error *e) {
  const char *prefix[MAX_STATE];
  memset(p, 0, sizeof *p);
  p->weights = n;
  p->states = state_prefixes(c, prefix);
  p->count = n * (1 + p->states);
  p->specs = calloc((size_t)p->count, sizeof *p->specs);
  p->owned_keys = calloc((size_t)(p->states * n) + 1, sizeof *p->owned_keys);
  if (!p->specs || !p->owned_keys) goto oom;
  for (int i = 0; i < n; i++) p->specs[i] = specs[i];
  for (int s = 0; s < p->states; s++)
    for (int i = 0; i < n; i++) {
      size_t len = strlen(prefix[s]) + strlen(specs[i].key) + 1;
      char *key = p->owned_keys[s * n + i] = malloc(len);
      if (!key) goto oom;
      snprintf(key, len, "%s%s", prefix[s], specs[i].key);
      p->specs[n + s * n + i] = specs[i];
      p->specs[n + s * n + i].key = key;
    }
  return 0;
oom:
  plan_free(p);
  return crt_fail(e, "out of memory for the checkpoint's tensor list");
}

static size_t spec_numel(const crt_param_spec *s) {
  size_t numel = 1;
  for (int d = 0; d < s->rank; d++) numel *= (size_t)s->shape[d];
  return numel;
}

/* Every tensor of TABLE must lie inside the flat buffer. */
static int check_table(const crt_param_table *t, crt_error *e) {
  for (int i = 0; i < t->count; i++) {
    const crt_param_spec *s = &t->specs[i];
    if (s->rank < 0 || s->rank > 4)
      return crt_fail(e, "parameter '%s': unsupported rank %d", s->key, s->rank);
    for (int d = 0; d < s->rank; d++)
      if (s->shape[d] < 0) return crt_fail(e, "parameter '%s': negative dimension", s->key);
    if (t->offsets[i] > t->flat_count || spec_numel(s) > t->flat_count - t->offsets[i])
      return crt_fail(e, "parameter '%s' ends past the %zu-float parameter buffer", s->key,
                      t->flat_count);
  }
  return 0;
}

/* ---- metadata ------------------------------------------------------------- */

enum { META_FIELDS = 24 };

static const char *const rng_keys[4] = {"rng.s0", "rng.s1", "rng.s2", "rng.s3"};

/* Key/value pairs for crt_st_write, values formatted in place. */
typedef struct meta_writer {
  const char *pairs[2 * META_FIELDS + 1];
  char values[META_FIELDS][32];
  int n;
} meta_writer;

static void put_str(meta_writer *m, const char *key, const char *value) {
  m->pairs[2 * m->n] = key;
  m->pairs[2 * m->n + 1] = value;
  m->n++;
}

static void put_fmt(meta_writer *m, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void put_fmt(meta_writer *m, const char *key, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m->values[m->n], sizeof m->values[m->n], fmt, ap);
  va_end(ap);
  put_str(m, key, m->values[m->n]);
}

static void put_double(meta_writer *m, const char *key, double x) { put_fmt(m, key, "%.17g", x); }
static void put_int(meta_writer *m, const char *key, int64_t x) { put_fmt(m, key, "%" PRId64, x); }
static void put_bool(meta_writer *m, const char *key, bool x) { put_str(m, key, x ? "true" : "false"); }

static void write_metadata(meta_writer *m, const crt_optimizer *opt, const crt_train_progress *p) {
  const crt_optimizer_config *c = &opt->config;
  const crt_schedule *s = &p->schedule;
  m->n = 0;
  put_str(m, "format", FORMAT_NAME);
  put_str(m, "format_version", FORMAT_VERSION);
  put_str(m, "optimizer", crt_optimizer_name(c->kind));
  put_int(m, "optimizer.steps", opt->steps);
  put_double(m, "optimizer.weight_decay", c->weight_decay);
  put_double(m, "optimizer.momentum", c->momentum);
  put_bool(m, "optimizer.nesterov", c->nesterov);
  put_double(m, "optimizer.beta1", c->beta1);
  put_double(m, "optimizer.beta2", c->beta2);
  put_double(m, "optimizer.eps", c->eps);
  put_int(m, "progress.epoch", p->epoch);
  put_int(m, "progress.step_in_epoch", p->step_in_epoch);
  put_int(m, "progress.steps_per_epoch", p->steps_per_epoch);
  put_str(m, "schedule", crt_schedule_name(s->kind));
  put_bool(m, "schedule.per_step", s->per_step);
  put_double(m, "schedule.base_lr", s->base_lr);
  put_double(m, "schedule.min_lr", s->min_lr);
  put_int(m, "schedule.epochs", s->epochs);
  put_int(m, "schedule.warmup_epochs", s->warmup_epochs);
  put_int(m, "schedule.warmup_steps", s->warmup_steps);
  for (int i = 0; i < 4; i++) put_fmt(m, rng_keys[i], "%" PRIu64, p->rng.s[i]);
  m->pairs[2 * m->n] = NULL;
}

/* Reading: every value is checked, and errors name the file and the key. */
typedef struct meta_reader {
  const crt_st_file *f;
  crt_error *e;
  int failed;
} meta_reader;

static const char *get_str(meta_reader *r, const char *key) {
  const char *v = crt_st_metadata(r->f, key);
  if (!v && !r->failed)
    r->failed = crt_fail(r->e, "%s: checkpoint metadata lacks '%s'", crt_st_path(r->f), key);
  return v;
}

static void bad_value(meta_reader *r, const char *key, const char *v, const char *expected) {
  if (!r->failed)
    r->failed = crt_fail(r->e, "%s: checkpoint metadata '%s' = '%s' is not %s", crt_st_path(r->f),
                         key, v, expected);
}

static double get_double(meta_reader *r, const char *key) {
  const char *v = get_str(r, key);
  if (!v) return 0.0;
  char *end;
  errno = 0;
  double x = strtod(v, &end);
  if (end == v || *end || errno || !isfinite(x)) bad_value(r, key, v, "a finite number");
  return x;
}

static uint64_t get_u64(meta_reader *r, const char *key) {
  const char *v = get_str(r, key);
  if (!v) return 0;
  char *end;
  errno = 0;
  uint64_t x = strtoull(v, &end, 10);
  if (end == v || *end || errno || *v == '-') bad_value(r, key, v, "an unsigned 64-bit integer");
  return x;
}

static int64_t get_count(meta_reader *r, const char *key) {
  uint64_t x = get_u64(r, key);
  if (x > INT64_MAX) bad_value(r, key, crt_st_metadata(r->f, key), "a count below 2^63");
  return (int64_t)x;
}

static bool get_bool(meta_reader *r, const char *key) {
  const char *v = get_str(r, key);
  if (v && strcmp(v, "true") != 0 && strcmp(v, "false") != 0) bad_value(r, key, v, "true or false");
  return v && strcmp(v, "true") == 0;
}

/* The index of V among COUNT names given by NAME_OF. */
static int get_kind(meta_reader *r, const char *key, const char *(*name_of)(int), int count,
                    const char *expected) {
  const char *v = get_str(r, key);
  for (int k = 0; v && k < count; k++)
    if (strcmp(v, name_of(k)) == 0) return k;
  if (v) bad_value(r, key, v, expected);
  return 0;
}

static const char *optimizer_name_of(int k) { return crt_optimizer_name((crt_optimizer_kind)k); }
static const char *schedule_name_of(int k) { return crt_schedule_name((crt_schedule_kind)k); }

static void read_format(meta_reader *r) {
  const char *format = crt_st_metadata(r->f, "format");
  if (!format || strcmp(format, FORMAT_NAME) != 0) {
    r->failed = crt_fail(r->e, "%s: not a training checkpoint (metadata 'format' is not '%s')",
                         crt_st_path(r->f), FORMAT_NAME);
    return;
  }
  const char *version = get_str(r, "format_version");
  if (version && strcmp(version, FORMAT_VERSION) != 0)
    r->failed = crt_fail(r->e, "%s: checkpoint format version %s; this runtime reads version %s",
                         crt_st_path(r->f), version, FORMAT_VERSION);
}

static crt_optimizer_config read_optimizer_config(meta_reader *r) {
  crt_optimizer_config c = {0};
  c.kind = (crt_optimizer_kind)get_kind(r, "optimizer", optimizer_name_of, CRT_OPT_KIND_COUNT,
                                        "sgd, adamw or lion");
  c.weight_decay = get_double(r, "optimizer.weight_decay");
  c.momentum = get_double(r, "optimizer.momentum");
  c.nesterov = get_bool(r, "optimizer.nesterov");
  c.beta1 = get_double(r, "optimizer.beta1");
  c.beta2 = get_double(r, "optimizer.beta2");
  c.eps = get_double(r, "optimizer.eps");
  return c;
}

static crt_train_progress read_progress(meta_reader *r) {
  crt_train_progress p = {0};
  p.epoch = get_count(r, "progress.epoch");
  p.step_in_epoch = get_count(r, "progress.step_in_epoch");
  p.steps_per_epoch = get_count(r, "progress.steps_per_epoch");
  crt_schedule *s = &p.schedule;
  s->kind = (crt_schedule_kind)get_kind(r, "schedule", schedule_name_of, CRT_SCHEDULE_KIND_COUNT,
                                        "constant or cosine");
  s->per_step = get_bool(r, "schedule.per_step");
  s->base_lr = get_double(r, "schedule.base_lr");
  s->min_lr = get_double(r, "schedule.min_lr");
  s->epochs = get_count(r, "schedule.epochs");
  s->warmup_epochs = get_count(r, "schedule.warmup_epochs");
  s->warmup_steps = get_count(r, "schedule.warmup_steps");
  for (int i = 0; i < 4; i++) p.rng.s[i] = get_u64(r, rng_keys[i]);
  return p;
}

/* ---- progress ------------------------------------------------------------- */

static int check_progress(const crt_train_progress *p, crt_error *e) {
  if (p->epoch < 0 || p->steps_per_epoch < 1 || p->step_in_epoch < 0 ||
      p->step_in_epoch > p->steps_per_epoch)
    return crt_fail(e, "progress out of range: epoch %" PRId64 ", step %" PRId64 " of %" PRId64,
                    p->epoch, p->step_in_epoch, p->steps_per_epoch);
  return crt_schedule_check(&p->schedule, e);
}

/* ---- save ----------------------------------------------------------------- */

static int save_tensors(const char *path, const plan *pl, const crt_param_table *table,
                        const float *flat, const crt_optimizer *opt, const char *const *metadata,
                        crt_error *e) {
  const float *state[MAX_STATE] = {opt->exp_avg, opt->exp_avg_sq};
  crt_tensor *tensors = calloc((size_t)pl->count, sizeof *tensors);
  if (!tensors) return crt_fail(e, "%s: out of memory", path);
  for (int j = 0; j < pl->count; j++) {
    int i = j % pl->weights, buffer = j / pl->weights;   /* 0: weights, then each state */
    const crt_param_spec *s = &pl->specs[j];
    crt_tensor *t = &tensors[j];
    t->name = s->key;
    t->dtype = CRT_F32;
    t->rank = s->rank;
    memcpy(t->shape, s->shape, (size_t)s->rank * sizeof s->shape[0]);
    t->data = (buffer == 0 ? flat : state[buffer - 1]) + table->offsets[i];
    t->nbytes = spec_numel(s) * sizeof(float);
  }
  int rc = crt_st_write(path, tensors, pl->count, metadata, e);
  free(tensors);
  return rc;
}

int crt_checkpoint_save(const char *path, const crt_param_table *table, const float *flat,
                        const crt_optimizer *opt, const crt_train_progress *progress,
                        crt_error *e) {
  crt_error why;
  if (check_table(table, &why) || check_progress(progress, &why))
    return crt_fail(e, "%s: cannot save: %s", path, why.msg);
  if (opt->count != table->flat_count)
    return crt_fail(e, "%s: cannot save: optimizer state for %zu parameters, buffer of %zu", path,
                    opt->count, table->flat_count);
  plan pl;
  if (plan_init(&pl, table->specs, table->count, &opt->config, e)) return -1;
  meta_writer meta;
  write_metadata(&meta, opt, progress);
  int rc = save_tensors(path, &pl, table, flat, opt, meta.pairs, e);
  plan_free(&pl);
  return rc;
}

/* ---- load ----------------------------------------------------------------- */

static int load_all(const crt_st_file *f, const crt_param_table *table, float *flat,
                    const crt_optimizer *opt, crt_error *e) {
  plan pl;
  if (plan_init(&pl, table->specs, table->count, &opt->config, e)) return -1;
  float *state[MAX_STATE] = {opt->exp_avg, opt->exp_avg_sq};
  float **dst = malloc((size_t)pl.count * sizeof *dst);
  int rc = dst ? 0 : crt_fail(e, "%s: out of memory", crt_st_path(f));
  for (int j = 0; !rc && j < pl.count; j++) {
    int i = j % pl.weights, buffer = j / pl.weights;
    dst[j] = (buffer == 0 ? flat : state[buffer - 1]) + table->offsets[i];
  }
  if (!rc) rc = crt_st_load_f32(f, pl.specs, pl.count, dst, e);
  free(dst);
  plan_free(&pl);
  return rc;
}

int crt_checkpoint_load(const char *path, const crt_param_table *table, float *flat,
                        crt_optimizer *opt, crt_train_progress *progress, crt_error *e) {
  crt_error why;
  if (check_table(table, &why)) return crt_fail(e, "%s: cannot load: %s", path, why.msg);
  crt_st_file *f = crt_st_open(path, e);
  if (!f) return -1;
  meta_reader r = {.f = f, .e = e};
  read_format(&r);
  crt_optimizer_config config = read_optimizer_config(&r);
  int64_t steps = get_count(&r, "optimizer.steps");
  crt_train_progress p = read_progress(&r);
  crt_optimizer loaded = {0};
  int rc = r.failed;
  if (!rc && check_progress(&p, &why)) rc = crt_fail(e, "%s: %s", path, why.msg);
  if (!rc && crt_optimizer_init(&loaded, &config, table->flat_count, &why))
    rc = crt_fail(e, "%s: %s", path, why.msg);
  if (!rc) rc = load_all(f, table, flat, &loaded, e);
  crt_st_close(f);
  if (rc) {
    crt_optimizer_free(&loaded);
    return -1;
  }
  loaded.steps = steps;
  *opt = loaded;
  *progress = p;
  return 0;
}

int crt_checkpoint_load_weights(const crt_st_file *f, const crt_param_spec *specs, int n,
                                float *const *dst, crt_error *e) {
  /* Other writers use "format" too (Hugging Face's files say "pt"). */
  const char *format = crt_st_metadata(f, "format");
  if (!format || strcmp(format, FORMAT_NAME) != 0) return crt_st_load_f32(f, specs, n, dst, e);
  meta_reader r = {.f = f, .e = e};
  read_format(&r);
  crt_optimizer_config config = read_optimizer_config(&r);
  if (r.failed) return -1;
  plan pl;
  if (plan_init(&pl, specs, n, &config, e)) return -1;
  /* The state tensors are checked in full but land in one scratch buffer. */
  size_t largest = 0;
  for (int i = 0; i < n; i++)
    if (spec_numel(&specs[i]) > largest) largest = spec_numel(&specs[i]);
  float *scratch = malloc((largest ? largest : 1) * sizeof *scratch);
  float **all = malloc((size_t)pl.count * sizeof *all);
  int rc = scratch && all ? 0 : crt_fail(e, "%s: out of memory", crt_st_path(f));
  for (int j = 0; !rc && j < pl.count; j++) all[j] = j < n ? dst[j] : scratch;
  if (!rc) rc = crt_st_load_f32(f, pl.specs, pl.count, all, e);
  free(all);
  free(scratch);
  plan_free(&pl);
  return rc;
}
