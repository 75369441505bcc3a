/* Module-level translation: data blobs, function signatures and attributes,
 * runtime prototypes. */
#include "llvm_gen.h"

#include <llvm-c/Analysis.h>

#include <stdlib.h>
#include <string.h>

LLVMTypeRef llvm_type(LlvmGen *g, LType t) {
  switch (t) {
  case LT_F32: return g->f32;
  case LT_I64: return g->i64;
  case LT_BOOL: return g->i1;
  case LT_PTR_F32:
  case LT_PTR_I64: return g->ptr;
  }
  return g->i64;
}

static void add_string_attr(LlvmGen *g, LLVMValueRef fn, const char *key, const char *value) {
  LLVMAttributeRef a = LLVMCreateStringAttribute(g->ctx, key, (unsigned)strlen(key), value, (unsigned)strlen(value));
  LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, a);
}

static void add_enum_attr(LlvmGen *g, LLVMValueRef fn, LLVMAttributeIndex where, const char *name) {
  unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
  LLVMAddAttributeAtIndex(fn, where, LLVMCreateEnumAttribute(g->ctx, kind, 0));
}

/* Every generated function carries the target, so the vectorizer and the
 * code generator agree on the CPU even for functions LLVM creates itself. */
void llvm_set_function_attrs(LlvmGen *g, LLVMValueRef fn) {
  add_string_attr(g, fn, "target-cpu", g->cpu);
  if (*g->features) add_string_attr(g, fn, "target-features", g->features);
  if (g->wide_vectors) add_string_attr(g, fn, "prefer-vector-width", "512");
  add_enum_attr(g, fn, LLVMAttributeFunctionIndex, "nounwind");
}

void llvm_begin_body(LlvmGen *g, LLVMValueRef fn) {
  g->fn = fn;
  LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(g->ctx, fn, "entry");
  LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(g->ctx, fn, "body");
  g->alloca_b = LLVMCreateBuilderInContext(g->ctx);
  LLVMPositionBuilderAtEnd(g->alloca_b, entry);
  LLVMPositionBuilderAtEnd(g->b, body);
}

/* The entry block gets its branch last, once every alloca is in it. */
void llvm_end_body(LlvmGen *g) {
  LLVMBasicBlockRef entry = LLVMGetEntryBasicBlock(g->fn);
  LLVMBuildBr(g->alloca_b, LLVMGetNextBasicBlock(entry));
  LLVMDisposeBuilder(g->alloca_b);
  g->alloca_b = NULL;
}

LLVMValueRef llvm_new_slot(LlvmGen *g, const LVar *v) {
  LLVMValueRef slot = LLVMBuildAlloca(g->alloca_b, llvm_type(g, v->type), v->name);
  g->slots[v->id] = slot;
  return slot;
}

static LLVMTypeRef c_type(LlvmGen *g, LCType t) {
  switch (t) {
  case LC_VOID: return g->void_t;
  case LC_INT:
  case LC_TRANS: return g->i32;
  case LC_INT64:
  case LC_SIZE: return g->i64;
  case LC_FLOAT: return g->f32;
  case LC_FLOAT_PTR:
  case LC_CONST_FLOAT_PTR:
  case LC_INT64_PTR:
  case LC_VOID_PTR:
  case LC_NO_ERROR: return g->ptr;
  }
  return g->i64;
}

LLVMValueRef llvm_runtime_function(LlvmGen *g, const LRuntimeFn *rt) {
  LLVMValueRef fn = LLVMGetNamedFunction(g->mod, rt->name);
  if (fn) return fn;
  LLVMTypeRef params[LRUNTIME_MAX_PARAMS];
  for (int i = 0; i < rt->nparams; i++) params[i] = c_type(g, rt->params[i]);
  fn = LLVMAddFunction(g->mod, rt->name, LLVMFunctionType(c_type(g, rt->ret), params, (unsigned)rt->nparams, 0));
  return fn;
}

/* void crt_parallel_for(int64_t n, crt_range_fn fn, void *ctx), with
 * crt_range_fn = void (*)(void *ctx, int64_t begin, int64_t end) */
LLVMValueRef llvm_parallel_for_function(LlvmGen *g) {
  LLVMValueRef fn = LLVMGetNamedFunction(g->mod, "crt_parallel_for");
  if (fn) return fn;
  LLVMTypeRef params[] = {g->i64, g->ptr, g->ptr};
  return LLVMAddFunction(g->mod, "crt_parallel_for", LLVMFunctionType(g->void_t, params, 3, 0));
}

/* Blobs become constants, aligned, in a read-only section, built from the
 * bytes directly (no per-element constants: CRATE-Large is 310 MB); private
 * unless exported, when they keep their exact name for the host program. */
static void translate_data(LlvmGen *g, const LModule *m) {
  g->data_globals = xcalloc((size_t)(m->data.len ? m->data.len : 1), sizeof *g->data_globals);
  for (int i = 0; i < m->data.len; i++) {
    const LData *d = m->data.items[i];
    LLVMValueRef init = LLVMConstStringInContext2(g->ctx, d->bytes, d->size, 1);
    LLVMValueRef gv = LLVMAddGlobal(g->mod, LLVMTypeOf(init), d->name);
    LLVMSetInitializer(gv, init);
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, d->exported ? LLVMExternalLinkage : LLVMPrivateLinkage);
    LLVMSetAlignment(gv, (unsigned)d->align);
    LLVMSetSection(gv, ".rodata.cratec");
    g->data_globals[i] = gv;
  }
}

static void translate_func(LlvmGen *g, const LFunc *f) {
  LLVMTypeRef *params = xcalloc((size_t)(f->params.len ? f->params.len : 1), sizeof *params);
  for (int i = 0; i < f->params.len; i++) params[i] = llvm_type(g, f->params.items[i]->type);
  LLVMValueRef fn = LLVMAddFunction(g->mod, f->name, LLVMFunctionType(g->void_t, params, (unsigned)f->params.len, 0));
  free(params);
  if (!f->exported) LLVMSetLinkage(fn, LLVMInternalLinkage);
  llvm_set_function_attrs(g, fn);
  for (int i = 0; i < f->params.len; i++)
    if (f->params.items[i]->noalias) add_enum_attr(g, fn, (LLVMAttributeIndex)(i + 1), "noalias");

  g->lfunc = f;
  g->slots = xcalloc((size_t)(f->vars.len ? f->vars.len : 1), sizeof *g->slots);
  g->stamp = xcalloc((size_t)(f->vars.len ? f->vars.len : 1), sizeof *g->stamp);
  g->stamp_now = 0;
  g->outlined = 0;
  llvm_begin_body(g, fn);
  for (int i = 0; i < f->params.len; i++) {
    LLVMValueRef p = LLVMGetParam(fn, (unsigned)i);
    LLVMSetValueName2(p, f->params.items[i]->name, strlen(f->params.items[i]->name));
    LLVMBuildStore(g->b, p, llvm_new_slot(g, f->params.items[i]));
  }
  llvm_stmts(g, f->body->body.items, f->body->body.len);
  LLVMBuildRetVoid(g->b);
  llvm_end_body(g);
  free(g->slots);
  free(g->stamp);
  g->slots = NULL;
  g->stamp = NULL;
}

bool llvm_translate_module(LlvmGen *g, const LModule *m, Diag *d) {
  g->lmod = m;
  translate_data(g, m);
  for (int i = 0; i < m->funcs.len; i++) translate_func(g, m->funcs.items[i]);
  free(g->data_globals);
  g->data_globals = NULL;
  char *msg = NULL;
  if (LLVMVerifyModule(g->mod, LLVMReturnStatusAction, &msg)) {
    diag(d, DIAG_ERROR, "internal error: the LLVM IR generated for module '%s' is invalid: %s", m->name, msg);
    LLVMDisposeMessage(msg);
    return false;
  }
  LLVMDisposeMessage(msg);
  return true;
}
