/* sema.h — checking statements and their values (internal to the frontend).
 *
 * Each checker reports its own errors and returns what it found, so callers
 * read like the language reference: "heads is an integer in [1, 16384]". */
#ifndef CRATEC_FRONTEND_SEMA_H
#define CRATEC_FRONTEND_SEMA_H

#include "ast.h"

/* What a statement may contain besides its keyword. */
typedef struct StmtShape {
  const char *operand;       /* what the operand is ("a name", "a count"); NULL: none allowed */
  const char *const *args;   /* allowed argument names (NULL-terminated); NULL: no '(...)' */
  bool block;                /* a { } block is required; otherwise refused */
} StmtShape;

/* Reports an operand, argument list or block the statement should not have
 * (or lacks), unknown argument names (with a "did you mean" note) and
 * repeated ones. False if anything was wrong. */
bool check_shape(Diag *d, const Stmt *s, const StmtShape *shape);

/* A closed or open interval; hi = INFINITY when unbounded. */
typedef struct Range {
  double lo, hi;
  bool lo_open, hi_open;
} Range;

typedef enum { VALUE_ABSENT, VALUE_OK, VALUE_BAD } ValueResult;

/* Checks one value (LABEL names it in messages). */
ValueResult value_int(Diag *d, const Value *v, const char *label, int64_t lo, int64_t hi, int64_t *out);
ValueResult value_number(Diag *d, const Value *v, const char *label, Range r, double *out);
ValueResult value_bool(Diag *d, const Value *v, const char *label, bool *out);
/* A word (or string) from CHOICES (NULL-terminated); *OUT gets its index.
 * KIND names the category in messages: "unknown pool 'clss'". */
ValueResult value_choice(Diag *d, const Value *v, const char *kind, const char *const *choices, int *out);

/* The argument NAME of S, or NULL; the first one if repeated (check_shape
 * has reported the repeat). */
const Arg *find_arg(const Stmt *s, const char *name);
/* The same checks on an argument of S; an absent argument leaves *OUT as it
 * was, so callers preload the default. */
ValueResult arg_int(Diag *d, const Stmt *s, const char *name, int64_t lo, int64_t hi, int64_t *out);
ValueResult arg_number(Diag *d, const Stmt *s, const char *name, Range r, double *out);
ValueResult arg_bool(Diag *d, const Stmt *s, const char *name, bool *out);
ValueResult arg_choice(Diag *d, const Stmt *s, const char *name, const char *const *choices, int *out);
/* "missing argument 'dim' to 'patch_embed'" */
void missing_arg(Diag *d, const Stmt *s, const char *name);

/* True if S's keyword is WORD, or one of LIST (NULL-terminated). */
bool keyword_is(const Stmt *s, const char *word);
bool keyword_in(const Stmt *s, const char *const *list);
/* "unknown statement 'modle'" with a "did you mean" note from KNOWN
 * (NULL-terminated), and a note when the word belongs in another block. */
void unknown_statement(Diag *d, const Stmt *s, const char *const *known, const char *const *elsewhere,
                       const char *elsewhere_block);
/* "duplicate 'input' statement" and a note at the first one. */
void duplicate_statement(Diag *d, const Stmt *again, const Stmt *first);

/* The statements a model block (sema.c) and a train block (train.c) know. */
extern const char *const model_statements[];

/* The train { } block (train.c). */
extern const char *const train_statements[];
void train_defaults(TrainSpec *t);
void check_train(Diag *d, const Stmt *block, TrainSpec *out);

#endif
