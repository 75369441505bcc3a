/* The session's insides, shared by session*.c only (the host commands use
 * the public API in cratert_host.h). */
#ifndef CRT_SESSION_INTERNAL_H
#define CRT_SESSION_INTERNAL_H

#include "cratert_host.h"

/* How a fresh parameter is drawn (its "init" in the description): every
 * element from N(0, value²), from U(−value, value), or equal to value. */
typedef enum { CRT_INIT_NONE, CRT_INIT_NORMAL, CRT_INIT_UNIFORM, CRT_INIT_CONSTANT } crt_init_kind;

typedef struct crt_param_init {
  crt_init_kind kind;   /* NONE: the description does not say */
  double value;
} crt_param_init;

/* The parsed description and the storage its pointers refer to. */
typedef struct crt_desc {
  crt_model_info info;
  char *name;
  crt_layer_info *layers;
  crt_param_spec *specs;
  char **keys;
  size_t *offsets;
  crt_param_init *inits;   /* (params.count) */
  float *mean, *std;       /* (channels), or NULL */
} crt_desc;

/* Parses and checks the JSON description (abi 1, see cratert_abi.h). */
int crt_desc_parse(crt_desc *d, const char *json, crt_error *e);
void crt_desc_free(crt_desc *d);

struct crt_session {
  const crt_model *model;
  crt_desc desc;
  float *params, *derived, *grads;   /* 64-byte aligned, allocated once */
  bool derived_stale;                /* params changed by a step since P_prepare */
  crt_arena arena;                   /* the largest entry's work run so far (+ padded chunks) */
  crt_optimizer opt;
  bool opt_ready;
};

/* WEIGHTS_PATH, else the embedded weights, else every parameter drawn as
 * its "init" says, from the description's seed. */
int crt_session_load_initial(crt_session *s, const char *weights_path, crt_error *e);

#endif
