/* The FMA peak probe: CHAINS independent accumulators, each updated by one
 * FMA per iteration. With CHAINS ≥ FMA latency × FMA pipes (4 × 2 on Zen,
 * 4 × 2 on Intel) the pipes never wait, so the loop runs at the peak. Each
 * variant is compiled for its instruction set with a target attribute and
 * chosen at run time, so the project builds for any x86-64. */
#include <immintrin.h>
#include <omp.h>

#include "bench_timing.h"

#define CHAINS 12
#define ITERATIONS 20000000L

/* One probe per vector width; the result is returned so the loop is not
 * optimised away. */
#define DEFINE_PROBE(name, isa_name, vec, set1, fmadd, add, lanes)       \
  __attribute__((target(isa_name))) static float name(long iterations) { \
    vec acc[CHAINS];                                                     \
    const vec scale = set1(0.999999f), shift = set1(1e-7f);              \
    for (int c = 0; c < CHAINS; c++) acc[c] = set1((float)c);            \
    for (long i = 0; i < iterations; i++) {                              \
      _Pragma("GCC unroll 12") for (int c = 0; c < CHAINS; c++) acc[c] = \
          fmadd(acc[c], scale, shift);                                   \
    }                                                                    \
    for (int c = 1; c < CHAINS; c++) acc[0] = add(acc[0], acc[c]);       \
    float lane[lanes];                                                   \
    __builtin_memcpy(lane, &acc[0], sizeof lane);                        \
    return lane[0];                                                      \
  }

DEFINE_PROBE(probe_avx512, "avx512f", __m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, 16)
DEFINE_PROBE(probe_avx2, "avx2,fma", __m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, 8)

double fma_peak_gflops(int threads, int repeats, const char **isa) {
  float (*probe)(long) = NULL;
  int lanes = 0;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    probe = probe_avx512, lanes = 16, *isa = "avx512f";
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    probe = probe_avx2, lanes = 8, *isa = "avx2+fma";
  else
    *isa = "none";
  if (!probe) return 0.0;
  double rates[64];
  if (repeats > 64) repeats = 64;
  volatile float sink = 0.0f;
  probe(ITERATIONS / 10); /* warm-up: clocks up, pages in */
  for (int r = 0; r < repeats; r++) {
    double start = bench_seconds();
#pragma omp parallel num_threads(threads)
    {
      float v = probe(ITERATIONS);
#pragma omp atomic
      sink += v;
    }
    double seconds = bench_seconds() - start;
    rates[r] = 2.0 * CHAINS * lanes * ITERATIONS * threads / seconds * 1e-9;
  }
  (void)sink;
  return bench_median(rates, repeats);
}
