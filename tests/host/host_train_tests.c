/* train, eval and classify on a synthetic IDX data set written per test. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host_run.h"
#include "idx_writer.h"
#include "scratch.h"

enum { TRAIN_IMAGES = 512, TEST_IMAGES = 128 };

typedef struct run_paths {
  const char *dir;
  char data[4200], save[4200], log[4200], plot[4200];
} run_paths;

static void paths_init(run_paths *p, const char *dir) {
  p->dir = dir;
  snprintf(p->data, sizeof p->data, "fashion-mnist:%s", dir);
  scratch_path(p->save, sizeof p->save, dir, "ck.safetensors");
  scratch_path(p->log, sizeof p->log, dir, "log.csv");
  scratch_path(p->plot, sizeof p->plot, dir, "ck.svg");
  idx_write_dataset(dir, TRAIN_IMAGES, TEST_IMAGES);
}

/* Column COL of every data row of a CSV log; returns the row count. */
static int csv_column(const char *path, const char *col, double *out, int max) {
  FILE *f = fopen(path, "r");
  ck_assert_ptr_nonnull(f);
  char line[4096];
  ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
  int index = -1, k = 0;
  for (char *tok = strtok(line, ",\n"); tok; tok = strtok(NULL, ",\n"), k++)
    if (strcmp(tok, col) == 0) index = k;
  ck_assert_msg(index >= 0, "%s: no column '%s'", path, col);
  int rows = 0;
  while (rows < max && fgets(line, sizeof line, f)) {
    char *p = line;
    for (int i = 0; i < index; i++) p = strchr(p, ',') + 1;
    out[rows++] = strtod(p, NULL);
  }
  fclose(f);
  return rows;
}

/* Every weight of two checkpoints, bit for bit. */
static void assert_same_weights(const char *a_path, const char *b_path) {
  crt_error e;
  crt_st_file *a = crt_st_open(a_path, &e), *b = crt_st_open(b_path, &e);
  ck_assert_msg(a && b, "%s", e.msg);
  ck_assert_int_eq(crt_st_count(a), crt_st_count(b));
  for (int i = 0; i < crt_st_count(a); i++) {
    const crt_tensor *x = crt_st_at(a, i), *y = crt_st_find(b, x->name);
    ck_assert_ptr_nonnull(y);
    ck_assert_uint_eq(x->nbytes, y->nbytes);
    ck_assert_msg(memcmp(x->data, y->data, x->nbytes) == 0, "tensor '%s' differs", x->name);
  }
  crt_st_close(a), crt_st_close(b);
}

static host_result train(const run_paths *p, const char *save, const char *const *extra) {
  const char *args[32] = {"train", "--data", p->data, "--save", save, "--threads", "1"};
  int n = 7;
  for (; extra && *extra; extra++) args[n++] = *extra;
  args[n] = NULL;
  return host_run(p->dir, "fashion", args);
}

START_TEST(train_lowers_loss) {
  run_paths p;
  paths_init(&p, scratch_dir());
  host_result r = train(&p, p.save, (const char *[]){"--log", p.log, "--log-rate", NULL});
  ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
  ck_assert_ptr_nonnull(strstr(r.out, "test accuracy: "));
  double loss[8], acc[8], rc[8], nonzero[8];
  ck_assert_int_eq(csv_column(p.log, "loss", loss, 8), 3);   /* the model's 3 epochs */
  ck_assert_msg(loss[2] < 0.8 * loss[0], "loss %g -> %g", loss[0], loss[2]);
  ck_assert_int_eq(csv_column(p.log, "test_accuracy", acc, 8), 3);
  ck_assert_msg(acc[2] > 0.5, "test accuracy %g after 3 epochs", acc[2]);
  ck_assert_int_eq(csv_column(p.log, "rc_1", rc, 8), 3);
  ck_assert_int_eq(csv_column(p.log, "nonzero_1", nonzero, 8), 3);
  ck_assert(rc[2] > 0 && nonzero[2] > 0 && nonzero[2] <= 1);
  size_t size;
  char *svg = (char *)scratch_read(p.plot, &size);
  ck_assert_msg(size > 100 && strstr(svg, "<svg") && strstr(svg, "coding rate") &&
                    strstr(svg, "</svg>"), "plot %s", p.plot);
  free(svg);
  host_result_free(&r);
  scratch_remove(p.dir);
}
END_TEST

START_TEST(train_is_reproducible) {
  run_paths p;
  paths_init(&p, scratch_dir());
  char again[4200], other[4200];
  scratch_path(again, sizeof again, p.dir, "again.safetensors");
  scratch_path(other, sizeof other, p.dir, "other.safetensors");
  const char *two[] = {"--epochs", "2", NULL};
  host_result a = train(&p, p.save, two), b = train(&p, again, two);
  host_result c = train(&p, other, (const char *[]){"--epochs", "2", "--seed", "8", NULL});
  ck_assert_msg(a.status == 0 && b.status == 0 && c.status == 0, "%s", a.err);
  size_t na, nb, nc;
  unsigned char *x = scratch_read(p.save, &na), *y = scratch_read(again, &nb);
  unsigned char *z = scratch_read(other, &nc);
  ck_assert(na == nb && memcmp(x, y, na) == 0);
  ck_assert(na != nc || memcmp(x, z, na) != 0);
  free(x), free(y), free(z);
  host_result_free(&a), host_result_free(&b), host_result_free(&c);
  scratch_remove(p.dir);
}
END_TEST

/* SIGINT once the first epoch's checkpoint exists; the run saves at the
 * next step and exits 130; --resume finishes with the weights of a run
 * never interrupted. */
START_TEST(interrupted_run_resumes_exactly) {
  run_paths p;
  paths_init(&p, scratch_dir());
  char straight[4200];
  scratch_path(straight, sizeof straight, p.dir, "straight.safetensors");
  host_result a = train(&p, straight, NULL);
  ck_assert_msg(a.status == 0, "%s", a.err);
  const char *args[] = {"train", "--data", p.data, "--save", p.save, "--threads", "1",
                        "--log", p.log, NULL};
  pid_t pid = host_start(p.dir, "fashion", args);
  while (access(p.save, F_OK) != 0) usleep(1000);
  kill(pid, SIGINT);
  host_result b = host_wait(p.dir, pid);
  ck_assert_msg(b.status == 130, "status %d: %s", b.status, b.err);
  ck_assert_ptr_nonnull(strstr(b.err, "stopped by signal 2"));
  const char *resume[] = {"--resume", p.save, "--log", p.log, NULL};
  host_result c = train(&p, p.save, resume);
  ck_assert_msg(c.status == 0, "status %d: %s", c.status, c.err);
  assert_same_weights(straight, p.save);
  double epochs[8];
  ck_assert_int_eq(csv_column(p.log, "epoch", epochs, 8), 3);   /* one row per epoch */
  host_result_free(&a), host_result_free(&b), host_result_free(&c);
  scratch_remove(p.dir);
}
END_TEST

START_TEST(time_budget_stops_cleanly) {
  run_paths p;
  paths_init(&p, scratch_dir());
  host_result r = train(&p, p.save, (const char *[]){"--epochs", "100000", "--time-budget",
                                                    "0.3", NULL});
  ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
  ck_assert_ptr_nonnull(strstr(r.err, "time budget of 0.3 s used"));
  ck_assert_ptr_nonnull(strstr(r.out, "test accuracy: "));
  ck_assert_int_eq(access(p.save, F_OK), 0);
  ck_assert_int_eq(access(p.plot, F_OK), 0);
  host_result_free(&r);
  scratch_remove(p.dir);
}
END_TEST

/* eval of the final checkpoint repeats train's last evaluation; classify
 * prints a line per image. */
START_TEST(eval_and_classify) {
  run_paths p;
  paths_init(&p, scratch_dir());
  host_result r = train(&p, p.save, (const char *[]){"--epochs", "2", NULL});
  ck_assert_msg(r.status == 0, "%s", r.err);
  double trained;
  ck_assert_int_eq(sscanf(strstr(r.out, "test accuracy: "), "test accuracy: %lf", &trained), 1);
  host_result ev = host_run(p.dir, "fashion",
                            (const char *[]){"eval", "--weights", p.save, "--data", p.data,
                                             "--batch", "50", NULL});
  ck_assert_msg(ev.status == 0, "%s", ev.err);
  double accuracy, loss;
  ck_assert_int_eq(sscanf(strstr(ev.out, "accuracy: "), "accuracy: %lf\nloss: %lf", &accuracy,
                          &loss), 2);
  ck_assert_double_eq_tol(accuracy, trained, 1e-9);
  ck_assert(loss > 0 && loss < 3);
  host_result cl = host_run(p.dir, "fashion",
                            (const char *[]){"classify", "--weights", p.save, "--data", p.data,
                                             "--count", "5", NULL});
  ck_assert_msg(cl.status == 0, "%s", cl.err);
  ck_assert_ptr_nonnull(strstr(cl.out, "image 4: predicted "));
  ck_assert_ptr_null(strstr(cl.out, "image 5:"));
  ck_assert_ptr_nonnull(strstr(cl.out, " of 5\n"));
  host_result_free(&r), host_result_free(&ev), host_result_free(&cl);
  scratch_remove(p.dir);
}
END_TEST

/* A model with 5 classes trains and evaluates on a 5-class data set, and
 * refuses a 10-class one naming the labels file. */
START_TEST(five_classes) {
  run_paths p;
  paths_init(&p, scratch_dir());
  host_result ten = host_run(p.dir, "fashion5",
                             (const char *[]){"train", "--data", p.data, "--save", p.save, NULL});
  ck_assert_int_eq(ten.status, 1);
  ck_assert_msg(strstr(ten.err, "train-labels-idx1-ubyte.gz: label ") &&
                    strstr(ten.err, " is not below the 5 classes"), "%s", ten.err);
  idx_write_classes(p.dir, TRAIN_IMAGES, TEST_IMAGES, 5);
  host_result r = host_run(p.dir, "fashion5",
                           (const char *[]){"train", "--data", p.data, "--save", p.save,
                                            "--threads", "1", "--epochs", "2", NULL});
  ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
  double trained;
  ck_assert_int_eq(sscanf(strstr(r.out, "test accuracy: "), "test accuracy: %lf", &trained), 1);
  ck_assert_msg(trained > 0.5, "test accuracy %g", trained);
  host_result ev = host_run(p.dir, "fashion5",
                            (const char *[]){"eval", "--weights", p.save, "--data", p.data, NULL});
  ck_assert_msg(ev.status == 0, "%s", ev.err);
  double accuracy;
  ck_assert_int_eq(sscanf(strstr(ev.out, "accuracy: "), "accuracy: %lf", &accuracy), 1);
  ck_assert_double_eq_tol(accuracy, trained, 1e-9);
  host_result cl = host_run(p.dir, "fashion5",
                            (const char *[]){"classify", "--weights", p.save, "--data", p.data,
                                             "--count", "3", NULL});
  ck_assert_msg(cl.status == 0 && strstr(cl.out, "image 2: predicted "), "%s", cl.err);
  host_result_free(&ten), host_result_free(&r), host_result_free(&ev), host_result_free(&cl);
  scratch_remove(p.dir);
}
END_TEST

/* The normalisation line of `eval` on P's data with the weights in P->save, by EXE. */
static char *eval_normalisation(const run_paths *p, const char *exe) {
  host_result ev = host_run(p->dir, exe,
                            (const char *[]){"eval", "--weights", p->save, "--data", p->data, NULL});
  ck_assert_msg(ev.status == 0, "%s: %s", exe, ev.err);
  const char *line = strstr(ev.out, "normalisation: ");
  ck_assert_msg(line != NULL, "%s", ev.out);
  char *copy = strndup(line, strcspn(line, "\n"));
  host_result_free(&ev);
  return copy;
}

/* A model's own normalisation (mean 0.5, std 0.25 in its description)
 * replaces the data set's (0.2860, 0.3530) when the data is loaded. The
 * losses cannot show it: the patch embedding's LayerNorm undoes any affine
 * map of a one-channel patch, up to its eps. */
START_TEST(model_normalisation_reaches_the_data) {
  run_paths p;
  paths_init(&p, scratch_dir());
  host_result r = train(&p, p.save, (const char *[]){"--epochs", "1", NULL});
  ck_assert_msg(r.status == 0, "%s", r.err);
  char *own = eval_normalisation(&p, "fashion"), *declared = eval_normalisation(&p, "fashion_norm");
  ck_assert_str_eq(own, "normalisation: ((x / 255) - mean) / std, mean (0.286), std (0.353), the data set's");
  ck_assert_str_eq(declared, "normalisation: ((x / 255) - mean) / std, mean (0.5), std (0.25), the model's");
  free(own), free(declared);
  host_result_free(&r);
  scratch_remove(p.dir);
}
END_TEST

Suite *train_suite(void) {
  const TTest *tests[] = {train_lowers_loss, train_is_reproducible, interrupted_run_resumes_exactly,
                          time_budget_stops_cleanly, eval_and_classify, five_classes,
                          model_normalisation_reaches_the_data};
  return host_suite("train", tests, sizeof tests / sizeof tests[0]);
}
