/* eval.h — the reference executor: runs any verified graph op by op, in
 * program order, on the reference kernels (runtime/reference/crate_ref.h).
 * It is the oracle that tests and `cratec verify` compare compiled code
 * against, so it keeps every value and aims at obviously right, not fast.
 *
 *   eval.c          values, bindings, the run loop and the table of
 *                   evaluation functions (ops.def's eval column)
 *   eval_forward.c  forward CRATE ops (composites whole)
 *   eval_lowered.c  the primitives composites lower to
 *   eval_grad.c     the backward ops autodiff adds
 *   eval_fused.c    the ops fusion passes make
 *
 * An op kind's evaluation function, `bool eval_NAME(IrEvalCtx *c)` in an
 * eval_*.c file, is named in the eval column of its ops.def row, which
 * declares it (eval_internal.h) and puts it in the table. Its results
 * arrive zeroed, so a kernel that adds into its outputs (as the reference
 * backward kernels do) can be called directly. An op whose entry is none
 * is an error naming it at ir_eval_run.
 *
 * Usage:
 *   IrEval *ev = ir_eval_new(g, batch, d);       // NULL: graph does not verify
 *   ir_eval_bind_param_key(ev, "cls_token", data, d);   // or by index
 *   ir_eval_bind_f32(ev, "images", images, d);
 *   ir_eval_bind_i64(ev, "labels", labels, d);
 *   if (ir_eval_run(ev, d)) use(ir_eval_output(ev, "logits"));
 *   ir_eval_free(ev);
 * Bindings copy the data; the graph is borrowed and must outlive EV. */
#ifndef CRATEC_IR_EVAL_H
#define CRATEC_IR_EVAL_H

#include "ir.h"

typedef struct IrEval IrEval;

/* BATCH is the value of every symbolic B dimension (ignored by a graph with
 * a fixed batch). Verifies G first: an invalid graph or a BATCH < 1 is
 * reported to D and gives NULL. */
IrEval *ir_eval_new(const Graph *g, int64_t batch, Diag *d);
void ir_eval_free(IrEval *ev);

/* Binds g->params.items[INDEX] (or the parameter bound to KEY) to a copy of
 * DATA, which holds as many floats as the parameter's type. An unknown
 * index or key is reported to D and gives false. */
bool ir_eval_bind_param(IrEval *ev, int index, const float *data, Diag *d);
bool ir_eval_bind_param_key(IrEval *ev, const char *key, const float *data, Diag *d);
/* Binds graph input NAME (f32 or i64, matching its type) to a copy of DATA. */
bool ir_eval_bind_f32(IrEval *ev, const char *name, const float *data, Diag *d);
bool ir_eval_bind_i64(IrEval *ev, const char *name, const int64_t *data, Diag *d);

/* Runs every op. Unbound inputs or parameters, ops without a reference
 * implementation and data errors (a label out of range) are reported to D,
 * naming the op; the run stops there and gives false. */
bool ir_eval_run(IrEval *ev, Diag *d);

/* KIND has an evaluation function (its ops.def entry is not none). */
bool ir_eval_supports(IrOpKind kind);

/* The data of any f32 value of the graph after a run (NULL for an i64
 * value, or a result not yet computed); ir_eval_numel gives its length. */
const float *ir_eval_value(const IrEval *ev, const IrValue *v);
int64_t ir_eval_numel(const IrEval *ev, const IrValue *v);
/* The value of graph output NAME, or NULL when there is none. */
const float *ir_eval_output(const IrEval *ev, const char *name);

#endif
