/* kg.h — checks of the backward-op emitters (lower/kernel_grad_*.c)
 * against the reference executor (ir/eval.h) on the same graph and data. */
#ifndef CRATEC_KG_H
#define CRATEC_KG_H

#include "kt.h"

/* Runs T's graph in the reference executor on T's inputs, parameters and
 * labels, and checks every op result of T against it within TOL (kt_close_to). */
void kg_check_eval(KTest *t, double tol);
/* Runs T with 1 and then 2 threads and checks the op results are bitwise equal. */
void kg_check_threads(KTest *t);
/* Opens IR for BATCH with BACKEND, fills its inputs from SEED in [LO, HI),
 * runs it and makes both checks above. */
void kg_check_graph(const char *ir, int64_t batch, const char *backend, double tol, unsigned seed, float lo, float hi);

Suite *kg_simple_suite(void);
Suite *kg_ops_suite(void);
Suite *kg_attn_suite(void);

#endif
