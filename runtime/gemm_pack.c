/* Packing for the GEMM layer: the transposes that stand in for libxsmm's
 * missing transposed-A kernel, and the per-thread buffer they write into. */
#include "cratert_abi.h"
#include "gemm_internal.h"

#include <immintrin.h>
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

static void transpose_portable(int rows, int cols, const float *src, int lds, float *dst, int ldd) {
  for (int r0 = 0; r0 < rows; r0 += TILE) {
    int r1 = r0 + TILE < rows ? r0 + TILE : rows;
    for (int c0 = 0; c0 < cols; c0 += TILE) {
      int c1 = c0 + TILE < cols ? c0 + TILE : cols;
      for (int c = c0; c < c1; c++)
        for (int r = r0; r < r1; r++) dst[(size_t)c * ldd + r] = src[(size_t)r * lds + c];
    }
  }
}

/* 8×8 blocks through AVX registers: packing is on the critical path of the
 * weight-gradient product (it copies all of dy), and this is about four
 * times faster than the scalar loop. */
__attribute__((target("avx2"))) static void transpose_avx2(int rows, int cols, const float *src,
                                                           int lds, float *dst, int ldd) {
  const int rows8 = rows & ~7, cols8 = cols & ~7;
  for (int r0 = 0; r0 < rows8; r0 += 8)
    for (int c0 = 0; c0 < cols8; c0 += 8) {
      const float *s = src + (size_t)r0 * lds + c0;
      __m256 t[8], u[8];
      for (int i = 0; i < 8; i += 2) {
        __m256 a = _mm256_loadu_ps(s + (size_t)i * lds),
               b = _mm256_loadu_ps(s + (size_t)(i + 1) * lds);
        t[i] = _mm256_unpacklo_ps(a, b);
        t[i + 1] = _mm256_unpackhi_ps(a, b);
      }
      for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
      }
      float *d = dst + (size_t)c0 * ldd + r0;
      for (int i = 0; i < 4; i++) {
        _mm256_storeu_ps(d + (size_t)i * ldd, _mm256_permute2f128_ps(u[i], u[i + 4], 0x20));
        _mm256_storeu_ps(d + (size_t)(i + 4) * ldd, _mm256_permute2f128_ps(u[i], u[i + 4], 0x31));
      }
    }
  /* The ragged right columns and bottom rows. */
  if (cols8 < cols)
    transpose_portable(rows8, cols - cols8, src + cols8, lds, dst + (size_t)cols8 * ldd, ldd);
  if (rows8 < rows)
    transpose_portable(rows - rows8, cols, src + (size_t)rows8 * lds, lds, dst + rows8, ldd);
}

static bool has_avx2;
static pthread_once_t cpu_once = PTHREAD_ONCE_INIT;

static void detect_cpu(void) {
  __builtin_cpu_init();
  has_avx2 = __builtin_cpu_supports("avx2");
}

void gemm_transpose(int rows, int cols, const float *src, int lds, float *dst, int ldd) {
  pthread_once(&cpu_once, detect_cpu);
  if (has_avx2)
    transpose_avx2(rows, cols, src, lds, dst, ldd);
  else
    transpose_portable(rows, cols, src, lds, dst, ldd);
}
