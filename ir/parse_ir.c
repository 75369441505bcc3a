/* Reads the text form back (docs/ir.md has the grammar): what pass tests
 * feed in. Every error is reported with its location and the parser goes on
 * at the next line, so a hand-edited file shows all its mistakes at once.
 * Only syntax and names are checked here; the verifier checks the rest. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cratert_hint.h"
#include "ir.h"
#include "ir_lex.h"

typedef struct Parser {
  IrLexer lx;
  Token tok;
  Diag *d;
  Graph *g;
  int errors;
} Parser;

static void advance(Parser *p) { p->tok = ir_lex_next(&p->lx); }

__attribute__((format(printf, 3, 4)))
static bool error_at(Parser *p, const Token *t, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  diag_vat(p->d, DIAG_ERROR, t->loc, fmt, ap);
  va_end(ap);
  p->errors++;
  return false;
}

static bool expected(Parser *p, const char *what) {
  if (p->tok.kind == TK_EOF) return error_at(p, &p->tok, "expected %s, found the end of the file", what);
  return error_at(p, &p->tok, "expected %s, found '%.*s'", what, p->tok.len, p->tok.text);
}

static bool accept(Parser *p, TokKind kind, const char *text) {
  if (!tok_is(&p->tok, kind, text)) return false;
  advance(p);
  return true;
}

static bool expect_punct(Parser *p, const char *punct) {
  if (accept(p, TK_PUNCT, punct)) return true;
  char what[8];
  snprintf(what, sizeof what, "'%s'", punct);
  return expected(p, what);
}

/* Skips to the first token on a later line than the one that failed. */
static void recover(Parser *p, int line) {
  while (p->tok.kind != TK_EOF && p->tok.loc.line <= line && !tok_is(&p->tok, TK_PUNCT, "}")) advance(p);
}

static bool parse_int(Parser *p, int64_t *out) {
  if (p->tok.kind != TK_INT) return expected(p, "an integer");
  char *text = tok_string(&p->tok), *end;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  free(text);
  if (errno) return error_at(p, &p->tok, "integer '%.*s' is out of range", p->tok.len, p->tok.text);
  *out = v;
  advance(p);
  return true;
}

/* f32[B,17,64] */
static bool parse_type(Parser *p, IrType *t) {
  Token start = p->tok;
  if (accept(p, TK_WORD, "f32"))
    t->dtype = IR_F32;
  else if (accept(p, TK_WORD, "i64"))
    t->dtype = IR_I64;
  else
    return expected(p, "a type (f32[...] or i64[...])");
  if (!expect_punct(p, "[")) return false;
  t->rank = 0;
  do {
    if (t->rank == IR_MAX_RANK) return error_at(p, &start, "a type has at most %d dimensions", IR_MAX_RANK);
    int64_t *dim = &t->dims[t->rank++];
    if (accept(p, TK_WORD, "B")) {
      *dim = IR_BATCH;
      continue;
    }
    Token at = p->tok;
    if (!parse_int(p, dim)) return false;
    if (*dim < 1 || *dim > IR_MAX_DIM)
      return error_at(p, &at, "dimension %lld is out of range (1 to %lld, or B)", (long long)*dim,
                      (long long)IR_MAX_DIM);
  } while (accept(p, TK_PUNCT, ","));
  return expect_punct(p, "]");
}

/* A %name that must not be taken yet. */
static bool parse_new_name(Parser *p, char **name) {
  if (p->tok.kind != TK_VALUE) return expected(p, "a %value name");
  *name = tok_string(&p->tok);
  if (ir_find_value(p->g, *name)) {
    error_at(p, &p->tok, "value %%%s is defined twice", *name);
    free(*name);
    *name = NULL;
    return false;
  }
  advance(p);
  return true;
}

static bool parse_use(Parser *p, IrValue **v) {
  if (p->tok.kind != TK_VALUE) return expected(p, "a %value");
  char *name = tok_string(&p->tok);
  *v = ir_find_value(p->g, name);
  free(name);
  if (!*v) return error_at(p, &p->tok, "use of undefined value %%%.*s", p->tok.len, p->tok.text);
  advance(p);
  return true;
}

/* input %x : TYPE  |  param %x : TYPE = "key" */
static bool parse_decl(Parser *p, bool is_param) {
  char *name = NULL, *key = NULL;
  IrType t;
  bool ok = parse_new_name(p, &name) && expect_punct(p, ":") && parse_type(p, &t);
  if (ok && is_param) {
    ok = expect_punct(p, "=") && (p->tok.kind == TK_STRING || expected(p, "the parameter's key string"));
    if (ok) {
      key = tok_string(&p->tok);
      advance(p);
    }
  }
  if (ok && is_param) ir_add_param(p->g, name, key, t);
  if (ok && !is_param) ir_add_input(p->g, name, t);
  free(name);
  free(key);
  return ok;
}

/* output "name" = %x */
static bool parse_output(Parser *p) {
  if (p->tok.kind != TK_STRING) return expected(p, "the output's name string");
  char *name = tok_string(&p->tok);
  advance(p);
  IrValue *v;
  bool ok = expect_punct(p, "=") && parse_use(p, &v);
  if (ok) ir_add_output(p->g, name, v);
  free(name);
  return ok;
}

/* [1, 2, 3] */
static bool parse_ints(Parser *p, IrOp *op, const char *name) {
  VEC(int64_t) v = {0};
  bool ok = true;
  if (!accept(p, TK_PUNCT, "]")) {
    do {
      int64_t x;
      ok = parse_int(p, &x);
      if (ok) vec_push(&v, x);
    } while (ok && accept(p, TK_PUNCT, ","));
    ok = ok && expect_punct(p, "]");
  }
  if (ok) ir_set_ints(op, name, v.items, v.len);
  vec_free(&v);
  return ok;
}

/* name = 12 | 0.5 | word | "text" | [ints]. An integer written for a float
 * attribute is read as the float it denotes. */
static bool parse_attr(Parser *p, IrOp *op) {
  if (p->tok.kind != TK_WORD) return expected(p, "an attribute name");
  char *name = tok_string(&p->tok);
  Token at = p->tok;
  advance(p);
  bool ok = expect_punct(p, "=");
  if (ok && ir_attr_find(op, name)) ok = error_at(p, &at, "attribute '%s' is given twice", name);
  IrAttrType schema_type;
  bool optional;
  bool wants_float = ir_op_attr_schema(op->kind, name, &schema_type, &optional) && schema_type == IR_ATTR_FLOAT;
  if (!ok) {
  } else if (p->tok.kind == TK_FLOAT || (p->tok.kind == TK_INT && wants_float)) {
    char *text = tok_string(&p->tok);
    ir_set_float(op, name, strtod(text, NULL));
    free(text);
    advance(p);
  } else if (p->tok.kind == TK_INT) {
    int64_t v;
    ok = parse_int(p, &v);
    if (ok) ir_set_int(op, name, v);
  } else if (p->tok.kind == TK_WORD || p->tok.kind == TK_STRING) {
    char *text = tok_string(&p->tok);
    ir_set_str(op, name, text);
    free(text);
    advance(p);
  } else if (accept(p, TK_PUNCT, "[")) {
    ok = parse_ints(p, op, name);
  } else {
    ok = expected(p, "an attribute value");
  }
  free(name);
  return ok;
}

static bool parse_op_body(Parser *p, IrOp *op) {
  if (!expect_punct(p, "(")) return false;
  if (!accept(p, TK_PUNCT, ")")) {
    do {
      IrValue *v;
      if (!parse_use(p, &v)) return false;
      vec_push(&op->operands, v);
    } while (accept(p, TK_PUNCT, ","));
    if (!expect_punct(p, ")")) return false;
  }
  if (accept(p, TK_PUNCT, "{") && !accept(p, TK_PUNCT, "}")) {
    do {
      if (!parse_attr(p, op)) return false;
    } while (accept(p, TK_PUNCT, ","));
    if (!expect_punct(p, "}")) return false;
  }
  return expect_punct(p, ":");
}

/* %a, %b = kind(%x, %y) {attrs} : TYPE, TYPE */
static bool parse_op(Parser *p) {
  VEC(char *) names = {0};
  VEC(IrType) types = {0};
  IrOp *op = NULL;
  bool ok = true;
  do {
    char *name;
    ok = parse_new_name(p, &name);
    if (ok) vec_push(&names, name);
  } while (ok && accept(p, TK_PUNCT, ","));
  ok = ok && expect_punct(p, "=");
  if (ok && p->tok.kind != TK_WORD) ok = expected(p, "an op name");
  if (ok) {
    char *kind_name = tok_string(&p->tok);
    int kind = ir_op_lookup(kind_name);
    if (kind < 0) {
      const char *candidates[IR_OP_COUNT + 1];
      for (int k = 0; k < IR_OP_COUNT; k++) candidates[k] = ir_op_name((IrOpKind)k);
      candidates[IR_OP_COUNT] = NULL;
      char hint[CRT_HINT_SIZE];
      ok = error_at(p, &p->tok, "unknown op '%s'%s", kind_name, crt_did_you_mean(&hint, kind_name, candidates));
    }
    free(kind_name);
    if (ok) {
      op = ir_op_new((IrOpKind)kind, NULL, 0);
      advance(p);
      ok = parse_op_body(p, op);
    }
  }
  Token types_at = p->tok;
  while (ok) {
    IrType t;
    ok = parse_type(p, &t);
    if (ok) vec_push(&types, t);
    if (!accept(p, TK_PUNCT, ",")) break;
  }
  if (ok && types.len != names.len)
    ok = error_at(p, &types_at, "%d result types for %d results", types.len, names.len);
  if (ok) {
    for (int i = 0; i < names.len; i++) ir_op_add_result(p->g, op, names.items[i], types.items[i]);
    ir_insert(p->g, op);
  } else if (op) {
    ir_op_free(op);
  }
  for (int i = 0; i < names.len; i++) free(names.items[i]);
  vec_free(&names);
  vec_free(&types);
  return ok;
}

static void parse_statement(Parser *p) {
  int line = p->tok.loc.line;
  bool ok;
  if (accept(p, TK_WORD, "input"))
    ok = parse_decl(p, false);
  else if (accept(p, TK_WORD, "param"))
    ok = parse_decl(p, true);
  else if (accept(p, TK_WORD, "output"))
    ok = parse_output(p);
  else if (p->tok.kind == TK_VALUE)
    ok = parse_op(p);
  else
    ok = expected(p, "input, param, output or an op");
  if (!ok) recover(p, line);
}

Graph *ir_parse(const SourceFile *src, Diag *d) {
  Parser p = {.d = d};
  ir_lex_init(&p.lx, src);
  advance(&p);
  if (!accept(&p, TK_WORD, "graph")) {
    expected(&p, "'graph'");
    return NULL;
  }
  if (p.tok.kind != TK_WORD) {
    expected(&p, "the graph's name");
    return NULL;
  }
  char *name = tok_string(&p.tok);
  p.g = ir_graph_new(name);
  free(name);
  advance(&p);
  if (expect_punct(&p, "{")) {
    while (p.tok.kind != TK_EOF && !tok_is(&p.tok, TK_PUNCT, "}")) parse_statement(&p);
    if (expect_punct(&p, "}") && p.tok.kind != TK_EOF) expected(&p, "the end of the file after the graph");
  }
  if (p.errors) {
    ir_graph_free(p.g);
    return NULL;
  }
  return p.g;
}
