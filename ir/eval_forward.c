/* Reference evaluation of the forward CRATE ops (docs/model.md §2), each one call of
 * a reference kernel; what a kernel saves for backward goes to scratch. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval_internal.h"

bool eval_patchify(IrEvalCtx *c) {
  ref_patchify_forward(c->out[0], ev_in(c, 0), ev_dim(c, 0, 0), ev_dim(c, 0, 1), ev_dim(c, 0, 2),
                       ev_dim(c, 0, 3), (int)ir_attr_int(c->op, "p1"), (int)ir_attr_int(c->op, "p2"));
  return true;
}

bool eval_layernorm(IrEvalCtx *c) {
  int rows = ev_rows(c, 0);
  float *stats = ev_scratch(2 * (int64_t)rows);
  ref_layernorm_forward(c->out[0], stats, stats + rows, ev_in(c, 0), ev_in(c, 1), ev_in(c, 2), rows,
                        ev_dim(c, 0, -1), (float)ir_attr_float(c->op, "eps"));
  free(stats);
  return true;
}

bool eval_linear(IrEvalCtx *c) {
  const float *bias = c->op->operands.len == 3 ? ev_in(c, 2) : NULL;
  ref_linear_forward(c->out[0], ev_in(c, 0), ev_in(c, 1), bias, ev_rows(c, 0), ev_dim(c, 0, -1),
                     ev_dim(c, 1, 0));
  return true;
}

/* The embedding kernel with a zero position table. */
bool eval_cls_concat(IrEvalCtx *c) {
  int n = ev_dim(c, 0, 1), d = ev_dim(c, 0, 2);
  float *zero_pos = ev_scratch((int64_t)(n + 1) * d);
  ref_embed_forward(c->out[0], ev_in(c, 0), ev_in(c, 1), zero_pos, ev_dim(c, 0, 0), n, d);
  free(zero_pos);
  return true;
}

bool eval_pos_add(IrEvalCtx *c) {
  size_t item = (size_t)ev_dim(c, 0, 1) * ev_dim(c, 0, 2);
  for (int b = 0; b < ev_dim(c, 0, 0); b++)
    ref_residual_forward(c->out[0] + b * item, ev_in(c, 0) + b * item, ev_in(c, 1), item);
  return true;
}

/* The reference kernel's scale is fixed at dim_head^-1/2, which is what the
 * builder writes; another scale cannot be evaluated. */
static bool mssa_scale_ok(IrEvalCtx *c) {
  double want = 1.0 / sqrt((double)ir_attr_int(c->op, "dim_head"));
  double scale = ir_attr_float(c->op, "scale");
  if (fabs(scale - want) <= 1e-6 * want) return true;
  crt_fail(c->e, "the reference MSSA kernel needs scale = dim_head^-1/2 = %.17g, found %.17g", want, scale);
  return false;
}

/* Without to_out the reference kernel is written for the Identity case
 * (K·p = d): it copies N·d floats of o to out. Run sample by sample into a
 * discarded copy, with o padded by N·d floats, it serves any K·p. */
bool eval_mssa_acts(IrEvalCtx *c, float *out, MssaActs *a) {
  if (!mssa_scale_ok(c)) return false;
  a->B = ev_dim(c, 0, 0), a->N = ev_dim(c, 0, 1), a->d = ev_dim(c, 0, 2);
  a->K = (int)ir_attr_int(c->op, "heads"), a->p = (int)ir_attr_int(c->op, "dim_head");
  int64_t item = (int64_t)a->N * a->K * a->p;
  a->w = ev_scratch(a->B * item);
  a->o = ev_scratch(a->B * item + (int64_t)a->N * a->d);
  a->attn = ev_scratch((int64_t)a->B * a->K * a->N * a->N);
  const float *y = ev_in(c, 0), *u = ev_in(c, 1);
  if (c->op->kind == IR_OP_MSSA && c->op->operands.len == 4) {
    ref_mssa_forward(out, a->w, a->attn, a->o, y, u, ev_in(c, 2), ev_in(c, 3), a->B, a->N, a->d, a->K, a->p);
    return true;
  }
  float *copy = ev_scratch((int64_t)a->N * a->d);
  for (int b = 0; b < a->B; b++)
    ref_mssa_forward(copy, a->w + b * item, a->attn + (int64_t)b * a->K * a->N * a->N, a->o + b * item,
                     y + (int64_t)b * a->N * a->d, u, NULL, NULL, 1, a->N, a->d, a->K, a->p);
  free(copy);
  memcpy(out, a->o, (size_t)(a->B * item) * sizeof *out);
  return true;
}

void eval_mssa_acts_free(MssaActs *a) {
  free(a->w);
  free(a->o);
  free(a->attn);
}

bool eval_mssa(IrEvalCtx *c) {
  MssaActs a = {0};
  if (!eval_mssa_acts(c, c->out[0], &a)) return false;
  eval_mssa_acts_free(&a);
  return true;
}

static float ista_eta(IrEvalCtx *c) { return (float)ir_attr_float(c->op, "step"); }

bool eval_ista(IrEvalCtx *c) {
  return ref_ista_forward(c->out[0], ev_in(c, 0), ev_in(c, 1), ev_rows(c, 0), ev_dim(c, 0, -1),
                          ista_eta(c), (float)ir_attr_float(c->op, "lambda"), c->e) == 0;
}

bool eval_add(IrEvalCtx *c) {
  ref_residual_forward(c->out[0], ev_in(c, 0), ev_in(c, 1), (size_t)ev_numel(c, 0));
  return true;
}

ref_pool eval_pool_mode(const IrOp *op) {
  return strcmp(ir_attr_str(op, "mode"), "cls") == 0 ? REF_POOL_CLS : REF_POOL_MEAN;
}

bool eval_pool(IrEvalCtx *c) {
  ref_pool_forward(c->out[0], ev_in(c, 0), ev_dim(c, 0, 0), ev_dim(c, 0, 1), ev_dim(c, 0, 2),
                   eval_pool_mode(c->op));
  return true;
}

bool eval_cross_entropy_probs(IrEvalCtx *c, double *loss, float *probs) {
  int B = ev_dim(c, 0, 0), C = ev_dim(c, 0, 1);
  float *scratch = probs ? NULL : ev_scratch((int64_t)B * C);
  int rc = ref_crossentropy_forward(loss, probs ? probs : scratch, ev_in(c, 0), c->in[1], B, C,
                                    (float)ir_attr_float(c->op, "label_smoothing"), c->e);
  free(scratch);
  return rc == 0;
}

bool eval_cross_entropy(IrEvalCtx *c) {
  double loss;
  if (!eval_cross_entropy_probs(c, &loss, NULL)) return false;
  c->out[0][0] = (float)loss;
  return true;
}
