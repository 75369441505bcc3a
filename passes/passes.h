/* passes.h — the passes that rewrite the dataflow graph, and the lowering
 * that turns it into loop IR. This header is the map of the layer.
 *
 * A pass is `bool pass_NAME(Graph *g, const Target *t, Diag *d)`: it rewrites
 * G in place, reports problems to D and returns false only on an error (a
 * pass that finds nothing to do returns true and leaves G as it was). The
 * pipeline (pipeline.c) runs them in one linear order that reads as the
 * documentation of the compiler; `--passes` and `--dump-after` name them by
 * the NAME part.
 *
 *   pipeline.c     the pass list, -O levels, --passes, --dump-after
 *   autodiff.c     training graph -> training graph + backward ops
 *   lower*.c       graph -> loop IR entries of the compiled-model ABI
 *                  (runtime/cratert.h, "compiled models")
 *   kernel_*.c     one loop-IR kernel emitter per op kind (lower.h)
 */
#ifndef CRATEC_PASSES_H
#define CRATEC_PASSES_H

#include "ir.h"
#include "target.h"

typedef bool (*PassFn)(Graph *g, const Target *t, Diag *d);

/* ---- autodiff (autodiff.c) ------------------------------------------------------
 * On a training graph (outputs "loss", "logits"), appends the backward ops
 * (IR_FLAG_GRAD) that compute d loss / d p for every parameter p and adds
 * one graph output per parameter, named by its state_dict key, in the
 * order of g->params (SPEC §5). */
bool pass_autodiff(Graph *g, const Target *t, Diag *d);

#endif
