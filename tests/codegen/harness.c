#include "harness.h"

#include <check.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

char *emit_to_temp(const LModule *m, const char *backend, BackendOptions *options, const char *file_name) {
  char dir[] = "/tmp/cratec-test-XXXXXX";
  ck_assert(mkdtemp(dir) != NULL);
  char *path = xasprintf("%s/%s", dir, file_name);
  options->output = path;
  const Backend *b = backend_find(backend);
  ck_assert_msg(b != NULL, "no backend '%s'", backend);
  char *msgs = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&msgs, &len);
  Diag d;
  diag_init(&d, f);
  bool ok = b->emit(m, options, &d);
  fclose(f);
  ck_assert_msg(ok, "%s backend failed to emit %s:\n%s", backend, emit_kind_name(options->emit), msgs);
  free(msgs);
  return path;
}

void load_module(const LModule *m, const char *backend, Loaded *out) {
  Target t;
  target_detect_host(&t);
  BackendOptions o = {.emit = EMIT_SHARED, .opt_level = 2, .target = &t, .runtime_from_loader = true};
  char *path = emit_to_temp(m, backend, &o, "kernels.so");
  out->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  ck_assert_msg(out->handle != NULL, "dlopen: %s", dlerror());
  snprintf(out->path, sizeof out->path, "%s", path);
  free(path);
}

void *loaded_symbol(const Loaded *l, const char *name) {
  void *p = dlsym(l->handle, name);
  ck_assert_msg(p != NULL, "%s has no symbol %s", l->path, name);
  return p;
}

/* Removes the shared object and its directory. */
void unload_module(Loaded *l) {
  if (!l->handle) return;
  dlclose(l->handle);
  unlink(l->path);
  char *slash = strrchr(l->path, '/');
  if (slash) *slash = '\0';
  rmdir(l->path);
  l->handle = NULL;
}

char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = calloc((size_t)n + 1, 1);
  ck_assert(fread(s, 1, (size_t)n, f) == (size_t)n);
  fclose(f);
  return s;
}

int run_command(const char *fmt, ...) {
  StrBuf sb = {0};
  va_list ap;
  va_start(ap, fmt);
  sb_vprintf(&sb, fmt, ap);
  va_end(ap);
  int status = system(sb.data);
  sb_free(&sb);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
