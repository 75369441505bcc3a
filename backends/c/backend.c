/* The OpenMP C backend: print the module as C, then let the system C
 * compiler do the rest (objects, assembly, and through link_output
 * executables and libraries). `--emit c` writes NAME.c and, with embedded
 * data, NAME.data beside it. */
#include "c_gen.h"
#include "tool.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

/* OUTPUT minus a trailing ".c", plus ".data". */
static char *data_path_for(const char *c_path) {
  size_t n = strlen(c_path);
  if (n > 2 && strcmp(c_path + n - 2, ".c") == 0) n -= 2;
  return xasprintf("%.*s.data", (int)n, c_path);
}

static bool write_c(const LModule *m, const char *path, Diag *d) {
  char *data_path = data_path_for(path);
  char *copy = xstrdup(data_path);
  bool ok = true;
  FILE *out = fopen(path, "w");
  if (!out) {
    diag(d, DIAG_ERROR, "cannot write %s: %s", path, strerror(errno));
    ok = false;
  } else {
    c_print_module(out, m, basename(copy));
    if (fclose(out) != 0) {
      diag(d, DIAG_ERROR, "cannot write %s: %s", path, strerror(errno));
      ok = false;
    }
  }
  if (ok && m->data.len) ok = c_write_data(m, data_path, d);
  free(copy);
  free(data_path);
  return ok;
}

/* cc -c (or -S) with the flags generated code is written for. */
static bool compile_c(const char *c_path, const char *out_path, const BackendOptions *o, Diag *d) {
  StrList cc = {0};
  strlist_add_words(&cc, "cc -std=c11 -fopenmp -fPIC");
  strlist_addf(&cc, "-O%d", o->opt_level);
  strlist_addf(&cc, "-march=%s", o->target->cpu);
  strlist_addf(&cc, "-I%s", runtime_include_dir());
  char *dir = xstrdup(c_path);
  strlist_addf(&cc, "-Wa,-I%s", dirname(dir));
  free(dir);
  strlist_add(&cc, o->emit == EMIT_ASM ? "-S" : "-c");
  strlist_add(&cc, c_path);
  strlist_add(&cc, "-o");
  strlist_add(&cc, out_path);
  bool ok = run_tool(&cc, d);
  strlist_free(&cc);
  return ok;
}

static bool c_emit(const LModule *m, const BackendOptions *o, Diag *d) {
  if (o->emit == EMIT_LLVM) {
    diag(d, DIAG_ERROR, "the c backend does not emit LLVM IR; use --backend llvm");
    return false;
  }
  if (o->opt_level < 0 || o->opt_level > 3) {
    diag(d, DIAG_ERROR, "optimization level %d is not one of 0..3", o->opt_level);
    return false;
  }
  if (!lmodule_verify(m, d)) return false;
  if (o->emit == EMIT_C) return write_c(m, o->output, d);

  TempDir tmp;
  if (!tempdir_make(&tmp, d)) return false;
  char *c_name = xasprintf("%s.c", m->name);
  char *data_name = xasprintf("%s.data", m->name);
  const char *c_path = tempdir_file(&tmp, c_name);
  tempdir_file(&tmp, data_name);
  free(c_name);
  free(data_name);
  bool ok = write_c(m, c_path, d);
  if (ok && (o->emit == EMIT_OBJ || o->emit == EMIT_ASM)) {
    ok = compile_c(c_path, o->output, o, d);
  } else if (ok) {
    const char *object = tempdir_file(&tmp, "module.o");
    ok = compile_c(c_path, object, o, d) && link_output(object, o, d);
  }
  tempdir_remove(&tmp);
  return ok;
}

const Backend c_backend = {"c", c_emit};
