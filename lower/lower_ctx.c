/* The lowering context: which storage each graph value is bound to, and the
 * function kernels append to (kernel.h). */
#include "kernel.h"

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
  Binding scratch;     /* where the scratch region starts */
  int64_t scratch_used, scratch_used_per_batch;   /* by the current op */
  int64_t scratch_peak, scratch_peak_per_batch;
};

/* 16 floats = 64 bytes: every scratch block starts on a cache line. */
static int64_t round_up16(int64_t n) { return (n + 15) / 16 * 16; }

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

static LExpr *offset_expr(LowerCtx *c, LVar *base, int64_t offset, int64_t per_batch) {
  LExpr *off = li64(offset);
  if (per_batch) off = lbin(LB_ADD, off, lbin(LB_MUL, li64(per_batch), lvar(c->batch)));
  return laddr(lvar(base), off);
}

LExpr *lower_buffer(LowerCtx *c, const IrValue *v) {
  if (!lower_is_bound(c, v)) {
    /* A driver bug, not a user error: every value is bound before emission. */
    fprintf(stderr, "cratec: internal error: lowering: value %%%s has no storage\n", v->name);
    abort();
  }
  const Binding *b = &c->bindings[v->id];
  if (b->offset == 0 && b->offset_per_batch == 0) return lvar(b->base);
  return offset_expr(c, b->base, b->offset, b->offset_per_batch);
}

void lower_set_scratch_base(LowerCtx *c, LVar *base, int64_t offset, int64_t offset_per_batch) {
  c->scratch = (Binding){base, round_up16(offset), round_up16(offset_per_batch), true};
}

void lower_begin_op(LowerCtx *c) { c->scratch_used = c->scratch_used_per_batch = 0; }

LExpr *lower_scratch(LowerCtx *c, int64_t floats, int64_t floats_per_batch) {
  if (!c->scratch.bound) {
    fprintf(stderr, "cratec: internal error: lowering: no scratch region\n");
    abort();
  }
  LExpr *p = offset_expr(c, c->scratch.base, c->scratch.offset + c->scratch_used,
                         c->scratch.offset_per_batch + c->scratch_used_per_batch);
  c->scratch_used += round_up16(floats);
  c->scratch_used_per_batch += round_up16(floats_per_batch);
  if (c->scratch_used > c->scratch_peak) c->scratch_peak = c->scratch_used;
  if (c->scratch_used_per_batch > c->scratch_peak_per_batch)
    c->scratch_peak_per_batch = c->scratch_used_per_batch;
  return p;
}

void lower_scratch_peak(const LowerCtx *c, int64_t *floats, int64_t *floats_per_batch) {
  *floats = c->scratch_peak;
  *floats_per_batch = c->scratch_peak_per_batch;
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
