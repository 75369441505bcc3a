/* bench_peak [REPEATS]: the fp32 FMA peak, one thread and all cores. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_timing.h"

int main(int argc, char **argv) {
  int repeats = argc > 1 ? atoi(argv[1]) : 7;
  if (repeats < 1) {
    fprintf(stderr, "usage: %s [REPEATS >= 1]\n", argv[0]);
    return EXIT_FAILURE;
  }
  const char *isa;
  int cores = omp_get_num_procs();
  double one = fma_peak_gflops(1, repeats, &isa);
  if (one == 0.0) {
    fprintf(stderr, "bench_peak: this CPU has neither AVX-512F nor AVX2+FMA\n");
    return EXIT_FAILURE;
  }
  double all = fma_peak_gflops(cores, repeats, &isa);
  printf("isa: %s\n", isa);
  printf("peak 1 thread: %.1f GFLOP/s\n", one);
  printf("peak %d threads: %.1f GFLOP/s\n", cores, all);
  printf("per-core peak: %.1f GFLOP/s\n", one);
  return EXIT_SUCCESS;
}
