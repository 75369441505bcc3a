/* bench: throughput and latency on random weights and inputs (docs/cli.md §2.7):
 * warm-up runs, then the median of timed runs. */
#include "host_internal.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

typedef struct bench_run {
  crt_session *s;
  const crt_model *model;
  float *images, *logits;
  int64_t *labels;
  int64_t batch;
  bool train;
  bool profile;
} bench_run;

static int once(const bench_run *r, crt_error *e) {
  float loss;
  /* a tiny rate keeps repeated steps from drifting the weights far */
  return r->train ? crt_session_train_step(r->s, r->images, r->labels, r->batch, 1e-6, &loss,
                                           r->logits, e)
                  : crt_session_forward(r->s, r->images, r->logits, r->batch, e);
}

static int measure(const bench_run *r, long warmup, long iters, double *times, crt_error *e) {
  for (long i = 0; i < warmup; i++)
    if (once(r, e)) return -1;
  crt_profile_reset();
  for (long i = 0; i < iters; i++) {
    double start = crt_clock();
    if (once(r, e)) return -1;
    times[i] = crt_clock() - start;
  }
  qsort(times, (size_t)iters, sizeof *times, compare_doubles);
  return 0;
}

/* One profiled slot, or one op kind's total. */
typedef struct prof_row {
  const char *label;
  double ms;      /* per timed run */
  double flops;   /* per timed run; 0 where the compiler counts none */
} prof_row;

static int by_time(const void *a, const void *b) {
  double x = ((const prof_row *)a)->ms, y = ((const prof_row *)b)->ms;
  return (x < y) - (x > y);
}

static void print_rows(prof_row *rows, int n, double total, const char *what) {
  qsort(rows, (size_t)n, sizeof *rows, by_time);
  printf("\n%10s %7s %9s  %s\n", "ms/run", "share", "GFLOP/s", what);
  for (int i = 0; i < n; i++) {
    if (rows[i].ms <= 0) continue;
    printf("%10.3f %6.1f%% ", rows[i].ms, 100 * rows[i].ms / total);
    if (rows[i].flops > 0)
      printf("%9.1f", rows[i].flops / (rows[i].ms * 1e-3) * 1e-9);
    else
      printf("%9s", "-");
    printf("  %s\n", rows[i].label);
  }
}

/* The per-operator table of a program built with `cratec build --profile`:
 * every kernel call's time per timed run, then the totals per op kind. */
static int print_profile(const crt_model *model, int64_t batch, long iters, crt_error *e) {
  cJSON *desc = cJSON_Parse(model->desc);
  const cJSON *slots = cJSON_GetObjectItemCaseSensitive(desc, "profile");
  int n = cJSON_GetArraySize(slots);
  if (!cJSON_IsArray(slots) || n > CRT_PROFILE_SLOTS) {
    cJSON_Delete(desc);
    return crt_fail(e, "--profile: this program was built without profiling (cratec build --profile)");
  }
  /* kinds[k].label is owned: the op kind cut out of a slot's label */
  prof_row *rows = calloc((size_t)n + 1, sizeof *rows), *kinds = calloc((size_t)n + 1, sizeof *kinds);
  int nkinds = 0, active = 0;
  double total = 0;
  /* Slot flops are per image (per fixed batch when the program has one);
   * P_prepare's run once per call whatever the batch. */
  const cJSON *fixed = cJSON_GetObjectItemCaseSensitive(desc, "batch");
  double per_run = cJSON_IsNumber(fixed) && fixed->valuedouble > 0 ? (double)batch / fixed->valuedouble : (double)batch;
  for (int i = 0; i < n; i++) {
    const cJSON *slot = cJSON_GetArrayItem(slots, i);
    const char *label = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(slot, "label"));
    const cJSON *flops = cJSON_GetObjectItemCaseSensitive(slot, "flops");
    double f = cJSON_IsNumber(flops) ? flops->valuedouble : 0;
    if (label && strncmp(label, "prepare ", 8) != 0) f *= per_run;
    rows[i] = (prof_row){label ? label : "?", (double)crt_profile_ns(i) * 1e-6 / (double)iters,
                         f * (double)crt_profile_calls(i) / (double)iters};
    total += rows[i].ms;
    active += crt_profile_calls(i) > 0;
    /* "ENTRY OP %VALUE": the op kind is the second word. */
    const char *op = label ? strchr(label, ' ') : NULL;
    size_t len = op ? strcspn(op + 1, " ") : 0;
    char *kind = op ? strndup(op + 1, len) : strdup("?");
    int k = 0;
    while (k < nkinds && strcmp(kinds[k].label, kind) != 0) k++;
    if (k == nkinds)
      kinds[nkinds++].label = kind;
    else
      free(kind);
    kinds[k].ms += rows[i].ms;
    kinds[k].flops += rows[i].flops;
  }
  printf("\nprofile: %.3f ms per run in %d kernel calls\n", total, active);
  if (total > 0) {
    print_rows(kinds, nkinds, total, "op kind");
    print_rows(rows, n, total, "kernel call (entry op %result)");
  }
  for (int k = 0; k < nkinds; k++) free((char *)kinds[k].label);
  free(kinds);
  free(rows);
  cJSON_Delete(desc);
  return 0;
}

static int run(bench_run *r, long warmup, long iters, crt_error *e) {
  const crt_model_info *m = crt_session_info(r->s);
  size_t image = (size_t)m->channels * m->height * m->width;
  r->images = crt_alloc((size_t)r->batch * image * sizeof(float));
  r->logits = crt_alloc((size_t)r->batch * m->classes * sizeof(float));
  r->labels = crt_alloc((size_t)r->batch * sizeof(int64_t));
  double *times = malloc((size_t)iters * sizeof *times);
  int rc = r->images && r->logits && r->labels && times ? 0 : crt_fail(e, "out of memory");
  crt_rng rng;
  crt_rng_seed(&rng, 1);
  for (size_t i = 0; !rc && i < (size_t)r->batch * image; i++) r->images[i] = crt_rng_normal(&rng);
  for (int64_t b = 0; !rc && b < r->batch; b++)
    r->labels[b] = (int64_t)crt_rng_below(&rng, (uint64_t)m->classes);
  if (!rc) rc = crt_session_reserve(r->s, r->train ? CRT_ENTRY_TRAIN : CRT_ENTRY_FORWARD, r->batch, e) || measure(r, warmup, iters, times, e);
  if (!rc) {
    double median = times[iters / 2];
    printf("model: %s, batch %lld, %s, %d threads, %ld timed runs\n", m->name,
           (long long)r->batch, r->train ? "training steps" : "inference", crt_threads(), iters);
    printf("throughput: %.1f images/s\n", (double)r->batch / median);
    printf("latency: %.3f ms\n", median * 1e3);
    printf("min: %.3f ms, max: %.3f ms\n", times[0] * 1e3, times[iters - 1] * 1e3);
    if (m->flops_forward > 0 && !r->train)
      printf("gflops: %.2f\n", m->flops_forward * (double)r->batch / median * 1e-9);
    if (r->profile) rc = print_profile(r->model, r->batch, iters, e);
  }
  free(times);
  crt_free(r->images), crt_free(r->logits), crt_free(r->labels);
  return rc;
}

int host_bench(const host *h, int argc, char **argv) {
  long batch = 0, threads = 0, iters = 10, warmup = 2;
  bool train = false, profile = false, help = false;
  const crt_option opts[] = {
      {"--batch", CRT_ARG_INT, &batch, "B", "images per run (default: the model's batch, else 1)"},
      {"--train", CRT_ARG_FLAG, &train, NULL, "time training steps (forward, backward, update)"},
      {"--iters", CRT_ARG_INT, &iters, "N", "timed runs, the median is reported (default 10)"},
      {"--warmup", CRT_ARG_INT, &warmup, "N", "untimed runs first (default 2)"},
      {"--profile", CRT_ARG_FLAG, &profile, NULL, "per-operator times (needs cratec build --profile)"},
      {"--threads", CRT_ARG_INT, &threads, "T", "threads (0: all cores)"},
      {"--help", CRT_ARG_FLAG, &help, NULL, "show this help"},
      {NULL, 0, NULL, NULL, NULL}};
  int rc = host_parse(h, "[--batch B] [--train] [options]", opts, argc, argv, &help, &threads);
  if (rc >= 0) return rc;
  if (batch < 0 || iters < 1 || warmup < 0) {
    fprintf(stderr, "%s bench: error: --batch must be >= 1, --iters >= 1, --warmup >= 0\n",
            h->prog);
    return HOST_USAGE;
  }
  crt_error e;
  crt_session *s = crt_session_create(h->model, NULL, &e);
  if (!s) return host_fail(h, &e);
  crt_session_init_params(s, 0);
  crt_session_params_changed(s);
  const crt_model_info *m = crt_session_info(s);
  bench_run r = {s, h->model, NULL, NULL, NULL, batch ? batch : m->batch ? m->batch : 1, train, profile};
  rc = run(&r, warmup, iters, &e) ? host_fail(h, &e) : HOST_OK;
  crt_session_free(s);
  return rc;
}
