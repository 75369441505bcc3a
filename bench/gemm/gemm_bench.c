/* bench_gemm [REPEATS]: the runtime's GEMM layer at CRATE-Tiny's shapes,
 * for batch 1 and 32 on one thread and on all cores, as GFLOP/s and as a
 * share of the FMA peak measured at start-up (per-core peak × threads).
 * Each figure is the median of REPEATS timed samples after one warm-up. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_timing.h"
#include "cratert_abi.h"

enum { TOKENS = 197, DIM = 384, HEADS = 6, DIM_HEAD = 64 };

/* One product of the model. PER_HEAD products run HEADS·B at a time through
 * crt_sgemm_batch; the others are one call whose token dimension (M or, for
 * the weight gradient, K) is 197·B. */
typedef struct bench_case {
  const char *name;
  crt_trans ta, tb;
  int M, N, K;
  int per_head;
} bench_case;

static const bench_case cases[] = {
    {"x.W^T projection", CRT_NO_TRANS, CRT_TRANS, TOKENS, DIM, DIM, 0},
    {"dy.W input grad", CRT_NO_TRANS, CRT_NO_TRANS, TOKENS, DIM, DIM, 0},
    {"dy^T.x weight grad", CRT_TRANS, CRT_NO_TRANS, DIM, DIM, TOKENS, 0},
    {"q.k^T per head", CRT_NO_TRANS, CRT_TRANS, TOKENS, TOKENS, DIM_HEAD, 1},
    {"a.v per head", CRT_NO_TRANS, CRT_NO_TRANS, TOKENS, DIM_HEAD, TOKENS, 1},
    {"a^T.dout per head", CRT_TRANS, CRT_NO_TRANS, TOKENS, DIM_HEAD, TOKENS, 1},
};

typedef struct problem {
  bench_case shape; /* sizes of one call (one item for per-head) */
  int64_t count;    /* items per call */
  float *A, *B, *C;
  int lda, ldb, ldc;
} problem;

static float *random_matrix(size_t n, unsigned *seed) {
  float *m = crt_alloc(n * sizeof(float));
  if (!m) {
    fprintf(stderr, "bench_gemm: out of memory\n");
    exit(EXIT_FAILURE);
  }
  for (size_t i = 0; i < n; i++) m[i] = (float)rand_r(seed) / RAND_MAX - 0.5f;
  return m;
}

static problem problem_make(const bench_case *c, int batch) {
  problem p = {*c, 1, NULL, NULL, NULL, 0, 0, 0};
  if (c->per_head)
    p.count = (int64_t)HEADS * batch;
  else if (c->ta == CRT_TRANS)
    p.shape.K *= batch; /* the weight gradient sums over every token */
  else
    p.shape.M *= batch;
  const bench_case *s = &p.shape;
  p.lda = s->ta == CRT_TRANS ? s->M : s->K;
  p.ldb = s->tb == CRT_TRANS ? s->K : s->N;
  p.ldc = s->N;
  unsigned seed = 42;
  p.A = random_matrix((size_t)s->M * s->K * p.count, &seed);
  p.B = random_matrix((size_t)s->K * s->N * p.count, &seed);
  p.C = random_matrix((size_t)s->M * s->N * p.count, &seed);
  return p;
}

static void problem_free(problem *p) {
  crt_free(p->A);
  crt_free(p->B);
  crt_free(p->C);
}

static void problem_run(const problem *p) {
  const bench_case *s = &p->shape;
  crt_error e;
  int status;
  if (s->per_head)
    status = crt_sgemm_batch(s->ta, s->tb, s->M, s->N, s->K, p->A, p->lda, (int64_t)s->M * s->K,
                             p->B, p->ldb, (int64_t)s->K * s->N, 0.0f, p->C, p->ldc,
                             (int64_t)s->M * s->N, p->count, &e);
  else
    status = crt_sgemm_parallel(s->ta, s->tb, s->M, s->N, s->K, p->A, p->lda, p->B, p->ldb, 0.0f,
                                p->C, p->ldc, &e);
  if (status) {
    fprintf(stderr, "bench_gemm: %s\n", e.msg);
    exit(EXIT_FAILURE);
  }
}

/* Median GFLOP/s; each sample repeats the call for at least 50 ms. */
static double measure(const problem *p, int repeats) {
  const double flops = 2.0 * p->shape.M * p->shape.N * p->shape.K * (double)p->count;
  double start = bench_seconds();
  problem_run(p); /* warm-up: JIT, scratch, caches */
  double once = bench_seconds() - start;
  int calls = once > 0.05 ? 1 : (int)(0.05 / (once > 1e-6 ? once : 1e-6)) + 1;
  double rates[64];
  for (int r = 0; r < repeats; r++) {
    start = bench_seconds();
    for (int i = 0; i < calls; i++) problem_run(p);
    rates[r] = flops * calls / (bench_seconds() - start) * 1e-9;
  }
  return bench_median(rates, repeats);
}

int main(int argc, char **argv) {
  int repeats = argc > 1 ? atoi(argv[1]) : 7;
  if (repeats < 1 || repeats > 64) {
    fprintf(stderr, "usage: %s [REPEATS in 1..64]\n", argv[0]);
    return EXIT_FAILURE;
  }
  const char *isa;
  double peak = fma_peak_gflops(1, repeats, &isa);
  if (peak == 0.0) {
    fprintf(stderr, "bench_gemm: no FMA instruction set to measure a peak with\n");
    return EXIT_FAILURE;
  }
  const int cores = omp_get_num_procs(), batches[] = {1, 32};
  printf("per-core fp32 FMA peak (%s): %.1f GFLOP/s\n", isa, peak);
  printf("%-22s %5s %7s %10s %8s\n", "product", "batch", "threads", "GFLOP/s", "of peak");
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
    for (int b = 0; b < 2; b++) {
      problem p = problem_make(&cases[c], batches[b]);
      for (int threads = 1; threads <= cores; threads = threads < cores ? cores : cores + 1) {
        crt_set_threads(threads);
        double rate = measure(&p, repeats);
        printf("%-22s %5d %7d %10.1f %7.1f%%\n", cases[c].name, batches[b], threads, rate,
               100.0 * rate / (peak * threads));
        fflush(stdout);
      }
      problem_free(&p);
    }
  return EXIT_SUCCESS;
}
