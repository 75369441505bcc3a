/* Reference evaluation of the primitives composites lower to. Products and
 * softmax are reference kernels; the rest are permutations and elementwise
 * loops, plain enough to be their own reference. */
#include <math.h>

#include "eval_internal.h"

/* Leading indices of a matmul (every axis but the last two) and whether its
 * second operand is one rank-2 matrix shared by all of them. */
static int matmul_leading(const IrEvalCtx *c) { return (int)(ev_numel(c, 0) / ((int64_t)ev_dim(c, 0, -2) * ev_dim(c, 0, -1))); }
static bool matmul_shared(const IrEvalCtx *c) { return c->op->operands.items[1]->type.rank == 2; }

bool eval_matmul(IrEvalCtx *c) {
  bool ta = ir_attr_int_or(c->op, "transpose_a", 0), tb = ir_attr_int_or(c->op, "transpose_b", 0);
  float alpha = (float)ir_attr_float_or(c->op, "alpha", 1.0);
  int ar = ev_dim(c, 0, -2), ac = ev_dim(c, 0, -1), br = ev_dim(c, 1, -2), bc = ev_dim(c, 1, -1);
  int M = ta ? ac : ar, K = ta ? ar : ac, N = tb ? br : bc;
  size_t b_stride = matmul_shared(c) ? 0 : (size_t)br * bc;
  for (int l = 0; l < matmul_leading(c); l++)
    ref_gemm(ta, tb, M, N, K, alpha, ev_in(c, 0) + (size_t)l * ar * ac, ac, ev_in(c, 1) + l * b_stride,
             bc, 0.0f, c->out[0] + (size_t)l * M * N, N);
  return true;
}

bool eval_softmax(IrEvalCtx *c) {
  ref_softmax_forward(c->out[0], ev_in(c, 0), ev_rows(c, 0), ev_dim(c, 0, -1));
  return true;
}

/* x (b, N, K·p) <-> heads (b, K, N, p): TO_HEADS copies x into heads. */
static void permute_heads(float *x, float *heads, int B, int N, int K, int p, bool to_heads) {
  for (int b = 0; b < B; b++)
    for (int k = 0; k < K; k++)
      for (int t = 0; t < N; t++)
        for (int i = 0; i < p; i++) {
          size_t xi = (((size_t)b * N + t) * K + k) * p + i, hi = (((size_t)b * K + k) * N + t) * p + i;
          if (to_heads)
            heads[hi] = x[xi];
          else
            x[xi] = heads[hi];
        }
}

bool eval_split_heads(IrEvalCtx *c) {
  int K = (int)ir_attr_int(c->op, "heads");
  permute_heads(c->in[0], c->out[0], ev_dim(c, 0, 0), ev_dim(c, 0, 1), K, ev_dim(c, 0, 2) / K, true);
  return true;
}

bool eval_merge_heads(IrEvalCtx *c) {
  permute_heads(c->out[0], c->in[0], ev_dim(c, 0, 0), ev_dim(c, 0, 2), ev_dim(c, 0, 1), ev_dim(c, 0, 3),
                false);
  return true;
}

bool eval_sub(IrEvalCtx *c) {
  for (int64_t i = 0; i < ev_numel(c, 0); i++) c->out[0][i] = ev_in(c, 0)[i] - ev_in(c, 1)[i];
  return true;
}

bool eval_scale(IrEvalCtx *c) {
  float alpha = (float)ir_attr_float(c->op, "alpha");
  for (int64_t i = 0; i < ev_numel(c, 0); i++) c->out[0][i] = alpha * ev_in(c, 0)[i];
  return true;
}

bool eval_shrink(IrEvalCtx *c) {
  float t = (float)ir_attr_float(c->op, "threshold");
  for (int64_t i = 0; i < ev_numel(c, 0); i++) {
    float v = ev_in(c, 0)[i] - t;
    c->out[0][i] = v > 0 ? v : 0;
  }
  return true;
}

/* Row r of x seen as (rows, N) is query r mod N: keys after it get fill. */
bool eval_causal_mask(IrEvalCtx *c) {
  int n = ev_dim(c, 0, -1);
  float fill = (float)ir_attr_float_or(c->op, "fill", -INFINITY);
  const float *x = ev_in(c, 0);
  for (int64_t r = 0; r < ev_rows(c, 0); r++)
    for (int j = 0; j < n; j++) c->out[0][r * n + j] = j > r % n ? fill : x[r * n + j];
  return true;
}
