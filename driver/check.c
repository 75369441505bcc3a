#include "driver.h"

int cmd_check(int argc, char **argv) {
  fputs("cratec: error: 'check' is not implemented in this build\n", stderr);
  return 2;
}
