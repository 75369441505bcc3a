/* Fault tests of the executable's commands: outputs that are devices or
 * inputs, outputs and options that are wrong from the start, two runs on
 * one checkpoint, signals, FIFOs among the inputs. Devices and FIFOs are
 * made in the test's scratch folder. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "host_run.h"
#include "idx_writer.h"
#include "scratch.h"

enum { TRAIN_IMAGES = 256, TEST_IMAGES = 64 };

/* A data set and the checkpoint path in a fresh scratch folder. */
typedef struct fault_run {
  char dir[4096], data[4200], save[4200];
} fault_run;

static void fault_run_init(fault_run *f) {
  snprintf(f->dir, sizeof f->dir, "%s", scratch_dir());
  snprintf(f->data, sizeof f->data, "fashion-mnist:%s", f->dir);
  scratch_path(f->save, sizeof f->save, f->dir, "ck.safetensors");
  idx_write_dataset(f->dir, TRAIN_IMAGES, TEST_IMAGES);
}

/* train --data D --save S --threads 1 EXTRA... */
static const char *const *train_args(const fault_run *f, const char *const *extra) {
  static const char *args[32] = {"train", "--data", NULL, "--save", NULL, "--threads", "1"};
  args[2] = f->data, args[4] = f->save;
  int n = 7;
  for (; extra && *extra; extra++) args[n++] = *extra;
  args[n] = NULL;
  return args;
}

static bool loads(const char *path) {
  crt_error e;
  crt_st_file *f = crt_st_open(path, &e);
  crt_st_close(f);
  return f != NULL;
}

/* A device node as --output is written through, never replaced (as root,
 * `--output /dev/null` once replaced the system's). */
START_TEST(output_device_is_written_through) {
  const char *dir = scratch_dir();
  char w[4096], in[4096], null[4200];
  scratch_path(null, sizeof null, dir, "null");
  ck_assert_int_eq(mknod(null, S_IFCHR | 0666, makedev(1, 3)), 0);
  const char *args[] = {"infer", "--weights", CASE_PATH(w, "micro", "weights.safetensors"),
                        "--input", CASE_PATH(in, "micro", "input.safetensors"), "--output",
                        null, NULL};
  host_result r = host_run(dir, "micro", args);
  ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
  struct stat st;
  ck_assert(stat(null, &st) == 0 && S_ISCHR(st.st_mode));
  host_result_free(&r);
  scratch_remove(dir);
}
END_TEST

/* --output naming --weights (or, through a symlink, --input) is refused
 * with exit 2 and the input kept. */
START_TEST(output_that_is_an_input_is_refused) {
  const char *dir = scratch_dir();
  char w[4096], in[4096], weights[4200], input[4200], link[4200];
  size_t n, m;
  unsigned char *original = scratch_read(CASE_PATH(w, "micro", "weights.safetensors"), &n);
  scratch_write(scratch_path(weights, sizeof weights, dir, "w.safetensors"), original, n);
  unsigned char *images = scratch_read(CASE_PATH(in, "micro", "input.safetensors"), &m);
  scratch_write(scratch_path(input, sizeof input, dir, "in.safetensors"), images, m);
  ck_assert_int_eq(symlink("in.safetensors", scratch_path(link, sizeof link, dir, "link")), 0);
  const char *infer[] = {"infer", "--weights", weights, "--input", input, "--output", weights, NULL};
  host_result r = host_run(dir, "micro", infer);
  ck_assert_int_eq(r.status, 2);
  ck_assert_msg(strstr(r.err, "is the same file as --weights"), "%s", r.err);
  host_result_free(&r);
  const char *grad[] = {"grad", "--weights", weights, "--input", input, "--output", link, NULL};
  r = host_run(dir, "micro", grad);
  ck_assert_int_eq(r.status, 2);
  ck_assert_msg(strstr(r.err, "is the same file as --input"), "%s", r.err);
  host_result_free(&r);
  size_t after;
  unsigned char *kept = scratch_read(weights, &after);
  ck_assert(after == n && memcmp(kept, original, n) == 0);
  free(kept), free(original), free(images);
  scratch_remove(dir);
}
END_TEST

/* A plot in a missing folder is refused before the first step, with the
 * reason; no epoch is spent. */
START_TEST(bad_plot_fails_before_training) {
  fault_run f;
  fault_run_init(&f);
  host_result r = host_run(f.dir, "fashion",
                           train_args(&f, (const char *[]){"--plot", "/nonexistent/p.svg", NULL}));
  ck_assert_int_eq(r.status, 1);
  ck_assert_msg(strstr(r.err, "/nonexistent/p.svg: cannot create a temporary file beside it: No "
                              "such file or directory"), "%s", r.err);
  ck_assert_msg(!strstr(r.err, "epoch"), "trained before failing: %s", r.err);
  ck_assert_int_eq(access(f.save, F_OK), -1);
  host_result_free(&r);
  scratch_remove(f.dir);
}
END_TEST

/* A plot that fails after the epoch (a FIFO nobody reads) costs nothing:
 * the checkpoint was saved first, and the message says so. */
START_TEST(late_plot_failure_keeps_the_checkpoint) {
  fault_run f;
  fault_run_init(&f);
  char fifo[4200];
  ck_assert_int_eq(mkfifo(scratch_path(fifo, sizeof fifo, f.dir, "plot.svg"), 0666), 0);
  host_result r = host_run(f.dir, "fashion",
                           train_args(&f, (const char *[]){"--epochs", "1", "--plot", fifo, NULL}));
  ck_assert_int_eq(r.status, 1);
  ck_assert_msg(strstr(r.err, "plot.svg: cannot write: no process is reading the FIFO (the "
                              "checkpoint "), "%s", r.err);
  ck_assert(loads(f.save));
  host_result_free(&r);
  scratch_remove(f.dir);
}
END_TEST

/* An evaluation batch beyond the test split is the split, not an
 * allocation that fails after the first epoch. */
START_TEST(huge_eval_batch_is_the_split) {
  fault_run f;
  fault_run_init(&f);
  host_result r = host_run(f.dir, "fashion",
                           train_args(&f, (const char *[]){"--epochs", "1", "--eval-batch",
                                                           "4000000000000000000", NULL}));
  ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
  ck_assert(loads(f.save));
  host_result_free(&r);
  scratch_remove(f.dir);
}
END_TEST

/* A second run on a checkpoint being trained is refused at once, naming
 * the first; the first, stopped, saves as usual. */
START_TEST(second_run_on_one_checkpoint_is_refused) {
  fault_run f;
  fault_run_init(&f);
  char lock[4300], second_dir[4200];
  snprintf(lock, sizeof lock, "%s.lock", f.save);
  pid_t first = host_start(f.dir, "fashion", train_args(&f, (const char *[]){"--epochs", "1000",
                                                                          NULL}));
  while (access(lock, F_OK) != 0) usleep(1000);
  snprintf(second_dir, sizeof second_dir, "%s", scratch_dir());
  host_result r = host_run(second_dir, "fashion",
                           train_args(&f, (const char *[]){"--epochs", "1", NULL}));
  char holder[64];
  snprintf(holder, sizeof holder, "another run (process %ld) holds ", (long)first);
  ck_assert_int_eq(r.status, 1);
  ck_assert_msg(strstr(r.err, holder), "%s", r.err);
  host_result_free(&r);
  while (access(f.save, F_OK) != 0) usleep(1000);   /* past its setup: stops cleanly */
  kill(first, SIGTERM);
  r = host_wait(f.dir, first);
  ck_assert_msg(r.status == 128 + SIGTERM, "status %d: %s", r.status, r.err);
  ck_assert(loads(f.save));
  ck_assert_int_eq(access(lock, F_OK), -1);
  host_result_free(&r);
  scratch_remove(second_dir);
  scratch_remove(f.dir);
}
END_TEST

/* SIGHUP (the terminal went away) saves and stops like SIGTERM. */
START_TEST(sighup_saves_like_sigterm) {
  fault_run f;
  fault_run_init(&f);
  pid_t pid = host_start(f.dir, "fashion", train_args(&f, (const char *[]){"--epochs", "1000",
                                                                        NULL}));
  while (access(f.save, F_OK) != 0) usleep(1000);
  kill(pid, SIGHUP);
  host_result r = host_wait(f.dir, pid);
  ck_assert_msg(r.status == 128 + SIGHUP, "status %d: %s", r.status, r.err);
  ck_assert_msg(strstr(r.err, "stopped by signal 1; checkpoint saved to "), "%s", r.err);
  ck_assert(loads(f.save));
  host_result_free(&r);
  scratch_remove(f.dir);
}
END_TEST

/* Values that were silently ignored are refused before anything runs. */
START_TEST(ignored_options_are_refused) {
  fault_run f;
  fault_run_init(&f);
  static const struct {
    const char *flag, *value, *message;
  } cases[] = {
      {"--lr", "nan", "option '--lr' expects a finite number, got 'nan'"},
      {"--lr", "inf", "option '--lr' expects a finite number, got 'inf'"},
      {"--epochs", "0", "--epochs 0: must be at least 1"},
      {"--time-budget", "0", "--time-budget 0: must be more than 0 seconds"},
      {"--time-budget", "nan", "option '--time-budget' expects a finite number, got 'nan'"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    host_result r = host_run(f.dir, "fashion",
                             train_args(&f, (const char *[]){cases[i].flag, cases[i].value, NULL}));
    ck_assert_msg(r.status == 2, "%s %s: status %d", cases[i].flag, cases[i].value, r.status);
    ck_assert_msg(strstr(r.err, cases[i].message), "%s", r.err);
    host_result_free(&r);
  }
  static const char *const recipe[][2] = {
      {"--lr", "0.1"}, {"--optimizer", "sgd"}, {"--weight-decay", "0"}, {"--seed", "3"}};
  for (size_t i = 0; i < sizeof recipe / sizeof recipe[0]; i++) {
    host_result r = host_run(f.dir, "fashion",
                             train_args(&f, (const char *[]){"--resume", f.save, recipe[i][0],
                                                             recipe[i][1], NULL}));
    char message[128];
    snprintf(message, sizeof message, "%s cannot change a resumed run", recipe[i][0]);
    ck_assert_msg(r.status == 2 && strstr(r.err, message), "status %d: %s", r.status, r.err);
    host_result_free(&r);
  }
  ck_assert_int_eq(access(f.save, F_OK), -1);
  scratch_remove(f.dir);
}
END_TEST

/* A FIFO where a data file should be is refused, not read forever. */
START_TEST(fifo_in_the_data_folder_is_refused) {
  fault_run f;
  fault_run_init(&f);
  char images[4200];
  scratch_path(images, sizeof images, f.dir, "t10k-images-idx3-ubyte");
  ck_assert_int_eq(unlink(images), 0);
  ck_assert_int_eq(mkfifo(images, 0666), 0);
  char message[4300];
  snprintf(message, sizeof message, "%s: not a regular file (a FIFO)", images);
  host_expect_error(f.dir, "fashion", train_args(&f, NULL), message);
  scratch_remove(f.dir);
}
END_TEST

Suite *faults_suite(void) {
  const TTest *tests[] = {output_device_is_written_through, output_that_is_an_input_is_refused,
                          bad_plot_fails_before_training, late_plot_failure_keeps_the_checkpoint,
                          huge_eval_batch_is_the_split, second_run_on_one_checkpoint_is_refused,
                          sighup_saves_like_sigterm, ignored_options_are_refused,
                          fifo_in_the_data_folder_is_refused};
  return host_suite("faults", tests, sizeof tests / sizeof tests[0]);
}
