/* `cratec build --emit shared` must give a library that loads on its own:
 * this program links neither the runtime nor the model, dlopens the model
 * with RTLD_NOW (every symbol resolved), and drives it through the runtime
 * the library carries: a session on the given weights, one forward pass on
 * zero images, finite logits.
 * usage: dlopen_model MODEL.so WEIGHTS */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cratert_host.h"

#define LOOKUP(var, name)                                           \
  do {                                                              \
    *(void **)&(var) = dlsym(lib, name);                            \
    if (!(var)) return fail("missing symbol", name);                \
  } while (0)

static int fail(const char *what, const char *detail) {
  fprintf(stderr, "dlopen_model: %s: %s\n", what, detail);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3) return fail("usage", "dlopen_model MODEL.so WEIGHTS");
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) return fail("dlopen", dlerror());
  crt_model m = {0};
  crt_session *(*create)(const crt_model *, const char *, crt_error *);
  const crt_model_info *(*info)(const crt_session *);
  int (*forward)(crt_session *, const float *, float *, int64_t, crt_error *);
  void (*destroy)(crt_session *);
  LOOKUP(m.desc, "crate_model_desc");
  LOOKUP(m.prepare, "crate_model_prepare");
  LOOKUP(m.forward, "crate_model_forward");
  LOOKUP(m.features, "crate_model_features");
  LOOKUP(m.train_step, "crate_model_train_step");
  LOOKUP(create, "crt_session_create");
  LOOKUP(info, "crt_session_info");
  LOOKUP(forward, "crt_session_forward");
  LOOKUP(destroy, "crt_session_free");
  crt_error e;
  crt_session *s = create(&m, argv[2], &e);
  if (!s) return fail("session", e.msg);
  const crt_model_info *i = info(s);
  float *images = calloc((size_t)i->channels * i->height * i->width, sizeof *images);
  float *logits = calloc((size_t)i->classes, sizeof *logits);
  int status = forward(s, images, logits, 1, &e) != 0 ? fail("forward", e.msg) : 0;
  for (int c = 0; c < i->classes && !status; c++)
    if (!isfinite(logits[c])) status = fail("forward", "a logit is not finite");
  if (!status) printf("dlopen_model: %s: %d finite logits\n", i->name, i->classes);
  free(logits);
  free(images);
  destroy(s);
  dlclose(lib);
  return status;
}
