/* ir_lex.h — private to ir/: the tokens of the IR text form (docs/ir.md). */
#ifndef CRATEC_IR_LEX_H
#define CRATEC_IR_LEX_H

#include "support.h"

typedef enum {
  TK_EOF,
  TK_WORD,     /* graph, f32, B, mssa, cls */
  TK_VALUE,    /* %l0.mssa: text is the name without '%' */
  TK_INT,      /* 12, -1 */
  TK_FLOAT,    /* 0.1, 1e-05 */
  TK_STRING,   /* "pos_embedding": text is inside the quotes, still escaped */
  TK_PUNCT,    /* one of { } ( ) [ ] = : , */
  TK_BAD,      /* a character that starts no token */
} TokKind;

typedef struct Token {
  TokKind kind;
  const char *text;
  int len;
  SrcLoc loc;
} Token;

typedef struct IrLexer {
  const SourceFile *src;
  const char *p;
  int line;
  const char *line_start;
} IrLexer;

void ir_lex_init(IrLexer *lx, const SourceFile *src);
Token ir_lex_next(IrLexer *lx);
bool tok_is(const Token *t, TokKind kind, const char *text);
/* The token's text as a new string; for strings, with escapes resolved. */
char *tok_string(const Token *t);

#endif
