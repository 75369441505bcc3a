/* Tokens to the parse tree: recursive descent over blocks, with recovery at
 * the next statement so every syntax error in a file is reported. Nesting is
 * bounded (CRATE_MAX_NESTING), which bounds the recursion too. */
#include "ast.h"
#include "lex.h"

#include <stdlib.h>

typedef struct Parser {
  Lexer lx;
  Diag *d;
  Token tok;
  int depth;       /* blocks currently open */
  bool stopped;    /* the error limit was reached */
} Parser;

static void advance(Parser *p) { p->tok = lexer_next(&p->lx); }

/* "expected X, found Y" at the current token; silent when the lexer already
 * reported this token. */
static void expected(Parser *p, const char *what) {
  if (p->tok.kind == TOK_ERROR) return;
  char found[96];
  diag_at(p->d, DIAG_ERROR, p->tok.loc, "expected %s, found %s", what, token_describe(&p->tok, found, sizeof found));
}

static Value value_from_token(const Token *t) {
  Value v = {0};
  v.text = t->text;
  v.len = t->len;
  v.loc = t->loc;
  v.int_value = t->int_value;
  v.num_value = t->num_value;
  switch (t->kind) {
  case TOK_INT: v.kind = VAL_INT; break;
  case TOK_DECIMAL: v.kind = VAL_DECIMAL; break;
  case TOK_IDENT: v.kind = VAL_WORD; break;
  case TOK_STRING:
    v.kind = VAL_STRING;
    v.text = t->text + 1;
    v.len = t->len - 2;
    break;
  default: v.kind = VAL_NONE; break;
  }
  return v;
}

static bool is_value_token(TokenKind k) {
  return k == TOK_INT || k == TOK_DECIMAL || k == TOK_IDENT || k == TOK_STRING;
}

/* Skips the rest of a broken statement: up to and including its end of line,
 * or up to (not including) the '}' that closes the enclosing block. Blocks
 * met on the way are skipped whole, by counting, without recursion. */
static void recover(Parser *p) {
  int open = 0;
  for (;; advance(p)) {
    switch (p->tok.kind) {
    case TOK_EOF: return;
    case TOK_LBRACE: open++; break;
    case TOK_RBRACE:
      if (open == 0) return;
      open--;
      break;
    case TOK_NEWLINE:
      if (open == 0) {
        advance(p);
        return;
      }
      break;
    default: break;
    }
  }
}

static void skip_newlines(Parser *p) {
  while (p->tok.kind == TOK_NEWLINE && p->tok.text[0] != ';') advance(p);
}

/* '(' [ name '=' value { ',' name '=' value } [','] ] ')'; a line may break
 * after '(' or ','. */
static bool parse_args(Parser *p, Stmt *s) {
  s->has_args = true;
  s->args_loc = p->tok.loc;
  advance(p);
  skip_newlines(p);
  while (p->tok.kind != TOK_RPAREN) {
    if (p->tok.kind != TOK_IDENT) {
      expected(p, "an argument name or ')'");
      return false;
    }
    Arg a = {.name = value_from_token(&p->tok)};
    advance(p);
    if (p->tok.kind != TOK_EQUALS) {
      char what[96];
      snprintf(what, sizeof what, "'=' after '%.*s'", a.name.len > 40 ? 40 : a.name.len, a.name.text);
      expected(p, what);
      return false;
    }
    advance(p);
    if (!is_value_token(p->tok.kind)) {
      char what[96];
      snprintf(what, sizeof what, "a value for '%.*s'", a.name.len > 40 ? 40 : a.name.len, a.name.text);
      expected(p, what);
      return false;
    }
    a.value = value_from_token(&p->tok);
    vec_push(&s->args, a);
    advance(p);
    if (p->tok.kind == TOK_COMMA) {
      advance(p);
      skip_newlines(p);
    } else if (p->tok.kind != TOK_RPAREN) {
      expected(p, "',' or ')'");
      return false;
    }
  }
  advance(p);
  return true;
}

static void parse_statements(Parser *p, StmtList *out, const Token *open_brace);

/* '{' statements '}' */
static bool parse_block(Parser *p, Stmt *s) {
  s->has_block = true;
  s->block_loc = p->tok.loc;
  Token open = p->tok;
  if (p->depth >= CRATE_MAX_NESTING) {
    diag_at(p->d, DIAG_ERROR, open.loc, "blocks are nested too deeply (the limit is %d)", CRATE_MAX_NESTING);
    return false;
  }
  advance(p);
  p->depth++;
  parse_statements(p, &s->body, &open);
  p->depth--;
  if (p->tok.kind != TOK_RBRACE) return false;   /* end of file, already reported */
  advance(p);
  return true;
}

static bool parse_statement(Parser *p, Stmt *s) {
  if (p->tok.kind != TOK_IDENT) {
    expected(p, "a statement");
    return false;
  }
  s->keyword = value_from_token(&p->tok);
  advance(p);
  if (is_value_token(p->tok.kind)) {
    s->operand = value_from_token(&p->tok);
    advance(p);
  }
  if (p->tok.kind == TOK_LPAREN && !parse_args(p, s)) return false;
  if (p->tok.kind == TOK_LBRACE && !parse_block(p, s)) return false;
  switch (p->tok.kind) {
  case TOK_NEWLINE: advance(p); return true;
  case TOK_EOF:
  case TOK_RBRACE: return true;
  default: expected(p, "end of line or ';' after the statement"); return false;
  }
}

static void parse_statements(Parser *p, StmtList *out, const Token *open_brace) {
  for (;;) {
    while (p->tok.kind == TOK_NEWLINE) advance(p);
    if (diag_exhausted(p->d)) {
      p->stopped = true;
      return;
    }
    if (p->tok.kind == TOK_EOF) {
      if (open_brace) {
        expected(p, "'}'");
        diag_at(p->d, DIAG_NOTE, open_brace->loc, "to close this block");
      }
      return;
    }
    if (p->tok.kind == TOK_RBRACE) {
      if (open_brace) return;
      diag_at(p->d, DIAG_ERROR, p->tok.loc, "'}' without a matching '{'");
      advance(p);
      continue;
    }
    Stmt s = {0};
    if (!parse_statement(p, &s)) {
      s.broken = true;
      recover(p);
    }
    /* A statement broken before its keyword has nothing to check, but the
     * block it was in may now look incomplete. */
    if (s.keyword.kind == VAL_WORD)
      vec_push(out, s);
    else
      out->lost_lines = true;
  }
}

bool parse_file(const SourceFile *src, Diag *d, StmtList *out) {
  Parser p = {.d = d};
  lexer_init(&p.lx, src, d);
  advance(&p);
  parse_statements(&p, out, NULL);
  return !p.stopped;
}

void stmt_list_free(StmtList *list) {
  for (int i = 0; i < list->len; i++) {
    vec_free(&list->items[i].args);
    stmt_list_free(&list->items[i].body);
  }
  vec_free(list);
}
