/* The table of kernel emitters, by op kind (kernel.h). */
#include "kernel_grad.h"

KernelFn kernel_for(IrOpKind kind) {
  switch (kind) {
  case IR_OP_PATCHIFY: return kernel_patchify;
  case IR_OP_LAYERNORM: return kernel_layernorm;
  case IR_OP_LINEAR: return kernel_linear;
  case IR_OP_CLS_CONCAT: return kernel_cls_concat;
  case IR_OP_POS_ADD: return kernel_pos_add;
  case IR_OP_MSSA: return kernel_mssa;
  case IR_OP_ISTA: return kernel_ista;
  case IR_OP_ADD:
  case IR_OP_SUB:
  case IR_OP_SCALE:
  case IR_OP_SHRINK: return kernel_elementwise;
  case IR_OP_POOL: return kernel_pool;
  case IR_OP_CROSS_ENTROPY: return kernel_cross_entropy;
  case IR_OP_MATMUL: return kernel_matmul;
  case IR_OP_SOFTMAX: return kernel_softmax;
  case IR_OP_SPLIT_HEADS:
  case IR_OP_MERGE_HEADS: return kernel_heads;
  case IR_OP_MSSA_ADD: return kernel_mssa_add;
  case IR_OP_ISTA_MATRIX: return kernel_ista_matrix;
  case IR_OP_ISTA_APPLY: return kernel_ista_apply;
  case IR_OP_TRANSPOSE: return kernel_transpose;
  case IR_OP_LINEAR_T: return kernel_linear_t;
  case IR_OP_LAYERNORM_MSSA_ADD: return kernel_layernorm_mssa_add;
  case IR_OP_LAYERNORM_ISTA_APPLY: return kernel_layernorm_ista_apply;
  case IR_OP_LAYERNORM_LINEAR_T: return kernel_layernorm_linear_t;
  case IR_OP_CROSS_ENTROPY_GRAD: return kernel_cross_entropy_grad;
  case IR_OP_BIAS_GRAD: return kernel_bias_grad;
  case IR_OP_POOL_GRAD: return kernel_pool_grad;
  case IR_OP_CLS_CONCAT_GRAD: return kernel_cls_concat_grad;
  case IR_OP_POS_ADD_GRAD: return kernel_pos_add_grad;
  case IR_OP_LINEAR_GRAD: return kernel_linear_grad;
  case IR_OP_MATMUL_GRAD: return kernel_matmul_grad;
  case IR_OP_SOFTMAX_GRAD: return kernel_softmax_grad;
  case IR_OP_SHRINK_GRAD: return kernel_shrink_grad;
  case IR_OP_LAYERNORM_GRAD: return kernel_layernorm_grad;
  case IR_OP_ISTA_GRAD: return kernel_ista_grad;
  case IR_OP_MSSA_GRAD: return kernel_mssa_grad;
  default: return NULL;
  }
}
