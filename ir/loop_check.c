/* The loop IR verifier. Backends trust what it accepts, so it checks every
 * property they rely on: scoping, types, runtime prototypes, and the
 * independence rules of parallel and vector loops (which decide whether an
 * outlined body may run on several threads, or a C `omp simd` clause is
 * right). Every problem is reported, each naming the function and the
 * offending expression in the dump's syntax. */
#include "loop.h"

#include <stdlib.h>
#include <string.h>

typedef struct Checker {
  const LModule *module;
  int func_index;      /* of func in module: it may call the functions before it */
  const LFunc *func;
  Diag *diag;
  int *decl_level;     /* per var id: loop depth where declared, -1 when not in scope */
  LVar **scope;        /* declared variables, innermost last, for leaving blocks */
  int scope_len;
  int loop_level;
  int parallel_level;  /* loop level of the enclosing parallel loop's body, 0 if none */
  int vector_level;    /* likewise for a vector loop */
  bool ok;
} Checker;

static char *expr_text(const LExpr *e) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) return xstrdup("?");
  lexpr_print(f, e);
  fclose(f);
  return text;
}

static void fail(Checker *c, const LExpr *where, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(Checker *c, const LExpr *where, const char *fmt, ...) {
  StrBuf sb = {0};
  va_list ap;
  va_start(ap, fmt);
  sb_vprintf(&sb, fmt, ap);
  va_end(ap);
  if (where) {
    char *text = expr_text(where);
    diag(c->diag, DIAG_ERROR, "loop IR: function '%s': `%s`: %s", c->func->name, text, sb.data);
    free(text);
  } else {
    diag(c->diag, DIAG_ERROR, "loop IR: function '%s': %s", c->func->name, sb.data);
  }
  sb_free(&sb);
  c->ok = false;
}

static bool owned_by_func(const Checker *c, const LVar *v) {
  return v && v->id >= 0 && v->id < c->func->vars.len && c->func->vars.items[v->id] == v;
}

static bool in_scope(const Checker *c, const LVar *v) { return owned_by_func(c, v) && c->decl_level[v->id] >= 0; }

static void declare(Checker *c, LVar *v) {
  c->decl_level[v->id] = c->loop_level;
  c->scope[c->scope_len++] = v;
}

static void leave_scope(Checker *c, int mark) {
  while (c->scope_len > mark) c->decl_level[c->scope[--c->scope_len]->id] = -1;
}

static bool is_pointer(LType t) { return t == LT_PTR_F32 || t == LT_PTR_I64; }
static bool is_number(LType t) { return t == LT_F32 || t == LT_I64; }

/* Returns the type E should have (reporting mismatches); LT_BOOL stands in
 * after an error so one mistake is reported once. */
static LType check_expr(Checker *c, const LExpr *e);

static LType check_bin(Checker *c, const LExpr *e) {
  LType a = check_expr(c, e->a), b = check_expr(c, e->b);
  LBinOp op = (LBinOp)e->op;
  if (op < LB_ADD || op > LB_OR) {
    fail(c, NULL, "binary operator %d out of range", e->op);
    return LT_BOOL;
  }
  if (op == LB_AND || op == LB_OR) {
    if (a != LT_BOOL || b != LT_BOOL) fail(c, e, "'&&' and '||' take bool operands");
    return LT_BOOL;
  }
  if (a != b || !is_number(a)) {
    fail(c, e, "operands must be both f32 or both i64, not %s and %s", ltype_name(a), ltype_name(b));
    return op >= LB_LT ? LT_BOOL : a;
  }
  if (op == LB_REM && a != LT_I64) fail(c, e, "'%%' takes i64 operands");
  return op >= LB_LT ? LT_BOOL : a;
}

static LType check_un(Checker *c, const LExpr *e) {
  LType a = check_expr(c, e->a);
  switch ((LUnOp)e->op) {
  case LU_NEG:
  case LU_ABS:
    if (!is_number(a)) fail(c, e, "operand must be f32 or i64, not %s", ltype_name(a));
    return a;
  case LU_EXP:
  case LU_LOG:
  case LU_SQRT:
    if (a != LT_F32) fail(c, e, "operand must be f32, not %s", ltype_name(a));
    return LT_F32;
  case LU_NOT:
    if (a != LT_BOOL) fail(c, e, "operand must be bool, not %s", ltype_name(a));
    return LT_BOOL;
  }
  fail(c, NULL, "unary operator %d out of range", e->op);
  return LT_BOOL;
}

static LType check_expr_kind(Checker *c, const LExpr *e) {
  switch (e->kind) {
  case LE_F32: return LT_F32;
  case LE_I64: return LT_I64;
  case LE_DATA: return LT_PTR_F32;
  case LE_VAR:
    if (!in_scope(c, e->var)) fail(c, e, "variable %%%s is not in scope here", e->var->name);
    return e->var->type;
  case LE_LOAD:
  case LE_ADDR: {
    LType p = check_expr(c, e->a), i = check_expr(c, e->b);
    if (!is_pointer(p)) fail(c, e, "indexing needs a pointer, not %s", ltype_name(p));
    if (i != LT_I64) fail(c, e, "index must be i64, not %s", ltype_name(i));
    if (e->kind == LE_ADDR) return p;
    return p == LT_PTR_I64 ? LT_I64 : LT_F32;
  }
  case LE_BIN: return check_bin(c, e);
  case LE_UN: return check_un(c, e);
  case LE_SELECT: {
    LType cond = check_expr(c, e->c), a = check_expr(c, e->a), b = check_expr(c, e->b);
    if (cond != LT_BOOL) fail(c, e, "select condition must be bool, not %s", ltype_name(cond));
    if (a != b) fail(c, e, "select arms differ: %s and %s", ltype_name(a), ltype_name(b));
    return a;
  }
  case LE_CAST: {
    LType from = check_expr(c, e->a);
    if (!is_number(e->type) || is_pointer(from))
      fail(c, e, "casts convert between f32, i64 and bool only (to f32 or i64)");
    return e->type;
  }
  }
  fail(c, NULL, "expression kind %d out of range", (int)e->kind);
  return LT_BOOL;
}

static LType check_expr(Checker *c, const LExpr *e) {
  if (!e) {
    fail(c, NULL, "missing operand");
    return LT_BOOL;
  }
  LType t = check_expr_kind(c, e);
  if (t != e->type) fail(c, e, "node says %s but computes %s", ltype_name(e->type), ltype_name(t));
  return t;
}

static void expect_type(Checker *c, const LExpr *e, LType want, const char *what) {
  LType t = check_expr(c, e);
  if (t != want) fail(c, e, "%s must be %s, not %s", what, ltype_name(want), ltype_name(t));
}

static const LExpr *pointer_base(const LExpr *p) {
  while (p && p->kind == LE_ADDR) p = p->a;
  return p;
}

static bool mentions_var(const LExpr *e, const LVar *v) {
  if (!e) return false;
  if (e->kind == LE_VAR) return e->var == v;
  return mentions_var(e->a, v) || mentions_var(e->b, v) || mentions_var(e->c, v);
}

bool lreduction_op(const LStmt *s, LBinOp *op) {
  const LExpr *e = s->value;
  if (s->kind != LS_ASSIGN || !e || e->kind != LE_BIN) return false;
  LBinOp o = (LBinOp)e->op;
  if (o != LB_ADD && o != LB_MUL && o != LB_MIN && o != LB_MAX) return false;
  const LExpr *other;
  if (e->a->kind == LE_VAR && e->a->var == s->var)
    other = e->b;
  else if (e->b->kind == LE_VAR && e->b->var == s->var)
    other = e->a;
  else
    return false;
  if (mentions_var(other, s->var)) return false;
  *op = o;
  return true;
}

/* The independence rules for writing variable V from statement S. */
static void check_write(Checker *c, const LStmt *s, const LVar *v) {
  int level = c->decl_level[v->id];
  if (c->parallel_level && level < c->parallel_level)
    fail(c, NULL, "%%%s, declared outside a parallel loop, is assigned inside it (iterations must be independent)",
         v->name);
  LBinOp op;
  if (c->vector_level && level < c->vector_level && !lreduction_op(s, &op))
    fail(c, s->value, "%%%s, declared outside a vector loop, may only be updated there as a reduction (v = v + e, v * e, min, max)",
         v->name);
}

static void check_block(Checker *c, const LStmt *const *items, int len);

static void check_for(Checker *c, const LStmt *s) {
  expect_type(c, s->begin, LT_I64, "loop bound");
  expect_type(c, s->end, LT_I64, "loop bound");
  if (!owned_by_func(c, s->var) || s->var->type != LT_I64) {
    fail(c, NULL, "loop index must be an i64 variable of the function");
    return;
  }
  if (in_scope(c, s->var)) fail(c, NULL, "loop index %%%s is already in scope", s->var->name);
  if (c->vector_level) fail(c, NULL, "loop over %%%s inside a vector loop (vector loops are innermost)", s->var->name);
  if (s->for_kind == LF_PARALLEL && c->parallel_level)
    fail(c, NULL, "parallel loop over %%%s nested in another parallel loop", s->var->name);
  int saved_parallel = c->parallel_level, saved_vector = c->vector_level, mark = c->scope_len;
  c->loop_level++;
  declare(c, s->var);
  if (s->for_kind == LF_PARALLEL) c->parallel_level = c->loop_level;
  if (s->for_kind == LF_VECTOR) c->vector_level = c->loop_level;
  check_block(c, (const LStmt *const *)s->body.items, s->body.len);
  leave_scope(c, mark);
  c->loop_level--;
  c->parallel_level = saved_parallel;
  c->vector_level = saved_vector;
}

/* A call of an earlier function of the module: arguments of its parameters'
 * types, no result. */
static void check_module_call(Checker *c, const LStmt *s, const LFunc *callee) {
  if (c->vector_level) fail(c, NULL, "call to '%s' inside a vector loop", s->callee);
  if (s->var) fail(c, NULL, "'%s' returns nothing", s->callee);
  if (s->args.len != callee->params.len)
    fail(c, NULL, "'%s' takes %d arguments, not %d", s->callee, callee->params.len, s->args.len);
  for (int i = 0; i < s->args.len && i < callee->params.len; i++) {
    LType t = check_expr(c, s->args.items[i]);
    if (t != callee->params.items[i]->type)
      fail(c, s->args.items[i], "argument %d of '%s' is %s, not %s", i + 1, s->callee, ltype_name(t),
           ltype_name(callee->params.items[i]->type));
  }
}

static void check_call(Checker *c, const LStmt *s) {
  const LRuntimeFn *fn = lruntime_find(s->callee);
  const LFunc *callee = fn ? NULL : lmodule_func(c->module, s->callee, c->func_index);
  if (callee) {
    check_module_call(c, s, callee);
    return;
  }
  if (!fn) {
    fail(c, NULL, "call to '%s', neither a runtime function nor an earlier function of the module", s->callee);
    return;
  }
  if (c->vector_level) fail(c, NULL, "call to '%s' inside a vector loop", s->callee);
  if (s->args.len != lruntime_arity(fn))
    fail(c, NULL, "'%s' takes %d arguments, not %d", s->callee, lruntime_arity(fn), s->args.len);
  for (int i = 0, p = 0; i < s->args.len && p < fn->nparams; i++, p++) {
    if (fn->params[p] == LC_NO_ERROR) p++;
    LType t = check_expr(c, s->args.items[i]);
    if (p < fn->nparams && !lctype_accepts(fn->params[p], t))
      fail(c, s->args.items[i], "argument %d of '%s' is %s, which does not convert to '%s'", i + 1, s->callee,
           ltype_name(t), lctype_c_name(fn->params[p]));
  }
  if (!s->var) return;
  if (!in_scope(c, s->var)) {
    fail(c, NULL, "result of '%s' goes to %%%s, which is not in scope", s->callee, s->var->name);
    return;
  }
  if (fn->ret == LC_VOID || !lctype_accepts(fn->ret, s->var->type))
    fail(c, NULL, "'%s' returns '%s', which does not fit %%%s: %s", s->callee, lctype_c_name(fn->ret), s->var->name,
         ltype_name(s->var->type));
  check_write(c, s, s->var);
}

static void check_stmt(Checker *c, const LStmt *s) {
  switch (s->kind) {
  case LS_BLOCK: {
    int mark = c->scope_len;
    check_block(c, (const LStmt *const *)s->body.items, s->body.len);
    leave_scope(c, mark);
    break;
  }
  case LS_DECL:
    if (!owned_by_func(c, s->var)) {
      fail(c, NULL, "declaration of a variable that belongs to another function");
      break;
    }
    if (in_scope(c, s->var)) fail(c, NULL, "%%%s is declared twice", s->var->name);
    expect_type(c, s->value, s->var->type, "initial value");
    if (!in_scope(c, s->var)) declare(c, s->var);
    break;
  case LS_ASSIGN:
    if (!in_scope(c, s->var)) {
      fail(c, NULL, "assignment to %%%s, which is not in scope", s->var ? s->var->name : "?");
      break;
    }
    expect_type(c, s->value, s->var->type, "assigned value");
    check_write(c, s, s->var);
    break;
  case LS_STORE: {
    LType p = check_expr(c, s->ptr);
    expect_type(c, s->index, LT_I64, "store index");
    if (!is_pointer(p)) {
      fail(c, s->ptr, "stores need a pointer, not %s", ltype_name(p));
      break;
    }
    if (pointer_base(s->ptr)->kind == LE_DATA) fail(c, s->ptr, "store into read-only embedded data");
    expect_type(c, s->value, p == LT_PTR_I64 ? LT_I64 : LT_F32, "stored value");
    break;
  }
  case LS_FOR: check_for(c, s); break;
  case LS_IF: {
    expect_type(c, s->value, LT_BOOL, "if condition");
    int mark = c->scope_len;
    check_block(c, (const LStmt *const *)s->body.items, s->body.len);
    leave_scope(c, mark);
    check_block(c, (const LStmt *const *)s->orelse.items, s->orelse.len);
    leave_scope(c, mark);
    break;
  }
  case LS_CALL: check_call(c, s); break;
  case LS_COMMENT: break;
  }
}

static void check_block(Checker *c, const LStmt *const *items, int len) {
  for (int i = 0; i < len; i++) check_stmt(c, items[i]);
}

static int compare_names(const void *a, const void *b) {
  return strcmp((*(LVar *const *)a)->name, (*(LVar *const *)b)->name);
}

/* Unique names keep the dump unambiguous and let backends use them as is. */
static void check_unique_names(Checker *c) {
  int n = c->func->vars.len;
  if (n < 2) return;
  LVar **sorted = xmalloc((size_t)n * sizeof *sorted);
  memcpy(sorted, c->func->vars.items, (size_t)n * sizeof *sorted);
  qsort(sorted, (size_t)n, sizeof *sorted, compare_names);
  for (int i = 1; i < n; i++)
    if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0)
      fail(c, NULL, "two variables are named %%%s", sorted[i]->name);
  free(sorted);
}

static bool is_identifier(const char *s) {
  if (!s || !*s || (*s >= '0' && *s <= '9')) return false;
  for (; *s; s++)
    if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
      return false;
  return true;
}

static bool check_func(const LModule *m, int index, Diag *d) {
  const LFunc *f = m->funcs.items[index];
  int n = f->vars.len;
  Checker c = {.module = m, .func_index = index, .func = f, .diag = d, .ok = true};
  c.decl_level = xmalloc((size_t)(n ? n : 1) * sizeof *c.decl_level);
  c.scope = xmalloc((size_t)(n ? n : 1) * sizeof *c.scope);
  for (int i = 0; i < n; i++) c.decl_level[i] = -1;
  if (!is_identifier(f->name)) fail(&c, NULL, "function name is not a C identifier");
  for (int i = 0; i < n; i++)
    if (!is_identifier(f->vars.items[i]->name)) fail(&c, NULL, "variable name '%s' is not an identifier", f->vars.items[i]->name);
  check_unique_names(&c);
  for (int i = 0; i < f->params.len; i++) {
    LVar *p = f->params.items[i];
    if (p->type == LT_BOOL) fail(&c, NULL, "parameter %%%s: parameters are pointers, i64 or f32", p->name);
    if (owned_by_func(&c, p)) declare(&c, p);
  }
  if (!f->body || f->body->kind != LS_BLOCK)
    fail(&c, NULL, "the body must be a block");
  else
    check_block(&c, (const LStmt *const *)f->body->body.items, f->body->body.len);
  free(c.decl_level);
  free(c.scope);
  return c.ok;
}

bool lmodule_verify(const LModule *m, Diag *d) {
  bool ok = true;
  for (int i = 0; i < m->funcs.len; i++) {
    ok &= check_func(m, i, d);
    for (int j = 0; j < i; j++)
      if (strcmp(m->funcs.items[i]->name, m->funcs.items[j]->name) == 0) {
        diag(d, DIAG_ERROR, "loop IR: two functions are named '%s'", m->funcs.items[i]->name);
        ok = false;
      }
  }
  for (int i = 0; i < m->data.len; i++)
    if (!is_identifier(m->data.items[i]->name)) {
      diag(d, DIAG_ERROR, "loop IR: data blob name '%s' is not an identifier", m->data.items[i]->name);
      ok = false;
    }
  return ok;
}
