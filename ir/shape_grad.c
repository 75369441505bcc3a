/* Shape functions of the backward ops (docs/ir.md, "Backward ops"). A grad
 * op's leading operands are its forward op's operands, so the forward shape
 * function, run on a view of them, checks them and gives the type the
 * incoming gradient must have; the gradients have their primal's types. */
#include <string.h>

#include "shape.h"

/* FN on OP seen with its first N operands (attributes shared). */
static bool forward_type(const IrOp *op, IrShapeFn fn, int n, IrType *out, char *err) {
  IrOp view = *op;
  view.operands.len = n;
  return fn(&view, out, err);
}

/* Operand I has exactly type WANT. */
static bool expect_type(const IrOp *op, int i, const IrType *want, char *err) {
  if (ir_type_eq(operand_type(op, i), want)) return true;
  StrBuf has = {0}, exp = {0};
  ir_type_format(&has, operand_type(op, i));
  ir_type_format(&exp, want);
  shape_fail(err, "operand %d (%%%s: %s) must be %s", i, op->operands.items[i]->name, has.data,
             exp.data);
  sb_free(&has);
  sb_free(&exp);
  return false;
}

/* Operands (forward operands..., dy) with dy of the forward result's type;
 * results: the types of the first NGRADS forward operands. */
static bool grads_of(const IrOp *op, IrShapeFn fn, int nforward, int ngrads, IrType *results,
                     char *err) {
  IrType y[IR_MAX_RESULTS];
  if (!forward_type(op, fn, nforward, y, err) || !expect_type(op, nforward, &y[0], err))
    return false;
  for (int i = 0; i < ngrads; i++) results[i] = *operand_type(op, i);
  return true;
}

/* logits (b, C), labels i64 (b) -> dlogits (b, C) */
bool shape_cross_entropy_grad(const IrOp *op, IrType *results, char *err) {
  IrType loss;
  if (!forward_type(op, shape_cross_entropy, 2, &loss, err)) return false;
  results[0] = *operand_type(op, 0);
  return true;
}

/* x (..., in), W (out, in), dy (..., out) -> dx (..., in), dW (out, in) */
bool shape_linear_grad(const IrOp *op, IrType *results, char *err) {
  return grads_of(op, shape_linear, 2, 2, results, err);
}

/* dy (..., out) -> (out) */
bool shape_bias_grad(const IrOp *op, IrType *results, char *err) {
  if (!shape_expect(op, 0, IR_F32, 0, err)) return false;
  const IrType *dy = operand_type(op, 0);
  results[0] = shape_f32(1, &dy->dims[dy->rank - 1]);
  return true;
}

/* x (..., d), γ (d), dy (..., d) -> dx (..., d), dγ (d), dβ (d) */
bool shape_layernorm_grad(const IrOp *op, IrType *results, char *err) {
  /* β has γ's type: the view passes γ in its place. */
  IrValue *forward[3] = {op->operands.items[0], op->operands.items[1], op->operands.items[1]};
  IrOp view = *op;
  view.operands.items = forward;
  view.operands.len = 3;
  IrType y;
  if (!shape_layernorm(&view, &y, err) || !expect_type(op, 2, &y, err)) return false;
  results[0] = *operand_type(op, 0);
  results[1] = results[2] = *operand_type(op, 1);
  return true;
}

/* y (b, N, d), U (K·p, d), dO (b, N, K·p) -> dy, dU: MSSA without to_out */
bool shape_mssa_grad(const IrOp *op, IrType *results, char *err) {
  return grads_of(op, shape_mssa, 2, 2, results, err);
}

/* y (b, N, d), D (d, d), dz (b, N, d) -> dy, dD */
bool shape_ista_grad(const IrOp *op, IrType *results, char *err) {
  return grads_of(op, shape_ista, 2, 2, results, err);
}

/* dy (b, d) -> dx (b, tokens, d) */
bool shape_pool_grad(const IrOp *op, IrType *results, char *err) {
  const char *mode = ir_attr_str(op, "mode");
  if (strcmp(mode, "cls") != 0 && strcmp(mode, "mean") != 0)
    return shape_fail(err, "attribute 'mode' must be cls or mean, found '%s'", mode);
  if (!shape_expect(op, 0, IR_F32, 2, err) || !shape_positive_attr(op, "tokens", err)) return false;
  const int64_t *dy = operand_type(op, 0)->dims;
  results[0] = shape_f32(3, (int64_t[]){dy[0], ir_attr_int(op, "tokens"), dy[1]});
  return true;
}

/* dy (b, n+1, d) -> dx (b, n, d), dcls (1, 1, d) */
bool shape_cls_concat_grad(const IrOp *op, IrType *results, char *err) {
  if (!shape_expect(op, 0, IR_F32, 3, err)) return false;
  const int64_t *dy = operand_type(op, 0)->dims;
  if (dy[1] < 2)
    return shape_fail(err, "operand 0 (%%%s) must have at least 2 tokens", op->operands.items[0]->name);
  results[0] = shape_f32(3, (int64_t[]){dy[0], dy[1] - 1, dy[2]});
  results[1] = shape_f32(3, (int64_t[]){1, 1, dy[2]});
  return true;
}

/* dy (b, N, d) -> dtable (1, N, d) */
bool shape_pos_add_grad(const IrOp *op, IrType *results, char *err) {
  if (!shape_expect(op, 0, IR_F32, 3, err)) return false;
  const int64_t *dy = operand_type(op, 0)->dims;
  results[0] = shape_f32(3, (int64_t[]){1, dy[1], dy[2]});
  return true;
}

/* a, c as matmul's, dz (..., M, N) -> da (a's type), dc (c's type) */
bool shape_matmul_grad(const IrOp *op, IrType *results, char *err) {
  return grads_of(op, shape_matmul, 2, 2, results, err);
}
