/* crate_model_pass.c — forward (SPEC §1) and backward (SPEC §5) of the whole
 * model, one reference kernel per step. */
#include <stdlib.h>
#include <string.h>

#include "crate_model.h"

#define LP(l, slot) m->param[crate_layer_slot(l, slot)]
#define LG(l, slot) m->grad[crate_layer_slot(l, slot)]
#define HP(slot) m->param[crate_head_slot(m, slot)]
#define HG(slot) m->grad[crate_head_slot(m, slot)]

int crate_model_forward(crate_model *m, const int64_t *labels, crt_error *e) {
  const crate_config *c = &m->cfg;
  int B = m->B, n = m->n, N = m->N, d = c->dim, pd = m->patch_dim, P = c->patch_size;
  float eps = c->layernorm_eps;
  float **p = m->param;

  ref_patchify_forward(m->patches, m->images, B, c->channels, c->image_size, c->image_size, P, P);
  ref_layernorm_forward(m->pln1, m->pln1_mean, m->pln1_rstd, m->patches, p[P_PATCH_LN1_W],
                        p[P_PATCH_LN1_B], B * n, pd, eps);
  ref_linear_forward(m->plin, m->pln1, p[P_PATCH_W], p[P_PATCH_B], B * n, pd, d);
  ref_layernorm_forward(m->pln2, m->pln2_mean, m->pln2_rstd, m->plin, p[P_PATCH_LN2_W],
                        p[P_PATCH_LN2_B], B * n, d, eps);
  ref_embed_forward(m->embed, m->pln2, p[P_CLS], p[P_POS], B, n, d);

  const float *z = m->embed;
  for (int l = 0; l < c->depth; l++) {
    crate_layer_acts *a = &m->layer[l];
    ref_layernorm_forward(a->y, a->y_mean, a->y_rstd, z, LP(l, L_LN1_W), LP(l, L_LN1_B), B * N,
                          d, eps);
    ref_mssa_forward(a->mssa, a->w, a->attn, a->o, a->y, LP(l, L_QKV), LP(l, L_OUT_W),
                     LP(l, L_OUT_B), B, N, d, c->heads, c->dim_head);
    ref_residual_forward(a->half, z, a->mssa, (size_t)B * N * d);
    ref_layernorm_forward(a->y2, a->y2_mean, a->y2_rstd, a->half, LP(l, L_LN2_W), LP(l, L_LN2_B),
                          B * N, d, eps);
    if (ref_ista_forward(a->out, a->y2, LP(l, L_DICT), B * N, d, c->eta, c->lambd, e)) return -1;
    z = a->out;
  }

  ref_pool_forward(m->pooled, z, B, N, d, c->pool);
  ref_layernorm_forward(m->hln, m->hln_mean, m->hln_rstd, m->pooled, HP(H_LN_W), HP(H_LN_B), B,
                        d, eps);
  ref_linear_forward(m->logits, m->hln, HP(H_W), HP(H_B), B, d, c->num_classes);
  if (!labels) return 0;
  return ref_crossentropy_forward(&m->loss, m->probs, m->logits, labels, B, c->num_classes,
                                  c->label_smoothing, e);
}

/* Gradient buffers of the token stream, reused layer after layer. */
typedef struct stream_grads {
  float *z;      /* (B, N, d) g of Z^{l+1}, then of Z^l */
  float *half;   /* g of Z^{l+½} */
  float *y;      /* g of an LN output */
  float *mssa;   /* g of MSSA(y) */
  float *prev;   /* g of Z^l being accumulated */
} stream_grads;

static int layer_backward(crate_model *m, int l, stream_grads *g, crt_error *e) {
  const crate_config *c = &m->cfg;
  const crate_layer_acts *a = &m->layer[l];
  int B = m->B, N = m->N, d = c->dim;
  size_t n = (size_t)B * N * d;
  const float *z_in = l == 0 ? m->embed : m->layer[l - 1].out;

  memset(g->y, 0, n * sizeof(float));
  if (ref_ista_backward(g->y, LG(l, L_DICT), g->z, a->y2, a->out, LP(l, L_DICT), B * N, d, c->eta,
                        e))
    return -1;
  memset(g->half, 0, n * sizeof(float));
  ref_layernorm_backward(g->half, LG(l, L_LN2_W), LG(l, L_LN2_B), g->y, a->half, LP(l, L_LN2_W),
                         a->y2_mean, a->y2_rstd, B * N, d);

  memset(g->prev, 0, n * sizeof(float));
  memset(g->mssa, 0, n * sizeof(float));
  ref_residual_backward(g->prev, g->mssa, g->half, n);
  memset(g->y, 0, n * sizeof(float));
  if (ref_mssa_backward(g->y, LG(l, L_QKV), LG(l, L_OUT_W), LG(l, L_OUT_B), g->mssa, a->y, a->w,
                        a->attn, a->o, LP(l, L_QKV), LP(l, L_OUT_W), B, N, d, c->heads,
                        c->dim_head, e))
    return -1;
  ref_layernorm_backward(g->prev, LG(l, L_LN1_W), LG(l, L_LN1_B), g->y, z_in, LP(l, L_LN1_W),
                         a->y_mean, a->y_rstd, B * N, d);
  float *t = g->z;
  g->z = g->prev, g->prev = t;
  return 0;
}

/* From g of Z^0 down to the image. */
static void embed_backward(crate_model *m, const float *g_embed, float *g_tokens,
                           float *g_patches) {
  const crate_config *c = &m->cfg;
  int B = m->B, n = m->n, d = c->dim, pd = m->patch_dim, P = c->patch_size;
  float **p = m->param, **gr = m->grad;
  /* g_tokens (B, n, d) carries g of the LN₃ output, then of the Linear output */
  memset(g_tokens, 0, (size_t)B * n * d * sizeof(float));
  ref_embed_backward(g_tokens, gr[P_CLS], gr[P_POS], g_embed, B, n, d);
  float *g_lin = g_tokens + (size_t)B * n * d;
  memset(g_lin, 0, (size_t)B * n * d * sizeof(float));
  ref_layernorm_backward(g_lin, gr[P_PATCH_LN2_W], gr[P_PATCH_LN2_B], g_tokens, m->plin,
                         p[P_PATCH_LN2_W], m->pln2_mean, m->pln2_rstd, B * n, d);
  float *g_ln1 = g_patches + (size_t)B * n * pd;
  memset(g_patches, 0, 2 * (size_t)B * n * pd * sizeof(float));
  ref_linear_backward(g_ln1, gr[P_PATCH_W], gr[P_PATCH_B], g_lin, m->pln1, p[P_PATCH_W], B * n, pd,
                      d);
  ref_layernorm_backward(g_patches, gr[P_PATCH_LN1_W], gr[P_PATCH_LN1_B], g_ln1, m->patches,
                         p[P_PATCH_LN1_W], m->pln1_mean, m->pln1_rstd, B * n, pd);
  ref_patchify_backward(m->dimages, g_patches, B, c->channels, c->image_size, c->image_size, P, P);
}

int crate_model_backward(crate_model *m, const int64_t *labels, crt_error *e) {
  const crate_config *c = &m->cfg;
  int B = m->B, N = m->N, d = c->dim, classes = c->num_classes;
  size_t n = (size_t)B * N * d;
  memset(m->grad_mem, 0, m->num_params * sizeof(float));
  memset(m->dlogits, 0, (size_t)B * classes * sizeof(float));
  size_t img = (size_t)B * c->channels * c->image_size * c->image_size;
  memset(m->dimages, 0, img * sizeof(float));

  /* 5 stream buffers, then the patch path's (2 of (B, n, d), 2 of (B, n, patch_dim)) */
  size_t patch_path = 2 * (size_t)B * m->n * (d + m->patch_dim);
  float *mem = calloc(5 * n + patch_path + 2 * (size_t)B * d, sizeof(float));
  if (!mem) return crt_fail(e, "CRATE model backward: out of memory (batch %d)", B);
  stream_grads g = {mem, mem + n, mem + 2 * n, mem + 3 * n, mem + 4 * n};
  float *g_pooled = mem + 5 * n + patch_path, *g_hln = g_pooled + (size_t)B * d;

  int rc = ref_crossentropy_backward(m->dlogits, m->probs, labels, B, classes,
                                     c->label_smoothing, e);
  if (rc == 0) {
    ref_linear_backward(g_hln, HG(H_W), HG(H_B), m->dlogits, m->hln, HP(H_W), B, d, classes);
    ref_layernorm_backward(g_pooled, HG(H_LN_W), HG(H_LN_B), g_hln, m->pooled, HP(H_LN_W),
                           m->hln_mean, m->hln_rstd, B, d);
    ref_pool_backward(g.z, g_pooled, B, N, d, c->pool);
    for (int l = c->depth - 1; l >= 0 && rc == 0; l--) rc = layer_backward(m, l, &g, e);
  }
  if (rc == 0) embed_backward(m, g.z, mem + 5 * n, mem + 5 * n + 2 * (size_t)B * m->n * d);
  free(mem);
  return rc;
}
