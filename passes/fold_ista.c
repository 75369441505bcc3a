/* pass_fold_ista (inference): ista(y, D) -> ista_apply(y, ista_matrix(D)),
 * one GEMM per token with E = η(D − DᵀD), y + y·E, instead of three (docs/model.md §2.5:
 * the same function up to float rounding). ista_matrix reads parameters
 * only, so the pipeline hoists it out of the per-batch code. A dictionary
 * that other ops read too (a training graph's backward) is left alone. */
#include <stdlib.h>

#include "passes.h"

static bool fold(Graph *g, IrOp *ista, Diag *d) {
  IrValue *y = ista->operands.items[0], *dict = ista->operands.items[1];
  double step = ir_attr_float(ista, "step"), lambda = ir_attr_float(ista, "lambda");
  g->insert_at = ir_op_index(g, ista);
  IrOp *matrix = ir_op_new(IR_OP_ISTA_MATRIX, &dict, 1);
  ir_set_float(matrix, "step", step);
  char *mname = xasprintf("%s.matrix", ista->results.items[0]->name);
  IrValue *m = ir_emit(g, matrix, (const char *const *)&mname, d);
  free(mname);
  g->insert_at = -1;
  if (!m) return false;
  IrOp *apply = ir_op_new(IR_OP_ISTA_APPLY, (IrValue *[]){y, m}, 2);
  ir_set_float(apply, "threshold", step * lambda);
  return ir_replace_op(g, ista, apply, d);
}

bool pass_fold_ista(Graph *g, const Target *t, Diag *d) {
  (void)t;
  for (int i = 0; i < g->ops.len; i++) {
    IrOp *op = g->ops.items[i];
    if (op->kind != IR_OP_ISTA || ir_use_count(g, op->operands.items[1]) != 1) continue;
    if (!fold(g, op, d)) return false;
  }
  return true;
}
