/* The program's one thread-count knob and the static parallel-for that the
 * runtime and generated code split their work with. */
#include "cratert.h"

#include <omp.h>
#include <stdatomic.h>

/* 0 until set: then every caller sees all cores, as the contract's default. */
static atomic_int thread_count;

void crt_set_threads(int n) {
  int cores = omp_get_num_procs();
  int chosen = n <= 0 ? cores : n;
  atomic_store(&thread_count, chosen);
  /* The runtime's own `omp parallel for` loops take OpenMP's default. */
  omp_set_num_threads(chosen);
}

int crt_threads(void) {
  int n = atomic_load(&thread_count);
  return n > 0 ? n : omp_get_num_procs();
}

void crt_parallel_for(int64_t n, crt_range_fn fn, void *ctx) {
  if (n <= 0) return;
  int threads = crt_threads();
  if (threads > n) threads = (int)n;
  /* Nested regions would oversubscribe the cores: an inner loop runs on the
   * thread that reached it. */
  if (threads <= 1 || omp_in_parallel()) {
    fn(ctx, 0, n);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    int64_t t = omp_get_thread_num(), team = omp_get_num_threads();
    /* Contiguous ranges keep neighbouring items (which share operands) on one
     * thread; the item-to-result mapping never depends on the split. */
    int64_t begin = n * t / team, end = n * (t + 1) / team;
    if (begin < end) fn(ctx, begin, end);
  }
}
