/* driver.h — the cratec command: the one place that knows every layer.
 * One file per subcommand; main.c dispatches. */
#ifndef CRATEC_DRIVER_H
#define CRATEC_DRIVER_H

#include "cratert_host.h"
#include "frontend.h"
#include "lower.h"
#include "passes.h"
#include "support.h"

/* Each subcommand gets the words after its name and returns the exit status:
 * 0 success, 1 the input was bad (diagnostics printed), 2 usage error. */
int cmd_check(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_verify(int argc, char **argv);

/* ---- the middle of the compiler (compile.c) ---------------------------------
 * build the IR → pipeline_run → plan_entry, per entry, then lower_program:
 * what `cratec build` emits and `cratec check --batch` measures. */

/* Entry K's graph as built from M, before any pass; BATCH > 0 fixes its
 * batch (--batch). */
Graph *driver_build_ir(const Model *m, EntryKind k, int64_t batch, Diag *d);

typedef struct Compiled {
  Graph *graphs[ENTRY_COUNT];    /* after the pipeline; the training one NULL without it */
  MemPlan *plans[ENTRY_COUNT];
  Lowered *lowered;              /* the module of all entries */
} Compiled;

/* PROGRAM's entries (the training one only when TRAIN) built from M at
 * LO's batch, optimized with PO for LO's target, planned and lowered. NULL
 * after reporting to D. */
Compiled *driver_compile(const Model *m, const ProgramDesc *program, const PipelineOptions *po,
                         const LowerOptions *lo, bool train, Diag *d);
void compiled_free(Compiled *c);

/* More memory than any machine has: 2^48 bytes (256 TiB), the virtual
 * address space of x86-64 and arm64 with 4-level page tables, beyond the
 * largest machines' memory by far. A command needing more cannot run. */
#define DRIVER_MACHINE_BYTES 281474976710656.0
/* "12.5 MiB", "3.1 TiB": BYTES in the largest binary unit below it. */
const char *driver_format_bytes(char *buf, size_t size, double bytes);

/* The LLVM CPU names --target-cpu accepts (besides "native"), NULL-terminated. */
const char *const *driver_cpu_names(void);

/* Parses a subcommand's options; on error prints "cratec CMD: error: ..."
 * and returns false. --help is handled by the caller. */
bool driver_parse_args(const char *cmd, int argc, char **argv, const crt_option *opts,
                       const char **positional, int max_positional, int *npos);

#endif
