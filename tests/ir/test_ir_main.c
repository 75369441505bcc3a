#include <stdlib.h>

#include "ir_test_util.h"

int main(void) {
  SRunner *sr = srunner_create(ir_build_suite());
  srunner_add_suite(sr, ir_text_suite());
  srunner_add_suite(sr, ir_verify_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
