/* The reference executor's core: one buffer per value (indexed by value id),
 * bindings, and the run loop that dispatches each op through the table. */
#include <stdlib.h>
#include <string.h>

#include "eval_internal.h"

static const IrEvalFn eval_table[IR_OP_COUNT] = {
#define IR_OP(id, name, min_in, max_in, n_results, attrs, flags, shape, expand, eval, ...) \
  [IR_OP_##id] = IR_OP_FN(eval),
#include "ops.def"
#undef IR_OP
};

IrEvalFn eval_fn(IrOpKind kind) { return eval_table[kind]; }

bool ir_eval_supports(IrOpKind kind) { return eval_table[kind] != NULL; }

struct IrEval {
  const Graph *g;
  int64_t batch;
  void **data;      /* (g->next_value_id): NULL until bound or computed */
  bool *computed;   /* results of the last run */
};

IrEval *ir_eval_new(const Graph *g, int64_t batch, Diag *d) {
  if (batch < 1) {
    diag(d, DIAG_ERROR, "graph %s: batch size must be at least 1, got %lld", g->name, (long long)batch);
    return NULL;
  }
  if (!ir_verify(g, d)) return NULL;
  IrEval *ev = xcalloc(1, sizeof *ev);
  ev->g = g;
  ev->batch = batch;
  ev->data = xcalloc((size_t)g->next_value_id, sizeof *ev->data);
  ev->computed = xcalloc((size_t)g->next_value_id, sizeof *ev->computed);
  return ev;
}

void ir_eval_free(IrEval *ev) {
  if (!ev) return;
  for (int i = 0; i < ev->g->next_value_id; i++) free(ev->data[i]);
  free(ev->data);
  free(ev->computed);
  free(ev);
}

int64_t ir_eval_numel(const IrEval *ev, const IrValue *v) { return ir_type_numel(&v->type, ev->batch); }

static void bind(IrEval *ev, const IrValue *v, const void *src, size_t elem) {
  size_t bytes = (size_t)ir_eval_numel(ev, v) * elem;
  free(ev->data[v->id]);
  ev->data[v->id] = xmalloc(bytes ? bytes : 1);
  memcpy(ev->data[v->id], src, bytes);
}

bool ir_eval_bind_param(IrEval *ev, int index, const float *data, Diag *d) {
  if (index < 0 || index >= ev->g->params.len) {
    diag(d, DIAG_ERROR, "graph %s has no parameter %d (it has %d)", ev->g->name, index, ev->g->params.len);
    return false;
  }
  bind(ev, ev->g->params.items[index], data, sizeof *data);
  return true;
}

bool ir_eval_bind_param_key(IrEval *ev, const char *key, const float *data, Diag *d) {
  for (int i = 0; i < ev->g->params.len; i++)
    if (strcmp(ev->g->params.items[i]->key, key) == 0) return ir_eval_bind_param(ev, i, data, d);
  diag(d, DIAG_ERROR, "graph %s has no parameter \"%s\"", ev->g->name, key);
  return false;
}

static bool bind_input(IrEval *ev, const char *name, IrDType dt, const void *data, Diag *d) {
  for (int i = 0; i < ev->g->inputs.len; i++) {
    const IrValue *v = ev->g->inputs.items[i];
    if (strcmp(v->name, name) != 0) continue;
    if (v->type.dtype != dt) {
      diag(d, DIAG_ERROR, "graph %s: input %%%s is %s, bound with %s data", ev->g->name, name,
           ir_dtype_name(v->type.dtype), ir_dtype_name(dt));
      return false;
    }
    bind(ev, v, data, dt == IR_F32 ? sizeof(float) : sizeof(int64_t));
    return true;
  }
  diag(d, DIAG_ERROR, "graph %s has no input %%%s", ev->g->name, name);
  return false;
}

bool ir_eval_bind_f32(IrEval *ev, const char *name, const float *data, Diag *d) {
  return bind_input(ev, name, IR_F32, data, d);
}

bool ir_eval_bind_i64(IrEval *ev, const char *name, const int64_t *data, Diag *d) {
  return bind_input(ev, name, IR_I64, data, d);
}

static bool all_bound(const IrEval *ev, Diag *d) {
  bool ok = true;
  for (int i = 0; i < ev->g->inputs.len; i++)
    if (!ev->data[ev->g->inputs.items[i]->id]) {
      diag(d, DIAG_ERROR, "graph %s: input %%%s is not bound", ev->g->name, ev->g->inputs.items[i]->name);
      ok = false;
    }
  for (int i = 0; i < ev->g->params.len; i++)
    if (!ev->data[ev->g->params.items[i]->id]) {
      diag(d, DIAG_ERROR, "graph %s: parameter \"%s\" is not bound", ev->g->name, ev->g->params.items[i]->key);
      ok = false;
    }
  return ok;
}

static bool run_op(IrEval *ev, int index, const IrOp *op, Diag *d) {
  IrEvalFn fn = eval_table[op->kind];
  if (!fn) {
    diag(d, DIAG_ERROR, "graph %s: op %d '%s' has no reference implementation", ev->g->name, index,
         ir_op_name(op->kind));
    return false;
  }
  void *in[8];
  float *out[IR_MAX_RESULTS];
  for (int i = 0; i < op->operands.len; i++) in[i] = ev->data[op->operands.items[i]->id];
  for (int r = 0; r < op->results.len; r++) {
    const IrValue *v = op->results.items[r];
    int64_t n = ir_eval_numel(ev, v);
    if (!ev->data[v->id]) ev->data[v->id] = xmalloc((size_t)(n ? n : 1) * sizeof(float));
    memset(ev->data[v->id], 0, (size_t)n * sizeof(float));
    out[r] = ev->data[v->id];
  }
  crt_error e = {{0}};
  IrEvalCtx c = {op, ev->batch, in, out, &e};
  if (!fn(&c)) {
    diag(d, DIAG_ERROR, "graph %s: op %d '%s' (%%%s): %s", ev->g->name, index, ir_op_name(op->kind),
         op->results.items[0]->name, e.msg);
    return false;
  }
  for (int r = 0; r < op->results.len; r++) ev->computed[op->results.items[r]->id] = true;
  return true;
}

bool ir_eval_run(IrEval *ev, Diag *d) {
  memset(ev->computed, 0, (size_t)ev->g->next_value_id * sizeof *ev->computed);
  if (!all_bound(ev, d)) return false;
  for (int i = 0; i < ev->g->ops.len; i++)
    if (!run_op(ev, i, ev->g->ops.items[i], d)) return false;
  return true;
}

const float *ir_eval_value(const IrEval *ev, const IrValue *v) {
  if (v->id < 0 || v->id >= ev->g->next_value_id || v->type.dtype != IR_F32) return NULL;
  if (v->kind == IR_VALUE_RESULT && !ev->computed[v->id]) return NULL;
  return ev->data[v->id];
}

const float *ir_eval_output(const IrEval *ev, const char *name) {
  for (int i = 0; i < ev->g->outputs.len; i++)
    if (strcmp(ev->g->outputs.items[i].name, name) == 0) return ir_eval_value(ev, ev->g->outputs.items[i].value);
  return NULL;
}

/* ---- helpers for the evaluation functions ------------------------------------- */

int ev_dim(const IrEvalCtx *c, int i, int axis) {
  const IrType *t = &c->op->operands.items[i]->type;
  int64_t n = t->dims[axis < 0 ? t->rank + axis : axis];
  return (int)(n == IR_BATCH ? c->batch : n);
}

int64_t ev_numel(const IrEvalCtx *c, int i) { return ir_type_numel(&c->op->operands.items[i]->type, c->batch); }

int ev_rows(const IrEvalCtx *c, int i) { return (int)(ev_numel(c, i) / ev_dim(c, i, -1)); }

float *ev_scratch(int64_t n) { return xcalloc((size_t)(n ? n : 1), sizeof(float)); }
