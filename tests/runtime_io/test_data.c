/* Data sets and the loader: IDX files (plain and gzipped) and CIFAR-10
 * batches generated here, every kind of damaged file, batching,
 * normalisation, shuffling and resuming; and the real Fashion-MNIST test
 * set when Debian's dataset-fashion-mnist is installed. */
#include "cratert_host.h"
#include "run_suite.h"
#include "scratch.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

enum { COUNT = 7, ROWS = 3, COLS = 2 };

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static uint8_t pixel(int image, int i) { return (uint8_t)(37 * image + 11 * i); }

/* An IDX images file of COUNT images, ROWS × COLS, with the given magic. */
static size_t idx_images(uint8_t *buf, uint32_t magic, uint32_t count) {
  put_be32(buf, magic);
  put_be32(buf + 4, count);
  put_be32(buf + 8, ROWS);
  put_be32(buf + 12, COLS);
  for (uint32_t n = 0; n < count; n++)
    for (int i = 0; i < ROWS * COLS; i++) buf[16 + n * ROWS * COLS + i] = pixel((int)n, i);
  return 16 + (size_t)count * ROWS * COLS;
}

static size_t idx_labels(uint8_t *buf, uint32_t count) {
  put_be32(buf, 0x801);
  put_be32(buf + 4, count);
  for (uint32_t n = 0; n < count; n++) buf[8 + n] = (uint8_t)(n * 3 % 10);
  return 8 + count;
}

static void write_gz(const char *path, const void *data, size_t size) {
  gzFile gz = gzopen(path, "wb");
  ck_assert_ptr_nonnull(gz);
  ck_assert_int_eq(gzwrite(gz, data, (unsigned)size), (int)size);
  ck_assert_int_eq(gzclose(gz), Z_OK);
}

typedef struct {
  const char *dir;
  char images[4200], labels[4200];
} idx_files;

/* A valid pair in a fresh directory, named as in the MNIST distribution. */
static idx_files make_idx(bool gzipped) {
  idx_files f = {.dir = scratch_dir()};
  uint8_t buf[1024];
  scratch_path(f.images, sizeof f.images, f.dir,
               gzipped ? "t10k-images-idx3-ubyte.gz" : "t10k-images-idx3-ubyte");
  scratch_path(f.labels, sizeof f.labels, f.dir,
               gzipped ? "t10k-labels-idx1-ubyte.gz" : "t10k-labels-idx1-ubyte");
  size_t n = idx_images(buf, 0x803, COUNT);
  (gzipped ? write_gz : scratch_write)(f.images, buf, n);
  n = idx_labels(buf, COUNT);
  (gzipped ? write_gz : scratch_write)(f.labels, buf, n);
  return f;
}

static void check_idx_contents(const crt_dataset *d) {
  ck_assert_int_eq(d->count, COUNT);
  ck_assert_int_eq(d->channels, 1);
  ck_assert_int_eq(d->height, ROWS);
  ck_assert_int_eq(d->width, COLS);
  ck_assert_int_eq(d->classes, 10);
  for (int n = 0; n < COUNT; n++) {
    ck_assert_int_eq(d->labels[n], n * 3 % 10);
    for (int i = 0; i < ROWS * COLS; i++) ck_assert_int_eq(d->images[n * ROWS * COLS + i], pixel(n, i));
  }
}

START_TEST(idx_plain_and_gzipped) {
  for (int gzipped = 0; gzipped <= 1; gzipped++) {
    idx_files f = make_idx(gzipped);
    crt_dataset d;
    crt_error e = {{0}};
    ck_assert_msg(crt_dataset_load_idx(&d, f.images, f.labels, 10, &e) == 0, "%s", e.msg);
    check_idx_contents(&d);
    crt_dataset_free(&d);
    /* The same files through the directory layout and the command-line name. */
    char spec[4300];
    snprintf(spec, sizeof spec, "mnist:%s", f.dir);
    ck_assert_msg(crt_dataset_open(&d, spec, false, 10, &e) == 0, "%s", e.msg);
    check_idx_contents(&d);
    ck_assert_float_eq(d.mean[0], 0.1307f);
    ck_assert_float_eq(d.std[0], 0.3081f);
    ck_assert_ptr_null(d.class_names);   /* MNIST's classes are the digits themselves */
    crt_dataset_free(&d);
    snprintf(spec, sizeof spec, "fashion-mnist:%s", f.dir);
    ck_assert_msg(crt_dataset_open(&d, spec, false, 10, &e) == 0, "%s", e.msg);
    ck_assert_float_eq(d.mean[0], 0.2860f);
    ck_assert_str_eq(d.class_names[0], "T-shirt/top");
    ck_assert_str_eq(d.class_names[9], "Ankle boot");
    crt_dataset_free(&d);
    scratch_remove(f.dir);
  }
}
END_TEST

/* Loads F with the images file replaced by IMAGES; returns the error text
 * after the file name. */
static const char *idx_error(idx_files *f, const void *images, size_t size, const void *labels,
                             size_t labels_size, crt_error *e) {
  scratch_write(f->images, images, size);
  if (labels) scratch_write(f->labels, labels, labels_size);
  crt_dataset d;
  ck_assert_int_eq(crt_dataset_load_idx(&d, f->images, f->labels, 10, e), -1);
  ck_assert_ptr_null(d.images);
  ck_assert_ptr_null(d.labels);
  const char *rest = strstr(e->msg, ": ");
  ck_assert_ptr_nonnull(rest);
  return rest + 2;
}

START_TEST(idx_damage_is_named) {
  idx_files f = make_idx(false);
  uint8_t images[1024], labels[64];
  size_t n = idx_images(images, 0x803, COUNT), m = idx_labels(labels, COUNT);
  crt_error e = {{0}};

  ck_assert_str_eq(idx_error(&f, images, 10, NULL, 0, &e),
                   "truncated: expected 12 bytes of the IDX dimensions, found 6");
  ck_assert_int_eq(strncmp(e.msg, f.images, strlen(f.images)), 0);
  ck_assert_str_eq(idx_error(&f, images, n - 5, NULL, 0, &e),
                   "truncated: expected 42 bytes of the images, found 37");
  ck_assert_str_eq(idx_error(&f, images, n + 1, NULL, 0, &e),
                   "unexpected data after the last record");

  idx_images(images, 0x801, COUNT);
  ck_assert_str_eq(idx_error(&f, images, n, NULL, 0, &e),
                   "not an IDX file of images: magic number 0x00000801, expected 0x00000803");
  idx_images(images, 0x803, COUNT);
  put_be32(images + 8, 0);
  ck_assert_str_eq(idx_error(&f, images, n, NULL, 0, &e),
                   "images of 0 x 2 pixels (expected 1 to 4096 on a side)");
  /* A header claiming billions of images: the missing bytes are reported,
   * nothing of that size is allocated. */
  put_be32(images + 4, 0xffffffffu);
  put_be32(images + 8, ROWS);
  ck_assert_str_eq(idx_error(&f, images, n, NULL, 0, &e),
                   "truncated: expected 25769803770 bytes of the images, found 42");
  put_be32(images + 4, COUNT);

  ck_assert_str_eq(idx_error(&f, images, n, labels, m - 1, &e),
                   "truncated: expected 7 bytes of the labels, found 6");
  ck_assert_int_eq(strncmp(e.msg, f.labels, strlen(f.labels)), 0);
  put_be32(labels + 4, COUNT - 1);
  ck_assert_str_eq(idx_error(&f, images, n, labels, m - 1, &e),
                   "6 labels for the 7 images of the images file");
  put_be32(labels + 4, COUNT);
  labels[8 + 4] = 10;
  ck_assert_str_eq(idx_error(&f, images, n, labels, m, &e),
                   "label 10 of record 4 is not below the 10 classes");

  unlink(f.labels);
  ck_assert_str_eq(idx_error(&f, images, n, NULL, 0, &e), "cannot open: No such file or directory");
  scratch_remove(f.dir);
}
END_TEST

START_TEST(corrupt_gzip_is_an_error) {
  idx_files f = make_idx(true);
  size_t size;
  uint8_t *bytes = scratch_read(f.images, &size);
  bytes[size - 6] ^= 0xff;   /* in the stored CRC-32: the check at the end fails */
  scratch_write(f.images, bytes, size);
  crt_dataset d;
  crt_error e = {{0}};
  ck_assert_int_eq(crt_dataset_load_idx(&d, f.images, f.labels, 10, &e), -1);
  ck_assert_int_eq(strncmp(e.msg, f.images, strlen(f.images)), 0);
  ck_assert_str_eq(e.msg + strlen(f.images), ": cannot read: incorrect data check");
  free(bytes);
  scratch_remove(f.dir);
}
END_TEST

enum { CIFAR_RECORD = 3073 };

static void write_cifar(const char *dir, const char *name, int records, int first) {
  uint8_t *buf = calloc((size_t)records, CIFAR_RECORD);
  for (int r = 0; r < records; r++) {
    buf[r * CIFAR_RECORD] = (uint8_t)((first + r) % 10);
    for (int i = 0; i < 3072; i++) buf[r * CIFAR_RECORD + 1 + i] = pixel(first + r, i);
  }
  char path[4200];
  scratch_write(scratch_path(path, sizeof path, dir, name), buf, (size_t)records * CIFAR_RECORD);
  free(buf);
}

START_TEST(cifar10_batches) {
  const char *dir = scratch_dir();
  static const int sizes[5] = {2, 3, 1, 1, 2};
  char name[64];
  int first = 0;
  for (int b = 0; b < 5; b++) {
    snprintf(name, sizeof name, "data_batch_%d.bin", b + 1);
    write_cifar(dir, name, sizes[b], first);
    first += sizes[b];
  }
  write_cifar(dir, "test_batch.bin", 4, 100);
  crt_dataset d;
  crt_error e = {{0}};
  ck_assert_msg(crt_dataset_load_cifar10(&d, dir, true, 10, &e) == 0, "%s", e.msg);
  ck_assert_int_eq(d.count, 9);
  ck_assert_int_eq(d.channels, 3);
  ck_assert_int_eq(d.height, 32);
  for (int n = 0; n < 9; n++) {
    ck_assert_int_eq(d.labels[n], n % 10);
    ck_assert_int_eq(d.images[n * 3072 + 1024], pixel(n, 1024));   /* green plane */
  }
  crt_dataset_free(&d);
  char spec[4300];
  snprintf(spec, sizeof spec, "cifar10:%s", dir);
  ck_assert_msg(crt_dataset_open(&d, spec, false, 10, &e) == 0, "%s", e.msg);
  ck_assert_int_eq(d.count, 4);
  ck_assert_int_eq(d.labels[0], 0);
  ck_assert_float_eq(d.mean[2], 0.4465f);
  ck_assert_str_eq(d.class_names[0], "airplane");
  ck_assert_str_eq(d.class_names[9], "truck");
  crt_dataset_free(&d);

  char path[4200];
  scratch_path(path, sizeof path, dir, "data_batch_3.bin");
  uint8_t record[CIFAR_RECORD] = {10};
  scratch_write(path, record, sizeof record);
  ck_assert_int_eq(crt_dataset_load_cifar10(&d, dir, true, 10, &e), -1);
  char expected[8400];
  snprintf(expected, sizeof expected, "%s: label 10 of record 0 is not below the 10 classes", path);
  ck_assert_str_eq(e.msg, expected);
  scratch_write(path, record, sizeof record - 1);
  ck_assert_int_eq(crt_dataset_load_cifar10(&d, dir, true, 10, &e), -1);
  snprintf(expected, sizeof expected,
           "%s: 3072 bytes is not a whole number of 3073-byte CIFAR-10 records (truncated?)", path);
  ck_assert_str_eq(e.msg, expected);
  unlink(path);
  ck_assert_int_eq(crt_dataset_load_cifar10(&d, dir, true, 10, &e), -1);
  snprintf(expected, sizeof expected, "%s: cannot open: No such file or directory", path);
  ck_assert_str_eq(e.msg, expected);
  scratch_remove(dir);
}
END_TEST

START_TEST(data_set_names) {
  crt_dataset d;
  crt_error e = {{0}};
  ck_assert_int_eq(crt_dataset_open(&d, "imagenet:/x", true, 10, &e), -1);
  ck_assert_str_eq(e.msg, "unknown data set 'imagenet' (expected fashion-mnist[:DIR], mnist:DIR "
                          "or cifar10:DIR)");
  ck_assert_int_eq(crt_dataset_open(&d, "cifar10", true, 10, &e), -1);
  ck_assert_str_eq(e.msg, "data set 'cifar10' needs a directory: 'cifar10:DIR'");
  ck_assert_int_eq(crt_dataset_open(&d, "mnist:/nonexistent", true, 10, &e), -1);
  ck_assert_str_eq(e.msg, "/nonexistent/train-images-idx3-ubyte: cannot open: No such file or "
                          "directory");
}
END_TEST

/* A data set in memory: image n is filled with byte n, label n % 10. */
static crt_dataset counting_set(int count) {
  crt_dataset d = {.count = count, .channels = 2, .height = 2, .width = 2, .classes = 10,
                   .mean = {0.5f, 0.25f}, .std = {0.5f, 0.25f}};
  d.images = malloc((size_t)count * 8);
  d.labels = malloc((size_t)count);
  for (int n = 0; n < count; n++) {
    memset(d.images + n * 8, n, 8);
    d.labels[n] = (uint8_t)(n % 10);
  }
  return d;
}

START_TEST(loader_batches_every_image_once_per_epoch) {
  enum { N = 23, B = 5 };
  crt_dataset d = counting_set(N);
  crt_loader l;
  crt_error e = {{0}};
  ck_assert_msg(crt_loader_init(&l, &d, B, true, false, 1234, &e) == 0, "%s", e.msg);
  ck_assert_int_eq(crt_loader_steps(&l), 5);
  float images[B * 8];
  int64_t labels[B], order[3][N];
  for (int epoch = 0; epoch < 3; epoch++) {
    int seen[N] = {0}, total = 0, steps = 0;
    int64_t n;
    while ((n = crt_loader_next(&l, images, labels)) > 0) {
      for (int b = 0; b < n; b++) {
        /* Channel 0: (x/255 − 0.5)/0.5; channel 1: (x/255 − 0.25)/0.25. */
        float x0 = images[b * 8] * 0.5f + 0.5f, x1 = images[b * 8 + 4] * 0.25f + 0.25f;
        int image = (int)(x0 * 255.0f + 0.5f);
        ck_assert_int_eq((int)(x1 * 255.0f + 0.5f), image);
        ck_assert_int_eq(labels[b], image % 10);
        order[epoch][total] = image;
        seen[image]++;
        total++;
      }
      steps++;
    }
    ck_assert_int_eq(total, N);
    ck_assert_int_eq(steps, 5);
    for (int i = 0; i < N; i++) ck_assert_int_eq(seen[i], 1);
    ck_assert_int_eq(crt_loader_next(&l, images, labels), 0);
    crt_loader_next_epoch(&l);
  }
  ck_assert_int_eq(l.pos.epoch, 3);
  /* Shuffled, and anew each epoch (23! orders; the seed fixes these). */
  int in_file_order = 1, same_as_before = 1;
  for (int i = 0; i < N; i++) {
    in_file_order &= order[0][i] == i;
    same_as_before &= order[1][i] == order[0][i];
  }
  ck_assert(!in_file_order);
  ck_assert(!same_as_before);
  crt_loader_free(&l);
  crt_dataset_free(&d);
}
END_TEST

START_TEST(loader_normalises_exactly) {
  crt_dataset d = counting_set(3);
  d.images[8 + 5] = 200;   /* image 1, channel 1, pixel 1 */
  crt_loader l;
  crt_error e = {{0}};
  ck_assert_msg(crt_loader_init(&l, &d, 2, false, true, 0, &e) == 0, "%s", e.msg);
  ck_assert_int_eq(crt_loader_steps(&l), 1);
  float images[2 * 8];
  int64_t labels[2];
  ck_assert_int_eq(crt_loader_next(&l, images, labels), 2);
  ck_assert_float_eq(images[8 + 5], (200.0f / 255.0f - 0.25f) / 0.25f);
  ck_assert_float_eq(images[8 + 0], (1.0f / 255.0f - 0.5f) / 0.5f);
  ck_assert_int_eq(labels[1], 1);
  ck_assert_int_eq(crt_loader_next(&l, images, labels), 0);   /* drop_last */
  crt_loader_free(&l);

  ck_assert_int_eq(crt_loader_init(&l, &d, 0, false, false, 0, &e), -1);
  ck_assert_str_eq(e.msg, "batch size 0: must be at least 1");
  d.std[1] = 0;
  ck_assert_int_eq(crt_loader_init(&l, &d, 1, false, false, 0, &e), -1);
  ck_assert_str_eq(e.msg, "channel 1: std 0 must be positive");
  crt_dataset_free(&d);
}
END_TEST

/* Resuming from a saved position gives the same batches as never stopping,
 * within an epoch and across the epoch boundary. */
START_TEST(loader_resumes_exactly) {
  enum { N = 17, B = 4, STEPS = 12 };
  crt_dataset d = counting_set(N);
  crt_loader straight, first, resumed;
  crt_error e = {{0}};
  ck_assert_int_eq(crt_loader_init(&straight, &d, B, true, false, 99, &e), 0);
  ck_assert_int_eq(crt_loader_init(&first, &d, B, true, false, 99, &e), 0);
  ck_assert_int_eq(crt_loader_init(&resumed, &d, B, true, false, 5, &e), 0);
  float a[B * 8], b[B * 8];
  int64_t la[B], lb[B];
  for (int stop = 0; stop < STEPS; stop++) {
    crt_loader *source = stop == 0 ? &first : &resumed;
    crt_loader_position pos = crt_loader_tell(source);
    ck_assert_int_eq(crt_loader_seek(&resumed, &pos, &e), 0);
    int64_t na = crt_loader_next(&straight, a, la);
    if (na == 0) {
      crt_loader_next_epoch(&straight);
      na = crt_loader_next(&straight, a, la);
    }
    int64_t nb = crt_loader_next(&resumed, b, lb);
    if (nb == 0) {
      crt_loader_next_epoch(&resumed);
      nb = crt_loader_next(&resumed, b, lb);
    }
    ck_assert_int_eq(na, nb);
    ck_assert_int_eq(memcmp(a, b, (size_t)na * 8 * sizeof(float)), 0);
    ck_assert_int_eq(memcmp(la, lb, (size_t)na * sizeof(int64_t)), 0);
  }
  ck_assert_int_eq(straight.pos.epoch, 2);
  crt_loader_position bad = {.epoch = 0, .index = N + 1};
  ck_assert_int_eq(crt_loader_seek(&resumed, &bad, &e), -1);
  ck_assert_str_eq(e.msg, "loader position epoch 0, image 18 is outside a data set of 17");
  crt_loader_free(&straight);
  crt_loader_free(&first);
  crt_loader_free(&resumed);
  crt_dataset_free(&d);
}
END_TEST

START_TEST(real_fashion_mnist_test_set) {
  if (access(CRT_FASHION_MNIST_DIR "/t10k-images-idx3-ubyte.gz", R_OK) != 0) return;   /* not installed */
  crt_dataset d;
  crt_error e = {{0}};
  ck_assert_msg(crt_dataset_open(&d, "fashion-mnist", false, 10, &e) == 0, "%s", e.msg);
  ck_assert_int_eq(d.count, 10000);
  ck_assert_int_eq(d.height, 28);
  ck_assert_int_eq(d.width, 28);
  int per_class[10] = {0};
  for (int i = 0; i < d.count; i++) per_class[d.labels[i]]++;
  for (int c = 0; c < 10; c++) ck_assert_int_eq(per_class[c], 1000);   /* balanced test set */
  crt_dataset_free(&d);
}
END_TEST

int main(void) {
  Suite *s = suite_create("data");
  TCase *tc = tcase_create("data");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, idx_plain_and_gzipped);
  tcase_add_test(tc, idx_damage_is_named);
  tcase_add_test(tc, corrupt_gzip_is_an_error);
  tcase_add_test(tc, cifar10_batches);
  tcase_add_test(tc, data_set_names);
  tcase_add_test(tc, loader_batches_every_image_once_per_epoch);
  tcase_add_test(tc, loader_normalises_exactly);
  tcase_add_test(tc, loader_resumes_exactly);
  tcase_add_test(tc, real_fashion_mnist_test_set);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
