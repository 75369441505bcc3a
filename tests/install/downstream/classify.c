/* A program as a cratec user writes it against `cratec build --emit lib`
 * of the micro test model: classify the case's images and check each
 * predicted class against the one PyTorch's logits give. Built by the
 * downstream CMake project (cratec_add_model) and through pkg-config alone.
 * usage: classify WEIGHTS|- INPUT EXPECTED   (-: the embedded weights) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cratert_host.h"
#include "micro.h"

static int argmax(const float *x, int n) {
  int best = 0;
  for (int i = 1; i < n; i++)
    if (x[i] > x[best]) best = i;
  return best;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s WEIGHTS|- INPUT EXPECTED\n", argv[0]);
    return 2;
  }
  char err[1024];
  crt_error e;
  micro_session *s = micro_session_create(strcmp(argv[1], "-") ? argv[1] : NULL, err, sizeof err);
  crt_st_file *input = crt_st_open(argv[2], &e), *expected = input ? crt_st_open(argv[3], &e) : NULL;
  if (!s || !expected) {
    fprintf(stderr, "classify: %s\n", s ? e.msg : err);
    return 1;
  }
  const crt_tensor *images = crt_st_find(input, "images"), *want = crt_st_find(expected, "logits");
  int64_t batch = images->shape[0];
  float *logits = malloc((size_t)batch * MICRO_CLASSES * sizeof *logits);
  int wrong = 0;
  if (micro_session_forward(s, images->data, logits, batch, err, sizeof err) != 0) {
    fprintf(stderr, "classify: %s\n", err);
    wrong = 1;
  }
  for (int64_t b = 0; b < batch && !wrong; b++) {
    int got = argmax(logits + b * MICRO_CLASSES, MICRO_CLASSES);
    int ref = argmax((const float *)want->data + b * MICRO_CLASSES, MICRO_CLASSES);
    printf("image %lld: class %d (PyTorch: %d)\n", (long long)b, got, ref);
    wrong += got != ref;
  }
  free(logits);
  crt_st_close(expected);
  crt_st_close(input);
  micro_session_free(s);
  return wrong != 0;
}
