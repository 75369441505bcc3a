/* Composite ops to primitives. Each composite op is replaced in place by the
 * formula it stands for, written with the primitives of ops.def by the
 * function its row names in the expand column; the last primitive takes
 * over the composite's name so the rest of the dump reads the same. Passes
 * that want the whole operator (fusion) run before this. */
#include <stdlib.h>

#include "ir.h"
#include "op_columns.h"

typedef struct Expansion {
  Graph *g;
  Diag *d;
  const char *base;   /* the composite's result name: prefix of the new values */
  bool failed;
} Expansion;

static IrValue *emit(Expansion *ex, IrOp *op, const char *suffix) {
  if (ex->failed) {
    ir_op_free(op);
    return NULL;
  }
  char *name = xasprintf("%s.%s", ex->base, suffix);
  IrValue *v = ir_emit(ex->g, op, (const char *const *)&name, ex->d);
  free(name);
  ex->failed = !v;
  return v;
}

static IrOp *matmul(IrValue *a, IrValue *b, bool transpose_b) {
  IrOp *op = ir_op_new(IR_OP_MATMUL, (IrValue *[]){a, b}, 2);
  if (transpose_b) ir_set_int(op, "transpose_b", 1);
  return op;
}

/* docs/model.md §2.4, all heads at once: W = Y Uᵀ split into heads; per head
 * A = softmax(s·W Wᵀ), O = A W; heads merged, then the output projection. */
static IrValue *expand_mssa(Expansion *ex, const IrOp *op) {
  IrValue *const *in = op->operands.items;
  IrValue *w = emit(ex, ir_op_new(IR_OP_LINEAR, in, 2), "w");
  IrOp *split = ir_op_new(IR_OP_SPLIT_HEADS, &w, 1);
  ir_set_int(split, "heads", ir_attr_int(op, "heads"));
  IrValue *heads = emit(ex, split, "w_heads");
  IrOp *similarity = matmul(heads, heads, true);
  ir_set_float(similarity, "alpha", ir_attr_float(op, "scale"));
  IrValue *scores = emit(ex, similarity, "scores");
  IrValue *attn = emit(ex, ir_op_new(IR_OP_SOFTMAX, &scores, 1), "attn");
  IrValue *mixed = emit(ex, matmul(attn, heads, false), "o_heads");
  IrValue *merged = emit(ex, ir_op_new(IR_OP_MERGE_HEADS, &mixed, 1), "o");
  if (op->operands.len == 2) return merged;
  return emit(ex, ir_op_new(IR_OP_LINEAR, (IrValue *[]){merged, in[2], in[3]}, 3), "out");
}

/* docs/model.md §2.5: relu(y + η(y D − y Dᵀ D) − ηλ). */
static IrValue *expand_ista(Expansion *ex, const IrOp *op) {
  IrValue *y = op->operands.items[0], *dict = op->operands.items[1];
  double step = ir_attr_float(op, "step"), lambda = ir_attr_float(op, "lambda");
  IrValue *y_dt = emit(ex, matmul(y, dict, true), "yDt");
  IrValue *y_dtd = emit(ex, matmul(y_dt, dict, false), "yDtD");
  IrValue *y_d = emit(ex, matmul(y, dict, false), "yD");
  IrValue *grad = emit(ex, ir_op_new(IR_OP_SUB, (IrValue *[]){y_d, y_dtd}, 2), "grad");
  IrOp *scale = ir_op_new(IR_OP_SCALE, &grad, 1);
  ir_set_float(scale, "alpha", step);
  IrValue *scaled = emit(ex, scale, "step");
  IrValue *pre = emit(ex, ir_op_new(IR_OP_ADD, (IrValue *[]){y, scaled}, 2), "pre");
  IrOp *shrink = ir_op_new(IR_OP_SHRINK, &pre, 1);
  ir_set_float(shrink, "threshold", step * lambda);
  return emit(ex, shrink, "out");
}

typedef IrValue *(*ExpandFn)(Expansion *ex, const IrOp *op);

static const ExpandFn expansions[IR_OP_COUNT] = {
#define IR_OP(id, name, min_in, max_in, n_results, attrs, flags, shape, expand, ...) \
  [IR_OP_##id] = IR_OP_FN(expand),
#include "ops.def"
#undef IR_OP
};

bool ir_op_expands(IrOpKind kind) { return expansions[kind] != NULL; }

bool ir_expand_composites(Graph *g, Diag *d) {
  for (int i = 0; i < g->ops.len; i++) {
    IrOp *op = g->ops.items[i];
    ExpandFn expand = expansions[op->kind];
    if (!expand) continue;
    IrValue *old = op->results.items[0];
    Expansion ex = {g, d, old->name, false};
    g->insert_at = i;
    IrValue *result = expand(&ex, op);
    g->insert_at = -1;
    if (!result) return false;
    ir_replace_uses(g, old, result);
    char *name = old->name;
    old->name = NULL;
    ir_remove_op(g, op);
    free(result->name);
    result->name = name;
    i = ir_op_index(g, result->def);
  }
  return true;
}
