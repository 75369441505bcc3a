/* Loop IR as readable C11: one function per kernel, `restrict` pointer
 * parameters, OpenMP pragmas on parallel and vector loops, the IR's
 * comments kept. Output compiles warning-free with
 * `cc -std=c11 -O3 -march=native -fopenmp -Wall -Wextra`. */
#include "c_gen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct CPrinter {
  FILE *out;
  const LFunc *func;
  bool *read;   /* per var id: read somewhere (unread ones get a (void) cast) */
} CPrinter;

/* ---- names ------------------------------------------------------------------ */

static const char *const reserved[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
    "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
    "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
    "volatile", "while", "bool", "true", "false", "expf", "logf", "sqrtf", "fabsf", "fminf", "fmaxf",
    "llabs", "main", "int64_t", "NULL", NULL};

/* Loop-IR names are identifiers (the verifier checks); the few that C
 * reserves, or that would shadow what the file uses, get a '_'. */
static void print_name(FILE *out, const char *name) {
  fputs(name, out);
  for (int i = 0; reserved[i]; i++)
    if (strcmp(name, reserved[i]) == 0) fputc('_', out);
}

static const char *c_type(LType t) {
  switch (t) {
  case LT_F32: return "float";
  case LT_I64: return "int64_t";
  case LT_BOOL: return "bool";
  case LT_PTR_F32: return "float *";
  case LT_PTR_I64: return "int64_t *";
  }
  return "void";
}

/* ---- expressions ------------------------------------------------------------ */

static void print_expr(CPrinter *p, const LExpr *e);

static bool is_atom(const LExpr *e) {
  return e->kind == LE_VAR || e->kind == LE_DATA || e->kind == LE_LOAD || (e->kind == LE_I64 && e->i >= 0) ||
         (e->kind == LE_F32 && !signbit(e->f));
}

static void print_operand(CPrinter *p, const LExpr *e) {
  if (is_atom(e)) return print_expr(p, e);
  fputc('(', p->out);
  print_expr(p, e);
  fputc(')', p->out);
}

static void print_float(FILE *out, double v) {
  if (isnan(v)) {
    fputs("NAN", out);
    return;
  }
  if (isinf(v)) {
    fputs(v < 0 ? "-INFINITY" : "INFINITY", out);
    return;
  }
  char buf[40];
  snprintf(buf, sizeof buf, "%.9g", v);
  fprintf(out, "%s%sf", buf, strpbrk(buf, ".e") ? "" : ".0");
}

/* Whether C would type E as `int` (integer literals and arithmetic on them):
 * such operands are widened before an operation that could overflow int. */
static bool c_int_typed(const LExpr *e) {
  if (e->kind == LE_I64) return e->i >= INT32_MIN && e->i <= INT32_MAX;
  if (e->kind == LE_UN && e->op == LU_NEG) return c_int_typed(e->a);
  return e->kind == LE_BIN && e->type == LT_I64 && c_int_typed(e->a) && c_int_typed(e->b);
}

static void print_i64(FILE *out, int64_t v) {
  if (v >= INT32_MIN && v <= INT32_MAX)
    fprintf(out, "%lld", (long long)v);
  else if (v == INT64_MIN)
    fputs("INT64_MIN", out);
  else
    fprintf(out, "INT64_C(%lld)", (long long)v);
}

static const char *const infix[] = {
    [LB_ADD] = "+",  [LB_SUB] = "-",  [LB_MUL] = "*",  [LB_DIV] = "/",  [LB_REM] = "%",
    [LB_LT] = "<",   [LB_LE] = "<=",  [LB_GT] = ">",   [LB_GE] = ">=",  [LB_EQ] = "==",
    [LB_NE] = "!=",  [LB_AND] = "&&", [LB_OR] = "||",
};

static void print_call2(CPrinter *p, const char *fn, const LExpr *a, const LExpr *b) {
  fprintf(p->out, "%s(", fn);
  print_expr(p, a);
  fputs(", ", p->out);
  print_expr(p, b);
  fputc(')', p->out);
}

static void print_bin(CPrinter *p, const LExpr *e) {
  bool is_float = e->a->type == LT_F32;
  if (e->op == LB_MIN || e->op == LB_MAX) {
    const char *fn = e->op == LB_MIN ? (is_float ? "cratec_minf" : "cratec_min_i64") : (is_float ? "cratec_maxf" : "cratec_max_i64");
    return print_call2(p, fn, e->a, e->b);
  }
  if (e->type == LT_I64 && c_int_typed(e->a) && c_int_typed(e->b)) fputs("(int64_t)", p->out);
  print_operand(p, e->a);
  fprintf(p->out, " %s ", infix[e->op]);
  print_operand(p, e->b);
}

static void print_un(CPrinter *p, const LExpr *e) {
  bool is_float = e->a->type == LT_F32;
  static const char *const fn[] = {[LU_EXP] = "cratec_expf", [LU_LOG] = "logf", [LU_SQRT] = "sqrtf"};
  switch ((LUnOp)e->op) {
  case LU_NEG:
  case LU_NOT:
    fputs(e->op == LU_NEG ? "-" : "!", p->out);
    fputc('(', p->out);
    print_expr(p, e->a);
    fputc(')', p->out);
    return;
  case LU_ABS: fputs(is_float ? "fabsf(" : "llabs(", p->out); break;
  case LU_EXP:
  case LU_LOG:
  case LU_SQRT: fprintf(p->out, "%s(", fn[e->op]); break;
  }
  print_expr(p, e->a);
  fputc(')', p->out);
}

static void print_expr(CPrinter *p, const LExpr *e) {
  switch (e->kind) {
  case LE_F32: print_float(p->out, e->f); break;
  case LE_I64: print_i64(p->out, e->i); break;
  case LE_VAR: print_name(p->out, e->var->name); break;
  case LE_DATA: c_print_data_symbol(p->out, e->data); break;
  case LE_LOAD:
  case LE_ADDR:
    if (e->kind == LE_ADDR) fputc('&', p->out);
    print_operand(p, e->a);
    fputc('[', p->out);
    print_expr(p, e->b);
    fputc(']', p->out);
    break;
  case LE_BIN: print_bin(p, e); break;
  case LE_UN: print_un(p, e); break;
  case LE_SELECT:
    print_operand(p, e->c);
    fputs(" ? ", p->out);
    print_operand(p, e->a);
    fputs(" : ", p->out);
    print_operand(p, e->b);
    break;
  case LE_CAST:
    fprintf(p->out, "(%s)", c_type(e->type));
    print_operand(p, e->a);
    break;
  }
}

/* ---- analyses for pragmas and warnings --------------------------------------- */

static void mark_read(bool *read, const LExpr *e) {
  if (!e) return;
  if (e->kind == LE_VAR) read[e->var->id] = true;
  mark_read(read, e->a);
  mark_read(read, e->b);
  mark_read(read, e->c);
}

static void mark_reads(bool *read, LStmt *const *items, int len) {
  for (int k = 0; k < len; k++) {
    const LStmt *s = items[k];
    const LExpr *exprs[] = {s->ptr, s->index, s->value, s->begin, s->end};
    for (size_t j = 0; j < sizeof exprs / sizeof exprs[0]; j++) mark_read(read, exprs[j]);
    for (int j = 0; j < s->args.len; j++) mark_read(read, s->args.items[j]);
    mark_reads(read, s->body.items, s->body.len);
    mark_reads(read, s->orelse.items, s->orelse.len);
  }
}

static bool mentions(const LExpr *e, const LVar *v) {
  if (!e) return false;
  if (e->kind == LE_VAR) return e->var == v;
  return mentions(e->a, v) || mentions(e->b, v) || mentions(e->c, v);
}

static bool has_load(const LExpr *e) {
  return e && (e->kind == LE_LOAD || has_load(e->a) || has_load(e->b) || has_load(e->c));
}

/* Whether the body may change what E evaluates to (C re-evaluates a loop's
 * condition every iteration; loop IR evaluates bounds once). */
static bool body_changes(LStmt *const *items, int len, const LExpr *e) {
  if (has_load(e)) return true;
  for (int k = 0; k < len; k++) {
    const LStmt *s = items[k];
    if ((s->kind == LS_ASSIGN || s->kind == LS_CALL) && s->var && mentions(e, s->var)) return true;
    if (body_changes(s->body.items, s->body.len, e) || body_changes(s->orelse.items, s->orelse.len, e)) return true;
  }
  return false;
}

static bool declared_in(LStmt *const *items, int len, const LVar *v) {
  for (int k = 0; k < len; k++) {
    const LStmt *s = items[k];
    if (s->kind == LS_DECL && s->var == v) return true;
    if (declared_in(s->body.items, s->body.len, v) || declared_in(s->orelse.items, s->orelse.len, v)) return true;
  }
  return false;
}

typedef VEC(const LVar *) VarList;

static bool listed(const VarList *l, const LVar *v) {
  for (int i = 0; i < l->len; i++)
    if (l->items[i] == v) return true;
  return false;
}

/* One reduction(op:var) clause per local of the enclosing scope that the
 * vector loop updates (the verifier allows only reductions there). */
static void print_reductions(CPrinter *p, const LStmt *loop, LStmt *const *items, int len, VarList *done) {
  static const char *const clause[] = {[LB_ADD] = "+", [LB_MUL] = "*", [LB_MIN] = "min", [LB_MAX] = "max"};
  for (int k = 0; k < len; k++) {
    const LStmt *s = items[k];
    LBinOp op;
    if (lreduction_op(s, &op) && !listed(done, s->var) && !declared_in(loop->body.items, loop->body.len, s->var)) {
      fprintf(p->out, " reduction(%s:", clause[op]);
      print_name(p->out, s->var->name);
      fputc(')', p->out);
      vec_push(done, s->var);
    }
    print_reductions(p, loop, s->body.items, s->body.len, done);
    print_reductions(p, loop, s->orelse.items, s->orelse.len, done);
  }
}

/* ---- statements -------------------------------------------------------------- */

static void print_stmts(CPrinter *p, LStmt *const *items, int len, int depth);

static void indent(CPrinter *p, int depth) { fprintf(p->out, "%*s", 2 * depth, ""); }

static void print_block(CPrinter *p, LStmt *const *items, int len, int depth) {
  fputs("{\n", p->out);
  print_stmts(p, items, len, depth + 1);
  indent(p, depth);
  fputc('}', p->out);
}

static void print_for(CPrinter *p, const LStmt *s, int depth) {
  if (s->for_kind == LF_PARALLEL) {
    fputs("#pragma omp parallel for schedule(static)\n", p->out);
    indent(p, depth);
  } else if (s->for_kind == LF_VECTOR) {
    VarList done = {0};
    fputs("#pragma omp simd", p->out);
    print_reductions(p, s, s->body.items, s->body.len, &done);
    vec_free(&done);
    fputc('\n', p->out);
    indent(p, depth);
  }
  fputs("for (int64_t ", p->out);
  print_name(p->out, s->var->name);
  fputs(" = ", p->out);
  print_expr(p, s->begin);
  bool hoist = body_changes(s->body.items, s->body.len, s->end);
  if (hoist) {
    fputs(", ", p->out);
    print_name(p->out, s->var->name);
    fputs("_end = ", p->out);
    print_expr(p, s->end);
  }
  fputs("; ", p->out);
  print_name(p->out, s->var->name);
  fputs(" < ", p->out);
  if (hoist) {
    print_name(p->out, s->var->name);
    fputs("_end", p->out);
  } else {
    print_expr(p, s->end);
  }
  fputs("; ", p->out);
  print_name(p->out, s->var->name);
  fputs("++) ", p->out);
  print_block(p, s->body.items, s->body.len, depth);
}

static void print_comment(CPrinter *p, const char *text) {
  fputs("/* ", p->out);
  for (const char *c = text; *c; c++) {
    if (c[0] == '*' && c[1] == '/')
      fputs("* ", p->out);   /* keeps the comment open */
    else
      fputc(*c == '\n' ? ' ' : *c, p->out);
  }
  fputs(" */", p->out);
}

/* Arguments in prototype order; error pointers the IR leaves out are NULL,
 * crt_trans values are cast to the enum. */
static void print_call_args(CPrinter *p, const LStmt *s) {
  const LRuntimeFn *rt = lruntime_find(s->callee);
  fprintf(p->out, "%s(", s->callee);
  for (int i = 0; !rt && i < s->args.len; i++) {   /* a function of the module */
    if (i) fputs(", ", p->out);
    print_expr(p, s->args.items[i]);
  }
  for (int i = 0, next = 0; rt && i < rt->nparams; i++) {
    if (i) fputs(", ", p->out);
    if (rt->params[i] == LC_NO_ERROR) {
      fputs("NULL", p->out);
      continue;
    }
    if (rt->params[i] == LC_TRANS) {
      fputs("(crt_trans)", p->out);
      print_operand(p, s->args.items[next++]);
    } else {
      print_expr(p, s->args.items[next++]);
    }
  }
  fputs(");", p->out);
}

static void print_stmt(CPrinter *p, const LStmt *s, int depth) {
  indent(p, depth);
  switch (s->kind) {
  case LS_BLOCK: print_block(p, s->body.items, s->body.len, depth); break;
  case LS_DECL:
    fprintf(p->out, "%s%s", c_type(s->var->type), s->var->type == LT_PTR_F32 || s->var->type == LT_PTR_I64 ? "" : " ");
    print_name(p->out, s->var->name);
    fputs(" = ", p->out);
    print_expr(p, s->value);
    fputc(';', p->out);
    if (!p->read[s->var->id]) {
      fputs(" (void)", p->out);
      print_name(p->out, s->var->name);
      fputc(';', p->out);
    }
    break;
  case LS_ASSIGN:
    print_name(p->out, s->var->name);
    fputs(" = ", p->out);
    print_expr(p, s->value);
    fputc(';', p->out);
    break;
  case LS_STORE:
    print_operand(p, s->ptr);
    fputc('[', p->out);
    print_expr(p, s->index);
    fputs("] = ", p->out);
    print_expr(p, s->value);
    fputc(';', p->out);
    break;
  case LS_FOR: print_for(p, s, depth); break;
  case LS_IF:
    fputs("if (", p->out);
    print_expr(p, s->value);
    fputs(") ", p->out);
    print_block(p, s->body.items, s->body.len, depth);
    if (s->orelse.len) {
      fputs(" else ", p->out);
      print_block(p, s->orelse.items, s->orelse.len, depth);
    }
    break;
  case LS_CALL:
    if (s->var) {
      print_name(p->out, s->var->name);
      fputs(" = ", p->out);
    }
    print_call_args(p, s);
    break;
  case LS_COMMENT: print_comment(p, s->text); break;
  }
  fputc('\n', p->out);
}

static void print_stmts(CPrinter *p, LStmt *const *items, int len, int depth) {
  for (int i = 0; i < len; i++) print_stmt(p, items[i], depth);
}

/* ---- functions and the file ---------------------------------------------------- */

static void print_func(FILE *out, const LFunc *f) {
  CPrinter p = {.out = out, .func = f};
  p.read = xcalloc((size_t)(f->vars.len ? f->vars.len : 1), sizeof *p.read);
  mark_reads(p.read, f->body->body.items, f->body->body.len);

  fprintf(out, "%svoid %s(", f->exported ? "" : "static __attribute__((unused)) ", f->name);
  for (int i = 0; i < f->params.len; i++) {
    const LVar *v = f->params.items[i];
    bool ptr = v->type == LT_PTR_F32 || v->type == LT_PTR_I64;
    fprintf(out, "%s%s%s", i ? ", " : "", c_type(v->type), ptr ? (v->noalias ? "restrict " : "") : " ");
    print_name(out, v->name);
  }
  fprintf(out, "%s) {\n", f->params.len ? "" : "void");
  for (int i = 0; i < f->params.len; i++)
    if (!p.read[f->params.items[i]->id]) {
      fputs("  (void)", out);
      print_name(out, f->params.items[i]->name);
      fputs(";\n", out);
    }
  print_stmts(&p, f->body->body.items, f->body->body.len, 1);
  fputs("}\n", out);
  free(p.read);
}

/* Loop IR's float min/max assume no NaN (the LLVM backend emits maxnum with
 * nnan), and its exp must vectorize: libm's fmaxf and expf are calls that
 * keep every `omp simd` loop scalar. cratec_expf is the LLVM backend's
 * Cephes expf (backends/llvm/exp.c, where the method is explained), so both
 * backends round alike. */
static const char float_helpers[] =
    "static inline float cratec_minf(float a, float b) { return a < b ? a : b; }\n"
    "static inline float cratec_maxf(float a, float b) { return a > b ? a : b; }\n"
    "#pragma omp declare simd notinbranch\n"
    "static inline float cratec_expf(float x) {\n"
    "  float xc = x < -104.0f ? -104.0f : x > 89.0f ? 89.0f : x;\n"
    "  float n = rintf(xc * 1.44269504088896341f);\n"
    "  float r = fmaf(n, -0.693359375f, xc);\n"
    "  r = fmaf(n, 2.12194440e-4f, r);\n"
    "  float q = 1.9875691500E-4f;\n"
    "  q = fmaf(q, r, 1.3981999507E-3f);\n"
    "  q = fmaf(q, r, 8.3334519073E-3f);\n"
    "  q = fmaf(q, r, 4.1665795894E-2f);\n"
    "  q = fmaf(q, r, 1.6666665459E-1f);\n"
    "  q = fmaf(q, r, 5.0000001201E-1f);\n"
    "  float er = fmaf(q, r * r, r) + 1.0f;\n"
    "  int32_t k = (int32_t)n, k1 = k >> 1, k2 = k - k1;\n"
    "  union { int32_t i; float f; } s1 = {(k1 + 127) << 23}, s2 = {(k2 + 127) << 23};\n"
    "  return x != x ? x : er * s1.f * s2.f;\n"
    "}\n";

void c_print_module(FILE *out, const LModule *m, const char *data_file) {
  fprintf(out,
          "/* %s.c — generated by cratec %s (C backend) from loop-IR module '%s'.\n"
          " *\n"
          " * Build:  cc -std=c11 -O3 -march=native $(pkg-config --cflags cratert) -c %s.c\n"
          "%s"
          " * Link:   cc %s.o -lcratert_main $(pkg-config --libs cratert) -o %s\n"
          " *         gives the model's command-line program; without -lcratert_main a\n"
          " *         program of yours calls the entries below through cratert_host.h\n"
          " *         (crt_session_create). `pkg-config cratert-static` links statically.\n"
          " *         The .pc files are in <prefix>/lib/pkgconfig of an installed cratec\n"
          " *         (PKG_CONFIG_PATH). */\n"
          "#include <math.h>\n"
          "#include <stdbool.h>\n"
          "#include <stdint.h>\n"
          "#include <stdlib.h>\n\n"
          "#include \"cratert_abi.h\"\n\n"
          "static inline int64_t cratec_min_i64(int64_t a, int64_t b) { return a < b ? a : b; }\n"
          "static inline int64_t cratec_max_i64(int64_t a, int64_t b) { return a > b ? a : b; }\n"
          "%s\n",
          m->name, CRATEC_VERSION, m->name, m->name,
          m->data.len ? " *         (from this directory, or add -Wa,-I<this directory>: the\n"
                        " *         embedded data is read from the file beside this one)\n"
                      : "",
          m->name, m->name, float_helpers);
  if (m->data.len) c_print_data_asm(out, m, data_file);
  for (int i = 0; i < m->funcs.len; i++) {
    if (i) fputc('\n', out);
    print_func(out, m->funcs.items[i]);
  }
}
