/* The lowering context: which storage each graph value is bound to, and the
 * function kernels append to (lower.h). */
#include "lower.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct Binding {
  LVar *base;
  int64_t offset, offset_per_batch;
  bool bound;
} Binding;

struct LowerCtx {
  LModule *module;
  LFunc *func;
  LVar *batch;
  const Target *target;
  Binding *bindings;   /* indexed by IrValue.id */
  int nbindings;
};

LowerCtx *lower_ctx_new(LModule *m, LFunc *f, LVar *batch, const Target *t) {
  LowerCtx *c = xcalloc(1, sizeof *c);
  c->module = m;
  c->func = f;
  c->batch = batch;
  c->target = t;
  return c;
}

void lower_ctx_free(LowerCtx *c) {
  if (!c) return;
  free(c->bindings);
  free(c);
}

void lower_bind(LowerCtx *c, const IrValue *v, LVar *base, int64_t offset, int64_t offset_per_batch) {
  if (v->id >= c->nbindings) {
    int n = v->id + 64;
    c->bindings = xrealloc(c->bindings, (size_t)n * sizeof *c->bindings);
    for (int i = c->nbindings; i < n; i++) c->bindings[i] = (Binding){0};
    c->nbindings = n;
  }
  c->bindings[v->id] = (Binding){base, offset, offset_per_batch, true};
}

bool lower_is_bound(const LowerCtx *c, const IrValue *v) {
  return v->id < c->nbindings && c->bindings[v->id].bound;
}

LExpr *lower_buffer(LowerCtx *c, const IrValue *v) {
  if (!lower_is_bound(c, v)) {
    /* A driver bug, not a user error: every value is bound before emission. */
    fprintf(stderr, "cratec: internal error: lowering: value %%%s has no storage\n", v->name);
    abort();
  }
  const Binding *b = &c->bindings[v->id];
  LExpr *base = lvar(b->base);
  if (b->offset == 0 && b->offset_per_batch == 0) return base;
  LExpr *off = li64(b->offset);
  if (b->offset_per_batch)
    off = lbin(LB_ADD, off, lbin(LB_MUL, li64(b->offset_per_batch), lvar(c->batch)));
  return laddr(base, off);
}

LExpr *lower_dim(LowerCtx *c, int64_t d) { return d == IR_BATCH ? lvar(c->batch) : li64(d); }

LExpr *lower_numel(LowerCtx *c, const IrValue *v) {
  int64_t per = ir_type_numel(&v->type, 1);
  if (v->type.dims[0] != IR_BATCH) return li64(per);
  return lbin(LB_MUL, li64(per), lvar(c->batch));
}

LModule *lower_module(LowerCtx *c) { return c->module; }
LFunc *lower_func(LowerCtx *c) { return c->func; }
const Target *lower_target(LowerCtx *c) { return c->target; }

LVar *lower_local(LowerCtx *c, const char *name, LType type) {
  char *unique = xasprintf("%s%d", name, c->func->next_var_id);
  LVar *v = lfunc_var(c->func, unique, type);
  free(unique);
  return v;
}

void lower_emit(LowerCtx *c, LStmt *s) { lappend(c->func->body, s); }
