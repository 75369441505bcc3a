/* crate_config.c — the model configuration of a reference case's meta.json. */
#include <string.h>

#include "case_io.h"
#include "crate_model.h"

static int read_int(const cJSON *obj, const char *name, int *out, crt_error *e) {
  double v;
  if (case_json_number(obj, name, &v, e)) return -1;
  if (!(v >= 1 && v <= 1e6) || v != (int)v)
    return crt_fail(e, "meta.json: '%s' must be a positive integer", name);
  *out = (int)v;
  return 0;
}

static int read_float(const cJSON *obj, const char *name, float *out, crt_error *e) {
  double v;
  if (case_json_number(obj, name, &v, e)) return -1;
  *out = (float)v;
  return 0;
}

static int parse_config(crate_config *c, const cJSON *meta, crt_error *e) {
  const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(meta, "config");
  if (!cJSON_IsObject(cfg)) return crt_fail(e, "meta.json: no 'config' object");
  if (read_int(cfg, "image_size", &c->image_size, e) ||
      read_int(cfg, "patch_size", &c->patch_size, e) ||
      read_int(cfg, "channels", &c->channels, e) ||
      read_int(cfg, "num_classes", &c->num_classes, e) || read_int(cfg, "dim", &c->dim, e) ||
      read_int(cfg, "depth", &c->depth, e) || read_int(cfg, "heads", &c->heads, e) ||
      read_int(cfg, "dim_head", &c->dim_head, e) || read_float(cfg, "ista", &c->eta, e) ||
      read_float(cfg, "lambd", &c->lambd, e) ||
      read_float(meta, "layernorm_eps", &c->layernorm_eps, e) ||
      read_float(meta, "label_smoothing", &c->label_smoothing, e))
    return -1;
  if (c->image_size % c->patch_size)
    return crt_fail(e, "meta.json: image_size %d is not a multiple of patch_size %d",
                    c->image_size, c->patch_size);
  const cJSON *pool = cJSON_GetObjectItemCaseSensitive(cfg, "pool");
  if (cJSON_IsString(pool) && strcmp(pool->valuestring, "cls") == 0)
    c->pool = REF_POOL_CLS;
  else if (cJSON_IsString(pool) && strcmp(pool->valuestring, "mean") == 0)
    c->pool = REF_POOL_MEAN;
  else
    return crt_fail(e, "meta.json: 'pool' must be \"cls\" or \"mean\"");
  return 0;
}

int crate_config_from_meta(crate_config *c, const char *meta_path, crt_error *e) {
  cJSON *meta = case_json_read(meta_path, e);
  if (!meta) return -1;
  int rc = parse_config(c, meta, e);
  cJSON_Delete(meta);
  return rc;
}
