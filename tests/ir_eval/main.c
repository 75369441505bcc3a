#include <stdlib.h>

#include "eval_case.h"

int main(void) {
  SRunner *sr = srunner_create(eval_cases_suite());
  srunner_add_suite(sr, eval_errors_suite());
  srunner_add_suite(sr, grad_ops_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
