/* Floating-point work of an op, for per-operator GFLOP/s (`bench --profile`):
 * a multiply-add counts 2, as model_flops does; only the products are
 * counted (they are the work; normalisations and epilogues are not). */
#include "shape.h"

static int64_t dim(const IrValue *v, int axis, int64_t batch) {
  int64_t d = v->type.dims[axis < 0 ? v->type.rank + axis : axis];
  return d == IR_BATCH ? batch : d;
}

/* Rows of X seen as (rows, last dim). */
static int64_t rows(const IrValue *x, int64_t batch) {
  return ir_type_numel(&x->type, batch) / dim(x, -1, batch);
}

static int64_t mssa_flops(const IrOp *op, int first, int64_t batch) {
  const IrValue *y = op->operands.items[first], *u = op->operands.items[first + 1];
  int64_t b = dim(y, 0, batch), n = dim(y, 1, batch), d = dim(y, 2, batch), kp = dim(u, 0, batch);
  int64_t f = 2 * b * n * d * kp + 4 * b * n * n * kp;   /* projection; S = W Wᵀ and A W per head */
  if (op->operands.len > first + 2) f += 2 * b * n * kp * dim(op->operands.items[first + 2], 0, batch);
  return f;
}

int64_t ir_op_flops(const IrOp *op, int64_t batch) {
  const IrValue *x = op->operands.len ? op->operands.items[0] : NULL;
  switch (op->kind) {
  case IR_OP_LINEAR:
    return 2 * rows(x, batch) * dim(x, -1, batch) * dim(op->operands.items[1], 0, batch);
  case IR_OP_LINEAR_T:
    return 2 * rows(x, batch) * dim(x, -1, batch) * dim(op->operands.items[1], 1, batch);
  case IR_OP_MATMUL: {
    const IrValue *r = op->results.items[0];
    int64_t k = dim(x, ir_attr_int_or(op, "transpose_a", 0) ? -2 : -1, batch);
    return 2 * ir_type_numel(&r->type, batch) * k;
  }
  case IR_OP_MSSA: return mssa_flops(op, 0, batch);
  case IR_OP_MSSA_ADD: return mssa_flops(op, 1, batch);
  case IR_OP_ISTA: return 4 * rows(x, batch) * dim(x, -1, batch) * dim(x, -1, batch);   /* the two-GEMM form */
  case IR_OP_ISTA_APPLY: return 2 * rows(x, batch) * dim(x, -1, batch) * dim(x, -1, batch);
  case IR_OP_ISTA_MATRIX: return 2 * dim(x, 0, batch) * dim(x, 0, batch) * dim(x, 0, batch);
  case IR_OP_LAYERNORM_MSSA_ADD:
  case IR_OP_LAYERNORM_ISTA_APPLY:
  case IR_OP_LAYERNORM_LINEAR_T: {
    NormedView view;
    return ir_op_flops(layernorm_fused_view(op, &view), batch);
  }
  case IR_OP_LINEAR_GRAD:   /* dx = dy·W and dW = dyᵀ·x */
    return 4 * rows(x, batch) * dim(x, -1, batch) * dim(op->operands.items[1], 0, batch);
  case IR_OP_MATMUL_GRAD: {   /* both operands' gradients, each the product's work */
    int64_t k = dim(x, ir_attr_int_or(op, "transpose_a", 0) ? -2 : -1, batch);
    return 4 * ir_type_numel(&op->operands.items[2]->type, batch) * k;
  }
  case IR_OP_MSSA_GRAD: {   /* kernel_grad_mssa.c: W recomputed, dy, dU; per head S and gA, gW's three paths */
    int64_t b = dim(x, 0, batch), n = dim(x, 1, batch), d = dim(x, 2, batch), kp = dim(op->operands.items[1], 0, batch);
    return 6 * b * n * d * kp + 10 * b * n * n * kp;
  }
  case IR_OP_ISTA_GRAD:   /* y·M recomputed, gP·Mᵀ, yᵀ·gP (the d×d products per call are not per image) */
    return 6 * rows(x, batch) * dim(x, -1, batch) * dim(x, -1, batch);
  default: return 0;
  }
}
