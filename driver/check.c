/* cratec check: parse and verify a model, then print what it implies. The
 * value lines ("parameters: N", "flops: N") stand alone so scripts can grep
 * them. */
#include "driver.h"
#include "frontend.h"
#include "lower.h"
#include "passes.h"

#include <stdlib.h>

static void print_usage(FILE *out, const crt_option *opts) {
  fputs("usage: cratec check [OPTIONS] MODEL.crate\n\n"
        "Parses and verifies MODEL.crate (\"-\" reads stdin) and prints its shapes,\n"
        "parameter count, forward FLOPs per image and weight memory.\n"
        "Exit status: 0 valid, 1 errors in the file, 2 usage error.\n\noptions:\n",
        out);
  crt_print_options(out, opts);
}

static bool same_layer(const LayerSpec *a, const LayerSpec *b) {
  return a->heads == b->heads && a->dim_head == b->dim_head && a->step == b->step && a->lambda == b->lambda;
}

/* Consecutive identical layers share one line: "layers 0-11". */
static void print_layers(const Model *m) {
  int N = model_tokens(m), d = m->dim;
  printf("layers: %d (each: mssa then ista on (%d, %d))\n", m->depth, N, d);
  for (int first = 0, last; first < m->depth; first = last + 1) {
    const LayerSpec *L = &m->layers[first];
    for (last = first; last + 1 < m->depth && same_layer(L, &m->layers[last + 1]); last++) {}
    char range[32];
    if (first == last)
      snprintf(range, sizeof range, "layer %d", first);
    else
      snprintf(range, sizeof range, "layers %d-%d", first, last);
    int inner = L->heads * L->dim_head;
    printf("  %s: mssa %d heads x %d (qkv %d -> %d, attention %d x (%d, %d), ", range, L->heads, L->dim_head, d,
           inner, L->heads, N, N);
    if (L->has_out_proj)
      printf("out %d -> %d)", inner, d);
    else
      printf("no out projection)");
    printf("; ista dictionary %d x %d, step %g, lambda %g\n", d, d, L->step, L->lambda);
  }
}

static void print_train(const Model *m) {
  const TrainSpec *t = &m->train;
  printf("train%s: optimizer %s lr %g weight_decay %g", m->has_train ? "" : " (defaults)",
         crt_optimizer_name(t->optimizer), t->lr, t->weight_decay);
  if (t->optimizer == CRT_OPT_SGD) printf(" momentum %g nesterov %s", t->momentum, t->nesterov ? "true" : "false");
  if (t->optimizer != CRT_OPT_SGD) printf(" beta1 %g beta2 %g", t->beta1, t->beta2);
  if (t->optimizer == CRT_OPT_ADAMW) printf(" eps %g", t->eps);
  if (t->schedule == CRT_SCHEDULE_COSINE) {
    printf("; schedule cosine");
    if (t->warmup_steps)
      printf(" warmup_steps %ld", t->warmup_steps);
    else
      printf(" warmup_epochs %g", t->warmup_epochs);
    printf(" min_lr %g", t->min_lr);
  } else {
    printf("; schedule constant");
  }
  printf("; epochs %d, batch %d, label_smoothing %g, seed %llu\n", t->epochs, t->batch, t->label_smoothing,
         (unsigned long long)t->seed);
}

/* What data loading does to the pixels x before the model sees them. */
static void print_normalisation(const Model *m) {
  printf("normalisation: ((x / 255) - mean) / std per channel, ");
  if (!m->norm_mean) {
    printf("the data set's mean and std (docs/cli.md §3.3)\n");
    return;
  }
  const double *values[2] = {m->norm_mean, m->norm_std};
  for (int v = 0; v < 2; v++) {
    printf("%s (", v ? ", std" : "mean");
    for (int c = 0; c < m->channels; c++) printf("%s%g", c ? ", " : "", values[v][c]);
    printf(")");
  }
  printf(" (the model's)\n");
}

static void print_summary(const Model *m, bool list_params) {
  int gh = m->height / m->patch_h, gw = m->width / m->patch_w, d = m->dim;
  int n = model_patches(m), pd = model_patch_dim(m);
  printf("model: %s\n", m->name);
  printf("input: image (%d, %d, %d) (channels, height, width), float32\n", m->channels, m->height, m->width);
  print_normalisation(m);
  printf("patches: %d x %d, grid %d x %d = %d, patch_dim %d\n", m->patch_h, m->patch_w, gh, gw, n, pd);
  printf("tokens: %d (%d patches + cls)\n", model_tokens(m), n);
  printf("embedding: (%d, %d) -> LayerNorm -> Linear -> LayerNorm -> (%d, %d), cls token + positions -> (%d, %d)\n", n,
         pd, n, d, model_tokens(m), d);
  print_layers(m);
  printf("head: pool %s -> (%d) -> LayerNorm -> Linear -> (%d)\n", m->pool == POOL_CLS ? "cls" : "mean", d,
         m->classes);
  int64_t params = model_param_count(m);
  printf("parameters: %lld\n", (long long)params);
  printf("flops: %lld\n", (long long)model_flops(m));
  printf("weights: %lld bytes (%.2f MiB, float32)\n", (long long)params * 4, params * 4 / 1048576.0);
  print_train(m);
  if (!list_params) return;
  ParamInfo *p;
  int count = model_params(m, &p);
  for (int i = 0; i < count; i++) {
    printf("param %s (", p[i].key);
    for (int r = 0; r < p[i].rank; r++) printf("%s%lld", r ? ", " : "", (long long)p[i].shape[r]);
    fputs(p[i].rank == 1 ? ",)\n" : ")\n", stdout);
  }
  param_infos_free(p, count);
}

/* FLOATS in MiB (INT64_MAX: more than int64 counts), and whether that is
 * beyond any machine. */
static void print_floats(const char *what, int64_t floats) {
  char limit[32];
  if (floats == INT64_MAX)
    printf("%s more than 2^63 floats", what);
  else
    printf("%s %.1f MiB", what, (double)floats * 4 / 1048576.0);
  if (floats == INT64_MAX || (double)floats * 4 > DRIVER_MACHINE_BYTES)
    printf(" (beyond any machine: more than %s)",
           driver_format_bytes(limit, sizeof limit, DRIVER_MACHINE_BYTES));
}

/* a + b·batch, INT64_MAX when that does not fit. */
static int64_t work_at(const int64_t w[2], int64_t batch) {
  int64_t per_batch, floats;
  if (__builtin_mul_overflow(w[1], batch, &per_batch) || __builtin_add_overflow(per_batch, w[0], &floats))
    return INT64_MAX;
  return floats;
}

/* The work buffers the executable reserves for infer and for train at -O2
 * (the description's work_floats: planned arena and kernel scratch),
 * compiled as cratec build compiles. */
static bool print_activation_memory(const Model *m, long batch) {
  Target t;
  target_detect_host(&t);
  Diag d;
  diag_init(&d, stderr);
  const PipelineOptions po = {.opt_level = 2};
  const LowerOptions lo = {.prefix = "crate_model", .target = &t};
  ProgramDesc *program = model_describe(m);
  Compiled *c = driver_compile(m, program, &po, &lo, true, &d);
  bool ok = c != NULL;
  int64_t infer = ok ? work_at(c->lowered->work[ENTRY_FORWARD], batch) : 0;
  int64_t train = ok ? work_at(c->lowered->work[ENTRY_TRAIN], batch) : 0;
  compiled_free(c);
  program_desc_free(program);
  if (!ok) return false;
  printf("activation memory (batch %ld): ", batch);
  print_floats("inference", infer);
  print_floats(", training", train);
  putchar('\n');
  return true;
}

int cmd_check(int argc, char **argv) {
  bool help = false, list_params = false;
  long max_errors = 20, batch = 0;
  const crt_option opts[] = {
      {"--params", CRT_ARG_FLAG, &list_params, NULL, "also list every parameter: state_dict key and shape"},
      {"--max-errors", CRT_ARG_INT, &max_errors, "N", "stop after N errors (default 20; 0: no limit)"},
      {"--batch", CRT_ARG_INT, &batch, "N", "also print the peak activation memory at batch N"},
      {"--help", CRT_ARG_FLAG, &help, NULL, "show this help"},
      {NULL, 0, NULL, NULL, NULL},
  };
  const char *files[1];
  int nfiles;
  if (!driver_parse_args("check", argc, argv, opts, files, 1, &nfiles)) return 2;
  if (help) {
    print_usage(stdout, opts);
    return 0;
  }
  if (batch < 0 || batch > INT32_MAX) {
    fprintf(stderr, "cratec check: error: --batch %ld: expected a positive size\n", batch);
    return 2;
  }
  if (nfiles != 1 || max_errors < 0) {
    fputs(nfiles != 1 ? "cratec check: error: expected one MODEL.crate file\n"
                      : "cratec check: error: --max-errors must be >= 0\n",
          stderr);
    return 2;
  }

  char *err = NULL;
  SourceFile *src = source_read(files[0], &err);
  if (!src) {
    fprintf(stderr, "cratec check: error: %s\n", err);
    free(err);
    return 1;
  }
  Diag d;
  diag_init(&d, stderr);
  d.max_errors = max_errors > 100000 ? 100000 : (int)max_errors;
  Model *m = frontend_parse(src, &d);
  bool valid = m != NULL;
  if (valid) print_summary(m, list_params);
  if (valid && batch) valid = print_activation_memory(m, batch);
  model_free(m);
  source_free(src);
  return valid ? 0 : 1;
}
