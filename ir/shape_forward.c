/* Shape functions of the forward CRATE ops (docs/model.md §2; docs/ir.md lists the
 * shapes). A dimension written b passes through unchanged: the batch B in
 * built graphs, any constant in hand-written ones. */
#include <string.h>

#include "shape.h"

/* images (b, C, H, W) -> patches (b, (H/p1)·(W/p2), p1·p2·C), docs/model.md §2.1 */
bool shape_patchify(const IrOp *op, IrType *results, char *err) {
  if (!shape_expect(op, 0, IR_F32, 4, err) || !shape_positive_attr(op, "p1", err) ||
      !shape_positive_attr(op, "p2", err))
    return false;
  const int64_t *x = operand_type(op, 0)->dims;
  int64_t p1 = ir_attr_int(op, "p1"), p2 = ir_attr_int(op, "p2");
  if (x[2] % p1 || x[3] % p2)
    return shape_fail(err, "image %lldx%lld is not a whole number of %lldx%lld patches",
                      (long long)x[2], (long long)x[3], (long long)p1, (long long)p2);
  results[0] = shape_f32(3, (int64_t[]){x[0], (x[2] / p1) * (x[3] / p2), p1 * p2 * x[1]});
  return true;
}

/* x (..., d), gamma (d), beta (d) -> (..., d) */
bool shape_layernorm(const IrOp *op, IrType *results, char *err) {
  if (!shape_expect(op, 0, IR_F32, 0, err)) return false;
  int64_t d = operand_type(op, 0)->dims[operand_type(op, 0)->rank - 1];
  for (int i = 1; i <= 2; i++)
    if (!shape_expect(op, i, IR_F32, 1, err) || !shape_expect_dim(op, i, 0, d, err)) return false;
  if (!(ir_attr_float(op, "eps") > 0))
    return shape_fail(err, "attribute 'eps' must be positive");
  results[0] = *operand_type(op, 0);
  return true;
}

bool shape_linear_weights(const IrOp *op, IrType *results, char *err, int in_axis) {
  if (!shape_expect(op, 0, IR_F32, 0, err) || !shape_expect(op, 1, IR_F32, 2, err)) return false;
  const IrType *x = operand_type(op, 0);
  int64_t out = operand_type(op, 1)->dims[1 - in_axis];
  if (!shape_expect_dim(op, 1, in_axis, x->dims[x->rank - 1], err)) return false;
  if (op->operands.len == 3 &&
      (!shape_expect(op, 2, IR_F32, 1, err) || !shape_expect_dim(op, 2, 0, out, err)))
    return false;
  results[0] = *x;
  results[0].dims[x->rank - 1] = out;
  return true;
}

/* x (..., in), weight (out, in), bias (out) optional -> (..., out): x Wᵀ + b */
bool shape_linear(const IrOp *op, IrType *results, char *err) {
  return shape_linear_weights(op, results, err, 1);
}

/* x (b, n, d), cls (1, 1, d) -> (b, n+1, d): the cls token becomes token 0 */
bool shape_cls_concat(const IrOp *op, IrType *results, char *err) {
  if (!shape_expect(op, 0, IR_F32, 3, err) || !shape_expect(op, 1, IR_F32, 3, err)) return false;
  const int64_t *x = operand_type(op, 0)->dims;
  if (!shape_expect_dim(op, 1, 0, 1, err) || !shape_expect_dim(op, 1, 1, 1, err) ||
      !shape_expect_dim(op, 1, 2, x[2], err))
    return false;
  results[0] = shape_f32(3, (int64_t[]){x[0], x[1] + 1, x[2]});
  return true;
}

/* x (b, N, d), table (1, N, d) -> (b, N, d) */
bool shape_pos_add(const IrOp *op, IrType *results, char *err) {
  if (!shape_expect(op, 0, IR_F32, 3, err) || !shape_expect(op, 1, IR_F32, 3, err)) return false;
  const int64_t *x = operand_type(op, 0)->dims;
  if (!shape_expect_dim(op, 1, 0, 1, err) || !shape_expect_dim(op, 1, 1, x[1], err) ||
      !shape_expect_dim(op, 1, 2, x[2], err))
    return false;
  results[0] = *operand_type(op, 0);
  return true;
}

/* y (b, N, d), qkv (K·p, d) [, to_out weight (e, K·p), to_out bias (e)]
 * -> (b, N, e), or (b, N, K·p) without the output projection; docs/model.md §2.4 */
bool shape_mssa(const IrOp *op, IrType *results, char *err) {
  if (op->operands.len == 3)
    return shape_fail(err, "takes y and qkv, plus both or neither of to_out weight and bias");
  if (!shape_expect(op, 0, IR_F32, 3, err) || !shape_expect(op, 1, IR_F32, 2, err) ||
      !shape_positive_attr(op, "heads", err) || !shape_positive_attr(op, "dim_head", err))
    return false;
  const int64_t *y = operand_type(op, 0)->dims;
  int64_t inner = ir_attr_int(op, "heads") * ir_attr_int(op, "dim_head");
  if (!shape_expect_dim(op, 1, 0, inner, err) || !shape_expect_dim(op, 1, 1, y[2], err))
    return false;
  int64_t out = inner;
  if (op->operands.len == 4) {
    if (!shape_expect(op, 2, IR_F32, 2, err) || !shape_expect_dim(op, 2, 1, inner, err)) return false;
    out = operand_type(op, 2)->dims[0];
    if (!shape_expect(op, 3, IR_F32, 1, err) || !shape_expect_dim(op, 3, 0, out, err)) return false;
  }
  results[0] = shape_f32(3, (int64_t[]){y[0], y[1], out});
  return true;
}

/* y (b, N, d), dictionary D (d, d) -> (b, N, d); docs/model.md §2.5 */
bool shape_ista(const IrOp *op, IrType *results, char *err) {
  if (!shape_expect(op, 0, IR_F32, 3, err) || !shape_expect(op, 1, IR_F32, 2, err)) return false;
  int64_t d = operand_type(op, 0)->dims[2];
  if (!shape_expect_dim(op, 1, 0, d, err) || !shape_expect_dim(op, 1, 1, d, err)) return false;
  results[0] = *operand_type(op, 0);
  return true;
}

/* add, sub (a, b of one type), scale, shrink (one operand) -> the same type */
bool shape_elementwise(const IrOp *op, IrType *results, char *err) {
  for (int i = 0; i < op->operands.len; i++) {
    if (!shape_expect(op, i, IR_F32, 0, err)) return false;
    if (!ir_type_eq(operand_type(op, i), operand_type(op, 0))) {
      StrBuf a = {0}, b = {0};
      ir_type_format(&a, operand_type(op, 0));
      ir_type_format(&b, operand_type(op, i));
      shape_fail(err, "operand %d (%%%s: %s) does not match operand 0 (%%%s: %s)", i,
                 op->operands.items[i]->name, b.data, op->operands.items[0]->name, a.data);
      sb_free(&a);
      sb_free(&b);
      return false;
    }
  }
  results[0] = *operand_type(op, 0);
  return true;
}

/* x (b, N, d) -> (b, d): token 0 (mode cls) or the mean of all N (mode mean) */
bool shape_pool(const IrOp *op, IrType *results, char *err) {
  const char *mode = ir_attr_str(op, "mode");
  if (strcmp(mode, "cls") != 0 && strcmp(mode, "mean") != 0)
    return shape_fail(err, "attribute 'mode' must be cls or mean, found '%s'", mode);
  if (!shape_expect(op, 0, IR_F32, 3, err)) return false;
  const int64_t *x = operand_type(op, 0)->dims;
  results[0] = shape_f32(2, (int64_t[]){x[0], x[2]});
  return true;
}

/* logits (b, classes), labels i64 (b) -> loss (1): the batch mean; docs/model.md §4.1 */
bool shape_cross_entropy(const IrOp *op, IrType *results, char *err) {
  if (!shape_expect(op, 0, IR_F32, 2, err) || !shape_expect(op, 1, IR_I64, 1, err) ||
      !shape_expect_dim(op, 1, 0, operand_type(op, 0)->dims[0], err))
    return false;
  double s = ir_attr_float(op, "label_smoothing");
  if (!(s >= 0 && s <= 1))
    return shape_fail(err, "attribute 'label_smoothing' must be in [0, 1], found %g", s);
  results[0] = shape_f32(1, (int64_t[]){1});
  return true;
}
