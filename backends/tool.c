/* Running `cc` and `ar` without a shell (posix_spawnp with an argument
 * vector), so paths with spaces or quotes need no escaping. */
#include "tool.h"

#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

void strlist_add(StrList *l, const char *s) { vec_push(l, xstrdup(s)); }

void strlist_addf(StrList *l, const char *fmt, ...) {
  StrBuf sb = {0};
  va_list ap;
  va_start(ap, fmt);
  sb_vprintf(&sb, fmt, ap);
  va_end(ap);
  vec_push(l, sb_take(&sb));
}

void strlist_add_words(StrList *l, const char *space_separated) {
  const char *p = space_separated;
  while (*p) {
    while (*p == ' ') p++;
    size_t n = strcspn(p, " ");
    if (n) vec_push(l, xstrndup(p, n));
    p += n;
  }
}

void strlist_free(StrList *l) {
  for (int i = 0; i < l->len; i++) free(l->items[i]);
  vec_free(l);
}

static char *command_text(const StrList *argv) {
  StrBuf sb = {0};
  for (int i = 0; i < argv->len; i++) sb_printf(&sb, "%s%s", i ? " " : "", argv->items[i]);
  return sb_take(&sb);
}

bool run_tool(const StrList *argv, Diag *d) {
  char **args = xcalloc((size_t)argv->len + 1, sizeof *args);
  memcpy(args, argv->items, (size_t)argv->len * sizeof *args);
  pid_t pid;
  int err = posix_spawnp(&pid, args[0], NULL, NULL, args, environ);
  free(args);
  int status = 0;
  if (err == 0) {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (err == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  char *cmd = command_text(argv);
  if (err)
    diag(d, DIAG_ERROR, "cannot run '%s': %s", argv->items[0], strerror(err));
  else if (WIFEXITED(status))
    diag(d, DIAG_ERROR, "'%s' failed with exit status %d", cmd, WEXITSTATUS(status));
  else
    diag(d, DIAG_ERROR, "'%s' was killed by signal %d", cmd, WTERMSIG(status));
  free(cmd);
  return false;
}

bool tempdir_make(TempDir *t, Diag *d) {
  memset(t, 0, sizeof *t);
  const char *base = getenv("TMPDIR");
  char *pattern = xasprintf("%s/cratec-XXXXXX", base && *base ? base : "/tmp");
  if (!mkdtemp(pattern)) {
    diag(d, DIAG_ERROR, "cannot create a temporary directory %s: %s", pattern, strerror(errno));
    free(pattern);
    return false;
  }
  t->path = pattern;
  return true;
}

const char *tempdir_file(TempDir *t, const char *name) {
  vec_push(&t->files, xasprintf("%s/%s", t->path, name));
  return t->files.items[t->files.len - 1];
}

void tempdir_remove(TempDir *t) {
  for (int i = 0; i < t->files.len; i++) unlink(t->files.items[i]);
  strlist_free(&t->files);
  if (t->path) rmdir(t->path);
  free(t->path);
  t->path = NULL;
}
