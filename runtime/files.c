/* Files cratec and the executables read and write, handled so that no
 * command hangs on, replaces or destroys what the user did not ask it to:
 * inputs must be regular files (opening a FIFO would wait forever for a
 * writer); an output replaces a regular file atomically, but a device or
 * FIFO is written through and a symlink keeps pointing where it did; an
 * output that is also an input is refused; a lock keeps two runs off one
 * checkpoint. */
#include "cratert_host.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* A formatted string (malloc'ed); NULL when memory runs out. */
static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (s) {
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  return s;
}

/* The directory PATH is in: "." for a bare name (malloc'ed; NULL when
 * memory runs out). */
static char *directory_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return strdup(".");
  return strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

/* "a FIFO", "a directory", ...: what a non-regular file is, for messages. */
static const char *file_kind(mode_t mode) {
  switch (mode & S_IFMT) {
  case S_IFDIR: return "a directory";
  case S_IFIFO: return "a FIFO";
  case S_IFCHR: return "a character device";
  case S_IFBLK: return "a block device";
  case S_IFSOCK: return "a socket";
  default: return "not a regular file";
  }
}

/* O_NONBLOCK makes opening a FIFO return at once; it is cleared again so
 * the descriptor behaves as an ordinary one. */
static int open_nonblocking(const char *path, int flags, mode_t mode) {
  int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC, mode);
  if (fd >= 0) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

int crt_open_regular(const char *path, int flags, crt_error *e) {
  int fd = open_nonblocking(path, flags, 0666);
  if (fd < 0) return crt_fail(e, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    crt_fail(e, "%s: cannot open: %s", path, strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    crt_fail(e, "%s: not a regular file (%s)", path, file_kind(st.st_mode));
  } else {
    return fd;
  }
  close(fd);
  return -1;
}

/* Where a file is, as far as it exists: its device and inode, or, for a
 * file not yet created, its directory's and its name. */
typedef struct file_id {
  dev_t dev;
  ino_t ino;
  const char *name;   /* NULL when the file exists */
} file_id;

static bool identify(const char *path, file_id *id) {
  struct stat st = {0};
  if (stat(path, &st) == 0) {
    *id = (file_id){st.st_dev, st.st_ino, NULL};
    return true;
  }
  char *dir = directory_of(path);
  bool known = dir && stat(dir, &st) == 0;
  free(dir);
  const char *slash = strrchr(path, '/');
  *id = (file_id){st.st_dev, st.st_ino, slash ? slash + 1 : path};
  return known;
}

bool crt_same_file(const char *a, const char *b) {
  file_id x, y;
  if (!identify(a, &x) || !identify(b, &y) || x.dev != y.dev || x.ino != y.ino) return false;
  return !x.name == !y.name && (!x.name || strcmp(x.name, y.name) == 0);
}

int crt_check_file_uses(const crt_file_use *uses, int n, crt_error *e) {
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      const crt_file_use *out = &uses[i], *other = &uses[j];
      if (i == j || !out->output || !out->path || !other->path) continue;
      if ((!other->output || j > i) && crt_same_file(out->path, other->path))
        return crt_fail(e, "%s %s is the same file as %s %s: writing it would destroy %s",
                        out->option, out->path, other->option, other->path,
                        other->output ? "the other output" : "the input");
    }
  return 0;
}

/* PATH with every symlink in its last component followed, even to a file
 * that does not exist yet: replacing the link itself would cut it from the
 * file it names. NULL (errno set) on a loop or when memory runs out. */
static char *follow_links(const char *path) {
  char *p = strdup(path);
  for (int hops = 0; p; hops++) {
    struct stat st;
    if (lstat(p, &st) != 0 || !S_ISLNK(st.st_mode)) return p;
    char link[4096];
    ssize_t len = hops < 40 ? readlink(p, link, sizeof link - 1) : -1;
    if (len < 0) {
      free(p);
      errno = hops < 40 ? errno : ELOOP;
      return NULL;
    }
    link[len] = '\0';
    const char *slash = strrchr(p, '/');
    char *next = link[0] == '/' || !slash ? strdup(link)
                                          : format("%.*s/%s", (int)(slash - p), p, link);
    free(p);
    p = next;
  }
  return NULL;
}

/* Temporaries are named TARGET.tmp.PID.N. One a writer left behind when it
 * was killed between creating and renaming it is removed by the next
 * writer of the same target, once no process has that PID (a live process
 * may have reused it: its file is then left alone). A writer in another
 * PID namespace sharing the directory would look dead: this assumes one. */
static bool is_stale_temporary(const char *name, const char *base) {
  size_t k = strlen(base);
  if (strncmp(name, base, k) != 0 || strncmp(name + k, ".tmp.", 5) != 0) return false;
  char *end;
  long pid = strtol(name + k + 5, &end, 10);
  if (pid <= 0 || end == name + k + 5 || *end != '.' || !end[1] ||
      strspn(end + 1, "0123456789") != strlen(end + 1))
    return false;
  return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static void remove_stale_temporaries(const char *target) {
  char *dir = directory_of(target);
  DIR *d = dir ? opendir(dir) : NULL;
  free(dir);
  if (!d) return;
  const char *slash = strrchr(target, '/');
  const char *base = slash ? slash + 1 : target;
  for (struct dirent *ent; (ent = readdir(d));)
    if (is_stale_temporary(ent->d_name, base)) unlinkat(dirfd(d), ent->d_name, 0);
  closedir(d);
}

/* A new file beside TARGET (same file system, so rename is atomic),
 * created with O_EXCL under a name no other writer uses. */
static int create_temporary(crt_output *o) {
  static _Atomic unsigned counter;
  for (int attempt = 0; attempt < 100; attempt++) {
    free(o->tmp);
    if (!(o->tmp = format("%s.tmp.%ld.%u", o->target, (long)getpid(), counter++))) return -1;
    int fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  return -1;
}

int crt_output_open(crt_output *o, const char *path, crt_error *e) {
  memset(o, 0, sizeof *o);
  struct stat st;
  bool through = stat(path, &st) == 0 && !S_ISREG(st.st_mode);
  o->path = strdup(path);
  /* A device or FIFO is written in place, through PATH itself: /dev/stdout
   * names a descriptor that only the kernel's own lookup resolves. */
  o->target = through ? strdup(path) : follow_links(path);
  int fd = -1;
  if (!o->path || !o->target) {
    crt_fail(e, "%s: cannot write: %s", path, strerror(o->path ? errno : ENOMEM));
  } else if (through) {
    fd = open_nonblocking(o->target, O_WRONLY, 0);
    if (fd < 0)
      crt_fail(e, "%s: cannot write: %s", path,
               errno == ENXIO && S_ISFIFO(st.st_mode) ? "no process is reading the FIFO"
                                                      : strerror(errno));
  } else {
    remove_stale_temporaries(o->target);
    fd = create_temporary(o);
    if (fd < 0)
      crt_fail(e, "%s: cannot create a temporary file beside it: %s", path, strerror(errno));
    else if (stat(o->target, &st) == 0)
      fchmod(fd, st.st_mode & 07777);   /* the replacement keeps the file's permissions */
  }
  if (fd >= 0 && !(o->fp = fdopen(fd, "wb"))) {
    crt_fail(e, "%s: cannot write: %s", path, strerror(errno));
    close(fd);
  }
  if (o->fp) return 0;
  crt_output_discard(o);
  return -1;
}

static int sync_directory_of(const char *path) {
  char *dir = directory_of(path);
  int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  free(dir);
  if (fd < 0) return -1;
  int rc = fsync(fd);
  close(fd);
  return rc;
}

/* errno, or EIO when a failing call left it unset (a short fwrite may). */
static int last_error(void) { return errno ? errno : EIO; }

int crt_output_commit(crt_output *o, crt_error *e) {
  /* After a failed write errno still says why: nothing since touched it. */
  int failure = ferror(o->fp) ? last_error() : 0;
  errno = 0;
  if (!failure && (fflush(o->fp) != 0 || (o->tmp && fsync(fileno(o->fp)) != 0)))
    failure = last_error();
  if (fclose(o->fp) != 0 && !failure) failure = last_error();
  o->fp = NULL;
  if (!failure && o->tmp && rename(o->tmp, o->target) != 0) failure = last_error();
  int rc = 0;
  if (failure) {
    rc = crt_fail(e, "%s: cannot write: %s", o->path, strerror(failure));
  } else if (o->tmp) {
    free(o->tmp);
    o->tmp = NULL;   /* renamed: nothing to remove */
    if (sync_directory_of(o->target) != 0)
      rc = crt_fail(e, "%s: written, but its directory could not be synced: %s", o->path,
                    strerror(errno));
  }
  crt_output_discard(o);
  return rc;
}

void crt_output_discard(crt_output *o) {
  if (o->fp) fclose(o->fp);
  if (o->tmp) unlink(o->tmp);
  free(o->tmp), free(o->target), free(o->path);
  memset(o, 0, sizeof *o);
}

int crt_output_check(const char *path, crt_error *e) {
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    /* Opening a FIFO to try it would hand its reader an end of file. */
    if (S_ISDIR(st.st_mode)) return crt_fail(e, "%s: cannot write: %s", path, strerror(EISDIR));
    return access(path, W_OK) == 0 ? 0 : crt_fail(e, "%s: cannot write: %s", path, strerror(errno));
  }
  crt_output o;
  if (crt_output_open(&o, path, e)) return -1;
  crt_output_discard(&o);
  return 0;
}

int crt_lock_open(crt_lock *l, const char *path, crt_error *e) {
  memset(l, 0, sizeof *l);
  char *target = follow_links(path);
  l->path = target ? format("%s.lock", target) : NULL;
  free(target);
  if (!l->path) return crt_fail(e, "%s: cannot lock: %s", path, strerror(errno));
  /* The lock file is removed on release; a run that opened it just before
   * then holds a lock on a file no longer there, so the lock counts only
   * while the path still names the locked file. */
  int err = EAGAIN;
  for (int attempt = 0; attempt < 100; attempt++) {
    int fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
      err = errno;
      break;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      err = errno;
      char pid[16] = "", holder[40] = "";
      ssize_t n = read(fd, pid, sizeof pid - 1);
      if (n > 0 && strtol(pid, NULL, 10) > 0)   /* not yet written by a run just starting */
        snprintf(holder, sizeof holder, " (process %ld)", strtol(pid, NULL, 10));
      close(fd);
      if (err != EWOULDBLOCK) break;
      crt_fail(e, "%s: another run%s holds %s and is writing this checkpoint; wait for it to "
                  "finish or save elsewhere", path, holder, l->path);
      free(l->path);
      l->path = NULL;
      return -1;
    }
    struct stat held, named;
    if (fstat(fd, &held) == 0 && stat(l->path, &named) == 0 && held.st_dev == named.st_dev &&
        held.st_ino == named.st_ino) {
      /* Fixed width, so a shorter number never leaves digits of a longer
       * one behind; it only names the holder in a refusal. */
      dprintf(fd, "%10ld\n", (long)getpid());
      l->fd = fd;
      return 0;
    }
    close(fd);
  }
  crt_fail(e, "%s: cannot lock %s: %s", path, l->path, strerror(err));
  free(l->path);
  l->path = NULL;
  return -1;
}

void crt_lock_release(crt_lock *l) {
  if (l->path) {
    unlink(l->path);
    close(l->fd);
  }
  free(l->path);
  memset(l, 0, sizeof *l);
}
