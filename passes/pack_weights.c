/* pass_pack_weights (inference): the GEMM kernels want weights K-major,
 * Wᵀ, and transposed them on every call: at batch 1 that was a fifth of
 * CRATE-Tiny's forward time. Here a parameter weight W becomes
 * transpose(W), which reads parameters only and so is hoisted into
 * P_prepare (computed once per weights); its readers take it as stored:
 *
 *   linear(x, W, b)                -> linear_t(x, transpose(W), b)
 *   mssa_add(x, y, U, W_o, b_o)    -> mssa_add(x, y, transpose(U), transpose(W_o), b_o)
 *                                     {weights_t = 1}
 *
 * A parameter read by several ops is transposed once. */
#include <stdlib.h>

#include "passes.h"

static bool is_param(const IrValue *v) { return v->kind == IR_VALUE_PARAM && v->type.rank == 2; }

/* transpose(W), the existing one or a new one inserted before OP. */
static IrValue *transposed(Graph *g, IrOp *op, IrValue *w, Diag *d) {
  for (int i = 0; i < g->ops.len; i++) {
    IrOp *t = g->ops.items[i];
    if (t->kind == IR_OP_TRANSPOSE && t->operands.items[0] == w) return t->results.items[0];
  }
  g->insert_at = ir_op_index(g, op);
  char *name = xasprintf("%s.t", w->name);
  IrValue *t = ir_emit1(g, IR_OP_TRANSPOSE, &w, 1, name, d);
  free(name);
  g->insert_at = -1;
  return t;
}

static bool pack_linear(Graph *g, IrOp *op, Diag *d) {
  IrValue *wt = transposed(g, op, op->operands.items[1], d);
  if (!wt) return false;
  IrValue *operands[3] = {op->operands.items[0], wt, op->operands.len == 3 ? op->operands.items[2] : NULL};
  IrOp *lt = ir_op_new(IR_OP_LINEAR_T, operands, op->operands.len);
  ir_attr_copy_all(lt, op);
  return ir_replace_op(g, op, lt, d);
}

static bool pack_mssa_add(Graph *g, IrOp *op, Diag *d) {
  for (int i = 2; i < op->operands.len && i < 4; i++) {
    IrValue *wt = transposed(g, op, op->operands.items[i], d);
    if (!wt) return false;
    op->operands.items[i] = wt;
  }
  ir_set_int(op, "weights_t", 1);
  return true;
}

bool pass_pack_weights(Graph *g, const Target *t, Diag *d) {
  (void)t;
  for (int i = 0; i < g->ops.len; i++) {
    IrOp *op = g->ops.items[i];
    bool ok = true;
    if (op->kind == IR_OP_LINEAR && is_param(op->operands.items[1]))
      ok = pack_linear(g, op, d);
    else if (op->kind == IR_OP_MSSA_ADD && !ir_attr_int_or(op, "weights_t", 0) &&
             is_param(op->operands.items[2]) && (op->operands.len < 4 || is_param(op->operands.items[3])))
      ok = pack_mssa_add(g, op, d);
    if (!ok) return false;
  }
  return true;
}
