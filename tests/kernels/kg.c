#include "kg.h"

#include <stdlib.h>
#include <string.h>

#include "cratert_abi.h"
#include "eval.h"

void kg_check_eval(KTest *t, double tol) {
  Diag d;
  diag_init(&d, stderr);
  Graph *g = t->g;
  IrEval *ev = ir_eval_new(g, t->batch, &d);
  ck_assert_ptr_nonnull(ev);
  for (int i = 0; i < g->inputs.len; i++) {
    IrValue *v = g->inputs.items[i];
    bool ok = v->type.dtype == IR_I64 ? ir_eval_bind_i64(ev, v->name, t->labels, &d)
                                      : ir_eval_bind_f32(ev, v->name, kt_at(t, v->name), &d);
    ck_assert(ok);
  }
  for (int i = 0; i < g->params.len; i++) ck_assert(ir_eval_bind_param(ev, i, kt_at(t, g->params.items[i]->name), &d));
  ck_assert_msg(ir_eval_run(ev, &d), "the reference executor failed");
  for (int i = 0; i < g->ops.len; i++)
    for (int j = 0; j < g->ops.items[i]->results.len; j++) {
      IrValue *v = g->ops.items[i]->results.items[j];
      kt_close_to(kt_at(t, v->name), ir_eval_value(ev, v), kt_numel(t, v->name), tol, v->name);
    }
  ir_eval_free(ev);
}

void kg_check_threads(KTest *t) {
  Graph *g = t->g;
  int saved = crt_threads();
  crt_set_threads(1);
  kt_run(t);
  VEC(float *) one = {0};
  for (int i = 0; i < g->ops.len; i++)
    for (int j = 0; j < g->ops.items[i]->results.len; j++) {
      const char *name = g->ops.items[i]->results.items[j]->name;
      size_t bytes = (size_t)kt_numel(t, name) * sizeof(float);
      vec_push(&one, memcpy(malloc(bytes), kt_at(t, name), bytes));
    }
  crt_set_threads(2);
  kt_run(t);
  crt_set_threads(saved);
  int k = 0;
  for (int i = 0; i < g->ops.len; i++)
    for (int j = 0; j < g->ops.items[i]->results.len; j++, k++) {
      const char *name = g->ops.items[i]->results.items[j]->name;
      ck_assert_msg(memcmp(one.items[k], kt_at(t, name), (size_t)kt_numel(t, name) * sizeof(float)) == 0,
                    "%s differs between 1 and 2 threads", name);
      free(one.items[k]);
    }
  free(one.items);
}

void kg_check_graph(const char *ir, int64_t batch, const char *backend, double tol, unsigned seed, float lo, float hi) {
  KTest t;
  kt_open(&t, ir, batch, backend);
  kt_fill_all(&t, seed, lo, hi);
  kt_run(&t);
  kg_check_eval(&t, tol);
  kg_check_threads(&t);
  kt_close(&t);
}
