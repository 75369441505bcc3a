/* Validation of a safetensors file's bytes: an unsigned 64-bit little-endian
 * header length, a JSON object describing each tensor (dtype, shape,
 * data_offsets relative to the data section) and an optional __metadata__
 * table of strings, then the data. Nothing is trusted: every field is
 * checked before it is used, so a hostile file gives an error, not a crash. */
#include "safetensors_internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "tensor bytes are used in place: the host must be little-endian like the format");

/* Largest integer a double (cJSON's number) holds exactly. */
#define ST_MAX_EXACT_INT 9007199254740992.0

static bool json_uint(const cJSON *item, uint64_t *out) {
  if (!cJSON_IsNumber(item)) return false;
  double v = item->valuedouble;
  if (!(v >= 0 && v <= ST_MAX_EXACT_INT) || v != floor(v)) return false;
  *out = (uint64_t)v;
  return true;
}

static int parse_metadata(crt_st_file *f, const cJSON *table, crt_error *e) {
  if (!cJSON_IsObject(table))
    return crt_fail(e, "%s: __metadata__ is not a JSON object of strings", f->name);
  int n = cJSON_GetArraySize(table);
  f->metadata = calloc((size_t)n * 2 + 1, sizeof *f->metadata);
  if (!f->metadata) return crt_fail(e, "%s: out of memory reading __metadata__", f->name);
  for (const cJSON *kv = table->child; kv; kv = kv->next) {
    if (!cJSON_IsString(kv))
      return crt_fail(e, "%s: __metadata__ entry '%s' is not a string", f->name, kv->string);
    char **slot = &f->metadata[2 * f->metadata_count];
    slot[0] = strdup(kv->string);
    slot[1] = strdup(kv->valuestring);
    f->metadata_count++;
    if (!slot[0] || !slot[1]) return crt_fail(e, "%s: out of memory reading __metadata__", f->name);
  }
  return 0;
}

static int parse_shape(const crt_st_file *f, const char *name, const cJSON *shape, crt_tensor *t,
                       crt_error *e) {
  if (!cJSON_IsArray(shape))
    return crt_fail(e, "%s: tensor '%s': shape is not a list of non-negative integers", f->name,
                    name);
  int rank = cJSON_GetArraySize(shape);
  if (rank > CRT_MAX_RANK)
    return crt_fail(e, "%s: tensor '%s': rank %d exceeds the supported %d", f->name, name, rank,
                    CRT_MAX_RANK);
  t->rank = 0;
  for (const cJSON *d = shape->child; d; d = d->next) {
    uint64_t extent;
    if (!json_uint(d, &extent))
      return crt_fail(e, "%s: tensor '%s': shape is not a list of non-negative integers", f->name,
                      name);
    t->shape[t->rank++] = (int64_t)extent;
  }
  return 0;
}

/* Fills T from ENTRY: {"dtype": ..., "shape": [...], "data_offsets": [begin, end]}. */
static int parse_tensor(const crt_st_file *f, const cJSON *entry, const unsigned char *data,
                        size_t data_size, crt_tensor *t, crt_error *e) {
  const char *name = entry->string;
  if (!cJSON_IsObject(entry))
    return crt_fail(e, "%s: tensor '%s': entry is not a JSON object", f->name, name);
  const cJSON *dtype = NULL, *shape = NULL, *offsets = NULL;
  for (const cJSON *field = entry->child; field; field = field->next) {
    const cJSON **slot = strcmp(field->string, "dtype") == 0          ? &dtype
                         : strcmp(field->string, "shape") == 0        ? &shape
                         : strcmp(field->string, "data_offsets") == 0 ? &offsets
                                                                      : NULL;
    if (!slot)
      return crt_fail(e, "%s: tensor '%s': unknown field '%s' (expected dtype, shape, data_offsets)",
                      f->name, name, field->string);
    if (*slot) return crt_fail(e, "%s: tensor '%s': field '%s' given twice", f->name, name,
                               field->string);
    *slot = field;
  }
  const char *missing = !dtype ? "dtype" : !shape ? "shape" : !offsets ? "data_offsets" : NULL;
  if (missing) return crt_fail(e, "%s: tensor '%s': missing field '%s'", f->name, name, missing);

  if (!cJSON_IsString(dtype) || !st_dtype_parse(dtype->valuestring, &t->dtype))
    return crt_fail(e, "%s: tensor '%s': unknown dtype %s%s%s (expected one of %s)", f->name, name,
                    cJSON_IsString(dtype) ? "'" : "", cJSON_IsString(dtype) ? dtype->valuestring
                                                                            : "(not a string)",
                    cJSON_IsString(dtype) ? "'" : "", st_dtype_list());
  if (parse_shape(f, name, shape, t, e)) return -1;

  uint64_t begin, end;
  if (!cJSON_IsArray(offsets) || cJSON_GetArraySize(offsets) != 2 ||
      !json_uint(offsets->child, &begin) || !json_uint(offsets->child->next, &end))
    return crt_fail(e, "%s: tensor '%s': data_offsets is not [begin, end]", f->name, name);
  if (begin > end || end > data_size)
    return crt_fail(e,
                    "%s: tensor '%s': data_offsets [%llu, %llu] outside the %zu-byte data section",
                    f->name, name, (unsigned long long)begin, (unsigned long long)end, data_size);
  size_t expected;
  char shape_text[256];
  st_format_shape(shape_text, sizeof shape_text, t->rank, t->shape);
  if (!st_tensor_bytes(t->dtype, t->rank, t->shape, &expected))
    return crt_fail(e, "%s: tensor '%s': shape %s is too large", f->name, name, shape_text);
  if (expected != end - begin)
    return crt_fail(e, "%s: tensor '%s': %s %s needs %zu bytes, data_offsets give %llu", f->name,
                    name, crt_dtype_name(t->dtype), shape_text, expected,
                    (unsigned long long)(end - begin));
  t->data = data + begin;
  t->nbytes = end - begin;
  return 0;
}

static int by_offset(const void *a, const void *b) {
  const crt_tensor *x = a, *y = b;
  return (x->data > y->data) - (x->data < y->data);
}

static int by_name(const void *a, const void *b) {
  return strcmp(((const crt_tensor *)a)->name, ((const crt_tensor *)b)->name);
}

/* Overlaps and duplicate names are checked on sorted copies so the caller's
 * view keeps the file's order. */
static int check_layout(const crt_st_file *f, crt_error *e) {
  if (f->count < 2) return 0;
  crt_tensor *sorted = malloc((size_t)f->count * sizeof *sorted);
  if (!sorted) return crt_fail(e, "%s: out of memory", f->name);
  memcpy(sorted, f->tensors, (size_t)f->count * sizeof *sorted);
  int rc = 0;
  qsort(sorted, (size_t)f->count, sizeof *sorted, by_name);
  for (int i = 1; i < f->count && !rc; i++)
    if (strcmp(sorted[i - 1].name, sorted[i].name) == 0)
      rc = crt_fail(e, "%s: tensor '%s' appears twice in the header", f->name, sorted[i].name);
  qsort(sorted, (size_t)f->count, sizeof *sorted, by_offset);
  for (int i = 1; i < f->count && !rc; i++) {
    const crt_tensor *prev = &sorted[i - 1], *next = &sorted[i];
    if ((const unsigned char *)prev->data + prev->nbytes > (const unsigned char *)next->data)
      rc = crt_fail(e, "%s: tensors '%s' and '%s' overlap in the data section", f->name,
                    prev->name, next->name);
  }
  free(sorted);
  return rc;
}

uint32_t st_crc32(const crt_tensor *t) {
  return (uint32_t)crc32_z(crc32_z(0, Z_NULL, 0), t->data, t->nbytes);
}

static const crt_tensor *find_named(const crt_st_file *f, const char *name) {
  for (int i = 0; i < f->count; i++)
    if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
  return NULL;
}

/* Every checksum the metadata records must match its tensor's bytes. */
static int verify_checksums(const crt_st_file *f, crt_error *e) {
  const size_t prefix = sizeof ST_CRC_PREFIX - 1;
  for (int i = 0; i < f->metadata_count; i++) {
    const char *key = f->metadata[2 * i], *value = f->metadata[2 * i + 1];
    if (strncmp(key, ST_CRC_PREFIX, prefix) != 0) continue;
    const crt_tensor *t = find_named(f, key + prefix);
    if (!t) return crt_fail(e, "%s: metadata '%s' is the checksum of a tensor the file lacks",
                            f->name, key);
    char *end;
    unsigned long recorded = strtoul(value, &end, 16);
    if (strlen(value) != 8 || *end || value[0] == '-' || value[0] == '+')
      return crt_fail(e, "%s: metadata '%s' = '%s' is not 8 hexadecimal digits", f->name, key,
                      value);
    uint32_t actual = st_crc32(t);
    if (actual != recorded)
      return crt_fail(e, "%s: tensor '%s' is damaged: its bytes have CRC32 %08x, the file "
                         "records %08lx", f->name, t->name, actual, recorded);
  }
  return 0;
}

/* JSON text may be followed by the padding the format allows (spaces). */
static bool only_whitespace(const char *p, const char *end) {
  for (; p < end; p++)
    if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') return false;
  return true;
}

static int parse_header(crt_st_file *f, const cJSON *root, const unsigned char *data,
                        size_t data_size, crt_error *e) {
  int entries = cJSON_GetArraySize(root);
  f->tensors = calloc((size_t)entries + 1, sizeof *f->tensors);
  if (!f->tensors) return crt_fail(e, "%s: out of memory", f->name);
  for (const cJSON *entry = root->child; entry; entry = entry->next) {
    if (strcmp(entry->string, "__metadata__") == 0) {
      if (f->metadata) return crt_fail(e, "%s: __metadata__ appears twice", f->name);
      if (parse_metadata(f, entry, e)) return -1;
      continue;
    }
    crt_tensor *t = &f->tensors[f->count];
    char *name = strdup(entry->string);
    if (!name) return crt_fail(e, "%s: out of memory", f->name);
    t->name = name;
    f->count++;
    if (parse_tensor(f, entry, data, data_size, t, e)) return -1;
  }
  return check_layout(f, e) || verify_checksums(f, e) ? -1 : 0;
}

int st_parse(crt_st_file *f, const unsigned char *bytes, size_t size, crt_error *e) {
  if (size < 8)
    return crt_fail(e, "%s: file is %zu bytes, too short for the 8-byte header length", f->name,
                    size);
  uint64_t header_len;
  memcpy(&header_len, bytes, 8);
  if (header_len > size - 8)
    return crt_fail(e, "%s: header length %llu exceeds the file size %zu", f->name,
                    (unsigned long long)header_len, size);
  if (header_len > ST_MAX_HEADER)
    return crt_fail(e, "%s: header length %llu exceeds the %llu-byte limit", f->name,
                    (unsigned long long)header_len, (unsigned long long)ST_MAX_HEADER);
  const char *text = (const char *)bytes + 8, *parse_end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(text, (size_t)header_len, &parse_end, false);
  int rc;
  if (!root)
    rc = crt_fail(e, "%s: header is not valid JSON (near byte %td of the header)", f->name,
                  (parse_end ? parse_end : text) - text);
  else if (!only_whitespace(parse_end, text + header_len))
    rc = crt_fail(e, "%s: header has text after its JSON object (byte %td)", f->name,
                  parse_end - text);
  else if (!cJSON_IsObject(root))
    rc = crt_fail(e, "%s: header is not a JSON object", f->name);
  else
    rc = parse_header(f, root, bytes + 8 + header_len, size - 8 - (size_t)header_len, e);
  cJSON_Delete(root);
  return rc;
}
