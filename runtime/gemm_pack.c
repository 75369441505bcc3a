/* Packing for the GEMM layer: the transposes that stand in for libxsmm's
 * missing transposed-A kernel, and the per-thread buffer they write into. */
#include "cratert.h"
#include "gemm_internal.h"

#include <pthread.h>

/* Grown on first use of a larger shape, then reused by every call on this
 * thread: steady-state steps never allocate. The key's destructor frees it
 * when a thread ends. */
static _Thread_local float *scratch;
static _Thread_local size_t scratch_floats;
static pthread_key_t scratch_key;
static pthread_once_t scratch_key_once = PTHREAD_ONCE_INIT;

static void create_scratch_key(void) { pthread_key_create(&scratch_key, crt_free); }

float *gemm_scratch(size_t floats) {
  if (floats <= scratch_floats) return scratch;
  pthread_once(&scratch_key_once, create_scratch_key);
  float *grown = crt_alloc(floats * sizeof(float));
  if (!grown) return NULL;
  crt_free(scratch);
  scratch = grown;
  scratch_floats = floats;
  pthread_setspecific(scratch_key, grown);
  return scratch;
}

/* Square tiles keep both the rows read and the columns written in L1. */
#define TILE 16

void gemm_transpose(int rows, int cols, const float *src, int lds, float *dst, int ldd) {
  for (int r0 = 0; r0 < rows; r0 += TILE) {
    int r1 = r0 + TILE < rows ? r0 + TILE : rows;
    for (int c0 = 0; c0 < cols; c0 += TILE) {
      int c1 = c0 + TILE < cols ? c0 + TILE : cols;
      for (int c = c0; c < c1; c++)
        for (int r = r0; r < r1; r++) dst[(size_t)c * ldd + r] = src[(size_t)r * lds + c];
    }
  }
}
