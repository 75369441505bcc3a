/* Shape functions of the primitives that composite ops lower to. */
#include "shape.h"

/* a (..., M, K), b (..., K, N) with the same leading dimensions, or b (K, N)
 * shared by every leading index -> (..., M, N): alpha · op(a) op(b), where
 * op transposes the last two axes when transpose_a / transpose_b is 1. */
bool shape_matmul(const IrOp *op, IrType *results, char *err) {
  int64_t ta = ir_attr_int_or(op, "transpose_a", 0), tb = ir_attr_int_or(op, "transpose_b", 0);
  if ((ta != 0 && ta != 1) || (tb != 0 && tb != 1))
    return shape_fail(err, "attributes 'transpose_a' and 'transpose_b' must be 0 or 1");
  if (!shape_expect(op, 0, IR_F32, 0, err) || !shape_expect(op, 1, IR_F32, 0, err)) return false;
  const IrType *a = operand_type(op, 0), *b = operand_type(op, 1);
  if (a->rank < 2) return shape_fail(err, "operand 0 (%%%s) must have rank 2 or more", op->operands.items[0]->name);
  if (b->rank != 2 && b->rank != a->rank)
    return shape_fail(err, "operand 1 (%%%s) must have rank 2 or the rank of operand 0 (%d)",
                      op->operands.items[1]->name, a->rank);
  for (int i = 0; i < b->rank - 2; i++)
    if (!shape_expect_dim(op, 1, i, a->dims[i], err)) return false;
  int ra = a->rank, rb = b->rank;
  int64_t m = a->dims[ra - 2 + (int)ta], k = a->dims[ra - 1 - (int)ta];
  int64_t kb = b->dims[rb - 2 + (int)tb], n = b->dims[rb - 1 - (int)tb];
  if (k != kb)
    return shape_fail(err, "inner dimensions differ: %lld (operand 0) and %lld (operand 1)",
                      (long long)k, (long long)kb);
  results[0] = *a;
  results[0].dims[ra - 2] = m;
  results[0].dims[ra - 1] = n;
  return true;
}

/* x (...) -> (...), normalised over the last axis */
bool shape_softmax(const IrOp *op, IrType *results, char *err) {
  if (!shape_expect(op, 0, IR_F32, 0, err)) return false;
  results[0] = *operand_type(op, 0);
  return true;
}

/* x (b, N, K·p) -> (b, K, N, p): head k takes columns k·p .. k·p+p−1 */
bool shape_split_heads(const IrOp *op, IrType *results, char *err) {
  if (!shape_expect(op, 0, IR_F32, 3, err) || !shape_positive_attr(op, "heads", err)) return false;
  const int64_t *x = operand_type(op, 0)->dims;
  int64_t heads = ir_attr_int(op, "heads");
  if (x[2] % heads)
    return shape_fail(err, "%lld columns do not split into %lld heads", (long long)x[2],
                      (long long)heads);
  results[0] = shape_f32(4, (int64_t[]){x[0], heads, x[1], x[2] / heads});
  return true;
}

/* x (b, K, N, p) -> (b, N, K·p): the inverse of split_heads */
bool shape_merge_heads(const IrOp *op, IrType *results, char *err) {
  if (!shape_expect(op, 0, IR_F32, 4, err)) return false;
  const int64_t *x = operand_type(op, 0)->dims;
  results[0] = shape_f32(3, (int64_t[]){x[0], x[2], x[1] * x[3]});
  return true;
}

/* scores (..., N, N) -> the same: query i of each trailing N×N matrix sees
 * keys 0..i. */
bool shape_causal_mask(const IrOp *op, IrType *results, char *err) {
  if (!shape_expect(op, 0, IR_F32, 0, err)) return false;
  const IrType *t = operand_type(op, 0);
  if (t->rank < 2) return shape_fail(err, "operand 0 must have rank 2 or more (queries, keys)");
  if (!shape_expect_dim(op, 0, -2, t->dims[t->rank - 1], err)) return false;
  results[0] = *t;
  return true;
}
