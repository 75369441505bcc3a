#include "cratert_host.h"

#include <stdlib.h>
#include <string.h>

void *crt_alloc(size_t bytes) {
  size_t rounded = (bytes + CRT_ALIGN - 1) / CRT_ALIGN * CRT_ALIGN;
  void *p = aligned_alloc(CRT_ALIGN, rounded ? rounded : CRT_ALIGN);
  if (p) memset(p, 0, rounded);
  return p;
}

void crt_free(void *p) { free(p); }

int crt_arena_init(crt_arena *a, size_t bytes, crt_error *e) {
  memset(a, 0, sizeof *a);
  a->base = crt_alloc(bytes);
  if (!a->base) return crt_fail(e, "cannot allocate a %zu-byte arena", bytes);
  a->size = bytes;
  return 0;
}

void *crt_arena_alloc(crt_arena *a, size_t bytes) {
  size_t start = (a->used + CRT_ALIGN - 1) / CRT_ALIGN * CRT_ALIGN;
  if (start > a->size || bytes > a->size - start) return NULL;
  a->used = start + bytes;
  if (a->used > a->peak) a->peak = a->used;
  return a->base + start;
}

size_t crt_arena_mark(const crt_arena *a) { return a->used; }

void crt_arena_release(crt_arena *a, size_t mark) {
  if (mark < a->used) a->used = mark;
}

void crt_arena_destroy(crt_arena *a) {
  crt_free(a->base);
  memset(a, 0, sizeof *a);
}
