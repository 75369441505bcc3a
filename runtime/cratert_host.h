/* cratert_host.h — the CRATE runtime's API for host programs: the commands
 * of generated executables (runtime/host*.c) and programs that link an
 * `--emit lib` library. It adds to cratert_abi.h (what generated code needs)
 * the command line, data, training machinery, weights files and sessions.
 * It knows nothing of the compiler. Files (outputs, inputs, locks) have
 * their own header, cratert_files.h, which cratec's support layer shares.
 *
 * Nothing here allocates in a steady-state step: buffers come from a
 * crt_arena set up once.
 *
 * Sections: command line · memory · safetensors · random numbers · data ·
 *           optimizers · schedules · checkpoints · progress and metrics ·
 *           sessions */
#ifndef CRATERT_HOST_H
#define CRATERT_HOST_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cratert_abi.h"
#include "cratert_files.h"
#include "cratert_recipe.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ==== command line ========================================================== */

/* One option of a command: "--weights FILE", "--threads N", "-O2" (a short
 * name of two characters takes its value attached: "-O" with "-O2"). */
typedef enum { CRT_ARG_FLAG, CRT_ARG_STRING, CRT_ARG_INT, CRT_ARG_DOUBLE } crt_arg_type;

/* An integer option never stores CRT_ARG_UNSET (it is out of range) and a
 * number option only finite values, so CRT_ARG_UNSET and NaN as defaults
 * tell "not given" from anything a user can type. */
#define CRT_ARG_UNSET LONG_MIN

typedef struct crt_option {
  const char *name;      /* "--weights", "-o", "-O" */
  crt_arg_type type;
  void *dest;            /* bool*, const char **, long *, double * */
  const char *metavar;   /* shown in help: "FILE"; NULL for flags */
  const char *help;
} crt_option;

/* Parses ARGV[0..ARGC) against OPTS (terminated by an entry with name NULL).
 * "--name=value" and "--name value" are both accepted; "--" ends options.
 * Other words go to POSITIONAL (at most MAX_POSITIONAL; *NPOS gets the
 * count). An unknown option is an error with a "did you mean" hint. */
int crt_parse_args(int argc, char **argv, const crt_option *opts, const char **positional,
                   int max_positional, int *npos, crt_error *e);
/* Prints one aligned line per option: "  --weights FILE   help text". */
void crt_print_options(FILE *out, const crt_option *opts);

/* ==== memory ================================================================= */

/* A bump allocator over one 64-byte-aligned block: sized once (the memory
 * planner knows the peak), then reused every step without touching malloc. */
typedef struct crt_arena {
  unsigned char *base;
  size_t size, used, peak;
} crt_arena;

int crt_arena_init(crt_arena *a, size_t bytes, crt_error *e);
void *crt_arena_alloc(crt_arena *a, size_t bytes);   /* NULL when full */
size_t crt_arena_mark(const crt_arena *a);
void crt_arena_release(crt_arena *a, size_t mark);   /* frees everything after mark */
void crt_arena_destroy(crt_arena *a);

/* ==== safetensors ============================================================ */

typedef enum {
  CRT_F32, CRT_F64, CRT_F16, CRT_BF16,
  CRT_I64, CRT_I32, CRT_I16, CRT_I8, CRT_U8, CRT_BOOL,
} crt_dtype;

#define CRT_MAX_RANK 8

/* A tensor inside a file (or to be written to one). */
typedef struct crt_tensor {
  const char *name;
  crt_dtype dtype;
  int rank;
  int64_t shape[CRT_MAX_RANK];
  const void *data;       /* little-endian bytes, as in the file */
  size_t nbytes;
} crt_tensor;

const char *crt_dtype_name(crt_dtype t);   /* "F32", "I64", ... as safetensors spells them */
size_t crt_dtype_size(crt_dtype t);

/* An open, fully validated safetensors file, read into memory (not mapped:
 * a program rewriting the file meanwhile cannot pull pages from under it).
 * Validation: header length against file size, JSON well-formed, each
 * entry's dtype, shape and data_offsets consistent, offsets in range and
 * not overlapping. */
typedef struct crt_st_file crt_st_file;

crt_st_file *crt_st_open(const char *path, crt_error *e);
/* Same checks on a buffer in memory (the buffer must outlive the result). */
crt_st_file *crt_st_open_memory(const void *data, size_t size, const char *name, crt_error *e);
void crt_st_close(crt_st_file *f);
const char *crt_st_path(const crt_st_file *f);
int crt_st_count(const crt_st_file *f);
const crt_tensor *crt_st_at(const crt_st_file *f, int i);
/* Looks NAME up; a key spelled "module." NAME (DataParallel checkpoints)
 * also matches. NULL when absent. */
const crt_tensor *crt_st_find(const crt_st_file *f, const char *name);
/* A string from the __metadata__ table, or NULL. */
const char *crt_st_metadata(const crt_st_file *f, const char *key);

/* What a model expects to find: a key and the shape of an F32 tensor. */
typedef struct crt_param_spec {
  const char *key;
  int rank;
  int64_t shape[4];
} crt_param_spec;

/* Checks F against SPECS (every key present, F32, right shape; no key the
 * model does not know; every value finite unless allowed below) and copies
 * each tensor into dst[i]. Errors name the file and the tensor:
 * "w.safetensors: tensor 'cls_token': expected shape (1, 1, 64), found
 * (1, 64)". */
int crt_st_load_f32(const crt_st_file *f, const crt_param_spec *specs, int n, float *const *dst,
                    crt_error *e);

/* NaN and infinity in loaded weights, checkpoints and input images are
 * refused by default: ReLU and max turn NaN into finite values, so the
 * outputs would look valid. crt_allow_nonfinite(true) (the commands'
 * --allow-nonfinite) lets them through, process-wide. */
void crt_allow_nonfinite(bool on);
/* The index of the first NaN or infinity among the N floats at X (any
 * alignment), or N when there is none. */
size_t crt_find_nonfinite(const void *x, size_t n);
/* 0, or -1 with E naming FILE, TENSOR and the first bad element when the N
 * floats at X are not all finite (and that is not allowed). */
int crt_check_finite(const char *file, const char *tensor, const void *x, size_t n,
                     crt_error *e);

/* Writes TENSORS to PATH atomically (temporary file in the same directory,
 * fsync, rename), with METADATA as NULL-terminated key/value string pairs
 * (may be NULL). Each tensor's CRC32 (zlib's) joins the metadata as
 * "crc32.NAME" = 8 lowercase hexadecimal digits (keys "crc32." are
 * reserved); crt_st_open checks every such checksum a file records and
 * names the damaged tensor. */
int crt_st_write(const char *path, const crt_tensor *tensors, int n, const char *const *metadata,
                 crt_error *e);

/* ==== random numbers ========================================================= */

/* xoshiro256** (Blackman & Vigna), seeded through splitmix64: fast, good
 * statistically, and its whole state is these four words, so a checkpoint
 * saves it as it is and a resumed run draws the same numbers. */
typedef struct crt_rng {
  uint64_t s[4];
} crt_rng;

/* Any seed is fine, 0 included (splitmix64 never yields the all-zero state). */
void crt_rng_seed(crt_rng *r, uint64_t seed);
uint64_t crt_rng_next_u64(crt_rng *r);
/* Uniform in [0, 1), from the top 24 bits (every float in the range a
 * multiple of 2^-24, so 1.0f is never returned by rounding). */
float crt_rng_uniform(crt_rng *r);
/* Standard normal N(0, 1) by Box–Muller in double; one sample per call (the
 * second is dropped so the state stays just the four words). */
float crt_rng_normal(crt_rng *r);
/* Uniform integer in [0, n) without modulo bias (Lemire's multiply-and-
 * reject); n = 0 gives 0. */
uint64_t crt_rng_below(crt_rng *r, uint64_t n);

/* ==== data =================================================================== */

/* An image-classification data set held in memory as bytes: images
 * (count, channels, height, width) uint8, labels (count) uint8 below
 * `classes`. Pixels are normalised only when a batch is produced:
 * ((x / 255) − mean[c]) / std[c]. */
#define CRT_DATA_MAX_CHANNELS 3

typedef struct crt_dataset {
  int64_t count;
  int channels, height, width, classes;
  uint8_t *images;
  uint8_t *labels;
  float mean[CRT_DATA_MAX_CHANNELS], std[CRT_DATA_MAX_CHANNELS];
  const char *const *class_names;   /* CLASSES names (Fashion-MNIST, CIFAR-10), or NULL */
} crt_dataset;

/* Where Debian's dataset-fashion-mnist package puts the files. */
#define CRT_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

/* Every reader takes CLASSES, the model's number of classes: the data set
 * has that many, and a label not below it is an error naming the file.
 * Class names are given only when CLASSES is the published data set's. */

/* An IDX pair (images: magic 0x803, count × rows × cols; labels: magic
 * 0x801, count), gzipped or not: zlib reads both. 1 channel,
 * mean 0 and std 1 (callers set the statistics of their data set). Magic
 * numbers, dimensions, matching counts, label range and truncation are
 * checked; errors name the file. */
int crt_dataset_load_idx(crt_dataset *d, const char *images_path, const char *labels_path,
                         int classes, crt_error *e);
/* {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] in DIR (NULL: the
 * Debian directory), the same layout for Fashion-MNIST and MNIST. Statistics
 * of the training images: Fashion-MNIST mean 0.2860, std 0.3530; MNIST mean
 * 0.1307, std 0.3081. */
int crt_dataset_load_fashion_mnist(crt_dataset *d, const char *dir, bool train, int classes,
                                   crt_error *e);
int crt_dataset_load_mnist(crt_dataset *d, const char *dir, bool train, int classes,
                           crt_error *e);
/* CIFAR-10 binary batches in DIR: data_batch_1..5.bin (train) or
 * test_batch.bin, records of 1 label byte and 3072 image bytes (3, 32, 32).
 * Statistics of the training images: mean (0.4914, 0.4822, 0.4465), std
 * (0.2470, 0.2435, 0.2616). */
int crt_dataset_load_cifar10(crt_dataset *d, const char *dir, bool train, int classes,
                            crt_error *e);
/* The command-line spelling: "fashion-mnist[:DIR]", "mnist:DIR", "cifar10:DIR". */
int crt_dataset_open(crt_dataset *d, const char *spec, bool train, int classes, crt_error *e);
void crt_dataset_free(crt_dataset *d);

/* Where a loader stands: enough to resume exactly. The epoch's order is
 * drawn from `epoch_rng`, so saving it (not the order) suffices. */
typedef struct crt_loader_position {
  int64_t epoch;      /* 0-based */
  int64_t index;      /* images of this epoch already handed out */
  crt_rng epoch_rng;  /* the generator as this epoch began */
} crt_loader_position;

/* Batches in a seeded random order (Fisher–Yates, drawn anew each epoch),
 * or in file order without shuffling. */
typedef struct crt_loader {
  const crt_dataset *data;
  int64_t batch;
  bool shuffle, drop_last;
  int64_t *order;                /* (count) this epoch's order */
  crt_rng next_rng;              /* the generator after drawing this epoch's order */
  float table[CRT_DATA_MAX_CHANNELS][256];   /* normalised value of each byte */
  crt_loader_position pos;
} crt_loader;

/* BATCH >= 1; with DROP_LAST a final partial batch is skipped. */
int crt_loader_init(crt_loader *l, const crt_dataset *d, int64_t batch, bool shuffle,
                    bool drop_last, uint64_t seed, crt_error *e);
/* Batches in one epoch. */
int64_t crt_loader_steps(const crt_loader *l);
/* Fills the next batch: images (n, C, H, W) normalised, labels (n); returns
 * n (the batch size, less for a final partial batch), 0 once the epoch is
 * over. Does not allocate. */
int64_t crt_loader_next(crt_loader *l, float *images, int64_t *labels);
/* Starts the following epoch with a fresh order. */
void crt_loader_next_epoch(crt_loader *l);
/* Returns to a position from crt_loader_tell (on the same data set). */
crt_loader_position crt_loader_tell(const crt_loader *l);
int crt_loader_seek(crt_loader *l, const crt_loader_position *pos, crt_error *e);
void crt_loader_free(crt_loader *l);

/* ==== optimizers ============================================================= */

/* The optimizers of docs/model.md §4.2 with PyTorch's float32 arithmetic, operation
 * for operation (torch.optim.SGD, torch.optim.AdamW, lion-pytorch's Lion), so
 * a step matches PyTorch to rounding (bitwise but for the multiply-adds its
 * vectorised CPU kernels fuse). They update ONE flat parameter buffer
 * from a gradient buffer of the same length; weight decay applies to every
 * parameter, as in the official recipe. Scalars (lr, decays) are combined in
 * double and rounded to float once, as PyTorch does with Python scalars.
 * The kinds and their names are in cratert_recipe.h. */

typedef struct crt_optimizer_config {
  crt_optimizer_kind kind;
  double weight_decay;  /* SGD: coupled, g += wd·p; AdamW, Lion: p *= 1 − lr·wd */
  double momentum;      /* SGD: 0 means plain SGD (no buffer) */
  bool nesterov;        /* SGD: g + momentum·buf instead of buf (needs momentum > 0) */
  double beta1, beta2;  /* AdamW: moment decays; Lion: interpolation, momentum decay */
  double eps;           /* AdamW: added to the bias-corrected √v */
} crt_optimizer_config;

/* The libraries' defaults: SGD momentum 0.9 (the official main.py's), wd 0;
 * AdamW β (0.9, 0.999), eps 1e-8, wd 0.01; Lion β (0.9, 0.99), wd 0. */
crt_optimizer_config crt_optimizer_defaults(crt_optimizer_kind kind);

typedef struct crt_optimizer {
  crt_optimizer_config config;
  size_t count;        /* parameters in the flat buffer */
  float *exp_avg;      /* (count) SGD momentum buffer, AdamW first moment, Lion momentum;
                          NULL for SGD without momentum */
  float *exp_avg_sq;   /* (count) AdamW second moment; NULL otherwise */
  int64_t steps;       /* completed steps (AdamW's bias correction uses steps + 1) */
} crt_optimizer;

/* Validates CONFIG (betas in [0, 1), eps > 0, decays and momentum >= 0,
 * nesterov only with momentum) and allocates zeroed state for COUNT
 * parameters. On failure OPT is left empty (crt_optimizer_free is harmless). */
int crt_optimizer_init(crt_optimizer *opt, const crt_optimizer_config *config, size_t count,
                       crt_error *e);
/* One update of PARAMS (n) from GRADS (n) at learning rate LR; N must be the
 * count given to init and LR finite and >= 0. Elementwise and split
 * statically over OpenMP threads, so the result is independent of the
 * thread count. Fails (after the update; the state is then unusable) when
 * a parameter or state value it wrote is NaN or infinite. */
int crt_optimizer_step(crt_optimizer *opt, float *params, const float *grads, size_t n, double lr,
                       crt_error *e);
void crt_optimizer_free(crt_optimizer *opt);

/* ==== schedules ============================================================== */

/* Learning-rate schedules as pure functions of the training position.
 *   constant: base_lr.
 *   cosine, per epoch (the official main.py: LambdaLR stepped once per
 *     epoch): base_lr · min((e+1)/(W + 1e-8), ½(cos(e/E·π) + 1)) for the
 *     0-based epoch e, W = warmup_epochs, E = epochs; constant within an epoch.
 *   cosine, per step: the same shape over steps t = e·S + s (S steps per
 *     epoch), warm-up over W steps (warmup_steps, or warmup_epochs·S when
 *     warmup_steps is 0; W may be fractional), cosine over E·S steps from base_lr down to min_lr:
 *     min(base_lr·(t+1)/W, min_lr + (base_lr − min_lr)·½(cos(t/(E·S)·π) + 1)).
 * The kinds and their names are in cratert_recipe.h. */

typedef struct crt_schedule {
  crt_schedule_kind kind;
  bool per_step;          /* cosine: false = the official per-epoch steps; a floor
                             or a warm-up in steps needs true */
  double base_lr;
  double min_lr;          /* per-step cosine floor */
  int64_t epochs;         /* cosine length */
  double warmup_epochs;   /* fractional as main.py's --warmup-epochs may be */
  int64_t warmup_steps;   /* per-step only; 0 = use warmup_epochs */
} crt_schedule;

/* Rejects a schedule that cannot be evaluated: negative or non-finite rates,
 * min_lr above base_lr, no epochs for cosine, warm-up in steps on the
 * per-epoch schedule. */
int crt_schedule_check(const crt_schedule *s, crt_error *e);
/* The rate for step STEP_IN_EPOCH of the 0-based EPOCH (S = STEPS_PER_EPOCH
 * >= 1). Past the last epoch the cosine stays at its end value. */
double crt_schedule_lr(const crt_schedule *s, int64_t epoch, int64_t step_in_epoch,
                       int64_t steps_per_epoch);

/* ==== checkpoints ============================================================ */

/* A training checkpoint is one safetensors file, and a valid weights file:
 *   - the weights under their official keys and shapes (docs/model.md §3.1);
 *   - the optimizer state, one F32 tensor per weight and buffer, named as
 *     PyTorch names it in optimizer.state_dict():
 *       "optimizer.momentum_buffer.<key>"  SGD with momentum
 *       "optimizer.exp_avg.<key>"          AdamW first moment, Lion momentum
 *       "optimizer.exp_avg_sq.<key>"       AdamW second moment
 *   - __metadata__ (all values decimal strings; doubles with 17 significant
 *     digits, so they read back bit for bit):
 *       format = "cratec-checkpoint", format_version = "1",
 *       optimizer = "sgd" | "adamw" | "lion", optimizer.steps,
 *       optimizer.{weight_decay, momentum, nesterov, beta1, beta2, eps},
 *       progress.{epoch, step_in_epoch, steps_per_epoch},
 *       schedule = "constant" | "cosine", schedule.{per_step, base_lr,
 *       min_lr, epochs, warmup_epochs, warmup_steps},
 *       rng.s0 … rng.s3 (the crt_rng words),
 *       and crt_st_write's "crc32.<tensor>" checksums.
 * It is written atomically (crt_st_write), so a failed save leaves the
 * previous checkpoint as it was. */

/* Where training stands, besides weights and optimizer state. */
typedef struct crt_train_progress {
  int64_t epoch;            /* the epoch in progress, 0-based */
  int64_t step_in_epoch;    /* its steps already taken */
  int64_t steps_per_epoch;
  crt_schedule schedule;    /* evaluated at (epoch, step_in_epoch) */
  crt_rng rng;              /* the generator as the epoch in progress began: a
                               loop that shuffles per epoch draws the order from
                               a copy (and keeps the copy when the epoch ends),
                               so a resumed run sees the same order again */
} crt_train_progress;

/* The model's parameters: each official tensor and where it starts in the
 * flat buffer the optimizer steps over (gaps between tensors are allowed and
 * not saved). */
typedef struct crt_param_table {
  const crt_param_spec *specs;
  const size_t *offsets;    /* in floats from the start of the flat buffer */
  int count;
  size_t flat_count;        /* floats in the flat buffer */
} crt_param_table;

/* The index of the first tensor of TABLE whose floats in FLAT (may be NULL)
 * include NaN or infinity, or -1. */
int crt_param_table_find_nonfinite(const crt_param_table *t, const float *flat);

/* Refuses (naming the tensor) weights or state that hold NaN or infinity,
 * so a diverged run never replaces a good checkpoint. */
int crt_checkpoint_save(const char *path, const crt_param_table *table, const float *flat,
                        const crt_optimizer *opt, const crt_train_progress *progress,
                        crt_error *e);
/* Validates everything (metadata, every tensor's presence, dtype and shape,
 * no unknown tensor) before touching anything; then fills FLAT, initialises
 * *OPT (uninitialised on entry; free it with crt_optimizer_free) with the
 * saved configuration, state and step count, and fills *PROGRESS. On error
 * nothing is changed and E names the file and, where there is one, the
 * tensor or metadata key. */
int crt_checkpoint_load(const char *path, const crt_param_table *table, float *flat,
                        crt_optimizer *opt, crt_train_progress *progress, crt_error *e);
/* The model loader's entry: crt_st_load_f32, except that a checkpoint is
 * accepted too. Its optimizer tensors are checked like the weights (each
 * must match its weight's shape) and skipped; any other extra tensor is
 * still an error. */
int crt_checkpoint_load_weights(const crt_st_file *f, const crt_param_spec *specs, int n,
                                float *const *dst, crt_error *e);

/* ==== progress and metrics =================================================== */

/* Seconds on a monotonic clock (for rates and timings). */
double crt_clock(void);

/* Training progress. On a terminal, one line redrawn in place (at most ten
 * times a second, and always at the end of an epoch):
 *   epoch 3/200  step 120/468  loss 0.4123  1234.5 images/s  ETA 1:02:03
 * elsewhere (a log file, a pipe) the same text as plain lines, every
 * `log_every` steps and at the end of each epoch. The loss shown is the mean
 * over the epoch so far; the ETA is for the whole run at this epoch's pace. */
typedef struct crt_progress {
  FILE *out;
  bool live;                 /* redraw in place: OUT is a terminal */
  int64_t epochs, steps;     /* steps per epoch */
  int64_t log_every;         /* plain lines: default steps / 10, at least 1 */
  double (*clock)(void);     /* crt_clock; tests give their own */
  int64_t epoch, step;       /* 0-based epoch; steps done in it */
  int64_t images;            /* images done in this epoch */
  double loss_sum;
  double epoch_start, last_draw;
} crt_progress;

void crt_progress_init(crt_progress *p, FILE *out, int64_t epochs, int64_t steps_per_epoch);
void crt_progress_start_epoch(crt_progress *p, int64_t epoch);
/* One step done: its mean loss and how many images it saw. */
void crt_progress_step(crt_progress *p, double loss, int64_t images);
/* Finishes the epoch's line, followed by SUMMARY (e.g. "accuracy 0.8912";
 * may be NULL). */
void crt_progress_end_epoch(crt_progress *p, const char *summary);

/* A CSV metrics log: the caller names the columns ("epoch", "step", "loss",
 * "accuracy", "lr", "images_per_s", ...), then writes one row of numbers at
 * a time; each row is flushed so the log can be followed while training.
 * An existing file is appended to (a resumed run continues its log) when
 * its header names the same columns, and refused otherwise. */
typedef struct crt_metrics {
  FILE *file;
  int columns;
  char *path;
} crt_metrics;

/* COLUMNS: NULL-terminated names, non-empty, without commas, quotes or
 * line breaks. */
int crt_metrics_open(crt_metrics *m, const char *path, const char *const *columns, crt_error *e);
/* One row: a value per column (written with %.10g; integers stay integers). */
int crt_metrics_write(crt_metrics *m, const double *values, crt_error *e);
void crt_metrics_close(crt_metrics *m);

/* ==== sessions ===============================================================
 *
 * A compiled model (cratert_abi.h) with its buffers, ready to run.
 * Everything the host commands (and a program linking an `--emit lib`
 * library) need: the description parsed and checked, parameters loaded or
 * initialised, P_prepare called, scratch sized once per largest batch. */

typedef struct crt_layer_info {
  int heads, dim_head;
} crt_layer_info;

/* The description's "train" block (defaults when absent: AdamW, constant lr
 * 1e-3, 10 epochs, batch 128, no label smoothing, seed 0). */
typedef struct crt_train_config {
  crt_optimizer_config optimizer;
  crt_schedule schedule;         /* base_lr is the learning rate, epochs the run length */
  int64_t batch;
  double label_smoothing;        /* what P_train_step was compiled with */
  uint64_t seed;
} crt_train_config;

typedef struct crt_model_info {
  const char *name;
  int channels, height, width, classes, depth, tokens, dim;
  const crt_layer_info *layers;  /* (depth) */
  int64_t batch;                 /* the fixed batch, or 0 when any batch is accepted */
  crt_param_table params;        /* official keys, shapes and offsets in the flat buffer */
  size_t derived_floats;
  int64_t work_forward[2], work_features[2], work_train[2];   /* a + b·batch floats */
  double flops_forward;          /* per image */
  size_t embedded_weights;       /* bytes of P_weights, 0 when none */
  crt_train_config train;
  /* The model's input normalisation ((x / 255) − mean[c]) / std[c], per
   * channel (`normalize` in the .crate), which data loading applies instead
   * of the data set's own; NULL when the model leaves it to the data set. */
  const float *mean, *std;
} crt_model_info;

typedef struct crt_session crt_session;

/* Parses and checks M's description, allocates parameters once, loads
 * WEIGHTS_PATH (a weights file or a training checkpoint, keys optionally
 * "module."-prefixed) or, when NULL, the embedded weights, or else draws
 * the parameters as crt_session_init_params does from the description's
 * seed; then calls P_prepare. NULL with E filled on error. */
crt_session *crt_session_create(const crt_model *m, const char *weights_path, crt_error *e);
void crt_session_free(crt_session *s);
const crt_model_info *crt_session_info(const crt_session *s);

/* The flat parameter buffer (param_floats) and the gradients of the last
 * gradients/train step (same layout). After writing parameters, call
 * crt_session_params_changed (it reruns P_prepare). */
float *crt_session_params(crt_session *s);
const float *crt_session_grads(const crt_session *s);
void crt_session_params_changed(crt_session *s);
/* Draws every parameter from SEED as its "init" in the description says
 * (cratec writes PyTorch's initialisation of the official model: N(0,1)
 * embeddings, U(±1/√fan_in) linear weights and biases, U(±√(6/d)) ISTA
 * dictionaries, LayerNorm 1 and 0). */
void crt_session_init_params(crt_session *s, uint64_t seed);

/* The entries whose scratch a session sizes; each needs its own amount
 * (a training step keeps every activation for the backward pass). */
typedef enum { CRT_ENTRY_FORWARD, CRT_ENTRY_FEATURES, CRT_ENTRY_TRAIN } crt_entry;

/* Sizes the scratch for ENTRY at batches up to BATCH now, so later calls
 * needing no more never allocate; calls grow it themselves otherwise, to
 * what the entry they run needs, no more. */
int crt_session_reserve(crt_session *s, crt_entry entry, int64_t batch, crt_error *e);

/* images (batch, C, H, W) -> logits (batch, classes). With a fixed-batch
 * model any BATCH works: it runs in chunks, the last one padded. */
int crt_session_forward(crt_session *s, const float *images, float *logits, int64_t batch,
                        crt_error *e);
/* images -> features (depth, 2, batch, tokens, dim) as P_features lays them
 * out; BATCH must be the fixed batch of a fixed-batch model. */
int crt_session_features(crt_session *s, const float *images, float *features, int64_t batch,
                         crt_error *e);
/* Loss (label smoothing as compiled), logits (may be NULL) and the
 * gradients of every parameter (crt_session_grads). */
int crt_session_gradients(crt_session *s, const float *images, const int64_t *labels,
                          int64_t batch, float *loss, float *logits, crt_error *e);
/* crt_session_gradients, then one optimizer step at rate LR, then P_prepare.
 * A step that leaves a parameter or its optimizer state NaN or infinite
 * fails naming the tensor (and the first non-finite gradient); the
 * parameters are then unusable. */
int crt_session_train_step(crt_session *s, const float *images, const int64_t *labels,
                           int64_t batch, double lr, float *loss, float *logits, crt_error *e);
/* The optimizer train steps use, initialised from the description on
 * first use. set_optimizer replaces it with fresh state; a resumed run
 * instead frees it (crt_optimizer_free) and lets crt_checkpoint_load fill it. */
crt_optimizer *crt_session_optimizer(crt_session *s);
int crt_session_set_optimizer(crt_session *s, const crt_optimizer_config *config, crt_error *e);

/* The executable's main (docs/cli.md §2: infer, grad, train, eval,
 * bench, rate): generated executables call it with their model. Returns the
 * process exit status. */
int crt_host_main(const crt_model *model, int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif
