/* case_model.h — a reference case (tests/data/<case>/) loaded into the plain
 * CRATE model: configuration, weights, inputs and the files of expected
 * values that are present. */
#ifndef REF_CASE_MODEL_H
#define REF_CASE_MODEL_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "crate_model.h"

typedef struct ref_case {
  char dir[512];
  cJSON *meta;
  crate_model model;
  int64_t *labels;            /* (B) */
  crt_st_file *expected;      /* logits, loss, dlogits, dimages */
  crt_st_file *features;      /* NULL when the case has none */
  crt_st_file *grads;         /* NULL when the case has none */
} ref_case;

/* Opens DIR (meta.json, weights, input, expected; features and grads when
 * present) and sets the model's images. */
int ref_case_open(ref_case *c, const char *dir, crt_error *e);
void ref_case_close(ref_case *c);

/* Does DIR hold FILE? */
bool ref_case_has(const char *dir, const char *file);

#endif
