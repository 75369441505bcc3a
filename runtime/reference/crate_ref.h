/* crate_ref.h — the reference kernels: the numerical oracle of cratec.
 *
 * Plain C over float*, one section per CRATE operator (docs/model.md §2
 * forward, §5 backward), written to be obviously right rather than fast. Optimised
 * code and generated code are compared against these.
 *
 * Conventions
 *   - Tensors are float32, row-major and contiguous; shapes are written
 *     (dim0, dim1, ...) in the comment above each signature, outputs on the
 *     left of "<-", inputs on the right.
 *   - Forward kernels overwrite their outputs.
 *   - Backward kernels ADD into every gradient they produce, inputs and
 *     parameters alike ("+="): callers zero gradient buffers once, and a value
 *     used twice (the MSSA residual) simply receives two contributions.
 *   - Sums (dot products, LayerNorm statistics, softmax sums, the loss) run in
 *     double.
 *   - Shapes are the caller's contract (the compiler has checked them).
 *     Kernels that read data a user supplies (labels) or need working memory
 *     return 0, or -1 with E (may be NULL) filled. */
#ifndef CRATE_REF_H
#define CRATE_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cratert_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ==== matrix products ======================================================= */

/* op(x) is x, or xᵀ when its trans flag is set; lda, ldb, ldc are the row
 * strides of a, b, c as stored (so a head's column slice is a plain view).
 * beta is 0 (c is not read) or any other value (c is scaled and added). */
// c (M, N) = alpha · op(a) (M, K) · op(b) (K, N) + beta · c
void ref_gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *a,
              int lda, const float *b, int ldb, float beta, float *c, int ldc);

/* ==== patch extraction (docs/model.md §2.1) ================================= */

/* patches[b, i·gw + j, (u·P2 + v)·C + c] = img[b, c, i·P1 + u, j·P2 + v]:
 * grid row-major, channel fastest inside a patch. H % P1 == W % P2 == 0. */
// out (B, (H/P1)·(W/P2), P1·P2·C) <- img (B, C, H, W)
void ref_patchify_forward(float *out, const float *img, int B, int C, int H, int W, int P1,
                          int P2);
// dimg (B, C, H, W) += <- dout (B, (H/P1)·(W/P2), P1·P2·C)
void ref_patchify_backward(float *dimg, const float *dout, int B, int C, int H, int W, int P1,
                           int P2);

/* ==== LayerNorm (biased variance; docs/model.md §1.2, §5.3) ================== */

// out (rows, C), mean (rows), rstd (rows) <- inp (rows, C), weight (C), bias (C)
void ref_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                           const float *weight, const float *bias, int rows, int C, float eps);
// dinp (rows, C) +=, dweight (C) +=, dbias (C) += <- dout (rows, C), inp (rows, C),
//                                                    weight (C), mean (rows), rstd (rows)
void ref_layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                            const float *inp, const float *weight, const float *mean,
                            const float *rstd, int rows, int C);

/* ==== Linear, PyTorch layout (docs/model.md §5.2): out = inp·weightᵀ + bias == */

// out (rows, OC) <- inp (rows, IC), weight (OC, IC), bias (OC) or NULL
void ref_linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                        int rows, int IC, int OC);
/* dinp may be NULL when nobody needs it; dbias is NULL for a bias-free layer. */
// dinp (rows, IC) +=, dweight (OC, IC) +=, dbias (OC) += <- dout (rows, OC), inp (rows, IC),
//                                                           weight (OC, IC)
void ref_linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *weight, int rows, int IC, int OC);

/* ==== embedding: cls token and position table (docs/model.md §2.2, §5.6) ==== */

/* Token 0 of every sample is the cls token; tokens 1..n are the patches. */
// out (B, n+1, d) <- x (B, n, d), cls (d), pos (n+1, d)
void ref_embed_forward(float *out, const float *x, const float *cls, const float *pos, int B,
                       int n, int d);
// dx (B, n, d) +=, dcls (d) +=, dpos (n+1, d) += <- dout (B, n+1, d)
void ref_embed_backward(float *dx, float *dcls, float *dpos, const float *dout, int B, int n,
                        int d);

/* ==== softmax over rows ====================================================== */

/* out may alias inp. */
// out (rows, C) <- inp (rows, C)
void ref_softmax_forward(float *out, const float *inp, int rows, int C);
// dinp (rows, C) += <- dout (rows, C), out (rows, C) (the forward's output)
void ref_softmax_backward(float *dinp, const float *dout, const float *out, int rows, int C);

/* ==== MSSA: multi-head subspace self-attention (docs/model.md §2.4, §5.4) ==== */

/* Per sample and head k (U_k = rows k·p.. of u, s = p^-1/2):
 *   W_k = Y U_kᵀ,  A_k = softmax_rows(s · W_k W_kᵀ),  O_k = A_k W_k,
 *   out = [O_1 | … | O_K] woᵀ + bo.
 * wo and bo are NULL for the Identity output (heads == 1, p == d): out = O.
 * w, attn and o are what the backward pass needs. */
// out (B, N, d), w (B, N, K·p), attn (B, K, N, N), o (B, N, K·p)
//   <- y (B, N, d), u (K·p, d), wo (d, K·p) or NULL, bo (d) or NULL
void ref_mssa_forward(float *out, float *w, float *attn, float *o, const float *y,
                      const float *u, const float *wo, const float *bo, int B, int N, int d,
                      int K, int p);
/* dwo and dbo are ignored (may be NULL) when wo is NULL. */
// dy (B, N, d) +=, du (K·p, d) +=, dwo (d, K·p) +=, dbo (d) +=
//   <- dout (B, N, d), y (B, N, d), w (B, N, K·p), attn (B, K, N, N), o (B, N, K·p),
//      u (K·p, d), wo (d, K·p) or NULL
int ref_mssa_backward(float *dy, float *du, float *dwo, float *dbo, const float *dout,
                      const float *y, const float *w, const float *attn, const float *o,
                      const float *u, const float *wo, int B, int N, int d, int K, int p,
                      crt_error *e);

/* ==== ISTA step (docs/model.md §2.5, §5.5) =================================== */

/* The official three products: out = relu(y + η(y·D − (y·Dᵀ)·D) − η·λ). */
// out (rows, d) <- y (rows, d), D (d, d)
int ref_ista_forward(float *out, const float *y, const float *D, int rows, int d, float eta,
                     float lambd, crt_error *e);
/* The ReLU mask is out > 0 (relu'(0) = 0). */
// dy (rows, d) +=, dD (d, d) += <- dout (rows, d), y (rows, d), out (rows, d), D (d, d)
int ref_ista_backward(float *dy, float *dD, const float *dout, const float *y, const float *out,
                      const float *D, int rows, int d, float eta, crt_error *e);

/* ==== residual add =========================================================== */

// out (n) <- a (n), b (n)
void ref_residual_forward(float *out, const float *a, const float *b, size_t n);
// da (n) +=, db (n) += <- dout (n)
void ref_residual_backward(float *da, float *db, const float *dout, size_t n);

/* ==== pooling (docs/model.md §2.6) ============================================ */

typedef enum { REF_POOL_CLS, REF_POOL_MEAN } ref_pool;

/* cls: token 0; mean: the mean over all N tokens, cls included. */
// out (B, d) <- x (B, N, d)
void ref_pool_forward(float *out, const float *x, int B, int N, int d, ref_pool pool);
// dx (B, N, d) += <- dout (B, d)
void ref_pool_backward(float *dx, const float *dout, int B, int N, int d, ref_pool pool);

/* ==== label-smoothed cross-entropy (docs/model.md §4.1, §5.1) ================ */

/* q = (1 − s)·onehot(label) + s/C; loss = mean_b −⟨q_b, log softmax(logits_b)⟩.
 * A label outside [0, C) is an error naming the sample. */
// *loss, probs (B, C) <- logits (B, C), labels (B)
int ref_crossentropy_forward(double *loss, float *probs, const float *logits,
                             const int64_t *labels, int B, int C, float smoothing, crt_error *e);
// dlogits (B, C) += (probs − q) / B <- probs (B, C), labels (B)
int ref_crossentropy_backward(float *dlogits, const float *probs, const int64_t *labels, int B,
                              int C, float smoothing, crt_error *e);

/* ==== white-box measures (docs/model.md §6, as the official code computes) ==== */

/* CodingRate(eps = 0.01) of vis_utils/coding_rate.py. */
#define REF_CODING_RATE_EPS 0.01

/* Per sample b: Σ_k ½ logdet(I_N + p/(N·eps) · X̃_k X̃_kᵀ), X̃_k = head k of q
 * (columns k·p..) with every token (row) scaled to unit ℓ2 norm. q is a
 * layer's qkv projection of its normalised input, LN(Z) uᵀ. */
// rc (B) <- q (B, N, K·p)
int ref_coding_rate(double *rc, const float *q, int B, int N, int K, int p, double eps,
                    crt_error *e);
/* Per sample: the fraction of the COUNT entries that are exactly 0, as
 * float32 (the repository counts with torch and averages in float32). */
// zero (B) <- z (B, count)
void ref_zero_fraction(float *zero, const float *z, int B, size_t count);
/* Mean and population std of the zero fractions in float32 arithmetic, as
 * numpy.mean/numpy.std compute them on the repository's float32 array (to
 * the last bit for batches below 8, numpy's pairwise-summation block). */
// *mean, *std <- zero (B)
void ref_sparsity_stats(float *mean, float *std, const float *zero, int B);
/* std divides by n − 1 when UNBIASED (torch.std; NaN for n = 1), else by n. */
// *mean, *std <- x (n)
void ref_mean_std(double *mean, double *std, const double *x, int n, bool unbiased);

/* One layer's entry of meta.json's measurements_per_layer. */
typedef struct ref_layer_measures {
  double rc_mean, rc_std;        /* R^c of the layer input: mean, unbiased std */
  double zero_mean, zero_std;    /* zero fraction of the ISTA output: mean, population std
                                    (float32 values, as the repository reports them) */
  double nonzero_mean;           /* 1 − zero_mean */
} ref_layer_measures;

// *m <- q (B, N, K·p) (qkv projection of the layer input), z (B, N, d) (ISTA output)
int ref_measure_layer(ref_layer_measures *m, const float *q, const float *z, int B, int N,
                      int d, int K, int p, crt_error *e);

#ifdef __cplusplus
}
#endif
#endif
