/* The element types safetensors names, and the shape arithmetic shared by
 * the reader and the writer. */
#include "safetensors_internal.h"

#include <stdio.h>
#include <string.h>

static const struct {
  const char *name;
  size_t size;
} dtypes[] = {
    [CRT_F32] = {"F32", 4}, [CRT_F64] = {"F64", 8}, [CRT_F16] = {"F16", 2},
    [CRT_BF16] = {"BF16", 2}, [CRT_I64] = {"I64", 8}, [CRT_I32] = {"I32", 4},
    [CRT_I16] = {"I16", 2}, [CRT_I8] = {"I8", 1}, [CRT_U8] = {"U8", 1},
    [CRT_BOOL] = {"BOOL", 1},
};
enum { DTYPE_COUNT = sizeof dtypes / sizeof dtypes[0] };

static bool dtype_valid(crt_dtype t) { return (unsigned)t < DTYPE_COUNT; }

const char *crt_dtype_name(crt_dtype t) { return dtype_valid(t) ? dtypes[t].name : "?"; }

size_t crt_dtype_size(crt_dtype t) { return dtype_valid(t) ? dtypes[t].size : 0; }

bool st_dtype_parse(const char *name, crt_dtype *t) {
  for (int i = 0; i < DTYPE_COUNT; i++)
    if (strcmp(name, dtypes[i].name) == 0) {
      *t = (crt_dtype)i;
      return true;
    }
  return false;
}

const char *st_dtype_list(void) { return "F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL"; }

bool st_tensor_bytes(crt_dtype dtype, int rank, const int64_t *shape, size_t *bytes) {
  if (!dtype_valid(dtype) || rank < 0 || rank > CRT_MAX_RANK) return false;
  size_t total = crt_dtype_size(dtype);
  for (int d = 0; d < rank; d++) {
    if (shape[d] < 0) return false;
    if (__builtin_mul_overflow(total, (uint64_t)shape[d], &total)) return false;
  }
  *bytes = total;
  return true;
}

const char *st_format_shape(char *buf, size_t size, int rank, const int64_t *shape) {
  size_t used = (size_t)snprintf(buf, size, "(");
  for (int d = 0; d < rank && used < size; d++)
    used += (size_t)snprintf(buf + used, size - used, "%s%lld", d ? ", " : "", (long long)shape[d]);
  if (used < size) snprintf(buf + used, size - used, rank == 1 ? ",)" : ")");
  return buf;
}
