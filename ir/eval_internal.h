/* eval_internal.h — private to the reference executor: what an op's
 * evaluation function sees, and the functions of the op table (eval.c). */
#ifndef CRATEC_IR_EVAL_INTERNAL_H
#define CRATEC_IR_EVAL_INTERNAL_H

#include "crate_ref.h"
#include "eval.h"

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
/* The op table's function for KIND (eval.c). */
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

#define EVAL_FN(name) bool name(IrEvalCtx *c);
/* forward CRATE ops (eval_forward.c) */
EVAL_FN(eval_patchify) EVAL_FN(eval_layernorm) EVAL_FN(eval_linear) EVAL_FN(eval_cls_concat)
EVAL_FN(eval_pos_add) EVAL_FN(eval_mssa) EVAL_FN(eval_ista) EVAL_FN(eval_add) EVAL_FN(eval_pool)
EVAL_FN(eval_cross_entropy)
/* primitives (eval_lowered.c) */
EVAL_FN(eval_matmul) EVAL_FN(eval_softmax) EVAL_FN(eval_split_heads) EVAL_FN(eval_merge_heads)
EVAL_FN(eval_sub) EVAL_FN(eval_scale) EVAL_FN(eval_shrink)
/* backward ops (eval_grad.c) */
EVAL_FN(eval_cross_entropy_grad) EVAL_FN(eval_linear_grad) EVAL_FN(eval_bias_grad)
EVAL_FN(eval_layernorm_grad) EVAL_FN(eval_mssa_grad) EVAL_FN(eval_ista_grad) EVAL_FN(eval_pool_grad)
EVAL_FN(eval_cls_concat_grad) EVAL_FN(eval_pos_add_grad) EVAL_FN(eval_matmul_grad)
EVAL_FN(eval_softmax_grad) EVAL_FN(eval_shrink_grad)
/* fused ops (eval_fused.c) */
EVAL_FN(eval_mssa_add) EVAL_FN(eval_ista_matrix) EVAL_FN(eval_ista_apply) EVAL_FN(eval_transpose)
EVAL_FN(eval_linear_t) EVAL_FN(eval_layernorm_fused)
#undef EVAL_FN

#endif
