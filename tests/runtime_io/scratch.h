/* Scratch directories for tests that write files: one fresh directory per
 * call under $TMPDIR (CTest points it into the build tree). */
#ifndef RUNTIME_IO_SCRATCH_H
#define RUNTIME_IO_SCRATCH_H

#include <stddef.h>

/* Creates a new empty directory and returns its path (static storage,
 * valid until the next call). */
const char *scratch_dir(void);
/* Removes DIR and the files in it (a passing test cleans up after itself;
 * a failing one leaves its files to look at). */
void scratch_remove(const char *dir);
/* DIR "/" NAME into BUF. */
const char *scratch_path(char *buf, size_t size, const char *dir, const char *name);
/* How many entries DIR holds (not counting . and ..). */
int scratch_entries(const char *dir);
/* The whole contents of PATH (malloc'ed, caller frees) and its size. */
unsigned char *scratch_read(const char *path, size_t *size);
/* Writes SIZE bytes to PATH, replacing it. */
void scratch_write(const char *path, const void *data, size_t size);

#endif
