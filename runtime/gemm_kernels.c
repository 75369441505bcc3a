/* The micro-kernel cache over libxsmm's JIT, and the plain C kernel used
 * where the JIT says no. */
#include "cratert_abi.h"
#include "gemm_internal.h"

#include <libxsmm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* A run uses a few dozen block shapes; the table only has to never fill. */
#define KERNEL_SLOTS 4096

typedef struct kernel_slot {
  atomic_int ready; /* set (release) once the rest of the slot is written */
  gemm_kernel kernel;
} kernel_slot;

static kernel_slot slots[KERNEL_SLOTS];
static pthread_mutex_t dispatch_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool fallback_forced;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

static void read_environment(void) {
  const char *v = getenv("CRATE_GEMM_FALLBACK");
  if (v && *v && strcmp(v, "0") != 0) atomic_store(&fallback_forced, true);
}

void crt_gemm_force_fallback(bool on) {
  pthread_once(&env_once, read_environment);
  atomic_store(&fallback_forced, on);
}

static bool same_shape(const gemm_kernel *x, const gemm_kernel *y) {
  return x->m == y->m && x->n == y->n && x->k == y->k && x->lda == y->lda && x->ldb == y->ldb &&
         x->ldc == y->ldc && x->accumulate == y->accumulate;
}

static size_t slot_of(const gemm_kernel *key) {
  uint64_t h = 1469598103934665603u; /* FNV-1a over the shape */
  int fields[7] = {key->m, key->n, key->k, key->lda, key->ldb, key->ldc, key->accumulate};
  for (int i = 0; i < 7; i++) h = (h ^ (uint32_t)fields[i]) * 1099511628211u;
  return (size_t)(h % KERNEL_SLOTS);
}

static void jit(gemm_kernel *key) {
  const libxsmm_blasint lda = key->lda, ldb = key->ldb, ldc = key->ldc;
  const float alpha = 1.0f, beta = key->accumulate ? 1.0f : 0.0f;
  const int flags = LIBXSMM_GEMM_FLAG_NONE, prefetch = LIBXSMM_GEMM_PREFETCH_NONE;
  key->jit = libxsmm_smmdispatch(key->m, key->n, key->k, &lda, &ldb, &ldc, &alpha, &beta, &flags,
                                 &prefetch);
}

/* Readers probe without the lock; a miss takes the lock, probes again (the
 * slot may have been filled meanwhile) and claims the first free slot. */
gemm_kernel gemm_kernel_get(int m, int n, int k, int lda, int ldb, int ldc, bool accumulate) {
  gemm_kernel key = {NULL, m, n, k, lda, ldb, ldc, accumulate};
  pthread_once(&env_once, read_environment);
  if (atomic_load_explicit(&fallback_forced, memory_order_relaxed)) return key;
  size_t first = slot_of(&key);
  for (size_t i = 0; i < KERNEL_SLOTS; i++) {
    kernel_slot *s = &slots[(first + i) % KERNEL_SLOTS];
    if (!atomic_load_explicit(&s->ready, memory_order_acquire)) break;
    if (same_shape(&s->kernel, &key)) return s->kernel;
  }
  pthread_mutex_lock(&dispatch_lock);
  kernel_slot *free_slot = NULL;
  bool cached = false;
  for (size_t i = 0; i < KERNEL_SLOTS && !free_slot && !cached; i++) {
    kernel_slot *s = &slots[(first + i) % KERNEL_SLOTS];
    if (!atomic_load_explicit(&s->ready, memory_order_acquire))
      free_slot = s;
    else if (same_shape(&s->kernel, &key))
      key = s->kernel, cached = true;
  }
  if (!cached) {
    libxsmm_init(); /* idempotent; the first dispatch needs it */
    jit(&key);
    if (free_slot) { /* a full table only costs a dispatch per call */
      free_slot->kernel = key;
      atomic_store_explicit(&free_slot->ready, 1, memory_order_release);
    }
  }
  pthread_mutex_unlock(&dispatch_lock);
  return key;
}

/* Column-major C = [C +] A·B as j-p-i loops: the inner loop runs down a
 * column of A and of C, contiguous, so the compiler vectorises it. */
static void plain_kernel(const gemm_kernel *g, const float *restrict a, const float *restrict b,
                         float *restrict c) {
  for (int j = 0; j < g->n; j++) {
    float *cj = c + (size_t)j * g->ldc;
    if (!g->accumulate)
      for (int i = 0; i < g->m; i++) cj[i] = 0.0f;
    for (int p = 0; p < g->k; p++) {
      const float bpj = b[p + (size_t)j * g->ldb];
      const float *ap = a + (size_t)p * g->lda;
      for (int i = 0; i < g->m; i++) cj[i] += ap[i] * bpj;
    }
  }
}

void gemm_kernel_run(const gemm_kernel *kernel, const float *a, const float *b, float *c) {
  if (kernel->jit)
    kernel->jit(a, b, c);
  else
    plain_kernel(kernel, a, b, c);
}
