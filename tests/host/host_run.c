#include "host_run.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "scratch.h"

extern char **environ;

pid_t host_start(const char *dir, const char *exe, const char *const *args) {
  char path[4096], out[4096], err[4096];
  snprintf(path, sizeof path, "%s/host_%s", HOST_BIN_DIR, exe);
  const char *argv[64] = {path};
  int n = 1;
  for (; args[n - 1]; n++) {
    ck_assert_int_lt(n, 63);
    argv[n] = args[n - 1];
  }
  argv[n] = NULL;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, scratch_path(out, sizeof out, dir, "stdout"),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, scratch_path(err, sizeof err, dir, "stderr"),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid;
  int rc = posix_spawn(&pid, path, &fa, NULL, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  ck_assert_msg(rc == 0, "cannot start %s", path);
  return pid;
}

static char *read_text(const char *dir, const char *name) {
  char path[4096];
  size_t size;
  unsigned char *data = scratch_read(scratch_path(path, sizeof path, dir, name), &size);
  char *text = realloc(data, size + 1);
  text[size] = 0;
  return text;
}

host_result host_wait(const char *dir, pid_t pid) {
  int status;
  struct rusage usage;
  ck_assert_int_eq(wait4(pid, &status, 0, &usage), pid);
  host_result r = {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), NULL, NULL,
                   usage.ru_maxrss};
  r.out = read_text(dir, "stdout");
  r.err = read_text(dir, "stderr");
  /* error paths exit non-zero anyway: a leak or UB report must not hide there */
  ck_assert_msg(!strstr(r.err, "Sanitizer") && !strstr(r.err, "runtime error:"), "%s", r.err);
  return r;
}

host_result host_run(const char *dir, const char *exe, const char *const *args) {
  return host_wait(dir, host_start(dir, exe, args));
}

void host_result_free(host_result *r) {
  free(r->out), free(r->err);
  r->out = r->err = NULL;
}

void host_expect_error(const char *dir, const char *exe, const char *const *args,
                       const char *text) {
  host_result r = host_run(dir, exe, args);
  ck_assert_msg(r.status > 0 && r.status < 128, "exit status %d, stderr: %s", r.status, r.err);
  ck_assert_msg(strstr(r.err, text), "stderr lacks '%s': %s", text, r.err);
  host_result_free(&r);
}

Suite *host_suite(const char *name, const TTest *const *tests, int count) {
  Suite *s = suite_create(name);
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 600);
  for (int i = 0; i < count; i++) tcase_add_test(tc, tests[i]);
  suite_add_tcase(s, tc);
  return s;
}
