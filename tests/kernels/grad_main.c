/* The backward-op emitter tests (lower/kernel_grad_*.c). */
#include <stdlib.h>

#include "kg.h"

int main(void) {
  SRunner *sr = srunner_create(kg_simple_suite());
  srunner_add_suite(sr, kg_ops_suite());
  srunner_add_suite(sr, kg_attn_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
