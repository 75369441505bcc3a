/* Linking generated objects with the runtime through the system C compiler
 * driver, which knows the platform's startup files, PIE defaults and library
 * paths better than any list we could keep. */
#include "backend.h"
#include "tool.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if !defined(CRATEC_RUNTIME_LIB) || !defined(CRATEC_RUNTIME_MAIN) || !defined(CRATEC_RUNTIME_INCLUDE) || \
    !defined(CRATEC_RUNTIME_LINK) || !defined(CRATEC_INSTALL_LIBDIR) || !defined(CRATEC_INSTALL_INCLUDEDIR)
#error "backends/CMakeLists.txt defines where the build tree and an installation keep the runtime"
#endif

#ifdef CRATEC_SANITIZE
/* The runtime of a sanitized build is instrumented: what links it must be too. */
#define SANITIZE_FLAGS "-fsanitize=address,undefined"
#else
#define SANITIZE_FLAGS ""
#endif

/* <prefix>/bin/cratec -> <prefix>/RELATIVE, if that file exists: an
 * installed cratec uses the runtime of its own prefix wherever the prefix
 * was moved; run from the build tree, it finds none there and falls back
 * to the runtime built with it. */
static char *beside_installed_cratec(const char *relative) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return NULL;
  exe[n] = '\0';
  char *path = xasprintf("%s/../%s", dirname(exe), relative);
  if (access(path, R_OK) == 0) return path;
  free(path);
  return NULL;
}

static char *installed_or(const char *relative, const char *build_tree) {
  char *path = beside_installed_cratec(relative);
  return path ? path : xstrdup(build_tree);
}

static const char *runtime_library(void) {
  static char *path;
  if (!path) path = installed_or(CRATEC_INSTALL_LIBDIR "/libcratert.a", CRATEC_RUNTIME_LIB);
  return path;
}

const char *runtime_main_library(void) {
  static char *path;
  if (!path) path = installed_or(CRATEC_INSTALL_LIBDIR "/libcratert_main.a", CRATEC_RUNTIME_MAIN);
  return path;
}

const char *runtime_include_dir(void) {
  static char *dir;
  if (!dir) dir = installed_or(CRATEC_INSTALL_INCLUDEDIR "/cratec", CRATEC_RUNTIME_INCLUDE);
  return dir;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Extra C sources become objects in TMP; objects are used as they are. */
static bool collect_objects(const char *object, const BackendOptions *o, TempDir *tmp, StrList *objects, Diag *d) {
  strlist_add(objects, object);
  for (int i = 0; o->extra_inputs && o->extra_inputs[i]; i++) {
    const char *input = o->extra_inputs[i];
    if (!ends_with(input, ".c")) {
      strlist_add(objects, input);
      continue;
    }
    char name[32];
    snprintf(name, sizeof name, "extra%d.o", i);
    const char *out = tempdir_file(tmp, name);
    StrList cc = {0};
    strlist_add_words(&cc, "cc -std=c11 -O2 -fPIC -fopenmp -c");
    strlist_add_words(&cc, SANITIZE_FLAGS);
    strlist_addf(&cc, "-I%s", runtime_include_dir());
    strlist_add(&cc, input);
    strlist_add(&cc, "-o");
    strlist_add(&cc, out);
    bool ok = run_tool(&cc, d);
    strlist_free(&cc);
    if (!ok) return false;
    strlist_add(objects, out);
  }
  return true;
}

static bool copy_file(const char *from, const char *to, Diag *d) {
  FILE *in = fopen(from, "rb");
  if (!in) {
    diag(d, DIAG_ERROR, "cannot read the runtime library %s: %s", from, strerror(errno));
    return false;
  }
  FILE *out = fopen(to, "wb");
  if (!out) {
    diag(d, DIAG_ERROR, "cannot write %s: %s", to, strerror(errno));
    fclose(in);
    return false;
  }
  char buf[1 << 16];
  size_t n;
  bool ok = true;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0) ok &= fwrite(buf, 1, n, out) == n;
  ok &= !ferror(in);
  fclose(in);
  ok &= fclose(out) == 0;
  if (!ok) diag(d, DIAG_ERROR, "cannot copy %s to %s", from, to);
  return ok;
}

/* A static library with the whole runtime inside, so a deployment program
 * links one archive (plus the runtime's system libraries). */
static bool make_library(const StrList *objects, const char *output, Diag *d) {
  if (!copy_file(runtime_library(), output, d)) return false;
  StrList ar = {0};
  strlist_add_words(&ar, "ar rs");
  strlist_add(&ar, output);
  for (int i = 0; i < objects->len; i++) strlist_add(&ar, objects->items[i]);
  bool ok = run_tool(&ar, d);
  strlist_free(&ar);
  return ok;
}

static bool make_linked(const StrList *objects, const BackendOptions *o, Diag *d) {
  StrList cc = {0};
  strlist_add(&cc, "cc");
  if (o->emit == EMIT_SHARED) strlist_add(&cc, "-shared");
  strlist_add(&cc, "-o");
  strlist_add(&cc, o->output);
  for (int i = 0; i < objects->len; i++) strlist_add(&cc, objects->items[i]);
  if (o->runtime_from_loader) {
    strlist_add_words(&cc, "-fopenmp -lm");
  } else {
    /* A shared model carries the whole runtime, not only what its entries
     * call, so a program that dlopens it (or Python's ctypes) also finds
     * the host API that loads weights and runs sessions. It is never
     * unloaded: dlclose would unmap code that the runtime's OpenMP worker
     * threads still run (a crash at exit, now and then). */
    bool whole = o->emit == EMIT_SHARED;
    if (whole) strlist_add_words(&cc, "-Wl,-z,nodelete -Wl,--whole-archive");
    strlist_add(&cc, runtime_library());
    if (whole) strlist_add(&cc, "-Wl,--no-whole-archive");
    strlist_add_words(&cc, CRATEC_RUNTIME_LINK);
    strlist_add_words(&cc, SANITIZE_FLAGS);
  }
  bool ok = run_tool(&cc, d);
  strlist_free(&cc);
  return ok;
}

bool link_output(const char *object, const BackendOptions *o, Diag *d) {
  if (!o->runtime_from_loader && access(runtime_library(), R_OK) != 0) {
    diag(d, DIAG_ERROR, "cannot find the runtime library libcratert.a (looked in cratec's prefix and at %s)",
         CRATEC_RUNTIME_LIB);
    return false;
  }
  TempDir tmp;
  if (!tempdir_make(&tmp, d)) return false;
  StrList objects = {0};
  bool ok = collect_objects(object, o, &tmp, &objects, d);
  if (ok) ok = o->emit == EMIT_LIB ? make_library(&objects, o->output, d) : make_linked(&objects, o, d);
  strlist_free(&objects);
  tempdir_remove(&tmp);
  return ok;
}
