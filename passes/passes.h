/* passes.h — the passes that rewrite the dataflow graph (graph in, graph
 * out), and memory planning. This header is the map of the layer; the
 * lowering to loop IR is the next layer (lower/lower.h).
 *
 * A pass is `bool pass_NAME(Graph *g, const Target *t, Diag *d)`: it rewrites
 * G in place, reports problems to D and returns false only on an error (a
 * pass that finds nothing to do returns true and leaves G as it was). The
 * pipeline (pipeline.c) runs them in one linear order that reads as the
 * documentation of the compiler; `--passes` and `--dump-after` name them by
 * the NAME part.
 *
 *   pipeline.c     the pass list, -O levels, --passes, --dump-after
 *   plan_memory.c  liveness-based placement of activations in the work arena
 *   autodiff.c     training graph -> training graph + backward ops
 */
#ifndef CRATEC_PASSES_H
#define CRATEC_PASSES_H

#include <stdio.h>

#include "ir.h"
#include "loop.h"
#include "target.h"

typedef bool (*PassFn)(Graph *g, const Target *t, Diag *d);

/* ---- autodiff (autodiff.c) ------------------------------------------------------
 * On a training graph (outputs "loss", "logits"), appends the backward ops
 * (IR_FLAG_GRAD) that compute d loss / d p for every parameter p and adds
 * one graph output per parameter, named by its state_dict key, in the
 * order of g->params (docs/model.md §5). First it rewrites each mssa with to_out as
 * linear(mssa(y, U), W_o, b_o), so the backward reads the attention output
 * instead of recomputing it. */
bool pass_autodiff(Graph *g, const Target *t, Diag *d);
/* KIND has a differentiation rule (its ops.def autodiff entry is not none). */
bool pass_autodiff_differentiates(IrOpKind kind);

/* ---- fusion (fuse_mssa.c, fold_ista.c; kernels in kernel_mssa.c, kernel_ista.c) ----
 * fuse_mssa: add(x, mssa(y, ...)) -> mssa_add(x, y, ...), the residual in the
 * output projection's epilogue (when the add is the mssa result's only use).
 * fold_ista (inference graphs): ista(y, D) -> ista_apply(y, ista_matrix(D)),
 * E = η(D − DᵀD) from parameters only (hoistable), then one GEMM y·E with y,
 * the threshold and ReLU in its epilogue. */
bool pass_fuse_mssa(Graph *g, const Target *t, Diag *d);
bool pass_fold_ista(Graph *g, const Target *t, Diag *d);

/* ---- weights (pack_weights.c) ----------------------------------------------------
 * Inference: linear(x, W, b) -> linear_t(x, transpose(W), b) and mssa_add's
 * U, W_o as transpose(U), transpose(W_o) {weights_t = 1} when they are
 * parameters, so the transposes are hoisted into P_prepare. */
bool pass_pack_weights(Graph *g, const Target *t, Diag *d);

/* ---- layernorm fusion (fuse_layernorm.c) ------------------------------------------
 * Inference: a layernorm whose one reader is mssa_add (as its normalised
 * input, the residual being the layernorm's x), ista_apply or linear_t
 * becomes part of it: layernorm_READER(x, γ, β, READER's other operands),
 * normalising each row tile in the kernel's scratch (ir.h). */
bool pass_fuse_layernorm(Graph *g, const Target *t, Diag *d);

/* ---- tiling (tile.c) -----------------------------------------------------------
 * Sets row_tile (GEMM row blocks) and query_tile (attention query tiles) on
 * the ops whose kernels read them, from the target's cache sizes
 * (docs/performance.md, "The tiling cost model"). */
bool pass_tile(Graph *g, const Target *t, Diag *d);
/* pass_tile sets KIND's tiles (its ops.def tile entry is not none). */
bool pass_tile_applies(IrOpKind kind);

/* ---- the pipeline (pipeline.c) -------------------------------------------------
 * -O0 runs only what code generation needs: expand_composites first, so
 * autodiff (on training graphs) differentiates the primitives and every op,
 * forward and backward, has a plain kernel. -O1 and up keep mssa and ista
 * whole for autodiff's fused backward ops and add the optimizing passes of
 * their level, in the table's order. */
bool pass_expand_composites(Graph *g, const Target *t, Diag *d);

typedef struct PipelineOptions {
  int opt_level;            /* 0..3 */
  const char *passes;       /* "a,b,c": run these (and the required passes) instead of the -O list */
  const char *dump_after;   /* a pass name or "all": print the IR after it; NULL: no dumps */
  FILE *dump;               /* where dumps go; NULL: stderr */
  bool verify_each;         /* ir_verify after every pass (always on without NDEBUG) */
} PipelineOptions;

/* Reports unknown names in O (with a did-you-mean hint); true when none. */
bool pipeline_check_options(const PipelineOptions *o, Diag *d);
/* Runs the selected passes on G. LABEL names the graph in dumps and errors
 * ("forward", "train"). A dump is "# ---- IR after PASS (LABEL)" followed by
 * the text form, or the header alone ending in "(unchanged)" when the pass
 * left the text as it was. */
bool pipeline_run(Graph *g, const char *label, const Target *t, const PipelineOptions *o, Diag *d);
/* The pass names, NULL-terminated; pipeline_list prints the table (name,
 * level, graphs, summary), one pass a line. */
const char *const *pipeline_pass_names(void);
void pipeline_list(FILE *out);

/* ---- memory planning (plan_memory.c) ---------------------------------------------
 * Places the values of one entry in its work arena: [0, fixed) holds values
 * of constant size, [fixed, fixed + per_batch·batch) the ones that grow with
 * the batch. A value lives from the op that defines it to its last use (in
 * program order; a graph output to the end); two values whose lives overlap
 * never share memory. Values are placed largest first, each at the lowest
 * offset clear of the overlapping ones already placed. Offsets are multiples
 * of 16 floats (64 bytes). */
typedef struct MemPlan {
  bool *hoisted;            /* by op index (plan_entry): run once by P_prepare, not by the entry; may be NULL */
  int nvalues;              /* the arrays below are indexed by IrValue.id */
  bool *planned;            /* the value lives in the arena */
  int64_t *offset;          /* planned: floats from its region's start, per batch item in the batch region */
  bool *per_batch;          /* planned: in the batch region */
  int64_t *first, *last;    /* planned: its life, as op indices */
  int64_t fixed, batch;     /* region sizes: fixed floats, and floats per batch item */
} MemPlan;

/* Plans every op result of G except those EXTERNAL marks (indexed by value
 * id, may be NULL: values bound elsewhere, such as the ABI's outputs) and
 * those of ops SKIP marks (indexed by op index, may be NULL: ops another
 * entry runs). Inputs and parameters are never planned. */
MemPlan *plan_memory(const Graph *g, const bool *external, const bool *skip);
/* The arena of a compiled model's entry computing G: every op result but
 * G's outputs, which live in the ABI's buffers. With HOIST (the inference
 * entries), the ops computed from parameters alone, transitively, whose
 * results do not grow with the batch are hoisted: P_prepare runs them once
 * into the derived buffer, so the entry neither runs them nor plans their
 * results. */
MemPlan *plan_entry(const Graph *g, bool hoist);
void plan_free(MemPlan *p);
/* Floats the arena needs for BATCH items. */
int64_t plan_floats(const MemPlan *p, int64_t batch);
/* Floats of the planned values without reuse, for BATCH items. */
int64_t plan_naive_floats(const Graph *g, const MemPlan *p, int64_t batch);
/* Floats a value of type T takes for one batch item (or in all, without B). */
int64_t plan_value_floats(const IrType *t);

#endif
