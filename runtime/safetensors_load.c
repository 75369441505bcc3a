/* Loading a model's parameters: the file must hold exactly the tensors the
 * model declares, as F32 of the declared shapes, with finite values.
 * Everything is checked before anything is copied, so a rejected file
 * leaves the buffers alone. */
#include "cratert_hint.h"
#include "safetensors_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool nonfinite_allowed;

void crt_allow_nonfinite(bool on) { nonfinite_allowed = on; }

/* Nonzero when one of the N floats at X has an all-ones exponent (NaN or
 * infinity): masked, the exponent plus one reaches bit 31 only then. The
 * bits are read with memcpy because file data need not be aligned for
 * float; integer ORs without a branch let the compiler vectorise. */
static uint32_t any_nonfinite(const unsigned char *x, size_t n) {
  uint32_t any = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t w;
    memcpy(&w, x + 4 * i, 4);
    any |= (w & 0x7f800000u) + 0x00800000u;
  }
  return any & 0x80000000u;
}

/* Whole blocks (a constant count the vectoriser takes), then the rest;
 * only a block that has one is searched element by element. */
size_t crt_find_nonfinite(const void *x, size_t n) {
  enum { BLOCK = 1024 };
  const unsigned char *bytes = x;
  for (size_t begin = 0; begin < n; begin += BLOCK) {
    size_t count = n - begin < BLOCK ? n - begin : BLOCK;
    if (!(count == BLOCK ? any_nonfinite(bytes + 4 * begin, BLOCK)
                         : any_nonfinite(bytes + 4 * begin, count)))
      continue;
    for (size_t i = begin;; i++)
      if (any_nonfinite(bytes + 4 * i, 1)) return i;
  }
  return n;
}

int crt_check_finite(const char *file, const char *tensor, const void *x, size_t n,
                     crt_error *e) {
  size_t at = nonfinite_allowed ? n : crt_find_nonfinite(x, n);
  if (at == n) return 0;
  float v;
  memcpy(&v, (const unsigned char *)x + 4 * at, sizeof v);
  return crt_fail(e, "%s: tensor '%s' holds %s at element %zu (non-finite values are refused)",
                  file, tensor, isnan(v) ? "NaN" : v > 0 ? "+inf" : "-inf", at);
}

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
    if (crt_check_finite(f->name, t->name, t->data, t->nbytes / sizeof(float), e)) return -1;
  }
  for (int i = 0; i < n; i++) {
    const crt_tensor *t = crt_st_find(f, specs[i].key);
    memcpy(dst[i], t->data, t->nbytes);
  }
  return 0;
}
