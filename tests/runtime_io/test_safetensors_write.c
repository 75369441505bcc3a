/* Writing safetensors: what is written reads back bit for bit, the layout
 * follows the format (aligned data section), and the write is atomic: no
 * temporary file stays behind and a failed write leaves the old file alone. */
#include "cratert_host.h"
#include "run_suite.h"
#include "scratch.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <zlib.h>

static const float matrix[2][3] = {{1.5f, -2.25f, 3e-38f}, {-0.0f, 1e30f, 7.0f}};
static const int64_t labels[4] = {0, 9, -1, INT64_MAX};
static const uint8_t flag = 1;
static const uint16_t halves[3] = {0x3c00, 0xc000, 0x7c00};

static int sample_tensors(crt_tensor *t) {
  t[0] = (crt_tensor){"weights", CRT_F32, 2, {2, 3}, matrix, sizeof matrix};
  t[1] = (crt_tensor){"labels", CRT_I64, 1, {4}, labels, sizeof labels};
  t[2] = (crt_tensor){"scalar", CRT_BOOL, 0, {0}, &flag, 1};
  t[3] = (crt_tensor){"empty", CRT_F32, 2, {0, 5}, NULL, 0};
  t[4] = (crt_tensor){"module.halves", CRT_BF16, 1, {3}, halves, sizeof halves};
  return 5;
}

static const char *const metadata[] = {"format", "pt", "step", "1200", NULL};

START_TEST(round_trip_is_bitwise) {
  const char *dir = scratch_dir();
  char path[4200];
  scratch_path(path, sizeof path, dir, "out.safetensors");
  crt_tensor t[8];
  int n = sample_tensors(t);
  crt_error e = {{0}};
  ck_assert_msg(crt_st_write(path, t, n, metadata, &e) == 0, "%s", e.msg);

  crt_st_file *f = crt_st_open(path, &e);
  ck_assert_msg(f, "%s", e.msg);
  ck_assert_int_eq(crt_st_count(f), n);
  for (int i = 0; i < n; i++) {
    const crt_tensor *got = crt_st_at(f, i);
    ck_assert_str_eq(got->name, t[i].name);
    ck_assert_int_eq(got->dtype, t[i].dtype);
    ck_assert_int_eq(got->rank, t[i].rank);
    for (int d = 0; d < t[i].rank; d++) ck_assert_int_eq(got->shape[d], t[i].shape[d]);
    ck_assert_uint_eq(got->nbytes, t[i].nbytes);
    if (t[i].nbytes) ck_assert_int_eq(memcmp(got->data, t[i].data, t[i].nbytes), 0);
  }
  ck_assert_str_eq(crt_st_metadata(f, "format"), "pt");
  ck_assert_str_eq(crt_st_metadata(f, "step"), "1200");
  ck_assert_ptr_eq(crt_st_find(f, "halves"), crt_st_at(f, 4));
  crt_st_close(f);

  size_t size;
  unsigned char *bytes = scratch_read(path, &size);
  uint64_t header_len;
  memcpy(&header_len, bytes, 8);
  ck_assert_uint_eq(header_len % 8, 0);
  ck_assert_uint_eq(size, 8 + header_len + sizeof matrix + sizeof labels + 1 + sizeof halves);
  free(bytes);
  ck_assert_int_eq(scratch_entries(dir), 1);
  scratch_remove(dir);
}
END_TEST

START_TEST(rewrite_replaces_and_leaves_no_temporary) {
  const char *dir = scratch_dir();
  char path[4200];
  scratch_path(path, sizeof path, dir, "ckpt.safetensors");
  crt_tensor t[8];
  int n = sample_tensors(t);
  crt_error e = {{0}};
  ck_assert_msg(crt_st_write(path, t, n, NULL, &e) == 0, "%s", e.msg);
  ck_assert_msg(crt_st_write(path, t, 1, metadata, &e) == 0, "%s", e.msg);
  ck_assert_int_eq(scratch_entries(dir), 1);
  crt_st_file *f = crt_st_open(path, &e);
  ck_assert_msg(f, "%s", e.msg);
  ck_assert_int_eq(crt_st_count(f), 1);
  ck_assert_str_eq(crt_st_metadata(f, "step"), "1200");
  crt_st_close(f);
  scratch_remove(dir);
}
END_TEST

/* The old file's bytes, for checking that a failed write did not touch it. */
static unsigned char *write_original(const char *path, size_t *size) {
  crt_tensor t[8];
  int n = sample_tensors(t);
  crt_error e = {{0}};
  ck_assert_msg(crt_st_write(path, t, n, metadata, &e) == 0, "%s", e.msg);
  return scratch_read(path, size);
}

static void assert_unchanged(const char *path, const unsigned char *before, size_t size) {
  size_t now_size;
  unsigned char *now = scratch_read(path, &now_size);
  ck_assert_uint_eq(now_size, size);
  ck_assert_int_eq(memcmp(now, before, size), 0);
  free(now);
}

START_TEST(invalid_tensors_are_refused_before_writing) {
  const char *dir = scratch_dir();
  char path[4200];
  scratch_path(path, sizeof path, dir, "w.safetensors");
  size_t size;
  unsigned char *before = write_original(path, &size);
  crt_error e = {{0}};

  crt_tensor bad = {"weights", CRT_F32, 2, {2, 3}, matrix, sizeof matrix - 4};
  ck_assert_int_eq(crt_st_write(path, &bad, 1, NULL, &e), -1);
  ck_assert_str_eq(strstr(e.msg, ": "), ": tensor 'weights': F32 of this shape is 24 bytes, 20 given");

  crt_tensor twice[2] = {{"a", CRT_U8, 0, {0}, &flag, 1}, {"a", CRT_U8, 0, {0}, &flag, 1}};
  ck_assert_int_eq(crt_st_write(path, twice, 2, NULL, &e), -1);
  ck_assert_ptr_nonnull(strstr(e.msg, "tensor 'a' given twice"));

  crt_tensor negative = {"n", CRT_F32, 1, {-1}, matrix, 0};
  ck_assert_int_eq(crt_st_write(path, &negative, 1, NULL, &e), -1);
  ck_assert_ptr_nonnull(strstr(e.msg, "invalid dtype, rank or shape"));

  const char *const no_value[] = {"key", NULL, NULL};
  ck_assert_int_eq(crt_st_write(path, twice, 1, no_value, &e), -1);
  ck_assert_ptr_nonnull(strstr(e.msg, "metadata key 'key' has no value"));

  assert_unchanged(path, before, size);
  ck_assert_int_eq(scratch_entries(dir), 1);
  free(before);
  scratch_remove(dir);
}
END_TEST

START_TEST(failed_write_keeps_the_old_file) {
  const char *dir = scratch_dir();
  char path[4200];
  scratch_path(path, sizeof path, dir, "w.safetensors");
  size_t size;
  unsigned char *before = write_original(path, &size);

  /* A file-size limit makes the write fail half-way, like a full disk. */
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit limit = {.rlim_cur = 4096, .rlim_max = RLIM_INFINITY};
  ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &limit), 0);
  enum { BIG = 1 << 16 };
  float *big = calloc(BIG, sizeof *big);
  crt_tensor t = {"big", CRT_F32, 1, {BIG}, big, BIG * sizeof *big};
  crt_error e = {{0}};
  ck_assert_int_eq(crt_st_write(path, &t, 1, NULL, &e), -1);
  ck_assert_ptr_nonnull(strstr(e.msg, "cannot write: File too large"));
  free(big);

  assert_unchanged(path, before, size);
  ck_assert_int_eq(scratch_entries(dir), 1);
  free(before);
  scratch_remove(dir);
}
END_TEST

START_TEST(missing_directory_is_an_error) {
  crt_error e = {{0}};
  crt_tensor t = {"x", CRT_U8, 0, {0}, &flag, 1};
  ck_assert_int_eq(crt_st_write("/nonexistent-dir/x.safetensors", &t, 1, NULL, &e), -1);
  ck_assert_str_eq(e.msg, "/nonexistent-dir/x.safetensors: cannot create a temporary file beside "
                          "it: No such file or directory");
}
END_TEST

/* Every tensor written carries its CRC32; a flipped data byte, or a
 * checksum edited in the header, is refused naming the tensor. */
START_TEST(checksums_name_the_damaged_tensor) {
  const char *dir = scratch_dir();
  char path[4200];
  scratch_path(path, sizeof path, dir, "out.safetensors");
  crt_tensor t[8];
  int n = sample_tensors(t);
  crt_error e = {{0}};
  ck_assert_msg(crt_st_write(path, t, n, metadata, &e) == 0, "%s", e.msg);
  crt_st_file *f = crt_st_open(path, &e);
  ck_assert_msg(f, "%s", e.msg);
  char want[16];
  snprintf(want, sizeof want, "%08lx", crc32(0, (const Bytef *)labels, sizeof labels));
  ck_assert_str_eq(crt_st_metadata(f, "crc32.labels"), want);
  ck_assert_str_eq(crt_st_metadata(f, "crc32.empty"), "00000000");
  crt_st_close(f);

  size_t size;
  unsigned char *bytes = scratch_read(path, &size);
  uint64_t header_len;
  memcpy(&header_len, bytes, 8);
  bytes[8 + header_len + sizeof matrix + 3] ^= 0x10;   /* inside 'labels' */
  scratch_write(path, bytes, size);
  ck_assert_ptr_null(crt_st_open(path, &e));
  ck_assert_msg(strstr(e.msg, path) && strstr(e.msg, "tensor 'labels' is damaged"), "%s", e.msg);

  bytes[8 + header_len + sizeof matrix + 3] ^= 0x10;
  char *recorded = strstr((char *)bytes + 8, want);
  recorded[0] = recorded[0] == '0' ? '1' : '0';
  scratch_write(path, bytes, size);
  ck_assert_ptr_null(crt_st_open(path, &e));
  ck_assert_msg(strstr(e.msg, "tensor 'labels' is damaged"), "%s", e.msg);
  free(bytes);

  const char *const reserved[] = {"crc32.weights", "0", NULL};
  ck_assert_int_eq(crt_st_write(path, t, n, reserved, &e), -1);
  ck_assert_msg(strstr(e.msg, "reserved"), "%s", e.msg);
  scratch_remove(dir);
}
END_TEST

int main(void) {
  Suite *s = suite_create("safetensors_write");
  TCase *tc = tcase_create("write");
  tcase_add_test(tc, round_trip_is_bitwise);
  tcase_add_test(tc, rewrite_replaces_and_leaves_no_temporary);
  tcase_add_test(tc, invalid_tensors_are_refused_before_writing);
  tcase_add_test(tc, failed_write_keeps_the_old_file);
  tcase_add_test(tc, missing_directory_is_an_error);
  tcase_add_test(tc, checksums_name_the_damaged_tensor);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
