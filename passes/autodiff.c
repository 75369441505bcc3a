/* Reverse-mode autodiff on the dataflow graph (docs/model.md §5): the forward ops are
 * walked in reverse program order and each one's rule (autodiff_rules.c)
 * appends the backward ops for it; then one output per parameter, named by
 * its state_dict key, in g->params order.
 *
 * Save versus recompute: a backward op reads only the forward op's operands
 * and, for softmax and shrink, its result — values the graph already holds.
 * What the reference kernels keep internally (LayerNorm mean and rstd,
 * MSSA's W, A and O, ISTA's mask) is recomputed inside the grad op: saving
 * it would need forward ops with extra results (an IR change every backend
 * would see) and would pin the K·N×N attention maps of every layer for the
 * whole backward, which dominates training memory at CRATE sizes. One thing
 * is kept: the attention output o before MSSA's to_out, one activation per
 * layer, which the projection's gradient reads. Before differentiating,
 * mssa(y, U, W_o, b_o) becomes linear(mssa(y, U), W_o, b_o), so the forward
 * computes o once and the backward reads it (recomputing it cost a whole
 * attention per layer and step: 11% of fashion_mnist's training step). */
#include <stdlib.h>
#include <string.h>

#include "autodiff.h"
#include "passes.h"

/* NAMES[I] is a value of G or one of NAMES[0 .. I-1]. */
static bool taken(const Graph *g, char *const *names, int i) {
  for (int j = 0; j < i; j++)
    if (strcmp(names[i], names[j]) == 0) return true;
  return ir_find_value(g, names[i]) != NULL;
}

IrValue *ad_emit(Autodiff *ad, IrOp *op, const char *const *names) {
  if (ad->failed) {
    ir_op_free(op);
    return NULL;
  }
  int n = ir_op_info(op->kind)->results;
  char *grad_names[IR_MAX_RESULTS];
  /* ir_emit makes each name unique against the graph only, not against the
   * op's other results: two gradients of one primal (a matmul of a value by
   * itself) get distinct names here. */
  for (int i = 0; i < n; i++) {
    grad_names[i] = xasprintf("d.%s", names[i]);
    for (int k = 1; taken(ad->g, grad_names, i); k++) {
      free(grad_names[i]);
      grad_names[i] = xasprintf("d.%s.%d", names[i], k);
    }
  }
  IrValue *v = ir_emit(ad->g, op, (const char *const *)grad_names, ad->d);
  for (int i = 0; i < n; i++) free(grad_names[i]);
  ad->failed = !v;
  return v;
}

void ad_accumulate(Autodiff *ad, const IrValue *v, IrValue *g) {
  if (!ad->needs[v->id] || ad->failed) return;
  IrValue *have = ad->grad[v->id];
  if (have) {
    IrOp *sum = ir_op_new(IR_OP_ADD, (IrValue *[]){have, g}, 2);
    g = ad_emit(ad, sum, (const char *[]){v->name});
  }
  ad->grad[v->id] = g;
}

/* Which values depend on a parameter: only they get gradients. */
static void mark_needs(Autodiff *ad) {
  for (int i = 0; i < ad->g->params.len; i++) ad->needs[ad->g->params.items[i]->id] = true;
  for (int i = 0; i < ad->g->ops.len; i++) {
    const IrOp *op = ad->g->ops.items[i];
    bool any = false;
    for (int k = 0; k < op->operands.len; k++) any |= ad->needs[op->operands.items[k]->id];
    for (int r = 0; r < op->results.len; r++) ad->needs[op->results.items[r]->id] = any;
  }
}

static IrValue *find_output(const Graph *g, const char *name) {
  for (int i = 0; i < g->outputs.len; i++)
    if (strcmp(g->outputs.items[i].name, name) == 0) return g->outputs.items[i].value;
  return NULL;
}

/* The graph must be a training graph not differentiated yet. */
static IrValue *loss_of(const Graph *g, Diag *d) {
  IrValue *loss = find_output(g, "loss");
  if (!loss || loss->kind != IR_VALUE_RESULT || loss->def->kind != IR_OP_CROSS_ENTROPY) {
    diag(d, DIAG_ERROR, "autodiff: graph %s has no \"loss\" output computed by cross_entropy "
         "(autodiff needs the training graph)", g->name);
    return NULL;
  }
  for (int i = 0; i < g->params.len; i++)
    if (find_output(g, g->params.items[i]->key)) {
      diag(d, DIAG_ERROR, "autodiff: graph %s already has a gradient output \"%s\"", g->name,
           g->params.items[i]->key);
      return NULL;
    }
  return loss;
}

/* mssa(y, U, W_o, b_o) -> linear(%<mssa>.o = mssa(y, U), W_o, b_o): the
 * same function, the projection's input a value the backward can read. */
static bool split_projections(Graph *g, Diag *d) {
  for (int i = 0; i < g->ops.len; i++) {
    IrOp *op = g->ops.items[i];
    if (op->kind != IR_OP_MSSA || op->operands.len != 4) continue;
    IrOp *attn = ir_op_new(IR_OP_MSSA, op->operands.items, 2);
    ir_attr_copy_all(attn, op);
    char *name = xasprintf("%s.o", op->results.items[0]->name);
    g->insert_at = i;
    IrValue *o = ir_emit(g, attn, (const char *const *)&name, d);
    g->insert_at = -1;
    free(name);
    if (!o) return false;
    IrOp *proj = ir_op_new(IR_OP_LINEAR, (IrValue *[]){o, op->operands.items[2], op->operands.items[3]}, 3);
    if (!ir_replace_op(g, op, proj, d)) return false;
  }
  return true;
}

/* A parameter the loss does not depend on has gradient zero: 0·p. */
static IrValue *zero_like(Autodiff *ad, IrValue *p) {
  IrOp *s = ir_op_new(IR_OP_SCALE, &p, 1);
  ir_set_float(s, "alpha", 0.0);
  return ad_emit(ad, s, (const char *[]){p->name});
}

bool pass_autodiff(Graph *g, const Target *t, Diag *d) {
  (void)t;
  IrValue *loss = loss_of(g, d);
  if (!loss || !split_projections(g, d)) return false;
  Autodiff ad = {g, d, NULL, NULL, g->next_value_id, false};
  ad.grad = xcalloc((size_t)ad.nvalues, sizeof *ad.grad);
  ad.needs = xcalloc((size_t)ad.nvalues, sizeof *ad.needs);
  mark_needs(&ad);
  g->insert_at = -1;
  /* The loss's own gradient is 1, folded into cross_entropy_grad: its rule
   * runs with no incoming gradient value. */
  for (int i = ir_op_index(g, loss->def); i >= 0 && !ad.failed; i--) {
    const IrOp *op = g->ops.items[i];
    IrValue *gy = op == loss->def ? NULL : ad.grad[op->results.items[0]->id];
    if (op->results.len != 1 || (!gy && op != loss->def)) continue;
    ad.failed = !ad_rule(&ad, op, gy);
  }
  for (int i = 0; i < g->params.len && !ad.failed; i++) {
    IrValue *p = g->params.items[i];
    IrValue *grad = ad.grad[p->id] ? ad.grad[p->id] : zero_like(&ad, p);
    if (grad) ir_add_output(g, p->key, grad);
  }
  free(ad.grad);
  free(ad.needs);
  return !ad.failed;
}
