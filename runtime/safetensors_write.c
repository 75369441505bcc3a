/* Writing safetensors files, atomically through crt_output: a crash or a
 * full disk leaves either the old file or the new one, never half of one. */
#include "safetensors_internal.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

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

/* Stops at the first failed write; the stream's error flag reports it. */
static void write_contents(FILE *fp, const char *header, size_t header_len,
                           const crt_tensor *tensors, int n) {
  uint64_t len = header_len;   /* little-endian on every supported host */
  if (fwrite(&len, sizeof len, 1, fp) != 1 || fwrite(header, 1, header_len, fp) != header_len)
    return;
  for (int i = 0; i < n; i++)
    if (tensors[i].nbytes && fwrite(tensors[i].data, 1, tensors[i].nbytes, fp) != tensors[i].nbytes)
      return;
}

int crt_st_write(const char *path, const crt_tensor *tensors, int n, const char *const *metadata,
                 crt_error *e) {
  if (n < 0 || (n > 0 && !tensors)) return crt_fail(e, "%s: no tensors to write", path);
  if (check_tensors(path, tensors, n, e) || check_metadata(path, metadata, e)) return -1;
  size_t header_len = 0;
  char *header = build_header(tensors, n, metadata, &header_len);
  if (!header) return crt_fail(e, "%s: out of memory building the header", path);
  crt_output out;
  int rc = crt_output_open(&out, path, e);
  if (!rc) {
    write_contents(out.fp, header, header_len, tensors, n);
    rc = crt_output_commit(&out, e);
  }
  free(header);
  return rc;
}
