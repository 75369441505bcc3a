/* cratert_recipe.h — the training recipe's choices, each spelled once: the
 * optimizers and learning-rate schedules the runtime implements, and their
 * names. The names are what a model's train block, the description cratec
 * writes, checkpoints and the --optimizer option all say; kept here as data
 * (nothing to link), they serve the compiler without the runtime library. */
#ifndef CRATERT_RECIPE_H
#define CRATERT_RECIPE_H

#include <stddef.h>

typedef enum { CRT_OPT_SGD, CRT_OPT_ADAMW, CRT_OPT_LION } crt_optimizer_kind;
#define CRT_OPT_KIND_COUNT 3

/* Indexed by kind; NULL-terminated, so it is also the list of choices. */
static const char *const crt_optimizer_names[CRT_OPT_KIND_COUNT + 1] = {
    [CRT_OPT_SGD] = "sgd", [CRT_OPT_ADAMW] = "adamw", [CRT_OPT_LION] = "lion", [CRT_OPT_KIND_COUNT] = NULL};

/* "unknown" for a value outside the enum (a corrupt configuration). */
static inline const char *crt_optimizer_name(crt_optimizer_kind kind) {
  return (unsigned)kind < CRT_OPT_KIND_COUNT ? crt_optimizer_names[kind] : "unknown";
}

typedef enum { CRT_SCHEDULE_CONSTANT, CRT_SCHEDULE_COSINE } crt_schedule_kind;
#define CRT_SCHEDULE_KIND_COUNT 2

static const char *const crt_schedule_names[CRT_SCHEDULE_KIND_COUNT + 1] = {
    [CRT_SCHEDULE_CONSTANT] = "constant", [CRT_SCHEDULE_COSINE] = "cosine", [CRT_SCHEDULE_KIND_COUNT] = NULL};

static inline const char *crt_schedule_name(crt_schedule_kind kind) {
  return (unsigned)kind < CRT_SCHEDULE_KIND_COUNT ? crt_schedule_names[kind] : "unknown";
}

#endif
