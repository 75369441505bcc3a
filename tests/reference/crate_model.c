/* crate_model.c — see crate_model.h. */
#include "crate_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int crate_layer_slot(int l, int slot) { return P_GLOBALS + l * CRATE_LAYER_SLOTS + slot; }
int crate_head_slot(const crate_model *m, int slot) {
  return P_GLOBALS + m->cfg.depth * CRATE_LAYER_SLOTS + slot;
}

/* ---- parameters ----------------------------------------------------------------- */

static void set_spec(crate_model *m, int slot, const char *key, int rank, int64_t d0, int64_t d1,
                     int64_t d2) {
  snprintf(m->key[slot], sizeof m->key[slot], "%s", key);
  m->spec[slot] = (crt_param_spec){m->key[slot], rank, {d0, d1, d2, 0}};
}

static void set_layer_spec(crate_model *m, int l, int slot, const char *suffix, int rank,
                           int64_t d0, int64_t d1) {
  char key[80];
  snprintf(key, sizeof key, "transformer.layers.%d.%s", l, suffix);
  set_spec(m, crate_layer_slot(l, slot), key, rank, d0, d1, 0);
}

/* SPEC §1.8; to_out is absent (rank 0) when heads == 1 and dim_head == dim. */
static void describe_params(crate_model *m) {
  const crate_config *c = &m->cfg;
  int d = c->dim, pd = m->patch_dim;
  set_spec(m, P_POS, "pos_embedding", 3, 1, m->N, d);
  set_spec(m, P_CLS, "cls_token", 3, 1, 1, d);
  set_spec(m, P_PATCH_LN1_W, "to_patch_embedding.1.weight", 1, pd, 0, 0);
  set_spec(m, P_PATCH_LN1_B, "to_patch_embedding.1.bias", 1, pd, 0, 0);
  set_spec(m, P_PATCH_W, "to_patch_embedding.2.weight", 2, d, pd, 0);
  set_spec(m, P_PATCH_B, "to_patch_embedding.2.bias", 1, d, 0, 0);
  set_spec(m, P_PATCH_LN2_W, "to_patch_embedding.3.weight", 1, d, 0, 0);
  set_spec(m, P_PATCH_LN2_B, "to_patch_embedding.3.bias", 1, d, 0, 0);
  bool has_out = !(c->heads == 1 && c->dim_head == d);
  for (int l = 0; l < c->depth; l++) {
    set_layer_spec(m, l, L_LN1_W, "0.norm.weight", 1, d, 0);
    set_layer_spec(m, l, L_LN1_B, "0.norm.bias", 1, d, 0);
    set_layer_spec(m, l, L_QKV, "0.fn.qkv.weight", 2, m->inner, d);
    set_layer_spec(m, l, L_OUT_W, "0.fn.to_out.0.weight", has_out ? 2 : 0, d, m->inner);
    set_layer_spec(m, l, L_OUT_B, "0.fn.to_out.0.bias", has_out ? 1 : 0, d, 0);
    set_layer_spec(m, l, L_LN2_W, "1.norm.weight", 1, d, 0);
    set_layer_spec(m, l, L_LN2_B, "1.norm.bias", 1, d, 0);
    set_layer_spec(m, l, L_DICT, "1.fn.weight", 2, d, d);
  }
  set_spec(m, crate_head_slot(m, H_LN_W), "mlp_head.0.weight", 1, d, 0, 0);
  set_spec(m, crate_head_slot(m, H_LN_B), "mlp_head.0.bias", 1, d, 0, 0);
  set_spec(m, crate_head_slot(m, H_W), "mlp_head.1.weight", 2, c->num_classes, d, 0);
  set_spec(m, crate_head_slot(m, H_B), "mlp_head.1.bias", 1, c->num_classes, 0, 0);
}

static size_t spec_size(const crt_param_spec *s) {
  if (s->rank == 0) return 0;
  size_t n = 1;
  for (int i = 0; i < s->rank; i++) n *= (size_t)s->shape[i];
  return n;
}

/* ---- activations: one block, carved twice (count, then assign) ------------------ */

typedef struct carver {
  float *base;   /* NULL while counting */
  size_t used;
} carver;

static float *carve(carver *cv, size_t n) {
  float *p = cv->base ? cv->base + cv->used : NULL;
  cv->used += n;
  return p;
}

static void carve_activations(crate_model *m, carver *cv) {
  size_t B = m->B, n = m->n, N = m->N, d = m->cfg.dim, pd = m->patch_dim, kp = m->inner;
  size_t img = B * m->cfg.channels * m->cfg.image_size * m->cfg.image_size;
  size_t K = m->cfg.heads, classes = m->cfg.num_classes;
  m->images = carve(cv, img), m->dimages = carve(cv, img);
  m->patches = carve(cv, B * n * pd), m->pln1 = carve(cv, B * n * pd);
  m->pln1_mean = carve(cv, B * n), m->pln1_rstd = carve(cv, B * n);
  m->plin = carve(cv, B * n * d), m->pln2 = carve(cv, B * n * d);
  m->pln2_mean = carve(cv, B * n), m->pln2_rstd = carve(cv, B * n);
  m->embed = carve(cv, B * N * d);
  for (int l = 0; l < m->cfg.depth; l++) {
    crate_layer_acts *a = &m->layer[l];
    a->y = carve(cv, B * N * d), a->y_mean = carve(cv, B * N), a->y_rstd = carve(cv, B * N);
    a->w = carve(cv, B * N * kp), a->attn = carve(cv, B * K * N * N), a->o = carve(cv, B * N * kp);
    a->mssa = carve(cv, B * N * d), a->half = carve(cv, B * N * d);
    a->y2 = carve(cv, B * N * d), a->y2_mean = carve(cv, B * N), a->y2_rstd = carve(cv, B * N);
    a->out = carve(cv, B * N * d);
  }
  m->pooled = carve(cv, B * d), m->hln = carve(cv, B * d);
  m->hln_mean = carve(cv, B), m->hln_rstd = carve(cv, B);
  m->logits = carve(cv, B * classes), m->probs = carve(cv, B * classes);
  m->dlogits = carve(cv, B * classes);
}

int crate_model_init(crate_model *m, const crate_config *cfg, int B, crt_error *e) {
  memset(m, 0, sizeof *m);
  m->cfg = *cfg;
  int grid = cfg->image_size / cfg->patch_size;
  m->B = B, m->n = grid * grid, m->N = m->n + 1;
  m->patch_dim = cfg->channels * cfg->patch_size * cfg->patch_size;
  m->inner = cfg->heads * cfg->dim_head;
  m->slots = P_GLOBALS + cfg->depth * CRATE_LAYER_SLOTS + CRATE_HEAD_SLOTS;
  m->spec = calloc(m->slots, sizeof *m->spec);
  m->key = calloc(m->slots, sizeof *m->key);
  m->param = calloc(m->slots, sizeof *m->param);
  m->grad = calloc(m->slots, sizeof *m->grad);
  m->layer = calloc(cfg->depth, sizeof *m->layer);
  if (!m->spec || !m->key || !m->param || !m->grad || !m->layer) goto oom;
  describe_params(m);
  for (int i = 0; i < m->slots; i++) m->num_params += spec_size(&m->spec[i]);
  m->param_mem = calloc(m->num_params, sizeof(float));
  m->grad_mem = calloc(m->num_params, sizeof(float));
  if (!m->param_mem || !m->grad_mem) goto oom;
  for (int i = 0, off = 0; i < m->slots; off += (int)spec_size(&m->spec[i]), i++)
    if (m->spec[i].rank > 0) m->param[i] = m->param_mem + off, m->grad[i] = m->grad_mem + off;
  carver count = {NULL, 0};
  carve_activations(m, &count);
  m->act_mem = calloc(count.used, sizeof(float));
  if (!m->act_mem) goto oom;
  carver assign = {m->act_mem, 0};
  carve_activations(m, &assign);
  return 0;
oom:
  crate_model_free(m);
  return crt_fail(e, "CRATE model: out of memory (batch %d)", B);
}

void crate_model_free(crate_model *m) {
  free(m->spec), free(m->key), free(m->param), free(m->grad), free(m->layer);
  free(m->param_mem), free(m->grad_mem), free(m->act_mem);
  memset(m, 0, sizeof *m);
}

int crate_model_load(crate_model *m, const char *weights_path, crt_error *e) {
  crt_st_file *f = crt_st_open(weights_path, e);
  if (!f) return -1;
  /* the spec list the file is checked against leaves out an absent to_out */
  crt_param_spec *present = calloc(m->slots, sizeof *present);
  float **dst = calloc(m->slots, sizeof *dst);
  int n = 0, rc = -1;
  if (!present || !dst) {
    crt_fail(e, "%s: out of memory", weights_path);
  } else {
    for (int i = 0; i < m->slots; i++)
      if (m->spec[i].rank > 0) present[n] = m->spec[i], dst[n++] = m->param[i];
    rc = crt_st_load_f32(f, present, n, dst, e);
  }
  free(present), free(dst);
  crt_st_close(f);
  return rc;
}
