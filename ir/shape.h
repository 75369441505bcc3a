/* shape.h — private to ir/: the shape functions named by ops.def and the
 * checks they share. Each check fills ERR with a message that names the
 * operand and both types, so the verifier can print it after the op. */
#ifndef CRATEC_IR_SHAPE_H
#define CRATEC_IR_SHAPE_H

#include "ir.h"

#define IR_OP(id, name, min_in, max_in, n_results, attrs, flags, shape, ...) \
  bool shape(const IrOp *op, IrType *results, char *err);
#include "ops.def"
#undef IR_OP

/* Formats into ERR (IR_ERR_SIZE bytes) and returns false. */
bool shape_fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Operand I has dtype DT and rank RANK (0: any rank). */
bool shape_expect(const IrOp *op, int i, IrDType dt, int rank, char *err);
/* Dimension AXIS of operand I (negative counts from the end) equals WANT. */
bool shape_expect_dim(const IrOp *op, int i, int axis, int64_t want, char *err);
/* A positive int attribute. */
bool shape_positive_attr(const IrOp *op, const char *name, char *err);

/* The type of operand I. */
static inline const IrType *operand_type(const IrOp *op, int i) { return &op->operands.items[i]->type; }

/* linear's shape: x (..., in), W, optional bias (out) -> (..., out); W is
 * (out, in) with IN_AXIS 1, or (in, out) when stored transposed, IN_AXIS 0. */
bool shape_linear_weights(const IrOp *op, IrType *results, char *err, int in_axis);

/* f32 of rank RANK with DIMS. */
IrType shape_f32(int rank, const int64_t *dims);

/* mssa_add with weights_t = 1 holds U and W_o (operands 2, 3) transposed;
 * its view is the op as without weights_t, those operands' types
 * transposed back (shape_fused.c). V holds the view's storage. */
typedef struct MssaAddView {
  IrOp op;
  IrValue *operands[5];
  IrValue plain[2];
} MssaAddView;
const IrOp *mssa_add_view(const IrOp *op, MssaAddView *v);

/* A layernorm_READER op seen as READER, its normalised operand NORMED (a
 * stand-in with x's type for layernorm(x, γ, β)). ORIGIN[i] is the fused
 * op's operand that the view's operand i is, -1 for NORMED. V holds the
 * view's storage (shape_fused.c). */
typedef struct NormedView {
  IrOp op;
  IrValue *operands[6];
  int origin[6];
  IrValue normed;
} NormedView;
const IrOp *layernorm_fused_view(const IrOp *op, NormedView *v);

#endif
