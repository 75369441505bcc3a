/* eval_case.h — a PyTorch reference case (tests/data/<case>/) as the IR
 * executor sees it: the graph built from its model.crate, parameters bound
 * by their state_dict keys, images and labels bound by name. */
#ifndef IR_EVAL_CASE_H
#define IR_EVAL_CASE_H

#include <check.h>

#include "case_checks.h"
#include "eval.h"
#include "frontend.h"

typedef struct EvalCase {
  const char *name;
  ref_case ref;     /* weights, inputs and expected values (tests/reference) */
  Model *model;     /* from model.crate */
} EvalCase;

/* Opens case NAME; false (with a note on stdout) when its data is absent,
 * which only CRATE-Tiny's untracked weights may be. */
bool eval_case_open(EvalCase *c, const char *name);
void eval_case_close(EvalCase *c);

enum { GRAPH_TRAIN = 1 << 0, GRAPH_LOWERED = 1 << 1, GRAPH_AUTODIFF = 1 << 2, GRAPH_OPTIMIZED = 1 << 3 };
/* The inference graph, or with GRAPH_TRAIN the training graph with the
 * case's label smoothing; lowered and then differentiated as FLAGS say, or
 * through the -O2 pipeline with GRAPH_OPTIMIZED (the fused ops). */
Graph *eval_case_graph(const EvalCase *c, unsigned flags);
/* An executor for G at the case's batch with everything bound, after a run. */
IrEval *eval_case_run(const EvalCase *c, const Graph *g);

/* The data of value NAME of G after the run of EV. */
const float *eval_value_named(const IrEval *ev, const Graph *g, const char *name);

/* A Diag writing to stderr, for steps that must not fail. */
Diag *stderr_diag(void);

Suite *eval_cases_suite(void);
Suite *eval_errors_suite(void);
Suite *grad_ops_suite(void);
Suite *eval_ops_suite(void);

#endif
