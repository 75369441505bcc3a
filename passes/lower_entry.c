/* One entry's body: the arena plan applied as bindings, then each op's
 * kernel in program order (lower_model.h). */
#include "lower_model.h"

#include <stdlib.h>

/* Results the caller did not bind (to ABI buffers or the derived buffer)
 * go to the planned arena. */
static MemPlan *bind_arena(LowerCtx *c, const Graph *g, const bool *skip, LVar *work, int64_t base) {
  bool *external = xcalloc((size_t)g->next_value_id + 1, sizeof *external);
  for (int i = 0; i < g->ops.len; i++) {
    const IrOp *op = g->ops.items[i];
    for (int r = 0; r < op->results.len; r++) external[op->results.items[r]->id] = lower_is_bound(c, op->results.items[r]);
  }
  MemPlan *p = plan_memory(g, external, skip);
  free(external);
  for (int i = 0; i < g->ops.len; i++) {
    const IrOp *op = g->ops.items[i];
    for (int r = 0; r < op->results.len; r++) {
      const IrValue *v = op->results.items[r];
      if (!p->planned[v->id]) continue;
      if (p->per_batch[v->id])
        lower_bind(c, v, work, base + p->fixed, p->offset[v->id]);
      else
        lower_bind(c, v, work, base + p->offset[v->id], 0);
    }
  }
  lower_set_scratch_base(c, work, base + p->fixed, p->batch);
  return p;
}

bool lower_ops(LowerCtx *c, const Graph *g, const bool *skip, LVar *work, int64_t base, int64_t work_floats[2],
               Diag *d) {
  MemPlan *p = bind_arena(c, g, skip, work, base);
  bool ok = true;
  bool reported[IR_OP_COUNT] = {0};
  for (int i = 0; i < g->ops.len; i++) {
    if (skip && skip[i]) continue;
    const IrOp *op = g->ops.items[i];
    KernelFn kernel = kernel_for(op->kind);
    if (!kernel) {
      if (!reported[op->kind])
        diag(d, DIAG_ERROR, "%s: no kernel emitter for op '%s' (%%%s)", lower_func(c)->name, ir_op_name(op->kind),
             op->results.items[0]->name);
      reported[op->kind] = true;
      ok = false;
      continue;
    }
    lower_begin_op(c);
    lower_emit(c, lcomment("%%%s = %s", op->results.items[0]->name, ir_op_name(op->kind)));
    ok &= kernel(c, op, d);
  }
  int64_t scratch, scratch_per_batch;
  lower_scratch_peak(c, &scratch, &scratch_per_batch);
  /* The scratch base is rounded up to 64 bytes: count that rounding too. */
  work_floats[0] = (base + p->fixed + 15) / 16 * 16 + scratch;
  work_floats[1] = p->batch + scratch_per_batch;
  plan_free(p);
  return ok;
}
