/* The CPU names --target-cpu accepts: LLVM 19's x86 processors that run
 * 64-bit code (`llc -march=x86-64 -mcpu=help`). LLVM itself only warns about
 * an unknown name and then aborts generating 64-bit code for it, so the
 * driver checks first and can suggest the name meant. */
#include "driver.h"

const char *const *driver_cpu_names(void) {
  static const char *const names[] = {
    "alderlake", "amdfam10", "arrowlake", "arrowlake-s", "athlon64", "athlon64-sse3", "athlon-fx",
    "barcelona", "bdver1", "bdver2", "bdver3", "bdver4", "bonnell", "broadwell", "btver1", "btver2",
    "cannonlake", "cascadelake", "clearwaterforest", "cooperlake", "core-avx-i", "core-avx2",
    "core2", "corei7", "corei7-avx", "emeraldrapids", "generic", "goldmont", "goldmont-plus",
    "gracemont", "grandridge", "graniterapids", "graniterapids-d", "haswell", "icelake-client",
    "icelake-server", "ivybridge", "k8", "k8-sse3", "knl", "knm", "lunarlake", "meteorlake",
    "nehalem", "nocona", "opteron", "opteron-sse3", "pantherlake", "penryn", "raptorlake",
    "rocketlake", "sandybridge", "sapphirerapids", "sierraforest", "silvermont", "skx", "skylake",
    "skylake-avx512", "slm", "tigerlake", "tremont", "westmere", "x86-64", "x86-64-v2", "x86-64-v3",
    "x86-64-v4", "znver1", "znver2", "znver3", "znver4", "znver5", NULL,
  };
  return names;
}
