/* The differentiation rules: for each forward op kind, the backward ops
 * (docs/ir.md, "Backward ops") that carry the gradient of its result to its
 * operands (docs/model.md §5). Each rule is named by the autodiff column of its op's
 * row in ops.def, and gets the forward op and the gradient of its result. */

#include "autodiff.h"
#include "op_columns.h"
#include "passes.h"

typedef bool (*AdRuleFn)(Autodiff *ad, const IrOp *op, IrValue *gy);

#define IR_OP(id, name, min_in, max_in, n_results, attrs, flags, shape, expand, eval, flops, autodiff, ...) \
  IR_OP_UNLESS_NONE(autodiff, static bool autodiff(Autodiff *ad, const IrOp *op, IrValue *gy);, )
#include "ops.def"
#undef IR_OP

static const AdRuleFn rules[IR_OP_COUNT] = {
#define IR_OP(id, name, min_in, max_in, n_results, attrs, flags, shape, expand, eval, flops, autodiff, ...) \
  [IR_OP_##id] = IR_OP_FN(autodiff),
#include "ops.def"
#undef IR_OP
};

bool ad_rule(Autodiff *ad, const IrOp *op, IrValue *gy) {
  IrValue *y = op->results.items[0];
  if (!rules[op->kind]) {
    diag(ad->d, DIAG_ERROR, "autodiff: graph %s: cannot differentiate op '%s' (%%%s)", ad->g->name,
         ir_op_name(op->kind), y->name);
    return false;
  }
  return rules[op->kind](ad, op, gy);
}

bool pass_autodiff_differentiates(IrOpKind kind) { return rules[kind] != NULL; }

static IrValue *operand(const IrOp *op, int i) { return op->operands.items[i]; }

/* A grad op on OPERANDS whose results are the gradients of the primals
 * PRIMALS (named after them), each accumulated into its primal; nothing
 * when no primal depends on a parameter. */
static bool grads(Autodiff *ad, IrOpKind kind, IrValue *const *operands, int n, const IrOp *attrs_of,
                  IrValue *const *primals, int nprimals) {
  bool wanted = false;
  for (int i = 0; i < nprimals; i++) wanted |= ad->needs[primals[i]->id];
  if (!wanted) return true;
  IrOp *op = ir_op_new(kind, operands, n);
  if (attrs_of) ir_attr_copy_all(op, attrs_of);
  const char *names[IR_MAX_RESULTS];
  for (int i = 0; i < nprimals; i++) names[i] = primals[i]->name;
  if (!ad_emit(ad, op, names)) return false;
  for (int i = 0; i < nprimals; i++) ad_accumulate(ad, primals[i], op->results.items[i]);
  return true;
}

/* x, W [, b]: dx, dW from linear_grad; db = bias_grad(dy). */
static bool ad_linear(Autodiff *ad, const IrOp *op, IrValue *gy) {
  IrValue *x = operand(op, 0), *w = operand(op, 1);
  if (!grads(ad, IR_OP_LINEAR_GRAD, (IrValue *[]){x, w, gy}, 3, NULL, (IrValue *[]){x, w}, 2)) return false;
  return op->operands.len < 3 || grads(ad, IR_OP_BIAS_GRAD, &gy, 1, NULL, (IrValue *[]){operand(op, 2)}, 1);
}

static bool ad_pool(Autodiff *ad, const IrOp *op, IrValue *gy) {
  if (!ad->needs[operand(op, 0)->id]) return true;
  IrOp *g = ir_op_new(IR_OP_POOL_GRAD, &gy, 1);
  ir_set_str(g, "mode", ir_attr_str(op, "mode"));
  ir_set_int(g, "tokens", operand(op, 0)->type.dims[1]);
  const char *name = operand(op, 0)->name;
  if (!ad_emit(ad, g, &name)) return false;
  ad_accumulate(ad, operand(op, 0), g->results.items[0]);
  return true;
}

/* An attribute-free op on OPERANDS giving the gradient of OP's operand I. */
static bool unary(Autodiff *ad, IrOpKind kind, IrValue *const *operands, int n, const IrOp *op, int i) {
  return grads(ad, kind, operands, n, NULL, (IrValue *[]){operand(op, i)}, 1);
}

/* KIND(gy) {ATTR = VALUE}, an op of one float attribute, as the gradient
 * of PRIMAL. */
static bool on_gy(Autodiff *ad, IrValue *gy, IrOpKind kind, const char *attr, double value, IrValue *primal) {
  if (!ad->needs[primal->id]) return true;
  IrOp *s = ir_op_new(kind, &gy, 1);
  ir_set_float(s, attr, value);
  if (!ad_emit(ad, s, (const char *[]){primal->name})) return false;
  ad_accumulate(ad, primal, s->results.items[0]);
  return true;
}

static bool scaled(Autodiff *ad, IrValue *gy, double alpha, IrValue *primal) {
  return on_gy(ad, gy, IR_OP_SCALE, "alpha", alpha, primal);
}

static bool ad_cross_entropy(Autodiff *ad, const IrOp *op, IrValue *gy) {
  return grads(ad, IR_OP_CROSS_ENTROPY_GRAD, op->operands.items, 2, op, (IrValue *[]){operand(op, 0)}, 1);
}

static bool ad_layernorm(Autodiff *ad, const IrOp *op, IrValue *gy) {
  return grads(ad, IR_OP_LAYERNORM_GRAD, (IrValue *[]){operand(op, 0), operand(op, 1), gy}, 3, op,
               op->operands.items, 3);
}

static bool ad_cls_concat(Autodiff *ad, const IrOp *op, IrValue *gy) {
  return grads(ad, IR_OP_CLS_CONCAT_GRAD, &gy, 1, NULL, op->operands.items, 2);
}

static bool ad_pos_add(Autodiff *ad, const IrOp *op, IrValue *gy) {
  ad_accumulate(ad, operand(op, 0), gy);
  return unary(ad, IR_OP_POS_ADD_GRAD, &gy, 1, op, 1);
}

/* Without to_out: pass_autodiff has split the projection off. */
static bool ad_mssa(Autodiff *ad, const IrOp *op, IrValue *gy) {
  return grads(ad, IR_OP_MSSA_GRAD, (IrValue *[]){operand(op, 0), operand(op, 1), gy}, 3, op,
               op->operands.items, 2);
}

static bool ad_ista(Autodiff *ad, const IrOp *op, IrValue *gy) {
  return grads(ad, IR_OP_ISTA_GRAD, (IrValue *[]){operand(op, 0), operand(op, 1), gy}, 3, op,
               op->operands.items, 2);
}

static bool ad_add(Autodiff *ad, const IrOp *op, IrValue *gy) {
  ad_accumulate(ad, operand(op, 0), gy);
  ad_accumulate(ad, operand(op, 1), gy);
  return true;
}

static bool ad_matmul(Autodiff *ad, const IrOp *op, IrValue *gy) {
  return grads(ad, IR_OP_MATMUL_GRAD, (IrValue *[]){operand(op, 0), operand(op, 1), gy}, 3, op,
               op->operands.items, 2);
}

static bool ad_softmax(Autodiff *ad, const IrOp *op, IrValue *gy) {
  return unary(ad, IR_OP_SOFTMAX_GRAD, (IrValue *[]){op->results.items[0], gy}, 2, op, 0);
}

static bool ad_shrink(Autodiff *ad, const IrOp *op, IrValue *gy) {
  return unary(ad, IR_OP_SHRINK_GRAD, (IrValue *[]){op->results.items[0], gy}, 2, op, 0);
}

static bool ad_split_heads(Autodiff *ad, const IrOp *op, IrValue *gy) {
  return unary(ad, IR_OP_MERGE_HEADS, &gy, 1, op, 0);
}

static bool ad_merge_heads(Autodiff *ad, const IrOp *op, IrValue *gy) {
  if (!ad->needs[operand(op, 0)->id]) return true;
  IrOp *split = ir_op_new(IR_OP_SPLIT_HEADS, &gy, 1);
  ir_set_int(split, "heads", operand(op, 0)->type.dims[1]);
  if (!ad_emit(ad, split, (const char *[]){operand(op, 0)->name})) return false;
  ad_accumulate(ad, operand(op, 0), split->results.items[0]);
  return true;
}

static bool ad_sub(Autodiff *ad, const IrOp *op, IrValue *gy) {
  ad_accumulate(ad, operand(op, 0), gy);
  return scaled(ad, gy, -1.0, operand(op, 1));
}

static bool ad_scale(Autodiff *ad, const IrOp *op, IrValue *gy) {
  return scaled(ad, gy, ir_attr_float(op, "alpha"), operand(op, 0));
}

/* The masked entries are constants: dy masked with 0. */
static bool ad_causal_mask(Autodiff *ad, const IrOp *op, IrValue *gy) {
  return on_gy(ad, gy, IR_OP_CAUSAL_MASK, "fill", 0.0, operand(op, 0));
}
