/* The executable's commands (docs/cli.md §2), one file each, sharing the
 * helpers of host.c. Each command returns the process exit status. */
#ifndef CRT_HOST_INTERNAL_H
#define CRT_HOST_INTERNAL_H

#include "cratert_host.h"
#include "crate_ref.h"

/* Exit statuses: success, a failure while running, a usage mistake, and
 * training stopped by SIGINT or SIGTERM after saving (128 + signal). */
enum { HOST_OK = 0, HOST_FAIL = 1, HOST_USAGE = 2 };

typedef struct host {
  const crt_model *model;
  const char *prog, *cmd;
} host;

/* Prints "PROG CMD: error: MSG" to stderr; returns HOST_FAIL. */
int host_fail(const host *h, const crt_error *e);

/* Parses a command's options (OPTS must contain "--help" and "--threads"
 * entries pointing at HELP and THREADS), then applies --threads. Returns
 * -1 to go on, else the exit status (help printed, or a usage error). */
int host_parse(const host *h, const char *usage, const crt_option *opts, int argc, char **argv,
               const bool *help, const long *threads);

/* A session on WEIGHTS (NULL: embedded weights, else a usage error unless
 * RANDOM_OK, which allows the docs/model.md §3.3 initialisation). */
crt_session *host_session(const host *h, const char *weights, bool random_ok, crt_error *e);

/* Opens SPEC's TRAIN or test split and checks it fits the model's input. */
/* A normalisation per channel, and whose it is (the model's `normalize` or
 * the data set's own): what the model sees. */
void host_print_normalisation(FILE *out, int channels, const float *mean, const float *std,
                              bool models);
int host_dataset(crt_dataset *d, const char *spec, bool train, const crt_model_info *m,
                 crt_error *e);

/* The index of the largest of X[0..N): a predicted class. */
int host_argmax(const float *x, int n);

/* Top-1 accuracy and mean plain cross-entropy over all of D, in batches. */
int host_evaluate(crt_session *s, const crt_dataset *d, int64_t batch, double *accuracy,
                  double *loss, crt_error *e);

/* A safetensors tensor of the given dtype, rank and (partly known) shape:
 * SHAPE entries of -1 take what the file holds. */
const crt_tensor *host_tensor(const crt_st_file *f, const char *name, crt_dtype dtype, int rank,
                              int64_t *shape, crt_error *e);

/* infer and grad: their options, and the input's images. */
typedef struct io_opts {
  const char *weights, *input, *output;
  double smoothing;
  long threads;
  bool help, allow_nonfinite;
} io_opts;

/* The option of every command that reads weights or images from a file
 * (crt_allow_nonfinite). */
#define HOST_NONFINITE_OPTION(flag) \
  {"--allow-nonfinite", CRT_ARG_FLAG, &(flag), NULL, "accept NaN and infinity in weights and inputs"}

/* The options of infer and grad before their own. */
#define HOST_IO_OPTIONS(o, input_help, output_help)                                         \
  {"--weights", CRT_ARG_STRING, &(o).weights, "FILE", "weights (safetensors); default: embedded"}, \
  {"--input", CRT_ARG_STRING, &(o).input, "FILE", input_help},                              \
  {"--output", CRT_ARG_STRING, &(o).output, "FILE", output_help},                           \
  {"--threads", CRT_ARG_INT, &(o).threads, "T", "threads (0: all cores)"},                  \
  HOST_NONFINITE_OPTION((o).allow_nonfinite),                                               \
  {"--help", CRT_ARG_FLAG, &(o).help, NULL, "show this help"}

/* host_parse, then --input and --output required. */
int host_parse_io(const host *h, io_opts *o, const crt_option *opts, int argc, char **argv);
/* The input's "images" (B, C, H, W) F32 as an aligned copy, checked finite
 * unless allowed; *BATCH gets B. */
float *host_read_images(const crt_st_file *f, const crt_model_info *m, int64_t *batch,
                        crt_error *e);

/* docs/model.md §6 per layer (MEASURES has depth entries) on a batch of images,
 * through P_features and the reference measure. */
int host_measure(crt_session *s, const float *images, int64_t batch,
                 ref_layer_measures *measures, crt_error *e);

int host_infer(const host *h, int argc, char **argv);
int host_grad(const host *h, int argc, char **argv);
int host_train(const host *h, int argc, char **argv);
int host_eval(const host *h, int argc, char **argv);
int host_classify(const host *h, int argc, char **argv);
int host_rate(const host *h, int argc, char **argv);
int host_bench(const host *h, int argc, char **argv);

#endif
