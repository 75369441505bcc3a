/* Fault tests of the runtime's files (runtime/files.c): outputs never
 * replace a device, FIFO or symlink; inputs that are not regular files are
 * refused without blocking; an output that is an input is refused; killed
 * writers' temporaries are cleaned up; a checkpoint lock excludes a second
 * run. Devices and FIFOs are made in a scratch folder, never /dev. */
#include "cratert_host.h"
#include "run_suite.h"
#include "scratch.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static const float values[4] = {1, 2, 3, 4};
static const crt_tensor tensor = {"x", CRT_F32, 1, {4}, values, sizeof values};

static mode_t kind_of(const char *path) {
  struct stat st;
  ck_assert_int_eq(lstat(path, &st), 0);
  return st.st_mode & S_IFMT;
}

/* Whether PATH holds the file crt_st_write makes of TENSOR. */
static bool holds_tensor(const char *path) {
  crt_error e;
  crt_st_file *f = crt_st_open(path, &e);
  bool ok = f && crt_st_find(f, "x") && memcmp(crt_st_find(f, "x")->data, values, sizeof values) == 0;
  crt_st_close(f);
  return ok;
}

/* A PID no process has: a child that has exited and been reaped. */
static pid_t dead_pid(void) {
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) _exit(0);
  ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
  return pid;
}

/* A character device (the null device's numbers) written through, as root
 * on /dev/null itself once replaced the system's. */
START_TEST(output_writes_through_a_device) {
  const char *dir = scratch_dir();
  char path[4200];
  scratch_path(path, sizeof path, dir, "null");
  ck_assert_msg(mknod(path, S_IFCHR | 0666, makedev(1, 3)) == 0, "mknod: %s", strerror(errno));
  crt_error e;
  ck_assert_msg(crt_st_write(path, &tensor, 1, NULL, &e) == 0, "%s", e.msg);
  ck_assert_int_eq(kind_of(path), S_IFCHR);
  ck_assert_int_eq(scratch_entries(dir), 1);
  scratch_remove(dir);
}
END_TEST

/* A FIFO with a reader gets the bytes; without one the write fails at once. */
START_TEST(output_writes_through_a_fifo) {
  const char *dir = scratch_dir();
  char path[4200];
  scratch_path(path, sizeof path, dir, "fifo");
  ck_assert_int_eq(mkfifo(path, 0666), 0);
  crt_error e;
  ck_assert_int_eq(crt_st_write(path, &tensor, 1, NULL, &e), -1);
  ck_assert_msg(strstr(e.msg, "fifo: cannot write: no process is reading the FIFO"), "%s", e.msg);

  int reader = open(path, O_RDONLY | O_NONBLOCK);   /* the file fits in the pipe's buffer */
  ck_assert_int_ge(reader, 0);
  ck_assert_msg(crt_st_write(path, &tensor, 1, NULL, &e) == 0, "%s", e.msg);
  unsigned char bytes[4096];
  ssize_t n = read(reader, bytes, sizeof bytes);
  close(reader);
  crt_st_file *f = crt_st_open_memory(bytes, n > 0 ? (size_t)n : 0, "fifo", &e);
  ck_assert_msg(f && crt_st_find(f, "x"), "%s", e.msg);
  crt_st_close(f);
  ck_assert_int_eq(kind_of(path), S_IFIFO);
  ck_assert_int_eq(scratch_entries(dir), 1);
  scratch_remove(dir);
}
END_TEST

/* The file a symlink names is replaced (even one not there yet); the link
 * stays a link. */
START_TEST(output_follows_symlinks) {
  const char *dir = scratch_dir();
  char link[4200], target[4200], dangling[4200];
  scratch_path(link, sizeof link, dir, "link.safetensors");
  scratch_path(target, sizeof target, dir, "target.safetensors");
  scratch_path(dangling, sizeof dangling, dir, "dangling.safetensors");
  scratch_write(target, "old", 3);
  ck_assert_int_eq(symlink("target.safetensors", link), 0);
  ck_assert_int_eq(symlink("later.safetensors", dangling), 0);
  crt_error e;
  ck_assert_msg(crt_st_write(link, &tensor, 1, NULL, &e) == 0, "%s", e.msg);
  ck_assert_msg(crt_st_write(dangling, &tensor, 1, NULL, &e) == 0, "%s", e.msg);
  ck_assert_int_eq(kind_of(link), S_IFLNK);
  ck_assert_int_eq(kind_of(dangling), S_IFLNK);
  ck_assert(holds_tensor(target));
  ck_assert(holds_tensor(dangling));
  ck_assert_int_eq(scratch_entries(dir), 4);
  scratch_remove(dir);
}
END_TEST

START_TEST(output_keeps_permissions) {
  const char *dir = scratch_dir();
  char path[4200];
  scratch_path(path, sizeof path, dir, "private.safetensors");
  scratch_write(path, "old", 3);
  ck_assert_int_eq(chmod(path, 0600), 0);
  crt_error e;
  ck_assert_msg(crt_st_write(path, &tensor, 1, NULL, &e) == 0, "%s", e.msg);
  struct stat st;
  ck_assert_int_eq(stat(path, &st), 0);
  ck_assert_int_eq(st.st_mode & 07777, 0600);
  scratch_remove(dir);
}
END_TEST

/* TARGET.tmp.PID.N of a dead PID goes with the next write of TARGET; a live
 * process's, and other files', stay. */
START_TEST(stale_temporaries_are_removed) {
  const char *dir = scratch_dir();
  char path[4200], stale[4300], live[4300], other[4300];
  scratch_path(path, sizeof path, dir, "ck.safetensors");
  snprintf(stale, sizeof stale, "%s.tmp.%ld.3", path, (long)dead_pid());
  snprintf(live, sizeof live, "%s.tmp.%ld.7", path, (long)getpid());
  snprintf(other, sizeof other, "%s/other.safetensors.tmp.%ld.0", dir, (long)dead_pid());
  scratch_write(stale, "half", 4);
  scratch_write(live, "busy", 4);
  scratch_write(other, "else", 4);
  crt_error e;
  ck_assert_msg(crt_st_write(path, &tensor, 1, NULL, &e) == 0, "%s", e.msg);
  ck_assert_int_eq(access(stale, F_OK), -1);
  ck_assert_int_eq(access(live, F_OK), 0);
  ck_assert_int_eq(access(other, F_OK), 0);
  scratch_remove(dir);
}
END_TEST

/* Opening a FIFO for reading would wait for a writer forever. */
START_TEST(inputs_must_be_regular_files) {
  const char *dir = scratch_dir();
  char fifo[4200], log[4200], expected[4400];
  scratch_path(fifo, sizeof fifo, dir, "fifo");
  scratch_path(log, sizeof log, dir, "log.csv");
  ck_assert_int_eq(mkfifo(fifo, 0666), 0);
  crt_error e;   /* a hang would fail by Check's timeout */
  snprintf(expected, sizeof expected, "%s: not a regular file (a FIFO)", fifo);
  ck_assert_ptr_null(crt_st_open(fifo, &e));
  ck_assert_str_eq(e.msg, expected);
  crt_dataset d;
  ck_assert_int_eq(crt_dataset_load_idx(&d, fifo, fifo, 10, &e), -1);
  ck_assert_str_eq(e.msg, expected);
  crt_metrics m;
  const char *const columns[] = {"epoch", NULL};
  ck_assert_int_eq(crt_metrics_open(&m, fifo, columns, &e), -1);
  ck_assert_str_eq(e.msg, expected);
  ck_assert_int_eq(symlink("fifo", log), 0);
  ck_assert_int_eq(crt_open_regular(log, O_RDONLY, &e), -1);
  scratch_remove(dir);
}
END_TEST

START_TEST(same_file_is_found) {
  const char *dir = scratch_dir();
  char a[4200], hard[4200], soft[4200], b[4200], fresh[4200], fresh2[4200];
  scratch_path(a, sizeof a, dir, "a");
  scratch_path(hard, sizeof hard, dir, "hard");
  scratch_path(soft, sizeof soft, dir, "soft");
  scratch_path(b, sizeof b, dir, "b");
  scratch_path(fresh, sizeof fresh, dir, "fresh");
  snprintf(fresh2, sizeof fresh2, "%s/./fresh", dir);
  scratch_write(a, "a", 1);
  scratch_write(b, "b", 1);
  ck_assert_int_eq(link(a, hard), 0);
  ck_assert_int_eq(symlink("a", soft), 0);
  ck_assert(crt_same_file(a, hard) && crt_same_file(a, soft));
  ck_assert(crt_same_file(fresh, fresh2));   /* two outputs not written yet */
  ck_assert(!crt_same_file(a, b) && !crt_same_file(a, fresh));

  crt_error e;
  const crt_file_use uses[] = {{"--output", soft, true}, {"--input", b, false},
                               {"--weights", hard, false}};
  ck_assert_int_eq(crt_check_file_uses(uses, 3, &e), -1);
  char expected[13000];
  snprintf(expected, sizeof expected,
           "--output %s is the same file as --weights %s: writing it would destroy the input",
           soft, hard);
  ck_assert_str_eq(e.msg, expected);
  const crt_file_use outputs[] = {{"--log", fresh, true}, {"--plot", fresh2, true},
                                  {"--weights", NULL, false}};
  ck_assert_int_eq(crt_check_file_uses(outputs, 3, &e), -1);
  ck_assert_ptr_nonnull(strstr(e.msg, "would destroy the other output"));
  ck_assert_int_eq(crt_check_file_uses(uses + 1, 2, &e), 0);   /* inputs may coincide */
  scratch_remove(dir);
}
END_TEST

START_TEST(output_check_touches_nothing) {
  const char *dir = scratch_dir();
  char path[4200], fifo[4200];
  scratch_path(path, sizeof path, dir, "plot.svg");
  scratch_path(fifo, sizeof fifo, dir, "fifo");
  crt_error e;
  ck_assert_msg(crt_output_check(path, &e) == 0, "%s", e.msg);
  ck_assert_int_eq(scratch_entries(dir), 0);
  ck_assert_int_eq(crt_output_check("/nonexistent/p.svg", &e), -1);
  ck_assert_str_eq(e.msg, "/nonexistent/p.svg: cannot create a temporary file beside it: No "
                          "such file or directory");
  ck_assert_int_eq(crt_output_check(dir, &e), -1);
  ck_assert_ptr_nonnull(strstr(e.msg, ": cannot write: Is a directory"));
  ck_assert_int_eq(mkfifo(fifo, 0666), 0);
  ck_assert_msg(crt_output_check(fifo, &e) == 0, "%s", e.msg);   /* a reader may come later */
  ck_assert_int_eq(scratch_entries(dir), 1);
  scratch_remove(dir);
}
END_TEST

/* A second lock on one checkpoint is refused, naming the holder; released,
 * the lock file goes and the next run gets it. */
START_TEST(checkpoint_lock_excludes_a_second_run) {
  const char *dir = scratch_dir();
  char path[4200], expected[9000];
  scratch_path(path, sizeof path, dir, "ck.safetensors");
  crt_lock first, second;
  crt_error e;
  ck_assert_msg(crt_lock_open(&first, path, &e) == 0, "%s", e.msg);
  ck_assert_int_eq(crt_lock_open(&second, path, &e), -1);
  snprintf(expected, sizeof expected,
           "%s: another run (process %ld) holds %s.lock and is writing this checkpoint; wait "
           "for it to finish or save elsewhere", path, (long)getpid(), path);
  ck_assert_str_eq(e.msg, expected);
  crt_lock_release(&second);   /* refused: holds nothing */
  crt_lock_release(&first);
  ck_assert_int_eq(scratch_entries(dir), 0);
  ck_assert_msg(crt_lock_open(&second, path, &e) == 0, "%s", e.msg);
  crt_lock_release(&second);
  scratch_remove(dir);
}
END_TEST

static Suite *files_suite(void) {
  Suite *s = suite_create("files");
  TCase *tc = tcase_create("faults");
  tcase_add_test(tc, output_writes_through_a_device);
  tcase_add_test(tc, output_writes_through_a_fifo);
  tcase_add_test(tc, output_follows_symlinks);
  tcase_add_test(tc, output_keeps_permissions);
  tcase_add_test(tc, stale_temporaries_are_removed);
  tcase_add_test(tc, inputs_must_be_regular_files);
  tcase_add_test(tc, same_file_is_found);
  tcase_add_test(tc, output_check_touches_nothing);
  tcase_add_test(tc, checkpoint_lock_excludes_a_second_run);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return run_suite(files_suite()); }
