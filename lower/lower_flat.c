/* Flat lowering: every value in its own slot of one arena, for checking
 * kernels against the reference executor (kernel.h). */
#include "kernel.h"

#include <stdlib.h>

/* 16 floats: every slot starts on a cache line, as the planner's do. */
static int64_t slot(int64_t floats) { return (floats + 15) / 16 * 16; }

static void bind_value(LowerCtx *c, const IrValue *v, LVar *arena, LVar *labels, int64_t batch,
                       FlatLowering *out) {
  if (v->type.dtype == IR_I64) {
    lower_bind(c, v, labels, 0, 0);
    return;
  }
  out->offset[v->id] = out->floats;
  lower_bind(c, v, arena, out->floats, 0);
  out->floats += slot(ir_type_numel(&v->type, batch));
}

bool lower_flat(const Graph *g, int64_t batch, const Target *t, bool per_op, FlatLowering *out, Diag *d) {
  *out = (FlatLowering){.module = lmodule_new(g->name), .offset = xcalloc((size_t)g->next_value_id, sizeof *out->offset)};
  int nfuncs = per_op ? g->ops.len : 1;
  LowerCtx **ctx = xcalloc((size_t)nfuncs, sizeof *ctx);
  LVar **arena = xcalloc((size_t)nfuncs, sizeof *arena), **labels = xcalloc((size_t)nfuncs, sizeof *labels);
  for (int k = 0; k < nfuncs; k++) {
    char *name = per_op ? xasprintf("op%d", k) : xstrdup("all");
    LFunc *f = lfunc_new(out->module, name, true);
    free(name);
    arena[k] = lfunc_param(f, "arena", LT_PTR_F32);
    labels[k] = lfunc_param(f, "labels", LT_PTR_I64);
    ctx[k] = lower_ctx_new(out->module, f, lfunc_param(f, "batch", LT_I64), t);
  }
  /* Every function sees every value at the same offset. */
  for (int k = 0; k < nfuncs; k++) {
    out->floats = 0;
    for (int i = 0; i < g->inputs.len; i++) bind_value(ctx[k], g->inputs.items[i], arena[k], labels[k], batch, out);
    for (int i = 0; i < g->params.len; i++) bind_value(ctx[k], g->params.items[i], arena[k], labels[k], batch, out);
    for (int i = 0; i < g->ops.len; i++)
      for (int j = 0; j < g->ops.items[i]->results.len; j++)
        bind_value(ctx[k], g->ops.items[i]->results.items[j], arena[k], labels[k], batch, out);
    lower_set_scratch_base(ctx[k], arena[k], out->floats, 0);
  }
  bool ok = true;
  for (int i = 0; i < g->ops.len && ok; i++) {
    const IrOp *op = g->ops.items[i];
    LowerCtx *c = ctx[per_op ? i : 0];
    KernelFn k = kernel_for(op->kind);
    if (!k) {
      diag(d, DIAG_ERROR, "no kernel emitter for op '%s' (%%%s)", ir_op_name(op->kind), op->results.items[0]->name);
      ok = false;
      break;
    }
    lower_begin_op(c);
    ok = k(c, op, d);
  }
  int64_t scratch = 0;
  for (int k = 0; k < nfuncs; k++) {
    int64_t peak, peak_per_batch;
    lower_scratch_peak(ctx[k], &peak, &peak_per_batch);
    if (peak + peak_per_batch * batch > scratch) scratch = peak + peak_per_batch * batch;
    lower_ctx_free(ctx[k]);
  }
  out->floats = slot(out->floats) + slot(scratch);
  free(ctx);
  free(arena);
  free(labels);
  if (ok) ok = lmodule_verify(out->module, d);
  if (!ok) flat_lowering_free(out);
  return ok;
}

void flat_lowering_free(FlatLowering *f) {
  lmodule_free(f->module);
  free(f->offset);
  *f = (FlatLowering){0};
}
