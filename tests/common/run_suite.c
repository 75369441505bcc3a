#include "run_suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int run_suites(Suite *const *suites, size_t n) {
  SRunner *sr = srunner_create(suites[0]);
  for (size_t i = 1; i < n; i++) srunner_add_suite(sr, suites[i]);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

int run_suite(Suite *s) { return run_suites(&s, 1); }

int run_named_suite(int argc, char **argv, const NamedSuite *suites, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (argc == 2 && strcmp(argv[1], suites[i].name) == 0) return run_suite(suites[i].make());
  fprintf(stderr, "usage: %s SUITE (", argv[0]);
  for (size_t i = 0; i < n; i++) fprintf(stderr, "%s%s", i ? ", " : "", suites[i].name);
  fprintf(stderr, ")\n");
  return EXIT_FAILURE;
}
