/* Host detection. sysfs is the one place that reports every cache level
 * with its type on Linux, whatever the CPU vendor; cpuid-based counting
 * differs between Intel and AMD, so it is not used here. */
#include "target.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { FALLBACK_L1D = 32 << 10, FALLBACK_L2 = 1 << 20, FALLBACK_L3 = 8 << 20 };

/* Reads the first line of PATH into BUF; false when it cannot be read. */
static bool read_line(const char *path, char *buf, size_t n) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  bool ok = fgets(buf, (int)n, f) != NULL;
  fclose(f);
  if (ok) buf[strcspn(buf, "\n")] = '\0';
  return ok;
}

/* "32K", "1024K", "32M" (sysfs's spelling) in bytes; 0 when unreadable. */
static size_t parse_size(const char *s) {
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (end == s) return 0;
  if (*end == 'K') v <<= 10;
  if (*end == 'M') v <<= 20;
  if (*end == 'G') v <<= 30;
  return (size_t)v;
}

static void read_caches(Target *t) {
  for (int index = 0; index < 16; index++) {
    char path[128], level[16], type[32], size[32];
    const char *dir = "/sys/devices/system/cpu/cpu0/cache";
    snprintf(path, sizeof path, "%s/index%d/level", dir, index);
    if (!read_line(path, level, sizeof level)) break;
    snprintf(path, sizeof path, "%s/index%d/type", dir, index);
    if (!read_line(path, type, sizeof type)) continue;
    snprintf(path, sizeof path, "%s/index%d/size", dir, index);
    if (!read_line(path, size, sizeof size)) continue;
    size_t bytes = parse_size(size);
    if (!bytes || strcmp(type, "Instruction") == 0) continue;
    if (strcmp(level, "1") == 0) t->l1d = bytes;
    if (strcmp(level, "2") == 0) t->l2 = bytes;
    if (strcmp(level, "3") == 0) t->l3 = bytes;
  }
}

static int host_vector_bits(void) {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return 512;
  if (__builtin_cpu_supports("avx2")) return 256;
  return 128;
}

static void detect_machine(Target *t) {
  t->l1d = FALLBACK_L1D;
  t->l2 = FALLBACK_L2;
  t->l3 = FALLBACK_L3;
  read_caches(t);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  t->cores = cores > 0 ? (int)cores : 1;
}

void target_detect_host(Target *t) {
  memset(t, 0, sizeof *t);
  detect_machine(t);
  snprintf(t->cpu, sizeof t->cpu, "native");
  t->vector_bits = host_vector_bits();
}

void target_for_cpu(Target *t, const char *cpu, const char *features, int vector_bits) {
  memset(t, 0, sizeof *t);
  detect_machine(t);
  snprintf(t->cpu, sizeof t->cpu, "%s", cpu);
  snprintf(t->features, sizeof t->features, "%s", features ? features : "");
  t->vector_bits = vector_bits > 0 ? vector_bits : 128;
}
