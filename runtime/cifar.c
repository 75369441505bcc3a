/* CIFAR-10 binary batches: records of one label byte and a 3×32×32 image
 * stored channel by channel (CHW, as the model wants it). */
#include "data_internal.h"

#include <stdlib.h>
#include <string.h>

enum { SIDE = 32, IMAGE_BYTES = 3 * SIDE * SIDE, RECORD_BYTES = 1 + IMAGE_BYTES, TRAIN_BATCHES = 5 };

/* Appends the records of PATH to D. */
static int read_batch(crt_dataset *d, const char *path, crt_error *e) {
  data_file f;
  if (data_open(&f, path, e)) return -1;
  uint8_t *bytes;
  size_t size;
  int rc = data_read_to_end(&f, &bytes, &size, e);
  data_close(&f);
  if (rc) return -1;
  if (size == 0 || size % RECORD_BYTES)
    rc = crt_fail(e, "%s: %zu bytes is not a whole number of %d-byte CIFAR-10 records%s", path,
                  size, RECORD_BYTES, size ? " (truncated?)" : "");
  int64_t first = d->count;
  size_t records = size / RECORD_BYTES, total = (size_t)d->count + records;
  uint8_t *images = rc ? NULL : realloc(d->images, total * IMAGE_BYTES);
  if (images) d->images = images;
  uint8_t *labels = images ? realloc(d->labels, total) : NULL;
  if (labels) d->labels = labels;
  if (!rc && !labels) rc = crt_fail(e, "%s: out of memory", path);
  for (size_t r = 0; r < records && !rc; r++) {
    const uint8_t *record = bytes + r * RECORD_BYTES;
    d->labels[d->count] = record[0];
    memcpy(d->images + (size_t)d->count * IMAGE_BYTES, record + 1, IMAGE_BYTES);
    d->count++;
  }
  free(bytes);
  return rc ? rc : data_check_labels(d, first, path, e);
}

int crt_dataset_load_cifar10(crt_dataset *d, const char *dir, bool train, int classes,
                            crt_error *e) {
  static const char *const names[] = {"airplane", "automobile", "bird", "cat", "deer",
                                      "dog",      "frog",       "horse", "ship", "truck"};
  memset(d, 0, sizeof *d);
  d->channels = 3;
  d->height = d->width = SIDE;
  d->classes = classes;
  d->class_names = data_names(names, 10, classes);
  data_set_stats(d, (const float[]){0.4914f, 0.4822f, 0.4465f},
                 (const float[]){0.2470f, 0.2435f, 0.2616f});
  char path[4096];
  for (int b = 1; b <= (train ? TRAIN_BATCHES : 1); b++) {
    if (train)
      snprintf(path, sizeof path, "%s/data_batch_%d.bin", dir, b);
    else
      snprintf(path, sizeof path, "%s/test_batch.bin", dir);
    if (read_batch(d, path, e)) {
      crt_dataset_free(d);
      return -1;
    }
  }
  return 0;
}
