/* The train { } block: optimizer, schedule and the loop's sizes. Every field
 * of TrainSpec has a default, so a model without a train block still trains
 * (and the driver's flags override whatever is here). */
#include "sema.h"

#include <math.h>
#include <string.h>

const char *const train_statements[] = {"optimizer", "schedule", "epochs", "batch", "label_smoothing", "seed", NULL};

static const Range positive = {0, INFINITY, true, false};
static const Range non_negative = {0, INFINITY, false, false};
static const Range unit = {0, 1, false, true};   /* [0, 1): betas, momentum, label smoothing */

/* The official main.py's defaults when no flag is given (docs/model.md §4.4). */
void train_defaults(TrainSpec *t) {
  *t = (TrainSpec){
      .optimizer = CRT_OPT_ADAMW,
      .lr = 4e-4,
      .weight_decay = 0.1,
      .momentum = 0.9,
      .nesterov = false,
      .beta1 = 0.9,
      .beta2 = 0.999,
      .eps = 1e-8,
      .schedule = CRT_SCHEDULE_CONSTANT,
      .epochs = 90,
      .batch = 256,
      .label_smoothing = 0,
      .seed = 0,
  };
}

/* Only the arguments this optimizer or schedule takes are read: the others
 * were reported as unknown already. */
static bool takes(const char *const *args, const char *name) {
  for (; *args; args++)
    if (strcmp(*args, name) == 0) return true;
  return false;
}

static void check_optimizer(Diag *d, const Stmt *s, TrainSpec *t) {
  static const char *const sgd_args[] = {"lr", "momentum", "weight_decay", "nesterov", NULL};
  static const char *const adamw_args[] = {"lr", "weight_decay", "beta1", "beta2", "eps", NULL};
  static const char *const lion_args[] = {"lr", "weight_decay", "beta1", "beta2", NULL};
  static const char *const *const args_of[CRT_OPT_KIND_COUNT] = {
      [CRT_OPT_SGD] = sgd_args, [CRT_OPT_ADAMW] = adamw_args, [CRT_OPT_LION] = lion_args};

  int which;
  if (s->operand.kind == VAL_NONE) {
    diag_at(d, DIAG_ERROR, s->keyword.loc, "'optimizer' needs a name: sgd, adamw or lion");
    return;
  }
  if (value_choice(d, &s->operand, "optimizer", crt_optimizer_names, &which) != VALUE_OK) return;
  const StmtShape shape = {"a name", args_of[which], false};
  check_shape(d, s, &shape);
  t->optimizer = (crt_optimizer_kind)which;
  /* lion-pytorch's betas differ from Adam's. */
  if (t->optimizer == CRT_OPT_LION) t->beta2 = 0.99;
  const char *const *args = args_of[which];
  arg_number(d, s, "lr", positive, &t->lr);
  arg_number(d, s, "weight_decay", non_negative, &t->weight_decay);
  if (takes(args, "momentum")) arg_number(d, s, "momentum", unit, &t->momentum);
  if (takes(args, "nesterov")) arg_bool(d, s, "nesterov", &t->nesterov);
  if (takes(args, "beta1")) arg_number(d, s, "beta1", unit, &t->beta1);
  if (takes(args, "beta2")) arg_number(d, s, "beta2", unit, &t->beta2);
  if (takes(args, "eps")) arg_number(d, s, "eps", positive, &t->eps);
}

static void check_schedule(Diag *d, const Stmt *s, TrainSpec *t) {
  static const char *const no_args[] = {NULL};
  static const char *const cosine_args[] = {"warmup_epochs", "warmup_steps", "min_lr", NULL};
  static const char *const *const args_of[CRT_SCHEDULE_KIND_COUNT] = {
      [CRT_SCHEDULE_CONSTANT] = no_args, [CRT_SCHEDULE_COSINE] = cosine_args};

  int which;
  if (s->operand.kind == VAL_NONE) {
    diag_at(d, DIAG_ERROR, s->keyword.loc, "'schedule' needs a name: constant or cosine");
    return;
  }
  if (value_choice(d, &s->operand, "schedule", crt_schedule_names, &which) != VALUE_OK) return;
  const StmtShape shape = {"a name", args_of[which], false};
  check_shape(d, s, &shape);
  t->schedule = (crt_schedule_kind)which;
  if (t->schedule == CRT_SCHEDULE_CONSTANT) return;
  int64_t steps = 0;
  arg_number(d, s, "warmup_epochs", non_negative, &t->warmup_epochs);
  arg_int(d, s, "warmup_steps", 0, INT32_MAX, &steps);
  t->warmup_steps = (long)steps;
  arg_number(d, s, "min_lr", non_negative, &t->min_lr);
  const Arg *epochs = find_arg(s, "warmup_epochs"), *in_steps = find_arg(s, "warmup_steps");
  if (epochs && in_steps) {
    diag_at(d, DIAG_ERROR, in_steps->name.loc, "give either 'warmup_epochs' or 'warmup_steps', not both");
    diag_at(d, DIAG_NOTE, epochs->name.loc, "'warmup_epochs' given here");
  }
}

/* `epochs N`, `batch N`, `label_smoothing S`, `seed N`: one value each. */
static void check_setting(Diag *d, const Stmt *s, TrainSpec *t) {
  const StmtShape shape = {"a value", NULL, false};
  if (!check_shape(d, s, &shape)) return;
  int64_t n;
  if (keyword_is(s, "epochs") && value_int(d, &s->operand, "epochs", 1, 1000000, &n) == VALUE_OK)
    t->epochs = (int)n;
  if (keyword_is(s, "batch") && value_int(d, &s->operand, "batch", 1, 1 << 20, &n) == VALUE_OK) t->batch = (int)n;
  if (keyword_is(s, "seed") && value_int(d, &s->operand, "seed", 0, INT64_MAX, &n) == VALUE_OK)
    t->seed = (uint64_t)n;
  if (keyword_is(s, "label_smoothing")) value_number(d, &s->operand, "label_smoothing", unit, &t->label_smoothing);
}

void check_train(Diag *d, const Stmt *block, TrainSpec *out) {
  const Stmt *seen[sizeof train_statements / sizeof train_statements[0]] = {0};
  for (int i = 0; i < block->body.len; i++) {
    const Stmt *s = &block->body.items[i];
    int k = 0;
    while (train_statements[k] && !keyword_is(s, train_statements[k])) k++;
    if (!train_statements[k]) {
      unknown_statement(d, s, train_statements, model_statements, "model block");
      continue;
    }
    if (seen[k]) {
      duplicate_statement(d, s, seen[k]);
      continue;
    }
    seen[k] = s;
    if (s->broken) continue;
    if (keyword_is(s, "optimizer"))
      check_optimizer(d, s, out);
    else if (keyword_is(s, "schedule"))
      check_schedule(d, s, out);
    else
      check_setting(d, s, out);
  }
}
