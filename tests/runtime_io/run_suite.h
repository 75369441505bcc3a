/* The main of every test here: run the suite, exit non-zero on a failure. */
#ifndef RUNTIME_IO_RUN_SUITE_H
#define RUNTIME_IO_RUN_SUITE_H

#include <check.h>

int run_suite(Suite *s);

#endif
