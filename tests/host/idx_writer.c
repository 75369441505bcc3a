#include "idx_writer.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#include "cratert_host.h"

static void put_be32(unsigned char *p, unsigned v) {
  p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

static void write_file(const char *path, const unsigned char *data, size_t size, bool gz) {
  if (gz) {
    gzFile f = gzopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(gzwrite(f, data, (unsigned)size), (int)size);
    ck_assert_int_eq(gzclose(f), Z_OK);
  } else {
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, size, f), size);
    ck_assert_int_eq(fclose(f), 0);
  }
}

static void write_split(const char *dir, const char *prefix, int count, int classes, bool gz,
                        crt_rng *r) {
  size_t plane = 28 * 28;
  unsigned char *images = malloc(16 + (size_t)count * plane), *labels = malloc(8 + (size_t)count);
  put_be32(images, 0x803), put_be32(images + 4, (unsigned)count);
  put_be32(images + 8, 28), put_be32(images + 12, 28);
  put_be32(labels, 0x801), put_be32(labels + 4, (unsigned)count);
  for (int i = 0; i < count; i++) {
    int c = (int)crt_rng_below(r, (uint64_t)classes);
    labels[8 + i] = (unsigned char)c;
    unsigned char *img = images + 16 + (size_t)i * plane;
    for (size_t p = 0; p < plane; p++) {
      int row = (int)(p / 28), band = row >= 2 * c + 4 && row <= 2 * c + 6;
      img[p] = (unsigned char)(crt_rng_below(r, 96) + (band ? 150 : 0));
    }
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte%s", dir, prefix, gz ? ".gz" : "");
  write_file(path, images, 16 + (size_t)count * plane, gz);
  snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte%s", dir, prefix, gz ? ".gz" : "");
  write_file(path, labels, 8 + (size_t)count, gz);
  free(images), free(labels);
}

void idx_write_dataset(const char *dir, int train_count, int test_count) {
  idx_write_classes(dir, train_count, test_count, 10);
}

void idx_write_classes(const char *dir, int train_count, int test_count, int classes) {
  crt_rng r;
  crt_rng_seed(&r, 2024);
  write_split(dir, "train", train_count, classes, true, &r);
  write_split(dir, "t10k", test_count, classes, false, &r);
}
