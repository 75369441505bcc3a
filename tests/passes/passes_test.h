/* passes_test.h — what the pass tests share: graphs from IR text files and
 * from models, and the suites. */
#ifndef TESTS_PASSES_TEST_H
#define TESTS_PASSES_TEST_H

#include <check.h>

#include "lower.h"
#include "passes.h"

/* The verified graph of IR text file NAME in tests/passes. */
Graph *pt_graph_file(const char *name);
/* The inference (or training) graph of tests/data/CASE/model.crate. */
Graph *pt_graph_model(const char *case_name, bool training);
/* The contents of file NAME in tests/passes; caller frees. */
char *pt_read(const char *name);
/* A target every test uses: the host's CPU and cores, but fixed cache
 * sizes (32 KiB / 1 MiB / 8 MiB) so pass_tile's choices do not depend on
 * the machine. */
const Target *pt_target(void);

Suite *pipeline_suite(void);
Suite *plan_suite(void);
Suite *tile_suite(void);
Suite *flops_suite(void);

#endif
