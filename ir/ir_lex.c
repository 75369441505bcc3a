/* The lexer of the IR text form: words, %values, numbers, strings and
 * punctuation; '#' comments and all whitespace (newlines included) skipped. */
#include <ctype.h>
#include <string.h>

#include "ir_lex.h"

void ir_lex_init(IrLexer *lx, const SourceFile *src) {
  *lx = (IrLexer){src, src->text, 1, src->text};
}

static const char *end_of(const IrLexer *lx) { return lx->src->text + lx->src->len; }

static void skip_blank(IrLexer *lx) {
  const char *end = end_of(lx);
  while (lx->p < end) {
    if (*lx->p == '\n') {
      lx->line++;
      lx->line_start = ++lx->p;
    } else if (isspace((unsigned char)*lx->p)) {
      lx->p++;
    } else if (*lx->p == '#') {
      while (lx->p < end && *lx->p != '\n') lx->p++;
    } else {
      return;
    }
  }
}

static bool is_name_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '.'; }

/* A number: digits with an optional sign, fraction and exponent. */
static TokKind scan_number(const char **p, const char *end) {
  const char *s = *p;
  TokKind kind = TK_INT;
  if (s < end && (*s == '-' || *s == '+')) s++;
  while (s < end && isdigit((unsigned char)*s)) s++;
  if (s < end && *s == '.') {
    kind = TK_FLOAT;
    for (s++; s < end && isdigit((unsigned char)*s); s++) {}
  }
  if (s < end && (*s == 'e' || *s == 'E')) {
    kind = TK_FLOAT;
    s++;
    if (s < end && (*s == '-' || *s == '+')) s++;
    while (s < end && isdigit((unsigned char)*s)) s++;
  }
  *p = s;
  return kind;
}

Token ir_lex_next(IrLexer *lx) {
  skip_blank(lx);
  const char *end = end_of(lx), *s = lx->p;
  Token t = {TK_EOF, s, 0, {lx->src, lx->line, (int)(s - lx->line_start) + 1, 1}};
  if (s >= end) return t;
  char c = *s;
  if (c == '%') {
    t.kind = TK_VALUE;
    t.text = ++s;
    while (s < end && is_name_char(*s)) s++;
    t.len = (int)(s - t.text);
    if (!t.len) t.kind = TK_BAD;
  } else if (isalpha((unsigned char)c) || c == '_') {
    t.kind = TK_WORD;
    while (s < end && (isalnum((unsigned char)*s) || *s == '_')) s++;
    t.len = (int)(s - t.text);
  } else if (isdigit((unsigned char)c) || ((c == '-' || c == '+') && s + 1 < end && isdigit((unsigned char)s[1]))) {
    t.kind = scan_number(&s, end);
    t.len = (int)(s - t.text);
  } else if (c == '"') {
    t.text = ++s;
    while (s < end && *s != '"' && *s != '\n') s += (*s == '\\' && s + 1 < end) ? 2 : 1;
    t.kind = s < end && *s == '"' ? TK_STRING : TK_BAD;
    t.len = (int)(s - t.text);
    if (t.kind == TK_STRING) s++;
  } else {
    t.kind = c && strchr("{}()[]=:,", c) ? TK_PUNCT : TK_BAD;
    t.len = 1;
    s++;
  }
  t.loc.len = (int)(s - lx->p);
  lx->p = s;
  return t;
}

bool tok_is(const Token *t, TokKind kind, const char *text) {
  return t->kind == kind && (!text || ((int)strlen(text) == t->len && strncmp(t->text, text, (size_t)t->len) == 0));
}

char *tok_string(const Token *t) {
  if (t->kind != TK_STRING) return xstrndup(t->text, (size_t)t->len);
  char *out = xmalloc((size_t)t->len + 1), *o = out;
  for (int i = 0; i < t->len; i++) {
    if (t->text[i] == '\\' && i + 1 < t->len) i++;
    *o++ = t->text[i];
  }
  *o = '\0';
  return out;
}
