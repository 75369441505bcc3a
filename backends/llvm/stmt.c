/* Statements and loops. Every loop has the shape clang gives a `for`:
 * preheader, a header testing `i < end`, the body, a single latch that
 * increments i (nsw) and carries the loop's metadata, and an exit; the
 * bounds are evaluated once, before the loop. Parallel loops are outlined
 * (see parallel_loop). */
#include "llvm_gen.h"

#include <llvm-c/DebugInfo.h>

#include <stdlib.h>
#include <string.h>

/* !{!self, !{!"llvm.loop.vectorize.enable", i1 true}} */
static LLVMValueRef vectorize_metadata(LlvmGen *g) {
  LLVMMetadataRef self = LLVMTemporaryMDNode(g->ctx, NULL, 0);
  LLVMMetadataRef hint[2] = {LLVMMDStringInContext2(g->ctx, "llvm.loop.vectorize.enable", 26),
                             LLVMValueAsMetadata(LLVMConstInt(g->i1, 1, 0))};
  LLVMMetadataRef ops[2] = {self, LLVMMDNodeInContext2(g->ctx, hint, 2)};
  LLVMMetadataRef loop_id = LLVMMDNodeInContext2(g->ctx, ops, 2);
  LLVMMetadataReplaceAllUsesWith(self, loop_id);
  return LLVMMetadataAsValue(g->ctx, loop_id);
}

static LLVMBasicBlockRef new_block(LlvmGen *g, const char *name) {
  return LLVMAppendBasicBlockInContext(g->ctx, g->fn, name);
}

static void counted_loop(LlvmGen *g, const LStmt *s, LLVMValueRef begin, LLVMValueRef end, bool vector) {
  LLVMValueRef slot = llvm_new_slot(g, s->var);
  LLVMBuildStore(g->b, begin, slot);
  LLVMBasicBlockRef header = new_block(g, "for.cond"), body = new_block(g, "for.body");
  LLVMBasicBlockRef latch = new_block(g, "for.inc"), exit = new_block(g, "for.end");
  LLVMBuildBr(g->b, header);

  LLVMPositionBuilderAtEnd(g->b, header);
  LLVMValueRef i = LLVMBuildLoad2(g->b, g->i64, slot, s->var->name);
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, i, end, ""), body, exit);

  LLVMPositionBuilderAtEnd(g->b, body);
  bool saved_fast = g->fast;
  g->fast = vector;
  llvm_stmts(g, s->body.items, s->body.len);
  g->fast = saved_fast;
  LLVMBuildBr(g->b, latch);

  LLVMPositionBuilderAtEnd(g->b, latch);
  LLVMValueRef next = LLVMBuildNSWAdd(g->b, LLVMBuildLoad2(g->b, g->i64, slot, ""), LLVMConstInt(g->i64, 1, 0), "");
  LLVMBuildStore(g->b, next, slot);
  LLVMValueRef back = LLVMBuildBr(g->b, header);
  if (vector) LLVMSetMetadata(back, g->loop_md_kind, vectorize_metadata(g));

  LLVMPositionBuilderAtEnd(g->b, exit);
}

/* ---- parallel loops --------------------------------------------------------
 * `parallel for i in b..e { body }` in function F becomes
 *
 *   F.parN.body(captured..., begin, end)   internal: for i in begin..end { body }
 *                                          pointer captures keep their noalias
 *   F.parN(void *ctx, lo, hi)              unpacks the captures, calls the above
 *                                          with begin = b + lo, end = b + hi
 *   crt_parallel_for(max(e - b, 0), F.parN, &ctx)
 *                                          in F, with ctx = {captures..., b}
 *
 * Passing captures as parameters (not loads from ctx inside the loop) keeps
 * the noalias facts the vectorizer needs; F.parN.body is inlined into F.parN. */

typedef VEC(LVar *) VarList;

/* Stamps: 0 = declared inside the loop, 1 = already captured (relative to stamp_now). */
static void mark_declared(LlvmGen *g, LStmt *const *items, int len) {
  for (int k = 0; k < len; k++) {
    const LStmt *s = items[k];
    if ((s->kind == LS_DECL || s->kind == LS_FOR) && s->var) g->stamp[s->var->id] = g->stamp_now;
    mark_declared(g, s->body.items, s->body.len);
    mark_declared(g, s->orelse.items, s->orelse.len);
  }
}

static void capture_expr(LlvmGen *g, const LExpr *e, VarList *caps) {
  if (!e) return;
  if (e->kind == LE_VAR) {
    int *st = &g->stamp[e->var->id];
    if (*st != g->stamp_now && *st != g->stamp_now + 1) {
      *st = g->stamp_now + 1;
      vec_push(caps, e->var);
    }
    return;
  }
  capture_expr(g, e->a, caps);
  capture_expr(g, e->b, caps);
  capture_expr(g, e->c, caps);
}

static void capture_stmts(LlvmGen *g, LStmt *const *items, int len, VarList *caps) {
  for (int k = 0; k < len; k++) {
    const LStmt *s = items[k];
    const LExpr *exprs[] = {s->ptr, s->index, s->value, s->begin, s->end};
    for (size_t j = 0; j < sizeof exprs / sizeof exprs[0]; j++) capture_expr(g, exprs[j], caps);
    for (int j = 0; j < s->args.len; j++) capture_expr(g, s->args.items[j], caps);
    capture_stmts(g, s->body.items, s->body.len, caps);
    capture_stmts(g, s->orelse.items, s->orelse.len, caps);
  }
}

static LLVMValueRef outline_body(LlvmGen *g, const LStmt *s, const VarList *caps, const char *name) {
  int n = caps->len;
  LLVMTypeRef *params = xcalloc((size_t)n + 2, sizeof *params);
  for (int i = 0; i < n; i++) params[i] = llvm_type(g, caps->items[i]->type);
  params[n] = params[n + 1] = g->i64;
  LLVMValueRef fn = LLVMAddFunction(g->mod, name, LLVMFunctionType(g->void_t, params, (unsigned)n + 2, 0));
  free(params);
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  llvm_set_function_attrs(g, fn);
  unsigned noalias = LLVMGetEnumAttributeKindForName("noalias", 7);
  for (int i = 0; i < n; i++)
    if (caps->items[i]->noalias)
      LLVMAddAttributeAtIndex(fn, (LLVMAttributeIndex)(i + 1), LLVMCreateEnumAttribute(g->ctx, noalias, 0));

  llvm_begin_body(g, fn);
  for (int i = 0; i < n; i++) LLVMBuildStore(g->b, LLVMGetParam(fn, (unsigned)i), llvm_new_slot(g, caps->items[i]));
  counted_loop(g, s, LLVMGetParam(fn, (unsigned)n), LLVMGetParam(fn, (unsigned)n + 1), false);
  LLVMBuildRetVoid(g->b);
  llvm_end_body(g);
  return fn;
}

static LLVMValueRef outline_wrapper(LlvmGen *g, LLVMValueRef body, LLVMTypeRef ctx_type, const VarList *caps,
                                    const char *name) {
  int n = caps->len;
  LLVMTypeRef params[3] = {g->ptr, g->i64, g->i64};
  LLVMValueRef fn = LLVMAddFunction(g->mod, name, LLVMFunctionType(g->void_t, params, 3, 0));
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  llvm_set_function_attrs(g, fn);
  LLVMBuilderRef b = LLVMCreateBuilderInContext(g->ctx);
  LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(g->ctx, fn, "entry"));
  LLVMValueRef *args = xcalloc((size_t)n + 2, sizeof *args);
  for (int i = 0; i < n; i++) {
    LLVMValueRef field = LLVMBuildStructGEP2(b, ctx_type, LLVMGetParam(fn, 0), (unsigned)i, "");
    args[i] = LLVMBuildLoad2(b, llvm_type(g, caps->items[i]->type), field, caps->items[i]->name);
  }
  LLVMValueRef base_field = LLVMBuildStructGEP2(b, ctx_type, LLVMGetParam(fn, 0), (unsigned)n, "");
  LLVMValueRef base = LLVMBuildLoad2(b, g->i64, base_field, "base");
  args[n] = LLVMBuildNSWAdd(b, base, LLVMGetParam(fn, 1), "");
  args[n + 1] = LLVMBuildNSWAdd(b, base, LLVMGetParam(fn, 2), "");
  LLVMBuildCall2(b, LLVMGlobalGetValueType(body), body, args, (unsigned)n + 2, "");
  LLVMBuildRetVoid(b);
  LLVMDisposeBuilder(b);
  free(args);
  return fn;
}

static void parallel_loop(LlvmGen *g, const LStmt *s) {
  LLVMValueRef begin = llvm_expr(g, s->begin), end = llvm_expr(g, s->end);

  g->stamp_now += 2;
  g->stamp[s->var->id] = g->stamp_now;
  mark_declared(g, s->body.items, s->body.len);
  VarList caps = {0};
  capture_stmts(g, s->body.items, s->body.len, &caps);

  /* The context: the captures' current values and the loop's first index,
   * in a struct in F's frame. */
  LLVMTypeRef *fields = xcalloc((size_t)caps.len + 1, sizeof *fields);
  for (int i = 0; i < caps.len; i++) fields[i] = llvm_type(g, caps.items[i]->type);
  fields[caps.len] = g->i64;
  LLVMTypeRef ctx_type = LLVMStructTypeInContext(g->ctx, fields, (unsigned)caps.len + 1, 0);
  free(fields);
  LLVMValueRef ctx = LLVMBuildAlloca(g->alloca_b, ctx_type, "par.ctx");
  LLVMValueRef *parent_slots = xcalloc((size_t)caps.len + 1, sizeof *parent_slots);
  for (int i = 0; i < caps.len; i++) {
    LVar *v = caps.items[i];
    parent_slots[i] = g->slots[v->id];
    LLVMValueRef value = LLVMBuildLoad2(g->b, llvm_type(g, v->type), g->slots[v->id], v->name);
    LLVMBuildStore(g->b, value, LLVMBuildStructGEP2(g->b, ctx_type, ctx, (unsigned)i, ""));
  }
  LLVMBuildStore(g->b, begin, LLVMBuildStructGEP2(g->b, ctx_type, ctx, (unsigned)caps.len, ""));

  /* Generate the outlined functions, then come back to F where we were. */
  LLVMValueRef parent_fn = g->fn;
  LLVMBuilderRef parent_allocas = g->alloca_b;
  LLVMBasicBlockRef parent_block = LLVMGetInsertBlock(g->b);
  char *name = xasprintf("%s.par%d", g->lfunc->name, g->outlined++);
  char *body_name = xasprintf("%s.body", name);
  LLVMValueRef body = outline_body(g, s, &caps, body_name);
  LLVMValueRef wrapper = outline_wrapper(g, body, ctx_type, &caps, name);
  free(name);
  free(body_name);
  g->fn = parent_fn;
  g->alloca_b = parent_allocas;
  LLVMPositionBuilderAtEnd(g->b, parent_block);
  for (int i = 0; i < caps.len; i++) g->slots[caps.items[i]->id] = parent_slots[i];
  free(parent_slots);
  vec_free(&caps);

  LLVMValueRef count[2] = {LLVMBuildSub(g->b, end, begin, ""), LLVMConstInt(g->i64, 0, 0)};
  LLVMValueRef pfor = llvm_parallel_for_function(g);
  LLVMValueRef args[3] = {llvm_intrinsic(g, "llvm.smax", g->i64, count, 2), wrapper, ctx};
  LLVMBuildCall2(g->b, LLVMGlobalGetValueType(pfor), pfor, args, 3, "");
}

/* ---- the other statements ------------------------------------------------- */

static void if_stmt(LlvmGen *g, const LStmt *s) {
  LLVMBasicBlockRef then = new_block(g, "if.then"), orelse = new_block(g, "if.else"), done = new_block(g, "if.end");
  LLVMBuildCondBr(g->b, llvm_expr(g, s->value), then, orelse);
  LLVMPositionBuilderAtEnd(g->b, then);
  llvm_stmts(g, s->body.items, s->body.len);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, orelse);
  llvm_stmts(g, s->orelse.items, s->orelse.len);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
}

/* Arguments convert to the C prototype: i64 values narrow to `int` where
 * the runtime takes one (the verifier checked the kinds), error pointers
 * are NULL. */
static void call_stmt(LlvmGen *g, const LStmt *s) {
  const LRuntimeFn *rt = lruntime_find(s->callee);
  if (!rt) {
    /* An earlier function of the module (the verifier checked it exists). */
    LLVMValueRef fn = LLVMGetNamedFunction(g->mod, s->callee);
    LLVMValueRef *args = xcalloc((size_t)s->args.len + 1, sizeof *args);
    for (int i = 0; i < s->args.len; i++) args[i] = llvm_expr(g, s->args.items[i]);
    LLVMBuildCall2(g->b, LLVMGlobalGetValueType(fn), fn, args, (unsigned)s->args.len, "");
    free(args);
    return;
  }
  LLVMValueRef fn = llvm_runtime_function(g, rt);
  LLVMValueRef args[LRUNTIME_MAX_PARAMS];
  for (int i = 0, next = 0; i < rt->nparams; i++) {
    if (rt->params[i] == LC_NO_ERROR) {
      args[i] = LLVMConstNull(g->ptr);
      continue;
    }
    args[i] = llvm_expr(g, s->args.items[next++]);
    if (rt->params[i] == LC_INT || rt->params[i] == LC_TRANS) args[i] = LLVMBuildTrunc(g->b, args[i], g->i32, "");
  }
  LLVMValueRef result = LLVMBuildCall2(g->b, LLVMGlobalGetValueType(fn), fn, args, (unsigned)rt->nparams, "");
  if (!s->var) return;
  if (rt->ret == LC_INT) result = LLVMBuildSExt(g->b, result, g->i64, "");
  LLVMBuildStore(g->b, result, g->slots[s->var->id]);
}

static void stmt(LlvmGen *g, const LStmt *s) {
  switch (s->kind) {
  case LS_BLOCK: llvm_stmts(g, s->body.items, s->body.len); break;
  case LS_DECL: {
    LLVMValueRef init = llvm_expr(g, s->value);
    LLVMBuildStore(g->b, init, llvm_new_slot(g, s->var));
    break;
  }
  case LS_ASSIGN: LLVMBuildStore(g->b, llvm_expr(g, s->value), g->slots[s->var->id]); break;
  case LS_STORE: {
    LLVMTypeRef elem = s->ptr->type == LT_PTR_I64 ? g->i64 : g->f32;
    LLVMValueRef value = llvm_expr(g, s->value), idx = llvm_expr(g, s->index);
    LLVMBuildStore(g->b, value, LLVMBuildInBoundsGEP2(g->b, elem, llvm_expr(g, s->ptr), &idx, 1, ""));
    break;
  }
  case LS_FOR:
    if (s->for_kind == LF_PARALLEL) {
      parallel_loop(g, s);
    } else {
      LLVMValueRef begin = llvm_expr(g, s->begin), end = llvm_expr(g, s->end);
      counted_loop(g, s, begin, end, s->for_kind == LF_VECTOR);
    }
    break;
  case LS_IF: if_stmt(g, s); break;
  case LS_CALL: call_stmt(g, s); break;
  case LS_COMMENT: break;
  }
}

void llvm_stmts(LlvmGen *g, LStmt *const *items, int len) {
  for (int i = 0; i < len; i++) stmt(g, items[i]);
}
