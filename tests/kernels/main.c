/* The kernel-emitter tests: forward ops, fused kernels, fusion passes. */
#include <stdlib.h>

#include "kt.h"

int main(void) {
  Suite *s = kt_forward_suite();
  SRunner *sr = srunner_create(s);
  srunner_add_suite(sr, kt_fused_suite());
  srunner_add_suite(sr, kt_pass_suite());
  srunner_add_suite(sr, kt_model_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
