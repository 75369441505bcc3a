/* Training checkpoints: weights, optimizer state and progress in one
 * safetensors file (the layout is documented in cratert_host.h). Loading reads
 * and checks every piece of metadata first and then hands all tensors,
 * weights and optimizer state alike, to crt_st_load_f32, which checks them
 * all before copying any: a bad checkpoint changes nothing. */
#include "cratert_host.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
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

int crt_param_table_find_nonfinite(const crt_param_table *t, const float *flat) {
  for (int i = 0; flat && i < t->count; i++) {
    size_t n = spec_numel(&t->specs[i]);
    if (crt_find_nonfinite(flat + t->offsets[i], n) < n) return i;
  }
  return -1;
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

/* Everything __metadata__ records, gathered so that one table describes
 * both writing and reading. */
typedef struct record {
  crt_optimizer_config config;
  int64_t steps;
  crt_train_progress progress;
} record;

typedef enum { REAL, COUNT, FLAG, WORD, OPTIMIZER_KIND, SCHEDULE_KIND } field_type;

static const struct field {
  const char *key;
  field_type type;
  size_t offset;
} fields[] = {
    {"optimizer", OPTIMIZER_KIND, offsetof(record, config.kind)},
    {"optimizer.steps", COUNT, offsetof(record, steps)},
    {"optimizer.weight_decay", REAL, offsetof(record, config.weight_decay)},
    {"optimizer.momentum", REAL, offsetof(record, config.momentum)},
    {"optimizer.nesterov", FLAG, offsetof(record, config.nesterov)},
    {"optimizer.beta1", REAL, offsetof(record, config.beta1)},
    {"optimizer.beta2", REAL, offsetof(record, config.beta2)},
    {"optimizer.eps", REAL, offsetof(record, config.eps)},
    {"progress.epoch", COUNT, offsetof(record, progress.epoch)},
    {"progress.step_in_epoch", COUNT, offsetof(record, progress.step_in_epoch)},
    {"progress.steps_per_epoch", COUNT, offsetof(record, progress.steps_per_epoch)},
    {"schedule", SCHEDULE_KIND, offsetof(record, progress.schedule.kind)},
    {"schedule.per_step", FLAG, offsetof(record, progress.schedule.per_step)},
    {"schedule.base_lr", REAL, offsetof(record, progress.schedule.base_lr)},
    {"schedule.min_lr", REAL, offsetof(record, progress.schedule.min_lr)},
    {"schedule.epochs", COUNT, offsetof(record, progress.schedule.epochs)},
    {"schedule.warmup_epochs", REAL, offsetof(record, progress.schedule.warmup_epochs)},
    {"schedule.warmup_steps", COUNT, offsetof(record, progress.schedule.warmup_steps)},
    {"rng.s0", WORD, offsetof(record, progress.rng.s[0])},
    {"rng.s1", WORD, offsetof(record, progress.rng.s[1])},
    {"rng.s2", WORD, offsetof(record, progress.rng.s[2])},
    {"rng.s3", WORD, offsetof(record, progress.rng.s[3])},
};
enum { NFIELDS = sizeof fields / sizeof fields[0] };

/* Key/value pairs for crt_st_write: the format, then every field. */
typedef struct meta_writer {
  const char *pairs[2 * (NFIELDS + 2) + 1];
  char values[NFIELDS][32];
} meta_writer;

static void write_metadata(meta_writer *m, const record *rec) {
  const char **kv = m->pairs;
  *kv++ = "format", *kv++ = FORMAT_NAME;
  *kv++ = "format_version", *kv++ = FORMAT_VERSION;
  for (int i = 0; i < NFIELDS; i++) {
    const void *at = (const char *)rec + fields[i].offset;
    char *v = m->values[i];
    switch (fields[i].type) {
    case REAL: snprintf(v, sizeof m->values[i], "%.17g", *(const double *)at); break;
    case COUNT: snprintf(v, sizeof m->values[i], "%" PRId64, *(const int64_t *)at); break;
    case FLAG: strcpy(v, *(const bool *)at ? "true" : "false"); break;
    case WORD: snprintf(v, sizeof m->values[i], "%" PRIu64, *(const uint64_t *)at); break;
    case OPTIMIZER_KIND: strcpy(v, crt_optimizer_name(*(const crt_optimizer_kind *)at)); break;
    case SCHEDULE_KIND: strcpy(v, crt_schedule_name(*(const crt_schedule_kind *)at)); break;
    }
    *kv++ = fields[i].key, *kv++ = v;
  }
  *kv = NULL;
}

/* Reading: every value is checked, and the first error names the file and
 * the key. */
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

/* strtod's ERANGE is ignored: it also flags a subnormal, which "%.17g"
 * writes and which reads back exactly; an overflow still shows as infinity. */
static double parse_real(meta_reader *r, const char *key, const char *v) {
  char *end;
  double x = strtod(v, &end);
  if (end == v || *end || !isfinite(x)) bad_value(r, key, v, "a finite number");
  return x;
}

static uint64_t parse_word(meta_reader *r, const char *key, const char *v, uint64_t max) {
  char *end;
  errno = 0;
  uint64_t x = strtoull(v, &end, 10);
  if (end == v || *end || errno || *v == '-' || x > max)
    bad_value(r, key, v, max == UINT64_MAX ? "an unsigned 64-bit integer" : "a count below 2^63");
  return x;
}

/* The index of V among COUNT names given by NAME_OF. */
static int parse_name(meta_reader *r, const char *key, const char *v, const char *(*name_of)(int),
                      int count, const char *expected) {
  for (int k = 0; k < count; k++)
    if (strcmp(v, name_of(k)) == 0) return k;
  bad_value(r, key, v, expected);
  return 0;
}

static const char *optimizer_name_of(int k) { return crt_optimizer_name((crt_optimizer_kind)k); }
static const char *schedule_name_of(int k) { return crt_schedule_name((crt_schedule_kind)k); }

static void read_field(meta_reader *r, const struct field *fd, record *rec) {
  const char *v = get_str(r, fd->key);
  if (!v) return;
  void *at = (char *)rec + fd->offset;
  switch (fd->type) {
  case REAL: *(double *)at = parse_real(r, fd->key, v); break;
  case COUNT: *(int64_t *)at = (int64_t)parse_word(r, fd->key, v, INT64_MAX); break;
  case WORD: *(uint64_t *)at = parse_word(r, fd->key, v, UINT64_MAX); break;
  case FLAG:
    if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) bad_value(r, fd->key, v, "true or false");
    *(bool *)at = strcmp(v, "true") == 0;
    break;
  case OPTIMIZER_KIND:
    *(crt_optimizer_kind *)at = (crt_optimizer_kind)parse_name(
        r, fd->key, v, optimizer_name_of, CRT_OPT_KIND_COUNT, "sgd, adamw or lion");
    break;
  case SCHEDULE_KIND:
    *(crt_schedule_kind *)at = (crt_schedule_kind)parse_name(
        r, fd->key, v, schedule_name_of, CRT_SCHEDULE_KIND_COUNT, "constant or cosine");
    break;
  }
}

/* Fills *REC from F's metadata; returns 0, or -1 with E naming the key. */
static int read_metadata(const crt_st_file *f, record *rec, crt_error *e) {
  meta_reader r = {.f = f, .e = e};
  const char *format = crt_st_metadata(f, "format");
  if (!format || strcmp(format, FORMAT_NAME) != 0)
    return crt_fail(e, "%s: not a training checkpoint (metadata 'format' is not '%s')",
                    crt_st_path(f), FORMAT_NAME);
  const char *version = get_str(&r, "format_version");
  if (version && strcmp(version, FORMAT_VERSION) != 0)
    return crt_fail(e, "%s: checkpoint format version %s; this runtime reads version %s",
                    crt_st_path(f), version, FORMAT_VERSION);
  memset(rec, 0, sizeof *rec);
  for (int i = 0; i < NFIELDS && !r.failed; i++) read_field(&r, &fields[i], rec);
  return r.failed;
}

/* ---- progress ------------------------------------------------------------- */

static int check_progress(const crt_train_progress *p, crt_error *e) {
  if (p->epoch < 0 || p->steps_per_epoch < 1 || p->step_in_epoch < 0 ||
      p->step_in_epoch > p->steps_per_epoch)
    return crt_fail(e, "progress out of range: epoch %" PRId64 ", step %" PRId64 " of %" PRId64,
                    p->epoch, p->step_in_epoch, p->steps_per_epoch);
  /* xoshiro256** never leaves the all-zero state: it would draw 0 forever
   * and the loader's rejection sampling would never end. */
  if (!(p->rng.s[0] | p->rng.s[1] | p->rng.s[2] | p->rng.s[3]))
    return crt_fail(e, "rng.s0 to rng.s3 are all zero, which no seed produces");
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
  /* A diverged run must not replace the last good checkpoint. */
  const float *buffers[1 + MAX_STATE] = {flat, opt->exp_avg, opt->exp_avg_sq};
  for (int b = 0; b <= pl.states; b++) {
    int i = crt_param_table_find_nonfinite(table, buffers[b]);
    if (i >= 0) {
      crt_fail(e, "%s: cannot save: tensor '%s' holds NaN or infinity", path,
               pl.specs[b * pl.weights + i].key);
      plan_free(&pl);
      return -1;
    }
  }
  meta_writer meta;
  write_metadata(&meta, &(record){opt->config, opt->steps, *progress});
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
  record rec;
  crt_optimizer loaded = {0};
  int rc = read_metadata(f, &rec, e);
  if (!rc && check_progress(&rec.progress, &why)) rc = crt_fail(e, "%s: %s", path, why.msg);
  if (!rc && crt_optimizer_init(&loaded, &rec.config, table->flat_count, &why))
    rc = crt_fail(e, "%s: %s", path, why.msg);
  if (!rc) rc = load_all(f, table, flat, &loaded, e);
  crt_st_close(f);
  if (rc) {
    crt_optimizer_free(&loaded);
    return -1;
  }
  loaded.steps = rec.steps;
  *opt = loaded;
  *progress = rec.progress;
  return 0;
}

int crt_checkpoint_load_weights(const crt_st_file *f, const crt_param_spec *specs, int n,
                                float *const *dst, crt_error *e) {
  /* Other writers use "format" too (Hugging Face's files say "pt"). */
  const char *format = crt_st_metadata(f, "format");
  if (!format || strcmp(format, FORMAT_NAME) != 0) return crt_st_load_f32(f, specs, n, dst, e);
  record rec;
  if (read_metadata(f, &rec, e)) return -1;
  plan pl;
  if (plan_init(&pl, specs, n, &rec.config, e)) return -1;
  /* The state tensors are checked in full but land in one scratch buffer. */
  size_t largest = 0;
  for (int i = 0; i < n; i++)   /* a bad rank is crt_st_load_f32's to report */
    if (specs[i].rank >= 0 && specs[i].rank <= 4 && spec_numel(&specs[i]) > largest)
      largest = spec_numel(&specs[i]);
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
