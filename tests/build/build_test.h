/* build_test.h — what the cratec build tests share: case tensors and
 * comparisons. */
#ifndef TESTS_BUILD_TEST_H
#define TESTS_BUILD_TEST_H

#include <stddef.h>

/* A malloc'ed copy of F32 tensor NAME (COUNT elements) of FILE; fails the
 * test when it is missing or mis-sized. */
float *bt_tensor(const char *file, const char *name, size_t count);
/* |got − want| <= tol·(1 + |want|) everywhere, else a failure naming WHAT[i]. */
void bt_assert_close(const float *got, const float *want, size_t n, float tol, const char *what);

#endif
