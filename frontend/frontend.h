/* frontend.h — the .crate language: source text in, checked Model out.
 *
 *   lex.c       characters -> tokens
 *   parse.c     tokens -> AST (recursive descent, recovers at the next statement)
 *   args.c      one statement's arguments: names, types, ranges (used by sema)
 *   sema.c      AST -> Model (statements, defaults, cross-argument consistency)
 *   train.c     the train { } block -> TrainSpec
 *   model.c     what a checked Model implies: parameters, FLOPs, and the
 *               program description (ir/program.h) the lowering takes
 *   build_ir.c  checked Model -> the dataflow graphs of its entries
 *
 * The language is described in docs/language.md. The driver sees only the
 * Model, never the AST; the layers after it see only the graphs and the
 * program description, never the Model. */
#ifndef CRATEC_FRONTEND_H
#define CRATEC_FRONTEND_H

#include "ir.h"
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

typedef struct Model {
  char *name;
  int channels, height, width;
  int patch_h, patch_w;
  int dim;
  int depth;             /* number of layers after expanding `repeat` */
  LayerSpec *layers;     /* depth entries */
  PoolKind pool;
  int classes;
  double *norm_mean, *norm_std;   /* `normalize`, per channel; NULL: the data set's own */
  bool has_train;        /* a `train { }` block was given */
  TrainSpec train;       /* defaults filled in even without a train block (ir/program.h) */
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

/* The parameters in state_dict order, each with its role and PyTorch's
 * initialisation of it (ir/program.h). Returns the count; free with
 * param_infos_free. */
int model_params(const Model *m, ParamInfo **out);
int64_t model_param_count(const Model *m);
/* Forward FLOPs for one image, multiply-add = 2 (docs/language.md states
 * which operations are counted). */
int64_t model_flops(const Model *m);
/* What the lowering needs of M: sizes, parameters, FLOPs, training recipe.
 * Free with program_desc_free. */
ProgramDesc *model_describe(const Model *m);

/* ---- the dataflow graphs of the compiled model's entries (build_ir.c) -------
 *
 * Inference: input images -> output "logits" f32[B,classes].
 * Features: the inference graph whose outputs are, per layer l, "l<l>.q" =
 * LN(Z^l)·Wqkvᵀ (the mssa op's normalized input times its weight) and
 * "l<l>.z" = Z^{l+1} (the ista result), and no logits.
 * Training forward: inputs images, labels -> outputs "loss" f32[1] (batch-mean
 * cross-entropy with LABEL_SMOOTHING; the driver passes the model's
 * train.label_smoothing or a command-line override) and "logits". Autodiff
 * derives the backward part from the "loss" output.
 * Composite ops are kept whole; parameters are bound to model_params() keys
 * in state_dict order. A checked Model always builds; an inconsistent
 * hand-made one is reported to D (naming the op that rejected it) and gives
 * NULL. */
Graph *model_inference_graph(const Model *m, Diag *d);
Graph *model_features_graph(const Model *m, Diag *d);
Graph *model_training_graph(const Model *m, double label_smoothing, Diag *d);

#endif
