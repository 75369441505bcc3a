/* Floating-point work of an op, for per-operator GFLOP/s (`bench --profile`):
 * a multiply-add counts 2, as model_flops does; only the products are
 * counted (they are the work; normalisations and epilogues are not). One
 * function per op kind with products, named by ops.def's flops column. */
#include "op_columns.h"
#include "shape.h"

typedef int64_t (*FlopsFn)(const IrOp *op, int64_t batch);

#define IR_OP(id, name, min_in, max_in, n_results, attrs, flags, shape, expand, eval, flops, ...) \
  IR_OP_UNLESS_NONE(flops, static int64_t flops(const IrOp *op, int64_t batch);, )
#include "ops.def"
#undef IR_OP

static const FlopsFn flops_table[IR_OP_COUNT] = {
#define IR_OP(id, name, min_in, max_in, n_results, attrs, flags, shape, expand, eval, flops, ...) \
  [IR_OP_##id] = IR_OP_FN(flops),
#include "ops.def"
#undef IR_OP
};

int64_t ir_op_flops(const IrOp *op, int64_t batch) {
  FlopsFn f = flops_table[op->kind];
  return f ? f(op, batch) : 0;
}

bool ir_op_has_flops(IrOpKind kind) { return flops_table[kind] != NULL; }

static int64_t dim(const IrValue *v, int axis, int64_t batch) {
  int64_t d = v->type.dims[axis < 0 ? v->type.rank + axis : axis];
  return d == IR_BATCH ? batch : d;
}

/* Rows of X seen as (rows, last dim). */
static int64_t rows(const IrValue *x, int64_t batch) {
  return ir_type_numel(&x->type, batch) / dim(x, -1, batch);
}

static const IrValue *operand(const IrOp *op, int i) { return op->operands.items[i]; }

static int64_t flops_linear(const IrOp *op, int64_t batch) {
  const IrValue *x = operand(op, 0);
  return 2 * rows(x, batch) * dim(x, -1, batch) * dim(operand(op, 1), 0, batch);
}

static int64_t flops_linear_t(const IrOp *op, int64_t batch) {
  const IrValue *x = operand(op, 0);
  return 2 * rows(x, batch) * dim(x, -1, batch) * dim(operand(op, 1), 1, batch);
}

/* The inner dimension of a matmul or matmul_grad. */
static int64_t matmul_k(const IrOp *op, int64_t batch) {
  return dim(operand(op, 0), ir_attr_int_or(op, "transpose_a", 0) ? -2 : -1, batch);
}

static int64_t flops_matmul(const IrOp *op, int64_t batch) {
  return 2 * ir_type_numel(&op->results.items[0]->type, batch) * matmul_k(op, batch);
}

/* mssa's operands from FIRST on: y, U [, W_o]. */
static int64_t mssa_flops(const IrOp *op, int first, int64_t batch) {
  const IrValue *y = operand(op, first), *u = operand(op, first + 1);
  int64_t b = dim(y, 0, batch), n = dim(y, 1, batch), d = dim(y, 2, batch), kp = dim(u, 0, batch);
  int64_t f = 2 * b * n * d * kp + 4 * b * n * n * kp;   /* projection; S = W Wᵀ and A W per head */
  if (op->operands.len > first + 2) f += 2 * b * n * kp * dim(operand(op, first + 2), 0, batch);
  return f;
}

static int64_t flops_mssa(const IrOp *op, int64_t batch) { return mssa_flops(op, 0, batch); }
static int64_t flops_mssa_add(const IrOp *op, int64_t batch) { return mssa_flops(op, 1, batch); }

/* The two-GEMM form. */
static int64_t flops_ista(const IrOp *op, int64_t batch) {
  const IrValue *x = operand(op, 0);
  return 4 * rows(x, batch) * dim(x, -1, batch) * dim(x, -1, batch);
}

static int64_t flops_ista_apply(const IrOp *op, int64_t batch) {
  const IrValue *x = operand(op, 0);
  return 2 * rows(x, batch) * dim(x, -1, batch) * dim(x, -1, batch);
}

static int64_t flops_ista_matrix(const IrOp *op, int64_t batch) {
  int64_t d = dim(operand(op, 0), 0, batch);
  return 2 * d * d * d;
}

static int64_t flops_layernorm_fused(const IrOp *op, int64_t batch) {
  NormedView view;
  return ir_op_flops(layernorm_fused_view(op, &view), batch);
}

/* dx = dy·W and dW = dyᵀ·x */
static int64_t flops_linear_grad(const IrOp *op, int64_t batch) { return 2 * flops_linear(op, batch); }

/* Both operands' gradients, each the product's work. */
static int64_t flops_matmul_grad(const IrOp *op, int64_t batch) {
  return 4 * ir_type_numel(&operand(op, 2)->type, batch) * matmul_k(op, batch);
}

/* kernel_grad_mssa.c: W recomputed, dy, dU; per head S and gA, gW's three paths */
static int64_t flops_mssa_grad(const IrOp *op, int64_t batch) {
  const IrValue *x = operand(op, 0);
  int64_t b = dim(x, 0, batch), n = dim(x, 1, batch), d = dim(x, 2, batch), kp = dim(operand(op, 1), 0, batch);
  return 6 * b * n * d * kp + 10 * b * n * n * kp;
}

/* y·M recomputed, gP·Mᵀ, yᵀ·gP (the d×d products per call are not per image) */
static int64_t flops_ista_grad(const IrOp *op, int64_t batch) { return 3 * flops_ista_apply(op, batch); }
