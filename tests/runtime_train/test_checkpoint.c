/* Checkpoint files: the documented layout, the weights loader's view of a
 * checkpoint, rejection of damaged files with named errors and no side
 * effects, and atomic replacement when a save fails. */
#include "cratert_host.h"
#include "train_suites.h"

#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* w (2, 3) and b (3,), one float of gap between them. */
static const crt_param_spec specs[] = {{"w", 2, {2, 3}}, {"b", 1, {3}}};
static const size_t offsets[] = {0, 7};
enum { FLAT = 10 };
static const crt_param_table table = {specs, offsets, 2, FLAT};

/* The __metadata__ keys cratert_host.h documents, in its order. */
static const char *const documented_keys[] = {
    "format", "format_version", "optimizer", "optimizer.steps", "optimizer.weight_decay",
    "optimizer.momentum", "optimizer.nesterov", "optimizer.beta1", "optimizer.beta2",
    "optimizer.eps", "progress.epoch", "progress.step_in_epoch", "progress.steps_per_epoch",
    "schedule", "schedule.per_step", "schedule.base_lr", "schedule.min_lr", "schedule.epochs",
    "schedule.warmup_epochs", "schedule.warmup_steps", "rng.s0", "rng.s1", "rng.s2", "rng.s3"};
enum { NKEYS = sizeof documented_keys / sizeof documented_keys[0] };

typedef struct fixture {
  char dir[32], path[64];
  float flat[FLAT];
  crt_optimizer opt;
  crt_train_progress progress;
} fixture;

/* An optimizer of KIND after two steps from gradients 0.1·i, weights i/4 +
 * SHIFT, and progress in epoch 3 of a per-epoch cosine. */
static void make_state(fixture *f, crt_optimizer_kind kind, float shift) {
  crt_optimizer_config c = crt_optimizer_defaults(kind);
  c.nesterov = kind == CRT_OPT_SGD;
  crt_error err = {{0}};
  ck_assert_msg(crt_optimizer_init(&f->opt, &c, FLAT, &err) == 0, "%s", err.msg);
  float grad[FLAT];
  for (int i = 0; i < FLAT; i++) f->flat[i] = (float)i / 4 + shift, grad[i] = 0.1f * (float)i;
  for (int t = 0; t < 2; t++) ck_assert_int_eq(crt_optimizer_step(&f->opt, f->flat, grad, FLAT, 1e-2, NULL), 0);
  f->progress = (crt_train_progress){
      .epoch = 3, .step_in_epoch = 1, .steps_per_epoch = 4,
      .schedule = {.kind = CRT_SCHEDULE_COSINE, .base_lr = 2e-4, .epochs = 200, .warmup_epochs = 20}};
  crt_rng_seed(&f->progress.rng, 5);
}

/* A fresh directory and the state of make_state, not yet saved. */
static void setup_unsaved(fixture *f, crt_optimizer_kind kind) {
  memset(f, 0, sizeof *f);
  strcpy(f->dir, "/tmp/crt_ckpt_XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(f->dir));
  snprintf(f->path, sizeof f->path, "%s/ckpt.safetensors", f->dir);
  make_state(f, kind, 0.0f);
}

static void save_fixture(fixture *f) {
  crt_error err = {{0}};
  ck_assert_msg(crt_checkpoint_save(f->path, &table, f->flat, &f->opt, &f->progress, &err) == 0, "%s",
                err.msg);
}

static void setup_saved(fixture *f, crt_optimizer_kind kind) {
  setup_unsaved(f, kind);
  save_fixture(f);
}

/* Removes every file in the fixture's directory, then the directory. */
static void teardown(fixture *f) {
  crt_optimizer_free(&f->opt);
  DIR *d = opendir(f->dir);
  for (struct dirent *ent; d && (ent = readdir(d));) {
    if (ent->d_name[0] == '.') continue;
    char p[320];
    snprintf(p, sizeof p, "%s/%s", f->dir, ent->d_name);
    unlink(p);
  }
  if (d) closedir(d);
  rmdir(f->dir);
}

static int files_in(const char *dir) {
  int n = 0;
  DIR *d = opendir(dir);
  for (struct dirent *ent; d && (ent = readdir(d));) n += ent->d_name[0] != '.';
  if (d) closedir(d);
  return n;
}

/* A copy of SRC at DST without tensor DROP (may be NULL), with tensor EXTRA
 * added (may be NULL, shape (3,)), tensor NAN_IN's first element NaN (may
 * be NULL; at most 16 floats), and metadata KEY set to VALUE (NULL VALUE:
 * removed; NULL KEY: unchanged). ONLY_WEIGHTS drops the optimizer tensors
 * and all metadata, giving a plain weights file. */
typedef struct edit {
  const char *drop, *extra, *nan_in, *key, *value;
  bool only_weights;
} edit;

static void rewrite(const char *src, const char *dst, edit ed) {
  crt_error err = {{0}};
  crt_st_file *f = crt_st_open(src, &err);
  ck_assert_msg(f != NULL, "%s", err.msg);
  crt_tensor tensors[16];
  int n = 0;
  for (int i = 0; i < crt_st_count(f); i++) {
    const crt_tensor *t = crt_st_at(f, i);
    if (ed.drop && strcmp(t->name, ed.drop) == 0) continue;
    if (ed.only_weights && strncmp(t->name, "optimizer.", 10) == 0) continue;
    tensors[n++] = *t;
    static float poisoned[16];
    if (ed.nan_in && strcmp(t->name, ed.nan_in) == 0) {
      memcpy(poisoned, t->data, t->nbytes);
      poisoned[0] = NAN;
      tensors[n - 1].data = poisoned;
    }
  }
  static const float extra_data[3] = {1, 2, 3};
  if (ed.extra) tensors[n++] = (crt_tensor){ed.extra, CRT_F32, 1, {3}, extra_data, sizeof extra_data};
  const char *meta[2 * NKEYS + 1];
  int m = 0;
  for (int k = 0; k < NKEYS && !ed.only_weights; k++) {
    const char *key = documented_keys[k], *value = crt_st_metadata(f, key);
    if (ed.key && strcmp(ed.key, key) == 0) value = ed.value;
    if (value) meta[m++] = key, meta[m++] = value;
  }
  meta[m] = NULL;
  ck_assert_msg(crt_st_write(dst, tensors, n, meta, &err) == 0, "%s", err.msg);
  crt_st_close(f);
}

START_TEST(round_trip_restores_everything) {
  fixture f;
  setup_saved(&f, CRT_OPT_SGD);
  float flat[FLAT] = {0};
  crt_optimizer opt;
  crt_train_progress progress;
  crt_error err = {{0}};
  ck_assert_msg(crt_checkpoint_load(f.path, &table, flat, &opt, &progress, &err) == 0, "%s", err.msg);
  for (int i = 0; i < FLAT; i++)   /* the gap (index 6) is not saved */
    ck_assert_float_eq(flat[i], i == 6 ? 0.0f : f.flat[i]);
  ck_assert_int_eq(opt.config.kind, CRT_OPT_SGD);
  ck_assert(opt.config.nesterov);
  ck_assert_double_eq(opt.config.momentum, 0.9);
  ck_assert_int_eq(opt.steps, 2);
  ck_assert_ptr_null(opt.exp_avg_sq);
  for (int i = 0; i < FLAT; i++) ck_assert_float_eq(opt.exp_avg[i], i == 6 ? 0.0f : f.opt.exp_avg[i]);
  ck_assert_int_eq(progress.epoch, 3);
  ck_assert_int_eq(progress.step_in_epoch, 1);
  ck_assert_int_eq(progress.steps_per_epoch, 4);
  ck_assert_int_eq(progress.schedule.kind, CRT_SCHEDULE_COSINE);
  ck_assert(!progress.schedule.per_step);
  ck_assert_double_eq(progress.schedule.base_lr, 2e-4);
  ck_assert_double_eq(progress.schedule.warmup_epochs, 20);
  ck_assert_mem_eq(progress.rng.s, f.progress.rng.s, sizeof progress.rng.s);
  crt_optimizer_free(&opt);
  teardown(&f);
}
END_TEST

START_TEST(file_has_the_documented_layout) {
  fixture f;
  setup_saved(&f, CRT_OPT_ADAMW);
  crt_error err = {{0}};
  crt_st_file *st = crt_st_open(f.path, &err);
  ck_assert_msg(st != NULL, "%s", err.msg);
  ck_assert_int_eq(crt_st_count(st), 6);
  static const char *const names[] = {"w", "b", "optimizer.exp_avg.w", "optimizer.exp_avg.b",
                                      "optimizer.exp_avg_sq.w", "optimizer.exp_avg_sq.b"};
  for (int i = 0; i < 6; i++) {
    const crt_tensor *t = crt_st_find(st, names[i]);
    ck_assert_msg(t != NULL, "no tensor '%s'", names[i]);
    ck_assert_int_eq(t->dtype, CRT_F32);
    ck_assert_int_eq(t->rank, specs[i % 2].rank);
  }
  ck_assert_mem_eq(crt_st_find(st, "optimizer.exp_avg_sq.b")->data, f.opt.exp_avg_sq + 7, 3 * sizeof(float));
  for (int k = 0; k < NKEYS; k++)
    ck_assert_msg(crt_st_metadata(st, documented_keys[k]) != NULL, "no metadata '%s'", documented_keys[k]);
  ck_assert_str_eq(crt_st_metadata(st, "format"), "cratec-checkpoint");
  ck_assert_str_eq(crt_st_metadata(st, "optimizer"), "adamw");
  ck_assert_str_eq(crt_st_metadata(st, "optimizer.beta2"), "0.999");
  char s0[32];
  snprintf(s0, sizeof s0, "%llu", (unsigned long long)f.progress.rng.s[0]);
  ck_assert_str_eq(crt_st_metadata(st, "rng.s0"), s0);
  crt_st_close(st);
  teardown(&f);
}
END_TEST

/* crt_st_load_f32 alone refuses the optimizer tensors; the checkpoint-aware
 * entry accepts them, and still accepts a plain weights file. */
START_TEST(weights_loader_accepts_a_checkpoint_only_when_told) {
  fixture f;
  setup_saved(&f, CRT_OPT_LION);
  float w[6], b[3];
  float *const dst[] = {w, b};
  crt_error err = {{0}};
  crt_st_file *st = crt_st_open(f.path, &err);
  ck_assert_int_eq(crt_st_load_f32(st, specs, 2, dst, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "unknown tensor 'optimizer.exp_avg."));
  ck_assert_msg(crt_checkpoint_load_weights(st, specs, 2, dst, &err) == 0, "%s", err.msg);
  ck_assert_mem_eq(w, f.flat, sizeof w);
  ck_assert_mem_eq(b, f.flat + 7, sizeof b);
  crt_st_close(st);

  char plain[96];
  snprintf(plain, sizeof plain, "%s/plain.safetensors", f.dir);
  rewrite(f.path, plain, (edit){.only_weights = true});
  memset(w, 0, sizeof w);
  st = crt_st_open(plain, &err);
  ck_assert_msg(crt_checkpoint_load_weights(st, specs, 2, dst, &err) == 0, "%s", err.msg);
  ck_assert_mem_eq(w, f.flat, sizeof w);
  crt_st_close(st);

  /* Optimizer tensors are not a free-for-all: one the optimizer lacks is an error. */
  char odd[96];
  snprintf(odd, sizeof odd, "%s/odd.safetensors", f.dir);
  rewrite(f.path, odd, (edit){.extra = "optimizer.exp_avg_sq.b"});
  st = crt_st_open(odd, &err);
  ck_assert_int_eq(crt_checkpoint_load_weights(st, specs, 2, dst, &err), -1);
  ck_assert_msg(strstr(err.msg, odd) && strstr(err.msg, "'optimizer.exp_avg_sq.b'"), "%s", err.msg);
  crt_st_close(st);
  teardown(&f);
}
END_TEST

static const struct damage {
  edit ed;
  const char *fragment;
} damages[] = {
    {{.drop = "optimizer.exp_avg_sq.b"}, "missing tensor 'optimizer.exp_avg_sq.b'"},
    {{.extra = "optimizer.exp_avg.c"}, "unknown tensor 'optimizer.exp_avg.c'"},
    {{.key = "format"}, "not a training checkpoint"},
    {{.key = "format_version", .value = "2"}, "version 2"},
    {{.key = "optimizer", .value = "adam"}, "'optimizer' = 'adam'"},
    {{.key = "optimizer.beta2"}, "lacks 'optimizer.beta2'"},
    {{.key = "optimizer.beta1", .value = "1.5"}, "betas"},
    {{.key = "optimizer.steps", .value = "-3"}, "'optimizer.steps' = '-3'"},
    {{.key = "schedule.base_lr", .value = "fast"}, "'schedule.base_lr' = 'fast'"},
    {{.key = "schedule.per_step", .value = "yes"}, "'schedule.per_step' = 'yes'"},
    {{.key = "progress.step_in_epoch", .value = "9"}, "progress out of range"},
    {{.key = "rng.s3", .value = "18446744073709551616"}, "'rng.s3'"},
    {{.nan_in = "optimizer.exp_avg_sq.b"}, "tensor 'optimizer.exp_avg_sq.b' holds NaN at element 0"},
    {{.nan_in = "w"}, "tensor 'w' holds NaN"},
};

/* Each damaged copy is refused with the file named, and changes nothing. */
START_TEST(damaged_checkpoints_are_rejected) {
  fixture f;
  setup_saved(&f, CRT_OPT_ADAMW);
  const struct damage *dmg = &damages[_i];
  char bad[96];
  snprintf(bad, sizeof bad, "%s/bad.safetensors", f.dir);
  rewrite(f.path, bad, dmg->ed);
  float flat[FLAT], before[FLAT];
  for (int i = 0; i < FLAT; i++) flat[i] = before[i] = -1.0f;
  crt_optimizer opt = {0};
  crt_train_progress progress = {.epoch = 77};
  crt_error err = {{0}};
  ck_assert_int_eq(crt_checkpoint_load(bad, &table, flat, &opt, &progress, &err), -1);
  ck_assert_msg(strstr(err.msg, bad) && strstr(err.msg, dmg->fragment), "case %d: '%s' lacks '%s'", _i,
                err.msg, dmg->fragment);
  ck_assert_mem_eq(flat, before, sizeof flat);
  ck_assert_ptr_null(opt.exp_avg);
  ck_assert_int_eq(progress.epoch, 77);
  teardown(&f);
}
END_TEST

START_TEST(unreadable_files_are_rejected) {
  fixture f;
  setup_saved(&f, CRT_OPT_LION);
  float flat[FLAT];
  crt_optimizer opt;
  crt_train_progress progress;
  crt_error err = {{0}};
  char missing[96], truncated[96];
  snprintf(missing, sizeof missing, "%s/missing.safetensors", f.dir);
  ck_assert_int_eq(crt_checkpoint_load(missing, &table, flat, &opt, &progress, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, missing));

  snprintf(truncated, sizeof truncated, "%s/truncated.safetensors", f.dir);
  FILE *in = fopen(f.path, "rb"), *out = fopen(truncated, "wb");
  char buf[4096];
  size_t n = fread(buf, 1, sizeof buf, in);
  fwrite(buf, 1, n - 20, out);
  fclose(in);
  fclose(out);
  ck_assert_int_eq(crt_checkpoint_load(truncated, &table, flat, &opt, &progress, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, truncated));

  /* A model whose shapes differ from the saved ones. */
  const crt_param_spec other_specs[] = {{"w", 2, {3, 2}}, {"b", 1, {3}}};
  const crt_param_table other = {other_specs, offsets, 2, FLAT};
  ck_assert_int_eq(crt_checkpoint_load(f.path, &other, flat, &opt, &progress, &err), -1);
  ck_assert_msg(strstr(err.msg, "tensor 'w'") && strstr(err.msg, "(3, 2)"), "%s", err.msg);
  teardown(&f);
}
END_TEST

/* A save that fails half-way (the file-size limit stands in for a full
 * disk) reports it and leaves the previous checkpoint whole, with no
 * temporary file behind. */
START_TEST(failed_save_keeps_the_previous_checkpoint) {
  fixture f, newer;
  setup_saved(&f, CRT_OPT_ADAMW);
  memset(&newer, 0, sizeof newer);
  make_state(&newer, CRT_OPT_ADAMW, 100.0f);

  struct rlimit saved, small;
  ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &saved), 0);
  small = saved;
  small.rlim_cur = 256;   /* the header alone is larger */
  signal(SIGXFSZ, SIG_IGN);
  ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
  crt_error err = {{0}};
  int rc = crt_checkpoint_save(f.path, &table, newer.flat, &newer.opt, &newer.progress, &err);
  ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &saved), 0);
  ck_assert_int_eq(rc, -1);
  ck_assert_msg(strstr(err.msg, f.path), "%s", err.msg);
  ck_assert_int_eq(files_in(f.dir), 1);

  float flat[FLAT] = {0};
  crt_optimizer opt;
  crt_train_progress progress;
  ck_assert_msg(crt_checkpoint_load(f.path, &table, flat, &opt, &progress, &err) == 0, "%s", err.msg);
  ck_assert_mem_eq(flat, f.flat, 6 * sizeof(float));
  ck_assert_mem_eq(opt.exp_avg_sq, f.opt.exp_avg_sq, 6 * sizeof(float));
  crt_optimizer_free(&opt);

  /* A directory that does not exist: the error names the path. */
  char nowhere[96];
  snprintf(nowhere, sizeof nowhere, "%s/no/such/dir/ckpt.safetensors", f.dir);
  ck_assert_int_eq(crt_checkpoint_save(nowhere, &table, f.flat, &f.opt, &f.progress, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, nowhere));
  crt_optimizer_free(&newer.opt);
  teardown(&f);
}
END_TEST

START_TEST(inconsistent_saves_are_refused) {
  fixture f;
  setup_saved(&f, CRT_OPT_LION);
  crt_error err = {{0}};
  const size_t past_end[] = {0, 8};
  const crt_param_table overflowing = {specs, past_end, 2, FLAT};
  ck_assert_int_eq(crt_checkpoint_save(f.path, &overflowing, f.flat, &f.opt, &f.progress, &err), -1);
  ck_assert_msg(strstr(err.msg, "'b' ends past"), "%s", err.msg);
  crt_train_progress bad = f.progress;
  bad.steps_per_epoch = 0;
  ck_assert_int_eq(crt_checkpoint_save(f.path, &table, f.flat, &f.opt, &bad, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "progress out of range"));
  const crt_param_table longer = {specs, offsets, 2, FLAT + 1};
  ck_assert_int_eq(crt_checkpoint_save(f.path, &longer, f.flat, &f.opt, &f.progress, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "optimizer state for 10 parameters, buffer of 11"));
  teardown(&f);
}
END_TEST

/* A diverged state (NaN or infinity in a weight or an optimizer buffer)
 * never replaces a checkpoint. */
START_TEST(nonfinite_state_is_not_saved) {
  fixture f;
  setup_saved(&f, CRT_OPT_ADAMW);
  float saved[FLAT];
  memcpy(saved, f.flat, sizeof saved);
  crt_error err = {{0}};
  f.opt.exp_avg[8] = INFINITY;
  ck_assert_int_eq(crt_checkpoint_save(f.path, &table, f.flat, &f.opt, &f.progress, &err), -1);
  ck_assert_msg(strstr(err.msg, f.path) && strstr(err.msg, "'optimizer.exp_avg.b' holds NaN or infinity"),
                "%s", err.msg);
  f.opt.exp_avg[8] = 0.0f;
  f.flat[6] = NAN;   /* the gap between the tensors is not saved, so not checked */
  ck_assert_msg(crt_checkpoint_save(f.path, &table, f.flat, &f.opt, &f.progress, &err) == 0, "%s",
                err.msg);
  f.flat[0] = NAN;
  ck_assert_int_eq(crt_checkpoint_save(f.path, &table, f.flat, &f.opt, &f.progress, &err), -1);
  ck_assert_msg(strstr(err.msg, "tensor 'w' holds NaN"), "%s", err.msg);
  ck_assert_int_eq(files_in(f.dir), 1);
  float flat[FLAT];
  crt_optimizer opt;
  crt_train_progress progress;
  ck_assert_msg(crt_checkpoint_load(f.path, &table, flat, &opt, &progress, &err) == 0, "%s", err.msg);
  ck_assert_mem_eq(flat, saved, 6 * sizeof(float));
  crt_optimizer_free(&opt);
  teardown(&f);
}
END_TEST

/* What the writer accepts the reader reads: a learning rate that is a
 * subnormal double (strtod flags it ERANGE) round-trips bit for bit. */
START_TEST(subnormal_values_round_trip) {
  fixture f;
  setup_unsaved(&f, CRT_OPT_ADAMW);
  f.progress.schedule.base_lr = 1e-320;
  f.progress.schedule.per_step = true, f.progress.schedule.min_lr = 4.9406564584124654e-324;
  f.opt.config.weight_decay = 2.5e-310;
  save_fixture(&f);
  crt_error err = {{0}};
  float flat[FLAT];
  crt_optimizer opt;
  crt_train_progress progress;
  ck_assert_msg(crt_checkpoint_load(f.path, &table, flat, &opt, &progress, &err) == 0, "%s", err.msg);
  ck_assert(progress.schedule.base_lr == 1e-320);
  ck_assert(progress.schedule.min_lr == 4.9406564584124654e-324);
  ck_assert(opt.config.weight_decay == 2.5e-310);
  crt_optimizer_free(&opt);
  teardown(&f);
}
END_TEST

/* An all-zero generator state (xoshiro256** would draw 0 forever and the
 * loader's rejection sampling would spin) is refused on load and on save. */
START_TEST(zero_rng_state_is_refused) {
  fixture f;
  setup_unsaved(&f, CRT_OPT_SGD);
  f.progress.rng = (crt_rng){{1, 0, 0, 0}};
  save_fixture(&f);
  crt_error err = {{0}};
  char bad[96];
  snprintf(bad, sizeof bad, "%s/zero.safetensors", f.dir);
  rewrite(f.path, bad, (edit){.key = "rng.s0", .value = "0"});
  float flat[FLAT];
  crt_optimizer opt = {0};
  crt_train_progress progress;
  ck_assert_int_eq(crt_checkpoint_load(bad, &table, flat, &opt, &progress, &err), -1);
  ck_assert_msg(strstr(err.msg, bad) && strstr(err.msg, "all zero"), "%s", err.msg);
  ck_assert_ptr_null(opt.exp_avg);
  f.progress.rng = (crt_rng){{0, 0, 0, 0}};
  ck_assert_int_eq(crt_checkpoint_save(f.path, &table, f.flat, &f.opt, &f.progress, &err), -1);
  ck_assert_msg(strstr(err.msg, "all zero"), "%s", err.msg);
  teardown(&f);
}
END_TEST

Suite *checkpoint_suite(void) {
  const TTest *tests[] = {round_trip_restores_everything, file_has_the_documented_layout,
                          weights_loader_accepts_a_checkpoint_only_when_told,
                          unreadable_files_are_rejected, failed_save_keeps_the_previous_checkpoint,
                          inconsistent_saves_are_refused, nonfinite_state_is_not_saved,
                          subnormal_values_round_trip,
                          zero_rng_state_is_refused};
  Suite *s = train_suite("checkpoints", tests, sizeof tests / sizeof tests[0]);
  TCase *loop = tcase_create("damaged");
  tcase_add_loop_test(loop, damaged_checkpoints_are_rejected, 0, sizeof damages / sizeof damages[0]);
  suite_add_tcase(s, loop);
  return s;
}
