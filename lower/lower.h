/* lower.h — the lowering: an optimized dataflow graph to loop IR, the level
 * the backends print. This header is the map of the layer.
 *
 *   lower.c        the module: P_desc, P_prepare, P_forward, P_features,
 *                  P_train_step (runtime/cratert.h, "compiled models")
 *   lower_entry.c  one entry;  lower_graphs.c the graph variants
 *   lower_desc.c   the JSON description;  lower_header.c the library header
 *   lower_ctx.c    storage bindings and scratch (kernel.h)
 *   lower_flat.c   every value in its own slot, for verify and the tests
 *   kernels.c      the emitter of each op kind;  kernel_*.c the emitters
 *                  (instruction selection: one op to loops and GEMM calls)
 */
#ifndef CRATEC_LOWER_PUBLIC_H
#define CRATEC_LOWER_PUBLIC_H

#include "kernel.h"
#include "passes.h"

/* ---- lowering to the compiled-model ABI (lower*.c) ---------------------------------
 * One module defining P_desc, P_prepare, P_forward, P_features and
 * P_train_step (runtime/cratert.h, "compiled models"), and P_weights when
 * weights are embedded. Each entry's graph goes through the pipeline, then
 * its values are bound (ABI buffers, the derived buffer for values computed
 * from parameters alone, the planned work arena) and every op's kernel
 * emitter appends its code. */
typedef struct LowerOptions {
  const char *prefix;          /* symbol prefix P: "crate_model", or the model's name for libraries */
  int64_t batch;               /* fixed batch size; 0: any */
  bool no_train;               /* leave P_train_step out (inference-only objects; not for the
                                  host's executables, which call it) */
  const void *weights;         /* safetensors bytes to embed as P_weights (borrowed), or NULL */
  size_t weights_size;
  const Target *target;
  PipelineOptions pipeline;
  bool profile;                /* time every kernel call (cratec build --profile, OUT bench --profile) */
} LowerOptions;

/* With LowerOptions.profile every kernel call of the entries is timed into
 * a runtime profiling slot (crt_profile_add); the description's "profile"
 * list has, for slot i, {"label": "ENTRY OP %VALUE", "flops": per image}. */
typedef struct ProfileSlots {
  char **labels;
  int64_t *flops;   /* per batch item (ir_op_flops) */
  int count;
} ProfileSlots;

typedef struct Lowered {
  LModule *module;
  ProfileSlots profile;
  char *desc;                  /* P_desc's JSON; the module's blob points into it */
  int64_t param_floats, derived_floats;
  int64_t work[3][2];          /* work_floats {a, b} of forward, features, train */
} Lowered;

/* NULL after reporting to D (an op no kernel emitter handles, a failing
 * pass). */
Lowered *lower_model(const Model *m, const LowerOptions *o, Diag *d);
void lowered_free(Lowered *l);

/* The graph P_features computes: the inference graph whose outputs are, per
 * layer l, "l<l>.q" = LN(Z^l)·Wqkvᵀ (the mssa op's normalized input times
 * its weight) and "l<l>.z" = Z^{l+1} (the ista result), and no logits. */
Graph *lower_features_graph(const Model *m, Diag *d);

/* Activation memory after the -O level's pipeline: the work buffers of
 * P_forward and P_train_step for BATCH items (planned arena and kernel
 * scratch, the work_floats the runtime reserves for each command), in
 * floats, INT64_MAX when the count does not fit (what lives in the caller's
 * buffers, outputs and hoisted values, not counted). False after reporting
 * to D. */
bool lower_activation_floats(const Model *m, const Target *t, int opt_level, int64_t batch, int64_t *infer,
                             int64_t *train, Diag *d);

/* The C header of a `--emit lib` library (lower_header.c): the P_ entry
 * declarations, the model's sizes as P_-prefixed macros, and convenience
 * functions over the runtime's session API, declared without cratert.h. */
void lower_write_header(FILE *out, const Model *m, const char *prefix);
/* The C source of those functions (compiled with cratert.h into the
 * library); EMBEDDED_WEIGHTS: the module defines P_weights. */
void lower_write_api_source(FILE *out, const char *prefix, bool embedded_weights);

#endif
