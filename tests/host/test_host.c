/* test_host SUITE: one CTest test per suite (io, errors, train, measures, session). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_run.h"

static const struct {
  const char *name;
  Suite *(*make)(void);
} suites[] = {{"io", io_suite}, {"errors", errors_suite}, {"train", train_suite},
              {"measures", measures_suite}, {"session", session_suite}};

int main(int argc, char **argv) {
  for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
    if (argc != 2 || strcmp(argv[1], suites[i].name) != 0) continue;
    SRunner *sr = srunner_create(suites[i].make());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
  }
  fprintf(stderr, "usage: %s SUITE (io, errors, train, measures, session)\n", argv[0]);
  return EXIT_FAILURE;
}
