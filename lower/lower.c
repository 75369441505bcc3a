/* The lowering driver: a checked model becomes one loop-IR module with the
 * entries of the compiled-model ABI (passes.h, runtime/cratert.h). Each
 * entry is its own graph variant taken through the pipeline; what depends
 * on parameters alone is hoisted out of the inference entries into
 * P_prepare. */
#include <stdlib.h>
#include <string.h>

#include "lower_model.h"

/* ---- parameter layout ------------------------------------------------------------ */

void param_layout_init(ParamLayout *pl, const Model *m) {
  pl->count = model_params(m, &pl->info);
  pl->offset = xmalloc((size_t)(pl->count ? pl->count : 1) * sizeof *pl->offset);
  int64_t at = 0;
  for (int i = 0; i < pl->count; i++) {
    pl->offset[i] = at;
    at += (pl->info[i].numel + 15) / 16 * 16;
  }
  pl->floats = at;
}

void param_layout_free(ParamLayout *pl) {
  model_params_free(pl->info, pl->count);
  free(pl->offset);
}

int param_layout_find(const ParamLayout *pl, const char *key) {
  for (int i = 0; i < pl->count; i++)
    if (strcmp(pl->info[i].key, key) == 0) return i;
  return -1;
}

/* ---- graph variants --------------------------------------------------------------- */

enum { ENTRY_FORWARD, ENTRY_FEATURES, ENTRY_TRAIN, NENTRIES };
static const char *const entry_names[NENTRIES] = {"forward", "features", "train_step"};
static const char *const entry_labels[NENTRIES] = {"forward", "features", "train"};

typedef struct Entry {
  Graph *g;
  LFunc *f;
  LowerCtx *c;
  bool *hoisted;        /* by op index: computed in P_prepare (inference entries) */
  bool *prepare_skip;   /* by op index: not run by P_prepare for this graph */
  int64_t *derived_at;  /* by value id: offset in the derived buffer, -1 */
} Entry;

static Graph *entry_graph(int which, const Model *m, const LowerOptions *o, Diag *d) {
  Graph *g = which == ENTRY_FORWARD    ? ir_build_inference(m, d)
             : which == ENTRY_FEATURES ? lower_features_graph(m, d)
                                       : ir_build_training(m, m->train.label_smoothing, d);
  if (!g) return NULL;
  if (o->batch) ir_set_batch(g, o->batch);
  if (!pipeline_run(g, entry_labels[which], o->target, &o->pipeline, d)) {
    ir_graph_free(g);
    return NULL;
  }
  return g;
}

/* ---- hoisting ------------------------------------------------------------------------ */

static bool *hoistable_ops(const Graph *g) {
  bool *from_params = xcalloc((size_t)g->next_value_id + 1, sizeof *from_params);
  bool *hoisted = xcalloc((size_t)g->ops.len + 1, sizeof *hoisted);
  for (int i = 0; i < g->params.len; i++) from_params[g->params.items[i]->id] = true;
  for (int i = 0; i < g->ops.len; i++) {
    const IrOp *op = g->ops.items[i];
    bool all = true;
    for (int k = 0; k < op->operands.len; k++) all &= from_params[op->operands.items[k]->id];
    for (int r = 0; r < op->results.len; r++) all &= op->results.items[r]->type.dims[0] != IR_BATCH;
    hoisted[i] = all;
    for (int r = 0; r < op->results.len; r++) from_params[op->results.items[r]->id] = all;
  }
  free(from_params);
  return hoisted;
}

/* Gives each hoisted value of E a place in the derived buffer (*END grows).
 * A value an earlier entry hoisted under the same name and type is the same
 * tensor (both graphs come from one model through the same passes): it is
 * shared, and P_prepare computes it once. */
static void place_derived(Entry *e, const Entry *earlier, int nearlier, int64_t *end) {
  const Graph *g = e->g;
  e->hoisted = hoistable_ops(g);
  e->prepare_skip = xcalloc((size_t)g->ops.len + 1, sizeof *e->prepare_skip);
  e->derived_at = xmalloc(((size_t)g->next_value_id + 1) * sizeof *e->derived_at);
  for (int i = 0; i <= g->next_value_id; i++) e->derived_at[i] = -1;
  for (int i = 0; i < g->ops.len; i++) {
    e->prepare_skip[i] = !e->hoisted[i];
    if (!e->hoisted[i]) continue;
    const IrOp *op = g->ops.items[i];
    bool shared = true;
    for (int r = 0; r < op->results.len; r++) {
      const IrValue *v = op->results.items[r];
      int64_t at = -1;
      for (int k = 0; k < nearlier && at < 0; k++) {
        const IrValue *w = ir_find_value(earlier[k].g, v->name);
        if (w && ir_type_eq(&w->type, &v->type) && earlier[k].derived_at[w->id] >= 0)
          at = earlier[k].derived_at[w->id];
      }
      shared &= at >= 0;
      if (at < 0) {
        at = *end;
        *end += plan_value_floats(&v->type);
      }
      e->derived_at[v->id] = at;
    }
    e->prepare_skip[i] = shared;
  }
}

/* ---- bindings ------------------------------------------------------------------------- */

static void bind_params(LowerCtx *c, const Graph *g, const ParamLayout *pl, LVar *params) {
  for (int i = 0; i < g->params.len; i++)
    lower_bind(c, g->params.items[i], params, pl->offset[param_layout_find(pl, g->params.items[i]->key)], 0);
}

static void bind_derived(LowerCtx *c, const Entry *e, LVar *derived) {
  for (int i = 0; i < e->g->ops.len; i++) {
    const IrOp *op = e->g->ops.items[i];
    for (int r = 0; r < op->results.len; r++)
      if (e->derived_at[op->results.items[r]->id] >= 0)
        lower_bind(c, op->results.items[r], derived, e->derived_at[op->results.items[r]->id], 0);
  }
}

static bool bind_input(LowerCtx *c, const Graph *g, const char *name, LVar *buffer, Diag *d) {
  IrValue *v = ir_find_value(g, name);
  if (!v || v->kind != IR_VALUE_INPUT) {
    diag(d, DIAG_ERROR, "internal error: lowering %s: the graph has no input '%s'", lower_func(c)->name, name);
    return false;
  }
  lower_bind(c, v, buffer, 0, 0);
  return true;
}

/* An output lives in an ABI buffer: the op computing it writes there. */
static bool bind_output(LowerCtx *c, const IrOutput *out, LVar *buffer, int64_t offset, int64_t per_batch, Diag *d) {
  if (out->value->kind != IR_VALUE_RESULT || lower_is_bound(c, out->value)) {
    diag(d, DIAG_ERROR, "internal error: lowering %s: output '%s' (%%%s) is not the only use of an op's result",
         lower_func(c)->name, out->name, out->value->name);
    return false;
  }
  lower_bind(c, out->value, buffer, offset, per_batch);
  return true;
}

/* Output k of the features graph is slot k of (depth, 2, batch, tokens, dim). */
static bool bind_features(LowerCtx *c, const Graph *g, const Model *m, LVar *features, Diag *d) {
  int64_t slot = (int64_t)model_tokens(m) * m->dim;
  bool ok = true;
  for (int k = 0; k < g->outputs.len && ok; k++) {
    const IrValue *v = g->outputs.items[k].value;
    bool any_batch = v->type.dims[0] == IR_BATCH;
    if (ir_type_numel(&v->type, 1) != (any_batch ? slot : slot * v->type.dims[0])) {
      diag(d, DIAG_ERROR, "P_features stores (tokens, dim) per layer and image; '%s' has another size "
                          "(heads·dim_head must equal dim)",
           g->outputs.items[k].name);
      return false;
    }
    ok = any_batch ? bind_output(c, &g->outputs.items[k], features, 0, k * slot, d)
                                     : bind_output(c, &g->outputs.items[k], features, k * v->type.dims[0] * slot, 0, d);
  }
  return ok;
}

static bool bind_train_outputs(LowerCtx *c, const Graph *g, const ParamLayout *pl, LVar *loss, LVar *logits,
                               LVar *grads, Diag *d) {
  bool ok = true;
  for (int k = 0; k < g->outputs.len && ok; k++) {
    const IrOutput *out = &g->outputs.items[k];
    int p = param_layout_find(pl, out->name);
    if (strcmp(out->name, "loss") == 0)
      ok = bind_output(c, out, loss, 0, 0, d);
    else if (strcmp(out->name, "logits") == 0)
      ok = bind_output(c, out, logits, 0, 0, d);
    else if (p >= 0)
      ok = bind_output(c, out, grads, pl->offset[p], 0, d);
    else {
      diag(d, DIAG_ERROR, "internal error: lowering: training output '%s' is neither loss, logits nor a parameter",
           out->name);
      ok = false;
    }
  }
  return ok;
}

/* ---- entries ---------------------------------------------------------------------------- */

/* What every entry's lowering reads. */
typedef struct Build {
  LModule *mod;
  KernelCache *kernels;
  const Model *m;
  const ParamLayout *pl;
  const Target *t;
  ProfileSlots *prof;   /* NULL: not profiling */
  Diag *d;
} Build;

static bool lower_inference(const Build *b, Entry *e, int which, int64_t work[2]) {
  LFunc *f = e->f;
  const ParamLayout *pl = b->pl;
  Diag *d = b->d;
  LVar *params = lfunc_param(f, "params", LT_PTR_F32), *derived = lfunc_param(f, "derived", LT_PTR_F32);
  LVar *images = lfunc_param(f, "images", LT_PTR_F32);
  LVar *out = lfunc_param(f, which == ENTRY_FORWARD ? "logits" : "features", LT_PTR_F32);
  LVar *workv = lfunc_param(f, "work", LT_PTR_F32), *batch = lfunc_param(f, "batch", LT_I64);
  e->c = lower_ctx_new(b->mod, f, batch, b->t);
  bind_params(e->c, e->g, pl, params);
  bind_derived(e->c, e, derived);
  bool ok = bind_input(e->c, e->g, "images", images, d);
  if (ok && which == ENTRY_FORWARD) ok = bind_output(e->c, &e->g->outputs.items[0], out, 0, 0, d);
  if (ok && which == ENTRY_FEATURES) ok = bind_features(e->c, e->g, b->m, out, d);
  return ok && lower_ops(e->c, b->kernels, e->g, e->hoisted, workv, 0, batch, work, b->prof, entry_names[which], d);
}

static bool lower_train(const Build *b, Entry *e, int64_t work[2]) {
  LFunc *f = e->f;
  const ParamLayout *pl = b->pl;
  Diag *d = b->d;
  LVar *params = lfunc_param(f, "params", LT_PTR_F32), *images = lfunc_param(f, "images", LT_PTR_F32);
  LVar *labels = lfunc_param(f, "labels", LT_PTR_I64), *loss = lfunc_param(f, "loss", LT_PTR_F32);
  LVar *logits = lfunc_param(f, "logits", LT_PTR_F32), *grads = lfunc_param(f, "grads", LT_PTR_F32);
  LVar *workv = lfunc_param(f, "work", LT_PTR_F32), *batch = lfunc_param(f, "batch", LT_I64);
  e->c = lower_ctx_new(b->mod, f, batch, b->t);
  bind_params(e->c, e->g, pl, params);
  bool ok = bind_input(e->c, e->g, "images", images, d) && bind_input(e->c, e->g, "labels", labels, d) &&
            bind_train_outputs(e->c, e->g, pl, loss, logits, grads, d);
  return ok && lower_ops(e->c, b->kernels, e->g, NULL, workv, 0, batch, work, b->prof, "train", d);
}

/* P_prepare runs every inference entry's hoisted ops once, in order; the
 * scratch of those ops follows the derived values. */
static bool lower_prepare(const Build *b, LFunc *f, Entry *entries, int n, int64_t end, int64_t *derived_floats) {
  const ParamLayout *pl = b->pl;
  Diag *d = b->d;
  LVar *params = lfunc_param(f, "params", LT_PTR_F32), *derived = lfunc_param(f, "derived", LT_PTR_F32);
  bool ok = true;
  *derived_floats = end;
  for (int k = 0; k < n; k++) {
    LowerCtx *c = lower_ctx_new(b->mod, f, NULL, b->t);
    bind_params(c, entries[k].g, pl, params);
    bind_derived(c, &entries[k], derived);
    int64_t work[2];
    ok &= lower_ops(c, b->kernels, entries[k].g, entries[k].prepare_skip, derived, end, NULL, work, b->prof, "prepare", d);
    lower_ctx_free(c);
    if (work[0] > *derived_floats) *derived_floats = work[0];
    if (work[1]) {
      diag(d, DIAG_ERROR, "internal error: P_prepare: an op asked for scratch that grows with the batch");
      ok = false;
    }
  }
  return ok;
}

/* ---- the module ----------------------------------------------------------------------------- */

static LFunc *entry_func(LModule *mod, const char *prefix, const char *name) {
  char *full = xasprintf("%s_%s", prefix, name);
  LFunc *f = lfunc_new(mod, full, true);
  free(full);
  return f;
}

/* a + b·batch, INT64_MAX when that does not fit. */
static int64_t work_at(const int64_t w[2], int64_t batch) {
  int64_t per_batch, floats;
  if (__builtin_mul_overflow(w[1], batch, &per_batch) || __builtin_add_overflow(per_batch, w[0], &floats))
    return INT64_MAX;
  return floats;
}

bool lower_activation_floats(const Model *m, const Target *t, int opt_level, int64_t batch, int64_t *infer,
                             int64_t *train, Diag *d) {
  const LowerOptions o = {.prefix = "crate_model", .target = t, .pipeline = {.opt_level = opt_level}};
  Lowered *l = lower_model(m, &o, d);
  if (!l) return false;
  *infer = work_at(l->work[ENTRY_FORWARD], batch);
  *train = work_at(l->work[ENTRY_TRAIN], batch);
  lowered_free(l);
  return true;
}

void lowered_free(Lowered *l) {
  if (!l) return;
  lmodule_free(l->module);
  free(l->desc);
  for (int i = 0; i < l->profile.count; i++) free(l->profile.labels[i]);
  free(l->profile.labels);
  free(l->profile.flops);
  free(l);
}

static bool lower_entries(Lowered *l, Entry *e, const Model *m, const ParamLayout *pl, const LowerOptions *o,
                          Diag *d) {
  LModule *mod = l->module;
  KernelCache kernels = {0};
  const Build b = {mod, &kernels, m, pl, o->target, o->profile ? &l->profile : NULL, d};
  int64_t derived_end = 0;
  place_derived(&e[ENTRY_FORWARD], NULL, 0, &derived_end);
  place_derived(&e[ENTRY_FEATURES], e, 1, &derived_end);
  bool ok = lower_prepare(&b, entry_func(mod, o->prefix, "prepare"), e, 2, derived_end, &l->derived_floats);
  for (int k = 0; k < NENTRIES; k++) {
    if (!e[k].g) continue;
    e[k].f = entry_func(mod, o->prefix, entry_names[k]);
    ok &= k == ENTRY_TRAIN ? lower_train(&b, &e[k], l->work[k]) : lower_inference(&b, &e[k], k, l->work[k]);
  }
  kernel_cache_free(&kernels);
  return ok;
}

/* The blobs the host program reads: the description, and the weights. */
static void add_exported_data(Lowered *l, const char *prefix, const LowerOptions *o) {
  char *name = xasprintf("%s_desc", prefix);
  lmodule_data(l->module, name, l->desc, strlen(l->desc) + 1, 64)->exported = true;
  free(name);
  if (!o->weights) return;
  name = xasprintf("%s_weights", prefix);
  lmodule_data(l->module, name, o->weights, o->weights_size, 64)->exported = true;
  free(name);
}

Lowered *lower_model(const Model *m, const LowerOptions *o, Diag *d) {
  Lowered *l = xcalloc(1, sizeof *l);
  l->module = lmodule_new(o->prefix);
  ParamLayout pl;
  param_layout_init(&pl, m);
  l->param_floats = pl.floats;
  Entry e[NENTRIES] = {0};
  bool ok = true;
  for (int k = 0; k < NENTRIES && ok; k++)
    if (k != ENTRY_TRAIN || !o->no_train) ok = (e[k].g = entry_graph(k, m, o, d)) != NULL;
  ok = ok && lower_entries(l, e, m, &pl, o, d);
  if (ok) {
    l->desc = lower_description(m, &pl, o, l);
    add_exported_data(l, o->prefix, o);
  }
  for (int k = 0; k < NENTRIES; k++) {
    lower_ctx_free(e[k].c);
    ir_graph_free(e[k].g);
    free(e[k].hoisted);
    free(e[k].prepare_skip);
    free(e[k].derived_at);
  }
  param_layout_free(&pl);
  if (ok) return l;
  lowered_free(l);
  return NULL;
}
