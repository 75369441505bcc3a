/* MNIST-style IDX files: a big-endian header (two zero bytes, the element
 * type 0x08 for unsigned bytes, the number of dimensions, then each
 * dimension as a 32-bit count) followed by the elements. */
#include "data_internal.h"

#include <stdlib.h>
#include <string.h>

/* No IDX image set comes near these; they keep a corrupt header from
 * describing an absurd size. */
enum { IDX_MAX_SIDE = 4096 };

static uint32_t big_endian(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads the header of an IDX file of unsigned bytes with RANK dimensions. */
static int read_header(data_file *f, int rank, uint32_t *dims, crt_error *e) {
  uint8_t magic[4], raw[3 * 4];
  if (data_read_exact(f, magic, 4, "the IDX magic number", e)) return -1;
  uint32_t expected = 0x800u | (uint32_t)rank, found = big_endian(magic);
  if (found != expected)
    return crt_fail(e, "%s: not an IDX file of %s: magic number 0x%08x, expected 0x%08x", f->path,
                    rank == 1 ? "labels" : "images", found, expected);
  if (data_read_exact(f, raw, (size_t)rank * 4, "the IDX dimensions", e)) return -1;
  for (int d = 0; d < rank; d++) dims[d] = big_endian(raw + 4 * d);
  return 0;
}

static int read_images(crt_dataset *d, const char *path, crt_error *e) {
  data_file f;
  if (data_open(&f, path, e)) return -1;
  uint32_t dims[3];
  int rc = read_header(&f, 3, dims, e);
  if (!rc && (dims[1] == 0 || dims[2] == 0 || dims[1] > IDX_MAX_SIDE || dims[2] > IDX_MAX_SIDE))
    rc = crt_fail(e, "%s: images of %u x %u pixels (expected 1 to %d on a side)", path, dims[1],
                  dims[2], IDX_MAX_SIDE);
  if (!rc) {
    d->count = dims[0];
    d->height = (int)dims[1];
    d->width = (int)dims[2];
    rc = data_read_alloc(&f, (size_t)dims[0] * dims[1] * dims[2], "the images", &d->images, e);
  }
  if (!rc) rc = data_expect_end(&f, e);
  data_close(&f);
  return rc;
}

static int read_labels(crt_dataset *d, const char *path, crt_error *e) {
  data_file f;
  if (data_open(&f, path, e)) return -1;
  uint32_t count;
  int rc = read_header(&f, 1, &count, e);
  if (!rc && count != d->count)
    rc = crt_fail(e, "%s: %u labels for the %lld images of the images file", path, count,
                  (long long)d->count);
  if (!rc) rc = data_read_alloc(&f, count, "the labels", &d->labels, e);
  if (!rc) rc = data_expect_end(&f, e);
  data_close(&f);
  return rc ? rc : data_check_labels(d, 0, path, e);
}

int crt_dataset_load_idx(crt_dataset *d, const char *images_path, const char *labels_path,
                         int classes, crt_error *e) {
  memset(d, 0, sizeof *d);
  d->channels = 1;
  d->classes = classes;
  data_set_stats(d, (const float[]){0.0f}, (const float[]){1.0f});
  if (read_images(d, images_path, e) || read_labels(d, labels_path, e)) {
    crt_dataset_free(d);
    return -1;
  }
  return 0;
}
