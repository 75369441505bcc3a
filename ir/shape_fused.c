/* Shape functions of the fused ops that fusion passes create (docs/ir.md,
 * "Fused ops"). */
#include "shape.h"

const IrOp *mssa_add_view(const IrOp *op, MssaAddView *v) {
  if (!ir_attr_int_or(op, "weights_t", 0) || op->operands.len > 5) return op;
  v->op = *op;
  for (int i = 0; i < op->operands.len; i++) {
    v->operands[i] = op->operands.items[i];
    IrType *t = &v->operands[i]->type;
    if ((i == 2 || i == 3) && t->rank == 2) {
      v->plain[i - 2] = *v->operands[i];
      v->plain[i - 2].type.dims[0] = t->dims[1];
      v->plain[i - 2].type.dims[1] = t->dims[0];
      v->operands[i] = &v->plain[i - 2];
    }
  }
  v->op.operands.items = v->operands;
  return &v->op;
}

/* x (b, N, e), then mssa's operands -> (b, N, e): x + mssa(y, ...); with
 * weights_t, U (d, h·p) and W_o (h·p, e) as stored transposed */
bool shape_mssa_add(const IrOp *op, IrType *results, char *err) {
  MssaAddView view;
  op = mssa_add_view(op, &view);
  IrOp inner = *op;
  inner.operands.items = op->operands.items + 1;
  inner.operands.len = op->operands.len - 1;
  if (!shape_mssa(&inner, results, err) || !shape_expect(op, 0, IR_F32, 3, err)) return false;
  if (!ir_type_eq(operand_type(op, 0), &results[0])) {
    StrBuf want = {0};
    ir_type_format(&want, &results[0]);
    shape_fail(err, "operand 0 (%%%s) must have mssa's result type %s", op->operands.items[0]->name, want.data);
    sb_free(&want);
    return false;
  }
  return true;
}

/* D (d, d) -> M (d, d) = I + step·(D − DᵀD) */
bool shape_ista_matrix(const IrOp *op, IrType *results, char *err) {
  if (!shape_expect(op, 0, IR_F32, 2, err)) return false;
  if (!shape_expect_dim(op, 0, 1, operand_type(op, 0)->dims[0], err)) return false;
  results[0] = *operand_type(op, 0);
  return true;
}

/* y (..., d), M (d, d) -> (..., d) = relu(y M − threshold) */
bool shape_ista_apply(const IrOp *op, IrType *results, char *err) {
  if (!shape_expect(op, 0, IR_F32, 0, err) || !shape_expect(op, 1, IR_F32, 2, err)) return false;
  int64_t d = operand_type(op, 0)->dims[operand_type(op, 0)->rank - 1];
  if (!shape_expect_dim(op, 1, 0, d, err) || !shape_expect_dim(op, 1, 1, d, err)) return false;
  results[0] = *operand_type(op, 0);
  return true;
}

/* W (r, c) -> Wᵀ (c, r) */
bool shape_transpose(const IrOp *op, IrType *results, char *err) {
  if (!shape_expect(op, 0, IR_F32, 2, err)) return false;
  const int64_t *w = operand_type(op, 0)->dims;
  results[0] = shape_f32(2, (int64_t[]){w[1], w[0]});
  return true;
}

/* x (..., k), Wᵀ (k, n) [, b (n)] -> (..., n) = x Wᵀ + b: linear with its
 * weight stored transposed */
bool shape_linear_t(const IrOp *op, IrType *results, char *err) {
  return shape_linear_weights(op, results, err, 0);
}
