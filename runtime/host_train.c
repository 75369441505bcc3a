/* train: seeded, resumable training on a data set (docs/cli.md §2.3): the
 * description's recipe overridden by flags, a progress line, a test-split
 * evaluation and a checkpoint every epoch, a CSV log and an SVG plot.
 * SIGINT, SIGTERM and SIGHUP set a flag; the loop saves at the next step
 * boundary and exits 128 + signal. --time-budget stops the same way but
 * still evaluates, logs and exits 0. Every option and output is checked
 * before the first step, and each epoch's checkpoint is saved before its
 * evaluation, log row and plot, so none of them can cost it. */
#include "host_train.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) { stop_signal = sig; }

typedef struct trainer {
  const host *h;
  const train_opts *o;
  crt_session *s;
  const crt_model_info *m;
  crt_dataset train, test;
  crt_loader loader;
  crt_train_progress progress;
  float *images, *logits, *rate_images;
  int64_t *labels, batch, rate_count;
  train_history history;
  int64_t eval_batch;
  crt_metrics log;
  bool log_open;
  crt_lock lock;
  char plot_path[1024];
} trainer;

/* The description's optimizer and schedule with the flags applied. */
static int recipe(trainer *t, crt_optimizer_config *opt, crt_schedule *sched, crt_error *e) {
  const train_opts *o = t->o;
  const crt_train_config *c = &t->m->train;
  *opt = c->optimizer;
  if (o->optimizer) {
    int k = 0;
    while (k < CRT_OPT_KIND_COUNT && strcmp(o->optimizer, crt_optimizer_name(k)) != 0) k++;
    if (k == CRT_OPT_KIND_COUNT)
      return crt_fail(e, "--optimizer '%s': expected sgd, adamw or lion", o->optimizer);
    if ((crt_optimizer_kind)k != opt->kind) *opt = crt_optimizer_defaults(k);
  }
  if (!isnan(o->weight_decay)) opt->weight_decay = o->weight_decay;
  *sched = c->schedule;
  if (!isnan(o->lr)) sched->base_lr = o->lr;
  if (o->epochs != CRT_ARG_UNSET) sched->epochs = o->epochs;
  if (sched->epochs < 1)
    return crt_fail(e, "the model's train block has %lld epochs; pass --epochs",
                    (long long)sched->epochs);
  return crt_schedule_check(sched, e);
}

static int setup_data(trainer *t, crt_error *e) {
  const train_opts *o = t->o;
  t->batch = o->batch ? o->batch : t->m->batch ? t->m->batch : t->m->train.batch;
  if (t->batch < 1) return crt_fail(e, "--batch %lld: must be at least 1", (long long)t->batch);
  if (t->m->batch && t->batch != t->m->batch)
    return crt_fail(e, "--batch %lld: this model was compiled for batch %lld",
                    (long long)t->batch, (long long)t->m->batch);
  if (host_dataset(&t->train, o->data, true, t->m, e) ||
      host_dataset(&t->test, o->data, false, t->m, e))
    return -1;
  if (t->train.count < t->batch)
    return crt_fail(e, "the training split has %lld images, fewer than one batch of %lld",
                    (long long)t->train.count, (long long)t->batch);
  /* A batch beyond the split evaluates nothing more; the scratch of the
   * training step and of evaluation is taken now (the larger of the two),
   * so running short of memory fails before the first step rather than
   * after an epoch. */
  t->eval_batch = o->eval_batch < t->test.count ? o->eval_batch : t->test.count;
  if (crt_session_reserve(t->s, CRT_ENTRY_TRAIN, t->batch, e) ||
      crt_session_reserve(t->s, CRT_ENTRY_FORWARD, t->eval_batch, e))
    return -1;
  uint64_t seed = o->seed >= 0 ? (uint64_t)o->seed : t->m->train.seed;
  if (crt_loader_init(&t->loader, &t->train, t->batch, true, true, seed, e)) return -1;
  size_t image = (size_t)t->m->channels * t->m->height * t->m->width;
  t->images = crt_alloc((size_t)t->batch * image * sizeof(float));
  t->logits = crt_alloc((size_t)t->batch * t->m->classes * sizeof(float));
  t->labels = crt_alloc((size_t)t->batch * sizeof(int64_t));
  if (!t->images || !t->logits || !t->labels) return crt_fail(e, "out of memory");
  if (!o->log_rate) return 0;
  /* the measures use the first test images, the same ones every epoch */
  t->rate_count = t->m->batch ? t->m->batch : o->rate_batch;
  if (t->rate_count > t->test.count) t->rate_count = t->test.count;
  crt_loader first;
  t->rate_images = crt_alloc((size_t)t->rate_count * image * sizeof(float));
  int64_t *labels = malloc((size_t)t->rate_count * sizeof *labels);
  int rc = t->rate_images && labels ? 0 : crt_fail(e, "out of memory");
  if (!rc) rc = crt_loader_init(&first, &t->test, t->rate_count, false, false, 0, e);
  if (!rc) crt_loader_next(&first, t->rate_images, labels), crt_loader_free(&first);
  free(labels);
  return rc;
}

/* Fresh start or --resume: parameters, optimizer, progress, loader. */
static int setup_state(trainer *t, crt_error *e) {
  crt_optimizer_config opt;
  crt_schedule sched;
  if (recipe(t, &opt, &sched, e)) return -1;
  int64_t steps = crt_loader_steps(&t->loader);
  if (!t->o->resume) {
    if (!t->o->weights) {
      crt_session_init_params(t->s, t->o->seed >= 0 ? (uint64_t)t->o->seed : t->m->train.seed);
      crt_session_params_changed(t->s);
    }
    t->progress = (crt_train_progress){0, 0, steps, sched, t->loader.pos.epoch_rng};
    return crt_session_set_optimizer(t->s, &opt, e);
  }
  crt_optimizer *o = crt_session_optimizer(t->s);
  if (!o) return crt_fail(e, "out of memory for the optimizer");
  crt_optimizer_free(o);
  if (crt_checkpoint_load(t->o->resume, &t->m->params, crt_session_params(t->s), o,
                          &t->progress, e))
    return -1;
  crt_session_params_changed(t->s);
  if (t->progress.steps_per_epoch != steps)
    return crt_fail(e, "%s: saved with %lld steps per epoch, this run has %lld (use the same "
                       "--data and --batch)", t->o->resume,
                    (long long)t->progress.steps_per_epoch, (long long)steps);
  if (t->o->epochs != CRT_ARG_UNSET) t->progress.schedule.epochs = t->o->epochs;
  crt_loader_position pos = {t->progress.epoch, t->progress.step_in_epoch * t->batch,
                             t->progress.rng};
  return crt_loader_seek(&t->loader, &pos, e);
}

static int save(trainer *t, crt_error *e) {
  crt_train_progress p = t->progress;
  p.rng = t->loader.pos.epoch_rng;
  return crt_checkpoint_save(t->o->save, &t->m->params, crt_session_params(t->s),
                             crt_session_optimizer(t->s), &p, e);
}

/* Evaluation, measures, log row and plot at the end of an epoch (or of a
 * partial one stopped by the time budget). */
static int finish_epoch(trainer *t, epoch_record *r, crt_error *e) {
  if (host_evaluate(t->s, &t->test, t->eval_batch, &r->test_accuracy, &r->test_loss, e))
    return -1;
  if (t->o->log_rate) {
    int depth = t->m->depth;
    ref_layer_measures *ms = calloc((size_t)depth, sizeof *ms);
    r->rc = calloc((size_t)depth, sizeof *r->rc);
    r->nonzero = calloc((size_t)depth, sizeof *r->nonzero);
    int rc = ms && r->rc && r->nonzero ? 0 : crt_fail(e, "out of memory");
    if (!rc) rc = host_measure(t->s, t->rate_images, t->rate_count, ms, e);
    for (int l = 0; !rc && l < depth; l++) r->rc[l] = ms[l].rc_mean, r->nonzero[l] = ms[l].nonzero_mean;
    free(ms);
    if (rc) return -1;
  }
  if (history_add(&t->history, r, e)) return -1;
  if (t->log_open && train_log_write(&t->log, &t->history, r, e)) return -1;
  return train_plot(t->plot_path, t->m->name, &t->history, e);
}

/* A step that went NaN or infinite: E's reason with where it happened. The
 * checkpoint is not written, so the last one saved stays good. */
static int diverged(const trainer *t, crt_error *e) {
  crt_error why = *e;
  return crt_fail(e, "epoch %lld step %lld: %s; stopped without saving over %s (lower --lr)",
                  (long long)t->progress.epoch + 1, (long long)t->progress.step_in_epoch + 1,
                  why.msg, t->o->save);
}

/* One epoch from where the loader stands. Returns 1 when stopped early
 * (signal or time budget), 0 at the epoch's end, -1 on error. */
static int run_epoch(trainer *t, crt_progress *bar, double deadline, epoch_record *r,
                     crt_error *e) {
  crt_train_progress *p = &t->progress;
  int classes = t->m->classes;
  int64_t correct = 0, seen = 0;
  double loss_sum = 0, start = crt_clock();
  crt_progress_start_epoch(bar, p->epoch);
  for (int64_t n; (n = crt_loader_next(&t->loader, t->images, t->labels)) > 0;) {
    float loss;
    r->lr = crt_schedule_lr(&p->schedule, p->epoch, p->step_in_epoch, p->steps_per_epoch);
    if (crt_session_train_step(t->s, t->images, t->labels, n, r->lr, &loss, t->logits, e))
      return diverged(t, e);
    if (!isfinite(loss)) return crt_fail(e, "the loss is %g", loss), diverged(t, e);
    for (int64_t i = 0; i < n; i++) correct += host_argmax(t->logits + i * classes, classes) == t->labels[i];
    seen += n, loss_sum += loss * (double)n;
    p->step_in_epoch++;
    crt_progress_step(bar, loss, n);
    if (stop_signal || crt_clock() > deadline) break;
  }
  double elapsed = crt_clock() - start;
  *r = (epoch_record){p->epoch + (double)p->step_in_epoch / (double)p->steps_per_epoch,
                      (double)(p->epoch * p->steps_per_epoch + p->step_in_epoch),
                      seen ? loss_sum / (double)seen : 0, seen ? (double)correct / (double)seen : 0,
                      0, 0, r->lr, elapsed > 0 ? (double)seen / elapsed : 0, NULL, NULL};
  return p->step_in_epoch < p->steps_per_epoch;
}

static void time_used(const trainer *t) {
  fprintf(stderr, "%s train: time budget of %g s used; checkpoint saved to %s\n", t->h->prog,
          t->o->time_budget, t->o->save);
}

static int train_loop(trainer *t, crt_error *e) {
  crt_train_progress *p = &t->progress;
  crt_progress bar;
  crt_progress_init(&bar, stderr, p->schedule.epochs, p->steps_per_epoch);
  double deadline = crt_clock() + t->o->time_budget;   /* infinite without a budget */
  while (p->epoch < p->schedule.epochs) {
    if (crt_clock() > deadline) {   /* spent exactly at an epoch's end */
      time_used(t);
      break;
    }
    epoch_record r = {0};
    int stopped = run_epoch(t, &bar, deadline, &r, e);
    if (stopped < 0) return -1;
    if (stop_signal) {
      crt_progress_end_epoch(&bar, "interrupted");
      if (save(t, e)) return -1;
      fprintf(stderr, "%s train: stopped by signal %d; checkpoint saved to %s (--resume it)\n",
              t->h->prog, (int)stop_signal, t->o->save);
      return 128 + stop_signal;
    }
    if (!stopped) {
      p->epoch++, p->step_in_epoch = 0;
      crt_loader_next_epoch(&t->loader);
    }
    if (save(t, e)) return -1;
    if (finish_epoch(t, &r, e)) {
      size_t len = strlen(e->msg);
      snprintf(e->msg + len, sizeof e->msg - len, " (the checkpoint %s is saved)", t->o->save);
      return -1;
    }
    char summary[128];
    snprintf(summary, sizeof summary, "train acc %.4f  test acc %.4f  test loss %.4f",
             r.train_accuracy, r.test_accuracy, r.test_loss);
    crt_progress_end_epoch(&bar, summary);
    if (stopped) {
      time_used(t);
      break;
    }
  }
  const epoch_record *last = t->history.count ? &t->history.rows[t->history.count - 1] : NULL;
  if (last) printf("test accuracy: %.4f\ntest loss: %.6f\n", last->test_accuracy, last->test_loss);
  printf("checkpoint: %s\nplot: %s\n", t->o->save, t->plot_path);
  return 0;
}

/* What the command line alone decides: a mistake here costs nothing. */
static int check_options(const train_opts *o, crt_error *e) {
  if (!o->save) return crt_fail(e, "--save CKPT is required");
  if (o->epochs != CRT_ARG_UNSET && o->epochs < 1)
    return crt_fail(e, "--epochs %ld: must be at least 1", o->epochs);
  if (o->batch < 0) return crt_fail(e, "--batch %ld: must be at least 1", o->batch);
  if (o->eval_batch < 1) return crt_fail(e, "--eval-batch %ld: must be at least 1", o->eval_batch);
  if (o->rate_batch < 1) return crt_fail(e, "--rate-batch %ld: must be at least 1", o->rate_batch);
  if (!(o->time_budget > 0))
    return crt_fail(e, "--time-budget %g: must be more than 0 seconds", o->time_budget);
  if (!o->resume) return 0;
  if (o->weights) return crt_fail(e, "--resume and --weights exclude each other");
  /* The checkpoint holds the optimizer's state and the data order: a
   * resumed run continues exactly, so these would be silently ignored. */
  const char *recipe = !isnan(o->lr) ? "--lr" : o->optimizer ? "--optimizer"
                       : !isnan(o->weight_decay) ? "--weight-decay" : o->seed >= 0 ? "--seed" : NULL;
  if (recipe)
    return crt_fail(e, "%s cannot change a resumed run: --resume continues %s with its saved "
                       "learning rate, optimizer, weight decay and seed (to train on from its "
                       "weights with new ones, pass it as --weights)", recipe, o->resume);
  return 0;
}

/* The outputs: none is an input or another output, each can be written
 * now, and no other run is saving to the checkpoint. */
static int claim_outputs(trainer *t, crt_error *e) {
  const train_opts *o = t->o;
  /* Resuming from the checkpoint being saved is the usual case: it is read
   * whole before the first save. */
  const char *resume = o->resume && !crt_same_file(o->resume, o->save) ? o->resume : NULL;
  const crt_file_use uses[] = {{"--save", o->save, true}, {"--plot", t->plot_path, true},
                               {"--log", o->log, true}, {"--weights", o->weights, false},
                               {"--resume", resume, false}};
  if (crt_check_file_uses(uses, sizeof uses / sizeof uses[0], e) ||
      crt_output_check(o->save, e) || crt_output_check(t->plot_path, e))
    return -1;
  return crt_lock_open(&t->lock, o->save, e);
}

static int run(trainer *t, crt_error *e) {
  const train_opts *o = t->o;
  snprintf(t->plot_path, sizeof t->plot_path, "%s", o->plot ? o->plot : o->save);
  if (!o->plot) {
    char *dot = strrchr(t->plot_path, '.'), *slash = strrchr(t->plot_path, '/');
    if (dot && (!slash || dot > slash)) *dot = 0;
    strncat(t->plot_path, ".svg", sizeof t->plot_path - strlen(t->plot_path) - 1);
  }
  if (claim_outputs(t, e)) return -1;
  if (!(t->s = crt_session_create(t->h->model, o->weights, e))) return -1;
  t->m = crt_session_info(t->s);
  t->history.depth = t->m->depth, t->history.rates = o->log_rate;
  if (setup_data(t, e) || setup_state(t, e)) return -1;
  if (o->log) {
    if (o->resume && train_log_read(&t->history, o->log, e)) return -1;
    if (train_log_open(&t->log, o->log, &t->history, e)) return -1;
    t->log_open = true;
  }
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);   /* a closed terminal stops the run as cleanly */
  return train_loop(t, e);
}

int host_train(const host *h, int argc, char **argv) {
  train_opts o = {.epochs = CRT_ARG_UNSET, .seed = -1, .lr = NAN, .weight_decay = NAN,
                  .time_budget = INFINITY, .eval_batch = 256, .rate_batch = 16};
  const crt_option opts[] = {
      {"--data", CRT_ARG_STRING, &o.data, "SPEC", "fashion-mnist[:DIR], mnist:DIR, cifar10:DIR"},
      {"--save", CRT_ARG_STRING, &o.save, "CKPT", "checkpoint, written every epoch and on stop"},
      {"--epochs", CRT_ARG_INT, &o.epochs, "N", "epochs (default: the model's train block)"},
      {"--batch", CRT_ARG_INT, &o.batch, "B", "batch size (default: the model's)"},
      {"--lr", CRT_ARG_DOUBLE, &o.lr, "X", "base learning rate (default: the model's)"},
      {"--optimizer", CRT_ARG_STRING, &o.optimizer, "NAME", "sgd, adamw or lion"},
      {"--weight-decay", CRT_ARG_DOUBLE, &o.weight_decay, "X", "weight decay"},
      {"--seed", CRT_ARG_INT, &o.seed, "S", "seed of initialisation and data order"},
      {"--weights", CRT_ARG_STRING, &o.weights, "FILE", "start from these weights"},
      {"--resume", CRT_ARG_STRING, &o.resume, "CKPT", "continue a saved run exactly (--lr, --optimizer, --weight-decay, --seed refused)"},
      {"--log", CRT_ARG_STRING, &o.log, "CSV", "metrics per epoch (appended on resume)"},
      {"--log-rate", CRT_ARG_FLAG, &o.log_rate, NULL, "also log per-layer R^c and sparsity"},
      {"--rate-batch", CRT_ARG_INT, &o.rate_batch, "N", "test images for --log-rate (default 16)"},
      {"--plot", CRT_ARG_STRING, &o.plot, "SVG", "plot file (default: beside the checkpoint)"},
      {"--time-budget", CRT_ARG_DOUBLE, &o.time_budget, "SECONDS", "stop cleanly after this long"},
      {"--eval-batch", CRT_ARG_INT, &o.eval_batch, "B", "batch of the evaluations (default 256)"},
      {"--threads", CRT_ARG_INT, &o.threads, "T", "threads (0: all cores)"},
      {"--help", CRT_ARG_FLAG, &o.help, NULL, "show this help"},
      {NULL, 0, NULL, NULL, NULL}};
  int rc = host_parse(h, "--data SPEC --save CKPT [options]", opts, argc, argv, &o.help,
                      &o.threads);
  if (rc >= 0) return rc;
  trainer t = {.h = h, .o = &o};
  crt_error e;
  if (check_options(&o, &e)) {
    host_fail(h, &e);
    return HOST_USAGE;
  }
  rc = run(&t, &e);
  if (rc < 0) rc = host_fail(h, &e);
  if (t.log_open) crt_metrics_close(&t.log);
  history_free(&t.history);
  crt_free(t.images), crt_free(t.logits), crt_free(t.labels), crt_free(t.rate_images);
  crt_loader_free(&t.loader);
  crt_dataset_free(&t.train), crt_dataset_free(&t.test);
  crt_session_free(t.s);
  crt_lock_release(&t.lock);
  return rc;
}
