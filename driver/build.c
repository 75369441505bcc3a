/* cratec build: one linear pipeline, parse → check → build IR → verify →
 * [passes] → emit. Each step is a function below; the pipeline reads as the
 * list of what the compiler does. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "frontend.h"
#include "ir.h"

typedef enum { EMIT_EXE, EMIT_OBJ, EMIT_LIB, EMIT_LLVM, EMIT_ASM, EMIT_C, EMIT_IR, EMIT_DOT } EmitKind;

static const char *const emit_names[] = {"exe", "obj", "lib", "llvm", "asm", "c", "ir", "dot", NULL};
static const char *const backend_names[] = {"llvm", "c", NULL};
static const char *const graph_names[] = {"infer", "train", NULL};

typedef struct BuildOptions {
  const char *model_path;
  const char *out_path;       /* NULL: stdout for text forms */
  const char *emit;
  long opt_level;
  const char *backend;
  const char *target_cpu;
  const char *weights;
  bool embed_weights;
  const char *dump_after;
  long batch;                 /* 0: any batch (symbolic B) */
  const char *graph;          /* which graph the text forms show */
  bool help;
} BuildOptions;

/* The index of WORD in NAMES, or -1 after an error with a hint. */
static int choose(const char *option, const char *word, const char *const *names) {
  for (int i = 0; names[i]; i++)
    if (strcmp(word, names[i]) == 0) return i;
  const char *hint = crt_closest_word(word, names);
  fprintf(stderr, "cratec build: error: unknown %s '%s'", option, word);
  if (hint) fprintf(stderr, "; did you mean '%s'?", hint);
  fputs(" (one of:", stderr);
  for (int i = 0; names[i]; i++) fprintf(stderr, " %s", names[i]);
  fputs(")\n", stderr);
  return -1;
}

static void usage(FILE *out, const crt_option *opts) {
  fputs("usage: cratec build MODEL.crate [-o OUT] [OPTIONS]\n\n"
        "Compiles a model. --emit ir and --emit dot print the dataflow IR (docs/ir.md)\n"
        "to OUT or stdout; options about code generation do not change them.\n\n"
        "options:\n",
        out);
  crt_print_options(out, opts);
}

/* Returns 0 to go on, otherwise the exit status (help printed: 0 via -1). */
static int parse_options(int argc, char **argv, BuildOptions *o) {
  *o = (BuildOptions){.emit = "exe", .opt_level = 2, .backend = "llvm", .target_cpu = "native",
                      .graph = "infer"};
  const crt_option opts[] = {
      {"-o", CRT_ARG_STRING, &o->out_path, "OUT", "output file (text forms: default stdout)"},
      {"--emit", CRT_ARG_STRING, &o->emit, "KIND", "exe (default), obj, lib, llvm, asm, c, ir, dot"},
      {"-O", CRT_ARG_INT, &o->opt_level, "N", "optimization level 0 to 3 (default 2)"},
      {"--backend", CRT_ARG_STRING, &o->backend, "NAME", "llvm (default) or c"},
      {"--target-cpu", CRT_ARG_STRING, &o->target_cpu, "NAME", "LLVM CPU name (default native)"},
      {"--weights", CRT_ARG_STRING, &o->weights, "FILE", "safetensors weights to bake in"},
      {"--embed-weights", CRT_ARG_FLAG, &o->embed_weights, NULL, "embed --weights in the output"},
      {"--dump-after", CRT_ARG_STRING, &o->dump_after, "PASS", "print the IR after PASS (or all)"},
      {"--batch", CRT_ARG_INT, &o->batch, "N", "fix the batch size (default: any batch, B)"},
      {"--graph", CRT_ARG_STRING, &o->graph, "WHICH", "for ir/dot: infer (default) or train"},
      {"--help", CRT_ARG_FLAG, &o->help, NULL, "show this help"},
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
  if (choose("--emit kind", o->emit, emit_names) < 0 || choose("--backend", o->backend, backend_names) < 0 ||
      choose("--graph", o->graph, graph_names) < 0)
    return 2;
  if (o->opt_level < 0 || o->opt_level > 3) {
    fprintf(stderr, "cratec build: error: -O%ld: the levels are -O0 to -O3\n", o->opt_level);
    return 2;
  }
  if (o->batch < 0 || o->batch > INT32_MAX) {
    fprintf(stderr, "cratec build: error: --batch %ld: expected a positive size\n", o->batch);
    return 2;
  }
  if (o->embed_weights && !o->weights) {
    fputs("cratec build: error: --embed-weights needs --weights FILE\n", stderr);
    return 2;
  }
  return 0;
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

static Graph *build_graph(const Model *m, const BuildOptions *o) {
  Diag d;
  diag_init(&d, stderr);
  Graph *g = strcmp(o->graph, "train") == 0 ? ir_build_training(m, m->train.label_smoothing, &d)
                                            : ir_build_inference(m, &d);
  if (g && o->batch) ir_set_batch(g, o->batch);
  if (g && !ir_verify(g, &d)) {
    ir_graph_free(g);
    return NULL;
  }
  return g;
}

/* The pass pipeline (passes/) plugs in here; --dump-after names its passes. */
static bool run_passes(const BuildOptions *o) {
  if (!o->dump_after) return true;
  fprintf(stderr, "cratec build: error: --dump-after %s needs the pass pipeline, which this build "
                  "does not have yet\n", o->dump_after);
  return false;
}

static int write_text(const BuildOptions *o, const Graph *g, void (*print)(FILE *, const Graph *)) {
  FILE *out = o->out_path ? fopen(o->out_path, "w") : stdout;
  if (!out) {
    fprintf(stderr, "cratec build: error: cannot write '%s': %s\n", o->out_path, strerror(errno));
    return 1;
  }
  print(out, g);
  bool ok = !ferror(out);
  if (o->out_path) ok &= fclose(out) == 0;
  if (!ok) {
    fprintf(stderr, "cratec build: error: writing '%s' failed\n", o->out_path ? o->out_path : "<stdout>");
    return 1;
  }
  return 0;
}

static int emit(const BuildOptions *o, const Graph *g) {
  EmitKind kind = (EmitKind)choose("--emit kind", o->emit, emit_names);
  if (kind == EMIT_IR) return write_text(o, g, ir_print);
  if (kind == EMIT_DOT) return write_text(o, g, ir_print_dot);
  bool c_backend = kind == EMIT_C || (strcmp(o->backend, "c") == 0 && kind != EMIT_LLVM && kind != EMIT_ASM);
  fprintf(stderr, "cratec build: error: --emit %s needs the %s backend, which this build does not have yet\n",
          o->emit, c_backend ? "C" : "LLVM");
  return 2;
}

int cmd_build(int argc, char **argv) {
  BuildOptions o;
  int status = parse_options(argc, argv, &o);
  if (status) return status < 0 ? 0 : status;
  Model *m = load_model(o.model_path);
  if (!m) return 1;
  Graph *g = build_graph(m, &o);
  model_free(m);
  if (!g) return 1;
  status = run_passes(&o) ? emit(&o, g) : 2;
  ir_graph_free(g);
  return status;
}
