/* Building and editing graphs: values, ops, insertion, uses. */
#include <stdlib.h>
#include <string.h>

#include "ir.h"

Graph *ir_graph_new(const char *name) {
  Graph *g = xcalloc(1, sizeof *g);
  g->name = xstrdup(name);
  g->insert_at = -1;
  return g;
}

static void value_free(IrValue *v) {
  free(v->name);
  free(v->key);
  free(v);
}

void ir_op_free(IrOp *op) {
  for (int i = 0; i < op->results.len; i++) value_free(op->results.items[i]);
  for (int i = 0; i < op->attrs.len; i++) ir_attr_free(&op->attrs.items[i]);
  vec_free(&op->operands);
  vec_free(&op->results);
  vec_free(&op->attrs);
  free(op);
}

void ir_graph_free(Graph *g) {
  if (!g) return;
  for (int i = 0; i < g->inputs.len; i++) value_free(g->inputs.items[i]);
  for (int i = 0; i < g->params.len; i++) value_free(g->params.items[i]);
  for (int i = 0; i < g->ops.len; i++) ir_op_free(g->ops.items[i]);
  for (int i = 0; i < g->outputs.len; i++) free(g->outputs.items[i].name);
  vec_free(&g->inputs);
  vec_free(&g->params);
  vec_free(&g->ops);
  vec_free(&g->outputs);
  free(g->name);
  free(g);
}

IrValue *ir_find_value(const Graph *g, const char *name) {
  for (int i = 0; i < g->inputs.len; i++)
    if (strcmp(g->inputs.items[i]->name, name) == 0) return g->inputs.items[i];
  for (int i = 0; i < g->params.len; i++)
    if (strcmp(g->params.items[i]->name, name) == 0) return g->params.items[i];
  for (int i = 0; i < g->ops.len; i++) {
    const IrOp *op = g->ops.items[i];
    for (int r = 0; r < op->results.len; r++)
      if (strcmp(op->results.items[r]->name, name) == 0) return op->results.items[r];
  }
  return NULL;
}

/* NAME, or NAME.1, NAME.2, ... whichever is free in G. */
static char *unique_name(const Graph *g, const char *name) {
  if (!ir_find_value(g, name)) return xstrdup(name);
  for (int k = 1;; k++) {
    char *candidate = xasprintf("%s.%d", name, k);
    if (!ir_find_value(g, candidate)) return candidate;
    free(candidate);
  }
}

static IrValue *value_new(Graph *g, const char *name, IrValueKind kind, IrType t) {
  IrValue *v = xcalloc(1, sizeof *v);
  v->id = g->next_value_id++;
  v->name = unique_name(g, name);
  v->kind = kind;
  v->type = t;
  return v;
}

IrValue *ir_add_input(Graph *g, const char *name, IrType t) {
  IrValue *v = value_new(g, name, IR_VALUE_INPUT, t);
  v->index = g->inputs.len;
  vec_push(&g->inputs, v);
  return v;
}

IrValue *ir_add_param(Graph *g, const char *name, const char *key, IrType t) {
  IrValue *v = value_new(g, name, IR_VALUE_PARAM, t);
  v->key = xstrdup(key);
  v->index = g->params.len;
  vec_push(&g->params, v);
  return v;
}

void ir_add_output(Graph *g, const char *name, IrValue *v) {
  vec_push(&g->outputs, ((IrOutput){xstrdup(name), v}));
}

IrOp *ir_op_new(IrOpKind kind, IrValue *const *operands, int n) {
  IrOp *op = xcalloc(1, sizeof *op);
  op->kind = kind;
  for (int i = 0; i < n; i++) vec_push(&op->operands, operands[i]);
  return op;
}

IrValue *ir_op_add_result(Graph *g, IrOp *op, const char *name, IrType t) {
  IrValue *v = value_new(g, name, IR_VALUE_RESULT, t);
  v->def = op;
  v->index = op->results.len;
  vec_push(&op->results, v);
  return v;
}

void ir_insert(Graph *g, IrOp *op) {
  if (g->insert_at < 0 || g->insert_at >= g->ops.len) {
    vec_push(&g->ops, op);
    return;
  }
  vec_push(&g->ops, NULL);
  memmove(&g->ops.items[g->insert_at + 1], &g->ops.items[g->insert_at],
          (size_t)(g->ops.len - 1 - g->insert_at) * sizeof *g->ops.items);
  g->ops.items[g->insert_at++] = op;
}

IrValue *ir_emit(Graph *g, IrOp *op, const char *const *names, Diag *d) {
  IrType types[IR_MAX_RESULTS];
  char err[IR_ERR_SIZE];
  const IrOpInfo *info = ir_op_info(op->kind);
  if (!ir_op_infer(op, types, err)) {
    diag(d, DIAG_ERROR, "cannot build '%s' (%%%s): %s", info->name, names[0], err);
    ir_op_free(op);
    return NULL;
  }
  for (int r = 0; r < info->results; r++) ir_op_add_result(g, op, names[r], types[r]);
  ir_insert(g, op);
  return op->results.items[0];
}

IrValue *ir_emit1(Graph *g, IrOpKind kind, IrValue *const *operands, int n, const char *name,
                  Diag *d) {
  return ir_emit(g, ir_op_new(kind, operands, n), &name, d);
}

int ir_op_index(const Graph *g, const IrOp *op) {
  for (int i = 0; i < g->ops.len; i++)
    if (g->ops.items[i] == op) return i;
  return -1;
}

void ir_replace_uses(Graph *g, const IrValue *from, IrValue *to) {
  for (int i = 0; i < g->ops.len; i++) {
    IrOp *op = g->ops.items[i];
    for (int j = 0; j < op->operands.len; j++)
      if (op->operands.items[j] == from) op->operands.items[j] = to;
  }
  for (int i = 0; i < g->outputs.len; i++)
    if (g->outputs.items[i].value == from) g->outputs.items[i].value = to;
}

void ir_replace_value(Graph *g, IrValue *old, IrValue *to) {
  ir_replace_uses(g, old, to);
  free(to->name);
  to->name = old->name;
  old->name = NULL;
}

int ir_use_count(const Graph *g, const IrValue *v) {
  int n = 0;
  for (int i = 0; i < g->ops.len; i++) {
    const IrOp *op = g->ops.items[i];
    for (int j = 0; j < op->operands.len; j++) n += op->operands.items[j] == v;
  }
  return n;
}

bool ir_replace_op(Graph *g, IrOp *old, IrOp *op, Diag *d) {
  g->insert_at = ir_op_index(g, old);
  const char *name = "replacement";
  IrValue *v = ir_emit(g, op, &name, d);
  g->insert_at = -1;
  if (!v) return false;
  ir_replace_value(g, old->results.items[0], v);
  ir_remove_op(g, old);
  return true;
}

IrOp *ir_sole_user(const Graph *g, const IrValue *v) {
  IrOp *user = NULL;
  for (int i = 0; i < g->ops.len; i++)
    for (int j = 0; j < g->ops.items[i]->operands.len; j++)
      if (g->ops.items[i]->operands.items[j] == v) {
        if (user) return NULL;
        user = g->ops.items[i];
      }
  return user;
}

bool ir_is_output(const Graph *g, const IrValue *v) {
  for (int i = 0; i < g->outputs.len; i++)
    if (g->outputs.items[i].value == v) return true;
  return false;
}

void ir_remove_op(Graph *g, IrOp *op) {
  int at = ir_op_index(g, op);
  memmove(&g->ops.items[at], &g->ops.items[at + 1],
          (size_t)(g->ops.len - at - 1) * sizeof *g->ops.items);
  g->ops.len--;
  if (g->insert_at > at) g->insert_at--;
  ir_op_free(op);
}

/* Marks live values (by id) walking the program backwards from the outputs:
 * an op is live when any of its results is. */
int ir_remove_dead(Graph *g) {
  bool *live = xcalloc((size_t)g->next_value_id + 1, sizeof *live);
  for (int i = 0; i < g->outputs.len; i++) live[g->outputs.items[i].value->id] = true;
  int removed = 0;
  for (int i = g->ops.len - 1; i >= 0; i--) {
    IrOp *op = g->ops.items[i];
    bool used = false;
    for (int r = 0; r < op->results.len; r++) used |= live[op->results.items[r]->id];
    if (!used) {
      ir_remove_op(g, op);
      removed++;
      continue;
    }
    for (int j = 0; j < op->operands.len; j++) live[op->operands.items[j]->id] = true;
  }
  free(live);
  return removed;
}

/* Values of SRC map to values of the copy by id. */
Graph *ir_graph_clone(const Graph *src) {
  Graph *g = ir_graph_new(src->name);
  IrValue **map = xcalloc((size_t)src->next_value_id + 1, sizeof *map);
  for (int i = 0; i < src->inputs.len; i++) {
    const IrValue *v = src->inputs.items[i];
    map[v->id] = ir_add_input(g, v->name, v->type);
  }
  for (int i = 0; i < src->params.len; i++) {
    const IrValue *v = src->params.items[i];
    map[v->id] = ir_add_param(g, v->name, v->key, v->type);
  }
  for (int i = 0; i < src->ops.len; i++) {
    const IrOp *op = src->ops.items[i];
    IrOp *copy = ir_op_new(op->kind, NULL, 0);
    for (int j = 0; j < op->operands.len; j++) vec_push(&copy->operands, map[op->operands.items[j]->id]);
    ir_attr_copy_all(copy, op);
    for (int r = 0; r < op->results.len; r++) {
      const IrValue *v = op->results.items[r];
      map[v->id] = ir_op_add_result(g, copy, v->name, v->type);
    }
    ir_insert(g, copy);
  }
  for (int i = 0; i < src->outputs.len; i++)
    ir_add_output(g, src->outputs.items[i].name, map[src->outputs.items[i].value->id]);
  free(map);
  return g;
}

static void fix_batch(IrValue *v, int64_t batch) {
  if (v->type.dims[0] == IR_BATCH) v->type.dims[0] = batch;
}

void ir_set_batch(Graph *g, int64_t batch) {
  for (int i = 0; i < g->inputs.len; i++) fix_batch(g->inputs.items[i], batch);
  for (int i = 0; i < g->ops.len; i++)
    for (int r = 0; r < g->ops.items[i]->results.len; r++) fix_batch(g->ops.items[i]->results.items[r], batch);
}
