/* Helpers shared by the IR tests: models from files, IR from text, and a
 * Diag that captures its messages. */
#ifndef IR_TEST_UTIL_H
#define IR_TEST_UTIL_H

#include <check.h>

#include "frontend.h"

/* A checked model from a .crate path relative to the source tree. */
Model *load_model(const char *relpath);
/* Inference graph of a .crate file relative to the source tree. */
Graph *build_model_graph(const char *relpath);
/* The whole file at PATH (caller frees). */
char *read_file(const char *path);

/* A Diag writing into memory: messages() returns what it has collected. */
typedef struct Captured {
  Diag d;
  char *buf;
  size_t size;
  FILE *f;
} Captured;
void capture_begin(Captured *c);
const char *capture_text(Captured *c);
void capture_end(Captured *c);

/* Parses TEXT; NULL with messages in C. */
Graph *parse_text(const char *text, Captured *c);

/* The example and test models (relative paths, NULL-terminated). */
const char *const *all_models(void);

Suite *ir_build_suite(void);
Suite *ir_text_suite(void);
Suite *ir_verify_suite(void);

#endif
