/* Loop IR construction and destruction. Constructors never fail (allocation
 * failure exits); they do not check types: lmodule_verify does, once, with
 * messages that can name the function and the statement. */
#include "loop.h"

#include <stdlib.h>
#include <string.h>

LModule *lmodule_new(const char *name) {
  LModule *m = xcalloc(1, sizeof *m);
  m->name = xstrdup(name);
  return m;
}

static void lexpr_free(LExpr *e) {
  if (!e) return;
  lexpr_free(e->a);
  lexpr_free(e->b);
  lexpr_free(e->c);
  free(e);
}

static void lstmt_free(LStmt *s) {
  if (!s) return;
  for (int i = 0; i < s->body.len; i++) lstmt_free(s->body.items[i]);
  for (int i = 0; i < s->orelse.len; i++) lstmt_free(s->orelse.items[i]);
  for (int i = 0; i < s->args.len; i++) lexpr_free(s->args.items[i]);
  vec_free(&s->body);
  vec_free(&s->orelse);
  vec_free(&s->args);
  lexpr_free(s->ptr);
  lexpr_free(s->index);
  lexpr_free(s->value);
  lexpr_free(s->begin);
  lexpr_free(s->end);
  free(s->callee);
  free(s->text);
  free(s);
}

static void lfunc_free(LFunc *f) {
  for (int i = 0; i < f->vars.len; i++) {
    free(f->vars.items[i]->name);
    free(f->vars.items[i]);
  }
  vec_free(&f->vars);
  vec_free(&f->params);
  lstmt_free(f->body);
  free(f->name);
  free(f);
}

void lmodule_free(LModule *m) {
  if (!m) return;
  for (int i = 0; i < m->funcs.len; i++) lfunc_free(m->funcs.items[i]);
  for (int i = 0; i < m->data.len; i++) {
    free(m->data.items[i]->name);
    free(m->data.items[i]);
  }
  vec_free(&m->funcs);
  vec_free(&m->data);
  free(m->name);
  free(m);
}

LData *lmodule_data(LModule *m, const char *name, const void *bytes, size_t size, size_t align) {
  LData *d = xcalloc(1, sizeof *d);
  d->name = xstrdup(name);
  d->bytes = bytes;
  d->size = size;
  d->align = align ? align : 64;
  vec_push(&m->data, d);
  return d;
}

const LFunc *lmodule_func(const LModule *m, const char *name, int before) {
  for (int i = 0; i < before && i < m->funcs.len; i++)
    if (strcmp(m->funcs.items[i]->name, name) == 0) return m->funcs.items[i];
  return NULL;
}

LFunc *lfunc_new(LModule *m, const char *name, bool exported) {
  LFunc *f = xcalloc(1, sizeof *f);
  f->name = xstrdup(name);
  f->exported = exported;
  f->body = lblock();
  vec_push(&m->funcs, f);
  return f;
}

LVar *lfunc_var(LFunc *f, const char *name, LType type) {
  LVar *v = xcalloc(1, sizeof *v);
  v->id = f->next_var_id++;
  v->name = xstrdup(name);
  v->type = type;
  vec_push(&f->vars, v);
  return v;
}

LVar *lfunc_param(LFunc *f, const char *name, LType type) {
  LVar *v = lfunc_var(f, name, type);
  v->noalias = type == LT_PTR_F32 || type == LT_PTR_I64;
  vec_push(&f->params, v);
  return v;
}

/* ---- expressions --------------------------------------------------------- */

static LExpr *lexpr_new(LExprKind kind, LType type) {
  LExpr *e = xcalloc(1, sizeof *e);
  e->kind = kind;
  e->type = type;
  return e;
}

LExpr *lf32(double v) {
  LExpr *e = lexpr_new(LE_F32, LT_F32);
  e->f = v;
  return e;
}

LExpr *li64(int64_t v) {
  LExpr *e = lexpr_new(LE_I64, LT_I64);
  e->i = v;
  return e;
}

LExpr *lvar(LVar *v) {
  LExpr *e = lexpr_new(LE_VAR, v->type);
  e->var = v;
  return e;
}

static LType element_type(LType ptr) { return ptr == LT_PTR_I64 ? LT_I64 : LT_F32; }

LExpr *lload(LExpr *ptr, LExpr *index) {
  LExpr *e = lexpr_new(LE_LOAD, element_type(ptr->type));
  e->a = ptr;
  e->b = index;
  return e;
}

LExpr *laddr(LExpr *ptr, LExpr *index) {
  LExpr *e = lexpr_new(LE_ADDR, ptr->type);
  e->a = ptr;
  e->b = index;
  return e;
}

static bool is_comparison(LBinOp op) { return op >= LB_LT && op <= LB_OR; }

LExpr *lbin(LBinOp op, LExpr *a, LExpr *b) {
  LExpr *e = lexpr_new(LE_BIN, is_comparison(op) ? LT_BOOL : a->type);
  e->op = (int)op;
  e->a = a;
  e->b = b;
  return e;
}

LExpr *lun(LUnOp op, LExpr *a) {
  LExpr *e = lexpr_new(LE_UN, a->type);
  e->op = (int)op;
  e->a = a;
  return e;
}

LExpr *lselect(LExpr *cond, LExpr *a, LExpr *b) {
  LExpr *e = lexpr_new(LE_SELECT, a->type);
  e->c = cond;
  e->a = a;
  e->b = b;
  return e;
}

LExpr *lcast(LType to, LExpr *a) {
  LExpr *e = lexpr_new(LE_CAST, to);
  e->a = a;
  return e;
}

LExpr *ldata(LData *blob) {
  LExpr *e = lexpr_new(LE_DATA, LT_PTR_F32);
  e->data = blob;
  return e;
}

/* ---- statements ---------------------------------------------------------- */

static LStmt *lstmt_new(LStmtKind kind) {
  LStmt *s = xcalloc(1, sizeof *s);
  s->kind = kind;
  return s;
}

LStmt *lblock(void) { return lstmt_new(LS_BLOCK); }

LStmt *ldecl(LVar *v, LExpr *init) {
  LStmt *s = lstmt_new(LS_DECL);
  s->var = v;
  s->value = init;
  return s;
}

LStmt *lassign(LVar *v, LExpr *value) {
  LStmt *s = lstmt_new(LS_ASSIGN);
  s->var = v;
  s->value = value;
  return s;
}

LStmt *lstore(LExpr *ptr, LExpr *index, LExpr *value) {
  LStmt *s = lstmt_new(LS_STORE);
  s->ptr = ptr;
  s->index = index;
  s->value = value;
  return s;
}

LStmt *lfor(LVar *i, LExpr *begin, LExpr *end, LForKind kind) {
  LStmt *s = lstmt_new(LS_FOR);
  s->var = i;
  s->begin = begin;
  s->end = end;
  s->for_kind = kind;
  return s;
}

LStmt *lif(LExpr *cond) {
  LStmt *s = lstmt_new(LS_IF);
  s->value = cond;
  return s;
}

LStmt *lcall(const char *callee) {
  LStmt *s = lstmt_new(LS_CALL);
  s->callee = xstrdup(callee);
  return s;
}

LStmt *lcall_result(LVar *result, const char *callee) {
  LStmt *s = lcall(callee);
  s->var = result;
  return s;
}

void lcall_arg(LStmt *call, LExpr *arg) { vec_push(&call->args, arg); }

LStmt *lcomment(const char *fmt, ...) {
  LStmt *s = lstmt_new(LS_COMMENT);
  StrBuf sb = {0};
  va_list ap;
  va_start(ap, fmt);
  sb_vprintf(&sb, fmt, ap);
  va_end(ap);
  s->text = sb_take(&sb);
  return s;
}

void lappend(LStmt *block_or_loop, LStmt *s) { vec_push(&block_or_loop->body, s); }

void lappend_else(LStmt *if_stmt, LStmt *s) { vec_push(&if_stmt->orelse, s); }
