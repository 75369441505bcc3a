/* autodiff.h — private to the autodiff pass: the state the per-op rules
 * (autodiff_rules.c) share with the pass (autodiff.c). */
#ifndef CRATEC_PASSES_AUTODIFF_H
#define CRATEC_PASSES_AUTODIFF_H

#include "ir.h"

typedef struct Autodiff {
  Graph *g;
  Diag *d;
  IrValue **grad;     /* (g->next_value_id at the start): d loss / d value so far, or NULL */
  bool *needs;        /* (same): the value depends on a parameter */
  int nvalues;
  bool failed;
} Autodiff;

/* Adds G to the gradient of V (with an add when V already has one); values
 * that do not depend on a parameter get none. */
void ad_accumulate(Autodiff *ad, const IrValue *v, IrValue *g);
/* Appends OP (operands and attributes set) with results named "d.<NAME>",
 * one per entry of NAMES; returns result 0, or NULL once anything failed. */
IrValue *ad_emit(Autodiff *ad, IrOp *op, const char *const *names);

/* Appends the ops that propagate GY, the gradient of OP's result, to OP's
 * operands. False (reported) for an op kind autodiff cannot differentiate. */
bool ad_rule(Autodiff *ad, const IrOp *op, IrValue *gy);

#endif
