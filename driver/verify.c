/* cratec verify: generated kernels against the reference executor, operator
 * by operator, forward and backward (docs/verify.md).
 *
 * For each graph (inference; training with its backward part) the checked
 * model goes through the same pipeline as `cratec build`; the reference
 * executor runs the optimized graph, keeping every value; each op's
 * generated kernel then runs twice on a flat arena (lower_flat):
 *   isolated  on the reference executor's operands, so its error is its own;
 *   chained   on the generated results of the ops before it, so the graph's
 *             outputs are what compiled code computes end to end.
 * The isolated errors make the table (the first op outside its tolerance
 * is the culprit); the chained outputs are compared with the reference
 * executor on the graph before any pass, which also catches a pass that
 * rewrote the graph wrongly. */
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "driver.h"
#include "eval.h"
#include "frontend.h"
#include "kernel.h"
#include "lower.h"
#include "passes.h"

typedef struct VerifyOptions {
  const char *model_path, *weights, *input, *backend, *graphs, *target_cpu, *passes;
  const char *inject_fault;   /* an op kind: its first kernel gets a deliberate bug */
  long opt_level, batch, seed, threads;
  bool no_fuse, help;
} VerifyOptions;

/* Parameters and inputs, as plain arrays in state_dict order. */
typedef struct Data {
  ParamInfo *info;
  int nparams;
  float **params;
  int64_t batch;
  float *images;
  int64_t *labels;
} Data;

typedef struct Tally {
  int checked, failed;
  int unchecked_graphs;   /* graphs that could not be compiled or run */
} Tally;

/* ---- tolerances ------------------------------------------------------------------
 * Errors are measured relative to the scale of the reference tensor (its
 * largest magnitude), so near-zero elements do not dominate. Float32
 * rounding grows with the length K of the sums behind an element; K is taken
 * as the longest non-batch dimension among the op's operands (the reduction
 * length of every GEMM-like op here), and the tolerance is 1e-5·√(K/64),
 * at least 1e-5. */
static double op_tolerance(const IrOp *op) {
  int64_t k = 1;
  for (int i = 0; i < op->operands.len; i++) {
    const IrType *t = &op->operands.items[i]->type;
    for (int j = 0; j < t->rank; j++)
      if (t->dims[j] != IR_BATCH && t->dims[j] > k) k = t->dims[j];
  }
  return fmax(1e-5, 1e-5 * sqrt((double)k / 64.0));
}

typedef struct Error {
  double max_abs, max_rel;
  int64_t worst;
} Error;

static Error compare(const float *got, const float *want, int64_t n) {
  Error e = {0, 0, 0};
  double scale = 0;
  for (int64_t i = 0; i < n; i++) scale = fmax(scale, fabs((double)want[i]));
  for (int64_t i = 0; i < n; i++) {
    double diff = fabs((double)got[i] - (double)want[i]);
    if (!(diff <= e.max_abs)) {   /* NaN counts as the worst */
      e.max_abs = isnan(diff) ? INFINITY : diff;
      e.worst = i;
    }
  }
  e.max_rel = scale > 0 ? e.max_abs / scale : (e.max_abs > 0 ? INFINITY : 0);
  return e;
}

static void format_index(char *buf, size_t size, const IrType *t, int64_t batch, int64_t flat) {
  int64_t idx[IR_MAX_RANK];
  for (int i = t->rank - 1; i >= 0; i--) {
    int64_t dim = t->dims[i] == IR_BATCH ? batch : t->dims[i];
    idx[i] = flat % dim;
    flat /= dim;
  }
  size_t at = (size_t)snprintf(buf, size, "[");
  for (int i = 0; i < t->rank && at < size; i++)
    at += (size_t)snprintf(buf + at, size - at, "%s%lld", i ? "," : "", (long long)idx[i]);
  if (at < size) snprintf(buf + at, size - at, "]");
}

/* ---- inputs ------------------------------------------------------------------------ */

static bool load_params(const Model *m, const char *path, uint64_t seed, Data *data) {
  data->nparams = model_params(m, &data->info);
  data->params = xcalloc((size_t)data->nparams, sizeof *data->params);
  crt_param_spec *specs = xcalloc((size_t)data->nparams, sizeof *specs);
  for (int i = 0; i < data->nparams; i++) {
    specs[i] = (crt_param_spec){data->info[i].key, data->info[i].rank, {0}};
    memcpy(specs[i].shape, data->info[i].shape, sizeof data->info[i].shape);
    data->params[i] = xmalloc((size_t)data->info[i].numel * sizeof(float));
  }
  bool ok = true;
  if (path) {
    crt_error e;
    crt_st_file *f = crt_st_open(path, &e);
    ok = f && crt_checkpoint_load_weights(f, specs, data->nparams, data->params, &e) == 0;
    if (!ok) fprintf(stderr, "cratec verify: error: %s\n", e.msg);
    crt_st_close(f);
  } else {
    /* Random weights of a trained network's scale: matrices with standard
     * deviation 1/√fan_in (as PyTorch initialises linear layers: each layer
     * keeps its input's scale), layernorm gains near 1, the rest small. A
     * larger scale makes a deep model amplify every rounding difference. */
    crt_rng r;
    crt_rng_seed(&r, seed);
    for (int i = 0; i < data->nparams; i++) {
      const ParamInfo *p = &data->info[i];
      bool gain = strstr(p->key, "norm") && strstr(p->key, ".weight");
      float scale = p->rank == 2 ? 1.0f / sqrtf((float)p->shape[1]) : 0.02f;
      for (int64_t j = 0; j < p->numel; j++)
        data->params[i][j] = gain ? 1.0f + 0.1f * crt_rng_normal(&r) : scale * crt_rng_normal(&r);
    }
  }
  free(specs);
  return ok;
}

static const crt_tensor *find_tensor(const crt_st_file *f, const char *name, crt_dtype dtype, int rank,
                                     const int64_t *shape, bool any_batch) {
  const crt_tensor *t = crt_st_find(f, name);
  bool ok = t && t->dtype == dtype && t->rank == rank;
  for (int i = any_batch ? 1 : 0; ok && i < rank; i++) ok = t->shape[i] == shape[i];
  if (ok && t->shape[0] >= 1) return t;
  fprintf(stderr, "cratec verify: error: %s: tensor '%s': expected %s of shape (%s", crt_st_path(f), name,
          crt_dtype_name(dtype), any_batch ? "B" : "");
  for (int i = any_batch ? 1 : 0; i < rank; i++) fprintf(stderr, "%s%lld", i ? ", " : "", (long long)shape[i]);
  fprintf(stderr, ")%s\n", t ? "" : ", and the file has none");
  return NULL;
}

static bool load_inputs(const Model *m, const VerifyOptions *o, Data *data) {
  int64_t image_shape[4] = {0, m->channels, m->height, m->width};
  if (o->input) {
    crt_error e;
    crt_st_file *f = crt_st_open(o->input, &e);
    if (!f) {
      fprintf(stderr, "cratec verify: error: %s\n", e.msg);
      return false;
    }
    const crt_tensor *images = find_tensor(f, "images", CRT_F32, 4, image_shape, true);
    const crt_tensor *labels = images && crt_st_find(f, "labels")
                                   ? find_tensor(f, "labels", CRT_I64, 1, images->shape, false)
                                   : NULL;
    bool ok = images && (labels || !crt_st_find(f, "labels"));
    if (ok) {
      data->batch = images->shape[0];
      data->images = xmalloc(images->nbytes);
      memcpy(data->images, images->data, images->nbytes);
      data->labels = xcalloc((size_t)data->batch, sizeof *data->labels);
      if (labels) memcpy(data->labels, labels->data, labels->nbytes);
      for (int64_t i = 0; ok && i < data->batch; i++)
        if (data->labels[i] < 0 || data->labels[i] >= m->classes) {
          fprintf(stderr, "cratec verify: error: %s: tensor 'labels': label %lld of image %lld is not in [0, %d)\n",
                  o->input, (long long)data->labels[i], (long long)i, m->classes);
          ok = false;
        }
    }
    crt_st_close(f);
    return ok;
  }
  data->batch = o->batch;
  int64_t n = data->batch * m->channels * m->height * m->width;
  data->images = xmalloc((size_t)n * sizeof *data->images);
  data->labels = xmalloc((size_t)data->batch * sizeof *data->labels);
  crt_rng r;
  crt_rng_seed(&r, (uint64_t)o->seed + 1);
  for (int64_t i = 0; i < n; i++) data->images[i] = crt_rng_normal(&r);
  for (int64_t i = 0; i < data->batch; i++) data->labels[i] = (int64_t)crt_rng_below(&r, (uint64_t)m->classes);
  return true;
}

static void free_data(Data *data) {
  for (int i = 0; i < data->nparams; i++) free(data->params[i]);
  free(data->params);
  param_infos_free(data->info, data->nparams);
  free(data->images);
  free(data->labels);
}

/* ---- running both sides ------------------------------------------------------------ */

static IrEval *reference_run(const Graph *g, const Data *data, Diag *d) {
  IrEval *ev = ir_eval_new(g, data->batch, d);
  bool ok = ev != NULL;
  for (int i = 0; ok && i < data->nparams; i++) ok = ir_eval_bind_param_key(ev, data->info[i].key, data->params[i], d);
  for (int i = 0; ok && i < g->inputs.len; i++) {
    const IrValue *in = g->inputs.items[i];
    ok = in->type.dtype == IR_I64 ? ir_eval_bind_i64(ev, in->name, data->labels, d)
                                  : ir_eval_bind_f32(ev, in->name, data->images, d);
  }
  if (ok && ir_eval_run(ev, d)) return ev;
  ir_eval_free(ev);
  return NULL;
}

/* The generated kernels of G, one function per op, compiled to a shared
 * object and loaded. */
typedef void (*OpFn)(float *arena, int64_t *labels, int64_t batch);

typedef struct LoadedOps {
  FlatLowering flat;
  void *handle;
  char dir[64], path[96];
} LoadedOps;

/* --inject-fault KIND: the generated code of the first op of that kind
 * ends with result[0] = 2·result[0] + 1, a bug `verify` must catch (its
 * own test: a checker that finds nothing proves nothing). */
static void inject_fault(const Graph *g, const char *kind, FlatLowering *flat) {
  for (int i = 0; i < g->ops.len; i++) {
    const IrOp *op = g->ops.items[i];
    if (strcmp(ir_op_name(op->kind), kind) != 0) continue;
    LFunc *f = flat->module->funcs.items[i];
    LVar *arena = f->params.items[0];
    LExpr *at = li64(flat->offset[op->results.items[0]->id]);
    LExpr *old = lload(lvar(arena), li64(flat->offset[op->results.items[0]->id]));
    lappend(f->body, lstore(lvar(arena), at, lbin(LB_ADD, lbin(LB_MUL, lf32(2), old), lf32(1))));
    return;
  }
}

static bool compile_ops(const Graph *g, int64_t batch, const VerifyOptions *o, const Target *t, LoadedOps *c,
                        Diag *d) {
  if (!lower_flat(g, batch, t, true, &c->flat, d)) return false;
  if (o->inject_fault) inject_fault(g, o->inject_fault, &c->flat);
  snprintf(c->dir, sizeof c->dir, "/tmp/cratec-verify-XXXXXX");
  if (!mkdtemp(c->dir)) {
    fprintf(stderr, "cratec verify: error: cannot make a temporary directory: %s\n", strerror(errno));
    return false;
  }
  snprintf(c->path, sizeof c->path, "%s/ops.so", c->dir);
  BackendOptions bo = {.emit = EMIT_SHARED, .output = c->path, .opt_level = (int)o->opt_level, .target = t,
                       .runtime_from_loader = true};
  if (!backend_find(o->backend)->emit(c->flat.module, &bo, d)) return false;
  c->handle = dlopen(c->path, RTLD_NOW | RTLD_LOCAL);
  if (!c->handle) fprintf(stderr, "cratec verify: error: %s\n", dlerror());
  return c->handle != NULL;
}

static void loaded_ops_free(LoadedOps *c) {
  if (c->handle) dlclose(c->handle);
  if (c->path[0]) unlink(c->path);
  if (c->dir[0]) rmdir(c->dir);
  flat_lowering_free(&c->flat);
}

static float *arena_new(int64_t floats) {
  float *a = crt_alloc((size_t)(floats + 16) * sizeof(float));
  /* NaN everywhere: a kernel reading what nobody wrote shows. */
  for (int64_t i = 0; i < floats; i++) a[i] = NAN;
  return a;
}

static void copy_in(float *arena, const LoadedOps *c, const IrValue *v, const float *src, int64_t batch) {
  memcpy(arena + c->flat.offset[v->id], src, (size_t)ir_type_numel(&v->type, batch) * sizeof(float));
}

static void place_leaves(float *arena, const LoadedOps *c, const Graph *g, const Data *data) {
  for (int i = 0; i < g->params.len; i++) {
    const IrValue *p = g->params.items[i];
    for (int k = 0; k < data->nparams; k++)
      if (strcmp(data->info[k].key, p->key) == 0) copy_in(arena, c, p, data->params[k], data->batch);
  }
  for (int i = 0; i < g->inputs.len; i++)
    if (g->inputs.items[i]->type.dtype == IR_F32) copy_in(arena, c, g->inputs.items[i], data->images, data->batch);
}

static void print_shape(char *buf, size_t size, const IrType *t) {
  StrBuf sb = {0};
  ir_type_format(&sb, t);
  snprintf(buf, size, "%s", sb.data);
  sb_free(&sb);
}

/* Isolated and chained runs of every op; prints the per-op table. */
static bool check_ops(const Graph *g, const IrEval *ev, const LoadedOps *c, const Data *data, float *chained,
                      Tally *tally) {
  float *isolated = arena_new(c->flat.floats);
  place_leaves(isolated, c, g, data);
  place_leaves(chained, c, g, data);
  bool marked = false;
  printf("  %-4s %-20s %-26s %-24s %10s %10s %9s  %s\n", "op", "kind", "result", "shape", "max abs", "max rel",
         "tolerance", "worst at");
  for (int i = 0; i < g->ops.len; i++) {
    const IrOp *op = g->ops.items[i];
    char sym[32];
    snprintf(sym, sizeof sym, "op%d", i);
    OpFn fn = (OpFn)dlsym(c->handle, sym);
    for (int j = 0; j < op->operands.len; j++) {
      const IrValue *v = op->operands.items[j];
      if (v->kind == IR_VALUE_RESULT && v->type.dtype == IR_F32) copy_in(isolated, c, v, ir_eval_value(ev, v), data->batch);
    }
    fn(isolated, data->labels, data->batch);
    fn(chained, data->labels, data->batch);
    double tol = op_tolerance(op);
    for (int j = 0; j < op->results.len; j++) {
      const IrValue *r = op->results.items[j];
      if (r->type.dtype != IR_F32) continue;
      Error e = compare(isolated + c->flat.offset[r->id], ir_eval_value(ev, r), ir_eval_numel(ev, r));
      bool bad = !(e.max_rel <= tol);
      char shape[64], where[64];
      print_shape(shape, sizeof shape, &r->type);
      format_index(where, sizeof where, &r->type, data->batch, e.worst);
      printf("%s %-4d %-20s %%%-25s %-24s %10.3g %10.3g %9.2g  %s%s\n", bad && !marked ? ">>" : "  ", i,
             ir_op_name(op->kind), r->name, shape, e.max_abs, e.max_rel, tol, where,
             bad ? (marked ? "  MISMATCH" : "  MISMATCH (first)") : "");
      marked |= bad;
      tally->checked++;
      tally->failed += bad;
    }
  }
  crt_free(isolated);
  return !marked;
}

/* The chained outputs against the reference executor on the graph before
 * any pass: logits (and the loss) within 1e-4 of scale, gradients within
 * 1e-3 relative (‖g − g*‖ / ‖g*‖). */
static bool check_outputs(const Graph *g, const LoadedOps *c, const float *chained, const IrEval *before,
                          const Data *data, Tally *tally) {
  bool ok = true;
  printf("\n  %-28s %-24s %12s  %s\n", "output (end to end)", "shape", "error", "tolerance");
  for (int i = 0; i < g->outputs.len; i++) {
    const IrOutput *out = &g->outputs.items[i];
    const float *want = ir_eval_output(before, out->name);
    const float *got = chained + c->flat.offset[out->value->id];
    int64_t n = ir_type_numel(&out->value->type, data->batch);
    bool is_grad = strcmp(out->name, "logits") != 0 && strcmp(out->name, "loss") != 0;
    double err, tol = is_grad ? 1e-3 : 1e-4;
    if (is_grad) {
      double num = 0, den = 0;
      for (int64_t k = 0; k < n; k++) {
        num += ((double)got[k] - want[k]) * ((double)got[k] - want[k]);
        den += (double)want[k] * want[k];
      }
      err = den > 0 ? sqrt(num / den) : sqrt(num);
    } else {
      err = compare(got, want, n).max_rel;
    }
    bool bad = !(err <= tol);
    char shape[64];
    print_shape(shape, sizeof shape, &out->value->type);
    printf("  %-28s %-24s %12.3g  %.0e %s%s\n", out->name, shape, err, tol, is_grad ? "(rel. norm)" : "(of scale)",
           bad ? "  MISMATCH" : "");
    ok &= !bad;
    tally->checked++;
    tally->failed += bad;
  }
  return ok;
}

static Graph *build_graph(const Model *m, bool train, Diag *d) {
  return train ? model_training_graph(m, m->train.label_smoothing, d) : model_inference_graph(m, d);
}

static bool verify_graph(const Model *m, bool train, const VerifyOptions *o, const Target *t, const Data *data,
                         Tally *tally) {
  Diag d;
  diag_init(&d, stderr);
  const char *label = train ? "train" : "forward";
  Graph *before = build_graph(m, train, &d), *after = build_graph(m, train, &d);
  if (!before || !after) return false;
  ir_set_batch(before, data->batch);
  ir_set_batch(after, data->batch);
  PipelineOptions po = {.opt_level = (int)o->opt_level, .passes = o->no_fuse ? "autodiff" : o->passes};
  bool ok = (!train || pass_autodiff(before, t, &d)) && pipeline_run(after, label, t, &po, &d);
  IrEval *ref_before = ok ? reference_run(before, data, &d) : NULL;
  IrEval *ref_after = ref_before ? reference_run(after, data, &d) : NULL;
  LoadedOps c = {0};
  ok = ref_after && compile_ops(after, data->batch, o, t, &c, &d);
  if (!ok) {
    fprintf(stderr, "cratec verify: error: the %s graph could not be checked\n", label);
    tally->unchecked_graphs++;
  } else {
    printf("\n%s graph (%d ops, batch %lld, -O%ld%s, %s backend):\n", label, after->ops.len, (long long)data->batch,
           o->opt_level, o->no_fuse ? ", --no-fuse" : "", o->backend);
    float *chained = arena_new(c.flat.floats);
    ok = check_ops(after, ref_after, &c, data, chained, tally);
    ok &= check_outputs(after, &c, chained, ref_before, data, tally);
    crt_free(chained);
  }
  loaded_ops_free(&c);
  ir_eval_free(ref_before);
  ir_eval_free(ref_after);
  ir_graph_free(before);
  ir_graph_free(after);
  return ok;
}

/* ---- the command ------------------------------------------------------------------- */

static void usage(FILE *out, const crt_option *opts) {
  fputs("usage: cratec verify MODEL.crate [--weights W.safetensors] [--input I.safetensors] [OPTIONS]\n\n"
        "Runs every generated kernel and the reference executor side by side, forward\n"
        "and backward, and prints one line per operator result: shape, max absolute\n"
        "and relative error (of the reference's scale), tolerance, worst element.\n"
        "Without --weights the weights are random; without --input the images and\n"
        "labels are (batch --batch). Exit status 1 on any mismatch.\n\n"
        "options:\n",
        out);
  crt_print_options(out, opts);
}

int cmd_verify(int argc, char **argv) {
  VerifyOptions o = {.backend = "llvm", .graphs = "both", .target_cpu = "native", .opt_level = 2, .batch = 2};
  const char *opt_word = NULL;
  const crt_option opts[] = {
      {"--weights", CRT_ARG_STRING, &o.weights, "FILE", "weights or checkpoint (default: random, seeded)"},
      {"--input", CRT_ARG_STRING, &o.input, "FILE", "images F32 (B,C,H,W) and labels I64 (B) (default: random)"},
      {"--backend", CRT_ARG_STRING, &o.backend, "NAME", "llvm (default) or c"},
      {"-O", CRT_ARG_STRING, &opt_word, NULL, "optimization level 0..3 (default 2)"},
      {"--no-fuse", CRT_ARG_FLAG, &o.no_fuse, NULL, "run the pipeline without its optional passes"},
      {"--passes", CRT_ARG_STRING, &o.passes, "A,B", "run these passes instead of the -O level's list"},
      {"--inject-fault", CRT_ARG_STRING, &o.inject_fault, "OP",
       "plant a bug in the first OP kernel (checks that verify catches it)"},
      {"--graph", CRT_ARG_STRING, &o.graphs, "WHICH", "infer, train or both (default)"},
      {"--batch", CRT_ARG_INT, &o.batch, "N", "images in the random input (default 2)"},
      {"--seed", CRT_ARG_INT, &o.seed, "S", "seed of the random weights and input (default 0)"},
      {"--threads", CRT_ARG_INT, &o.threads, "T", "threads (default: all cores)"},
      {"--target-cpu", CRT_ARG_STRING, &o.target_cpu, "CPU", "LLVM CPU name (default native)"},
      {"--help", CRT_ARG_FLAG, &o.help, NULL, "show this help"},
      {NULL, 0, NULL, NULL, NULL},
  };
  int npos = 0;
  if (!driver_parse_args("verify", argc, argv, opts, &o.model_path, 1, &npos)) return 2;
  if (o.help) {
    usage(stdout, opts);
    return 0;
  }
  bool bad_usage = npos != 1 || (o.no_fuse && o.passes) || o.batch < 1 || o.threads < 0 || !backend_find(o.backend) ||
                   (strcmp(o.graphs, "infer") && strcmp(o.graphs, "train") && strcmp(o.graphs, "both"));
  if (opt_word) {
    char *end;
    o.opt_level = strtol(opt_word, &end, 10);
    bad_usage |= *end || o.opt_level < 0 || o.opt_level > 3;
  }
  if (bad_usage) {
    usage(stderr, opts);
    return 2;
  }
  Diag pd;
  diag_init(&pd, stderr);
  PipelineOptions checked = {.opt_level = (int)o.opt_level, .passes = o.passes};
  if (!pipeline_check_options(&checked, &pd)) return 2;
  char *err = NULL;
  SourceFile *src = source_read(o.model_path, &err);
  if (!src) {
    fprintf(stderr, "cratec verify: error: %s\n", err);
    free(err);
    return 1;
  }
  Diag d;
  diag_init(&d, stderr);
  Model *m = frontend_parse(src, &d);
  Data data = {0};
  int status = 1;
  if (m && load_params(m, o.weights, (uint64_t)o.seed, &data) && load_inputs(m, &o, &data)) {
    crt_set_threads((int)o.threads);
    Target t;
    if (strcmp(o.target_cpu, "native") == 0)
      target_detect_host(&t);
    else
      target_for_cpu(&t, o.target_cpu, NULL, 0);
    Tally tally = {0, 0, 0};
    bool ok = true;
    if (strcmp(o.graphs, "train") != 0) ok &= verify_graph(m, false, &o, &t, &data, &tally);
    if (strcmp(o.graphs, "infer") != 0) ok &= verify_graph(m, true, &o, &t, &data, &tally);
    printf("\n%s: %d of %d tensors within tolerance%s\n", ok ? "ok" : tally.failed ? "MISMATCH" : "error",
           tally.checked - tally.failed, tally.checked,
           tally.unchecked_graphs ? "; a graph could not be checked" : "");
    status = ok ? 0 : 1;
  }
  free_data(&data);
  model_free(m);
  source_free(src);
  return status;
}
