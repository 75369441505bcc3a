/* Opening safetensors files: the whole file is read into memory and its
 * tensors point into that copy. It is read, not mapped: a mapping of a file
 * that another program truncates or rewrites while it is open (`cp new.st
 * w.st` during a run) faults with SIGBUS on the next access, while a copy
 * stays as it was read. */
#include "safetensors_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static crt_st_file *new_file(const char *name, crt_error *e) {
  crt_st_file *f = calloc(1, sizeof *f);
  if (f) f->name = strdup(name);
  if (!f || !f->name) {
    free(f);
    crt_fail(e, "%s: out of memory", name);
    return NULL;
  }
  return f;
}

static crt_st_file *parsed_or_closed(crt_st_file *f, const void *bytes, size_t size, crt_error *e) {
  if (st_parse(f, bytes, size, e) == 0) return f;
  crt_st_close(f);
  return NULL;
}

crt_st_file *crt_st_open_memory(const void *data, size_t size, const char *name, crt_error *e) {
  crt_st_file *f = new_file(name ? name : "(memory)", e);
  return f ? parsed_or_closed(f, data, size, e) : NULL;
}

/* The SIZE bytes of FD into a new buffer; NULL with E filled when reading
 * fails or the file ends early (it shrank since fstat). */
static unsigned char *read_whole(int fd, const char *path, size_t size, crt_error *e) {
  unsigned char *bytes = malloc(size ? size : 1);
  if (!bytes) return crt_fail(e, "%s: out of memory for its %zu bytes", path, size), NULL;
  for (size_t done = 0; done < size;) {
    ssize_t n = read(fd, bytes + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n < 0)
        crt_fail(e, "%s: cannot read: %s", path, strerror(errno));
      else
        crt_fail(e, "%s: file shrank to %zu bytes while being read (%zu expected); is another "
                    "program writing it?", path, done, size);
      free(bytes);
      return NULL;
    }
    done += (size_t)n;
  }
  return bytes;
}

crt_st_file *crt_st_open(const char *path, crt_error *e) {
  int fd = crt_open_regular(path, O_RDONLY, e);
  struct stat st;
  if (fd < 0) return NULL;
  crt_st_file *f = NULL;
  if (fstat(fd, &st) != 0)
    crt_fail(e, "%s: cannot open: %s", path, strerror(errno));
  else if ((f = new_file(path, e)) && !(f->owned = read_whole(fd, path, (size_t)st.st_size, e))) {
    crt_st_close(f);
    f = NULL;
  }
  close(fd);
  return f ? parsed_or_closed(f, f->owned, (size_t)st.st_size, e) : NULL;
}

void crt_st_close(crt_st_file *f) {
  if (!f) return;
  for (int i = 0; i < f->count; i++) free((char *)f->tensors[i].name);
  free(f->tensors);
  for (int i = 0; i < 2 * f->metadata_count; i++) free(f->metadata[i]);
  free(f->metadata);
  free(f->owned);
  free(f->name);
  free(f);
}

const char *crt_st_path(const crt_st_file *f) { return f->name; }

int crt_st_count(const crt_st_file *f) { return f->count; }

const crt_tensor *crt_st_at(const crt_st_file *f, int i) {
  return i >= 0 && i < f->count ? &f->tensors[i] : NULL;
}

static const crt_tensor *find_exact(const crt_st_file *f, const char *name) {
  for (int i = 0; i < f->count; i++)
    if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
  return NULL;
}

const char *st_unprefixed(const char *key) {
  static const char prefix[] = "module.";
  return strncmp(key, prefix, sizeof prefix - 1) == 0 ? key + sizeof prefix - 1 : NULL;
}

const crt_tensor *crt_st_find(const crt_st_file *f, const char *name) {
  const crt_tensor *t = find_exact(f, name);
  for (int i = 0; i < f->count && !t; i++) {
    const char *bare = st_unprefixed(f->tensors[i].name);
    if (bare && strcmp(bare, name) == 0) t = &f->tensors[i];
  }
  return t;
}

const char *crt_st_metadata(const crt_st_file *f, const char *key) {
  for (int i = 0; i < f->metadata_count; i++)
    if (strcmp(f->metadata[2 * i], key) == 0) return f->metadata[2 * i + 1];
  return NULL;
}
