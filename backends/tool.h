/* tool.h — running the system tools the backends need (`cc`, `ar`) and the
 * temporary directory their intermediate files live in. Internal to backends/. */
#ifndef CRATEC_TOOL_H
#define CRATEC_TOOL_H

#include "support.h"

typedef VEC(char *) StrList;   /* owned strings */

/* A fresh directory under $TMPDIR (or /tmp); everything created through
 * tempdir_file is deleted with it. */
typedef struct TempDir {
  char *path;
  StrList files;
} TempDir;

bool tempdir_make(TempDir *t, Diag *d);
const char *tempdir_file(TempDir *t, const char *name);   /* path of NAME inside it (owned by T) */
void tempdir_remove(TempDir *t);

/* Runs ARGV (argv[0] looked up in PATH) and waits; false with a diagnostic
 * showing the command when it cannot start or exits non-zero. */
bool run_tool(const StrList *argv, Diag *d);

void strlist_add(StrList *l, const char *s);
void strlist_addf(StrList *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends the words of SPACE_SEPARATED (a build-time flag list). */
void strlist_add_words(StrList *l, const char *space_separated);
void strlist_free(StrList *l);

#endif
