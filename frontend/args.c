/* The parts every statement shares: its shape, argument names, and the type
 * and range of each value. Messages follow one pattern so users learn it
 * once: "'heads' must be an integer, not '6.5'". */
#include "cratert_hint.h"
#include "sema.h"

#include <math.h>
#include <string.h>

/* Long tokens are cut in messages; the caret still shows the whole thing. */
#define SHOWN(len) ((len) > 40 ? 40 : (len))

static bool word_is(const Value *v, const char *word) {
  return (int)strlen(word) == v->len && strncmp(v->text, word, (size_t)v->len) == 0;
}

bool keyword_is(const Stmt *s, const char *word) { return word_is(&s->keyword, word); }

/* A NUL-terminated copy of a short word, for the edit-distance hint. */
static const char *closest(const Value *v, const char *const *candidates) {
  char word[64];
  if (v->len >= (int)sizeof word) return NULL;
  memcpy(word, v->text, (size_t)v->len);
  word[v->len] = '\0';
  return crt_closest_word(word, candidates);
}

static void suggest(Diag *d, const Value *v, const char *const *candidates) {
  const char *hint = closest(v, candidates);
  if (hint) diag_at(d, DIAG_NOTE, v->loc, "did you mean '%s'?", hint);
}

/* What each argument name means. A name one edit from a mistyped one may
 * mean something else ('steps' is a count, 'step' the ISTA step size η), and
 * taking such a hint would silently build another model: an argument hint
 * therefore says what the suggested name means. */
static const struct {
  const char *name, *meaning;
} arg_meanings[] = {
    {"channels", "the number of image channels"},
    {"height", "the image's height in pixels"},
    {"width", "the image's width in pixels"},
    {"patch", "the side of a square patch in pixels"},
    {"patch_h", "a patch's height in pixels"},
    {"patch_w", "a patch's width in pixels"},
    {"dim", "the width of a token"},
    {"pool", "how the head reduces the tokens: cls or mean"},
    {"classes", "the number of classes"},
    {"heads", "the number of attention heads"},
    {"dim_head", "the width of one head"},
    {"step", "the ISTA step size η, not a count"},
    {"lambda", "the ISTA sparsity weight λ"},
    {"lr", "the learning rate"},
    {"momentum", "SGD's momentum factor"},
    {"weight_decay", "the weight-decay factor"},
    {"nesterov", "whether SGD's momentum is Nesterov's"},
    {"beta1", "the decay of the first moment"},
    {"beta2", "the decay of the second moment"},
    {"eps", "the term that keeps Adam's denominator from 0"},
    {"warmup_epochs", "the warm-up's length in epochs"},
    {"warmup_steps", "the warm-up's length in steps"},
    {"min_lr", "the floor of the cosine"},
    {"channel", "the one channel a 'normalize' sets"},
    {"mean", "a channel's mean, pixels scaled to [0, 1]"},
    {"std", "a channel's standard deviation, pixels scaled to [0, 1]"},
};

static void suggest_argument(Diag *d, const Value *v, const char *const *candidates) {
  const char *hint = closest(v, candidates);
  if (!hint) return;
  for (size_t i = 0; i < sizeof arg_meanings / sizeof arg_meanings[0]; i++)
    if (strcmp(arg_meanings[i].name, hint) == 0) {
      diag_at(d, DIAG_NOTE, v->loc, "did you mean '%s'? ('%s' is %s)", hint, hint,
              arg_meanings[i].meaning);
      return;
    }
  diag_at(d, DIAG_NOTE, v->loc, "did you mean '%s'?", hint);
}

static bool in_list(const Value *v, const char *const *list) {
  for (; list && *list; list++)
    if (word_is(v, *list)) return true;
  return false;
}

bool keyword_in(const Stmt *s, const char *const *list) { return in_list(&s->keyword, list); }

void unknown_statement(Diag *d, const Stmt *s, const char *const *known, const char *const *elsewhere,
                       const char *elsewhere_block) {
  const Value *k = &s->keyword;
  diag_at(d, DIAG_ERROR, k->loc, "unknown statement '%.*s'", SHOWN(k->len), k->text);
  if (in_list(k, elsewhere))
    diag_at(d, DIAG_NOTE, k->loc, "'%.*s' belongs in the %s", k->len, k->text, elsewhere_block);
  else
    suggest(d, k, known);
}

void duplicate_statement(Diag *d, const Stmt *again, const Stmt *first) {
  const Value *k = &again->keyword;
  diag_at(d, DIAG_ERROR, k->loc, "duplicate '%.*s' statement", k->len, k->text);
  diag_at(d, DIAG_NOTE, first->keyword.loc, "first given here");
}

bool check_shape(Diag *d, const Stmt *s, const StmtShape *shape) {
  const Value *k = &s->keyword;
  int errors = d->errors;
  if (shape->operand && s->operand.kind == VAL_NONE)
    diag_at(d, DIAG_ERROR, k->loc, "'%.*s' needs %s", k->len, k->text, shape->operand);
  if (!shape->operand && s->operand.kind != VAL_NONE)
    diag_at(d, DIAG_ERROR, s->operand.loc, "unexpected '%.*s' after '%.*s'", SHOWN(s->operand.len),
            s->operand.text, k->len, k->text);
  if (!shape->args && s->has_args)
    diag_at(d, DIAG_ERROR, s->args_loc, "'%.*s' takes no arguments", k->len, k->text);
  if (shape->block && !s->has_block)
    diag_at(d, DIAG_ERROR, k->loc, "'%.*s' needs a block: { ... }", k->len, k->text);
  if (!shape->block && s->has_block)
    diag_at(d, DIAG_ERROR, s->block_loc, "'%.*s' takes no block", k->len, k->text);
  if (!shape->args) return d->errors == errors;

  for (int i = 0; i < s->args.len; i++) {
    const Value *name = &s->args.items[i].name;
    if (!in_list(name, shape->args)) {
      /* "to 'optimizer lion'": the operand decides which arguments exist. */
      bool named = shape->operand && s->operand.kind == VAL_WORD;
      diag_at(d, DIAG_ERROR, name->loc, "unknown argument '%.*s' to '%.*s%s%.*s'", SHOWN(name->len), name->text,
              k->len, k->text, named ? " " : "", named ? SHOWN(s->operand.len) : 0, s->operand.text);
      suggest_argument(d, name, shape->args);
      continue;
    }
    for (int j = 0; j < i; j++) {
      const Value *earlier = &s->args.items[j].name;
      if (earlier->len == name->len && strncmp(earlier->text, name->text, (size_t)name->len) == 0) {
        diag_at(d, DIAG_ERROR, name->loc, "duplicate argument '%.*s'", name->len, name->text);
        diag_at(d, DIAG_NOTE, earlier->loc, "first given here");
        break;
      }
    }
  }
  return d->errors == errors;
}

/* ---- values ---------------------------------------------------------------- */

static void not_a(Diag *d, const Value *v, const char *label, const char *what) {
  const char *quote = v->kind == VAL_STRING ? "\"" : "";
  diag_at(d, DIAG_ERROR, v->loc, "'%s' must be %s, not '%s%.*s%s'", label, what, quote, SHOWN(v->len), v->text,
          quote);
}

/* Integral bounds print as integers; others as the shortest %g. */
static void format_bound(char *buf, size_t size, double x) {
  if (x == floor(x) && fabs(x) < 1e15)
    snprintf(buf, size, "%.0f", x);
  else
    snprintf(buf, size, "%g", x);
}

static void out_of_range(Diag *d, const Value *v, const char *label, Range r) {
  char lo[32], hi[32];
  format_bound(lo, sizeof lo, r.lo);
  format_bound(hi, sizeof hi, r.hi);
  if (isinf(r.hi))
    diag_at(d, DIAG_ERROR, v->loc, "'%s' must be %s %s", label, r.lo_open ? ">" : ">=", lo);
  else
    diag_at(d, DIAG_ERROR, v->loc, "'%s' must be in %s%s, %s%s", label, r.lo_open ? "(" : "[", lo, hi,
            r.hi_open ? ")" : "]");
}

static bool in_range(double x, Range r) {
  return (r.lo_open ? x > r.lo : x >= r.lo) && (r.hi_open ? x < r.hi : x <= r.hi);
}

ValueResult value_int(Diag *d, const Value *v, const char *label, int64_t lo, int64_t hi, int64_t *out) {
  if (v->kind == VAL_NONE) return VALUE_ABSENT;
  if (v->kind != VAL_INT) {
    not_a(d, v, label, "an integer");
    return VALUE_BAD;
  }
  if (v->int_value < lo || v->int_value > hi) {
    out_of_range(d, v, label, (Range){(double)lo, hi == INT64_MAX ? INFINITY : (double)hi, false, false});
    return VALUE_BAD;
  }
  *out = v->int_value;
  return VALUE_OK;
}

ValueResult value_number(Diag *d, const Value *v, const char *label, Range r, double *out) {
  if (v->kind == VAL_NONE) return VALUE_ABSENT;
  if (v->kind != VAL_INT && v->kind != VAL_DECIMAL) {
    not_a(d, v, label, "a number");
    return VALUE_BAD;
  }
  if (!in_range(v->num_value, r)) {
    out_of_range(d, v, label, r);
    return VALUE_BAD;
  }
  *out = v->num_value;
  return VALUE_OK;
}

ValueResult value_bool(Diag *d, const Value *v, const char *label, bool *out) {
  if (v->kind == VAL_NONE) return VALUE_ABSENT;
  if (v->kind != VAL_WORD || !(word_is(v, "true") || word_is(v, "false"))) {
    not_a(d, v, label, "true or false");
    return VALUE_BAD;
  }
  *out = word_is(v, "true");
  return VALUE_OK;
}

ValueResult value_choice(Diag *d, const Value *v, const char *kind, const char *const *choices, int *out) {
  if (v->kind == VAL_NONE) return VALUE_ABSENT;
  if (v->kind == VAL_WORD || v->kind == VAL_STRING)
    for (int i = 0; choices[i]; i++)
      if (word_is(v, choices[i])) {
        *out = i;
        return VALUE_OK;
      }
  StrBuf expected = {0};
  for (int i = 0; choices[i]; i++)
    sb_printf(&expected, "%s%s", i == 0 ? "" : choices[i + 1] ? ", " : " or ", choices[i]);
  diag_at(d, DIAG_ERROR, v->loc, "unknown %s '%.*s' (expected %s)", kind, SHOWN(v->len), v->text, expected.data);
  sb_free(&expected);
  if (v->kind == VAL_WORD || v->kind == VAL_STRING) suggest(d, v, choices);
  return VALUE_BAD;
}

/* ---- arguments --------------------------------------------------------------- */

const Arg *find_arg(const Stmt *s, const char *name) {
  for (int i = 0; i < s->args.len; i++)
    if (word_is(&s->args.items[i].name, name)) return &s->args.items[i];
  return NULL;
}

static const Value *arg_value(const Stmt *s, const char *name) {
  static const Value absent = {0};
  const Arg *a = find_arg(s, name);
  return a ? &a->value : &absent;
}

ValueResult arg_int(Diag *d, const Stmt *s, const char *name, int64_t lo, int64_t hi, int64_t *out) {
  return value_int(d, arg_value(s, name), name, lo, hi, out);
}

ValueResult arg_number(Diag *d, const Stmt *s, const char *name, Range r, double *out) {
  return value_number(d, arg_value(s, name), name, r, out);
}

ValueResult arg_bool(Diag *d, const Stmt *s, const char *name, bool *out) {
  return value_bool(d, arg_value(s, name), name, out);
}

ValueResult arg_choice(Diag *d, const Stmt *s, const char *name, const char *const *choices, int *out) {
  return value_choice(d, arg_value(s, name), name, choices, out);
}

void missing_arg(Diag *d, const Stmt *s, const char *name) {
  diag_at(d, DIAG_ERROR, s->keyword.loc, "missing argument '%s' to '%.*s'", name, s->keyword.len, s->keyword.text);
}
