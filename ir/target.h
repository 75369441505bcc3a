/* target.h — what the compiler knows of the machine it generates code for:
 * the CPU (for LLVM's target-cpu/target-features), the useful vector width
 * and the cache hierarchy (for the tiling cost model). Plain fields: the
 * driver fills them from the host and lets flags override any of them. */
#ifndef CRATEC_TARGET_H
#define CRATEC_TARGET_H

#include <stddef.h>

typedef struct Target {
  char cpu[64];          /* an LLVM CPU name; "native": the host, resolved by the LLVM backend */
  char features[2048];   /* LLVM feature string ("+avx2,+fma,..."); empty: the CPU's defaults */
  int vector_bits;       /* 512 with AVX-512, 256 with AVX2, else 128 */
  size_t l1d, l2, l3;    /* data cache sizes in bytes (per core for L1/L2) */
  int cores;             /* online logical CPUs */
} Target;

/* The host: cpu "native", caches from sysfs (fallbacks 32 KiB / 1 MiB /
 * 8 MiB when the kernel does not say), vector width from cpuid, cores from
 * sysconf. */
void target_detect_host(Target *t);

/* The host's caches and cores, but code for CPU (an LLVM name such as
 * "skylake-avx512") with FEATURES (may be NULL or empty) and a vector
 * width the caller knows (or 0 to keep 128, the width every x86-64 has). */
void target_for_cpu(Target *t, const char *cpu, const char *features, int vector_bits);

#endif
