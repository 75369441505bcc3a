/* The middle of the compiler, shared by `cratec build` and `cratec check
 * --batch` so that check's memory figures are the ones the built program
 * reserves: each entry's graph built from the checked model, taken through
 * the pipeline, its work arena planned, then all of them lowered into one
 * module. */
#include <stdlib.h>

#include "driver.h"

Graph *driver_build_ir(const Model *m, EntryKind k, int64_t batch, Diag *d) {
  Graph *g = k == ENTRY_FORWARD    ? model_inference_graph(m, d)
             : k == ENTRY_FEATURES ? model_features_graph(m, d)
                                   : model_training_graph(m, m->train.label_smoothing, d);
  if (g && batch) ir_set_batch(g, batch);
  return g;
}

Compiled *driver_compile(const Model *m, const ProgramDesc *program, const PipelineOptions *po,
                         const LowerOptions *lo, bool train, Diag *d) {
  Compiled *c = xcalloc(1, sizeof *c);
  bool ok = true;
  for (int k = 0; k < ENTRY_COUNT && ok; k++) {
    if (k == ENTRY_TRAIN && !train) continue;
    c->graphs[k] = driver_build_ir(m, (EntryKind)k, lo->batch, d);
    ok = c->graphs[k] && pipeline_run(c->graphs[k], entry_label(k), lo->target, po, d);
    if (ok) c->plans[k] = plan_entry(c->graphs[k], k != ENTRY_TRAIN);
  }
  if (ok) c->lowered = lower_program(program, c->graphs, c->plans, lo, d);
  if (!c->lowered) {
    compiled_free(c);
    return NULL;
  }
  return c;
}

void compiled_free(Compiled *c) {
  if (!c) return;
  lowered_free(c->lowered);
  for (int k = 0; k < ENTRY_COUNT; k++) {
    plan_free(c->plans[k]);
    ir_graph_free(c->graphs[k]);
  }
  free(c);
}
