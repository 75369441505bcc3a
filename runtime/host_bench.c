/* bench: throughput and latency on random weights and inputs (contract §3):
 * warm-up runs, then the median of timed runs. */
#include "host_internal.h"

#include <stdlib.h>

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

typedef struct bench_run {
  crt_session *s;
  float *images, *logits;
  int64_t *labels;
  int64_t batch;
  bool train;
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
  for (long i = 0; i < iters; i++) {
    double start = crt_clock();
    if (once(r, e)) return -1;
    times[i] = crt_clock() - start;
  }
  qsort(times, (size_t)iters, sizeof *times, compare_doubles);
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
  if (!rc) rc = crt_session_reserve(r->s, r->batch, e) || measure(r, warmup, iters, times, e);
  if (!rc) {
    double median = times[iters / 2];
    printf("model: %s, batch %lld, %s, %d threads, %ld timed runs\n", m->name,
           (long long)r->batch, r->train ? "training steps" : "inference", crt_threads(), iters);
    printf("throughput: %.1f images/s\n", (double)r->batch / median);
    printf("latency: %.3f ms\n", median * 1e3);
    printf("min: %.3f ms, max: %.3f ms\n", times[0] * 1e3, times[iters - 1] * 1e3);
    if (m->flops_forward > 0 && !r->train)
      printf("gflops: %.2f\n", m->flops_forward * (double)r->batch / median * 1e-9);
  }
  free(times);
  crt_free(r->images), crt_free(r->logits), crt_free(r->labels);
  return rc;
}

int host_bench(const host *h, int argc, char **argv) {
  long batch = 0, threads = 0, iters = 10, warmup = 2;
  bool train = false, help = false;
  const crt_option opts[] = {
      {"--batch", CRT_ARG_INT, &batch, "B", "images per run (default: the model's batch, else 1)"},
      {"--train", CRT_ARG_FLAG, &train, NULL, "time training steps (forward, backward, update)"},
      {"--iters", CRT_ARG_INT, &iters, "N", "timed runs, the median is reported (default 10)"},
      {"--warmup", CRT_ARG_INT, &warmup, "N", "untimed runs first (default 2)"},
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
  bench_run r = {s, NULL, NULL, NULL, batch ? batch : m->batch ? m->batch : 1, train};
  rc = run(&r, warmup, iters, &e) ? host_fail(h, &e) : HOST_OK;
  crt_session_free(s);
  return rc;
}
