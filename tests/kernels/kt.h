/* kt.h — the kernel-emitter test harness: a graph from IR text is lowered
 * op by op with the emitters of lower/kernel_*.c into one loop-IR function
 * `void all(float *arena, int64_t *labels, int64_t batch)` (lower_flat) (every f32 value
 * at a fixed offset of the arena for the test's batch, op scratch after
 * them, the one i64 input in LABELS), compiled by a backend into a shared
 * object and called on data the test fills. */
#ifndef CRATEC_KT_H
#define CRATEC_KT_H

#include <check.h>

#include "harness.h"
#include "ir.h"

typedef struct KTest {
  Graph *g;
  Loaded lib;
  void (*fn)(float *arena, int64_t *labels, int64_t batch);
  int64_t batch;
  int64_t *offset;   /* by value id, in floats */
  float *arena;
  int64_t *labels;
} KTest;

/* Parses, verifies and lowers IR (failing the test on any error), compiles
 * it with BACKEND ("llvm" or "c") and allocates the arena for BATCH. */
void kt_open(KTest *t, const char *ir, int64_t batch, const char *backend);
/* The same for a graph already built (KTest takes it). */
void kt_open_graph(KTest *t, Graph *g, int64_t batch, const char *backend);
/* IR text parsed and verified (failing the test otherwise). */
Graph *kt_parse(const char *ir);
void kt_close(KTest *t);
void kt_run(KTest *t);
/* The storage of the value named NAME (without '%'). */
float *kt_at(KTest *t, const char *name);
int64_t kt_numel(KTest *t, const char *name);
/* Uniform values in [LO, HI) from SEED into every f32 input and parameter. */
void kt_fill_all(KTest *t, unsigned seed, float lo, float hi);
void kt_fill(float *x, int64_t n, unsigned seed, float lo, float hi);
/* |got − want| <= tol·(|want| + rms(want)) elementwise, naming WHAT and the
 * index: relative, with a floor at the data's scale for entries that cancel
 * to near zero (a GEMM's rounding follows Σ|a||b|, not |Σab|). Infinities
 * (a mask's fill) match only themselves and stay out of the rms. */
void kt_close_to(const float *got, const float *want, int64_t n, double tol, const char *what);

/* The loop IR the emitters make for IR (the module printed), for checks on
 * its structure. Caller frees. */
char *kt_loops(const char *ir);

Suite *kt_forward_suite(void);
Suite *kt_fused_suite(void);
Suite *kt_pass_suite(void);
Suite *kt_model_suite(void);

#endif
