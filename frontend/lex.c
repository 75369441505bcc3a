/* Characters to tokens. Everything outside comments and strings is ASCII;
 * anything else is reported once per run of bad bytes, so a binary file gives
 * a bounded number of messages rather than one per byte. */
#include "lex.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void lexer_init(Lexer *lx, const SourceFile *src, Diag *d) {
  memset(lx, 0, sizeof *lx);
  lx->src = src;
  lx->diag = d;
  lx->line = 1;
}

static int peek_at(const Lexer *lx, size_t ahead) {
  size_t i = lx->pos + ahead;
  return i < lx->src->len ? (unsigned char)lx->src->text[i] : -1;
}

static bool is_ident_start(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_ident_char(int c) { return is_ident_start(c) || is_digit(c); }
static bool is_blank(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }
/* Bytes that can never start a token: controls and everything non-ASCII. */
static bool is_foreign(int c) { return c >= 0x80 || (c >= 0 && c < 0x20 && c != '\n' && !is_blank(c)) || c == 0x7f; }

static Token make_token(const Lexer *lx, TokenKind kind, size_t start) {
  Token t = {0};
  t.kind = kind;
  t.text = lx->src->text + start;
  t.len = (int)(lx->pos - start);
  t.loc = (SrcLoc){lx->src, lx->line, (int)(start - lx->line_start) + 1, t.len > 0 ? t.len : 1};
  return t;
}

__attribute__((format(printf, 3, 4)))
static Token error_token(Lexer *lx, size_t start, const char *fmt, ...) {
  Token t = make_token(lx, TOK_ERROR, start);
  va_list ap;
  va_start(ap, fmt);
  diag_vat(lx->diag, DIAG_ERROR, t.loc, fmt, ap);
  va_end(ap);
  return t;
}

static Token lex_number(Lexer *lx, size_t start) {
  bool decimal = false;
  if (peek_at(lx, 0) == '+' || peek_at(lx, 0) == '-') lx->pos++;
  while (is_digit(peek_at(lx, 0))) lx->pos++;
  if (peek_at(lx, 0) == '.') {
    decimal = true;
    lx->pos++;
    while (is_digit(peek_at(lx, 0))) lx->pos++;
  }
  int e = peek_at(lx, 0);
  if ((e == 'e' || e == 'E') &&
      (is_digit(peek_at(lx, 1)) || ((peek_at(lx, 1) == '+' || peek_at(lx, 1) == '-') && is_digit(peek_at(lx, 2))))) {
    decimal = true;
    lx->pos += 2;
    while (is_digit(peek_at(lx, 0))) lx->pos++;
  }
  /* "16px", "1.2.3": one error for the whole word, not a cascade. */
  if (is_ident_char(peek_at(lx, 0)) || peek_at(lx, 0) == '.') {
    while (is_ident_char(peek_at(lx, 0)) || peek_at(lx, 0) == '.') lx->pos++;
    char *word = xstrndup(lx->src->text + start, lx->pos - start);
    Token t = error_token(lx, start, "invalid number '%s'", word);
    free(word);
    return t;
  }
  Token t = make_token(lx, decimal ? TOK_DECIMAL : TOK_INT, start);
  char *word = xstrndup(t.text, (size_t)t.len);
  errno = 0;
  if (decimal) {
    t.num_value = strtod(word, NULL);
    if (isinf(t.num_value)) t = error_token(lx, start, "number '%s' is out of range", word);
  } else {
    t.int_value = strtoll(word, NULL, 10);
    t.num_value = (double)t.int_value;
    if (errno == ERANGE) t = error_token(lx, start, "integer '%s' is too large", word);
  }
  free(word);
  return t;
}

static Token lex_string(Lexer *lx, size_t start) {
  lx->pos++;
  for (int c; (c = peek_at(lx, 0)) != '"'; lx->pos++) {
    bool line_ends = c == '\n' || c == -1 || (c == '\r' && peek_at(lx, 1) == '\n');
    if (line_ends) return error_token(lx, start, "unterminated string (a string ends on the line it starts)");
  }
  lx->pos++;
  return make_token(lx, TOK_STRING, start);
}

static Token lex_foreign(Lexer *lx, size_t start) {
  int first = peek_at(lx, 0);
  while (is_foreign(peek_at(lx, 0))) lx->pos++;
  return error_token(lx, start, "unexpected byte 0x%02X; outside comments and strings a .crate file is ASCII text",
                     first);
}

static void skip_blanks_and_comments(Lexer *lx) {
  for (;;) {
    int c = peek_at(lx, 0);
    if (is_blank(c)) {
      lx->pos++;
    } else if (c == '#') {
      while (peek_at(lx, 0) != '\n' && peek_at(lx, 0) != -1) lx->pos++;
    } else {
      return;
    }
  }
}

Token lexer_next(Lexer *lx) {
  skip_blanks_and_comments(lx);
  size_t start = lx->pos;
  int c = peek_at(lx, 0);
  if (c == -1) return make_token(lx, TOK_EOF, start);
  if (c == '\n') {
    lx->pos++;
    /* Point "found end of line" at the line's end, before any CR. */
    size_t at = start > lx->line_start && lx->src->text[start - 1] == '\r' ? start - 1 : start;
    Token t = make_token(lx, TOK_NEWLINE, at);
    t.loc.len = 1;
    lx->line++;
    lx->line_start = lx->pos;
    return t;
  }
  if (is_ident_start(c)) {
    while (is_ident_char(peek_at(lx, 0))) lx->pos++;
    return make_token(lx, TOK_IDENT, start);
  }
  bool signed_number = (c == '+' || c == '-') && (is_digit(peek_at(lx, 1)) || (peek_at(lx, 1) == '.' && is_digit(peek_at(lx, 2))));
  if (is_digit(c) || (c == '.' && is_digit(peek_at(lx, 1))) || signed_number) return lex_number(lx, start);
  if (c == '"') return lex_string(lx, start);
  if (is_foreign(c)) return lex_foreign(lx, start);

  static const struct { char c; TokenKind kind; } punct[] = {
      {';', TOK_NEWLINE}, {'(', TOK_LPAREN}, {')', TOK_RPAREN}, {'{', TOK_LBRACE},
      {'}', TOK_RBRACE},  {',', TOK_COMMA},  {'=', TOK_EQUALS},
  };
  lx->pos++;
  for (size_t i = 0; i < sizeof punct / sizeof punct[0]; i++)
    if (punct[i].c == c) return make_token(lx, punct[i].kind, start);
  return error_token(lx, start, "unexpected character '%c'", c);
}

const char *token_describe(const Token *t, char *buf, size_t size) {
  switch (t->kind) {
  case TOK_EOF: snprintf(buf, size, "end of file"); break;
  case TOK_NEWLINE: snprintf(buf, size, "%s", t->text[0] == ';' ? "';'" : "end of line"); break;
  case TOK_IDENT: snprintf(buf, size, "identifier '%.*s'", t->len > 40 ? 40 : t->len, t->text); break;
  case TOK_INT:
  case TOK_DECIMAL: snprintf(buf, size, "number '%.*s'", t->len > 40 ? 40 : t->len, t->text); break;
  case TOK_STRING: snprintf(buf, size, "a string"); break;
  case TOK_ERROR: snprintf(buf, size, "an invalid token"); break;
  default: snprintf(buf, size, "'%.*s'", t->len, t->text); break;
  }
  return buf;
}
