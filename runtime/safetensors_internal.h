/* What the safetensors reader, loader and writer share; not part of the
 * public runtime interface. */
#ifndef CRATERT_SAFETENSORS_INTERNAL_H
#define CRATERT_SAFETENSORS_INTERNAL_H

#include "cratert_host.h"

/* A header is JSON text describing tensors; nothing sane comes near this
 * (the official safetensors library uses the same bound). */
#define ST_MAX_HEADER ((uint64_t)100 << 20)

struct crt_st_file {
  char *name;                  /* the path, or the name given for a buffer */
  unsigned char *owned;        /* the file's bytes as read, NULL for a buffer */
  int count;
  crt_tensor *tensors;         /* names owned by this struct */
  int metadata_count;
  char **metadata;             /* key, value, key, value, ... */
};

/* Metadata "crc32.NAME" holds tensor NAME's CRC32 (zlib's) as 8 lowercase
 * hexadecimal digits: the writer adds one per tensor, the reader checks
 * every one present (files from other writers have none). */
#define ST_CRC_PREFIX "crc32."
uint32_t st_crc32(const crt_tensor *t);

bool st_dtype_parse(const char *name, crt_dtype *t);
/* The dtype names, for "expected one of ..." messages. */
const char *st_dtype_list(void);
/* numel · dtype size into *BYTES; false on overflow, a negative extent or a bad rank. */
bool st_tensor_bytes(crt_dtype dtype, int rank, const int64_t *shape, size_t *bytes);
/* "(64, 32)", "(64,)", "()" into BUF. */
const char *st_format_shape(char *buf, size_t size, int rank, const int64_t *shape);

/* KEY without its DataParallel "module." prefix, or NULL when it has none. */
const char *st_unprefixed(const char *key);

/* Parses and validates the bytes of a whole file into F (whose name is set);
 * on failure F keeps what it allocated, for crt_st_close. */
int st_parse(crt_st_file *f, const unsigned char *bytes, size_t size, crt_error *e);

#endif
