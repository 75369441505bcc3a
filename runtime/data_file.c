/* Reading data-set files through zlib, with errors that name the file. */
#include "data_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int data_open(data_file *f, const char *path, crt_error *e) {
  f->path = path;
  int fd = crt_open_regular(path, O_RDONLY, e);
  if (fd < 0) return -1;
  f->gz = gzdopen(fd, "rb");
  if (f->gz) return 0;
  close(fd);
  return crt_fail(e, "%s: cannot open: out of memory", path);
}

void data_close(data_file *f) {
  if (f->gz) gzclose(f->gz);
  f->gz = NULL;
}

/* Up to N bytes; *GOT says how many (fewer only at the end of the file). */
static int read_some(data_file *f, void *buf, size_t n, size_t *got, crt_error *e) {
  *got = 0;
  while (*got < n) {
    size_t want = n - *got;
    unsigned chunk = want > (1u << 30) ? 1u << 30 : (unsigned)want;
    int r = gzread(f->gz, (uint8_t *)buf + *got, chunk);
    if (r < 0) {
      int code;
      const char *msg = gzerror(f->gz, &code);
      /* zlib prefixes "<fd:N>: "; the path leads our message instead */
      const char *colon = strstr(msg, ": ");
      if (msg[0] == '<' && colon) msg = colon + 2;
      return crt_fail(e, "%s: cannot read: %s", f->path,
                      code == Z_ERRNO ? strerror(errno) : msg);
    }
    if (r == 0) break;
    *got += (size_t)r;
  }
  return 0;
}

static int truncated(const data_file *f, const char *what, size_t want, size_t got,
                     crt_error *e) {
  return crt_fail(e, "%s: truncated: expected %zu bytes of %s, found %zu", f->path, want, what,
                  got);
}

int data_read_exact(data_file *f, void *buf, size_t n, const char *what, crt_error *e) {
  size_t got;
  if (read_some(f, buf, n, &got, e)) return -1;
  return got == n ? 0 : truncated(f, what, n, got, e);
}

/* Up to LIMIT bytes (fewer at the end of the file) into a buffer that grows
 * as they arrive; *OUT and *HAVE get it even on failure. */
static int read_growing(data_file *f, size_t limit, uint8_t **out, size_t *have, crt_error *e) {
  enum { STEP = 16 << 20 };
  *out = NULL;
  *have = 0;
  while (*have < limit) {
    size_t want = limit - *have < STEP ? limit - *have : STEP, got;
    uint8_t *grown = realloc(*out, *have + want);
    if (!grown) return crt_fail(e, "%s: out of memory reading it", f->path);
    *out = grown;
    if (read_some(f, *out + *have, want, &got, e)) return -1;
    *have += got;
    if (got < want) break;
  }
  return 0;
}

int data_read_alloc(data_file *f, size_t n, const char *what, uint8_t **out, crt_error *e) {
  size_t have;
  int rc = read_growing(f, n, out, &have, e);
  if (!rc && have < n) rc = truncated(f, what, n, have, e);
  if (!rc && !*out) *out = malloc(1);   /* n == 0: still a buffer to free */
  if (!rc && !*out) rc = crt_fail(e, "%s: out of memory", f->path);
  if (rc) {
    free(*out);
    *out = NULL;
  }
  return rc;
}

int data_read_to_end(data_file *f, uint8_t **out, size_t *size, crt_error *e) {
  if (read_growing(f, SIZE_MAX, out, size, e) == 0) return 0;
  free(*out);
  *out = NULL;
  return -1;
}

int data_expect_end(data_file *f, crt_error *e) {
  uint8_t extra;
  size_t got;
  if (read_some(f, &extra, 1, &got, e)) return -1;
  return got ? crt_fail(e, "%s: unexpected data after the last record", f->path) : 0;
}

int data_check_labels(const crt_dataset *d, int64_t first, const char *file, crt_error *e) {
  for (int64_t i = first; i < d->count; i++)
    if (d->labels[i] >= d->classes)
      return crt_fail(e, "%s: label %d of record %lld is not below the %d classes", file,
                      d->labels[i], (long long)(i - first), d->classes);
  return 0;
}

const char *const *data_names(const char *const *names, int count, int classes) {
  return classes == count ? names : NULL;
}

void data_set_stats(crt_dataset *d, const float *mean, const float *std) {
  for (int c = 0; c < d->channels; c++) {
    d->mean[c] = mean[c];
    d->std[c] = std[c];
  }
}
