/* Loading a model's parameters: the file must hold exactly the tensors the
 * model declares, as F32 of the declared shapes. Everything is checked
 * before anything is copied, so a rejected file leaves the buffers alone. */
#include "cratert_hint.h"
#include "safetensors_internal.h"

#include <stdlib.h>
#include <string.h>

static bool same_shape(const crt_tensor *t, const crt_param_spec *s) {
  if (t->rank != s->rank) return false;
  for (int d = 0; d < s->rank; d++)
    if (t->shape[d] != s->shape[d]) return false;
  return true;
}

static int check_present(const crt_st_file *f, const crt_param_spec *s, crt_error *e) {
  if (s->rank < 0 || s->rank > (int)(sizeof s->shape / sizeof s->shape[0]))
    return crt_fail(e, "%s: parameter '%s' has an unsupported rank %d", f->name, s->key, s->rank);
  const crt_tensor *t = crt_st_find(f, s->key);
  if (!t) return crt_fail(e, "%s: missing tensor '%s'", f->name, s->key);
  if (t->dtype != CRT_F32)
    return crt_fail(e, "%s: tensor '%s': dtype %s, expected F32", f->name, t->name,
                    crt_dtype_name(t->dtype));
  if (!same_shape(t, s)) {
    char want[256], got[256];
    return crt_fail(e, "%s: tensor '%s': expected shape %s, found %s", f->name, t->name,
                    st_format_shape(want, sizeof want, s->rank, s->shape),
                    st_format_shape(got, sizeof got, t->rank, t->shape));
  }
  return 0;
}

static int spec_index(const crt_param_spec *specs, int n, const char *key) {
  for (int i = 0; i < n; i++)
    if (strcmp(specs[i].key, key) == 0) return i;
  return -1;
}

static int unknown_tensor(const crt_st_file *f, const crt_param_spec *specs, int n,
                          const char *key, crt_error *e) {
  const char **keys = malloc(((size_t)n + 1) * sizeof *keys);
  if (!keys) return crt_fail(e, "%s: unknown tensor '%s'", f->name, key);
  for (int i = 0; i < n; i++) keys[i] = specs[i].key;
  keys[n] = NULL;
  const char *bare = st_unprefixed(key);
  char hint[CRT_HINT_SIZE];
  crt_fail(e, "%s: unknown tensor '%s' (the model has no parameter of that name%s)", f->name, key,
           crt_did_you_mean(&hint, bare ? bare : key, keys));
  free(keys);
  return -1;
}

/* Every tensor in the file must name a parameter, once: "x" and "module.x"
 * together would leave it ambiguous which one is meant. */
static int check_no_extra(const crt_st_file *f, const crt_param_spec *specs, int n,
                          crt_error *e) {
  const char **claimed = calloc((size_t)n + 1, sizeof *claimed);
  if (!claimed) return crt_fail(e, "%s: out of memory", f->name);
  int rc = 0;
  for (int i = 0; i < f->count && !rc; i++) {
    const char *key = f->tensors[i].name, *bare = st_unprefixed(key);
    int s = spec_index(specs, n, key);
    if (s < 0 && bare) s = spec_index(specs, n, bare);
    if (s < 0)
      rc = unknown_tensor(f, specs, n, key, e);
    else if (claimed[s])
      rc = crt_fail(e, "%s: tensors '%s' and '%s' both give parameter '%s'", f->name, claimed[s],
                    key, specs[s].key);
    else
      claimed[s] = key;
  }
  free(claimed);
  return rc;
}

int crt_st_load_f32(const crt_st_file *f, const crt_param_spec *specs, int n, float *const *dst,
                    crt_error *e) {
  for (int i = 0; i < n; i++)
    if (check_present(f, &specs[i], e)) return -1;
  if (check_no_extra(f, specs, n, e)) return -1;
  for (int i = 0; i < n; i++) {
    const crt_tensor *t = crt_st_find(f, specs[i].key);
    memcpy(dst[i], t->data, t->nbytes);
  }
  return 0;
}
