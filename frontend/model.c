/* What a checked Model implies: its parameters under the official PyTorch
 * state_dict keys (docs/model.md §3.1), their count, and its forward FLOPs. The limits
 * in frontend.h keep every product here inside int64. */
#include "frontend.h"

#include <stdarg.h>
#include <stdlib.h>

typedef VEC(ParamInfo) ParamList;

__attribute__((format(printf, 3, 4)))
static void add(ParamList *list, const int64_t *shape, const char *fmt, ...) {
  ParamInfo p = {0};
  va_list ap;
  va_start(ap, fmt);
  StrBuf key = {0};
  sb_vprintf(&key, fmt, ap);
  va_end(ap);
  p.key = sb_take(&key);
  p.numel = 1;
  for (p.rank = 0; shape[p.rank] > 0; p.rank++) {
    p.shape[p.rank] = shape[p.rank];
    p.numel *= shape[p.rank];
  }
  vec_push(list, p);
}

/* Shapes are written inline, terminated by 0: SHAPE(d, patch_dim). */
#define SHAPE(...) ((const int64_t[]){__VA_ARGS__, 0})

int model_params(const Model *m, ParamInfo **out) {
  ParamList list = {0};
  int64_t d = m->dim, pd = model_patch_dim(m);
  add(&list, SHAPE(1, model_tokens(m), d), "pos_embedding");
  add(&list, SHAPE(1, 1, d), "cls_token");
  add(&list, SHAPE(pd), "to_patch_embedding.1.weight");
  add(&list, SHAPE(pd), "to_patch_embedding.1.bias");
  add(&list, SHAPE(d, pd), "to_patch_embedding.2.weight");
  add(&list, SHAPE(d), "to_patch_embedding.2.bias");
  add(&list, SHAPE(d), "to_patch_embedding.3.weight");
  add(&list, SHAPE(d), "to_patch_embedding.3.bias");
  for (int l = 0; l < m->depth; l++) {
    const LayerSpec *L = &m->layers[l];
    int64_t inner = (int64_t)L->heads * L->dim_head;
    add(&list, SHAPE(d), "transformer.layers.%d.0.norm.weight", l);
    add(&list, SHAPE(d), "transformer.layers.%d.0.norm.bias", l);
    add(&list, SHAPE(inner, d), "transformer.layers.%d.0.fn.qkv.weight", l);
    if (L->has_out_proj) {
      add(&list, SHAPE(d, inner), "transformer.layers.%d.0.fn.to_out.0.weight", l);
      add(&list, SHAPE(d), "transformer.layers.%d.0.fn.to_out.0.bias", l);
    }
    add(&list, SHAPE(d), "transformer.layers.%d.1.norm.weight", l);
    add(&list, SHAPE(d), "transformer.layers.%d.1.norm.bias", l);
    add(&list, SHAPE(d, d), "transformer.layers.%d.1.fn.weight", l);
  }
  add(&list, SHAPE(d), "mlp_head.0.weight");
  add(&list, SHAPE(d), "mlp_head.0.bias");
  add(&list, SHAPE(m->classes, d), "mlp_head.1.weight");
  add(&list, SHAPE(m->classes), "mlp_head.1.bias");
  *out = list.items;
  return list.len;
}

void model_params_free(ParamInfo *p, int n) {
  for (int i = 0; i < n; i++) free(p[i].key);
  free(p);
}

int64_t model_param_count(const Model *m) {
  ParamInfo *p;
  int n = model_params(m, &p);
  int64_t total = 0;
  for (int i = 0; i < n; i++) total += p[i].numel;
  model_params_free(p, n);
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
