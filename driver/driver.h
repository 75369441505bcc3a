/* driver.h — the cratec command: the one place that knows every layer.
 * One file per subcommand; main.c dispatches. */
#ifndef CRATEC_DRIVER_H
#define CRATEC_DRIVER_H

#include "cratert_host.h"
#include "support.h"

/* Each subcommand gets the words after its name and returns the exit status:
 * 0 success, 1 the input was bad (diagnostics printed), 2 usage error. */
int cmd_check(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_verify(int argc, char **argv);

/* The LLVM CPU names --target-cpu accepts (besides "native"), NULL-terminated. */
const char *const *driver_cpu_names(void);

/* Parses a subcommand's options; on error prints "cratec CMD: error: ..."
 * and returns false. --help is handled by the caller. */
bool driver_parse_args(const char *cmd, int argc, char **argv, const crt_option *opts,
                       const char **positional, int max_positional, int *npos);

#endif
