/* case_io.c — see case_io.h. */
#include "case_io.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole file, with every bare NaN token spelled null. */
static char *read_json_text(const char *path, crt_error *e) {
  FILE *f = fopen(path, "rb");
  if (!f) return crt_fail(e, "%s: cannot open", path), NULL;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *raw = size >= 0 ? malloc((size_t)size + 1) : NULL;
  /* each 3-byte "NaN" grows by one byte into "null" */
  char *text = size >= 0 ? malloc((size_t)size * 2 + 1) : NULL;
  bool ok = raw && text && fread(raw, 1, (size_t)size, f) == (size_t)size;
  fclose(f);
  if (!ok) {
    free(raw), free(text);
    return crt_fail(e, "%s: cannot read", path), NULL;
  }
  raw[size] = '\0';
  char *out = text;
  for (const char *s = raw; *s;) {
    if (strncmp(s, "NaN", 3) == 0) {
      memcpy(out, "null", 4), out += 4, s += 3;
    } else {
      *out++ = *s++;
    }
  }
  *out = '\0';
  free(raw);
  return text;
}

cJSON *case_json_read(const char *path, crt_error *e) {
  char *text = read_json_text(path, e);
  if (!text) return NULL;
  cJSON *json = cJSON_Parse(text);
  free(text);
  if (!json) crt_fail(e, "%s: not valid JSON", path);
  return json;
}

int case_json_number(const cJSON *obj, const char *name, double *out, crt_error *e) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (cJSON_IsNull(item)) return *out = NAN, 0;
  if (!cJSON_IsNumber(item)) return crt_fail(e, "meta.json: '%s' is missing or not a number", name);
  *out = item->valuedouble;
  return 0;
}

void *case_tensor(const crt_st_file *f, const char *name, crt_dtype dtype, size_t count,
                  crt_error *e) {
  const crt_tensor *t = crt_st_find(f, name);
  if (!t) return crt_fail(e, "%s: no tensor '%s'", crt_st_path(f), name), NULL;
  size_t bytes = count * crt_dtype_size(dtype);
  if (t->dtype != dtype || t->nbytes != bytes)
    return crt_fail(e, "%s: tensor '%s' is %s of %zu bytes, expected %s of %zu", crt_st_path(f),
                    name, crt_dtype_name(t->dtype), t->nbytes, crt_dtype_name(dtype), bytes),
           NULL;
  void *copy = malloc(bytes ? bytes : 1);
  if (!copy) return crt_fail(e, "%s: out of memory for '%s'", crt_st_path(f), name), NULL;
  memcpy(copy, t->data, bytes);
  return copy;
}
