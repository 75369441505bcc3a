/* crt_host_main: the compiled executable's command line (docs/cli.md §2),
 * dispatching to one file per command, and the helpers they share. */
#include "cratert_hint.h"
#include "host_internal.h"

#include <stdlib.h>
#include <string.h>

static const struct {
  const char *name, *summary;
  int (*run)(const host *h, int argc, char **argv);
} commands[] = {
    {"infer", "logits of the images in a safetensors file", host_infer},
    {"grad", "loss and parameter gradients of labelled images", host_grad},
    {"train", "train on a data set, with checkpoints and a log", host_train},
    {"eval", "top-1 accuracy and loss on a test split", host_eval},
    {"classify", "predicted and true labels of the first test images", host_classify},
    {"rate", "per-layer coding rate R^c and sparsity (docs/model.md §6)", host_rate},
    {"bench", "throughput and latency on random weights and inputs", host_bench},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out, const char *prog, const crt_model *m) {
  fprintf(out, "usage: %s COMMAND [OPTIONS]   (COMMAND --help for its options)\n\n", prog);
  for (size_t i = 0; i < NCOMMANDS; i++)
    fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
  crt_error e;
  crt_session *s = crt_session_create(m, NULL, &e);
  if (!s) return;
  const crt_model_info *info = crt_session_info(s);
  fprintf(out, "\nmodel %s: input (%d, %d, %d), %d classes, depth %d, %zu parameters%s\n",
          info->name, info->channels, info->height, info->width, info->classes, info->depth,
          info->params.flat_count, info->embedded_weights ? ", weights embedded" : "");
  if (info->mean)
    host_print_normalisation(out, info->channels, info->mean, info->std, true);
  else
    fprintf(out, "normalisation: the data set's (--data)\n");
  crt_session_free(s);
}

int crt_host_main(const crt_model *model, int argc, char **argv) {
  const char *prog = argc > 0 ? argv[0] : "crate";
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    usage(argc < 2 ? stderr : stdout, prog, model);
    return argc < 2 ? HOST_USAGE : HOST_OK;
  }
  const char *names[NCOMMANDS + 1];
  for (size_t i = 0; i < NCOMMANDS; i++) {
    names[i] = commands[i].name;
    if (strcmp(argv[1], commands[i].name) == 0) {
      host h = {model, prog, commands[i].name};
      return commands[i].run(&h, argc - 2, argv + 2);
    }
  }
  names[NCOMMANDS] = NULL;
  char hint[CRT_HINT_SIZE];
  fprintf(stderr, "%s: error: unknown command '%s'%s (see %s --help)\n", prog, argv[1],
          crt_did_you_mean(&hint, argv[1], names), prog);
  return HOST_USAGE;
}

int host_argmax(const float *x, int n) {
  int best = 0;
  for (int i = 1; i < n; i++)
    if (x[i] > x[best]) best = i;
  return best;
}

int host_fail(const host *h, const crt_error *e) {
  fprintf(stderr, "%s %s: error: %s\n", h->prog, h->cmd, e->msg);
  return HOST_FAIL;
}

int host_parse(const host *h, const char *usage_line, const crt_option *opts, int argc,
               char **argv, const bool *help, const long *threads) {
  crt_error e;
  const char *extra[1];
  int npos = 0;
  if (crt_parse_args(argc, argv, opts, extra, 0, &npos, &e)) {
    fprintf(stderr, "%s %s: error: %s\n", h->prog, h->cmd, e.msg);
    return HOST_USAGE;
  }
  if (*help) {
    printf("usage: %s %s %s\n\noptions:\n", h->prog, h->cmd, usage_line);
    crt_print_options(stdout, opts);
    return HOST_OK;
  }
  if (*threads < 0 || *threads > 4096) {
    fprintf(stderr, "%s %s: error: --threads %ld: expected 0 (all cores) to 4096\n", h->prog,
            h->cmd, *threads);
    return HOST_USAGE;
  }
  crt_set_threads((int)*threads);
  return -1;
}

crt_session *host_session(const host *h, const char *weights, bool random_ok, crt_error *e) {
  crt_session *s = crt_session_create(h->model, weights, e);
  if (s && !weights && !random_ok && !crt_session_info(s)->embedded_weights) {
    crt_session_free(s);
    crt_fail(e, "no weights: pass --weights FILE (this executable has none embedded)");
    return NULL;
  }
  return s;
}

int host_dataset(crt_dataset *d, const char *spec, bool train, const crt_model_info *m,
                 crt_error *e) {
  if (!spec) return crt_fail(e, "--data is required (fashion-mnist[:DIR], mnist:DIR, cifar10:DIR)");
  if (crt_dataset_open(d, spec, train, m->classes, e)) return -1;
  if (m->mean && d->channels == m->channels)
    for (int c = 0; c < m->channels; c++) d->mean[c] = m->mean[c], d->std[c] = m->std[c];
  if (d->channels != m->channels || d->height != m->height || d->width != m->width) {
    crt_fail(e, "data set '%s' has images (%d, %d, %d); the model takes (%d, %d, %d)", spec,
             d->channels, d->height, d->width, m->channels, m->height, m->width);
    crt_dataset_free(d);
    return -1;
  }
  return 0;
}

void host_print_normalisation(FILE *out, int channels, const float *mean, const float *std,
                              bool models) {
  fprintf(out, "normalisation: ((x / 255) - mean) / std, mean (");
  for (int c = 0; c < channels; c++) fprintf(out, "%s%g", c ? ", " : "", mean[c]);
  fprintf(out, "), std (");
  for (int c = 0; c < channels; c++) fprintf(out, "%s%g", c ? ", " : "", std[c]);
  fprintf(out, "), %s\n", models ? "the model's" : "the data set's");
}

const crt_tensor *host_tensor(const crt_st_file *f, const char *name, crt_dtype dtype, int rank,
                              int64_t *shape, crt_error *e) {
  const crt_tensor *t = crt_st_find(f, name);
  if (!t) return crt_fail(e, "%s: no tensor '%s'", crt_st_path(f), name), NULL;
  bool ok = t->dtype == dtype && t->rank == rank;
  for (int i = 0; ok && i < rank; i++) ok = shape[i] < 0 || shape[i] == t->shape[i];
  if (!ok) {
    char want[128] = "", got[128] = "";
    for (int i = 0; i < rank; i++) {
      size_t at = strlen(want);
      if (shape[i] < 0)
        snprintf(want + at, sizeof want - at, "%sB", i ? ", " : "");
      else
        snprintf(want + at, sizeof want - at, "%s%lld", i ? ", " : "", (long long)shape[i]);
    }
    for (int i = 0; i < t->rank; i++)
      snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", i ? ", " : "",
               (long long)t->shape[i]);
    crt_fail(e, "%s: tensor '%s': expected %s (%s), found %s (%s)", crt_st_path(f), name,
             crt_dtype_name(dtype), want, crt_dtype_name(t->dtype), got);
    return NULL;
  }
  for (int i = 0; i < rank; i++) shape[i] = t->shape[i];
  return t;
}
