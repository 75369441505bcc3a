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

/* Each layernorm_READER op, READER, and the operand of READER the
 * normalised x takes. */
static const struct {
  IrOpKind fused, reader;
  int slot;
} layernorm_fusions[] = {
    {IR_OP_LAYERNORM_MSSA_ADD, IR_OP_MSSA_ADD, 1},   /* mssa_add(x, LN(x), …) */
    {IR_OP_LAYERNORM_ISTA_APPLY, IR_OP_ISTA_APPLY, 0},
    {IR_OP_LAYERNORM_LINEAR_T, IR_OP_LINEAR_T, 0},
};
#define NFUSIONS ((int)(sizeof layernorm_fusions / sizeof *layernorm_fusions))

IrOpKind ir_layernorm_fused_kind(IrOpKind reader, int *slot) {
  for (int i = 0; i < NFUSIONS; i++)
    if (layernorm_fusions[i].reader == reader) {
      *slot = layernorm_fusions[i].slot;
      return layernorm_fusions[i].fused;
    }
  return IR_OP_COUNT;
}

/* The fused op's operands are x, γ, β, then READER's operands after SLOT
 * (mssa_add's x before its slot is the fused op's x). */
const IrOp *layernorm_fused_view(const IrOp *op, NormedView *v) {
  int f = 0;
  while (layernorm_fusions[f].fused != op->kind) f++;
  int slot = layernorm_fusions[f].slot, n = op->operands.len - 2 + slot;
  v->op = *op;
  v->op.kind = layernorm_fusions[f].reader;
  v->normed = *op->operands.items[0];
  v->normed.kind = IR_VALUE_RESULT;
  v->normed.def = NULL;
  for (int i = 0; i < n; i++) {
    v->origin[i] = i < slot ? i : i == slot ? -1 : i + 2 - slot;
    v->operands[i] = v->origin[i] < 0 ? &v->normed : op->operands.items[v->origin[i]];
  }
  v->op.operands.items = v->operands;
  v->op.operands.len = n;
  return &v->op;
}

/* x, γ, β as layernorm's, then READER's shape on the normalised x (its
 * messages number READER's operands, so they say so). */
bool shape_layernorm_fused(const IrOp *op, IrType *results, char *err) {
  if (!shape_layernorm(op, results, err)) return false;
  NormedView view;
  const IrOp *reader = layernorm_fused_view(op, &view);
  char why[IR_ERR_SIZE];
  if (ir_op_info(reader->kind)->shape(reader, results, why)) return true;
  return shape_fail(err, "as %s on the normalised x: %s", ir_op_name(reader->kind), why);
}
