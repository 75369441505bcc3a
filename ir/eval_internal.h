/* eval_internal.h — private to the reference executor: what an op's
 * evaluation function sees, and the functions of the op table (eval.c). */
#ifndef CRATEC_IR_EVAL_INTERNAL_H
#define CRATEC_IR_EVAL_INTERNAL_H

#include "crate_ref.h"
#include "eval.h"
#include "op_columns.h"

/* One op being run. Operand and result data are the executor's buffers;
 * results are zeroed before the call. */
typedef struct IrEvalCtx {
  const IrOp *op;
  int64_t batch;
  void *const *in;    /* operand data: float *, or int64_t * for an i64 value */
  float *const *out;  /* result data */
  crt_error *e;       /* for data errors; the function then returns false */
} IrEvalCtx;

typedef bool (*IrEvalFn)(IrEvalCtx *c);
/* The eval column of ops.def for KIND, NULL for none (eval.c). */
IrEvalFn eval_fn(IrOpKind kind);

static inline const float *ev_in(const IrEvalCtx *c, int i) { return c->in[i]; }
/* Dimension AXIS (negative from the end) of operand I, B resolved. */
int ev_dim(const IrEvalCtx *c, int i, int axis);
/* Elements of operand I, and the rows of operand I seen as (rows, last dim). */
int64_t ev_numel(const IrEvalCtx *c, int i);
int ev_rows(const IrEvalCtx *c, int i);
/* A zeroed scratch buffer of N floats, freed with free(). */
float *ev_scratch(int64_t n);

/* Shared by a forward op and its gradient (eval_forward.c). */
/* MSSA's activations (W, A, O of docs/model.md §5.4) in scratch the caller frees with
 * eval_mssa_acts_free; OUT gets the forward result. Needs C's op to carry
 * mssa's attributes, and to_out only when it is an mssa op with 4 operands. */
typedef struct MssaActs {
  int B, N, d, K, p;
  float *w, *attn, *o;
} MssaActs;
bool eval_mssa_acts(IrEvalCtx *c, float *out, MssaActs *a);
void eval_mssa_acts_free(MssaActs *a);
ref_pool eval_pool_mode(const IrOp *op);
/* The loss of logits and labels (operands 0, 1); PROBS (b, C) receives
 * softmax(logits) when not NULL. */
bool eval_cross_entropy_probs(IrEvalCtx *c, double *loss, float *probs);

/* The eval column of ops.def: eval_forward.c (forward CRATE ops),
 * eval_lowered.c (primitives), eval_grad.c (backward ops), eval_fused.c. */
#define IR_OP(id, name, min_in, max_in, n_results, attrs, flags, shape, expand, eval, ...) \
  IR_OP_UNLESS_NONE(eval, bool eval(IrEvalCtx *c);, )
#include "ops.def"
#undef IR_OP

#endif
