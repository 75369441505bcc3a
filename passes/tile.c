/* pass_tile: the tile sizes of the GEMM-based kernels, from the target's
 * cache sizes, as attributes the kernels read (docs/performance.md, "The
 * tiling cost model", has the formulas and why). The ops whose ops.def
 * row has a tile entry get them:
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
#include "op_columns.h"
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

/* The width of operand I: the k of the GEMMs that block its rows. */
static int64_t width(const IrOp *op, int i) {
  const IrType *t = &op->operands.items[i]->type;
  return t->dims[t->rank - 1];
}

static void tile_linear(IrOp *op, const Target *t) {
  int64_t k = width(op, 0), n = op->results.items[0]->type.dims[op->results.items[0]->type.rank - 1];
  ir_set_int(op, "row_tile", tile_rows(t, k, n, k * n));
}

/* y·Dᵀ, then (y − y·Dᵀ)·D: both dictionaries reused */
static void tile_ista(IrOp *op, const Target *t) {
  int64_t k = width(op, 0);
  ir_set_int(op, "row_tile", tile_rows(t, k, k, 2 * k * k));
}

static void tile_ista_apply(IrOp *op, const Target *t) {
  int64_t k = width(op, 0);
  ir_set_int(op, "row_tile", tile_rows(t, k, k, k * k));
}

/* Attention on operand Y (b, N, k). */
static void attention_tiles(IrOp *op, const Target *t, int y) {
  int64_t k = width(op, y), p = ir_attr_int(op, "dim_head"), kp = ir_attr_int(op, "heads") * p;
  ir_set_int(op, "row_tile", tile_rows(t, k, kp, k * kp));
  ir_set_int(op, "query_tile", tile_queries(t, op->operands.items[y]->type.dims[1], p));
}

static void tile_mssa(IrOp *op, const Target *t) { attention_tiles(op, t, 0); }
/* Operand 0 is the residual. */
static void tile_mssa_add(IrOp *op, const Target *t) { attention_tiles(op, t, 1); }

typedef void (*TileFn)(IrOp *op, const Target *t);

static const TileFn tile_table[IR_OP_COUNT] = {
#define IR_OP(id, name, min_in, max_in, n_results, attrs, flags, shape, expand, eval, flops, autodiff, tile, ...) \
  [IR_OP_##id] = IR_OP_FN(tile),
#include "ops.def"
#undef IR_OP
};

bool pass_tile_applies(IrOpKind kind) { return tile_table[kind] != NULL; }

bool pass_tile(Graph *g, const Target *t, Diag *d) {
  (void)d;
  if (!t) return true;
  for (int i = 0; i < g->ops.len; i++) {
    TileFn f = tile_table[g->ops.items[i]->kind];
    if (f) f(g->ops.items[i], t);
  }
  return true;
}
