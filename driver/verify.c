#include "driver.h"

int cmd_verify(int argc, char **argv) {
  fputs("cratec: error: 'verify' is not implemented in this build\n", stderr);
  return 2;
}
