/* The table of kernel emitters: ops.def's kernel column (kernel.h). */
#include "kernel_util.h"

static const KernelFn kernels[IR_OP_COUNT] = {
#define IR_OP(id, name, min_in, max_in, n_results, attrs, flags, shape, expand, eval, flops, autodiff, tile, kernel) \
  [IR_OP_##id] = IR_OP_FN(kernel),
#include "ops.def"
#undef IR_OP
};

KernelFn kernel_for(IrOpKind kind) { return kernels[kind]; }
