/* One entry's body: the arena plan applied as bindings, then one call per
 * op of a kernel function (lower_internal.h).
 *
 * Kernels are outlined rather than inlined into the entry: an op's kernel
 * takes the op's values, a scratch pointer and the batch as parameters, so
 * the identical layers of a model, and the entries that share ops, share
 * one function (comments aside, which may name values). LLVM's time is
 * nearly all per kernel, so this keeps CRATE-Base's build time that of one
 * layer rather than twelve. */
#include "lower_internal.h"

#include <stdlib.h>
#include <string.h>

/* The planned results go to the arena, whose batch region starts at BASE +
 * FIXED; every other result of an op the entry runs was bound by the
 * caller (ABI buffers, the derived buffer). */
static bool bind_arena(LowerCtx *c, const Graph *g, const bool *skip, const MemPlan *p, LVar *work, int64_t base,
                       int64_t fixed, Diag *d) {
  bool ok = true;
  for (int i = 0; i < g->ops.len && ok; i++) {
    if (skip && skip[i]) continue;
    const IrOp *op = g->ops.items[i];
    for (int r = 0; r < op->results.len && ok; r++) {
      const IrValue *v = op->results.items[r];
      bool planned = p && p->planned[v->id];
      if (planned == lower_is_bound(c, v)) {
        diag(d, DIAG_ERROR, "internal error: lowering %s: %%%s is %s", lower_func(c)->name, v->name,
             planned ? "both planned and bound" : "neither planned nor bound");
        ok = false;
      } else if (planned) {
        lower_bind(c, v, work, base + (p->per_batch[v->id] ? fixed : p->offset[v->id]),
                   p->per_batch[v->id] ? p->offset[v->id] : 0);
      }
    }
  }
  return ok;
}

/* The op's distinct values, operands then results: a value read twice
 * (x·xᵀ) is one parameter. */
static int op_values(const IrOp *op, const IrValue **values) {
  int n = 0;
  for (int k = 0; k < op->operands.len + op->results.len; k++) {
    const IrValue *v = k < op->operands.len ? op->operands.items[k] : op->results.items[k - op->operands.len];
    bool seen = false;
    for (int j = 0; j < n; j++) seen |= values[j] == v;
    if (!seen) values[n++] = v;
  }
  return n;
}

/* M's text without its comments: emitters name the op's values in them,
 * which differ between layers whose code is the same. */
static char *func_text(const LModule *m) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  lmodule_print(f, m);
  fclose(f);
  char *out = text;
  for (const char *line = text; *line;) {
    const char *end = strchr(line, '\n');
    size_t n = end ? (size_t)(end - line + 1) : strlen(line);
    const char *first = line + strspn(line, " ");
    if (strncmp(first, "//", 2) != 0) {
      memmove(out, line, n);
      out += n;
    }
    line += n;
  }
  *out = '\0';
  return text;
}

/* Puts F into M after the kernels already there, before the entries. */
static void adopt_kernel(LModule *m, LFunc *f, int nkernels) {
  vec_push(&m->funcs, f);
  memmove(m->funcs.items + nkernels + 1, m->funcs.items + nkernels,
          (size_t)(m->funcs.len - 1 - nkernels) * sizeof *m->funcs.items);
  m->funcs.items[nkernels] = f;
}

void kernel_cache_free(KernelCache *kc) {
  for (int i = 0; i < kc->texts.len; i++) free(kc->texts.items[i]);
  vec_free(&kc->texts);
  vec_free(&kc->names);
}

/* The name of the kernel function computing OP (made, or found in KC);
 * its scratch needs in SCRATCH. NULL if the emitter failed. */
static const char *outline(LowerCtx *entry, KernelCache *kc, const IrOp *op, KernelFn kernel,
                           const IrValue **values, int nvalues, int64_t scratch[2], Diag *d) {
  LModule *m = lower_module(entry);
  LModule *tmp = lmodule_new("kernel");
  LFunc *f = lfunc_new(tmp, "kernel", false);
  LVar *params[2 * IR_MAX_RESULTS + 8];
  for (int k = 0; k < nvalues; k++)
    params[k] = lfunc_param(f, values[k]->name, values[k]->type.dtype == IR_I64 ? LT_PTR_I64 : LT_PTR_F32);
  LVar *scratch_base = lfunc_param(f, "scratch", LT_PTR_F32), *batch = lfunc_param(f, "batch", LT_I64);
  LowerCtx *c = lower_ctx_new(m, f, batch, lower_target(entry));
  for (int k = 0; k < nvalues; k++) lower_bind(c, values[k], params[k], 0, 0);
  lower_set_scratch_base(c, scratch_base, 0, 0);
  lower_begin_op(c);
  lower_emit(c, lcomment("%s", ir_op_name(op->kind)));
  bool ok = kernel(c, op, d);
  lower_scratch_peak(c, &scratch[0], &scratch[1]);
  lower_ctx_free(c);
  if (!ok) {
    lmodule_free(tmp);
    return NULL;
  }
  /* Named by position, the same kernel of two layers prints the same. */
  for (int k = 0; k < nvalues; k++) {
    free(params[k]->name);
    params[k]->name = xasprintf("v%d", k);
  }
  char *text = func_text(tmp);
  for (int i = 0; i < kc->texts.len; i++)
    if (strcmp(kc->texts.items[i], text) == 0) {
      free(text);
      lmodule_free(tmp);
      return kc->names.items[i];
    }
  tmp->funcs.len = 0;
  lmodule_free(tmp);
  free(f->name);
  f->name = xasprintf("%s_k%d_%s", m->name, kc->texts.len, ir_op_name(op->kind));
  adopt_kernel(m, f, kc->texts.len);
  vec_push(&kc->texts, text);
  vec_push(&kc->names, f->name);
  return f->name;
}

static void call_kernel(LowerCtx *c, const char *name, const IrValue **values, int nvalues,
                        const int64_t scratch[2], LVar *batch) {
  LStmt *call = lcall(name);
  for (int k = 0; k < nvalues; k++) lcall_arg(call, lower_buffer(c, values[k]));
  lcall_arg(call, lower_scratch(c, scratch[0], scratch[1]));
  lcall_arg(call, batch ? lvar(batch) : li64(1));
  lower_emit(c, call);
}

/* t0 = crt_clock_ns() before the call, crt_profile_add(slot, t0) after it. */
static LVar *profile_start(LowerCtx *c) {
  LVar *t0 = lower_local(c, "t", LT_I64);
  lower_emit(c, ldecl(t0, li64(0)));
  lower_emit(c, lcall_result(t0, "crt_clock_ns"));
  return t0;
}

static void profile_end(LowerCtx *c, ProfileSlots *prof, LVar *t0, const char *entry, const IrOp *op) {
  LStmt *add = lcall("crt_profile_add");
  lcall_arg(add, li64(prof->count));
  lcall_arg(add, lvar(t0));
  lower_emit(c, add);
  prof->labels = xrealloc(prof->labels, (size_t)(prof->count + 1) * sizeof *prof->labels);
  prof->flops = xrealloc(prof->flops, (size_t)(prof->count + 1) * sizeof *prof->flops);
  /* Per batch item: a fixed-size op (P_prepare's) counts once per batch. */
  prof->flops[prof->count] = ir_op_flops(op, 1);
  prof->labels[prof->count++] = xasprintf("%s %s %%%s", entry, ir_op_name(op->kind), op->results.items[0]->name);
}

bool lower_ops(LowerCtx *c, KernelCache *kc, const Graph *g, const bool *skip, const MemPlan *plan, LVar *work,
               int64_t base, LVar *batch, int64_t work_floats[2], ProfileSlots *prof, const char *entry, Diag *d) {
  int64_t fixed = plan ? plan->fixed : 0, per_batch = plan ? plan->batch : 0;
  if (!bind_arena(c, g, skip, plan, work, base, fixed, d)) return false;
  lower_set_scratch_base(c, work, base + fixed, per_batch);
  bool ok = true;
  bool reported[IR_OP_COUNT] = {0};
  for (int i = 0; i < g->ops.len; i++) {
    if (skip && skip[i]) continue;
    const IrOp *op = g->ops.items[i];
    KernelFn kernel = kernel_for(op->kind);
    if (!kernel) {
      if (!reported[op->kind])
        diag(d, DIAG_ERROR, "%s: no kernel emitter for op '%s' (%%%s)", lower_func(c)->name, ir_op_name(op->kind),
             op->results.items[0]->name);
      reported[op->kind] = true;
      ok = false;
      continue;
    }
    const IrValue *values[2 * IR_MAX_RESULTS + 8];
    int nvalues = op_values(op, values);
    int64_t scratch[2];
    const char *name = outline(c, kc, op, kernel, values, nvalues, scratch, d);
    if (!name) {
      ok = false;
      continue;
    }
    lower_begin_op(c);
    lower_emit(c, lcomment("%%%s = %s", op->results.items[0]->name, ir_op_name(op->kind)));
    LVar *t0 = prof ? profile_start(c) : NULL;
    call_kernel(c, name, values, nvalues, scratch, batch);
    if (prof) profile_end(c, prof, t0, entry, op);
  }
  int64_t scratch, scratch_per_batch;
  lower_scratch_peak(c, &scratch, &scratch_per_batch);
  /* The scratch base is rounded up to 64 bytes: count that rounding too. */
  work_floats[0] = (base + fixed + 15) / 16 * 16 + scratch;
  work_floats[1] = per_batch + scratch_per_batch;
  return ok;
}
