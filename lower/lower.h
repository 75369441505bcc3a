/* lower.h — the lowering: an optimized dataflow graph to loop IR, the level
 * the backends print. This header is the map of the layer.
 *
 *   lower.c        the module: P_desc, P_prepare, P_forward, P_features,
 *                  P_train_step (runtime/cratert_abi.h, "compiled models")
 *   lower_entry.c  one entry's body
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
 * P_train_step (runtime/cratert_abi.h, "compiled models"), and P_weights when
 * weights are embedded. Each entry's optimized graph comes with the plan of
 * its work arena (plan_entry): its values are bound (ABI buffers, the
 * derived buffer for the ops the plan hoists, the planned arena) and every
 * op's kernel emitter appends its code. */
typedef enum { ENTRY_FORWARD, ENTRY_FEATURES, ENTRY_TRAIN, ENTRY_COUNT } EntryKind;
/* "forward", "features", "train": an entry's graph in dumps, its arena in
 * the description's work_floats. */
const char *entry_label(EntryKind k);

typedef struct LowerOptions {
  const char *prefix;          /* symbol prefix P: "crate_model", or the model's name for libraries */
  int64_t batch;               /* the batch the graphs were fixed to (ir_set_batch); 0: any */
  const void *weights;         /* safetensors bytes to embed as P_weights (borrowed), or NULL */
  size_t weights_size;
  const Target *target;
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
  int64_t work[ENTRY_COUNT][2];   /* work_floats {a, b} of each entry */
} Lowered;

/* The module of the program P whose entries compute GRAPHS, each after the
 * pipeline, with the arenas PLANS (plan_entry: hoisting for the inference
 * entries, not for training), both indexed by EntryKind and borrowed. A
 * NULL training graph leaves P_train_step out (inference-only objects; not
 * for the host's executables, which call it). NULL after reporting to D
 * (an op no kernel emitter handles). */
Lowered *lower_program(const ProgramDesc *p, Graph *const graphs[ENTRY_COUNT], MemPlan *const plans[ENTRY_COUNT],
                       const LowerOptions *o, Diag *d);
void lowered_free(Lowered *l);

/* The C header of a `--emit lib` library (lower_header.c): the P_ entry
 * declarations, the model's sizes as P_-prefixed macros, and convenience
 * functions over the runtime's session API, declared without the runtime's
 * headers. */
void lower_write_header(FILE *out, const ProgramDesc *p, const char *prefix);
/* The C source of those functions (compiled with cratert_host.h into the
 * library); EMBEDDED_WEIGHTS: the module defines P_weights. */
void lower_write_api_source(FILE *out, const char *prefix, bool embedded_weights);

#endif
