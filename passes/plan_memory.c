/* Memory planning: one arena per entry, reused across values whose lives do
 * not overlap (passes.h). Greedy by size (largest first, lowest fitting
 * offset), as TensorFlow Lite's arena planner does: the large activations
 * of a transformer layer are placed first and the small ones fill the gaps. */
#include "passes.h"

#include <stdlib.h>

static int64_t round16(int64_t n) { return (n + 15) / 16 * 16; }

int64_t plan_value_floats(const IrType *t) {
  int64_t n = ir_type_numel(t, 1);
  return round16(t->dtype == IR_I64 ? 2 * n : n);
}

static bool has_batch(const IrType *t) { return t->dims[0] == IR_BATCH; }

/* Lives: first = the defining op, last = the last op reading it (the end
 * for a graph output). */
static void compute_lives(const Graph *g, MemPlan *p) {
  for (int i = 0; i < g->ops.len; i++) {
    const IrOp *op = g->ops.items[i];
    for (int r = 0; r < op->results.len; r++) {
      int id = op->results.items[r]->id;
      p->first[id] = p->last[id] = i;
    }
    for (int k = 0; k < op->operands.len; k++) p->last[op->operands.items[k]->id] = i;
  }
  for (int i = 0; i < g->outputs.len; i++) p->last[g->outputs.items[i].value->id] = g->ops.len;
}

typedef struct Item {
  const IrValue *v;
  int64_t size;
} Item;

static int by_size_desc(const void *a, const void *b) {
  const Item *x = a, *y = b;
  if (x->size != y->size) return x->size < y->size ? 1 : -1;
  return x->v->id - y->v->id;   /* deterministic */
}

static bool lives_overlap(const MemPlan *p, int a, int b) {
  return p->first[a] <= p->last[b] && p->first[b] <= p->last[a];
}

typedef struct Span {
  int64_t start, stop;
} Span;

static int by_start(const void *a, const void *b) {
  const Span *x = a, *y = b;
  return (x->start > y->start) - (x->start < y->start);
}

/* Places ITEMS (one region) and returns the region's size. */
static int64_t place_region(MemPlan *p, Item *items, int n) {
  qsort(items, (size_t)n, sizeof *items, by_size_desc);
  Span *busy = xmalloc((size_t)(n ? n : 1) * sizeof *busy);   /* placed values alive at the same time */
  int64_t end = 0;
  for (int i = 0; i < n; i++) {
    int id = items[i].v->id, nbusy = 0;
    for (int j = 0; j < i; j++) {
      int other = items[j].v->id;
      if (lives_overlap(p, id, other)) busy[nbusy++] = (Span){p->offset[other], p->offset[other] + items[j].size};
    }
    qsort(busy, (size_t)nbusy, sizeof *busy, by_start);
    int64_t at = 0;
    for (int j = 0; j < nbusy && at + items[i].size > busy[j].start; j++)
      if (busy[j].stop > at) at = busy[j].stop;
    p->offset[id] = at;
    p->planned[id] = true;
    if (at + items[i].size > end) end = at + items[i].size;
  }
  free(busy);
  return end;
}

MemPlan *plan_memory(const Graph *g, const bool *external, const bool *skip) {
  MemPlan *p = xcalloc(1, sizeof *p);
  int n = g->next_value_id;
  p->nvalues = n;
  p->planned = xcalloc((size_t)n + 1, sizeof *p->planned);
  p->per_batch = xcalloc((size_t)n + 1, sizeof *p->per_batch);
  p->offset = xcalloc((size_t)n + 1, sizeof *p->offset);
  p->first = xcalloc((size_t)n + 1, sizeof *p->first);
  p->last = xcalloc((size_t)n + 1, sizeof *p->last);
  compute_lives(g, p);

  Item *fixed = xmalloc(((size_t)n + 1) * sizeof *fixed), *batch = xmalloc(((size_t)n + 1) * sizeof *batch);
  int nfixed = 0, nbatch = 0;
  for (int i = 0; i < g->ops.len; i++) {
    if (skip && skip[i]) continue;
    const IrOp *op = g->ops.items[i];
    for (int r = 0; r < op->results.len; r++) {
      const IrValue *v = op->results.items[r];
      if (external && external[v->id]) continue;
      Item it = {v, plan_value_floats(&v->type)};
      if (has_batch(&v->type)) {
        p->per_batch[v->id] = true;
        batch[nbatch++] = it;
      } else {
        fixed[nfixed++] = it;
      }
    }
  }
  p->fixed = place_region(p, fixed, nfixed);
  p->batch = place_region(p, batch, nbatch);
  free(fixed);
  free(batch);
  return p;
}

static bool *hoistable_ops(const Graph *g) {
  bool *from_params = xcalloc((size_t)g->next_value_id + 1, sizeof *from_params);
  bool *hoisted = xcalloc((size_t)g->ops.len + 1, sizeof *hoisted);
  for (int i = 0; i < g->params.len; i++) from_params[g->params.items[i]->id] = true;
  for (int i = 0; i < g->ops.len; i++) {
    const IrOp *op = g->ops.items[i];
    bool all = true;
    for (int k = 0; k < op->operands.len; k++) all &= from_params[op->operands.items[k]->id];
    for (int r = 0; r < op->results.len; r++) all &= op->results.items[r]->type.dims[0] != IR_BATCH;
    hoisted[i] = all;
    for (int r = 0; r < op->results.len; r++) from_params[op->results.items[r]->id] = all;
  }
  free(from_params);
  return hoisted;
}

MemPlan *plan_entry(const Graph *g, bool hoist) {
  bool *outputs = xcalloc((size_t)g->next_value_id + 1, sizeof *outputs);
  for (int i = 0; i < g->outputs.len; i++) outputs[g->outputs.items[i].value->id] = true;
  bool *hoisted = hoist ? hoistable_ops(g) : NULL;
  MemPlan *p = plan_memory(g, outputs, hoisted);
  p->hoisted = hoisted;
  free(outputs);
  return p;
}

void plan_free(MemPlan *p) {
  if (!p) return;
  free(p->hoisted);
  free(p->planned);
  free(p->per_batch);
  free(p->offset);
  free(p->first);
  free(p->last);
  free(p);
}

int64_t plan_floats(const MemPlan *p, int64_t batch) { return p->fixed + p->batch * batch; }

int64_t plan_naive_floats(const Graph *g, const MemPlan *p, int64_t batch) {
  int64_t sum = 0;
  for (int i = 0; i < g->ops.len; i++) {
    const IrOp *op = g->ops.items[i];
    for (int r = 0; r < op->results.len; r++) {
      const IrValue *v = op->results.items[r];
      if (p->planned[v->id]) sum += plan_value_floats(&v->type) * (p->per_batch[v->id] ? batch : 1);
    }
  }
  return sum;
}
