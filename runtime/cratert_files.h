/* cratert_files.h — how the runtime and cratec open what they read and write:
 * inputs only when they are regular files, outputs replaced atomically (or
 * written through devices and FIFOs), an output that is an input refused,
 * and one lock per checkpoint. Both sides use it, so it stands apart from
 * the host API (cratert_host.h includes it) and needs only error.c and
 * files.c (the cratert_files library). */
#ifndef CRATERT_FILES_H
#define CRATERT_FILES_H

#include <stdbool.h>
#include <stdio.h>

#include "cratert_abi.h"

/* Opens PATH with FLAGS (O_RDONLY for an input; O_CREAT may be added, with
 * mode 0666) only when it is a regular file: a FIFO, device or directory
 * is refused at once, naming what it is, instead of blocking on a FIFO or
 * reading a device forever. Returns the descriptor (close-on-exec) or -1. */
int crt_open_regular(const char *path, int flags, crt_error *e);

/* Whether A and B are one file: the same device and inode, or, when neither
 * exists yet, the same name in the same directory. */
bool crt_same_file(const char *a, const char *b);

/* A file a command reads or writes, by the option that named it. */
typedef struct crt_file_use {
  const char *option;   /* "--output", "-o", "the model" */
  const char *path;     /* NULL: not given, skipped */
  bool output;
} crt_file_use;

/* Refuses, naming both options, when an output of USES is the same file as
 * another entry (an input it would destroy, or another output). */
int crt_check_file_uses(const crt_file_use *uses, int n, crt_error *e);

/* An output being written. A regular file (or a new one) is replaced
 * atomically: the bytes go to a temporary beside it (TARGET.tmp.PID.N,
 * keeping the target's permissions), reach the disk (fsync) and are renamed
 * over it, its directory synced in turn; a crash or full disk leaves the
 * old file or the new one, never half of one. A symlink is followed, so the
 * file it names is replaced and the link stays. A device or FIFO is written
 * through, never replaced; a FIFO no process reads is an error, not a
 * hang. Temporaries of killed writers of the same target are removed. */
typedef struct crt_output {
  FILE *fp;       /* write here, then commit or discard */
  char *path;     /* as given, for messages */
  char *target;   /* the file written: PATH with its symlinks followed */
  char *tmp;      /* the temporary renamed over TARGET; NULL when writing through */
} crt_output;

int crt_output_open(crt_output *o, const char *path, crt_error *e);
/* Flushes, syncs and renames; reports any write that failed on the way.
 * Either way the output is closed afterwards. */
int crt_output_commit(crt_output *o, crt_error *e);
/* Abandons the output: the target is left as it was. */
void crt_output_discard(crt_output *o);
/* Whether PATH could be written now (its directory exists and is writable,
 * or it is a writable device or FIFO), leaving everything untouched: for
 * validating an output before long work. */
int crt_output_check(const char *path, crt_error *e);

/* An advisory lock (flock) on the file PATH.lock beside PATH's target, held
 * until released or the process ends: two runs never write one checkpoint.
 * A second locker is refused with a message naming the holder's process. */
typedef struct crt_lock {
  int fd;
  char *path;
} crt_lock;

int crt_lock_open(crt_lock *l, const char *path, crt_error *e);
/* Removes the lock file and releases the lock; a zeroed crt_lock, or one
 * crt_lock_open refused, holds nothing. */
void crt_lock_release(crt_lock *l);

#endif
