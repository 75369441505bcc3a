/* llvm_gen.h — the state shared by the LLVM backend's translation files.
 *
 *   backend.c  the Backend: target machine, passes, verification, output files
 *   module.c   functions, parameters, attributes, data blobs, runtime prototypes
 *   stmt.c     statements and loops (serial, vectorizable, outlined parallel)
 *   expr.c     expressions
 *   exp.c      a vectorizable expf (LLVM has no vector libm by default)
 *
 * Local variables live in allocas in each function's entry block, which
 * SROA/mem2reg turns into SSA values: the shape clang emits, so LLVM's loop
 * passes see what they are tuned for. */
#ifndef CRATEC_LLVM_GEN_H
#define CRATEC_LLVM_GEN_H

#include <llvm-c/Core.h>

#include "backend.h"

typedef struct LlvmGen {
  LLVMContextRef ctx;
  LLVMModuleRef mod;
  LLVMBuilderRef b;
  LLVMTypeRef f32, i1, i32, i64, ptr, void_t;
  const LModule *lmod;
  const char *cpu, *features;   /* resolved: never "native" */
  bool wide_vectors;            /* AVX-512: ask for 512-bit vectors */
  LLVMValueRef *data_globals;   /* parallel to lmod->data */
  LLVMValueRef expf_fn;         /* created on first use */
  unsigned loop_md_kind;

  /* The function being generated. */
  const LFunc *lfunc;
  LLVMValueRef fn;
  LLVMBuilderRef alloca_b;      /* at the end of the entry block, which holds only allocas */
  LLVMValueRef *slots;          /* per LVar id: its alloca in the current LLVM function */
  int *stamp;                   /* per LVar id, for collecting captured variables */
  int stamp_now;
  int outlined;                 /* parallel loops outlined from this function so far */
  bool fast;                    /* inside a vector loop: float ops may be reassociated */
} LlvmGen;

/* module.c */
LLVMTypeRef llvm_type(LlvmGen *g, LType t);
void llvm_set_function_attrs(LlvmGen *g, LLVMValueRef fn);
/* Starts generating into FN: an entry block for allocas, a body block to build in. */
void llvm_begin_body(LlvmGen *g, LLVMValueRef fn);
void llvm_end_body(LlvmGen *g);
LLVMValueRef llvm_new_slot(LlvmGen *g, const LVar *v);
LLVMValueRef llvm_runtime_function(LlvmGen *g, const LRuntimeFn *rt);
LLVMValueRef llvm_parallel_for_function(LlvmGen *g);
bool llvm_translate_module(LlvmGen *g, const LModule *m, Diag *d);

/* expr.c */
LLVMValueRef llvm_expr(LlvmGen *g, const LExpr *e);
LLVMValueRef llvm_intrinsic(LlvmGen *g, const char *name, LLVMTypeRef overload, LLVMValueRef *args, unsigned n);
/* Marks a float instruction reassociable when inside a vector loop. */
LLVMValueRef llvm_fp(LlvmGen *g, LLVMValueRef inst);

/* stmt.c */
void llvm_stmts(LlvmGen *g, LStmt *const *items, int len);

/* exp.c */
LLVMValueRef llvm_exp_function(LlvmGen *g);

#endif
