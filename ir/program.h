/* program.h — what a compiled model declares besides its graphs: its sizes,
 * its parameters (key, shape, role, initialisation) and its training
 * recipe. The frontend describes a checked model with it; the lowering
 * writes it into the description P_desc that the runtime reads, so neither
 * the lowering nor the runtime needs the language's Model, and the runtime
 * initialises a parameter from what the description says rather than from
 * the spelling of its key. */
#ifndef CRATEC_PROGRAM_H
#define CRATEC_PROGRAM_H

#include "cratert_recipe.h"
#include "support.h"

/* What a parameter is in the model (the description's "role"). */
typedef enum {
  PARAM_EMBEDDING,       /* the cls token and the position table */
  PARAM_LINEAR_WEIGHT,   /* a linear map's matrix */
  PARAM_LINEAR_BIAS,     /* a linear map's bias */
  PARAM_NORM_WEIGHT,     /* a LayerNorm's scale */
  PARAM_NORM_BIAS,       /* a LayerNorm's shift */
  PARAM_DICTIONARY,      /* an ISTA dictionary */
  PARAM_ROLE_COUNT
} ParamRole;

/* "embedding", "linear_weight", "linear_bias", "norm_weight", "norm_bias",
 * "dictionary": the description's spelling. */
const char *param_role_name(ParamRole r);

/* How a fresh parameter is drawn: every element from N(0, value²), from
 * U(−value, value), or equal to value. */
typedef enum { INIT_NORMAL, INIT_UNIFORM, INIT_CONSTANT, INIT_KIND_COUNT } InitKind;

typedef struct ParamInit {
  InitKind kind;
  double value;   /* the standard deviation, the bound, or the constant */
} ParamInit;

/* "normal", "uniform", "constant": the description's spelling. */
const char *init_kind_name(InitKind k);

/* A trainable tensor under its official PyTorch state_dict key. */
typedef struct ParamInfo {
  char *key;
  ParamRole role;
  ParamInit init;
  int rank;
  int64_t shape[3];
  int64_t numel;
} ParamInfo;

void param_infos_free(ParamInfo *p, int n);

/* The training recipe: what the compiled model's host trains with unless
 * its command line says otherwise. The optimizer and schedule are the
 * runtime's kinds (cratert_recipe.h): the runtime implements them, so it
 * owns their set and their names. */
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

typedef struct ProgramLayer {
  int heads, dim_head;
} ProgramLayer;

typedef struct ProgramDesc {
  char *name;
  int channels, height, width, classes;
  int depth, tokens, dim;
  ProgramLayer *layers;   /* depth entries */
  ParamInfo *params;      /* state_dict order */
  int nparams;
  int64_t flops;          /* forward, per image, a multiply-add counting 2 */
  /* The input normalisation ((x / 255) − mean[c]) / std[c] per channel the
   * model was declared with; NULL: the data set's own. */
  double *mean, *std;
  TrainSpec train;
} ProgramDesc;

void program_desc_free(ProgramDesc *p);
/* Trainable scalars: the parameters' elements. */
int64_t program_param_count(const ProgramDesc *p);

#endif
