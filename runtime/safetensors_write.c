/* Writing safetensors files atomically: the bytes go to a temporary file in
 * the target's directory, reach the disk (fsync), and only then replace the
 * target by rename, whose directory entry is synced in turn. A crash or a
 * full disk leaves either the old file or the new one, never half of one. */
#include "safetensors_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int check_metadata(const char *path, const char *const *metadata, crt_error *e) {
  for (const char *const *kv = metadata; kv && kv[0]; kv += 2) {
    if (!kv[1]) return crt_fail(e, "%s: metadata key '%s' has no value", path, kv[0]);
    if (strncmp(kv[0], ST_CRC_PREFIX, sizeof ST_CRC_PREFIX - 1) == 0)
      return crt_fail(e, "%s: metadata key '%s' is reserved for the tensors' checksums", path,
                      kv[0]);
  }
  return 0;
}

static int check_tensors(const char *path, const crt_tensor *tensors, int n, crt_error *e) {
  for (int i = 0; i < n; i++) {
    const crt_tensor *t = &tensors[i];
    if (!t->name || !*t->name || strcmp(t->name, "__metadata__") == 0)
      return crt_fail(e, "%s: tensor %d has no usable name", path, i);
    for (int j = 0; j < i; j++)
      if (strcmp(tensors[j].name, t->name) == 0)
        return crt_fail(e, "%s: tensor '%s' given twice", path, t->name);
    size_t bytes;
    if (!st_tensor_bytes(t->dtype, t->rank, t->shape, &bytes))
      return crt_fail(e, "%s: tensor '%s': invalid dtype, rank or shape", path, t->name);
    if (bytes != t->nbytes || (bytes && !t->data))
      return crt_fail(e, "%s: tensor '%s': %s of this shape is %zu bytes, %zu given", path,
                      t->name, crt_dtype_name(t->dtype), bytes, t->nbytes);
  }
  return 0;
}

static bool add_numbers(cJSON *array, const double *values, int n) {
  if (!array) return false;
  for (int i = 0; i < n; i++)
    if (!cJSON_AddItemToArray(array, cJSON_CreateNumber(values[i]))) return false;
  return true;
}

/* {"dtype": ..., "shape": [...], "data_offsets": [begin, end]} under T's
 * name in ROOT; false when memory runs out. */
static bool add_entry(cJSON *root, const crt_tensor *t, size_t begin) {
  cJSON *entry = cJSON_CreateObject();
  if (!cJSON_AddItemToObject(root, t->name, entry)) {
    cJSON_Delete(entry);
    return false;
  }
  double shape[CRT_MAX_RANK], offsets[2] = {(double)begin, (double)(begin + t->nbytes)};
  for (int d = 0; d < t->rank; d++) shape[d] = (double)t->shape[d];
  return cJSON_AddStringToObject(entry, "dtype", crt_dtype_name(t->dtype)) &&
         add_numbers(cJSON_AddArrayToObject(entry, "shape"), shape, t->rank) &&
         add_numbers(cJSON_AddArrayToObject(entry, "data_offsets"), offsets, 2);
}

/* The caller's pairs, then each tensor's checksum. */
static bool add_metadata(cJSON *root, const char *const *metadata, const crt_tensor *tensors,
                         int n) {
  cJSON *table = cJSON_AddObjectToObject(root, "__metadata__");
  for (const char *const *kv = metadata; table && kv && kv[0]; kv += 2)
    if (!cJSON_AddStringToObject(table, kv[0], kv[1])) return false;
  for (int i = 0; table && i < n; i++) {
    char *key = malloc(sizeof ST_CRC_PREFIX + strlen(tensors[i].name)), value[9];
    if (!key) return false;
    strcpy(key, ST_CRC_PREFIX), strcat(key, tensors[i].name);
    snprintf(value, sizeof value, "%08x", (unsigned)st_crc32(&tensors[i]));
    bool added = cJSON_AddStringToObject(table, key, value) != NULL;
    free(key);
    if (!added) return false;
  }
  return table != NULL;
}

/* The JSON header, padded with spaces so the data section starts 8-byte
 * aligned; NULL when memory runs out. */
static char *build_header(const crt_tensor *tensors, int n, const char *const *metadata,
                          size_t *len) {
  cJSON *root = cJSON_CreateObject();
  bool built = root && ((!metadata && n == 0) || add_metadata(root, metadata, tensors, n));
  size_t offset = 0;
  for (int i = 0; i < n && built; i++) {
    built = add_entry(root, &tensors[i], offset);
    offset += tensors[i].nbytes;
  }
  char *json = built ? cJSON_PrintUnformatted(root) : NULL;
  cJSON_Delete(root);
  if (!json) return NULL;
  size_t used = strlen(json), padded = (used + 7) / 8 * 8;
  char *header = realloc(json, padded + 1);
  if (!header) {
    free(json);
    return NULL;
  }
  memset(header + used, ' ', padded - used);
  header[padded] = '\0';
  *len = padded;
  return header;
}

static int write_all(FILE *fp, const void *data, size_t size) {
  return size == 0 || fwrite(data, 1, size, fp) == size ? 0 : -1;
}

static int write_contents(FILE *fp, const char *header, size_t header_len,
                          const crt_tensor *tensors, int n) {
  uint64_t len = header_len;   /* little-endian on every supported host */
  if (write_all(fp, &len, sizeof len) || write_all(fp, header, header_len)) return -1;
  for (int i = 0; i < n; i++)
    if (write_all(fp, tensors[i].data, tensors[i].nbytes)) return -1;
  return fflush(fp) || fsync(fileno(fp)) ? -1 : 0;
}

/* A new file beside PATH (same file system, so rename is atomic), created
 * with O_EXCL under a name no other writer uses; its name goes to TMP. */
static int create_temporary(const char *path, char *tmp, size_t size) {
  static _Atomic unsigned counter;
  for (int attempt = 0; attempt < 100; attempt++) {
    snprintf(tmp, size, "%s.tmp.%ld.%u", path, (long)getpid(), counter++);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  return -1;
}

static int sync_directory_of(const char *path) {
  char *copy = strdup(path);
  if (!copy) return -1;
  int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  free(copy);
  if (fd < 0) return -1;
  int rc = fsync(fd);
  close(fd);
  return rc;
}

/* errno, or EIO when a failing call left it unset (a short fwrite may). */
static int last_error(void) { return errno ? errno : EIO; }

static int write_atomically(const char *path, const char *header, size_t header_len,
                            const crt_tensor *tensors, int n, crt_error *e) {
  size_t tmp_size = strlen(path) + 64;
  char *tmp = malloc(tmp_size);
  if (!tmp) return crt_fail(e, "%s: out of memory", path);
  int fd = create_temporary(path, tmp, tmp_size);
  if (fd < 0) {
    crt_fail(e, "%s: cannot create a temporary file beside it: %s", path, strerror(errno));
    free(tmp);
    return -1;
  }
  FILE *fp = fdopen(fd, "wb");
  int failure = !fp || write_contents(fp, header, header_len, tensors, n) ? last_error() : 0;
  if ((fp ? fclose(fp) : close(fd)) != 0 && !failure) failure = last_error();
  if (!failure && rename(tmp, path) != 0) failure = last_error();
  int rc = 0;
  if (failure) {
    unlink(tmp);
    rc = crt_fail(e, "%s: cannot write: %s", path, strerror(failure));
  } else if (sync_directory_of(path) != 0) {
    rc = crt_fail(e, "%s: written, but its directory could not be synced: %s", path,
                  strerror(errno));
  }
  free(tmp);
  return rc;
}

int crt_st_write(const char *path, const crt_tensor *tensors, int n, const char *const *metadata,
                 crt_error *e) {
  if (n < 0 || (n > 0 && !tensors)) return crt_fail(e, "%s: no tensors to write", path);
  if (check_tensors(path, tensors, n, e) || check_metadata(path, metadata, e)) return -1;
  size_t header_len = 0;
  char *header = build_header(tensors, n, metadata, &header_len);
  if (!header) return crt_fail(e, "%s: out of memory building the header", path);
  int rc = write_atomically(path, header, header_len, tensors, n, e);
  free(header);
  return rc;
}
