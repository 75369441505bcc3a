/* pass_fuse_mssa: x + mssa(y, ...) -> mssa_add(x, y, ...), so the residual
 * add happens in the output projection's epilogue instead of another pass
 * over the activations. Only when the add is the mssa result's one use and
 * the result is no graph output (training graphs keep it for backward). */

#include "passes.h"

static bool fuse(Graph *g, IrOp *mssa, IrOp *add, Diag *d) {
  IrValue *r = mssa->results.items[0];
  IrValue *x = add->operands.items[0] == r ? add->operands.items[1] : add->operands.items[0];
  IrValue *operands[5] = {x};
  for (int i = 0; i < mssa->operands.len; i++) operands[i + 1] = mssa->operands.items[i];
  IrOp *fused = ir_op_new(IR_OP_MSSA_ADD, operands, mssa->operands.len + 1);
  ir_attr_copy_all(fused, mssa);
  if (!ir_replace_op(g, add, fused, d)) return false;
  ir_remove_op(g, mssa);
  return true;
}

bool pass_fuse_mssa(Graph *g, const Target *t, Diag *d) {
  (void)t;
  for (int i = 0; i < g->ops.len; i++) {
    IrOp *op = g->ops.items[i];
    if (op->kind != IR_OP_MSSA || ir_is_output(g, op->results.items[0])) continue;
    IrOp *add = ir_sole_user(g, op->results.items[0]);
    /* x + x would need the mssa result on both sides */
    if (!add || add->kind != IR_OP_ADD || add->operands.items[0] == add->operands.items[1]) continue;
    if (!fuse(g, op, add, d)) return false;
    i = -1;   /* indices moved: start over (each fusion removes an mssa) */
  }
  return true;
}
