/* pass_tile: the tile sizes of the GEMM-based kernels, from the target's
 * cache sizes, as attributes the kernels read (docs/performance.md, "The
 * tiling cost model", has the formulas and why):
 *
 *   row_tile    linear, linear_t, mssa, mssa_add, ista, ista_apply and the
 *               layernorm_ forms: rows per GEMM block, the block's
 *               normalisation and epilogue run while it is in cache
 *   query_tile  mssa, mssa_add, layernorm_mssa_add: query rows per attention tile
 *
 * Partitions stay the target's cores (k_parts); the kernels round the
 * number of row tiles up to a multiple of them at run time, so the cores
 * get equal shares at any batch. Tiles never depend on the thread count,
 * so neither do the results. */
#include "passes.h"

enum {
  ROW_ALIGN = 16,    /* a 512-bit vector of floats */
  ROW_MAX = 256,     /* the runtime GEMM's widest block: beyond it a call splits again */
  QUERY_ALIGN = 8,
};

/* Half of L2 (the other half holds what streams past: the next block's
 * rows, packed panels, the epilogue's bias and residual). */
static int64_t budget_floats(const Target *t) { return (int64_t)(t->l2 / 2 / sizeof(float)); }

static int64_t round_down(int64_t x, int64_t to) { return x / to * to; }

static int64_t clamp(int64_t x, int64_t lo, int64_t hi) { return x < lo ? lo : x > hi ? hi : x; }

/* A row block X (R, k) · W (k, n) with WEIGHTS floats of weights reused by
 * every block: weights + R·(k + n) within the budget; when the weights
 * alone overflow it they stream anyway, and only the block is kept. */
static int64_t tile_rows(const Target *t, int64_t k, int64_t n, int64_t weights) {
  int64_t budget = budget_floats(t), left = budget - weights;
  if (left < budget / 4) left = budget / 4;
  return clamp(round_down(left / (k + n), ROW_ALIGN), ROW_ALIGN, ROW_MAX);
}

/* Attention over N tokens of a p-wide head: W_h (N, p) and W_hᵀ (p, ldt)
 * are reused by every tile, a tile of T queries holds S_t (T, ldt) and
 * O_t (T, p). One tile when all of it fits. */
static int64_t tile_queries(const Target *t, int64_t N, int64_t p) {
  int64_t ldt = (N + 15) / 16 * 16, left = budget_floats(t) - 2 * p * ldt;
  int64_t T = round_down(left / (ldt + p), QUERY_ALIGN);
  return T >= N ? N : clamp(T, QUERY_ALIGN, N);
}

static void tile_op(IrOp *op, const Target *t) {
  const IrValue *x = op->operands.items[op->kind == IR_OP_MSSA_ADD ? 1 : 0];
  int64_t k = x->type.dims[x->type.rank - 1];
  switch (op->kind) {
  case IR_OP_LINEAR:
  case IR_OP_LINEAR_T:
  case IR_OP_LAYERNORM_LINEAR_T: {
    int64_t n = op->results.items[0]->type.dims[op->results.items[0]->type.rank - 1];
    ir_set_int(op, "row_tile", tile_rows(t, k, n, k * n));
    break;
  }
  case IR_OP_ISTA:   /* y·Dᵀ, then (y − y·Dᵀ)·D: both dictionaries reused */
    ir_set_int(op, "row_tile", tile_rows(t, k, k, 2 * k * k));
    break;
  case IR_OP_ISTA_APPLY:
  case IR_OP_LAYERNORM_ISTA_APPLY:
    ir_set_int(op, "row_tile", tile_rows(t, k, k, k * k));
    break;
  case IR_OP_MSSA:
  case IR_OP_MSSA_ADD:
  case IR_OP_LAYERNORM_MSSA_ADD: {
    int64_t p = ir_attr_int(op, "dim_head"), kp = ir_attr_int(op, "heads") * p;
    ir_set_int(op, "row_tile", tile_rows(t, k, kp, k * kp));
    ir_set_int(op, "query_tile", tile_queries(t, x->type.dims[1], p));
    break;
  }
  default:
    break;
  }
}

bool pass_tile(Graph *g, const Target *t, Diag *d) {
  (void)d;
  if (!t) return true;
  for (int i = 0; i < g->ops.len; i++) tile_op(g->ops.items[i], t);
  return true;
}
