/* cratert_abi.h — the CRATE runtime as generated code sees it: the one
 * header a compiled model's code includes. It declares what that code calls
 * (errors, memory, threads, GEMM, profiling) and the entries and description
 * it must define for the runtime (compiled models). A host program uses
 * cratert_host.h, which includes this one.
 *
 * Conventions
 *   - Tensors are float32, row-major, contiguous unless a leading dimension
 *     (ld*) says otherwise. Shapes are written (rows, cols) in comments.
 *   - Functions that can fail return 0 on success and -1 on failure, filling
 *     a crt_error (which may be NULL) with a message that names the file and,
 *     where there is one, the tensor.
 *
 * Sections: errors · memory · threads · GEMM · profiling · compiled models */
#ifndef CRATERT_ABI_H
#define CRATERT_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ==== errors ================================================================ */

typedef struct crt_error {
  char msg[1024];
} crt_error;

/* Formats into E (if not NULL); returns -1 so callers can `return crt_fail(...)`. */
int crt_fail(crt_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ==== memory ================================================================= */

#define CRT_ALIGN 64

/* 64-byte aligned, zero-filled; NULL on failure. */
void *crt_alloc(size_t bytes);
void crt_free(void *p);

/* ==== threads ================================================================ */

/* The one thread-count knob of the whole program (the --threads option):
 * N threads, 0 = all cores (the default until set). It also becomes
 * OpenMP's default, so every parallel loop of the runtime follows it. */
void crt_set_threads(int n);
int crt_threads(void);

/* Processes work items [BEGIN, END) in order on the calling thread. */
typedef void (*crt_range_fn)(void *ctx, int64_t begin, int64_t end);

/* Runs FN over items [0, N) split into contiguous, static ranges: thread t of
 * T gets [N·t/T, N·(t+1)/T). Each item is done by exactly one thread, so a
 * result that depends only on its item is the same for every thread count.
 * Called inside a parallel region (nested), it runs FN(CTX, 0, N) on the
 * calling thread. */
void crt_parallel_for(int64_t n, crt_range_fn fn, void *ctx);

/* ==== GEMM =================================================================== */

/* Row-major single-precision GEMM over libxsmm JIT micro-kernels:
 *   C (M,N) = beta·C + op(A) (M,K) · op(B) (K,N),  beta ∈ {0, 1}
 * op(X) is X or Xᵀ. Stored shapes: A is (M,K) or, transposed, (K,M); B is
 * (K,N) or (N,K); leading dimensions count floats between rows and must be
 * at least the stored width. C must not overlap A or B. beta = 0 never reads
 * C (NaN in C does not leak through).
 *
 * What each form costs (libxsmm is column-major and JITs no transposed-A
 * kernel, so a transposed operand is packed into a per-thread, 64-byte-
 * aligned scratch buffer allocated on first use and then reused):
 *   A·B   (x·W with W (in,out), dx = dy·W)   no packing.
 *   A·Bᵀ  (x·Wᵀ with PyTorch's W (out,in))   the rows of B a thread needs
 *                                            are packed once per call: at
 *                                            most N·K copies per thread.
 *   Aᵀ·B  (dW = dyᵀ·x)                       op(A) packed in (K-slice × 96
 *                                            rows) panels, each reused for
 *                                            all N columns: M·K copies.
 *   Aᵀ·Bᵀ                                    both of the above.
 * The result is bitwise independent of the thread count: block sizes and
 * the summation order over K depend on the shape alone, and each element
 * of C is computed by one thread. Shapes the JIT refuses (and every shape
 * when the fallback is forced) run a plain C loop over the same blocks.
 *
 * Returns 0, or -1 with E filled for a bad argument or when the packing
 * scratch cannot be allocated. */
typedef enum { CRT_NO_TRANS, CRT_TRANS } crt_trans;

/* On the calling thread (for use inside crt_parallel_for items). */
int crt_sgemm(crt_trans ta, crt_trans tb, int M, int N, int K, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc, crt_error *e);
/* The same product with C's blocks split over crt_threads() threads. */
int crt_sgemm_parallel(crt_trans ta, crt_trans tb, int M, int N, int K, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc, crt_error *e);
/* COUNT independent products of one shape (per-head attention): item i
 * uses A + i·stride_a, B + i·stride_b, C + i·stride_c; items are split over
 * the threads, each item computed by one thread. */
int crt_sgemm_batch(crt_trans ta, crt_trans tb, int M, int N, int K, const float *A, int lda,
                    int64_t stride_a, const float *B, int ldb, int64_t stride_b, float beta,
                    float *C, int ldc, int64_t stride_c, int64_t count, crt_error *e);

/* Forces the plain C kernels for every later call (for tests and for
 * comparing against the JIT); the environment variable CRATE_GEMM_FALLBACK=1
 * sets it at start-up. */
void crt_gemm_force_fallback(bool on);

/* ==== profiling ============================================================== */

/* Per-operator profiling. Code built with `cratec build --profile` brackets
 * every kernel call: t0 = crt_clock_ns(), the call, crt_profile_add(slot,
 * t0); the description's "profile" list names each slot ("forward linear
 * %embed.proj"). Kernel calls are made by one thread (the kernels split
 * their own work), so the counters need no synchronisation. */
#define CRT_PROFILE_SLOTS 8192
int64_t crt_clock_ns(void);                            /* monotonic nanoseconds */
void crt_profile_add(int64_t slot, int64_t start_ns);  /* slot += now - start; calls += 1 */
void crt_profile_reset(void);
int64_t crt_profile_ns(int64_t slot);
int64_t crt_profile_calls(int64_t slot);

/* ==== compiled models ========================================================
 *
 * The contract between code that cratec generates and the runtime's host
 * program (the executable's commands, runtime/host*.c). For a model compiled
 * with symbol prefix P (`crate_model` in executables, the model's name in
 * `--emit lib` libraries) the generated object defines:
 *
 *   const char P_desc[];                 the description below, NUL-terminated
 *   const unsigned char P_weights[];     embedded safetensors (only with
 *                                        --embed-weights; size in the description)
 *   void P_prepare(const float *params, float *derived);
 *   void P_forward(const float *params, const float *derived,
 *                  const float *images, float *logits, float *work, int64_t batch);
 *   void P_features(const float *params, const float *derived,
 *                   const float *images, float *features, float *work, int64_t batch);
 *   void P_train_step(const float *params, const float *images,
 *                     const int64_t *labels, float *loss, float *logits,
 *                     float *grads, float *work, int64_t batch);
 *
 * Buffers (all 64-byte aligned, owned by the caller, never overlapping):
 *   params    (param_floats) every parameter, in state_dict order, tensor i
 *             at the offset the description gives (docs/model.md §3.1 keys and shapes)
 *   derived   (derived_floats) what P_prepare computes from params once after
 *             loading (folded ISTA matrices, transposed weights); inference
 *             entries read it, so call P_prepare again after params change
 *   images    (batch, channels, height, width)
 *   labels    (batch) class indices in [0, classes)
 *   logits    (batch, classes)
 *   loss      (1) batch-mean label-smoothed cross-entropy
 *   grads     (param_floats) d loss / d params, laid out like params
 *             (overwritten, not accumulated)
 *   features  (depth, 2, batch, tokens, dim): per layer l, [0] the
 *             projections Q = LN(Z^l)·Uᵀ of the layer's input in its own
 *             subspaces and [1] the ISTA output Z^{l+1} (docs/model.md §6)
 *   work      scratch of work_floats(entry) = a + b·batch floats
 *   batch     >= 1 (equal to the description's fixed batch, if it has one)
 * Entries are re-entrant for different buffers and use crt_threads() threads.
 *
 * The description is JSON:
 *   {"abi": 1, "name": "crate_tiny",
 *    "channels": 3, "height": 224, "width": 224, "classes": 1000,
 *    "depth": 12, "tokens": 197, "dim": 384,
 *    "layers": [{"heads": 6, "dim_head": 64}, ...],          (depth entries)
 *    "batch": null | B,                                      (fixed by --batch)
 *    "params": [{"key": "cls_token", "shape": [1, 1, 384], "offset": 0,
 *                "role": "embedding", "init": {"normal": 1}}, ...],
 *      role: embedding, linear_weight, linear_bias, norm_weight, norm_bias or
 *      dictionary;
 *      init: how a fresh parameter is drawn, {"normal": std},
 *      {"uniform": bound} or {"constant": value} (optional: without it the
 *      session needs weights)
 *    "param_floats": N, "derived_floats": N,
 *    "work_floats": {"forward": [a, b], "features": [a, b], "train": [a, b]},
 *    "flops": {"forward": F},                                (per image)
 *    "train": {"optimizer": "adamw", "lr": 1e-3, "weight_decay": 0.05,
 *              "momentum": 0.9, "nesterov": false, "beta1": 0.9, "beta2": 0.999,
 *              "eps": 1e-8, "schedule": "cosine", "warmup_epochs": 1,
 *              "warmup_steps": 0, "min_lr": 0, "epochs": 10, "batch": 128,
 *              "label_smoothing": 0.1, "seed": 0},
 *    "normalize": {"mean": [...], "std": [...]},             (optional, channels
 *      entries each: the input normalisation the .crate declared, which
 *      data loading applies instead of the data set's own)
 *    "embedded_weights": 0 | size in bytes of P_weights}
 */
typedef struct crt_model {
  const char *desc;
  const unsigned char *weights;   /* P_weights, or NULL when not embedded */
  void (*prepare)(const float *params, float *derived);
  void (*forward)(const float *params, const float *derived, const float *images, float *logits,
                  float *work, int64_t batch);
  void (*features)(const float *params, const float *derived, const float *images,
                   float *features, float *work, int64_t batch);
  void (*train_step)(const float *params, const float *images, const int64_t *labels, float *loss,
                     float *logits, float *grads, float *work, int64_t batch);
} crt_model;

#ifdef __cplusplus
}
#endif
#endif
