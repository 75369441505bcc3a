/* The suites of the training-machinery tests; main.c runs the one named on
 * its command line, so each is its own CTest test. */
#ifndef TRAIN_SUITES_H
#define TRAIN_SUITES_H

#include <check.h>
#include <stddef.h>

/* A suite of one test case holding TESTS. */
Suite *train_suite(const char *name, const TTest *const *tests, size_t count);

Suite *optim_suite(void);
Suite *schedule_suite(void);
Suite *resume_suite(void);
Suite *checkpoint_suite(void);

#endif
