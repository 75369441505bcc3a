/* The table of kernel emitters, by op kind (lower.h). */
#include "lower.h"

KernelFn kernel_for(IrOpKind kind) {
  switch (kind) {
  default: return NULL;
  }
}
