/* expf as LLVM IR that the loop vectorizer can widen: LLVM has no vector
 * libm by default, and a scalar call would keep every softmax loop scalar.
 *
 * Cephes' expf: n = rint(x·log2 e); r = x − n·ln2 in two parts (the high
 * part has 9 significant bits, so n·C1 is exact); e^r by a degree-6
 * polynomial on [−ln2/2, ln2/2]; then scaling by 2^n. The scale is applied
 * as two factors 2^(n/2)·2^(n−n/2) so that n = 128 (x up to ln FLT_MAX) and
 * n down to −150 (the denormal range) need no special cases: overflow gives
 * +inf and underflow 0 through ordinary rounding. Arguments are clamped to
 * [−104, 89] before the integer conversion, which keeps it defined; NaN is
 * passed through. Accuracy: within 2 ulp of the correctly rounded result
 * over the normal range (tests/codegen checks [−87, 88] against libm). */
#include "llvm_gen.h"

static LLVMValueRef f32c(LlvmGen *g, double v) { return LLVMConstReal(g->f32, v); }

static LLVMValueRef fmuladd(LlvmGen *g, LLVMValueRef a, LLVMValueRef b, LLVMValueRef c) {
  LLVMValueRef args[3] = {a, b, c};
  return llvm_intrinsic(g, "llvm.fmuladd", g->f32, args, 3);
}

/* 2^k as a float, for k in [-126, 127]: the biased exponent k + 127 in place. */
static LLVMValueRef pow2(LlvmGen *g, LLVMValueRef k) {
  LLVMValueRef biased = LLVMBuildAdd(g->b, k, LLVMConstInt(g->i32, 127, 0), "");
  LLVMValueRef bits = LLVMBuildShl(g->b, biased, LLVMConstInt(g->i32, 23, 0), "");
  return LLVMBuildBitCast(g->b, bits, g->f32, "");
}

static void build_exp_body(LlvmGen *g, LLVMValueRef x) {
  LLVMBuilderRef b = g->b;
  LLVMValueRef lo = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, x, f32c(g, -104.0), ""), f32c(g, -104.0), x, "");
  LLVMValueRef xc = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, lo, f32c(g, 89.0), ""), f32c(g, 89.0), lo, "");

  LLVMValueRef scaled = LLVMBuildFMul(b, xc, f32c(g, 1.44269504088896341), "");
  LLVMValueRef n = llvm_intrinsic(g, "llvm.rint", g->f32, &scaled, 1);
  LLVMValueRef r = fmuladd(g, n, f32c(g, -0.693359375), xc);
  r = fmuladd(g, n, f32c(g, 2.12194440e-4), r);

  static const double coeff[] = {1.9875691500E-4, 1.3981999507E-3, 8.3334519073E-3,
                                 4.1665795894E-2, 1.6666665459E-1, 5.0000001201E-1};
  LLVMValueRef p = f32c(g, coeff[0]);
  for (int i = 1; i < 6; i++) p = fmuladd(g, p, r, f32c(g, coeff[i]));
  LLVMValueRef z = LLVMBuildFMul(b, r, r, "");
  LLVMValueRef er = LLVMBuildFAdd(b, fmuladd(g, p, z, r), f32c(g, 1.0), "");

  LLVMValueRef k = LLVMBuildFPToSI(b, n, g->i32, "");
  LLVMValueRef k1 = LLVMBuildAShr(b, k, LLVMConstInt(g->i32, 1, 0), "");
  LLVMValueRef k2 = LLVMBuildSub(b, k, k1, "");
  LLVMValueRef y = LLVMBuildFMul(b, LLVMBuildFMul(b, er, pow2(g, k1), ""), pow2(g, k2), "");

  LLVMValueRef is_nan = LLVMBuildFCmp(b, LLVMRealUNO, x, x, "");
  LLVMBuildRet(b, LLVMBuildSelect(b, is_nan, x, y, ""));
}

LLVMValueRef llvm_exp_function(LlvmGen *g) {
  if (g->expf_fn) return g->expf_fn;
  LLVMTypeRef type = LLVMFunctionType(g->f32, &g->f32, 1, 0);
  LLVMValueRef fn = LLVMAddFunction(g->mod, "cratec.expf", type);
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  llvm_set_function_attrs(g, fn);
  unsigned inline_kind = LLVMGetEnumAttributeKindForName("alwaysinline", 12);
  LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(g->ctx, inline_kind, 0));

  /* Built with a builder of its own and without the caller's fast-math
   * state: reassociating the range reduction would ruin its accuracy. */
  LLVMBuilderRef saved_b = g->b;
  bool saved_fast = g->fast;
  g->b = LLVMCreateBuilderInContext(g->ctx);
  g->fast = false;
  LLVMPositionBuilderAtEnd(g->b, LLVMAppendBasicBlockInContext(g->ctx, fn, "entry"));
  build_exp_body(g, LLVMGetParam(fn, 0));
  LLVMDisposeBuilder(g->b);
  g->b = saved_b;
  g->fast = saved_fast;
  g->expf_fn = fn;
  return fn;
}
