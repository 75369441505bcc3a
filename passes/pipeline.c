/* The pass pipeline: which passes run, in which order, and what happens
 * between them (verification, dumps). The table below is the compiler's
 * middle end in one place; adding a pass is one line in it. */
#include "passes.h"

#include <stdlib.h>
#include <string.h>

#include "cratert_hint.h"

/* The graphs a pass applies to. */
enum { ON_INFER = 1, ON_TRAIN = 2, ON_ALL = ON_INFER | ON_TRAIN };

/* A pass runs by default at -O levels MIN_OPT to MAX_OPT; REQUIRED ones
 * also run when --passes names a custom list (a training entry cannot exist
 * without its gradients). */
typedef struct Pass {
  const char *name;
  PassFn run;
  int min_opt, max_opt;
  unsigned graphs;
  bool required;
  const char *summary;
} Pass;

/* Program order. At -O0, expand_composites expands mssa and ista into
 * primitives first, so the forward and backward ops all have plain kernels
 * (the baseline fused kernels are measured against); from -O1 they stay
 * whole for autodiff's fused backward ops and for the fusions. */
static const Pass pass_table[] = {
    {"expand_composites", pass_expand_composites, 0, 0, ON_ALL, false, "expand mssa and ista into primitives"},
    {"autodiff", pass_autodiff, 0, 3, ON_TRAIN, true, "append the backward ops and one gradient output per parameter"},
    {"fuse_mssa", pass_fuse_mssa, 1, 3, ON_INFER, false, "residual add into the mssa output projection's epilogue"},
    {"fold_ista", pass_fold_ista, 1, 3, ON_INFER, false, "ista as one GEMM, y + y E with E = eta(D - D^T D) from parameters"},
    {"pack_weights", pass_pack_weights, 1, 3, ON_INFER, false, "parameter weights transposed once, in P_prepare, for the GEMM kernels"},
    {"fuse_layernorm", pass_fuse_layernorm, 1, 3, ON_INFER, false, "layernorm into the row tiles of the GEMM kernel that reads it"},
    {"tile", pass_tile, 1, 3, ON_ALL, false, "GEMM row tiles and attention query tiles from the target's cache sizes"},
};
#define NPASSES ((int)(sizeof pass_table / sizeof *pass_table))

bool pass_expand_composites(Graph *g, const Target *t, Diag *d) { return ir_expand_composites(g, d); }

static int pass_index(const char *name) {
  for (int i = 0; i < NPASSES; i++)
    if (strcmp(pass_table[i].name, name) == 0) return i;
  return -1;
}

const char *const *pipeline_pass_names(void) {
  static const char *names[NPASSES + 1];
  for (int i = 0; i < NPASSES; i++) names[i] = pass_table[i].name;
  return names;
}

static void unknown_pass(const char *what, const char *name, Diag *d) {
  char hint[CRT_HINT_SIZE];
  diag(d, DIAG_ERROR, "%s: unknown pass '%s'%s", what, name,
       *crt_did_you_mean(&hint, name, pipeline_pass_names()) ? hint : " (see 'cratec build --help')");
}

/* Which passes run, in table order: the -O list, or the custom list plus
 * the required passes. Reports every unknown name. */
static bool select_passes(const PipelineOptions *o, bool chosen[NPASSES], Diag *d) {
  for (int i = 0; i < NPASSES; i++)
    chosen[i] = o->passes ? pass_table[i].required
                          : pass_table[i].min_opt <= o->opt_level && o->opt_level <= pass_table[i].max_opt;
  if (!o->passes) return true;
  bool ok = true;
  char *list = xstrdup(o->passes);
  for (char *save = NULL, *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
    int i = pass_index(name);
    if (i < 0) {
      unknown_pass("--passes", name, d);
      ok = false;
    } else {
      chosen[i] = true;
    }
  }
  free(list);
  return ok;
}

bool pipeline_check_options(const PipelineOptions *o, Diag *d) {
  bool chosen[NPASSES];
  bool ok = select_passes(o, chosen, d);
  if (o->dump_after && strcmp(o->dump_after, "all") != 0 && pass_index(o->dump_after) < 0) {
    unknown_pass("--dump-after", o->dump_after, d);
    ok = false;
  }
  return ok;
}

void pipeline_list(FILE *out) {
  for (int i = 0; i < NPASSES; i++) {
    const Pass *p = &pass_table[i];
    char when[32];
    if (p->required)
      snprintf(when, sizeof when, "always");
    else if (p->min_opt == p->max_opt)
      snprintf(when, sizeof when, "-O%d", p->min_opt);
    else
      snprintf(when, sizeof when, "-O%d..%d", p->min_opt, p->max_opt);
    fprintf(out, "  %-18s %-7s %-15s %s\n", p->name, when,
            p->graphs == ON_ALL ? "all graphs" : p->graphs == ON_TRAIN ? "training graph" : "inference graphs",
            p->summary);
  }
}

static bool is_training(const Graph *g) {
  for (int i = 0; i < g->outputs.len; i++)
    if (strcmp(g->outputs.items[i].name, "loss") == 0) return true;
  return false;
}

static bool wants_dump(const PipelineOptions *o, const char *pass) {
  return o->dump_after && (strcmp(o->dump_after, "all") == 0 || strcmp(o->dump_after, pass) == 0);
}

/* The IR after PASS, or "(unchanged)" when its text is the same as before. */
static void dump(const PipelineOptions *o, const char *label, const char *pass, const char *before,
                 const char *after) {
  FILE *out = o->dump ? o->dump : stderr;
  fprintf(out, "# ---- IR after %s (%s)%s\n", pass, label, strcmp(before, after) == 0 ? " (unchanged)" : "");
  if (strcmp(before, after) != 0) fputs(after, out);
}

#ifdef NDEBUG
#define VERIFY_ALWAYS false
#else
#define VERIFY_ALWAYS true
#endif

bool pipeline_run(Graph *g, const char *label, const Target *t, const PipelineOptions *o, Diag *d) {
  bool chosen[NPASSES];
  if (!select_passes(o, chosen, d)) return false;
  unsigned kind = is_training(g) ? ON_TRAIN : ON_INFER;
  char *text = o->dump_after ? ir_print_string(g) : NULL;
  bool ok = true;
  for (int i = 0; i < NPASSES && ok; i++) {
    const Pass *p = &pass_table[i];
    if (!chosen[i] || !(p->graphs & kind)) continue;
    int errors = d->errors;
    ok = p->run(g, t, d);
    if (ok && (VERIFY_ALWAYS || o->verify_each) && !ir_verify(g, d)) {
      diag(d, DIAG_ERROR, "internal error: the IR does not verify after pass '%s' (%s)", p->name, label);
      ok = false;
    }
    if (!ok && d->errors == errors) diag(d, DIAG_ERROR, "pass '%s' failed (%s)", p->name, label);
    if (ok && text) {
      char *after = ir_print_string(g);
      if (wants_dump(o, p->name)) dump(o, label, p->name, text, after);
      free(text);
      text = after;
    }
  }
  free(text);
  return ok;
}
