/* The verifier: every invariant of ir.h, checked in one walk of the program.
 * It reports every problem it finds rather than the first, and names the op
 * by its position and kind and the value by its name, because the person
 * reading the message is debugging a pass that just rewrote the graph. */
#include <stdlib.h>
#include <string.h>

#include "ir.h"

typedef struct Verifier {
  const Graph *g;
  Diag *d;
  int errors;
  const IrValue **owner;   /* by id: the value of the graph with that id */
  bool *defined;           /* by id: defined by an input, a param or an earlier op */
} Verifier;

#define report(V, ...) ((V)->errors++, diag((V)->d, DIAG_ERROR, __VA_ARGS__))

static bool valid_name(const char *s) {
  if (!s || !*s) return false;
  for (; *s; s++)
    if (!(*s == '_' || *s == '.' || (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
          (*s >= 'A' && *s <= 'Z')))
      return false;
  return true;
}

static void check_type(Verifier *v, const IrValue *x) {
  const IrType *t = &x->type;
  if (t->rank < 1 || t->rank > IR_MAX_RANK) {
    report(v, "graph %s: value %%%s has rank %d (1 to %d allowed)", v->g->name, x->name, t->rank, IR_MAX_RANK);
    return;
  }
  for (int i = 0; i < t->rank; i++) {
    int64_t n = t->dims[i];
    if ((n == IR_BATCH && i == 0) || (n >= 1 && n <= IR_MAX_DIM)) continue;
    if (n == IR_BATCH)
      report(v, "graph %s: value %%%s: dimension %d is B (only the first dimension may be B)", v->g->name,
             x->name, i);
    else
      report(v, "graph %s: value %%%s: dimension %d is %lld (must be 1 to 2^20)", v->g->name, x->name, i,
             (long long)n);
  }
}

static bool id_in_range(const Graph *g, const IrValue *x) { return x->id >= 0 && x->id < g->next_value_id; }

/* Registers X (an input, param or result); false if it has been seen. */
static bool define(Verifier *v, const IrValue *x, const char *where) {
  if (!id_in_range(v->g, x)) {
    report(v, "graph %s: %s %%%s has id %d outside the graph's 0..%d", v->g->name, where, x->name, x->id,
           v->g->next_value_id - 1);
    return false;
  }
  if (v->defined[x->id]) {
    report(v, "graph %s: %s %%%s is defined twice", v->g->name, where, x->name);
    return false;
  }
  v->defined[x->id] = true;
  check_type(v, x);
  if (!valid_name(x->name)) report(v, "graph %s: value name '%s' is not [A-Za-z0-9_.]+", v->g->name, x->name);
  return true;
}

static void check_operands(Verifier *v, int index, const IrOp *op, bool *ok) {
  for (int i = 0; i < op->operands.len; i++) {
    const IrValue *x = op->operands.items[i];
    const char *name = ir_op_name(op->kind);
    if (!x) {
      report(v, "graph %s: op %d '%s': operand %d is missing", v->g->name, index, name, i);
      *ok = false;
    } else if (!id_in_range(v->g, x) || v->owner[x->id] != x) {
      report(v, "graph %s: op %d '%s' uses %%%s, which is not a value of this graph", v->g->name, index,
             name, x->name);
      *ok = false;
    } else if (!v->defined[x->id]) {
      report(v, "graph %s: op %d '%s' uses %%%s before its definition", v->g->name, index, name, x->name);
      *ok = false;
    }
  }
}

/* Result types must be exactly what the op's shape function computes. */
static void check_result_types(Verifier *v, int index, const IrOp *op) {
  const IrOpInfo *info = ir_op_info(op->kind);
  const char *first = op->results.len ? op->results.items[0]->name : "?";
  if (op->results.len != info->results) {
    report(v, "graph %s: op %d '%s' (%%%s) has %d results, expected %d", v->g->name, index, info->name,
           first, op->results.len, info->results);
    return;
  }
  IrType want[IR_MAX_RESULTS];
  char err[IR_ERR_SIZE];
  if (!ir_op_infer(op, want, err)) {
    report(v, "graph %s: op %d '%s' (%%%s): %s", v->g->name, index, info->name, first, err);
    return;
  }
  for (int r = 0; r < op->results.len; r++) {
    const IrValue *x = op->results.items[r];
    if (ir_type_eq(&x->type, &want[r])) continue;
    StrBuf has = {0}, exp = {0};
    ir_type_format(&has, &x->type);
    ir_type_format(&exp, &want[r]);
    report(v, "graph %s: op %d '%s': result %%%s is %s, expected %s", v->g->name, index, info->name,
           x->name, has.data, exp.data);
    sb_free(&has);
    sb_free(&exp);
  }
}

static void check_op(Verifier *v, int index, const IrOp *op) {
  if ((unsigned)op->kind >= IR_OP_COUNT) {
    report(v, "graph %s: op %d has unknown kind %d", v->g->name, index, (int)op->kind);
    return;
  }
  bool ok = true;
  check_operands(v, index, op, &ok);
  for (int r = 0; r < op->results.len; r++) {
    const IrValue *x = op->results.items[r];
    if (x->kind != IR_VALUE_RESULT || x->def != op || x->index != r) {
      report(v, "graph %s: op %d '%s': result %%%s does not record op %d as its definition", v->g->name,
             index, ir_op_name(op->kind), x->name, index);
      ok = false;
    }
  }
  if (ok) check_result_types(v, index, op);
  /* Results become visible only after the op: an op cannot use its own result. */
  for (int r = 0; r < op->results.len; r++) define(v, op->results.items[r], "result");
}

static void own(Verifier *v, const IrValue *x) {
  if (id_in_range(v->g, x)) v->owner[x->id] = x;
}

/* Registers every value of the graph by id, so a use can tell "defined
 * later" from "not in this graph". */
static void collect_owners(Verifier *v) {
  const Graph *g = v->g;
  for (int i = 0; i < g->inputs.len; i++) own(v, g->inputs.items[i]);
  for (int i = 0; i < g->params.len; i++) own(v, g->params.items[i]);
  for (int i = 0; i < g->ops.len; i++)
    for (int r = 0; r < g->ops.items[i]->results.len; r++) own(v, g->ops.items[i]->results.items[r]);
}

/* Two values sharing a name would print as one value defined twice. */
static void check_unique_names(Verifier *v) {
  const Graph *g = v->g;
  VEC(const IrValue *) all = {0};
  for (int i = 0; i < g->inputs.len; i++) vec_push(&all, g->inputs.items[i]);
  for (int i = 0; i < g->params.len; i++) vec_push(&all, g->params.items[i]);
  for (int i = 0; i < g->ops.len; i++)
    for (int r = 0; r < g->ops.items[i]->results.len; r++) vec_push(&all, g->ops.items[i]->results.items[r]);
  for (int i = 0; i < all.len; i++)
    for (int j = 0; j < i; j++)
      if (all.items[i] != all.items[j] && strcmp(all.items[i]->name, all.items[j]->name) == 0) {
        report(v, "graph %s: value %%%s is defined twice", g->name, all.items[i]->name);
        break;
      }
  vec_free(&all);
}

static void check_params(Verifier *v) {
  const Graph *g = v->g;
  for (int i = 0; i < g->params.len; i++) {
    const IrValue *p = g->params.items[i];
    if (p->kind != IR_VALUE_PARAM || !p->key || !*p->key) {
      report(v, "graph %s: parameter %%%s is not bound to a key", g->name, p->name);
      continue;
    }
    if (p->type.dtype != IR_F32) report(v, "graph %s: parameter %%%s must be f32", g->name, p->name);
    for (int j = 0; j < i; j++)
      if (g->params.items[j]->key && strcmp(g->params.items[j]->key, p->key) == 0)
        report(v, "graph %s: parameters %%%s and %%%s are both bound to \"%s\"", g->name,
               g->params.items[j]->name, p->name, p->key);
  }
}

static void check_outputs(Verifier *v) {
  const Graph *g = v->g;
  if (!g->outputs.len) report(v, "graph %s: has no outputs", g->name);
  for (int i = 0; i < g->outputs.len; i++) {
    const IrOutput *o = &g->outputs.items[i];
    const IrValue *x = o->value;
    if (!x || !id_in_range(g, x) || v->owner[x->id] != x || !v->defined[x->id])
      report(v, "graph %s: output \"%s\" is %%%s, which is not defined in this graph", g->name, o->name,
             x ? x->name : "?");
    for (int j = 0; j < i; j++)
      if (strcmp(g->outputs.items[j].name, o->name) == 0)
        report(v, "graph %s: output \"%s\" is given twice", g->name, o->name);
  }
}

bool ir_verify(const Graph *g, Diag *d) {
  Verifier v = {g, d, 0, xcalloc((size_t)g->next_value_id + 1, sizeof(IrValue *)),
                xcalloc((size_t)g->next_value_id + 1, sizeof(bool))};
  collect_owners(&v);
  for (int i = 0; i < g->inputs.len; i++) {
    define(&v, g->inputs.items[i], "input");
    if (g->inputs.items[i]->kind != IR_VALUE_INPUT)
      report(&v, "graph %s: input %%%s is not marked as an input", g->name, g->inputs.items[i]->name);
  }
  for (int i = 0; i < g->params.len; i++) define(&v, g->params.items[i], "parameter");
  check_params(&v);
  check_unique_names(&v);
  for (int i = 0; i < g->ops.len; i++) check_op(&v, i, g->ops.items[i]);
  check_outputs(&v);
  free(v.owner);
  free(v.defined);
  return v.errors == 0;
}
