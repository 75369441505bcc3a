/* Malformed safetensors files: each gives its own clear error naming the
 * file and the tensor, never a crash (this test also runs under ASan and
 * UBSan). Headers are written here as JSON text; the data section is zeros. */
#include "cratert_host.h"
#include "run_suite.h"
#include "scratch.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A file: the 8-byte length of JSON, JSON, then DATA_SIZE zero bytes. */
static unsigned char *file_bytes(const char *json, size_t data_size, size_t *size) {
  uint64_t len = strlen(json);
  *size = 8 + len + data_size;
  unsigned char *bytes = calloc(1, *size);
  memcpy(bytes, &len, 8);
  memcpy(bytes + 8, json, len);
  return bytes;
}

static const struct {
  const char *json;
  size_t data_size;
  const char *error;   /* after "w.safetensors: " */
} malformed[] = {
    {"{\"a\": ", 0, "header is not valid JSON (near byte 5 of the header)"},
    {"[1, 2]", 0, "header is not a JSON object"},
    {"{} x", 0, "header has text after its JSON object (byte 2)"},
    {"{\"a\": 3}", 0, "tensor 'a': entry is not a JSON object"},
    {"{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4], \"strides\": [1]}}", 4,
     "tensor 'a': unknown field 'strides' (expected dtype, shape, data_offsets)"},
    {"{\"a\": {\"dtype\": \"F32\", \"shape\": [1]}}", 4, "tensor 'a': missing field 'data_offsets'"},
    {"{\"a\": {\"dtype\": \"F32\", \"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4,
     "tensor 'a': field 'dtype' given twice"},
    {"{\"a\": {\"dtype\": \"F17\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4,
     "tensor 'a': unknown dtype 'F17' (expected one of F32, F64, F16, BF16, I64, I32, I16, I8, "
     "U8, BOOL)"},
    {"{\"a\": {\"dtype\": 32, \"shape\": [1], \"data_offsets\": [0, 4]}}", 4,
     "tensor 'a': unknown dtype (not a string) (expected one of F32, F64, F16, BF16, I64, I32, "
     "I16, I8, U8, BOOL)"},
    {"{\"a\": {\"dtype\": \"F32\", \"shape\": 1, \"data_offsets\": [0, 4]}}", 4,
     "tensor 'a': shape is not a list of non-negative integers"},
    {"{\"a\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", 4,
     "tensor 'a': shape is not a list of non-negative integers"},
    {"{\"a\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}", 4,
     "tensor 'a': shape is not a list of non-negative integers"},
    {"{\"a\": {\"dtype\": \"F32\", \"shape\": [1,1,1,1,1,1,1,1,1], \"data_offsets\": [0, 4]}}", 4,
     "tensor 'a': rank 9 exceeds the supported 8"},
    {"{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}}", 4,
     "tensor 'a': data_offsets is not [begin, end]"},
    {"{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 0]}}", 4,
     "tensor 'a': data_offsets [4, 0] outside the 4-byte data section"},
    {"{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 4,
     "tensor 'a': data_offsets [0, 8] outside the 4-byte data section"},
    {"{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 4]}}", 4,
     "tensor 'a': F32 (2,) needs 8 bytes, data_offsets give 4"},
    {"{\"a\": {\"dtype\": \"F64\", \"shape\": [4294967296, 4294967296], \"data_offsets\": [0, 8]}}",
     8, "tensor 'a': shape (4294967296, 4294967296) is too large"},
    {"{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
     " \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}",
     12, "tensors 'a' and 'b' overlap in the data section"},
    {"{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]},"
     " \"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}",
     8, "tensor 'a' appears twice in the header"},
    {"{\"__metadata__\": [\"x\"]}", 0, "__metadata__ is not a JSON object of strings"},
    {"{\"__metadata__\": {\"step\": 3}}", 0, "__metadata__ entry 'step' is not a string"},
    {"{\"__metadata__\": {}, \"__metadata__\": {}}", 0, "__metadata__ appears twice"},
};

START_TEST(malformed_header_is_named) {
  size_t size;
  unsigned char *bytes = file_bytes(malformed[_i].json, malformed[_i].data_size, &size);
  crt_error e = {{0}};
  crt_st_file *f = crt_st_open_memory(bytes, size, "w.safetensors", &e);
  ck_assert_ptr_null(f);
  char expected[1024];
  snprintf(expected, sizeof expected, "w.safetensors: %s", malformed[_i].error);
  ck_assert_str_eq(e.msg, expected);
  free(bytes);
}
END_TEST

START_TEST(short_file_and_lying_length) {
  crt_error e = {{0}};
  ck_assert_ptr_null(crt_st_open_memory("\x02\0\0\0\0", 5, "w.safetensors", &e));
  ck_assert_str_eq(e.msg, "w.safetensors: file is 5 bytes, too short for the 8-byte header length");
  size_t size;
  unsigned char *bytes = file_bytes("{}", 4088 - 2, &size);
  uint64_t lie = 1000000;
  memcpy(bytes, &lie, 8);
  ck_assert_ptr_null(crt_st_open_memory(bytes, size, "w.safetensors", &e));
  ck_assert_str_eq(e.msg, "w.safetensors: header length 1000000 exceeds the file size 4096");
  lie = UINT64_MAX;
  memcpy(bytes, &lie, 8);
  ck_assert_ptr_null(crt_st_open_memory(bytes, size, "w.safetensors", &e));
  ck_assert_ptr_nonnull(strstr(e.msg, "exceeds the file size 4096"));
  free(bytes);
}
END_TEST

START_TEST(padding_and_empty_files_are_valid) {
  size_t size;
  unsigned char *bytes =
      file_bytes("{\"a\": {\"dtype\": \"U8\", \"shape\": [], \"data_offsets\": [0, 1]}}    ", 1, &size);
  crt_error e = {{0}};
  crt_st_file *f = crt_st_open_memory(bytes, size, "w.safetensors", &e);
  ck_assert_msg(f, "%s", e.msg);
  ck_assert_int_eq(crt_st_at(f, 0)->rank, 0);
  crt_st_close(f);
  free(bytes);
  bytes = file_bytes("{}", 0, &size);
  f = crt_st_open_memory(bytes, size, NULL, &e);
  ck_assert_msg(f, "%s", e.msg);
  ck_assert_int_eq(crt_st_count(f), 0);
  ck_assert_str_eq(crt_st_path(f), "(memory)");
  crt_st_close(f);
  free(bytes);
}
END_TEST

/* A two-parameter model: "cls_token" (1, 1, 4) and "head.bias" (2). */
static const crt_param_spec model[] = {
    {"cls_token", 3, {1, 1, 4}},
    {"head.bias", 1, {2}},
};

static int load(const char *json, size_t data_size, crt_error *e) {
  size_t size;
  unsigned char *bytes = file_bytes(json, data_size, &size);
  crt_st_file *f = crt_st_open_memory(bytes, size, "w.safetensors", e);
  ck_assert_msg(f, "%s", e->msg);
  float cls[4] = {0}, bias[2] = {0};
  float *const dst[] = {cls, bias};
  int rc = crt_st_load_f32(f, model, 2, dst, e);
  crt_st_close(f);
  free(bytes);
  return rc;
}

#define CLS "\"cls_token\": {\"dtype\": \"F32\", \"shape\": [1, 1, 4], \"data_offsets\": [0, 16]}"
#define BIAS "\"head.bias\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [16, 24]}"

START_TEST(load_checks_against_the_model) {
  crt_error e = {{0}};
  ck_assert_msg(load("{" CLS ", " BIAS "}", 24, &e) == 0, "%s", e.msg);
  ck_assert_msg(load("{\"module.cls_token\": {\"dtype\": \"F32\", \"shape\": [1, 1, 4], "
                     "\"data_offsets\": [0, 16]}, \"module.head.bias\": {\"dtype\": \"F32\", "
                     "\"shape\": [2], \"data_offsets\": [16, 24]}}",
                     24, &e) == 0,
                "%s", e.msg);

  ck_assert_int_eq(load("{" CLS "}", 16, &e), -1);
  ck_assert_str_eq(e.msg, "w.safetensors: missing tensor 'head.bias'");

  ck_assert_int_eq(load("{\"cls_token\": {\"dtype\": \"F32\", \"shape\": [1, 4], "
                        "\"data_offsets\": [0, 16]}, " BIAS "}", 24, &e), -1);
  ck_assert_str_eq(e.msg, "w.safetensors: tensor 'cls_token': expected shape (1, 1, 4), found (1, 4)");

  ck_assert_int_eq(load("{" CLS ", \"head.bias\": {\"dtype\": \"F16\", \"shape\": [2], "
                        "\"data_offsets\": [16, 20]}}", 20, &e), -1);
  ck_assert_str_eq(e.msg, "w.safetensors: tensor 'head.bias': dtype F16, expected F32");

  ck_assert_int_eq(load("{" CLS ", " BIAS ", \"foo\": {\"dtype\": \"U8\", \"shape\": [], "
                        "\"data_offsets\": [24, 25]}}", 25, &e), -1);
  ck_assert_str_eq(e.msg, "w.safetensors: unknown tensor 'foo' (the model has no parameter of that name)");

  ck_assert_int_eq(load("{" CLS ", " BIAS ", \"cls_tokens\": {\"dtype\": \"U8\", \"shape\": [], "
                        "\"data_offsets\": [24, 25]}}", 25, &e), -1);
  ck_assert_str_eq(e.msg, "w.safetensors: unknown tensor 'cls_tokens' (the model has no parameter "
                          "of that name; did you mean 'cls_token'?)");

  ck_assert_int_eq(load("{" CLS ", " BIAS ", \"module.head.bias\": {\"dtype\": \"F32\", "
                        "\"shape\": [2], \"data_offsets\": [24, 32]}}", 32, &e), -1);
  ck_assert_str_eq(e.msg, "w.safetensors: tensors 'head.bias' and 'module.head.bias' both give "
                          "parameter 'head.bias'");
}
END_TEST

START_TEST(truncated_and_missing_files_on_disk) {
  size_t size;
  unsigned char *bytes = scratch_read(CRATEC_TEST_DATA "/micro/weights.safetensors", &size);
  const char *dir = scratch_dir();
  char path[4200];
  scratch_path(path, sizeof path, dir, "half.safetensors");
  scratch_write(path, bytes, size / 2);
  crt_error e = {{0}};
  ck_assert_ptr_null(crt_st_open(path, &e));
  char expected[8192];
  /* Tensors are checked in file order; the first one past the cut is named. */
  snprintf(expected, sizeof expected, "%s: tensor 'transformer.layers.0.0.fn.to_out.0.weight': "
           "data_offsets [72960, 89344] outside the 78612-byte data section", path);
  ck_assert_str_eq(e.msg, expected);

  scratch_write(path, bytes, 0);
  ck_assert_ptr_null(crt_st_open(path, &e));
  snprintf(expected, sizeof expected,
           "%s: file is 0 bytes, too short for the 8-byte header length", path);
  ck_assert_str_eq(e.msg, expected);

  ck_assert_ptr_null(crt_st_open(dir, &e));
  snprintf(expected, sizeof expected, "%s: not a regular file (a directory)", dir);
  ck_assert_str_eq(e.msg, expected);
  unlink(path);
  ck_assert_ptr_null(crt_st_open(path, &e));
  snprintf(expected, sizeof expected, "%s: cannot open: No such file or directory", path);
  ck_assert_str_eq(e.msg, expected);
  free(bytes);
  scratch_remove(dir);
}
END_TEST

int main(void) {
  Suite *s = suite_create("safetensors_malformed");
  TCase *tc = tcase_create("malformed");
  tcase_add_loop_test(tc, malformed_header_is_named, 0, sizeof malformed / sizeof malformed[0]);
  tcase_add_test(tc, short_file_and_lying_length);
  tcase_add_test(tc, padding_and_empty_files_are_valid);
  tcase_add_test(tc, load_checks_against_the_model);
  tcase_add_test(tc, truncated_and_missing_files_on_disk);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
