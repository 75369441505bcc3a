/* The loop IR's text form: stable (golden tests compare it), readable
 * (`--emit loops`), one statement a line, two-space indentation:
 *
 *   func @layernorm_fwd(%out: f32*, %x: f32*, %rows: i64) {
 *     parallel for %r in 0..%rows {
 *       var %mean: f32 = 0.0
 *       vector for %c in 0..64 {
 *         %mean = %mean + %x[%r * 64 + %c]
 *       }
 *     }
 *   }
 */
#include "loop.h"

#include <math.h>
#include <string.h>

const char *ltype_name(LType t) {
  switch (t) {
  case LT_F32: return "f32";
  case LT_I64: return "i64";
  case LT_BOOL: return "bool";
  case LT_PTR_F32: return "f32*";
  case LT_PTR_I64: return "i64*";
  }
  return "?";
}

static const char *const bin_symbol[] = {
    [LB_ADD] = "+",  [LB_SUB] = "-",  [LB_MUL] = "*",  [LB_DIV] = "/",   [LB_REM] = "%",
    [LB_MIN] = "min", [LB_MAX] = "max", [LB_LT] = "<",  [LB_LE] = "<=",  [LB_GT] = ">",
    [LB_GE] = ">=",  [LB_EQ] = "==", [LB_NE] = "!=", [LB_AND] = "&&", [LB_OR] = "||",
};

static const char *const un_name[] = {
    [LU_NEG] = "-", [LU_EXP] = "exp", [LU_LOG] = "log", [LU_SQRT] = "sqrt", [LU_ABS] = "abs", [LU_NOT] = "!",
};

/* A float constant always shows it is one ("1.0", not "1"), and round-trips. */
static void print_f32(FILE *out, double v) {
  char buf[40];
  snprintf(buf, sizeof buf, "%.9g", v);
  fputs(buf, out);
  if (isfinite(v) && !strpbrk(buf, ".e")) fputs(".0", out);
}

static void print_operand(FILE *out, const LExpr *e) {
  bool infix = e->kind == LE_BIN && e->op != LB_MIN && e->op != LB_MAX;
  if (infix) fputc('(', out);
  lexpr_print(out, e);
  if (infix) fputc(')', out);
}

void lexpr_print(FILE *out, const LExpr *e) {
  switch (e->kind) {
  case LE_F32: print_f32(out, e->f); break;
  case LE_I64: fprintf(out, "%lld", (long long)e->i); break;
  case LE_VAR: fprintf(out, "%%%s", e->var->name); break;
  case LE_DATA: fprintf(out, "@%s", e->data->name); break;
  case LE_LOAD:
    print_operand(out, e->a);
    fputc('[', out);
    lexpr_print(out, e->b);
    fputc(']', out);
    break;
  case LE_ADDR:
    fputc('&', out);
    print_operand(out, e->a);
    fputc('[', out);
    lexpr_print(out, e->b);
    fputc(']', out);
    break;
  case LE_BIN:
    if (e->op == LB_MIN || e->op == LB_MAX) {
      fprintf(out, "%s(", bin_symbol[e->op]);
      lexpr_print(out, e->a);
      fputs(", ", out);
      lexpr_print(out, e->b);
      fputc(')', out);
    } else {
      print_operand(out, e->a);
      fprintf(out, " %s ", bin_symbol[e->op]);
      print_operand(out, e->b);
    }
    break;
  case LE_UN:
    if (e->op == LU_NEG || e->op == LU_NOT) {
      fputs(un_name[e->op], out);
      print_operand(out, e->a);
    } else {
      fprintf(out, "%s(", un_name[e->op]);
      lexpr_print(out, e->a);
      fputc(')', out);
    }
    break;
  case LE_SELECT:
    fputs("select(", out);
    lexpr_print(out, e->c);
    fputs(", ", out);
    lexpr_print(out, e->a);
    fputs(", ", out);
    lexpr_print(out, e->b);
    fputc(')', out);
    break;
  case LE_CAST:
    fprintf(out, "%s(", ltype_name(e->type));
    lexpr_print(out, e->a);
    fputc(')', out);
    break;
  }
}

static const char *const for_prefix[] = {[LF_SERIAL] = "", [LF_PARALLEL] = "parallel ", [LF_VECTOR] = "vector "};

static void print_stmt(FILE *out, const LStmt *s, int depth);

static void print_body(FILE *out, const LStmt *const *items, int len, int depth) {
  fputs("{\n", out);
  for (int i = 0; i < len; i++) print_stmt(out, items[i], depth + 1);
  fprintf(out, "%*s}", 2 * depth, "");
}

static void print_stmt(FILE *out, const LStmt *s, int depth) {
  fprintf(out, "%*s", 2 * depth, "");
  switch (s->kind) {
  case LS_BLOCK: print_body(out, (const LStmt *const *)s->body.items, s->body.len, depth); break;
  case LS_DECL:
    fprintf(out, "var %%%s: %s = ", s->var->name, ltype_name(s->var->type));
    lexpr_print(out, s->value);
    break;
  case LS_ASSIGN:
    fprintf(out, "%%%s = ", s->var->name);
    lexpr_print(out, s->value);
    break;
  case LS_STORE:
    print_operand(out, s->ptr);
    fputc('[', out);
    lexpr_print(out, s->index);
    fputs("] = ", out);
    lexpr_print(out, s->value);
    break;
  case LS_FOR:
    fprintf(out, "%sfor %%%s in ", for_prefix[s->for_kind], s->var->name);
    lexpr_print(out, s->begin);
    fputs("..", out);
    lexpr_print(out, s->end);
    fputc(' ', out);
    print_body(out, (const LStmt *const *)s->body.items, s->body.len, depth);
    break;
  case LS_IF:
    fputs("if ", out);
    lexpr_print(out, s->value);
    fputc(' ', out);
    print_body(out, (const LStmt *const *)s->body.items, s->body.len, depth);
    if (s->orelse.len) {
      fputs(" else ", out);
      print_body(out, (const LStmt *const *)s->orelse.items, s->orelse.len, depth);
    }
    break;
  case LS_CALL:
    if (s->var) fprintf(out, "%%%s = ", s->var->name);
    fprintf(out, "call %s(", s->callee);
    for (int i = 0; i < s->args.len; i++) {
      if (i) fputs(", ", out);
      lexpr_print(out, s->args.items[i]);
    }
    fputc(')', out);
    break;
  case LS_COMMENT: fprintf(out, "// %s", s->text); break;
  }
  fputc('\n', out);
}

static void print_func(FILE *out, const LFunc *f) {
  fprintf(out, "func @%s(", f->name);
  for (int i = 0; i < f->params.len; i++) {
    const LVar *p = f->params.items[i];
    fprintf(out, "%s%%%s: %s%s", i ? ", " : "", p->name, ltype_name(p->type), p->noalias ? " noalias" : "");
  }
  fprintf(out, ")%s ", f->exported ? " export" : "");
  print_body(out, (const LStmt *const *)f->body->body.items, f->body->body.len, 0);
  fputc('\n', out);
}

void lmodule_print(FILE *out, const LModule *m) {
  fprintf(out, "module %s\n", m->name);
  for (int i = 0; i < m->data.len; i++)
    fprintf(out, "data @%s: %zu bytes, align %zu%s\n", m->data.items[i]->name, m->data.items[i]->size,
            m->data.items[i]->align, m->data.items[i]->exported ? " export" : "");
  for (int i = 0; i < m->funcs.len; i++) {
    fputc('\n', out);
    print_func(out, m->funcs.items[i]);
  }
}
