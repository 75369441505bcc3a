/* Every mistake a user can make gives its message and a non-zero exit. */
#include <string.h>

#include "host_run.h"
#include "idx_writer.h"
#include "scratch.h"

START_TEST(missing_weights_file) {
  const char *dir = scratch_dir();
  char in[4096];
  const char *args[] = {"infer", "--weights", "/nonexistent/w.safetensors", "--input",
                        CASE_PATH(in, "micro", "input.safetensors"), "--output", "/dev/null", NULL};
  host_expect_error(dir, "micro", args, "/nonexistent/w.safetensors");
  scratch_remove(dir);
}
END_TEST

START_TEST(no_weights_at_all) {
  const char *dir = scratch_dir();
  char in[4096];
  const char *args[] = {"infer", "--input", CASE_PATH(in, "micro", "input.safetensors"),
                        "--output", "/dev/null", NULL};
  host_expect_error(dir, "micro", args, "no weights: pass --weights FILE");
  scratch_remove(dir);
}
END_TEST

/* The custom case's weights do not fit the micro model: the error names
 * the first tensor whose shape differs. */
START_TEST(wrong_shape_weights) {
  const char *dir = scratch_dir();
  char w[4096], in[4096];
  const char *args[] = {"infer", "--weights", CASE_PATH(w, "custom", "weights.safetensors"),
                        "--input", CASE_PATH(in, "micro", "input.safetensors"), "--output",
                        "/dev/null", NULL};
  host_expect_error(dir, "micro", args, "tensor 'pos_embedding': expected shape (1, 17, 64)");
  scratch_remove(dir);
}
END_TEST

/* Inputs written here: images of the wrong size, labels of the wrong type,
 * a file without images. */
START_TEST(wrong_shape_input) {
  const char *dir = scratch_dir();
  char w[4096], small[4096], i32[4096];
  static float pixels[2 * 3 * 16 * 16];
  static int32_t labels[2];
  crt_tensor images = {"images", CRT_F32, 4, {2, 3, 16, 16}, pixels, sizeof pixels};
  crt_tensor full = {"images", CRT_F32, 4, {2, 3, 32, 32}, NULL, 0};
  static float big[2 * 3 * 32 * 32];
  full.data = big, full.nbytes = sizeof big;
  crt_tensor bad_labels[2] = {full, {"labels", CRT_I32, 1, {2}, labels, sizeof labels}};
  crt_error e;
  ck_assert(crt_st_write(scratch_path(small, sizeof small, dir, "small.safetensors"), &images, 1,
                         NULL, &e) == 0);
  ck_assert(crt_st_write(scratch_path(i32, sizeof i32, dir, "i32.safetensors"), bad_labels, 2,
                         NULL, &e) == 0);
  CASE_PATH(w, "micro", "weights.safetensors");
  const char *infer[] = {"infer", "--weights", w, "--input", small, "--output", "/dev/null", NULL};
  host_expect_error(dir, "micro", infer,
                    "tensor 'images': expected F32 (B, 3, 32, 32), found F32 (2, 3, 16, 16)");
  const char *grad[] = {"grad", "--weights", w, "--input", i32, "--output", "/dev/null", NULL};
  host_expect_error(dir, "micro", grad, "tensor 'labels': expected I64 (2), found I32 (2)");
  const char *none[] = {"infer", "--weights", w, "--input", w, "--output", "/dev/null", NULL};
  host_expect_error(dir, "micro", none, "no tensor 'images'");
  scratch_remove(dir);
}
END_TEST

START_TEST(unknown_flag_hint) {
  const char *dir = scratch_dir();
  const char *args[] = {"infer", "--wieghts", "w.safetensors", NULL};
  host_expect_error(dir, "micro", args, "unknown option '--wieghts'; did you mean '--weights'?");
  const char *train[] = {"train", "--epoch", "3", NULL};
  host_expect_error(dir, "fashion", train, "did you mean '--epochs'?");
  const char *command[] = {"trainn", NULL};
  host_expect_error(dir, "fashion", command, "unknown command 'trainn'; did you mean 'train'?");
  const char *value[] = {"bench", "--batch", "many", NULL};
  host_expect_error(dir, "fashion", value, "option '--batch' expects an integer, got 'many'");
  scratch_remove(dir);
}
END_TEST

START_TEST(bad_data_spec) {
  const char *dir = scratch_dir();
  char save[4096];
  scratch_path(save, sizeof save, dir, "ck.safetensors");
  const char *unknown[] = {"train", "--data", "imagenet", "--save", save, NULL};
  host_expect_error(dir, "fashion", unknown, "unknown data set 'imagenet'");
  const char *missing[] = {"eval", "--data", "fashion-mnist:/nonexistent", NULL};
  host_expect_error(dir, "micro_embedded", missing, "/nonexistent");
  const char *cifar[] = {"eval", "--data", "cifar10", NULL};
  host_expect_error(dir, "micro_embedded", cifar, "needs a directory");
  const char *none[] = {"train", "--save", save, NULL};
  host_expect_error(dir, "fashion", none, "--data is required");
  scratch_remove(dir);
}
END_TEST

/* A data set whose images do not fit the model is refused by name. */
START_TEST(data_shape_mismatch) {
  const char *dir = scratch_dir();
  char spec[4096];
  snprintf(spec, sizeof spec, "fashion-mnist:%s", dir);
  idx_write_dataset(dir, 32, 16);
  const char *args[] = {"eval", "--data", spec, NULL};
  host_expect_error(dir, "micro_embedded", args, "the model takes (3, 32, 32)");
  scratch_remove(dir);
}
END_TEST

START_TEST(missing_required_options) {
  const char *dir = scratch_dir();
  const char *infer[] = {"infer", "--weights", "w", NULL};
  host_expect_error(dir, "micro", infer, "--input and --output are required");
  const char *threads[] = {"bench", "--threads", "-3", NULL};
  host_expect_error(dir, "micro", threads, "--threads -3");
  const char *rate[] = {"rate", NULL};
  host_expect_error(dir, "micro_embedded", rate, "exactly one of --data and --input");
  host_result r = host_run(dir, "micro", (const char *[]){NULL});
  ck_assert_int_eq(r.status, 2);
  ck_assert_ptr_nonnull(strstr(r.err, "usage:"));
  host_result_free(&r);
  scratch_remove(dir);
}
END_TEST

START_TEST(help_lists_options) {
  const char *dir = scratch_dir();
  host_result r = host_run(dir, "fashion", (const char *[]){"train", "--help", NULL});
  ck_assert_int_eq(r.status, 0);
  ck_assert_ptr_nonnull(strstr(r.out, "--time-budget SECONDS"));
  ck_assert_ptr_nonnull(strstr(r.out, "--resume CKPT"));
  host_result_free(&r);
  r = host_run(dir, "micro", (const char *[]){"--help", NULL});
  ck_assert_int_eq(r.status, 0);
  ck_assert_ptr_nonnull(strstr(r.out, "model micro: input (3, 32, 32), 10 classes, depth 2, 40010"));
  host_result_free(&r);
  scratch_remove(dir);
}
END_TEST

Suite *errors_suite(void) {
  const TTest *tests[] = {missing_weights_file, no_weights_at_all, wrong_shape_weights,
                          wrong_shape_input, unknown_flag_hint, bad_data_spec,
                          data_shape_mismatch, missing_required_options, help_lists_options};
  return host_suite("errors", tests, sizeof tests / sizeof tests[0]);
}
