/* infer: images in, logits out, as safetensors (docs/cli.md §2.1); the helpers
 * it shares with grad. */
#include "host_internal.h"

#include <stdlib.h>
#include <string.h>

float *host_read_images(const crt_st_file *f, const crt_model_info *m, int64_t *batch,
                          crt_error *e) {
  int64_t shape[4] = {-1, m->channels, m->height, m->width};
  const crt_tensor *t = host_tensor(f, "images", CRT_F32, 4, shape, e);
  if (!t) return NULL;
  if (shape[0] < 1) return crt_fail(e, "%s: tensor 'images' holds no image", crt_st_path(f)), NULL;
  if (crt_check_finite(crt_st_path(f), "images", t->data, t->nbytes / sizeof(float), e)) return NULL;
  float *images = crt_alloc(t->nbytes);
  if (!images) return crt_fail(e, "out of memory for %zu bytes of images", t->nbytes), NULL;
  memcpy(images, t->data, t->nbytes);
  *batch = shape[0];
  return images;
}

int host_parse_io(const host *h, io_opts *o, const crt_option *opts, int argc, char **argv) {
  int rc = host_parse(h, "--weights W --input I --output O [options]", opts, argc, argv, &o->help,
                      &o->threads);
  if (rc >= 0) return rc;
  crt_allow_nonfinite(o->allow_nonfinite);
  if (!o->input || !o->output) {
    fprintf(stderr, "%s %s: error: --input and --output are required (see --help)\n", h->prog,
            h->cmd);
    return HOST_USAGE;
  }
  crt_error e;
  const crt_file_use uses[] = {{"--output", o->output, true}, {"--input", o->input, false},
                               {"--weights", o->weights, false}};
  if (crt_check_file_uses(uses, 3, &e)) {
    host_fail(h, &e);
    return HOST_USAGE;
  }
  return -1;
}

int host_infer(const host *h, int argc, char **argv) {
  io_opts o = {0};
  const crt_option opts[] = {
      HOST_IO_OPTIONS(o, "images F32 (B, C, H, W)", "logits F32 (B, classes)"),
      {NULL, 0, NULL, NULL, NULL}};
  int rc = host_parse_io(h, &o, opts, argc, argv);
  if (rc >= 0) return rc;
  crt_error e;
  crt_session *s = host_session(h, o.weights, false, &e);
  crt_st_file *f = s ? crt_st_open(o.input, &e) : NULL;
  int64_t batch = 0;
  float *images = f ? host_read_images(f, crt_session_info(s), &batch, &e) : NULL;
  float *logits = NULL;
  rc = HOST_FAIL;
  if (images) {
    int classes = crt_session_info(s)->classes;
    logits = crt_alloc((size_t)batch * classes * sizeof(float));
    crt_tensor out = {"logits", CRT_F32, 2, {batch, classes}, logits,
                      (size_t)batch * classes * sizeof(float)};
    if (!logits)
      crt_fail(&e, "out of memory for the logits");
    else if (crt_session_forward(s, images, logits, batch, &e) == 0 &&
             crt_st_write(o.output, &out, 1, NULL, &e) == 0)
      rc = HOST_OK;
  }
  if (rc) host_fail(h, &e);
  crt_free(logits), crt_free(images);
  crt_st_close(f);
  crt_session_free(s);
  return rc;
}
