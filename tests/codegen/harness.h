/* harness.h — compiling a loop-IR module with a backend into a shared
 * object and loading it, so tests call generated kernels directly. The
 * test executables export the runtime (whole-archive, ENABLE_EXPORTS) for
 * the kernels' runtime calls. */
#ifndef CRATEC_TEST_HARNESS_H
#define CRATEC_TEST_HARNESS_H

#include "backend.h"
#include "run_suite.h"

typedef struct Loaded {
  void *handle;
  char path[256];
} Loaded;

/* Emits M with BACKEND (host target, -O2) as a shared object in a fresh
 * temporary directory and dlopens it; fails the test on any error. */
void load_module(const LModule *m, const char *backend, Loaded *out);
void *loaded_symbol(const Loaded *l, const char *name);
void unload_module(Loaded *l);

/* Emits M with OPTIONS (output filled in: a fresh temporary file named
 * FILE_NAME); returns the path (caller frees, and removes the file). */
char *emit_to_temp(const LModule *m, const char *backend, BackendOptions *options, const char *file_name);

/* Reads a whole file (fails the test when it cannot). */
char *slurp(const char *path);

/* Runs a shell command, returning its exit status. */
int run_command(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
