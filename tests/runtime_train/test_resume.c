/* Exact resumption: a small two-layer network trained for N steps straight
 * must end bit for bit where N/2 steps, a checkpoint, a fresh process that
 * loads it, and N/2 more steps end — parameters, optimizer state and
 * progress alike — for every optimizer under a cosine schedule.
 *
 * The training loop follows the convention of crt_train_progress: rng is the
 * generator at the start of the epoch in progress; each epoch's shuffle is
 * drawn from a copy of it, and the generator advances past the shuffle when
 * the epoch ends. */
#include "cratert_host.h"
#include "train_suites.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { IN = 6, HIDDEN = 8, CLASSES = 3, SAMPLES = 40, BATCH = 8, STEPS_PER_EPOCH = SAMPLES / BATCH };
enum { TOTAL_STEPS = 26, HALF = TOTAL_STEPS / 2 };   /* the half lands mid-epoch (epoch 2, step 3) */

/* Official-style keys; the offsets leave gaps that are not saved. */
static const crt_param_spec specs[] = {
    {"fc1.weight", 2, {HIDDEN, IN}}, {"fc1.bias", 1, {HIDDEN}},
    {"fc2.weight", 2, {CLASSES, HIDDEN}}, {"fc2.bias", 1, {CLASSES}}};
static const size_t offsets[] = {0, 64, 80, 112};
enum { FLAT = 128, NPARAMS = 4 };
static const crt_param_table table = {specs, offsets, NPARAMS, FLAT};

typedef struct dataset {
  float x[SAMPLES][IN];
  int label[SAMPLES];
} dataset;

/* Inputs N(0, 1); labels from a fixed random linear teacher. */
static void make_dataset(dataset *d) {
  crt_rng r;
  crt_rng_seed(&r, 7);
  float teacher[CLASSES][IN];
  for (int c = 0; c < CLASSES; c++)
    for (int i = 0; i < IN; i++) teacher[c][i] = crt_rng_normal(&r);
  for (int n = 0; n < SAMPLES; n++) {
    float best = -INFINITY;
    for (int i = 0; i < IN; i++) d->x[n][i] = crt_rng_normal(&r);
    for (int c = 0; c < CLASSES; c++) {
      float z = 0;
      for (int i = 0; i < IN; i++) z += teacher[c][i] * d->x[n][i];
      if (z > best) best = z, d->label[n] = c;
    }
  }
}

typedef struct trainer {
  float flat[FLAT], grad[FLAT];
  crt_optimizer opt;
  crt_train_progress progress;
} trainer;

static float *param(float *flat, int i) { return flat + offsets[i]; }

/* The gradient of the mean cross-entropy over BATCH samples (indices
 * BATCH) into t->grad; returns that loss. */
static double gradient(trainer *t, const dataset *d, const int *batch) {
  double loss = 0;
  const float *w1 = param(t->flat, 0), *b1 = param(t->flat, 1), *w2 = param(t->flat, 2),
              *b2 = param(t->flat, 3);
  float *gw1 = param(t->grad, 0), *gb1 = param(t->grad, 1), *gw2 = param(t->grad, 2),
        *gb2 = param(t->grad, 3);
  memset(t->grad, 0, sizeof t->grad);
  for (int k = 0; k < BATCH; k++) {
    const float *x = d->x[batch[k]];
    float h[HIDDEN], z[CLASSES], dz[CLASSES], dh[HIDDEN], zmax = -INFINITY, sum = 0;
    for (int j = 0; j < HIDDEN; j++) {
      h[j] = b1[j];
      for (int i = 0; i < IN; i++) h[j] += w1[j * IN + i] * x[i];
      h[j] = h[j] > 0 ? h[j] : 0;
    }
    for (int c = 0; c < CLASSES; c++) {
      z[c] = b2[c];
      for (int j = 0; j < HIDDEN; j++) z[c] += w2[c * HIDDEN + j] * h[j];
      zmax = fmaxf(zmax, z[c]);
    }
    for (int c = 0; c < CLASSES; c++) sum += (z[c] = expf(z[c] - zmax));
    loss -= log(z[d->label[batch[k]]] / sum) / BATCH;
    for (int c = 0; c < CLASSES; c++) dz[c] = (z[c] / sum - (c == d->label[batch[k]])) / BATCH;
    for (int j = 0; j < HIDDEN; j++) {
      dh[j] = 0;
      for (int c = 0; c < CLASSES; c++) {
        gw2[c * HIDDEN + j] += dz[c] * h[j];
        dh[j] += w2[c * HIDDEN + j] * dz[c];
      }
      if (h[j] <= 0) dh[j] = 0;
      gb1[j] += dh[j];
      for (int i = 0; i < IN; i++) gw1[j * IN + i] += dh[j] * x[i];
    }
    for (int c = 0; c < CLASSES; c++) gb2[c] += dz[c];
  }
  return loss;
}

/* Fisher–Yates over the samples with R. */
static void shuffle(int *perm, crt_rng *r) {
  for (int i = 0; i < SAMPLES; i++) perm[i] = i;
  for (int i = SAMPLES - 1; i > 0; i--) {
    int j = (int)crt_rng_below(r, (uint64_t)i + 1), tmp = perm[i];
    perm[i] = perm[j], perm[j] = tmp;
  }
}

static void train(trainer *t, const dataset *d, int steps) {
  crt_train_progress *p = &t->progress;
  for (int s = 0; s < steps; s++) {
    int perm[SAMPLES];
    crt_rng epoch_rng = p->rng;
    shuffle(perm, &epoch_rng);
    gradient(t, d, perm + p->step_in_epoch * BATCH);
    double lr = crt_schedule_lr(&p->schedule, p->epoch, p->step_in_epoch, p->steps_per_epoch);
    crt_error err = {{0}};
    ck_assert_msg(crt_optimizer_step(&t->opt, t->flat, t->grad, FLAT, lr, &err) == 0, "%s", err.msg);
    if (++p->step_in_epoch == p->steps_per_epoch) {
      p->epoch++, p->step_in_epoch = 0;
      p->rng = epoch_rng;
    }
  }
}

static void start(trainer *t, crt_optimizer_kind kind) {
  memset(t, 0, sizeof *t);
  crt_rng init;
  crt_rng_seed(&init, 1234);
  for (int i = 0; i < NPARAMS; i++) {
    int64_t numel = specs[i].shape[0] * (specs[i].rank == 2 ? specs[i].shape[1] : 1);
    for (int64_t k = 0; k < numel; k++) param(t->flat, i)[k] = 0.5f * crt_rng_normal(&init);
  }
  crt_optimizer_config config = crt_optimizer_defaults(kind);
  config.weight_decay = 0.05;
  config.nesterov = kind == CRT_OPT_SGD;
  crt_error err = {{0}};
  ck_assert_msg(crt_optimizer_init(&t->opt, &config, FLAT, &err) == 0, "%s", err.msg);
  t->progress = (crt_train_progress){
      .steps_per_epoch = STEPS_PER_EPOCH,
      .schedule = {.kind = CRT_SCHEDULE_COSINE, .per_step = true, .base_lr = kind == CRT_OPT_LION ? 1e-2 : 3e-2,
                   .min_lr = 1e-4, .epochs = 6, .warmup_steps = 4}};
  crt_rng_seed(&t->progress.rng, 99);
}

/* The first half in a child process that saves and exits, so nothing but
 * the file carries over. */
static void first_half_in_child(crt_optimizer_kind kind, const dataset *d, const char *path) {
  fflush(NULL);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    static trainer t;
    start(&t, kind);
    train(&t, d, HALF);
    crt_error err = {{0}};
    int rc = crt_checkpoint_save(path, &table, t.flat, &t.opt, &t.progress, &err);
    if (rc) fprintf(stderr, "save failed: %s\n", err.msg);
    crt_optimizer_free(&t.opt);
    _exit(rc ? 1 : 0);
  }
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the first half failed");
}

/* Field by field: the structs have padding that need not agree. */
static void assert_same_state(const trainer *a, const trainer *b) {
  ck_assert_mem_eq(a->flat, b->flat, sizeof a->flat);
  const crt_optimizer *oa = &a->opt, *ob = &b->opt;
  ck_assert_int_eq(oa->steps, ob->steps);
  ck_assert_int_eq(oa->config.kind, ob->config.kind);
  ck_assert_int_eq(oa->config.nesterov, ob->config.nesterov);
  const double ca[] = {oa->config.weight_decay, oa->config.momentum, oa->config.beta1, oa->config.beta2, oa->config.eps};
  const double cb[] = {ob->config.weight_decay, ob->config.momentum, ob->config.beta1, ob->config.beta2, ob->config.eps};
  ck_assert_mem_eq(ca, cb, sizeof ca);
  if (oa->exp_avg) ck_assert_mem_eq(oa->exp_avg, ob->exp_avg, FLAT * sizeof(float));
  if (oa->exp_avg_sq) ck_assert_mem_eq(oa->exp_avg_sq, ob->exp_avg_sq, FLAT * sizeof(float));
  const crt_train_progress *pa = &a->progress, *pb = &b->progress;
  const int64_t ia[] = {pa->epoch, pa->step_in_epoch, pa->steps_per_epoch, pa->schedule.kind, pa->schedule.per_step,
                        pa->schedule.epochs, pa->schedule.warmup_steps};
  const int64_t ib[] = {pb->epoch, pb->step_in_epoch, pb->steps_per_epoch, pb->schedule.kind, pb->schedule.per_step,
                        pb->schedule.epochs, pb->schedule.warmup_steps};
  ck_assert_mem_eq(ia, ib, sizeof ia);
  ck_assert_mem_eq(&pa->schedule.base_lr, &pb->schedule.base_lr, sizeof(double));
  ck_assert_mem_eq(&pa->schedule.min_lr, &pb->schedule.min_lr, sizeof(double));
  ck_assert_mem_eq(&pa->schedule.warmup_epochs, &pb->schedule.warmup_epochs, sizeof(double));
  ck_assert_mem_eq(pa->rng.s, pb->rng.s, sizeof pa->rng.s);
}

static void resume_matches_straight_run(crt_optimizer_kind kind) {
  static dataset d;
  static trainer straight, resumed;
  make_dataset(&d);
  start(&straight, kind);
  train(&straight, &d, TOTAL_STEPS);

  char dir[] = "/tmp/crt_resume_XXXXXX", path[64];
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/ckpt.safetensors", dir);
  first_half_in_child(kind, &d, path);

  memset(&resumed, 0, sizeof resumed);
  crt_error err = {{0}};
  ck_assert_msg(crt_checkpoint_load(path, &table, resumed.flat, &resumed.opt, &resumed.progress, &err) == 0,
                "%s", err.msg);
  ck_assert_int_eq(resumed.progress.epoch, HALF / STEPS_PER_EPOCH);
  ck_assert_int_eq(resumed.progress.step_in_epoch, HALF % STEPS_PER_EPOCH);
  train(&resumed, &d, TOTAL_STEPS - HALF);
  assert_same_state(&straight, &resumed);

  crt_optimizer_free(&straight.opt);
  crt_optimizer_free(&resumed.opt);
  unlink(path);
  rmdir(dir);
}

START_TEST(resume_sgd_nesterov) { resume_matches_straight_run(CRT_OPT_SGD); }
END_TEST

START_TEST(resume_adamw) { resume_matches_straight_run(CRT_OPT_ADAMW); }
END_TEST

START_TEST(resume_lion) { resume_matches_straight_run(CRT_OPT_LION); }
END_TEST

static double full_loss(trainer *t, const dataset *d) {
  int all[SAMPLES];
  for (int i = 0; i < SAMPLES; i++) all[i] = i;
  double loss = 0;
  for (int b = 0; b < SAMPLES / BATCH; b++) loss += gradient(t, d, all + b * BATCH) / (SAMPLES / BATCH);
  return loss;
}

/* The run must actually learn, or the comparisons above prove little. */
START_TEST(training_reduces_the_loss) {
  static dataset d;
  static trainer t;
  make_dataset(&d);
  for (int kind = 0; kind < CRT_OPT_KIND_COUNT; kind++) {
    start(&t, (crt_optimizer_kind)kind);
    double before = full_loss(&t, &d);
    train(&t, &d, TOTAL_STEPS);
    double after = full_loss(&t, &d);
    ck_assert_msg(after < 0.8 * before, "%s: loss %g -> %g", crt_optimizer_name((crt_optimizer_kind)kind),
                  before, after);
    crt_optimizer_free(&t.opt);
  }
}
END_TEST

Suite *resume_suite(void) {
  const TTest *tests[] = {resume_sgd_nesterov, resume_adamw, resume_lion, training_reduces_the_loss};
  return train_suite("resume", tests, sizeof tests / sizeof tests[0]);
}
