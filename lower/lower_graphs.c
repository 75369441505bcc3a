/* The graph variants behind the entries that are not plain inference or
 * training: P_features' graph (passes.h). */
#include "lower.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Layer l's outputs, in the order of the features buffer (depth, 2, ...). */
static bool add_layer_outputs(Graph *g, Diag *d) {
  int nmssa = 0, nista = 0;
  for (int i = 0; i < g->ops.len; i++) {
    IrOp *op = g->ops.items[i];
    char name[48];
    if (op->kind == IR_OP_MSSA) {
      /* The official hook (docs/model.md §6.2) sees the qkv Linear's output: no bias. */
      snprintf(name, sizeof name, "l%d.q", nmssa++);
      g->insert_at = ++i;   /* beside the mssa op, so its input's life does not grow */
      IrValue *q = ir_emit1(g, IR_OP_LINEAR, op->operands.items, 2, name, d);
      g->insert_at = -1;
      if (!q) return false;
      ir_add_output(g, name, q);
    } else if (op->kind == IR_OP_ISTA) {
      snprintf(name, sizeof name, "l%d.z", nista++);
      ir_add_output(g, name, op->results.items[0]);
    }
  }
  return true;
}

Graph *lower_features_graph(const Model *m, Diag *d) {
  Graph *g = ir_build_inference(m, d);
  if (!g) return NULL;
  /* Logits is output 0, the layers' outputs follow; dropping it lets the
   * head go dead. */
  bool ok = add_layer_outputs(g, d) && g->outputs.len == 1 + 2 * m->depth;
  if (ok) {
    free(g->outputs.items[0].name);
    memmove(g->outputs.items, g->outputs.items + 1, (size_t)--g->outputs.len * sizeof *g->outputs.items);
  }
  if (!ok) {
    ir_graph_free(g);
    return NULL;
  }
  ir_remove_dead(g);
  return g;
}
