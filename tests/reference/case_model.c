/* case_model.c — see case_model.h. */
#include "case_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "case_io.h"

bool ref_case_has(const char *dir, const char *file) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  return access(path, R_OK) == 0;
}

static crt_st_file *open_file(const ref_case *c, const char *file, bool optional, crt_error *e) {
  if (optional && !ref_case_has(c->dir, file)) return NULL;
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", c->dir, file);
  return crt_st_open(path, e);
}

static int load_input(ref_case *c, crt_error *e) {
  crt_st_file *input = open_file(c, "input.safetensors", false, e);
  if (!input) return -1;
  crate_model *m = &c->model;
  size_t img = (size_t)m->B * m->cfg.channels * m->cfg.image_size * m->cfg.image_size;
  float *images = case_tensor(input, "images", CRT_F32, img, e);
  c->labels = images ? case_tensor(input, "labels", CRT_I64, (size_t)m->B, e) : NULL;
  if (images) memcpy(m->images, images, img * sizeof(float));
  free(images);
  crt_st_close(input);
  return c->labels ? 0 : -1;
}

int ref_case_open(ref_case *c, const char *dir, crt_error *e) {
  memset(c, 0, sizeof *c);
  snprintf(c->dir, sizeof c->dir, "%s", dir);
  char path[1024];
  snprintf(path, sizeof path, "%s/meta.json", dir);
  crate_config cfg;
  double batch;
  c->meta = case_json_read(path, e);
  if (!c->meta || crate_config_from_meta(&cfg, path, e) ||
      case_json_number(c->meta, "batch", &batch, e) ||
      crate_model_init(&c->model, &cfg, (int)batch, e))
    goto fail;
  snprintf(path, sizeof path, "%s/weights.safetensors", dir);
  if (crate_model_load(&c->model, path, e) || load_input(c, e)) goto fail;
  c->expected = open_file(c, "expected.safetensors", false, e);
  if (!c->expected) goto fail;
  c->features = open_file(c, "features.safetensors", true, e);
  c->grads = open_file(c, "grads.safetensors", true, e);
  if ((!c->features && ref_case_has(dir, "features.safetensors")) ||
      (!c->grads && ref_case_has(dir, "grads.safetensors")))
    goto fail;
  return 0;
fail:
  ref_case_close(c);
  return -1;
}

void ref_case_close(ref_case *c) {
  cJSON_Delete(c->meta);
  if (c->model.spec) crate_model_free(&c->model);
  free(c->labels);
  if (c->expected) crt_st_close(c->expected);
  if (c->features) crt_st_close(c->features);
  if (c->grads) crt_st_close(c->grads);
  memset(c, 0, sizeof *c);
}
