/* backend.h — turning a loop-IR module into files. One interface for every
 * code generator; what is shared between them (finding the runtime,
 * linking executables and libraries through the system C compiler driver)
 * lives here too, so a third backend only has to produce an object file.
 *
 *   backend.c   the registry of backends and the shared output rules
 *   link.c      object files + libcratert -> executable / static / shared library
 *   tool.c      running `cc` and `ar`, temporary directories
 *   llvm/       the LLVM C API backend (default): in-process code generation
 *   c/          the OpenMP C backend: one readable C11 file, compiled with `cc`
 */
#ifndef CRATEC_BACKEND_H
#define CRATEC_BACKEND_H

#include "loop.h"
#include "target.h"

typedef enum {
  EMIT_EXE,      /* an executable: the module, the extra inputs (one has main) and the runtime */
  EMIT_OBJ,      /* a relocatable, position-independent object file */
  EMIT_LIB,      /* a static library holding the module and the whole runtime */
  EMIT_SHARED,   /* a shared object of the module and the whole runtime, loadable on its own */
  EMIT_LLVM,     /* textual LLVM IR (llvm backend) */
  EMIT_ASM,      /* assembly */
  EMIT_C,        /* C source (c backend) */
} EmitKind;

typedef struct BackendOptions {
  EmitKind emit;
  const char *output;                 /* the file to write */
  int opt_level;                      /* 0..3 */
  const Target *target;
  const char *const *extra_inputs;    /* NULL-terminated C sources or objects linked into EXE, LIB and
                                         SHARED outputs (e.g. the executable's main); may be NULL */
  bool runtime_from_loader;           /* SHARED without the runtime: the program that dlopens it (cratec
                                         verify, the codegen tests) already holds it, exported */
} BackendOptions;

typedef struct Backend {
  const char *name;
  /* Verifies M, then writes options->output. False (with diagnostics) on
   * any failure, including an EmitKind the backend cannot produce. */
  bool (*emit)(const LModule *m, const BackendOptions *options, Diag *d);
} Backend;

/* NULL for an unknown name; backend_names() lists the known ones for messages. */
const Backend *backend_find(const char *name);
const char *const *backend_names(void);
const char *emit_kind_name(EmitKind kind);   /* "exe", "obj", ... as --emit spells them */

/* ---- shared by the backends ---------------------------------------------------- */

/* Builds options->output (EMIT_EXE, EMIT_LIB or EMIT_SHARED) from OBJECT,
 * the extra inputs and libcratert. The runtime is looked for in the prefix
 * of an installed cratec (<prefix>/lib/libcratert.a), then in the build
 * tree it was configured with. */
bool link_output(const char *object, const BackendOptions *options, Diag *d);

/* The directory holding the runtime headers (for compiling C that includes them). */
const char *runtime_include_dir(void);
/* libcratert_main.a, the main of `--emit exe` outputs. */
const char *runtime_main_library(void);

/* Whether KIND goes through an object file and link_output. */
bool emit_kind_links(EmitKind kind);

#endif
