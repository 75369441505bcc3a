/* kernel.h — the interface between the lowering driver (lower*.c: entries,
 * buffer placement) and the kernel emitters (kernel_*.c: one per op kind).
 *
 * The driver creates an entry function, binds every graph value it will
 * touch to storage (a pointer parameter plus an offset that may grow with
 * the batch), then asks the emitter of each op, in program order, to append
 * loop IR computing the op's results from its operands. An emitter only
 * reads operand storage and writes result storage; it may declare locals
 * and loops in the current function, and call runtime GEMMs. */
#ifndef CRATEC_KERNEL_H
#define CRATEC_KERNEL_H

#include "ir.h"
#include "loop.h"
#include "target.h"

typedef struct LowerCtx LowerCtx;

LowerCtx *lower_ctx_new(LModule *m, LFunc *f, LVar *batch, const Target *t);
void lower_ctx_free(LowerCtx *c);

/* Where V lives: BASE[offset + offset_per_batch·batch]. */
void lower_bind(LowerCtx *c, const IrValue *v, LVar *base, int64_t offset, int64_t offset_per_batch);
bool lower_is_bound(const LowerCtx *c, const IrValue *v);

/* A fresh f32* (or i64*) expression for V's storage. */
LExpr *lower_buffer(LowerCtx *c, const IrValue *v);
/* A fresh i64 expression for dimension D of a type: the batch variable for
 * IR_BATCH, else the constant. */
LExpr *lower_dim(LowerCtx *c, int64_t d);
/* Elements of V for the current batch, as an i64 expression. */
LExpr *lower_numel(LowerCtx *c, const IrValue *v);

/* Scratch memory for the op being emitted (per-partition softmax rows, packed
 * tiles): FLOATS + FLOATS_PER_BATCH·batch floats, 64-byte aligned, valid
 * until the op's code ends. The driver places the scratch region after
 * every live value (lower_set_scratch_base), resets it before each op
 * (lower_begin_op) and sizes the work buffer with lower_scratch_peak. */
LExpr *lower_scratch(LowerCtx *c, int64_t floats, int64_t floats_per_batch);
void lower_set_scratch_base(LowerCtx *c, LVar *base, int64_t offset, int64_t offset_per_batch);
void lower_begin_op(LowerCtx *c);
/* The largest scratch any op asked for: {floats, floats_per_batch}. */
void lower_scratch_peak(const LowerCtx *c, int64_t *floats, int64_t *floats_per_batch);

LModule *lower_module(LowerCtx *c);
LFunc *lower_func(LowerCtx *c);
const Target *lower_target(LowerCtx *c);
/* A fresh local of the current function; NAME is a hint (made unique). */
LVar *lower_local(LowerCtx *c, const char *name, LType type);
/* Appends S to the current function's body. */
void lower_emit(LowerCtx *c, LStmt *s);

/* The emitter of an op kind: appends the op's code. False (reported to D)
 * for an op it cannot lower (an unsupported attribute, a shape it does not
 * handle). */
typedef bool (*KernelFn)(LowerCtx *c, const IrOp *op, Diag *d);
/* The kernel column of KIND's ops.def row (kernels.c); NULL for none. */
KernelFn kernel_for(IrOpKind kind);

/* ---- flat lowering (lower_flat.c) ----------------------------------------------
 * For checking generated kernels against the reference executor (`cratec
 * verify`, kernel tests): every value of G (batch fixed to BATCH) in its own
 * slot of one f32 arena, no reuse — OFFSET[value id] in floats; i64 values
 * (labels) all read the one labels buffer — followed by the kernels'
 * scratch; FLOATS is the arena's size. PER_OP: one exported function per op,
 * "op<i>(float *arena, int64_t *labels, int64_t batch)" for g->ops.items[i];
 * otherwise one function "all" running every op in program order. */
typedef struct FlatLowering {
  LModule *module;
  int64_t *offset;
  int64_t floats;
} FlatLowering;

bool lower_flat(const Graph *g, int64_t batch, const Target *t, bool per_op, FlatLowering *out, Diag *d);
void flat_lowering_free(FlatLowering *f);

#endif
