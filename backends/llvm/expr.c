/* Expressions. Loads and stores are plain (aligned to the element): the
 * buffers are 64-byte aligned but sub-buffers need not be, and the
 * vectorizer does not need alignment on x86. */
#include "llvm_gen.h"

#include <string.h>

LLVMValueRef llvm_fp(LlvmGen *g, LLVMValueRef inst) {
  if (g->fast && LLVMIsAInstruction(inst) && LLVMCanValueUseFastMathFlags(inst))
    LLVMSetFastMathFlags(inst, LLVMFastMathAllowReassoc | LLVMFastMathAllowContract | LLVMFastMathNoSignedZeros);
  return inst;
}

LLVMValueRef llvm_intrinsic(LlvmGen *g, const char *name, LLVMTypeRef overload, LLVMValueRef *args, unsigned n) {
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  LLVMValueRef fn = LLVMGetIntrinsicDeclaration(g->mod, id, &overload, 1);
  LLVMTypeRef type = LLVMIntrinsicGetType(g->ctx, id, &overload, 1);
  return llvm_fp(g, LLVMBuildCall2(g->b, type, fn, args, n, ""));
}

static LLVMValueRef element_pointer(LlvmGen *g, const LExpr *ptr, const LExpr *index) {
  LLVMTypeRef elem = ptr->type == LT_PTR_I64 ? g->i64 : g->f32;
  LLVMValueRef idx = llvm_expr(g, index);
  return LLVMBuildInBoundsGEP2(g->b, elem, llvm_expr(g, ptr), &idx, 1, "");
}

static LLVMValueRef data_address(LlvmGen *g, const LData *d) {
  for (int i = 0; i < g->lmod->data.len; i++)
    if (g->lmod->data.items[i] == d) return g->data_globals[i];
  return LLVMConstNull(g->ptr);   /* unreachable for verified modules */
}

/* The vectorizer takes min/max reductions only without NaNs: in vector
 * loops a NaN reaching min or max gives an unspecified result (it would
 * poison a softmax anyway) instead of a scalar loop. */
static LLVMValueRef no_nans(LlvmGen *g, LLVMValueRef call) {
  if (g->fast) LLVMSetFastMathFlags(call, LLVMGetFastMathFlags(call) | LLVMFastMathNoNaNs);
  return call;
}

static LLVMValueRef float_bin(LlvmGen *g, LBinOp op, LLVMValueRef a, LLVMValueRef b) {
  LLVMValueRef args[2] = {a, b};
  switch (op) {
  case LB_ADD: return llvm_fp(g, LLVMBuildFAdd(g->b, a, b, ""));
  case LB_SUB: return llvm_fp(g, LLVMBuildFSub(g->b, a, b, ""));
  case LB_MUL: return llvm_fp(g, LLVMBuildFMul(g->b, a, b, ""));
  case LB_DIV: return llvm_fp(g, LLVMBuildFDiv(g->b, a, b, ""));
  case LB_REM: return llvm_fp(g, LLVMBuildFRem(g->b, a, b, ""));
  case LB_MIN: return no_nans(g, llvm_intrinsic(g, "llvm.minnum", g->f32, args, 2));
  case LB_MAX: return no_nans(g, llvm_intrinsic(g, "llvm.maxnum", g->f32, args, 2));
  case LB_LT: return llvm_fp(g, LLVMBuildFCmp(g->b, LLVMRealOLT, a, b, ""));
  case LB_LE: return llvm_fp(g, LLVMBuildFCmp(g->b, LLVMRealOLE, a, b, ""));
  case LB_GT: return llvm_fp(g, LLVMBuildFCmp(g->b, LLVMRealOGT, a, b, ""));
  case LB_GE: return llvm_fp(g, LLVMBuildFCmp(g->b, LLVMRealOGE, a, b, ""));
  case LB_EQ: return llvm_fp(g, LLVMBuildFCmp(g->b, LLVMRealOEQ, a, b, ""));
  case LB_NE: return llvm_fp(g, LLVMBuildFCmp(g->b, LLVMRealUNE, a, b, ""));
  case LB_AND:
  case LB_OR: break;
  }
  return a;
}

static LLVMValueRef int_bin(LlvmGen *g, LBinOp op, LLVMValueRef a, LLVMValueRef b) {
  LLVMValueRef args[2] = {a, b};
  switch (op) {
  case LB_ADD: return LLVMBuildNSWAdd(g->b, a, b, "");
  case LB_SUB: return LLVMBuildNSWSub(g->b, a, b, "");
  case LB_MUL: return LLVMBuildNSWMul(g->b, a, b, "");
  case LB_DIV: return LLVMBuildSDiv(g->b, a, b, "");
  case LB_REM: return LLVMBuildSRem(g->b, a, b, "");
  case LB_MIN: return llvm_intrinsic(g, "llvm.smin", g->i64, args, 2);
  case LB_MAX: return llvm_intrinsic(g, "llvm.smax", g->i64, args, 2);
  case LB_LT: return LLVMBuildICmp(g->b, LLVMIntSLT, a, b, "");
  case LB_LE: return LLVMBuildICmp(g->b, LLVMIntSLE, a, b, "");
  case LB_GT: return LLVMBuildICmp(g->b, LLVMIntSGT, a, b, "");
  case LB_GE: return LLVMBuildICmp(g->b, LLVMIntSGE, a, b, "");
  case LB_EQ: return LLVMBuildICmp(g->b, LLVMIntEQ, a, b, "");
  case LB_NE: return LLVMBuildICmp(g->b, LLVMIntNE, a, b, "");
  case LB_AND: return LLVMBuildAnd(g->b, a, b, "");
  case LB_OR: return LLVMBuildOr(g->b, a, b, "");
  }
  return a;
}

static LLVMValueRef unary(LlvmGen *g, LUnOp op, LType type, LLVMValueRef a) {
  bool is_float = type == LT_F32;
  switch (op) {
  case LU_NEG: return is_float ? llvm_fp(g, LLVMBuildFNeg(g->b, a, "")) : LLVMBuildNSWNeg(g->b, a, "");
  case LU_EXP: {
    LLVMValueRef fn = llvm_exp_function(g);
    return LLVMBuildCall2(g->b, LLVMGlobalGetValueType(fn), fn, &a, 1, "");
  }
  case LU_LOG: return llvm_intrinsic(g, "llvm.log", g->f32, &a, 1);
  case LU_SQRT: return llvm_intrinsic(g, "llvm.sqrt", g->f32, &a, 1);
  case LU_ABS:
    if (is_float) return llvm_intrinsic(g, "llvm.fabs", g->f32, &a, 1);
    LLVMValueRef args[2] = {a, LLVMConstInt(g->i1, 0, 0)};
    return llvm_intrinsic(g, "llvm.abs", g->i64, args, 2);
  case LU_NOT: return LLVMBuildNot(g->b, a, "");
  }
  return a;
}

static LLVMValueRef cast(LlvmGen *g, LType to, LType from, LLVMValueRef a) {
  if (to == from) return a;
  if (from == LT_BOOL) return to == LT_F32 ? LLVMBuildUIToFP(g->b, a, g->f32, "") : LLVMBuildZExt(g->b, a, g->i64, "");
  return to == LT_F32 ? LLVMBuildSIToFP(g->b, a, g->f32, "") : LLVMBuildFPToSI(g->b, a, g->i64, "");
}

LLVMValueRef llvm_expr(LlvmGen *g, const LExpr *e) {
  switch (e->kind) {
  case LE_F32: return LLVMConstReal(g->f32, e->f);
  case LE_I64: return LLVMConstInt(g->i64, (unsigned long long)e->i, 1);
  case LE_VAR: return LLVMBuildLoad2(g->b, llvm_type(g, e->type), g->slots[e->var->id], "");
  case LE_DATA: return data_address(g, e->data);
  case LE_LOAD: return LLVMBuildLoad2(g->b, llvm_type(g, e->type), element_pointer(g, e->a, e->b), "");
  case LE_ADDR: return element_pointer(g, e->a, e->b);
  case LE_BIN: {
    LLVMValueRef a = llvm_expr(g, e->a), b = llvm_expr(g, e->b);
    return e->a->type == LT_F32 ? float_bin(g, (LBinOp)e->op, a, b) : int_bin(g, (LBinOp)e->op, a, b);
  }
  case LE_UN: return unary(g, (LUnOp)e->op, e->type, llvm_expr(g, e->a));
  case LE_SELECT: {
    LLVMValueRef c = llvm_expr(g, e->c), a = llvm_expr(g, e->a), b = llvm_expr(g, e->b);
    return LLVMBuildSelect(g->b, c, a, b, "");
  }
  case LE_CAST: return cast(g, e->type, e->a->type, llvm_expr(g, e->a));
  }
  return LLVMConstNull(llvm_type(g, e->type));
}
