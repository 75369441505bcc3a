/* The GEMM layer: maps row-major products onto libxsmm's column-major
 * micro-kernels, cuts C into tiles of fixed blocks, and runs the tiles on
 * the calling thread or across the threads. */
#include "cratert_abi.h"
#include "gemm_internal.h"

#include <stdatomic.h>
#include <string.h>

/* Block sizes are a function of the shape alone, never of the thread count:
 * that keeps every element's summation order, hence the result, identical
 * for any number of threads. 64 rows of A by the whole K (up to 512, else
 * 128-deep slices) stay in L2 while up to 256 columns of B stream past;
 * bench/gemm and a sweep of these constants found this the fastest on the
 * 384-wide projections (docs/performance.md). */
enum {
  BLOCK_M = 64,
  MAX_UNSPLIT_K = 512,
  BLOCK_K = 128,
  MAX_BLOCK_N = 256,
  /* A packed B panel is reused across all of M, so it can be narrow; at
   * most 96 splits the 384-wide weight gradient into four tiles, and the
   * 128-wide one into two equal ones (96 + 32 gave one of two threads
   * three quarters of the work). */
  PACKED_BLOCK_N = 96,
  /* Packed A columns start on 64-byte boundaries. */
  PACKED_ALIGN = 16,
};

/* One dimension cut into COUNT blocks of SIZE, except the last, of LAST: a
 * remainder under a quarter block is folded into the last block (a thin
 * edge kernel runs far below peak), a larger one is a block of its own. */
typedef struct split {
  int size, count, last;
} split;

static split split_of(int extent, int size) {
  split s = {size, extent / size, size};
  const int rest = extent % size;
  if (rest && s.count > 0 && rest < size / 4)
    s.last = size + rest;
  else if (rest)
    s.count++, s.last = rest;
  return s;
}

static int block_size(const split *s, int index) {
  return index == s->count - 1 ? s->last : s->size;
}

/* One product in column-major terms: C (m,n) = [C +] A (m,k) · B (k,n). A
 * "packed" operand is stored transposed and goes through the scratch. */
typedef struct gemm_plan {
  int m, n, k;
  const float *a, *b;
  float *c;
  int lda, ldb, ldc;
  bool pack_a, pack_b, accumulate;
  split ms, ns, ks;
  /* Tiles of C: one m block (all of them when B is packed, so a packed B
   * panel serves all of M) × one n block, numbered n-block-major so that
   * neighbouring tiles share B (or, when packing A, the packed A). */
  int m_tiles, n_tiles;
  int packed_lda, packed_ldb;
  size_t scratch_floats;
  gemm_kernel kernels[2][2][2][2]; /* [last m block][last n block][last k block][accumulate] */
} gemm_plan;

static int min_int(int x, int y) { return x < y ? x : y; }
static int ceil_div(int x, int y) { return (x + y - 1) / y; }

/* Most calls have one block shape (the per-head products: one block in
 * all) and the probes cost as much as a small product's multiply, so each
 * distinct shape is fetched once and copied to the edges that share it. */
static void plan_kernels(gemm_plan *p) {
  const split *dims[3] = {&p->ms, &p->ns, &p->ks};
  int sizes[3][2], edges[3];
  for (int d = 0; d < 3; d++) {
    sizes[d][0] = dims[d]->size, sizes[d][1] = dims[d]->last;
    edges[d] = dims[d]->last != dims[d]->size ? 2 : 1;
  }
  const int lda = p->pack_a ? p->packed_lda : p->lda, ldb = p->pack_b ? p->packed_ldb : p->ldb;
  const bool needs_overwrite = !p->accumulate, needs_accumulate = p->accumulate || p->ks.count > 1;
  memset(p->kernels, 0, sizeof p->kernels);
  for (int em = 0; em < 2; em++)
    for (int en = 0; en < 2; en++)
      for (int ek = 0; ek < 2; ek++) {
        gemm_kernel *k = p->kernels[em][en][ek];
        if (em >= edges[0] || en >= edges[1] || ek >= edges[2]) {
          const gemm_kernel *same = p->kernels[em % edges[0]][en % edges[1]][ek % edges[2]];
          k[0] = same[0], k[1] = same[1];
          continue;
        }
        const int m = sizes[0][em], n = sizes[1][en], kk = sizes[2][ek];
        if (needs_overwrite) k[0] = gemm_kernel_get(m, n, kk, lda, ldb, p->ldc, false);
        if (needs_accumulate) k[1] = gemm_kernel_get(m, n, kk, lda, ldb, p->ldc, true);
      }
}

/* Row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: libxsmm's A
 * is our B, its B is our A, and its m, n are our N, M. */
static void plan_init(gemm_plan *p, crt_trans ta, crt_trans tb, int M, int N, int K, const float *A,
                      int lda, const float *B, int ldb, float beta, float *C, int ldc) {
  p->m = N, p->n = M, p->k = K;
  p->a = B, p->lda = ldb, p->pack_a = tb == CRT_TRANS;
  p->b = A, p->ldb = lda, p->pack_b = ta == CRT_TRANS;
  p->c = C, p->ldc = ldc, p->accumulate = beta != 0.0f;
  p->ms = split_of(p->m, min_int(p->m, BLOCK_M));
  p->ks = split_of(p->k, p->k <= MAX_UNSPLIT_K ? p->k : BLOCK_K);
  const int n_block = ceil_div(p->n, ceil_div(p->n, p->pack_b ? PACKED_BLOCK_N : MAX_BLOCK_N));
  p->ns = split_of(p->n, min_int(p->n, n_block));
  p->m_tiles = p->pack_b ? 1 : p->ms.count;
  p->n_tiles = p->ns.count;
  p->packed_lda = ceil_div(p->m, PACKED_ALIGN) * PACKED_ALIGN;
  /* A packed B panel holds the deepest k block by the widest n block. */
  p->packed_ldb = p->ks.last > p->ks.size ? p->ks.last : p->ks.size;
  const int n_width = p->ns.last > p->ns.size ? p->ns.last : p->ns.size;
  p->scratch_floats = (p->pack_a ? (size_t)p->packed_lda * p->k : 0) +
                      (p->pack_b ? (size_t)p->packed_ldb * n_width : 0);
  plan_kernels(p);
}

static int64_t plan_tiles(const gemm_plan *p) { return (int64_t)p->m_tiles * p->n_tiles; }

static void run_tile(const gemm_plan *p, int64_t tile, const float *packed_a, float *packed_b) {
  const int jb = (int)(tile / p->m_tiles), j0 = jb * p->ns.size, ncur = block_size(&p->ns, jb);
  const int ib_first = p->pack_b ? 0 : (int)(tile % p->m_tiles);
  const int ib_end = p->pack_b ? p->ms.count : ib_first + 1;
  for (int kb = 0; kb < p->ks.count; kb++) {
    const int p0 = kb * p->ks.size, kcur = block_size(&p->ks, kb);
    const bool accumulate = p->accumulate || kb > 0;
    const float *b_block = p->b + p0 + (size_t)j0 * p->ldb;
    if (p->pack_b) {
      gemm_transpose(kcur, ncur, p->b + (size_t)p0 * p->ldb + j0, p->ldb, packed_b, p->packed_ldb);
      b_block = packed_b;
    }
    for (int ib = ib_first; ib < ib_end; ib++) {
      const int i0 = ib * p->ms.size;
      const float *a_block =
          p->pack_a ? packed_a + i0 + (size_t)p0 * p->packed_lda : p->a + i0 + (size_t)p0 * p->lda;
      const gemm_kernel *kernel = &p->kernels[ib == p->ms.count - 1][jb == p->ns.count - 1]
                                             [kb == p->ks.count - 1][accumulate];
      gemm_kernel_run(kernel, a_block, b_block, p->c + i0 + (size_t)j0 * p->ldc);
    }
  }
}

/* Runs tiles [first, end) on this thread; -1 when the scratch cannot grow. */
static int run_tiles(const gemm_plan *p, int64_t first, int64_t end) {
  float *packed_a = NULL, *packed_b = NULL;
  if (p->scratch_floats) {
    float *scratch = gemm_scratch(p->scratch_floats);
    if (!scratch) return -1;
    packed_a = scratch;
    packed_b = scratch + (p->pack_a ? (size_t)p->packed_lda * p->k : 0);
  }
  /* Pack, once, just the rows of A this range of tiles reads. */
  for (int64_t t = first; p->pack_a && t < end && t < first + p->m_tiles; t++) {
    const int ib = p->pack_b ? 0 : (int)(t % p->m_tiles);
    const int i0 = ib * p->ms.size;
    const int rows = p->pack_b ? p->m : block_size(&p->ms, ib);
    gemm_transpose(rows, p->k, p->a + (size_t)i0 * p->lda, p->lda, packed_a + i0, p->packed_lda);
  }
  for (int64_t t = first; t < end; t++) run_tile(p, t, packed_a, packed_b);
  return 0;
}

static int check_ld(const char *fn, const char *name, int ld, int width, crt_error *e) {
  int least = width > 1 ? width : 1;
  if (ld < least)
    return crt_fail(e, "%s: %s = %d is less than the stored row width %d", fn, name, ld, least);
  return 0;
}

static int check_args(const char *fn, crt_trans ta, crt_trans tb, int M, int N, int K,
                      const float *A, int lda, const float *B, int ldb, float beta, const float *C,
                      int ldc, crt_error *e) {
  if ((ta != CRT_NO_TRANS && ta != CRT_TRANS) || (tb != CRT_NO_TRANS && tb != CRT_TRANS))
    return crt_fail(e, "%s: transpose flags must be CRT_NO_TRANS or CRT_TRANS", fn);
  if (M < 0 || N < 0 || K < 0)
    return crt_fail(e, "%s: negative size (M = %d, N = %d, K = %d)", fn, M, N, K);
  if (beta != 0.0f && beta != 1.0f)
    return crt_fail(e, "%s: beta must be 0 or 1, not %g", fn, (double)beta);
  if (check_ld(fn, "lda", lda, ta == CRT_TRANS ? M : K, e) ||
      check_ld(fn, "ldb", ldb, tb == CRT_TRANS ? K : N, e) || check_ld(fn, "ldc", ldc, N, e))
    return -1;
  if (M > 0 && N > 0 && (!C || (K > 0 && (!A || !B))))
    return crt_fail(e, "%s: NULL matrix for a %d×%d×%d product", fn, M, N, K);
  return 0;
}

/* The products with nothing to multiply: C stays (beta 1) or is zeroed. */
static bool trivial(int M, int N, int K, float beta, float *C, int ldc) {
  if (M == 0 || N == 0) return true;
  if (K > 0) return false;
  if (beta == 0.0f)
    for (int i = 0; i < M; i++) memset(C + (size_t)i * ldc, 0, (size_t)N * sizeof(float));
  return true;
}

static int out_of_memory(const char *fn, const gemm_plan *p, crt_error *e) {
  return crt_fail(e, "%s: cannot allocate %zu bytes of packing scratch", fn,
                  p->scratch_floats * sizeof(float));
}

typedef struct parallel_job {
  const gemm_plan *plan;
  int64_t stride_a, stride_b, stride_c; /* batch items only */
  atomic_bool failed;
} parallel_job;

static void tile_range(void *ctx, int64_t first, int64_t end) {
  parallel_job *job = ctx;
  if (run_tiles(job->plan, first, end)) atomic_store(&job->failed, true);
}

/* crt_sgemm and crt_sgemm_parallel: the same tiles, on this thread or split. */
static int product(const char *fn, bool parallel, crt_trans ta, crt_trans tb, int M, int N, int K,
                   const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc,
                   crt_error *e) {
  if (check_args(fn, ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc, e)) return -1;
  if (trivial(M, N, K, beta, C, ldc)) return 0;
  gemm_plan plan;
  plan_init(&plan, ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc);
  parallel_job job = {.plan = &plan};
  atomic_init(&job.failed, false);
  if (parallel)
    crt_parallel_for(plan_tiles(&plan), tile_range, &job);
  else
    tile_range(&job, 0, plan_tiles(&plan));
  return atomic_load(&job.failed) ? out_of_memory(fn, &plan, e) : 0;
}

int crt_sgemm(crt_trans ta, crt_trans tb, int M, int N, int K, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc, crt_error *e) {
  return product("crt_sgemm", false, ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc, e);
}

int crt_sgemm_parallel(crt_trans ta, crt_trans tb, int M, int N, int K, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc, crt_error *e) {
  return product("crt_sgemm_parallel", true, ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc, e);
}

/* Every item shares the plan (and so its kernels); only the pointers move.
 * The plan's a is the caller's B and its b the caller's A. */
static void item_range(void *ctx, int64_t first, int64_t end) {
  parallel_job *job = ctx;
  for (int64_t i = first; i < end; i++) {
    gemm_plan item = *job->plan;
    item.a += i * job->stride_b;
    item.b += i * job->stride_a;
    item.c += i * job->stride_c;
    if (run_tiles(&item, 0, plan_tiles(&item))) atomic_store(&job->failed, true);
  }
}

int crt_sgemm_batch(crt_trans ta, crt_trans tb, int M, int N, int K, const float *A, int lda,
                    int64_t stride_a, const float *B, int ldb, int64_t stride_b, float beta,
                    float *C, int ldc, int64_t stride_c, int64_t count, crt_error *e) {
  const char *fn = "crt_sgemm_batch";
  if (check_args(fn, ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc, e)) return -1;
  if (count < 0 || stride_a < 0 || stride_b < 0 || stride_c < 0)
    return crt_fail(e, "%s: negative count or stride", fn);
  if (count > 1 && stride_c < (int64_t)(M - 1) * ldc + N && M > 0 && N > 0)
    return crt_fail(e, "%s: stride_c = %lld makes the items' outputs overlap", fn,
                    (long long)stride_c);
  if (count == 0 || M == 0 || N == 0) return 0;
  if (K == 0) {
    for (int64_t i = 0; i < count; i++) trivial(M, N, K, beta, C + i * stride_c, ldc);
    return 0;
  }
  gemm_plan plan;
  plan_init(&plan, ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc);
  parallel_job job = {
      .plan = &plan, .stride_a = stride_a, .stride_b = stride_b, .stride_c = stride_c};
  atomic_init(&job.failed, false);
  crt_parallel_for(count, item_range, &job);
  return atomic_load(&job.failed) ? out_of_memory(fn, &plan, e) : 0;
}
