/* libFuzzer target for the safetensors reader: any bytes either open as a
 * file whose every tensor lies inside the buffer, or give an error. Opened
 * files are also looked up and loaded against a small model, so the lookup
 * and the load checks see hostile headers too. */
#include "cratert_host.h"

#include <string.h>

static const crt_param_spec model[] = {
    {"a", 1, {2}},
    {"b", 2, {1, 1}},
};

static void touch_every_tensor(const crt_st_file *f) {
  volatile unsigned char sink = 0;
  for (int i = 0; i < crt_st_count(f); i++) {
    const crt_tensor *t = crt_st_at(f, i);
    if (crt_st_find(f, t->name) == NULL) __builtin_trap();
    if (t->nbytes) sink ^= ((const unsigned char *)t->data)[0] ^
                          ((const unsigned char *)t->data)[t->nbytes - 1];
  }
  (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  crt_error e;
  crt_st_file *f = crt_st_open_memory(data, size, "fuzz.safetensors", &e);
  if (!f) {
    if (memchr(e.msg, '\0', sizeof e.msg) == NULL) __builtin_trap();
    return 0;
  }
  touch_every_tensor(f);
  (void)crt_st_metadata(f, "format");
  float a[2], b[1];
  float *const dst[] = {a, b};
  (void)crt_st_load_f32(f, model, 2, dst, &e);
  crt_st_close(f);
  return 0;
}
