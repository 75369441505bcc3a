/* What the benchmarks share: a clock, medians, and the FMA peak probe. */
#ifndef BENCH_TIMING_H
#define BENCH_TIMING_H

double bench_seconds(void);                     /* monotonic */
double bench_median(double *values, int count); /* sorts VALUES */

/* fp32 GFLOP/s of independent FMA chains on THREADS threads, median of
 * REPEATS runs; 0 when the CPU has neither AVX-512F nor AVX2+FMA. *ISA
 * gets the instruction set used ("avx512f", "avx2+fma" or "none"). */
double fma_peak_gflops(int threads, int repeats, const char **isa);

#endif
