/* Shape functions of the fused ops that fusion passes create (docs/ir.md,
 * "Fused ops"). */
#include "shape.h"

/* x (b, N, e), then mssa's operands -> (b, N, e): x + mssa(y, ...) */
bool shape_mssa_add(const IrOp *op, IrType *results, char *err) {
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
