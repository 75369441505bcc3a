/* lower_internal.h — what the files of the lowering driver share (lower.c,
 * lower_entry.c, lower_desc.c); not an interface of the layer. */
#ifndef CRATEC_LOWER_INTERNAL_H
#define CRATEC_LOWER_INTERNAL_H

#include "kernel.h"
#include "lower.h"

/* Where each parameter lives in the params (and grads) buffer: state_dict
 * order, each tensor 64-byte aligned. */
typedef struct ParamLayout {
  const ParamInfo *info;   /* the program's */
  int count;
  int64_t *offset;
  int64_t floats;
} ParamLayout;

void param_layout_init(ParamLayout *pl, const ProgramDesc *p);
void param_layout_free(ParamLayout *pl);
/* The index of KEY, or -1. */
int param_layout_find(const ParamLayout *pl, const char *key);

/* The kernel functions made so far: an op whose kernel prints the same as
 * one of them calls it instead of getting its own. */
typedef struct KernelCache {
  VEC(char *) texts;
  VEC(const char *) names;   /* the functions' names (owned by the module) */
} KernelCache;

void kernel_cache_free(KernelCache *kc);

/* Emits G's ops, except those SKIP marks (by op index; may be NULL), into
 * C's function in program order: one call each of a kernel function.
 * The values PLAN places (may be NULL: every result of the ops run is bound
 * already) go to an arena at WORK + BASE floats, followed by the ops'
 * scratch; WORK_FLOATS gets the floats {a, b} (BASE included) that WORK
 * must hold for a batch of a + b·batch. BATCH is the entry's batch
 * parameter (NULL in P_prepare). PROF (may be NULL) gets a slot for each
 * kernel call, which is timed, labelled with ENTRY. False (reported to D)
 * when an op has no emitter, its emitter fails, or a result is neither
 * bound nor planned. */
bool lower_ops(LowerCtx *c, KernelCache *kc, const Graph *g, const bool *skip, const MemPlan *plan, LVar *work,
               int64_t base, LVar *batch, int64_t work_floats[2], ProfileSlots *prof, const char *entry, Diag *d);

/* The description JSON of the ABI comment (lower_desc.c); caller frees. */
char *lower_description(const ProgramDesc *p, const ParamLayout *pl, const LowerOptions *o, const Lowered *l);

#endif
