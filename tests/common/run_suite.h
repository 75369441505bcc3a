/* run_suite.h — the main() of every test program: run Check suites, exit
 * non-zero when a test failed. */
#ifndef TESTS_COMMON_RUN_SUITE_H
#define TESTS_COMMON_RUN_SUITE_H

#include <check.h>
#include <stddef.h>

/* Runs S; EXIT_SUCCESS if every test passed, else EXIT_FAILURE. */
int run_suite(Suite *s);
/* The same for N suites in one runner. */
int run_suites(Suite *const *suites, size_t n);

/* A suite a program can run by name. */
typedef struct NamedSuite {
  const char *name;
  Suite *(*make)(void);
} NamedSuite;
/* For programs with one CTest test per suite: runs the suite named by the
 * one argument; usage (listing the names) and EXIT_FAILURE otherwise. */
int run_named_suite(int argc, char **argv, const NamedSuite *suites, size_t n);

#endif
