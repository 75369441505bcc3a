/* eval and classify: the model on a data set's test split. */
#include "host_internal.h"

#include <stdlib.h>

#include "crate_ref.h"

/* Buffers for batches of B images of D. */
typedef struct batch_bufs {
  float *images, *logits, *probs;
  int64_t *labels;
} batch_bufs;

static int bufs_init(batch_bufs *b, const crt_dataset *d, int64_t batch, int classes,
                     crt_error *e) {
  size_t image = (size_t)d->channels * d->height * d->width;
  b->images = crt_alloc((size_t)batch * image * sizeof(float));
  b->logits = crt_alloc((size_t)batch * classes * sizeof(float));
  b->probs = crt_alloc((size_t)batch * classes * sizeof(float));
  b->labels = crt_alloc((size_t)batch * sizeof(int64_t));
  if (b->images && b->logits && b->probs && b->labels) return 0;
  return crt_fail(e, "out of memory for batches of %lld images", (long long)batch);
}

static void bufs_free(batch_bufs *b) {
  crt_free(b->images), crt_free(b->logits), crt_free(b->probs), crt_free(b->labels);
}

int host_evaluate(crt_session *s, const crt_dataset *d, int64_t batch, double *accuracy,
                  double *loss, crt_error *e) {
  const crt_model_info *m = crt_session_info(s);
  crt_loader l;
  batch_bufs b = {0};
  if (crt_loader_init(&l, d, batch, false, false, 0, e)) return -1;
  int rc = bufs_init(&b, d, batch, m->classes, e);
  int64_t correct = 0, seen = 0;
  double loss_sum = 0;
  for (int64_t n; !rc && (n = crt_loader_next(&l, b.images, b.labels)) > 0; seen += n) {
    double mean;
    rc = crt_session_forward(s, b.images, b.logits, n, e) ||
         ref_crossentropy_forward(&mean, b.probs, b.logits, b.labels, (int)n, m->classes, 0, e);
    loss_sum += mean * (double)n;
    for (int64_t i = 0; !rc && i < n; i++)
      correct += host_argmax(b.logits + i * m->classes, m->classes) == b.labels[i];
  }
  *accuracy = seen ? (double)correct / (double)seen : 0;
  *loss = seen ? loss_sum / (double)seen : 0;
  bufs_free(&b);
  crt_loader_free(&l);
  return rc;
}

typedef struct eval_opts {
  const char *weights, *data;
  long batch, count, threads;
  bool help, allow_nonfinite;
} eval_opts;

#define EVAL_OPTIONS(o)                                                                        \
  {"--weights", CRT_ARG_STRING, &(o).weights, "FILE", "weights or checkpoint; default: embedded"}, \
  {"--data", CRT_ARG_STRING, &(o).data, "SPEC", "fashion-mnist[:DIR], mnist:DIR, cifar10:DIR"},   \
  {"--batch", CRT_ARG_INT, &(o).batch, "B", "images per forward pass (default 256)"},           \
  {"--threads", CRT_ARG_INT, &(o).threads, "T", "threads (0: all cores)"},                       \
  HOST_NONFINITE_OPTION((o).allow_nonfinite),                                                    \
  {"--help", CRT_ARG_FLAG, &(o).help, NULL, "show this help"}

/* OPTS parsed; the session and the test split opened. Returns -1 to go on,
 * else the exit status. */
static int eval_open(const host *h, eval_opts *o, const crt_option *opts, int argc, char **argv,
                     crt_session **s, crt_dataset *d) {
  int rc = host_parse(h, "--data SPEC [--weights W] [options]", opts, argc, argv, &o->help,
                      &o->threads);
  if (rc >= 0) return rc;
  crt_allow_nonfinite(o->allow_nonfinite);
  if (o->batch < 1 || o->count < 1) {
    fprintf(stderr, "%s %s: error: --batch and --count must be at least 1\n", h->prog, h->cmd);
    return HOST_USAGE;
  }
  crt_error e;
  *s = host_session(h, o->weights, false, &e);
  if (!*s || host_dataset(d, o->data, false, crt_session_info(*s), &e)) {
    crt_session_free(*s);
    return host_fail(h, &e);
  }
  return -1;
}

int host_eval(const host *h, int argc, char **argv) {
  eval_opts o = {.batch = 256, .count = 1};
  const crt_option opts[] = {EVAL_OPTIONS(o), {NULL, 0, NULL, NULL, NULL}};
  crt_session *s = NULL;
  crt_dataset d;
  int rc = eval_open(h, &o, opts, argc, argv, &s, &d);
  if (rc >= 0) return rc;
  crt_error e;
  double accuracy, loss, start = crt_clock();
  rc = host_evaluate(s, &d, o.batch, &accuracy, &loss, &e) ? host_fail(h, &e) : HOST_OK;
  if (!rc) {
    printf("images: %lld\n", (long long)d.count);
    host_print_normalisation(stdout, d.channels, d.mean, d.std, crt_session_info(s)->mean != NULL);
    printf("accuracy: %.4f\nloss: %.6f\ntime: %.2f s\n", accuracy, loss, crt_clock() - start);
  }
  crt_dataset_free(&d);
  crt_session_free(s);
  return rc;
}

static void print_prediction(const crt_dataset *d, int64_t i, int predicted, int64_t label) {
  const char *wrong = predicted == label ? "" : "  (wrong)";
  if (d->class_names)
    printf("image %lld: predicted %-11s true %-11s%s\n", (long long)i, d->class_names[predicted],
           d->class_names[label], wrong);
  else
    printf("image %lld: predicted %d, true %lld%s\n", (long long)i, predicted, (long long)label,
           wrong);
}

/* The first COUNT test images, --batch at a time: memory follows the
 * batch, not the count. */
int host_classify(const host *h, int argc, char **argv) {
  eval_opts o = {.batch = 256, .count = 10};
  const crt_option opts[] = {
      EVAL_OPTIONS(o),
      {"--count", CRT_ARG_INT, &o.count, "N", "how many test images to classify (default 10)"},
      {NULL, 0, NULL, NULL, NULL}};
  crt_session *s = NULL;
  crt_dataset d;
  int rc = eval_open(h, &o, opts, argc, argv, &s, &d);
  if (rc >= 0) return rc;
  crt_dataset first = d;
  first.count = o.count < d.count ? o.count : d.count;
  int64_t batch = o.batch < first.count ? o.batch : first.count, correct = 0, seen = 0;
  crt_loader l;
  batch_bufs b = {0};
  crt_error e;
  int classes = crt_session_info(s)->classes;
  rc = crt_loader_init(&l, &first, batch, false, false, 0, &e) ||
       bufs_init(&b, &d, batch, classes, &e);
  for (int64_t n; !rc && (n = crt_loader_next(&l, b.images, b.labels)) > 0; seen += n) {
    rc = crt_session_forward(s, b.images, b.logits, n, &e);
    for (int64_t i = 0; !rc && i < n; i++) {
      int p = host_argmax(b.logits + i * classes, classes);
      correct += p == b.labels[i];
      print_prediction(&d, seen + i, p, b.labels[i]);
    }
  }
  if (rc)
    rc = host_fail(h, &e);
  else
    printf("correct: %lld of %lld\n", (long long)correct, (long long)seen);
  bufs_free(&b);
  crt_loader_free(&l);
  crt_dataset_free(&d);
  crt_session_free(s);
  return rc;
}
