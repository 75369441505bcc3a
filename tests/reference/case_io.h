/* case_io.h — reading the reference cases (tests/data/<case>/): meta.json
 * and tensors of the safetensors files. */
#ifndef REF_CASE_IO_H
#define REF_CASE_IO_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "cratert_host.h"

/* Parses a JSON file written by Python, whose NaN (not JSON) becomes null. */
cJSON *case_json_read(const char *path, crt_error *e);

/* A number member of OBJ; NaN when it is null (Python's NaN). Fails when the
 * member is missing or not a number. */
int case_json_number(const cJSON *obj, const char *name, double *out, crt_error *e);

/* A malloc'ed copy of tensor NAME of F, which must be DTYPE with COUNT
 * elements; the caller frees it. */
void *case_tensor(const crt_st_file *f, const char *name, crt_dtype dtype, size_t count,
                  crt_error *e);

#endif
