/* lex.h — the .crate tokens (internal to the frontend).
 *
 * The lexer runs on demand, one token at a time, so a 4 MiB file never
 * becomes a 4-million-entry token array. It reports its own errors (stray
 * characters, unterminated strings, numbers out of range) and then hands the
 * parser a TOK_ERROR, which the parser skips without a second message. */
#ifndef CRATEC_FRONTEND_LEX_H
#define CRATEC_FRONTEND_LEX_H

#include "frontend.h"

typedef enum {
  TOK_EOF,
  TOK_NEWLINE,   /* also ';': both end a statement */
  TOK_IDENT,     /* includes true/false; the parser decides */
  TOK_INT,
  TOK_DECIMAL,
  TOK_STRING,
  TOK_LPAREN,
  TOK_RPAREN,
  TOK_LBRACE,
  TOK_RBRACE,
  TOK_COMMA,
  TOK_EQUALS,
  TOK_ERROR,     /* already diagnosed by the lexer */
} TokenKind;

typedef struct Token {
  TokenKind kind;
  const char *text;   /* points into the source; len bytes (a string keeps its quotes) */
  int len;
  SrcLoc loc;
  int64_t int_value;  /* TOK_INT */
  double num_value;   /* TOK_INT and TOK_DECIMAL */
} Token;

typedef struct Lexer {
  const SourceFile *src;
  Diag *diag;
  size_t pos;
  int line;
  size_t line_start;
} Lexer;

void lexer_init(Lexer *lx, const SourceFile *src, Diag *d);
Token lexer_next(Lexer *lx);

/* "identifier 'foo'", "number '12'", "'{'", "end of line": for "expected X,
 * found Y" messages. Returns a pointer to BUF. */
const char *token_describe(const Token *t, char *buf, size_t size);

#endif
