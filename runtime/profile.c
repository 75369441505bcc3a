/* Per-operator time counters for code built with `cratec build --profile`
 * (cratert_abi.h, "profiling"). */
#include <time.h>

#include "cratert_abi.h"

static int64_t ns[CRT_PROFILE_SLOTS], calls[CRT_PROFILE_SLOTS];

int64_t crt_clock_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* A slot outside the table is ignored: the compiler numbers slots from 0
 * and the host refuses a description with more than CRT_PROFILE_SLOTS. */
void crt_profile_add(int64_t slot, int64_t start_ns) {
  if (slot < 0 || slot >= CRT_PROFILE_SLOTS) return;
  ns[slot] += crt_clock_ns() - start_ns;
  calls[slot]++;
}

void crt_profile_reset(void) {
  for (int i = 0; i < CRT_PROFILE_SLOTS; i++) ns[i] = calls[i] = 0;
}

int64_t crt_profile_ns(int64_t slot) { return slot >= 0 && slot < CRT_PROFILE_SLOTS ? ns[slot] : 0; }
int64_t crt_profile_calls(int64_t slot) { return slot >= 0 && slot < CRT_PROFILE_SLOTS ? calls[slot] : 0; }
