/* The parse tree to a checked Model: which statements exist, what each takes,
 * the order of a model's body, the layer rule (mssa then ista, docs/model.md §2.3),
 * and the sizes that must agree with each other. */
#include "sema.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const top_statements[] = {"model", "train", NULL};
const char *const model_statements[] = {"input", "normalize", "patch_embed", "repeat", "mssa", "ista", "head", NULL};
static const char *const layer_statements[] = {"repeat", "mssa", "ista", NULL};

static const Range positive = {0, INFINITY, true, false};
static const Range non_negative = {0, INFINITY, false, false};

/* One mssa or ista statement, checked once however often `repeat` uses it. */
typedef struct Step {
  bool is_mssa;
  const Stmt *stmt;
  int64_t heads, dim_head;   /* 0 while unknown */
  double step, lambda;
} Step;

typedef VEC(const Step *) StepSeq;

typedef struct ModelCheck {
  Diag *d;
  Model *m;
  const Stmt *input, *patch, *head;
  VEC(const Stmt *) normalize;
  VEC(Step *) steps;         /* owns every Step */
  StepSeq sequence;          /* the steps after expanding `repeat` */
  bool expansion_failed;     /* too many layers; reported once */
  /* A broken or unknown statement may have been meant as a missing one: the
   * "missing" and layer-rule errors would only repeat that error. */
  bool incomplete;
  int64_t patch_stated_h, patch_stated_w;
} ModelCheck;

/* ---- input, patch_embed, head ---------------------------------------------- */

static void check_input(ModelCheck *c, const Stmt *s) {
  static const char *const args[] = {"channels", "height", "width", NULL};
  static const char *const kinds[] = {"image", NULL};
  const StmtShape shape = {"an input kind: input image(...)", args, false};
  check_shape(c->d, s, &shape);
  int kind;
  value_choice(c->d, &s->operand, "input kind", kinds, &kind);
  int64_t channels = 3, height = 0, width = 0;
  arg_int(c->d, s, "channels", 1, CRATE_MAX_CHANNELS, &channels);
  if (arg_int(c->d, s, "height", 1, CRATE_MAX_SIDE, &height) == VALUE_ABSENT) missing_arg(c->d, s, "height");
  if (arg_int(c->d, s, "width", 1, CRATE_MAX_SIDE, &width) == VALUE_ABSENT) missing_arg(c->d, s, "width");
  c->m->channels = (int)channels;
  c->m->height = (int)height;
  c->m->width = (int)width;
}

static void check_patch_embed(ModelCheck *c, const Stmt *s) {
  static const char *const args[] = {"patch", "patch_h", "patch_w", "dim", NULL};
  const StmtShape shape = {NULL, args, false};
  check_shape(c->d, s, &shape);
  int64_t patch_h = 0, patch_w = 0, dim = 0;
  const Arg *square = find_arg(s, "patch");
  if (square) {
    if (arg_int(c->d, s, "patch", 1, CRATE_MAX_SIDE, &patch_h) == VALUE_OK) patch_w = patch_h;
    const Arg *also = find_arg(s, "patch_h") ? find_arg(s, "patch_h") : find_arg(s, "patch_w");
    if (also)
      diag_at(c->d, DIAG_ERROR, also->name.loc, "give either 'patch' or 'patch_h' and 'patch_w', not both");
  } else if (!find_arg(s, "patch_h") && !find_arg(s, "patch_w")) {
    missing_arg(c->d, s, "patch");
  } else {
    if (arg_int(c->d, s, "patch_h", 1, CRATE_MAX_SIDE, &patch_h) == VALUE_ABSENT) missing_arg(c->d, s, "patch_h");
    if (arg_int(c->d, s, "patch_w", 1, CRATE_MAX_SIDE, &patch_w) == VALUE_ABSENT) missing_arg(c->d, s, "patch_w");
  }
  if (arg_int(c->d, s, "dim", 1, CRATE_MAX_WIDTH, &dim) == VALUE_ABSENT) missing_arg(c->d, s, "dim");
  c->m->patch_h = (int)patch_h;
  c->m->patch_w = (int)patch_w;
  c->m->dim = (int)dim;
}

static void check_head(ModelCheck *c, const Stmt *s) {
  static const char *const args[] = {"pool", "classes", NULL};
  static const char *const pools[] = {"cls", "mean", NULL};
  const StmtShape shape = {NULL, args, false};
  check_shape(c->d, s, &shape);
  int pool = POOL_CLS;
  arg_choice(c->d, s, "pool", pools, &pool);
  int64_t classes = 0;
  if (arg_int(c->d, s, "classes", 1, CRATE_MAX_CLASSES, &classes) == VALUE_ABSENT) missing_arg(c->d, s, "classes");
  c->m->pool = pool == 0 ? POOL_CLS : POOL_MEAN;
  c->m->classes = (int)classes;
}

/* `normalize(mean = M, std = S)` for every channel, or once per channel with
 * `channel = C`: the normalisation ((x / 255) − mean) / std that loading a
 * data set applies instead of the data set's own. Pixels scaled to [0, 1]
 * have a mean in [0, 1] and a standard deviation of at most ½ (1 leaves the
 * scale alone). */
static void check_normalize(ModelCheck *c) {
  static const char *const args[] = {"channel", "mean", "std", NULL};
  static const StmtShape shape = {NULL, args, false};
  static const Range unit = {0, 1, false, false}, spread = {0, 1, true, false};
  int channels = c->m->channels;
  if (c->normalize.len == 0 || channels == 0) return;
  const Stmt **set = xcalloc((size_t)channels, sizeof *set), *every = NULL;
  double *mean = xcalloc((size_t)channels, sizeof *mean), *std = xcalloc((size_t)channels, sizeof *std);
  bool ok = true;
  for (int i = 0; i < c->normalize.len; i++) {
    const Stmt *s = c->normalize.items[i];
    if (s->broken || !check_shape(c->d, s, &shape)) {
      ok = false;
      continue;
    }
    double mu = 0, sigma = 1;
    ValueResult got_mean = arg_number(c->d, s, "mean", unit, &mu), got_std = arg_number(c->d, s, "std", spread, &sigma);
    if (got_mean == VALUE_ABSENT) missing_arg(c->d, s, "mean");
    if (got_std == VALUE_ABSENT) missing_arg(c->d, s, "std");
    int64_t ch = -1;
    const Arg *which = find_arg(s, "channel");
    if (got_mean != VALUE_OK || got_std != VALUE_OK ||
        (which && arg_int(c->d, s, "channel", 0, channels - 1, &ch) != VALUE_OK)) {
      ok = false;
      continue;
    }
    const Stmt *before = every ? every : !which && i > 0 ? c->normalize.items[0] : which ? set[ch] : NULL;
    if (before) {
      if (which && !every)
        diag_at(c->d, DIAG_ERROR, which->value.loc, "channel %lld is normalised twice", (long long)ch);
      else
        diag_at(c->d, DIAG_ERROR, s->keyword.loc,
                "'normalize' without 'channel' sets every channel: give it alone, or one 'normalize' per channel");
      diag_at(c->d, DIAG_NOTE, before->keyword.loc, "first given here");
      ok = false;
      continue;
    }
    for (int k = which ? (int)ch : 0; k < (which ? (int)ch + 1 : channels); k++) set[k] = s, mean[k] = mu, std[k] = sigma;
    if (!which) every = s;
  }
  for (int k = 0; ok && k < channels; k++)
    if (!set[k]) {
      diag_at(c->d, DIAG_ERROR, c->normalize.items[0]->keyword.loc,
              "'normalize' leaves channel %d of %d unset: give every channel, or one 'normalize' without 'channel'",
              k, channels);
      ok = false;
    }
  if (ok) {
    c->m->norm_mean = mean, c->m->norm_std = std;
  } else {
    free(mean), free(std);
  }
  free(set);
}

/* The image must split into whole patches, and the patch grid must stay
 * within the limits. Reported at the patch size, which is what to change. */
static void check_patch_grid(ModelCheck *c) {
  const Model *m = c->m;
  if (!m->height || !m->width || !m->patch_h || !m->patch_w) return;
  const Arg *a = find_arg(c->patch, "patch");
  if (!a) a = m->height % m->patch_h ? find_arg(c->patch, "patch_h") : find_arg(c->patch, "patch_w");
  SrcLoc at = a->value.loc;
  if (m->height % m->patch_h || m->width % m->patch_w) {
    diag_at(c->d, DIAG_ERROR, at, "a %d x %d image does not split into %d x %d patches", m->height, m->width,
            m->patch_h, m->patch_w);
    return;
  }
  int64_t patches = (int64_t)(m->height / m->patch_h) * (m->width / m->patch_w);
  if (patches > CRATE_MAX_PATCHES)
    diag_at(c->d, DIAG_ERROR, at, "a %d x %d image in %d x %d patches gives %lld patches; the limit is %d",
            m->height, m->width, m->patch_h, m->patch_w, (long long)patches, CRATE_MAX_PATCHES);
  int64_t patch_dim = (int64_t)m->channels * m->patch_h * m->patch_w;
  if (patch_dim > CRATE_MAX_PATCH_DIM)
    diag_at(c->d, DIAG_ERROR, at, "patches of %d x %d x %d give patch_dim %lld; the limit is %d", m->channels,
            m->patch_h, m->patch_w, (long long)patch_dim, CRATE_MAX_PATCH_DIM);
}

/* ---- layers ------------------------------------------------------------------ */

static Step *check_step(ModelCheck *c, const Stmt *s) {
  static const char *const mssa_args[] = {"heads", "dim_head", NULL};
  static const char *const ista_args[] = {"step", "lambda", NULL};
  Step *st = xcalloc(1, sizeof *st);
  st->stmt = s;
  st->is_mssa = keyword_is(s, "mssa");
  vec_push(&c->steps, st);
  if (s->broken) return st;
  const StmtShape shape = {NULL, st->is_mssa ? mssa_args : ista_args, false};
  check_shape(c->d, s, &shape);
  if (st->is_mssa) {
    if (arg_int(c->d, s, "heads", 1, CRATE_MAX_WIDTH, &st->heads) == VALUE_ABSENT) missing_arg(c->d, s, "heads");
    arg_int(c->d, s, "dim_head", 1, CRATE_MAX_WIDTH, &st->dim_head);
  } else {
    /* The official model's hard-wired constants (docs/model.md §2.5). */
    st->step = 0.1;
    st->lambda = 0.1;
    arg_number(c->d, s, "step", positive, &st->step);
    arg_number(c->d, s, "lambda", non_negative, &st->lambda);
  }
  return st;
}

/* dim_head defaults to dim / heads, which needs the width from patch_embed. */
static void check_mssa_width(ModelCheck *c, Step *st) {
  const Stmt *s = st->stmt;
  int dim = c->m->dim;
  if (!st->is_mssa || !st->heads) return;
  if (!find_arg(s, "dim_head") && dim) {
    if (dim % st->heads) {
      diag_at(c->d, DIAG_ERROR, find_arg(s, "heads")->value.loc,
              "%lld heads do not divide dim %d; give dim_head", (long long)st->heads, dim);
      return;
    }
    st->dim_head = dim / st->heads;
  }
  if (st->dim_head && st->heads * st->dim_head > CRATE_MAX_WIDTH)
    diag_at(c->d, DIAG_ERROR, s->keyword.loc, "heads x dim_head = %lld; the limit is %d",
            (long long)(st->heads * st->dim_head), CRATE_MAX_WIDTH);
}

static void check_layers(ModelCheck *c, const StmtList *body, StepSeq *out);

static void expand_repeat(ModelCheck *c, const Stmt *s, StepSeq *out) {
  const StmtShape shape = {"a count: repeat N { ... }", NULL, true};
  if (s->broken) {
    c->incomplete = true;
    return;
  }
  int64_t times = 0;
  bool counted = check_shape(c->d, s, &shape) &&
                 value_int(c->d, &s->operand, "repeat", 1, CRATE_MAX_DEPTH, &times) == VALUE_OK;
  c->incomplete |= !counted;
  StepSeq once = {0};
  c->incomplete |= s->body.lost_lines;
  check_layers(c, &s->body, &once);
  if (c->expansion_failed || times == 0) {
    vec_free(&once);
    return;
  }
  if (out->len + times * once.len > 2 * CRATE_MAX_DEPTH) {
    diag_at(c->d, DIAG_ERROR, s->keyword.loc, "this 'repeat' makes the model deeper than %d layers",
            CRATE_MAX_DEPTH);
    c->expansion_failed = true;
  } else {
    for (int64_t t = 0; t < times; t++)
      for (int i = 0; i < once.len; i++) vec_push(out, once.items[i]);
  }
  vec_free(&once);
}

static void check_layer_statement(ModelCheck *c, const Stmt *s, StepSeq *out) {
  if (keyword_is(s, "repeat")) {
    expand_repeat(c, s, out);
    return;
  }
  const Step *st = check_step(c, s);
  if (!c->expansion_failed && out->len < 2 * CRATE_MAX_DEPTH) vec_push(out, st);
}

/* The body of a repeat: only layer statements. */
static void check_layers(ModelCheck *c, const StmtList *body, StepSeq *out) {
  for (int i = 0; i < body->len; i++) {
    const Stmt *s = &body->items[i];
    if (keyword_in(s, layer_statements))
      check_layer_statement(c, s, out);
    else if (keyword_in(s, model_statements))
      diag_at(c->d, DIAG_ERROR, s->keyword.loc, "'%.*s' cannot be inside 'repeat'", s->keyword.len,
              s->keyword.text);
    else
      unknown_statement(c->d, s, layer_statements, NULL, NULL);
    c->incomplete |= !keyword_in(s, layer_statements);
  }
}

/* After expansion the steps must read mssa, ista, mssa, ista, ... */
static void check_layer_rule(ModelCheck *c) {
  static const char *const rule = "each layer is an 'mssa' step followed by an 'ista' step";
  const StepSeq *q = &c->sequence;
  for (int i = 0; i < q->len; i++) {
    const Step *st = q->items[i];
    bool want_mssa = i % 2 == 0;
    if (st->is_mssa == want_mssa) continue;
    if (want_mssa)
      diag_at(c->d, DIAG_ERROR, st->stmt->keyword.loc, "'ista' without an 'mssa' before it: %s", rule);
    else
      diag_at(c->d, DIAG_ERROR, st->stmt->keyword.loc, "'mssa' right after another 'mssa': %s", rule);
    return;
  }
  if (q->len % 2)
    diag_at(c->d, DIAG_ERROR, q->items[q->len - 1]->stmt->keyword.loc, "'mssa' without an 'ista' after it: %s",
            rule);
}

/* ---- the model block ------------------------------------------------------------ */

/* A model reads input, patch_embed, layers, head, in that order. */
static int rank_of(const Stmt *s) {
  if (keyword_is(s, "input") || keyword_is(s, "normalize")) return 0;
  if (keyword_is(s, "patch_embed")) return 1;
  if (keyword_is(s, "head")) return 3;
  return 2;
}

static void check_model_statement(ModelCheck *c, const Stmt *s, const Stmt **latest) {
  if (!keyword_in(s, model_statements)) {
    unknown_statement(c->d, s, model_statements, train_statements, "train block");
    c->incomplete = true;
    return;
  }
  if (*latest && rank_of(s) < rank_of(*latest))
    diag_at(c->d, DIAG_ERROR, s->keyword.loc, "'%.*s' must come before '%.*s'", s->keyword.len, s->keyword.text,
            (*latest)->keyword.len, (*latest)->keyword.text);
  else
    *latest = s;

  if (keyword_in(s, layer_statements)) {
    check_layer_statement(c, s, &c->sequence);
    return;
  }
  if (keyword_is(s, "normalize")) {
    vec_push(&c->normalize, s);
    return;
  }
  const Stmt **slot = keyword_is(s, "input") ? &c->input : keyword_is(s, "head") ? &c->head : &c->patch;
  if (*slot) {
    duplicate_statement(c->d, s, *slot);
    return;
  }
  *slot = s;
  if (s->broken) return;
  if (s == c->input) check_input(c, s);
  if (s == c->patch) check_patch_embed(c, s);
  if (s == c->head) check_head(c, s);
}

static void require_statement(ModelCheck *c, const Stmt *model, const Stmt *found, const char *what) {
  if (!found && !c->incomplete)
    diag_at(c->d, DIAG_ERROR, model->keyword.loc, "model '%s' has no '%s' statement", c->m->name, what);
}

static void build_layers(ModelCheck *c) {
  Model *m = c->m;
  m->depth = c->sequence.len / 2;
  m->layers = xcalloc((size_t)m->depth + 1, sizeof *m->layers);
  for (int l = 0; l < m->depth; l++) {
    const Step *mssa = c->sequence.items[2 * l], *ista = c->sequence.items[2 * l + 1];
    LayerSpec *L = &m->layers[l];
    L->heads = (int)mssa->heads;
    L->dim_head = (int)mssa->dim_head;
    L->has_out_proj = !(L->heads == 1 && L->dim_head == m->dim);
    L->step = ista->step;
    L->lambda = ista->lambda;
    L->loc = mssa->stmt->keyword.loc;
  }
}

static void check_model(Diag *d, const Stmt *s, Model *m) {
  const StmtShape shape = {"a name: model NAME { ... }", NULL, true};
  check_shape(d, s, &shape);
  if (s->operand.kind != VAL_NONE && s->operand.kind != VAL_WORD)
    diag_at(d, DIAG_ERROR, s->operand.loc, "a model name is an identifier");
  m->name = s->operand.kind == VAL_WORD ? xstrndup(s->operand.text, (size_t)s->operand.len) : xstrdup("model");

  ModelCheck c = {.d = d, .m = m, .incomplete = s->body.lost_lines};
  const Stmt *latest = NULL;
  for (int i = 0; i < s->body.len; i++) check_model_statement(&c, &s->body.items[i], &latest);

  require_statement(&c, s, c.input, "input");
  require_statement(&c, s, c.patch, "patch_embed");
  require_statement(&c, s, c.head, "head");
  if (c.input && c.patch && !c.input->broken && !c.patch->broken) check_patch_grid(&c);
  if (c.input && !c.input->broken) check_normalize(&c);
  for (int i = 0; i < c.steps.len; i++) check_mssa_width(&c, c.steps.items[i]);
  if (!c.expansion_failed && !c.incomplete) {
    if (c.sequence.len == 0)
      diag_at(d, DIAG_ERROR, s->keyword.loc, "model '%s' has no layers: each layer is 'mssa' then 'ista'", m->name);
    check_layer_rule(&c);
  }
  if (!c.expansion_failed) build_layers(&c);
  for (int i = 0; i < c.steps.len; i++) free(c.steps.items[i]);
  vec_free(&c.steps);
  vec_free(&c.sequence);
  vec_free(&c.normalize);
}

/* ---- the file ---------------------------------------------------------------------- */

Model *sema_check(const StmtList *file, const SourceFile *src, Diag *d) {
  const Stmt *model = NULL, *train = NULL;
  bool unknown = file->lost_lines;
  Model *m = xcalloc(1, sizeof *m);
  train_defaults(&m->train);
  for (int i = 0; i < file->len; i++) {
    const Stmt *s = &file->items[i];
    const Stmt **slot = keyword_is(s, "model") ? &model : keyword_is(s, "train") ? &train : NULL;
    if (!slot) {
      bool in_model = keyword_in(s, model_statements);
      unknown_statement(d, s, top_statements, in_model ? model_statements : train_statements,
                        in_model ? "model block" : "train block");
      unknown = true;
    } else if (*slot) {
      duplicate_statement(d, s, *slot);
    } else {
      *slot = s;
    }
  }
  if (model && !model->broken) check_model(d, model, m);
  if (!model && !unknown) diag(d, DIAG_ERROR, "%s: no 'model' block", src->path);
  if (train && !train->broken) {
    static const StmtShape shape = {NULL, NULL, true};
    check_shape(d, train, &shape);
    check_train(d, train, &m->train);
  }
  m->has_train = train != NULL;
  return m;
}

/* A NUL byte never occurs in text: one clear error instead of a flood. */
static bool reject_binary(const SourceFile *src, Diag *d) {
  const char *nul = memchr(src->text, '\0', src->len);
  if (!nul) return false;
  SrcLoc at = {src, 1, 1, 1};
  for (const char *p = src->text; p < nul; p++, at.col++)
    if (*p == '\n') at.line++, at.col = 0;
  diag_at(d, DIAG_ERROR, at, "NUL byte: this is a binary file, not a .crate text file");
  return true;
}

Model *frontend_parse(const SourceFile *src, Diag *d) {
  int before = d->errors;
  if (reject_binary(src, d)) return NULL;
  StmtList file = {0};
  bool complete = parse_file(src, d, &file);
  Model *m = complete ? sema_check(&file, src, d) : NULL;
  stmt_list_free(&file);
  /* Diag stops printing at its limit; say so once, outside the count. */
  if (d->max_errors && d->errors >= d->max_errors && (!complete || d->errors > d->max_errors))
    fprintf(d->out, "cratec: note: too many errors; stopped after %d\n", d->max_errors);
  if (d->errors != before) {
    model_free(m);
    return NULL;
  }
  return m;
}

void model_free(Model *m) {
  if (!m) return;
  free(m->name);
  free(m->layers);
  free(m->norm_mean);
  free(m->norm_std);
  free(m);
}
