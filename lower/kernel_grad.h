/* kernel_grad.h — what the emitters of the backward ops (kernel_grad_*.c;
 * the meaning of each op in docs/ir.md, "Backward ops") share.
 * Private to lower/.
 *
 * Thread-count independence: a batch reduction (db, dW, dpos, dcls) never
 * splits its sum over threads; each output element is summed by one item in
 * a fixed order (rows in order, or a GEMM whose K runs over every row), so
 * results are bitwise the same for any number of threads. */
#ifndef CRATEC_KERNEL_GRAD_H
#define CRATEC_KERNEL_GRAD_H

#include "kernel_util.h"

/* Columns per item of a batch sum: 64 (four 16-float vectors) gives enough
 * items to spread a model's widths over the cores, each row's slice one
 * cache line or more. */
enum { KG_SUM_COLS = 64 };

/* The frame of batch sums over column blocks: items are blocks of
 * KG_SUM_COLS of COLS columns, each zeroing OUTS[0..N) over its block, then
 * EACH, the serial loop over ROWS rows (index R, already in the item's
 * body), and ACC, the vector loop over the block's columns (index J): the
 * caller fills ACC and appends it to EACH, after any per-row locals. */
typedef struct KgColumns {
  LStmt *each, *acc;
  LVar *r, *j;
} KgColumns;
KgColumns kg_columns(LowerCtx *c, LExpr *rows, int64_t cols, LVar *const *outs, int n);

/* OUT[j] = Σ_{r < ROWS} IN[r·STRIDE + j] for j < COLS, rows in order: items
 * are blocks of columns, so every column is summed by one thread. */
void kg_sum_rows(LowerCtx *c, LVar *out, LVar *in, LExpr *rows, int64_t stride, int64_t cols);

#endif
