/* Progress display and metrics log: the plain-line output (not a terminal),
 * the live line's redraw rate, with a clock the test moves by hand; and the
 * CSV log's header, rows, appending and refusals. */
#include "cratert_host.h"
#include "run_suite.h"
#include "scratch.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static double fake_now;
static double fake_clock(void) { return fake_now; }

/* The text written to FP since it was opened. */
static char *contents(FILE *fp) {
  fflush(fp);
  long n = ftell(fp);
  char *text = calloc((size_t)n + 1, 1);
  rewind(fp);
  ck_assert_uint_eq(fread(text, 1, (size_t)n, fp), (size_t)n);
  return text;
}

START_TEST(plain_lines_when_not_a_terminal) {
  FILE *fp = tmpfile();
  crt_progress p;
  crt_progress_init(&p, fp, 2, 20);
  ck_assert(!p.live);
  ck_assert_int_eq(p.log_every, 2);
  p.log_every = 10;
  p.clock = fake_clock;
  fake_now = 100;
  crt_progress_start_epoch(&p, 1);
  for (int s = 0; s < 20; s++) {
    fake_now += 0.5;   /* 64 images per half second */
    crt_progress_step(&p, 1.0 + s % 2, 64);
  }
  crt_progress_end_epoch(&p, "accuracy 0.8750");
  char *text = contents(fp);
  /* Step 10 of 20 of the last epoch: 5 s so far, 5 s to go. */
  ck_assert_str_eq(text,
                   "epoch 2/2  step 10/20  loss 1.5000  128.0 images/s  ETA 0:05\n"
                   "epoch 2/2  step 20/20  loss 1.5000  128.0 images/s  ETA 0:00  accuracy 0.8750\n");
  free(text);
  fclose(fp);
}
END_TEST

START_TEST(eta_spans_the_remaining_epochs) {
  FILE *fp = tmpfile();
  crt_progress p;
  crt_progress_init(&p, fp, 100, 1000);
  p.clock = fake_clock;
  fake_now = 0;
  crt_progress_start_epoch(&p, 0);
  for (int s = 0; s < 100; s++) {
    fake_now += 0.25;
    crt_progress_step(&p, 2.5, 32);
  }
  char *text = contents(fp);
  /* 99900 steps left at 0.25 s: 24975 s. */
  ck_assert_str_eq(text, "epoch 1/100  step 100/1000  loss 2.5000  128.0 images/s  ETA 6:56:15\n");
  free(text);
  fclose(fp);
}
END_TEST

START_TEST(live_line_redraws_at_most_ten_times_a_second) {
  FILE *fp = tmpfile();
  crt_progress p;
  crt_progress_init(&p, fp, 1, 1000);
  p.live = true;   /* as on a terminal */
  p.clock = fake_clock;
  fake_now = 0;
  crt_progress_start_epoch(&p, 0);
  for (int s = 0; s < 1000; s++) {
    fake_now += 0.001;   /* one second in all */
    crt_progress_step(&p, 0.5, 8);
  }
  crt_progress_end_epoch(&p, NULL);
  char *text = contents(fp);
  int redraws = 0, newlines = 0;
  for (const char *c = text; *c; c++) {
    redraws += *c == '\r';
    newlines += *c == '\n';
  }
  /* Ten timed redraws, the last step's and the epoch's end. */
  ck_assert_int_ge(redraws, 10);
  ck_assert_int_le(redraws, 12);
  ck_assert_int_eq(newlines, 1);
  const char *last = strrchr(text, '\r');
  ck_assert_str_eq(last, "\r\033[Kepoch 1/1  step 1000/1000  loss 0.5000  8000.0 images/s  ETA 0:00\n");
  free(text);
  fclose(fp);
}
END_TEST

START_TEST(metrics_csv_header_once_rows_flushed) {
  const char *dir = scratch_dir();
  char path[4200];
  scratch_path(path, sizeof path, dir, "metrics.csv");
  static const char *const columns[] = {"epoch", "step", "loss", "accuracy", "lr",
                                        "images_per_s", NULL};
  crt_metrics m;
  crt_error e = {{0}};
  ck_assert_msg(crt_metrics_open(&m, path, columns, &e) == 0, "%s", e.msg);
  ck_assert_int_eq(crt_metrics_write(&m, (const double[]){0, 468, 0.6931471806, 0.5, 2e-4, 1234.5}, &e), 0);
  /* Flushed: readable before the log is closed. */
  size_t size;
  char *text = (char *)scratch_read(path, &size);
  ck_assert_uint_eq(size, strlen("epoch,step,loss,accuracy,lr,images_per_s\n0,468,0.6931471806,0.5,0.0002,1234.5\n"));
  free(text);
  crt_metrics_close(&m);

  /* A resumed run appends under the same header. */
  ck_assert_msg(crt_metrics_open(&m, path, columns, &e) == 0, "%s", e.msg);
  ck_assert_int_eq(crt_metrics_write(&m, (const double[]){1, 936, 0.25, 0.875, 1e-4, 1500}, &e), 0);
  crt_metrics_close(&m);
  text = (char *)scratch_read(path, &size);
  text = realloc(text, size + 1);
  text[size] = '\0';
  ck_assert_str_eq(text, "epoch,step,loss,accuracy,lr,images_per_s\n"
                         "0,468,0.6931471806,0.5,0.0002,1234.5\n"
                         "1,936,0.25,0.875,0.0001,1500\n");
  free(text);

  static const char *const other[] = {"epoch", "loss", NULL};
  ck_assert_int_eq(crt_metrics_open(&m, path, other, &e), -1);
  char expected[8400];
  snprintf(expected, sizeof expected, "%s: the log has columns "
           "'epoch,step,loss,accuracy,lr,images_per_s', not 'epoch,loss'", path);
  ck_assert_str_eq(e.msg, expected);
  ck_assert_ptr_null(m.file);

  static const char *const bad[] = {"epoch", "loss,mean", NULL};
  ck_assert_int_eq(crt_metrics_open(&m, path, bad, &e), -1);
  ck_assert_ptr_nonnull(strstr(e.msg, "column name 'loss,mean' must be non-empty, without commas"));
  ck_assert_int_eq(crt_metrics_open(&m, "/nonexistent/m.csv", columns, &e), -1);
  ck_assert_str_eq(e.msg, "/nonexistent/m.csv: cannot open: No such file or directory");
  scratch_remove(dir);
}
END_TEST

int main(void) {
  Suite *s = suite_create("progress");
  TCase *tc = tcase_create("progress");
  tcase_add_test(tc, plain_lines_when_not_a_terminal);
  tcase_add_test(tc, eta_spans_the_remaining_epochs);
  tcase_add_test(tc, live_line_redraws_at_most_ten_times_a_second);
  tcase_add_test(tc, metrics_csv_header_once_rows_flushed);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
