/* cratec build: one linear pipeline, parse and check the model → build the
 * IR of each entry → the pass pipeline → plan memory → lower to the
 * compiled-model ABI → emit and link. compile() reads as the list of what
 * the compiler does, one named call a step. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "cratert_hint.h"
#include "driver.h"
#include "frontend.h"
#include "ir.h"
#include "lower.h"
#include "passes.h"

/* What --emit can ask for: the backends' kinds, then the text forms the
 * driver prints itself. */
enum { TEXT_IR = EMIT_C + 1, TEXT_DOT, TEXT_LOOPS };
static const char *const emit_names[] = {"exe", "obj", "lib", "shared", "llvm", "asm", "c", "ir", "dot", "loops", NULL};
static const char *const graph_names[] = {"infer", "train", NULL};

typedef struct BuildOptions {
  const char *model_path;
  const char *out_path;       /* NULL: stdout for text forms, the model's name otherwise; "-": stdout */
  const char *emit;
  int kind;                   /* EmitKind or TEXT_* */
  long opt_level;
  const char *backend;
  const char *target_cpu;
  const char *weights;
  bool embed_weights;
  bool profile;
  bool no_train;
  const char *passes;
  const char *dump_after;
  bool verify_each;
  long batch;                 /* 0: any batch (symbolic B) */
  const char *graph;          /* which graph the ir/dot forms show */
  long l1d, l2, l3;           /* cache sizes in bytes for pass_tile; 0: the host's */
  bool help;
} BuildOptions;

/* The index of WORD in NAMES, or -1 after an error with a hint. */
static int choose(const char *option, const char *word, const char *const *names) {
  for (int i = 0; names[i]; i++)
    if (strcmp(word, names[i]) == 0) return i;
  char hint[CRT_HINT_SIZE];
  fprintf(stderr, "cratec build: error: unknown %s '%s'%s (one of:", option, word,
          crt_did_you_mean(&hint, word, names));
  for (int i = 0; names[i]; i++) fprintf(stderr, " %s", names[i]);
  fputs(")\n", stderr);
  return -1;
}

static void usage(FILE *out, const crt_option *opts) {
  fputs("usage: cratec build MODEL.crate [-o OUT] [OPTIONS]\n\n"
        "Compiles a model to an executable (default), a static library with its\n"
        "header MODEL.h, an object, LLVM IR, assembly or C. --emit ir and --emit dot\n"
        "print the dataflow IR as built (docs/ir.md), --emit loops the loop IR after\n"
        "lowering; text forms go to OUT or stdout. --dump-after prints to stderr.\n\n"
        "options:\n",
        out);
  crt_print_options(out, opts);
  fputs("\npasses (--passes, --dump-after):\n", out);
  pipeline_list(out);
}

static PipelineOptions pipeline_options(const BuildOptions *o) {
  return (PipelineOptions){(int)o->opt_level, o->passes, o->dump_after, stderr, o->verify_each};
}

/* Returns 0 to go on, otherwise the exit status (help printed: 0 via -1). */
static int parse_options(int argc, char **argv, BuildOptions *o) {
  *o = (BuildOptions){.emit = "exe", .opt_level = 2, .backend = "llvm", .target_cpu = "native", .graph = "infer"};
  const crt_option opts[] = {
      {"-o", CRT_ARG_STRING, &o->out_path, "OUT", "output file (- or, for text forms, none: stdout)"},
      {"--emit", CRT_ARG_STRING, &o->emit, "KIND", "exe (default), obj, lib, shared, llvm, asm, c, ir, dot, loops"},
      {"-O", CRT_ARG_INT, &o->opt_level, "N", "optimization level 0 to 3 (default 2)"},
      {"--backend", CRT_ARG_STRING, &o->backend, "NAME", "llvm (default) or c"},
      {"--target-cpu", CRT_ARG_STRING, &o->target_cpu, "NAME", "LLVM CPU name (default native)"},
      {"--weights", CRT_ARG_STRING, &o->weights, "FILE", "safetensors weights, checked against the model"},
      {"--embed-weights", CRT_ARG_FLAG, &o->embed_weights, NULL, "embed --weights (a weights file or a training checkpoint) in the output"},
      {"--profile", CRT_ARG_FLAG, &o->profile, NULL, "time every kernel call (OUT bench --profile prints the table)"},
      {"--batch", CRT_ARG_INT, &o->batch, "N", "fix the batch size (default: any batch, B)"},
      {"--no-train", CRT_ARG_FLAG, &o->no_train, NULL, "inference only: no P_train_step (not for exe or lib)"},
      {"--passes", CRT_ARG_STRING, &o->passes, "A,B", "run these passes instead of the -O level's list"},
      {"--dump-after", CRT_ARG_STRING, &o->dump_after, "PASS", "print the IR after PASS (or all) to stderr"},
      {"--verify-each", CRT_ARG_FLAG, &o->verify_each, NULL, "verify the IR after every pass"},
      {"--graph", CRT_ARG_STRING, &o->graph, "WHICH", "for ir/dot: infer (default) or train"},
      {"--l1d", CRT_ARG_INT, &o->l1d, "BYTES", "L1 data cache per core for the tiling model (default: the host's)"},
      {"--l2", CRT_ARG_INT, &o->l2, "BYTES", "L2 cache per core for the tiling model (default: the host's)"},
      {"--l3", CRT_ARG_INT, &o->l3, "BYTES", "L3 cache for the tiling model (default: the host's)"},
      {"--help", CRT_ARG_FLAG, &o->help, NULL, "show this help and the passes"},
      {NULL, 0, NULL, NULL, NULL},
  };
  const char *positional[1];
  int npos;
  if (!driver_parse_args("build", argc, argv, opts, positional, 1, &npos)) return 2;
  if (o->help) {
    usage(stdout, opts);
    return -1;
  }
  if (npos != 1) {
    fputs("cratec build: error: expected one MODEL.crate (see 'cratec build --help')\n", stderr);
    return 2;
  }
  o->model_path = positional[0];
  o->kind = choose("--emit kind", o->emit, emit_names);
  if (o->kind < 0 || !backend_find(o->backend) || choose("--graph", o->graph, graph_names) < 0) {
    if (o->kind >= 0 && !backend_find(o->backend)) choose("--backend", o->backend, backend_names());
    return 2;
  }
  if (strcmp(o->target_cpu, "native") != 0 && choose("--target-cpu", o->target_cpu, driver_cpu_names()) < 0)
    return 2;
  if (o->opt_level < 0 || o->opt_level > 3) {
    fprintf(stderr, "cratec build: error: -O%ld: the levels are -O0 to -O3\n", o->opt_level);
    return 2;
  }
  const struct { const char *flag; long v; } caches[] = {{"--l1d", o->l1d}, {"--l2", o->l2}, {"--l3", o->l3}};
  for (int i = 0; i < 3; i++)
    if (caches[i].v < 0 || caches[i].v > (1L << 40)) {
      fprintf(stderr, "cratec build: error: %s %ld: expected a size in bytes\n", caches[i].flag, caches[i].v);
      return 2;
    }
  if (o->batch < 0 || o->batch > INT32_MAX) {
    fprintf(stderr, "cratec build: error: --batch %ld: expected a positive size\n", o->batch);
    return 2;
  }
  if (o->no_train && (o->kind == EMIT_EXE || o->kind == EMIT_LIB)) {
    fprintf(stderr, "cratec build: error: --no-train: %s needs the training entry\n",
            o->kind == EMIT_EXE ? "an executable" : "a library");
    return 2;
  }
  if (o->embed_weights && !o->weights) {
    fputs("cratec build: error: --embed-weights needs --weights FILE\n", stderr);
    return 2;
  }
  if (o->out_path && strcmp(o->out_path, "-") == 0 &&
      (o->kind == EMIT_EXE || o->kind == EMIT_OBJ || o->kind == EMIT_LIB || o->kind == EMIT_SHARED)) {
    fprintf(stderr, "cratec build: error: -o -: --emit %s is not text; name an output file\n", o->emit);
    return 2;
  }
  Diag d;
  diag_init(&d, stderr);
  PipelineOptions po = pipeline_options(o);
  return pipeline_check_options(&po, &d) ? 0 : 2;
}

/* The checked model, or NULL after its diagnostics. */
static Model *load_model(const char *path) {
  char *err = NULL;
  SourceFile *src = source_read(path, &err);
  if (!src) {
    fprintf(stderr, "cratec build: error: %s\n", err);
    free(err);
    return NULL;
  }
  Diag d;
  diag_init(&d, stderr);
  Model *m = frontend_parse(src, &d);
  source_free(src);
  return m;
}

static bool is_stdout(const char *path) { return !path || strcmp(path, "-") == 0; }

/* A text output: stdout, or FILE through crt_output (a device or FIFO is
 * written through, a symlink followed, a regular file replaced only once
 * complete). */
static FILE *open_output(const char *path, crt_output *file) {
  if (is_stdout(path)) return stdout;
  crt_error e;
  if (crt_output_open(file, path, &e) == 0) return file->fp;
  fprintf(stderr, "cratec build: error: %s\n", e.msg);
  return NULL;
}

static int close_output(const char *path, crt_output *file) {
  crt_error e;
  if (is_stdout(path) ? !ferror(stdout) : crt_output_commit(file, &e) == 0) return 0;
  fprintf(stderr, "cratec build: error: %s\n", is_stdout(path) ? "writing <stdout> failed" : e.msg);
  return 1;
}

/* --emit ir / dot: the graph as built, before any pass, except that the
 * training graph has its backward part (autodiff needs no target). */
static int emit_graph(const Model *m, const BuildOptions *o) {
  Diag d;
  diag_init(&d, stderr);
  bool train = strcmp(o->graph, "train") == 0;
  Graph *g = driver_build_ir(m, train ? ENTRY_TRAIN : ENTRY_FORWARD, o->batch, &d);
  if (!g || (train && !pass_autodiff(g, NULL, &d)) || !ir_verify(g, &d)) {
    ir_graph_free(g);
    return 1;
  }
  crt_output file;
  FILE *out = open_output(o->out_path, &file);
  int status = 1;
  if (out) {
    (o->kind == TEXT_IR ? ir_print : ir_print_dot)(out, g);
    status = close_output(o->out_path, &file);
  }
  ir_graph_free(g);
  return status;
}

/* The model's weights from a weights file or a training checkpoint,
 * checked against the model (every key, shape and dtype), or NULL after an
 * error. *NPARAMS gets the count; free with free_weights. */
static float **load_weights(const Model *m, const char *path, ParamInfo **info, int *nparams, bool *exact) {
  crt_error e;
  crt_st_file *f = crt_st_open(path, &e);
  if (!f) {
    fprintf(stderr, "cratec build: error: %s\n", e.msg);
    return NULL;
  }
  int n = *nparams = model_params(m, info);
  crt_param_spec *specs = xcalloc((size_t)n + 1, sizeof *specs);
  float **dst = xcalloc((size_t)n + 1, sizeof *dst);
  for (int i = 0; i < n; i++) {
    specs[i].key = (*info)[i].key;
    specs[i].rank = (*info)[i].rank;
    memcpy(specs[i].shape, (*info)[i].shape, sizeof (*info)[i].shape);
    dst[i] = xmalloc((size_t)(*info)[i].numel * sizeof **dst);
  }
  bool ok = crt_checkpoint_load_weights(f, specs, n, dst, &e) == 0;
  if (!ok) fprintf(stderr, "cratec build: error: %s\n", e.msg);
  /* The file holds the model's tensors under their own keys and nothing else. */
  *exact = ok && crt_st_count(f) == n;
  for (int i = 0; *exact && i < n; i++) *exact = strcmp(crt_st_find(f, specs[i].key)->name, specs[i].key) == 0;
  free(specs);
  crt_st_close(f);
  if (ok) return dst;
  for (int i = 0; i < n; i++) free(dst[i]);
  free(dst);
  param_infos_free(*info, n);
  return NULL;
}

static void free_weights(float **w, ParamInfo *info, int n) {
  for (int i = 0; i < n; i++) free(w[i]);
  free(w);
  param_infos_free(info, n);
}

static void set_target(Target *t, const BuildOptions *o) {
  if (strcmp(o->target_cpu, "native") == 0)
    target_detect_host(t);
  else
    target_for_cpu(t, o->target_cpu, NULL, 0);
  if (o->l1d) t->l1d = (size_t)o->l1d;
  if (o->l2) t->l2 = (size_t)o->l2;
  if (o->l3) t->l3 = (size_t)o->l3;
}

/* The bytes of the weights to embed: the module borrows them until it is
 * emitted. */
static bool read_file(const char *path, const void **bytes, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f || fseek(f, 0, SEEK_END) != 0) {
    if (f) fclose(f);
    fprintf(stderr, "cratec build: error: cannot read '%s': %s\n", path, strerror(errno));
    return false;
  }
  long n = ftell(f);
  rewind(f);
  void *buf = xmalloc(n > 0 ? (size_t)n : 1);
  bool ok = n >= 0 && fread(buf, 1, (size_t)n, f) == (size_t)n;
  fclose(f);
  if (!ok) {
    free(buf);
    fprintf(stderr, "cratec build: error: cannot read '%s'\n", path);
    return false;
  }
  *bytes = buf;
  *size = (size_t)n;
  return true;
}

/* The bytes to embed: the file itself when it holds exactly the model's
 * tensors, else (a training checkpoint, `module.` keys) the weights alone,
 * re-written under their official keys. */
static bool embedded_bytes(const char *path, bool exact, float *const *w, const ParamInfo *info, int n,
                           const void **bytes, size_t *size) {
  if (exact) return read_file(path, bytes, size);
  char dir[] = "/tmp/cratec-weights-XXXXXX";
  if (!mkdtemp(dir)) {
    fprintf(stderr, "cratec build: error: cannot make a temporary directory: %s\n", strerror(errno));
    return false;
  }
  char *tmp = xasprintf("%s/weights.safetensors", dir);
  crt_tensor *t = xcalloc((size_t)n, sizeof *t);
  for (int i = 0; i < n; i++) {
    t[i] = (crt_tensor){info[i].key, CRT_F32, info[i].rank, {0}, w[i], (size_t)info[i].numel * sizeof(float)};
    memcpy(t[i].shape, info[i].shape, sizeof info[i].shape);
  }
  crt_error e;
  bool ok = crt_st_write(tmp, t, n, NULL, &e) == 0;
  if (!ok) fprintf(stderr, "cratec build: error: %s\n", e.msg);
  ok = ok && read_file(tmp, bytes, size);
  remove(tmp);
  rmdir(dir);
  free(tmp);
  free(t);
  return ok;
}

static const char *default_output(const char *model_name, int kind, char **owned) {
  static const char *const suffix[] = {[EMIT_EXE] = "", [EMIT_OBJ] = ".o", [EMIT_LIB] = ".a", [EMIT_SHARED] = ".so",
                                       [EMIT_LLVM] = ".ll", [EMIT_ASM] = ".s", [EMIT_C] = ".c"};
  *owned = xasprintf("%s%s%s", kind == EMIT_LIB || kind == EMIT_SHARED ? "lib" : "", model_name, suffix[kind]);
  return *owned;
}

/* MODEL.h beside OUTPUT, and the C source of its functions in a temporary
 * file that becomes part of the library. */
static bool write_library_files(const ProgramDesc *p, const char *prefix, const char *output, bool embedded,
                                char **api_source) {
  const char *slash = strrchr(output, '/');
  char *header = xasprintf("%.*s%s.h", slash ? (int)(slash - output + 1) : 0, output, prefix);
  crt_output file;
  FILE *h = open_output(header, &file);
  bool ok = h != NULL;
  if (ok) {
    lower_write_header(h, p, prefix);
    ok = close_output(header, &file) == 0;
  }
  *api_source = xasprintf("%s.api.c", output);
  FILE *c = ok ? open_output(*api_source, &file) : NULL;
  if (c) {
    lower_write_api_source(c, prefix, embedded);
    ok = close_output(*api_source, &file) == 0;
  }
  free(header);
  return ok && c;
}

static int emit_and_link(const ProgramDesc *p, const BuildOptions *o, const Lowered *l, const Target *t) {
  if (o->kind == TEXT_LOOPS) {
    crt_output file;
    FILE *out = open_output(o->out_path, &file);
    if (!out) return 1;
    lmodule_print(out, l->module);
    return close_output(o->out_path, &file);
  }
  char *owned = NULL, *api_source = NULL, piped[] = "/tmp/cratec-out-XXXXXX";
  const char *output = o->out_path ? o->out_path : default_output(p->name, o->kind, &owned);
  const char *extra[2] = {NULL, NULL};
  int status = 0;
  bool pipe = strcmp(output, "-") == 0;
  if (pipe) {   /* a text form (parse_options): the backend writes a temporary file, then copied */
    if (!mkdtemp(piped)) {
      fprintf(stderr, "cratec build: error: cannot make a temporary directory: %s\n", strerror(errno));
      return 1;
    }
    output = owned = xasprintf("%s/out", piped);
  }
  if (o->kind == EMIT_EXE) extra[0] = runtime_main_library();
  if (o->kind == EMIT_LIB) {
    status = write_library_files(p, l->module->name, output, o->embed_weights, &api_source) ? 0 : 1;
    extra[0] = api_source;
  }
  if (!status) {
    BackendOptions bo = {.emit = (EmitKind)o->kind, .output = output, .opt_level = (int)o->opt_level, .target = t,
                         .extra_inputs = extra};
    Diag d;
    diag_init(&d, stderr);
    status = backend_find(o->backend)->emit(l->module, &bo, &d) ? 0 : 1;
  }
  if (pipe) {
    const void *text;
    size_t size;
    if (!status) status = read_file(output, &text, &size) ? 0 : 1;
    if (!status) {
      fwrite(text, 1, size, stdout);
      free((void *)text);
      status = close_output("-", NULL);
    }
    remove(output);
    rmdir(piped);
  }
  if (api_source) remove(api_source);
  free(api_source);
  free(owned);
  return status;
}

/* BYTES of WHAT, when beyond any machine, as an error; true when it fits. */
static bool fits(const char *what, double bytes, const char *hint) {
  if (bytes <= DRIVER_MACHINE_BYTES) return true;
  char need[32], limit[32];
  fprintf(stderr, "cratec build: error: %s needs %s, beyond any machine (more than %s)%s\n", what,
          driver_format_bytes(need, sizeof need, bytes),
          driver_format_bytes(limit, sizeof limit, DRIVER_MACHINE_BYTES), hint);
  return false;
}

/* What the executable's commands would allocate (parameters, gradients and
 * derived weights, the optimizer's state, the work buffer) at the smallest
 * batch for inference and the train block's for training, checked before
 * the long code generation: a model no machine can run is refused now. */
static double work_bytes(const int64_t work[2], double batch) { return ((double)work[0] + (double)work[1] * batch) * 4; }

static bool fits_a_machine(const Model *m, const BuildOptions *o, const Lowered *l) {
  double params = (double)l->param_floats * 4, derived = (double)l->derived_floats * 4;
  double infer_batch = o->batch ? (double)o->batch : 1;
  double infer = 2 * params + derived + work_bytes(l->work[ENTRY_FORWARD], infer_batch);
  char what[96];
  snprintf(what, sizeof what, "%s: inference at batch %.0f", m->name, infer_batch);
  if (!fits(what, infer, "")) return false;
  if (o->no_train) return true;
  const TrainSpec *t = &m->train;
  int states = t->optimizer == CRT_OPT_ADAMW ? 2 : t->optimizer == CRT_OPT_LION || t->momentum != 0 ? 1 : 0;
  double batch = o->batch ? (double)o->batch : t->batch;
  double train = (2.0 + states) * params + derived + work_bytes(l->work[ENTRY_TRAIN], batch);
  snprintf(what, sizeof what, "%s: training at batch %.0f", m->name, batch);
  return fits(what, train, "; lower the train block's batch");
}

/* --weights, checked against the model; with --embed-weights, the bytes
 * the module embeds (LO borrows them until it is emitted). False after an
 * error. */
static bool check_weights(const Model *m, const BuildOptions *o, LowerOptions *lo) {
  if (!o->weights) return true;
  ParamInfo *info = NULL;
  int nparams = 0;
  bool exact = false;
  float **weights = load_weights(m, o->weights, &info, &nparams, &exact);
  if (!weights) return false;
  bool ok = !o->embed_weights || embedded_bytes(o->weights, exact, weights, info, nparams, &lo->weights, &lo->weights_size);
  free_weights(weights, info, nparams);
  return ok;
}

/* The pipeline after checking: the weights checked (and embedded), the
 * program described, each entry's graph built, optimized and its arena
 * planned and the lowering of them all (driver_compile), the module
 * checked against any machine's memory, then emitted and linked. */
static int compile(const Model *m, const BuildOptions *o) {
  Target t;
  set_target(&t, o);
  LowerOptions lo = {.prefix = o->kind == EMIT_LIB ? m->name : "crate_model", .batch = o->batch, .target = &t,
                     .profile = o->profile};
  if (!check_weights(m, o, &lo)) return 1;
  Diag d;
  diag_init(&d, stderr);
  const PipelineOptions po = pipeline_options(o);
  ProgramDesc *program = model_describe(m);
  Compiled *c = driver_compile(m, program, &po, &lo, !o->no_train, &d);
  int status = c && fits_a_machine(m, o, c->lowered) ? emit_and_link(program, o, c->lowered, &t) : 1;
  compiled_free(c);
  program_desc_free(program);
  free((void *)lo.weights);
  return status;
}

/* An output that is the model or its weights would destroy what it is
 * built from: 2 after saying so, else 0. */
static int check_output(const Model *m, const BuildOptions *o) {
  char *owned = NULL;
  bool text = o->kind == TEXT_IR || o->kind == TEXT_DOT || o->kind == TEXT_LOOPS;
  const char *output = o->out_path ? o->out_path : text ? NULL : default_output(m->name, o->kind, &owned);
  const crt_file_use uses[] = {{o->out_path ? "-o" : "the output", is_stdout(output) ? NULL : output, true},
                               {"the model", o->model_path, false},
                               {"--weights", o->weights, false}};
  crt_error e;
  int status = crt_check_file_uses(uses, 3, &e) ? 2 : 0;
  if (status) fprintf(stderr, "cratec build: error: %s\n", e.msg);
  free(owned);
  return status;
}

int cmd_build(int argc, char **argv) {
  BuildOptions o;
  int status = parse_options(argc, argv, &o);
  if (status) return status < 0 ? 0 : status;
  Model *m = load_model(o.model_path);
  if (!m) return 1;
  status = check_output(m, &o);
  if (!status) status = o.kind == TEXT_IR || o.kind == TEXT_DOT ? emit_graph(m, &o) : compile(m, &o);
  model_free(m);
  return status;
}
