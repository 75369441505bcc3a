/* grad: loss and the gradient of every parameter (docs/cli.md §2.2). */
#include "host_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "crate_ref.h"

/* P_train_step has its label smoothing s0 compiled in. The gradients are
 * linear in the loss's target q = (1 − s)·onehot + s/C, so another s is
 * reached exactly from the compiled one: with G the gradients at the true
 * labels and M the mean of the gradients over every choice of a class
 * given to all samples (the target s/C-uniform part),
 *   grads(s) = M + (1 − s)/(1 − s0) · (G − M).
 * It costs one extra step per class; GRADS holds G on entry. */
static int resmooth(crt_session *s, const float *images, int64_t *labels, int64_t batch,
                    double smoothing, float *grads, crt_error *e) {
  const crt_model_info *m = crt_session_info(s);
  size_t n = m->params.flat_count;
  double *mean = calloc(n, sizeof *mean);
  int64_t *same = malloc((size_t)batch * sizeof *same);
  int rc = mean && same ? 0 : crt_fail(e, "out of memory");
  for (int c = 0; !rc && c < m->classes; c++) {
    for (int64_t b = 0; b < batch; b++) same[b] = c;
    float loss;
    rc = crt_session_gradients(s, images, same, batch, &loss, NULL, e);
    const float *g = crt_session_grads(s);
    for (size_t i = 0; !rc && i < n; i++) mean[i] += g[i];
  }
  double k = (1.0 - smoothing) / (1.0 - m->train.label_smoothing);
  for (size_t i = 0; !rc && i < n; i++) {
    double mi = mean[i] / m->classes;
    grads[i] = (float)(mi + k * (grads[i] - mi));
  }
  free(mean), free(same);
  return rc;
}

static int64_t *read_labels(const crt_st_file *f, int64_t batch, crt_error *e) {
  int64_t shape[1] = {batch};
  const crt_tensor *t = host_tensor(f, "labels", CRT_I64, 1, shape, e);
  int64_t *labels = t ? crt_alloc(t->nbytes) : NULL;
  if (t && !labels) crt_fail(e, "out of memory for the labels");
  if (labels) memcpy(labels, t->data, t->nbytes);
  return labels;
}

/* loss (1,) then every parameter's gradient under its key and shape. */
static int write_grads(const char *path, const crt_model_info *m, const float *loss,
                       const float *grads, crt_error *e) {
  const crt_param_table *p = &m->params;
  crt_tensor *t = calloc((size_t)p->count + 1, sizeof *t);
  if (!t) return crt_fail(e, "out of memory");
  t[0] = (crt_tensor){"loss", CRT_F32, 1, {1}, loss, sizeof *loss};
  for (int i = 0; i < p->count; i++) {
    const crt_param_spec *s = &p->specs[i];
    crt_tensor *x = &t[i + 1];
    *x = (crt_tensor){s->key, CRT_F32, s->rank, {0}, grads + p->offsets[i], sizeof(float)};
    for (int r = 0; r < s->rank; r++) x->shape[r] = s->shape[r], x->nbytes *= (size_t)s->shape[r];
  }
  int rc = crt_st_write(path, t, p->count + 1, NULL, e);
  free(t);
  return rc;
}

static int run(crt_session *s, const io_opts *o, crt_error *e) {
  const crt_model_info *m = crt_session_info(s);
  double s0 = m->train.label_smoothing, smoothing = isnan(o->smoothing) ? s0 : o->smoothing;
  if (!(smoothing >= 0 && smoothing < 1)) return crt_fail(e, "--label-smoothing %g: expected [0, 1)", smoothing);
  crt_st_file *f = crt_st_open(o->input, e);
  if (!f) return -1;
  int64_t batch = 0;
  float *images = host_read_images(f, m, &batch, e);
  int64_t *labels = images ? read_labels(f, batch, e) : NULL;
  crt_st_close(f);
  size_t n = m->params.flat_count;
  float *grads = malloc(n * sizeof *grads), *logits = crt_alloc((size_t)batch * m->classes * sizeof(float));
  float *probs = malloc((size_t)batch * m->classes * sizeof *probs);
  float loss = 0;
  int rc = labels ? 0 : -1;
  if (!rc && (!grads || !logits || !probs)) rc = crt_fail(e, "out of memory");
  if (!rc) rc = crt_session_gradients(s, images, labels, batch, &loss, logits, e);
  if (!rc) memcpy(grads, crt_session_grads(s), n * sizeof *grads);
  if (!rc && smoothing != s0) {
    double exact;
    rc = resmooth(s, images, labels, batch, smoothing, grads, e) ||
         ref_crossentropy_forward(&exact, probs, logits, labels, (int)batch, m->classes,
                                  (float)smoothing, e);
    loss = (float)exact;
  }
  if (!rc) rc = write_grads(o->output, m, &loss, grads, e);
  crt_free(images), crt_free(labels), crt_free(logits);
  free(grads), free(probs);
  return rc;
}

int host_grad(const host *h, int argc, char **argv) {
  io_opts o = {.smoothing = NAN};
  const crt_option opts[] = {
      HOST_IO_OPTIONS(o, "images F32 (B, C, H, W), labels I64 (B)",
                      "loss (1) and each parameter's gradient"),
      {"--label-smoothing", CRT_ARG_DOUBLE, &o.smoothing, "S",
       "label smoothing (default: the model's train block, else 0)"},
      {NULL, 0, NULL, NULL, NULL}};
  int rc = host_parse_io(h, &o, opts, argc, argv);
  if (rc >= 0) return rc;
  crt_error e;
  crt_session *s = host_session(h, o.weights, false, &e);
  rc = s && run(s, &o, &e) == 0 ? HOST_OK : host_fail(h, &e);
  crt_session_free(s);
  return rc;
}
