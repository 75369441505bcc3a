/* pass_fuse_layernorm (inference): a layernorm read by one GEMM kernel
 * becomes part of that kernel, which normalises each row tile into its
 * scratch just before the tile's GEMM:
 *
 *   mssa_add(x, layernorm(x, γ, β), U, …)  -> layernorm_mssa_add(x, γ, β, U, …)
 *   ista_apply(layernorm(x, γ, β), E)      -> layernorm_ista_apply(x, γ, β, E)
 *   linear_t(layernorm(x, γ, β), Wᵀ, b)    -> layernorm_linear_t(x, γ, β, Wᵀ, b)
 *
 * The normalised activations are then never written out and read back
 * (a tile of them stays in cache), and each layernorm's own parallel loop
 * is gone. Only when the kernel is the layernorm result's one reader and
 * no output needs it. It matches the ops that fuse_mssa, fold_ista and
 * pack_weights make, so it runs after them. */
#include "passes.h"

static bool fuse(Graph *g, IrOp *norm, IrOp *reader, IrOpKind kind, int slot, Diag *d) {
  IrValue *operands[6];
  int n = 0;
  for (int i = 0; i < 3; i++) operands[n++] = norm->operands.items[i];
  for (int i = slot + 1; i < reader->operands.len; i++) operands[n++] = reader->operands.items[i];
  IrOp *fused = ir_op_new(kind, operands, n);
  ir_set_float(fused, "eps", ir_attr_float(norm, "eps"));
  ir_attr_copy_all(fused, reader);
  if (!ir_replace_op(g, reader, fused, d)) return false;
  ir_remove_op(g, norm);
  return true;
}

/* The op NORM fuses into, with its kind and slot, or NULL. */
static IrOp *fusable_reader(const Graph *g, const IrOp *norm, IrOpKind *kind, int *slot) {
  const IrValue *y = norm->results.items[0];
  IrOp *reader = ir_sole_user(g, y);
  if (!reader || ir_is_output(g, y)) return NULL;
  *kind = ir_layernorm_fused_kind(reader->kind, slot);
  if (*kind == IR_OP_COUNT || reader->operands.items[*slot] != y) return NULL;
  for (int i = 0; i < *slot; i++)
    if (reader->operands.items[i] != norm->operands.items[0]) return NULL;
  return reader;
}

bool pass_fuse_layernorm(Graph *g, const Target *t, Diag *d) {
  (void)t;
  for (int i = 0; i < g->ops.len; i++) {
    IrOp *op = g->ops.items[i], *reader;
    IrOpKind kind;
    int slot;
    if (op->kind != IR_OP_LAYERNORM || !(reader = fusable_reader(g, op, &kind, &slot))) continue;
    if (!fuse(g, op, reader, kind, slot, d)) return false;
    i--;   /* the layernorm at I is gone */
  }
  return true;
}
