#include "ir_test_util.h"
#include "run_suite.h"

int main(void) {
  Suite *suites[] = {ir_build_suite(), ir_text_suite(), ir_verify_suite()};
  return run_suites(suites, sizeof suites / sizeof *suites);
}
