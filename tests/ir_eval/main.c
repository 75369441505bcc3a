#include "eval_case.h"
#include "run_suite.h"

int main(void) {
  Suite *suites[] = {eval_cases_suite(), eval_errors_suite(), grad_ops_suite(), eval_ops_suite()};
  return run_suites(suites, sizeof suites / sizeof *suites);
}
