/* helpers.h — running the frontend on text or files inside a test. */
#ifndef CRATEC_TEST_FRONTEND_HELPERS_H
#define CRATEC_TEST_FRONTEND_HELPERS_H

#include <check.h>

#include "frontend.h"
#include "run_suite.h"

/* Parses LEN bytes of TEXT as a file named "test.crate". The diagnostics
 * (possibly empty) go to *DIAGNOSTICS when it is not NULL; the caller frees
 * them. Returns the model or NULL. */
Model *parse_bytes(const char *text, size_t len, char **diagnostics);
Model *parse_text(const char *text, char **diagnostics);
/* Parses a file relative to the source tree; fails the test if it is bad. */
Model *parse_source_file(const char *relative_path);

#endif
