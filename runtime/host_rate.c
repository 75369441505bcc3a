/* rate: the white-box measures of docs/model.md §6 per layer — the coding rate
 * R^c of each layer's input in its own subspaces, and the sparsity of each
 * ISTA output — on a batch of test images or of an input file. */
#include "host_internal.h"

#include <stdlib.h>
#include <string.h>

#include "crate_ref.h"

int host_measure(crt_session *s, const float *images, int64_t batch, ref_layer_measures *measures,
                 crt_error *e) {
  const crt_model_info *m = crt_session_info(s);
  for (int l = 0; l < m->depth; l++)
    if (m->layers[l].heads * m->layers[l].dim_head != m->dim)
      return crt_fail(e, "layer %d: the measures need heads·dim_head = dim (%d·%d ≠ %d)", l,
                      m->layers[l].heads, m->layers[l].dim_head, m->dim);
  size_t slot = (size_t)batch * m->tokens * m->dim;
  float *features = crt_alloc((size_t)m->depth * 2 * slot * sizeof(float));
  if (!features) return crt_fail(e, "out of memory for the features");
  int rc = crt_session_features(s, images, features, batch, e);
  for (int l = 0; !rc && l < m->depth; l++)
    rc = ref_measure_layer(&measures[l], features + 2 * l * slot, features + (2 * l + 1) * slot,
                           (int)batch, m->tokens, m->dim, m->layers[l].heads,
                           m->layers[l].dim_head, e);
  crt_free(features);
  return rc;
}

/* The first BATCH test images of SPEC. */
static float *data_images(const char *spec, const crt_model_info *m, int64_t *batch,
                          crt_error *e) {
  crt_dataset d;
  if (host_dataset(&d, spec, false, m, e)) return NULL;
  if (*batch > d.count) *batch = d.count;
  crt_loader l;
  float *images = NULL;
  int64_t *labels = malloc((size_t)*batch * sizeof *labels);
  if (labels && crt_loader_init(&l, &d, *batch, false, false, 0, e) == 0) {
    images = crt_alloc((size_t)*batch * m->channels * m->height * m->width * sizeof(float));
    if (images) crt_loader_next(&l, images, labels);
    crt_loader_free(&l);
  }
  if (!images) crt_fail(e, "out of memory for %lld images", (long long)*batch);
  free(labels);
  crt_dataset_free(&d);
  return images;
}

static int run(crt_session *s, const char *input, const char *data, int64_t batch,
               crt_error *e) {
  const crt_model_info *m = crt_session_info(s);
  float *images = NULL;
  if (input) {
    crt_st_file *f = crt_st_open(input, e);
    images = f ? host_read_images(f, m, &batch, e) : NULL;
    crt_st_close(f);
  } else {
    if (m->batch) batch = m->batch;   /* P_features runs the compiled batch only */
    images = data_images(data, m, &batch, e);
  }
  ref_layer_measures *r = calloc((size_t)m->depth, sizeof *r);
  int rc = images && r ? host_measure(s, images, batch, r, e) : -1;
  if (images && !r) crt_fail(e, "out of memory");
  if (!rc) {
    printf("images: %lld\n%-6s %14s %12s %14s %12s\n", (long long)batch, "layer", "Rc_mean",
           "Rc_std", "nonzero_mean", "zero_std");
    for (int l = 0; l < m->depth; l++)
      printf("%-6d %14.9g %12.9g %14.9g %12.9g\n", l, r[l].rc_mean, r[l].rc_std,
             r[l].nonzero_mean, r[l].zero_std);
  }
  free(r);
  crt_free(images);
  return rc;
}

int host_rate(const host *h, int argc, char **argv) {
  const char *weights = NULL, *data = NULL, *input = NULL;
  long batch = 16, threads = 0;
  bool help = false, allow_nonfinite = false;
  const crt_option opts[] = {
      {"--weights", CRT_ARG_STRING, &weights, "FILE", "weights or checkpoint; default: embedded"},
      {"--data", CRT_ARG_STRING, &data, "SPEC", "measure the first test images of this data set"},
      {"--input", CRT_ARG_STRING, &input, "FILE", "or the images F32 (B, C, H, W) of this file"},
      {"--batch", CRT_ARG_INT, &batch, "N", "how many test images (default 16)"},
      {"--threads", CRT_ARG_INT, &threads, "T", "threads (0: all cores)"},
      HOST_NONFINITE_OPTION(allow_nonfinite),
      {"--help", CRT_ARG_FLAG, &help, NULL, "show this help"},
      {NULL, 0, NULL, NULL, NULL}};
  int rc = host_parse(h, "--data SPEC | --input FILE [--weights W] [options]", opts, argc, argv,
                      &help, &threads);
  if (rc >= 0) return rc;
  crt_allow_nonfinite(allow_nonfinite);
  if (!data == !input || batch < 1) {
    fprintf(stderr, "%s rate: error: give exactly one of --data and --input, and --batch >= 1\n",
            h->prog);
    return HOST_USAGE;
  }
  crt_error e;
  crt_session *s = host_session(h, weights, false, &e);
  rc = s && run(s, input, data, batch, &e) == 0 ? HOST_OK : host_fail(h, &e);
  crt_session_free(s);
  return rc;
}
