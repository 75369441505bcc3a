/* crate_model.h — the whole official CRATE model (SPEC §1, §5) composed from
 * the reference kernels, llm.c style: one flat parameter buffer, one flat
 * gradient buffer with the same layout, every activation kept for backward.
 * Test-only: it is how the kernels are validated end to end against the
 * PyTorch reference cases. */
#ifndef REF_CRATE_MODEL_H
#define REF_CRATE_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "crate_ref.h"
#include "cratert_host.h"

typedef struct crate_config {
  int image_size, patch_size, channels, num_classes;
  int dim, depth, heads, dim_head;
  ref_pool pool;
  float eta, lambd, layernorm_eps, label_smoothing;
} crate_config;

/* Reads the "config" object (and label_smoothing, layernorm_eps) of a
 * reference case's meta.json. */
int crate_config_from_meta(crate_config *c, const char *meta_path, crt_error *e);

/* Parameter slots, in state_dict order (SPEC §1.8): the globals, then
 * CRATE_LAYER_SLOTS per layer, then the head. */
enum {
  P_POS, P_CLS, P_PATCH_LN1_W, P_PATCH_LN1_B, P_PATCH_W, P_PATCH_B, P_PATCH_LN2_W,
  P_PATCH_LN2_B, P_GLOBALS
};
enum { L_LN1_W, L_LN1_B, L_QKV, L_OUT_W, L_OUT_B, L_LN2_W, L_LN2_B, L_DICT, CRATE_LAYER_SLOTS };
enum { H_LN_W, H_LN_B, H_W, H_B, CRATE_HEAD_SLOTS };

/* The activations of one layer that backward reads. */
typedef struct crate_layer_acts {
  float *y, *y_mean, *y_rstd;      /* (B, N, d), (B·N), (B·N): LN_a(Z^l) */
  float *w, *attn, *o;             /* (B, N, Kp), (B, K, N, N), (B, N, Kp) */
  float *mssa, *half;              /* (B, N, d): MSSA(y), Z^{l+½} */
  float *y2, *y2_mean, *y2_rstd;   /* LN_b(Z^{l+½}) */
  float *out;                      /* (B, N, d): Z^{l+1} */
} crate_layer_acts;

typedef struct crate_model {
  crate_config cfg;
  int B, n, N, patch_dim, inner;   /* batch, patches, tokens, C·P·P, heads·dim_head */
  int slots;                       /* P_GLOBALS + depth·CRATE_LAYER_SLOTS + CRATE_HEAD_SLOTS */
  crt_param_spec *spec;            /* (slots): key and shape; rank 0 for an absent to_out */
  char (*key)[80];                 /* (slots): storage of the spec keys */
  float **param, **grad;           /* (slots): views into the flat buffers, NULL if absent */
  float *param_mem, *grad_mem, *act_mem;
  size_t num_params;

  /* forward activations */
  float *images;                                   /* (B, C, H, W) */
  float *patches, *pln1, *pln1_mean, *pln1_rstd;   /* (B, n, patch_dim) */
  float *plin, *pln2, *pln2_mean, *pln2_rstd;      /* (B, n, d) */
  float *embed;                                    /* (B, N, d): Z^0 */
  crate_layer_acts *layer;                         /* (depth) */
  float *pooled, *hln, *hln_mean, *hln_rstd;       /* (B, d) */
  float *logits, *probs;                           /* (B, classes) */
  double loss;

  /* backward outputs besides the parameter gradients */
  float *dlogits;                                  /* (B, classes) */
  float *dimages;                                  /* (B, C, H, W) */
} crate_model;

/* Allocates a model for CFG at batch B (parameters zero). */
int crate_model_init(crate_model *m, const crate_config *cfg, int B, crt_error *e);
void crate_model_free(crate_model *m);

/* Index into spec/param/grad of a layer's or the head's parameter. */
int crate_layer_slot(int l, int slot);
int crate_head_slot(const crate_model *m, int slot);

/* Loads every parameter from a weights file under its official key. */
int crate_model_load(crate_model *m, const char *weights_path, crt_error *e);

/* Forward from m->images to m->logits; with LABELS (B) also the loss. */
int crate_model_forward(crate_model *m, const int64_t *labels, crt_error *e);
/* Zeroes and fills every parameter gradient, dlogits and dimages. */
int crate_model_backward(crate_model *m, const int64_t *labels, crt_error *e);

#endif
