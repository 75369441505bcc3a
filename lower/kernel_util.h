/* kernel_util.h — what the kernel emitters (kernel_*.c) share: short
 * expression builders, operand pointers held in locals, the two parallel
 * loop shapes (flat chunks; static partitions of work items, each with its
 * own scratch), runtime GEMM calls and the GEMM epilogue. Private to
 * lower/.
 *
 * Thread-count independence: every parallel loop here gives each output
 * element to exactly one item, and an item's code does not depend on which
 * partition or thread runs it, so results are bitwise the same for any
 * number of threads. */
#ifndef CRATEC_KERNEL_UTIL_H
#define CRATEC_KERNEL_UTIL_H

#include "kernel.h"
#include "op_columns.h"

/* Expression shorthands (each builds a fresh tree). */
static inline LExpr *kv(LVar *v) { return lvar(v); }
static inline LExpr *ki(int64_t i) { return li64(i); }
static inline LExpr *kadd(LExpr *a, LExpr *b) { return lbin(LB_ADD, a, b); }
static inline LExpr *ksub(LExpr *a, LExpr *b) { return lbin(LB_SUB, a, b); }
static inline LExpr *kmul(LExpr *a, LExpr *b) { return lbin(LB_MUL, a, b); }
static inline LExpr *kld(LVar *p, LExpr *i) { return lload(lvar(p), i); }
/* a·n + b, the row-major index of (a, b) in rows of N */
static inline LExpr *kix(LExpr *a, int64_t n, LExpr *b) { return kadd(kmul(a, ki(n)), b); }

/* A local holding V's storage address, so every use is a fresh lvar(). */
LVar *k_ptr(LowerCtx *c, const IrValue *v);
/* A local initialised with E (emitted at the function level). */
LVar *k_let(LowerCtx *c, const char *name, LType t, LExpr *e);
/* Rows of V: the product of every dimension but the last (batch included). */
LExpr *k_rows(LowerCtx *c, const IrValue *v);
static inline int64_t k_last_dim(const IrValue *v) { return v->type.dims[v->type.rank - 1]; }
/* Elements of one sample (one index of the leading, batch dimension),
 * whether the batch is symbolic or fixed by `cratec build --batch`. */
static inline int64_t k_sample_numel(const IrValue *v) {
  return ir_type_numel(&v->type, 1) / (v->type.dims[0] == IR_BATCH ? 1 : v->type.dims[0]);
}

/* `parallel for chunk { vector for i in chunk }` over [0, N): returns the
 * vector loop (append the body to it) and its index in *I. */
LStmt *k_flat(LowerCtx *c, LExpr *n, LVar **i);

/* A parallel loop over the partitions of N work items: partition q of P
 * takes items [q·N/P, (q+1)·N/P) in order. P is fixed at compile time (the
 * target's cores); with SCRATCH_FLOATS > 0 each partition gets its own block
 * of that many floats (SCRATCH, a local of the partition). BODY is the
 * serial loop over the partition's items. */
typedef struct KItems {
  LStmt *body;
  LVar *part, *item, *scratch;
  int parts;
} KItems;
KItems k_items(LowerCtx *c, LExpr *n, int64_t scratch_floats);

/* Row blocks of BLOCK rows over [0, ROWS): items are blocks; R0 and NR (locals
 * declared in the body) are the block's first row and its row count. */
typedef struct KRows {
  KItems it;
  LVar *r0, *nr;
} KRows;
KRows k_row_blocks(LowerCtx *c, LExpr *rows, int64_t block, int64_t scratch_floats);
enum { K_ROW_BLOCK = 64 };   /* the runtime GEMM's m-block: one block per call */
/* Row tiles of at most TILE rows (an op's row_tile, from pass_tile), as
 * many as a multiple of the partitions so every core gets the same rows
 * (±1). The block is then a runtime value; a block's rows are still its
 * rows for any thread count. */
KRows k_row_tiles(LowerCtx *c, LExpr *rows, int64_t tile, int64_t scratch_floats);
/* The partitions k_items splits work into: the target's cores. */
int k_parts(LowerCtx *c);

/* crt_sgemm (on the calling thread): C (M,N) = op(A) op(B) [+ C]. */
typedef struct KGemm {
  bool ta, tb, accumulate;
  LExpr *m;
  int64_t n, k;
  LExpr *a, *b, *c;
  int64_t lda, ldb, ldc;
  LExpr *k_expr;   /* K when it grows with the batch (dW = dyᵀ·x); overrides k */
} KGemm;
LStmt *k_gemm(const KGemm *g);
/* The same with crt_sgemm_parallel, emitted at the function level. */
void k_gemm_parallel(LowerCtx *c, const KGemm *g);

/* What a GEMM's result goes through, in place, in the same pass over the
 * block: v = alpha·v + bias[col] + residual[row, col] + input[row, col],
 * then, with SHRINK, relu(v − threshold). */
typedef struct KEpilogue {
  double alpha;
  LVar *bias;       /* f32* (cols) or NULL */
  LVar *residual;   /* f32* shaped like the output, or NULL */
  bool add_input;   /* add the GEMM's left operand (square products: y + y·E) */
  bool shrink;
  double threshold;
} KEpilogue;
/* Appends to BODY the epilogue of rows [R0, R0+NR) of OUT (rows of COLS);
 * INPUT points at the block's first row of the left operand (read with
 * add_input, else NULL). */
void k_epilogue(LowerCtx *c, LStmt *body, const KEpilogue *e, LVar *out, LVar *r0, LVar *nr,
                int64_t cols, LVar *input);

/* LayerNorm (biased variance, docs/model.md §1.2) with weight GAMMA, bias BETA. */
typedef struct KNorm {
  LVar *gamma, *beta;   /* f32* (cols) */
  double eps;
} KNorm;
/* Appends to BODY the layernorm of the row of C floats at SRC[SRC_BASE]
 * into DST[DST_BASE]. */
void k_layernorm_row(LowerCtx *c, LStmt *body, const KNorm *n, LVar *dst, LVar *dst_base, LVar *src,
                     LVar *src_base, int64_t C);
KNorm k_norm_of(LowerCtx *c, const IrOp *op);   /* operands 1, 2 and eps of a layernorm[_READER] */

/* DST (cols, rows) = SRCᵀ for SRC (rows, cols): weights made K-major once
 * per call so every block's GEMM runs without packing. */
void k_transpose(LowerCtx *c, LVar *dst, LVar *src, int64_t rows, int64_t cols);

/* The unnormalised softmax of the row P[BASE .. BASE+N): emits into BODY
 * the row max, then e = exp(scale·(x − max)) stored in place, and returns
 * the local holding the row's sum (callers fold 1/sum into a later, often
 * smaller, pass). */
LVar *k_softmax_row(LowerCtx *c, LStmt *body, LVar *p, LVar *base, int64_t n, double scale);

/* OUT (ROWS, N) = X (ROWS, K) · WT (K, N) in row blocks on every core,
 * each block followed by the epilogue E (kernel_linear.c). */
void k_linear_rows(LowerCtx *c, LVar *out, LVar *x, LVar *wt, LExpr *rows, int64_t k, int64_t n,
                   const KEpilogue *e);
/* The same in row tiles of at most TILE rows (k_row_tiles); with NORM,
 * each tile of X is layernormed into the partition's scratch first and
 * the GEMM (and add_input) read it there. */
void k_linear_tiled(LowerCtx *c, LVar *out, LVar *x, const KNorm *norm, LVar *wt, LExpr *rows, int64_t k,
                    int64_t n, const KEpilogue *e, int64_t tile);
/* An op's row_tile (set by pass_tile), K_ROW_BLOCK when unset. */
static inline int64_t k_row_tile(const IrOp *op) { return ir_attr_int_or(op, "row_tile", K_ROW_BLOCK); }
/* The transpose of the (rows, cols) weight W in fresh op scratch. */
LVar *k_transposed(LowerCtx *c, const IrValue *w);

/* The emitters ops.def's kernel column names (kernel_*.c, one file per
 * family; kernels.c is their table). */
#define IR_OP(id, name, min_in, max_in, n_results, attrs, flags, shape, expand, eval, flops, autodiff, tile, kernel) \
  IR_OP_UNLESS_NONE(kernel, bool kernel(LowerCtx *c, const IrOp *op, Diag *d);, )
#include "ops.def"
#undef IR_OP

/* Reports an op the emitters do not support. */
bool k_unsupported(const IrOp *op, Diag *d, const char *why);

#endif
