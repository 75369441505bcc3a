/* Numbers and sizes at their limits: NaN and infinity in weights, inputs
 * and training steps are errors that name the tensor and keep the last good
 * checkpoint; memory follows the batch asked for. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "host_run.h"
#include "idx_writer.h"
#include "scratch.h"

/* A copy of the micro case's FILE at DIR/NAME with element 5 of TENSOR
 * set to VALUE. */
static const char *poisoned_copy(char *buf, size_t size, const char *dir, const char *name,
                                 const char *file, const char *tensor, float value) {
  char src[4096];
  crt_error e;
  crt_st_file *f = crt_st_open(CASE_PATH(src, "micro", file), &e);
  ck_assert_msg(f, "%s", e.msg);
  int n = crt_st_count(f);
  crt_tensor *t = calloc((size_t)n, sizeof *t);
  void *copy = NULL;
  for (int i = 0; i < n; i++) {
    t[i] = *crt_st_at(f, i);
    if (strcmp(t[i].name, tensor) != 0) continue;
    copy = malloc(t[i].nbytes);
    memcpy(copy, t[i].data, t[i].nbytes);
    ((float *)copy)[5] = value;
    t[i].data = copy;
  }
  ck_assert_ptr_nonnull(copy);
  scratch_path(buf, size, dir, name);
  ck_assert_msg(crt_st_write(buf, t, n, NULL, &e) == 0, "%s", e.msg);
  free(copy), free(t);
  crt_st_close(f);
  return buf;
}

/* ReLU and max would turn these into finite logits: they are refused,
 * named, unless --allow-nonfinite says otherwise. */
START_TEST(nonfinite_weights_and_inputs_are_refused) {
  const char *dir = scratch_dir();
  char w[4096], in[4096], bad_w[4096], bad_in[4096], out[4096];
  CASE_PATH(w, "micro", "weights.safetensors");
  CASE_PATH(in, "micro", "input.safetensors");
  poisoned_copy(bad_w, sizeof bad_w, dir, "w.safetensors", "weights.safetensors",
                "transformer.layers.0.1.fn.weight", NAN);
  poisoned_copy(bad_in, sizeof bad_in, dir, "in.safetensors", "input.safetensors", "images",
                INFINITY);
  scratch_path(out, sizeof out, dir, "out.safetensors");
  host_expect_error(dir, "micro",
                    (const char *[]){"infer", "--weights", bad_w, "--input", in, "--output", out,
                                     NULL},
                    "tensor 'transformer.layers.0.1.fn.weight' holds NaN at element 5");
  host_expect_error(dir, "micro",
                    (const char *[]){"infer", "--weights", w, "--input", bad_in, "--output", out,
                                     NULL},
                    "tensor 'images' holds +inf at element 5");
  host_expect_error(dir, "micro",
                    (const char *[]){"grad", "--weights", w, "--input", bad_in, "--output", out,
                                     NULL},
                    "tensor 'images' holds +inf");
  host_result r = host_run(dir, "micro",
                           (const char *[]){"infer", "--weights", bad_w, "--input", bad_in,
                                            "--output", out, "--allow-nonfinite", NULL});
  ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
  host_result_free(&r);
  scratch_remove(dir);
}
END_TEST

/* A learning rate that makes the weights overflow stops the run at the
 * step it happens, naming the tensor, and the checkpoint of the earlier
 * good run stays as it was. */
START_TEST(diverging_run_keeps_the_checkpoint) {
  const char *dir = scratch_dir();
  idx_write_dataset(dir, 512, 128);
  char data[4200], save[4200];
  snprintf(data, sizeof data, "fashion-mnist:%s", dir);
  scratch_path(save, sizeof save, dir, "ck.safetensors");
  host_result good = host_run(dir, "fashion",
                              (const char *[]){"train", "--data", data, "--save", save, "--epochs",
                                               "1", "--threads", "1", NULL});
  ck_assert_msg(good.status == 0, "status %d: %s", good.status, good.err);
  size_t size_before, size_after;
  unsigned char *before = scratch_read(save, &size_before);
  host_result bad = host_run(dir, "fashion",
                             (const char *[]){"train", "--data", data, "--save", save, "--epochs",
                                              "1", "--lr", "1e4", "--threads", "1", NULL});
  ck_assert_msg(bad.status == 1, "status %d: %s", bad.status, bad.err);
  ck_assert_msg(strstr(bad.err, "NaN or infinite") && strstr(bad.err, "stopped without saving"),
                "%s", bad.err);
  unsigned char *after = scratch_read(save, &size_after);
  ck_assert(size_before == size_after && memcmp(before, after, size_before) == 0);
  free(before), free(after);
  host_result_free(&good), host_result_free(&bad);
  scratch_remove(dir);
}
END_TEST

/* classify runs --batch images at a time: 10,000 images (32 MB of
 * batch buffers at once) take no more memory than 100. */
START_TEST(classify_follows_the_batch) {
  const char *dir = scratch_dir();
  idx_write_dataset(dir, 64, 10000);
  char data[4200], save[4200];
  snprintf(data, sizeof data, "fashion-mnist:%s", dir);
  scratch_path(save, sizeof save, dir, "ck.safetensors");
  host_result trained = host_run(dir, "fashion",
                                 (const char *[]){"train", "--data", data, "--save", save,
                                                  "--epochs", "1", "--batch", "64", NULL});
  ck_assert_msg(trained.status == 0, "%s", trained.err);
  /* Under AddressSanitizer, its quarantine would keep every batch's freed
   * scratch (the test model allocates per call) resident. */
  const char *asan = getenv("ASAN_OPTIONS");
  char options[1024];
  snprintf(options, sizeof options, "%s%squarantine_size_mb=0", asan ? asan : "", asan ? ":" : "");
  setenv("ASAN_OPTIONS", options, 1);
  host_result few = host_run(dir, "fashion",
                             (const char *[]){"classify", "--weights", save, "--data", data,
                                              "--count", "100", "--batch", "100", NULL});
  host_result many = host_run(dir, "fashion",
                              (const char *[]){"classify", "--weights", save, "--data", data,
                                               "--count", "10000", "--batch", "100", NULL});
  ck_assert_msg(few.status == 0 && many.status == 0, "%s%s", few.err, many.err);
  ck_assert_ptr_nonnull(strstr(many.out, "image 9999: predicted "));
  ck_assert_ptr_nonnull(strstr(many.out, " of 10000\n"));
  ck_assert_msg(many.max_rss_kb - few.max_rss_kb < 12 * 1024, "10,000 images: %ld KB, 100: %ld KB",
                many.max_rss_kb, few.max_rss_kb);
  host_result_free(&trained), host_result_free(&few), host_result_free(&many);
  scratch_remove(dir);
}
END_TEST

Suite *limits_suite(void) {
  const TTest *tests[] = {nonfinite_weights_and_inputs_are_refused,
                          diverging_run_keeps_the_checkpoint, classify_follows_the_batch};
  return host_suite("limits", tests, sizeof tests / sizeof tests[0]);
}
