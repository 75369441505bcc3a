/* ast.h — the parse tree of a .crate file (internal to the frontend).
 *
 * The syntax is uniform, so the tree is too: every statement is
 *
 *   keyword [operand] [ '(' name = value, ... ')' ] [ '{' statements '}' ]
 *
 * and only sema.c knows which keywords exist and what each one takes. That
 * keeps "unknown statement" and "did you mean" in one place and lets the
 * parser recover without knowing the language's vocabulary.
 *
 * Text is never copied: values point into the SourceFile, which outlives the
 * tree. */
#ifndef CRATEC_FRONTEND_AST_H
#define CRATEC_FRONTEND_AST_H

#include "frontend.h"

typedef enum { VAL_NONE, VAL_INT, VAL_DECIMAL, VAL_WORD, VAL_STRING } ValueKind;

typedef struct Value {
  ValueKind kind;
  const char *text;   /* as written (a string without its quotes) */
  int len;
  int64_t int_value;  /* VAL_INT */
  double num_value;   /* VAL_INT and VAL_DECIMAL */
  SrcLoc loc;         /* a string's location keeps its quotes */
} Value;

typedef struct Arg {
  Value name;         /* VAL_WORD */
  Value value;
} Arg;

typedef struct Stmt Stmt;
/* Spelled out rather than VEC(Stmt) so Stmt can contain a list of itself;
 * the layout is VEC's, so vec_push works on it. */
typedef struct StmtList {
  Stmt *items;
  int len, cap;
  bool lost_lines;    /* a line broken before its keyword was dropped */
} StmtList;

struct Stmt {
  Value keyword;      /* VAL_WORD */
  Value operand;      /* VAL_NONE when absent: `model NAME`, `repeat N`, `epochs N` */
  bool has_args;
  SrcLoc args_loc;    /* the '(' */
  VEC(Arg) args;
  bool has_block;
  SrcLoc block_loc;   /* the '{' */
  StmtList body;
  /* A syntax error inside the statement was reported. It stays in the tree
   * (so it still counts as present and no "missing statement" error
   * follows), but its contents are not checked. */
  bool broken;
};

/* Parses SRC into OUT, reporting syntax errors to D. Returns false if it
 * stopped early because D reached its error limit. */
bool parse_file(const SourceFile *src, Diag *d, StmtList *out);
void stmt_list_free(StmtList *list);

/* Checks the tree and builds the Model; NULL if anything was wrong. */
Model *sema_check(const StmtList *file, const SourceFile *src, Diag *d);

/* True once D has printed as many errors as it will: stop working. */
static inline bool diag_exhausted(const Diag *d) { return d->max_errors && d->errors >= d->max_errors; }

#endif
