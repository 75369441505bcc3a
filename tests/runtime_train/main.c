#include "train_suites.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Suite *train_suite(const char *name, const TTest *const *tests, size_t count) {
  Suite *s = suite_create(name);
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  for (size_t i = 0; i < count; i++) tcase_add_test(tc, tests[i]);
  suite_add_tcase(s, tc);
  return s;
}

static const struct {
  const char *name;
  Suite *(*make)(void);
} suites[] = {{"optim", optim_suite}, {"schedule", schedule_suite}, {"resume", resume_suite},
              {"checkpoint", checkpoint_suite}};

int main(int argc, char **argv) {
  for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
    if (argc != 2 || strcmp(argv[1], suites[i].name) != 0) continue;
    SRunner *sr = srunner_create(suites[i].make());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
  }
  fprintf(stderr, "usage: %s SUITE (optim, schedule, resume, checkpoint)\n", argv[0]);
  return EXIT_FAILURE;
}
