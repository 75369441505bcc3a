/* frontend.h — the .crate language: source text in, checked Model out.
 *
 *   lex.c     characters -> tokens
 *   parse.c   tokens -> AST (recursive descent, recovers at the next statement)
 *   args.c    one statement's arguments: names, types, ranges (used by sema)
 *   sema.c    AST -> Model (statements, defaults, cross-argument consistency)
 *   train.c   the train { } block -> TrainSpec
 *   model.c   what a checked Model implies: parameters, FLOPs, memory
 *
 * The language is described in docs/language.md. Everything downstream
 * (IR builder, driver) sees only the Model, never the AST. */
#ifndef CRATEC_FRONTEND_H
#define CRATEC_FRONTEND_H

#include "cratert_recipe.h"
#include "support.h"

/* ---- limits ----------------------------------------------------------------
 *
 * Far above any real CRATE, and low enough that every count derived from a
 * checked Model (parameters, FLOPs, bytes) fits in int64 without overflow,
 * and every size in an int. */
#define CRATE_MAX_SIDE 16384           /* image height and width */
#define CRATE_MAX_CHANNELS 1024
#define CRATE_MAX_PATCH_DIM (1 << 20)  /* channels * patch_h * patch_w */
#define CRATE_MAX_PATCHES 65536        /* tokens = patches + 1 */
#define CRATE_MAX_WIDTH 16384          /* dim, and heads * dim_head */
#define CRATE_MAX_DEPTH 1024           /* layers after expanding `repeat` */
#define CRATE_MAX_CLASSES (1 << 20)
#define CRATE_MAX_NESTING 16           /* nested { } blocks */

/* ---- the checked model ---------------------------------------------------- */

typedef enum { POOL_CLS, POOL_MEAN } PoolKind;

/* One CRATE layer: an MSSA step then an ISTA step (docs/model.md §2.3). */
typedef struct LayerSpec {
  int heads, dim_head;   /* inner width = heads * dim_head */
  bool has_out_proj;     /* false exactly when heads == 1 && dim_head == dim */
  double step, lambda;   /* ISTA eta and lambda */
  SrcLoc loc;            /* the mssa statement that began this layer */
} LayerSpec;

/* The optimizer and schedule are the runtime's kinds (cratert_recipe.h): the
 * runtime implements them, so it owns their set and their names. */
typedef struct TrainSpec {
  crt_optimizer_kind optimizer;
  double lr, weight_decay;
  double momentum;             /* sgd */
  bool nesterov;               /* sgd */
  double beta1, beta2, eps;    /* adamw (beta1, beta2, eps) and lion (beta1, beta2) */
  crt_schedule_kind schedule;
  double warmup_epochs;        /* cosine: linear warm-up length in epochs ... */
  long warmup_steps;           /* ... or in optimizer steps (at most one is non-zero) */
  double min_lr;               /* cosine floor */
  int epochs, batch;
  double label_smoothing;
  uint64_t seed;
} TrainSpec;

typedef struct Model {
  char *name;
  int channels, height, width;
  int patch_h, patch_w;
  int dim;
  int depth;             /* number of layers after expanding `repeat` */
  LayerSpec *layers;     /* depth entries */
  PoolKind pool;
  int classes;
  bool has_train;        /* a `train { }` block was given */
  TrainSpec train;       /* defaults filled in even without a train block */
} Model;

/* Parses and checks SRC. Every error is reported to D; returns NULL if there
 * was any. */
Model *frontend_parse(const SourceFile *src, Diag *d);
void model_free(Model *m);

/* ---- what a model implies (model.c) --------------------------------------- */

static inline int model_patches(const Model *m) {
  return (m->height / m->patch_h) * (m->width / m->patch_w);
}
static inline int model_tokens(const Model *m) { return model_patches(m) + 1; }
static inline int model_patch_dim(const Model *m) {
  return m->channels * m->patch_h * m->patch_w;
}

/* A trainable tensor: its official PyTorch state_dict key (docs/model.md §3.1) and
 * shape. */
typedef struct ParamInfo {
  char *key;
  int rank;
  int64_t shape[3];
  int64_t numel;
} ParamInfo;

/* The parameters in state_dict order. Returns the count; free with
 * model_params_free. */
int model_params(const Model *m, ParamInfo **out);
void model_params_free(ParamInfo *p, int n);
int64_t model_param_count(const Model *m);
/* Forward FLOPs for one image, multiply-add = 2 (docs/language.md states
 * which operations are counted). */
int64_t model_flops(const Model *m);

#endif
