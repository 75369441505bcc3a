/* Opening safetensors files: the whole file is mapped read-only and its
 * tensors point into the mapping, so loading copies each byte once. */
#include "safetensors_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

crt_st_file *crt_st_open(const char *path, crt_error *e) {
  int fd = crt_open_regular(path, O_RDONLY, e);
  struct stat st;
  if (fd < 0) return NULL;
  if (fstat(fd, &st) != 0) {
    crt_fail(e, "%s: cannot open: %s", path, strerror(errno));
    close(fd);
    return NULL;
  }
  crt_st_file *f = new_file(path, e);
  size_t size = (size_t)st.st_size;
  /* mmap refuses a zero length; an empty file still gets its own message. */
  void *map = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
  int map_errno = errno;
  close(fd);
  if (!f) {
    if (map && map != MAP_FAILED) munmap(map, size);
    return NULL;
  }
  if (map == MAP_FAILED) {
    crt_fail(e, "%s: cannot map: %s", path, strerror(map_errno));
    crt_st_close(f);
    return NULL;
  }
  f->map = map;
  f->map_size = size;
  return parsed_or_closed(f, map ? map : "", size, e);
}

void crt_st_close(crt_st_file *f) {
  if (!f) return;
  for (int i = 0; i < f->count; i++) free((char *)f->tensors[i].name);
  free(f->tensors);
  for (int i = 0; i < 2 * f->metadata_count; i++) free(f->metadata[i]);
  free(f->metadata);
  if (f->map) munmap(f->map, f->map_size);
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
