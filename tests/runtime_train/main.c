#include "train_suites.h"
#include "run_suite.h"

Suite *train_suite(const char *name, const TTest *const *tests, size_t count) {
  Suite *s = suite_create(name);
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  for (size_t i = 0; i < count; i++) tcase_add_test(tc, tests[i]);
  suite_add_tcase(s, tc);
  return s;
}

static const NamedSuite suites[] = {{"optim", optim_suite}, {"schedule", schedule_suite}, {"resume", resume_suite},
                                    {"checkpoint", checkpoint_suite}};

int main(int argc, char **argv) { return run_named_suite(argc, argv, suites, sizeof suites / sizeof *suites); }
