/* What a checked Model implies: its parameters under the official PyTorch
 * state_dict keys with their roles and initialisation, their count, its
 * forward FLOPs, and the program description that carries all of it to the
 * lowering. The limits in frontend.h keep every product here inside int64. */
#include "frontend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef VEC(ParamInfo) ParamList;

/* Shapes are written inline, terminated by 0: SHAPE(d, patch_dim). */
#define SHAPE(...) ((const int64_t[]){__VA_ARGS__, 0})

/* Appends the parameter KEY (owned by the list from here on). */
static void add(ParamList *list, ParamRole role, ParamInit init, const int64_t *shape, char *key) {
  ParamInfo p = {.key = key, .role = role, .init = init, .numel = 1};
  for (p.rank = 0; shape[p.rank] > 0; p.rank++) {
    p.shape[p.rank] = shape[p.rank];
    p.numel *= shape[p.rank];
  }
  vec_push(list, p);
}

/* PyTorch's initialisation of the official model: nn.Linear draws weight
 * and bias from U(±1/√fan_in), nn.LayerNorm starts at 1 and 0, the
 * embeddings are torch.randn, and the ISTA dictionary is drawn by
 * kaiming_uniform_ as U(±√(6/fan_in)). */
static void layernorm(ParamList *list, int64_t width, const char *module) {
  add(list, PARAM_NORM_WEIGHT, (ParamInit){INIT_CONSTANT, 1}, SHAPE(width), xasprintf("%s.weight", module));
  add(list, PARAM_NORM_BIAS, (ParamInit){INIT_CONSTANT, 0}, SHAPE(width), xasprintf("%s.bias", module));
}

static void linear(ParamList *list, int64_t out, int64_t in, bool bias, const char *module) {
  const ParamInit init = {INIT_UNIFORM, 1 / sqrt((double)in)};
  add(list, PARAM_LINEAR_WEIGHT, init, SHAPE(out, in), xasprintf("%s.weight", module));
  if (bias) add(list, PARAM_LINEAR_BIAS, init, SHAPE(out), xasprintf("%s.bias", module));
}

int model_params(const Model *m, ParamInfo **out) {
  ParamList list = {0};
  int64_t d = m->dim, pd = model_patch_dim(m);
  const ParamInit randn = {INIT_NORMAL, 1};
  add(&list, PARAM_EMBEDDING, randn, SHAPE(1, model_tokens(m), d), xstrdup("pos_embedding"));
  add(&list, PARAM_EMBEDDING, randn, SHAPE(1, 1, d), xstrdup("cls_token"));
  layernorm(&list, pd, "to_patch_embedding.1");
  linear(&list, d, pd, true, "to_patch_embedding.2");
  layernorm(&list, d, "to_patch_embedding.3");
  for (int l = 0; l < m->depth; l++) {
    const LayerSpec *L = &m->layers[l];
    int64_t inner = (int64_t)L->heads * L->dim_head;
    char module[64];
    snprintf(module, sizeof module, "transformer.layers.%d.0.norm", l);
    layernorm(&list, d, module);
    snprintf(module, sizeof module, "transformer.layers.%d.0.fn.qkv", l);
    linear(&list, inner, d, false, module);
    if (L->has_out_proj) {
      snprintf(module, sizeof module, "transformer.layers.%d.0.fn.to_out.0", l);
      linear(&list, d, inner, true, module);
    }
    snprintf(module, sizeof module, "transformer.layers.%d.1.norm", l);
    layernorm(&list, d, module);
    add(&list, PARAM_DICTIONARY, (ParamInit){INIT_UNIFORM, sqrt(6.0 / (double)d)}, SHAPE(d, d),
        xasprintf("transformer.layers.%d.1.fn.weight", l));
  }
  layernorm(&list, d, "mlp_head.0");
  linear(&list, m->classes, d, true, "mlp_head.1");
  *out = list.items;
  return list.len;
}

int64_t model_param_count(const Model *m) {
  ParamInfo *p;
  int n = model_params(m, &p);
  int64_t total = 0;
  for (int i = 0; i < n; i++) total += p[i].numel;
  param_infos_free(p, n);
  return total;
}

/* A (rows x inner) by (inner x cols) product: one multiply and one add per
 * term. */
static int64_t matmul(int64_t rows, int64_t inner, int64_t cols) { return 2 * rows * inner * cols; }

int64_t model_flops(const Model *m) {
  int64_t n = model_patches(m), N = model_tokens(m), d = m->dim;
  int64_t flops = matmul(n, model_patch_dim(m), d);   /* patch Linear (the cls token is not projected) */
  for (int l = 0; l < m->depth; l++) {
    const LayerSpec *L = &m->layers[l];
    int64_t p = L->dim_head, inner = (int64_t)L->heads * p;
    flops += matmul(N, d, inner);                      /* qkv: W = Y Uᵀ */
    flops += L->heads * matmul(N, p, N);               /* S_k = W_k W_kᵀ */
    flops += L->heads * matmul(N, N, p);               /* O_k = A_k W_k */
    if (L->has_out_proj) flops += matmul(N, inner, d); /* to_out */
    flops += 3 * matmul(N, d, d);                      /* ISTA: y Dᵀ, (y Dᵀ) D, y D (docs/model.md §2.5) */
  }
  flops += matmul(1, d, m->classes);                   /* head Linear on the pooled vector */
  return flops;
}

ProgramDesc *model_describe(const Model *m) {
  ProgramDesc *p = xcalloc(1, sizeof *p);
  *p = (ProgramDesc){.name = xstrdup(m->name), .channels = m->channels, .height = m->height, .width = m->width,
                     .classes = m->classes, .depth = m->depth, .tokens = model_tokens(m), .dim = m->dim,
                     .flops = model_flops(m), .train = m->train};
  p->layers = xcalloc((size_t)m->depth + 1, sizeof *p->layers);
  for (int l = 0; l < m->depth; l++) p->layers[l] = (ProgramLayer){m->layers[l].heads, m->layers[l].dim_head};
  p->nparams = model_params(m, &p->params);
  if (m->norm_mean) {
    size_t bytes = (size_t)m->channels * sizeof(double);
    p->mean = memcpy(xcalloc((size_t)m->channels, sizeof(double)), m->norm_mean, bytes);
    p->std = memcpy(xcalloc((size_t)m->channels, sizeof(double)), m->norm_std, bytes);
  }
  return p;
}
