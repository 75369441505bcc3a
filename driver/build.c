#include "driver.h"

int cmd_build(int argc, char **argv) {
  fputs("cratec: error: 'build' is not implemented in this build\n", stderr);
  return 2;
}
