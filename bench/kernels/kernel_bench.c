/* The fused kernels at CRATE-Tiny shapes (197 tokens, dim 384, 6 heads of
 * 64), batch 32 by default, on 1 and 2 threads: median time and GFLOP/s
 * against the measured FMA peak, each layernorm fusion next to the two
 * kernels it replaces. Each graph goes through pass_tile for the
 * host, as in `cratec build`; tile attributes given as a third argument
 * ("row_tile = 64, query_tile = 32") override the pass's on the ops that
 * take them, for sweeps of the cost model's choices.
 *
 *   bench_kernels [batch] [repeats] [tile attributes] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_timing.h"
#include "kt.h"
#include "lower.h"
#include "passes.h"
#include "target.h"

enum { N = 197, D = 384, K = 6, P = 64 };

typedef struct Case {
  const char *name, *ir;
  double flops_per_sample;
} Case;

static const Case cases[] = {
    {"mssa_add (fused residual)",
     "graph t { input %x : f32[B,197,384] input %y : f32[B,197,384]\n"
     "  param %u : f32[384,384] = \"u\" param %wo : f32[384,384] = \"wo\" param %bo : f32[384] = \"bo\"\n"
     "  %m = mssa_add(%x, %y, %u, %wo, %bo) {heads = 6, dim_head = 64, scale = 0.125} : f32[B,197,384]\n"
     "  output \"m\" = %m }",
     2.0 * N * D * D * 2 + 2.0 * K * N * N * P * 2},
    {"mssa_add, weights_t (as built)",
     "graph t { input %x : f32[B,197,384] input %y : f32[B,197,384]\n"
     "  param %u : f32[384,384] = \"u\" param %wo : f32[384,384] = \"wo\" param %bo : f32[384] = \"bo\"\n"
     "  %m = mssa_add(%x, %y, %u, %wo, %bo) {heads = 6, dim_head = 64, scale = 0.125, weights_t = 1}"
     " : f32[B,197,384]\n  output \"m\" = %m }",
     2.0 * N * D * D * 2 + 2.0 * K * N * N * P * 2},
    {"ista_apply (folded)",
     "graph t { input %y : f32[B,197,384] param %m : f32[384,384] = \"m\"\n"
     "  %o = ista_apply(%y, %m) {threshold = 0.01} : f32[B,197,384] output \"o\" = %o }",
     2.0 * N * D * D},
    {"ista (two-GEMM training form)",
     "graph t { input %y : f32[B,197,384] param %d : f32[384,384] = \"d\"\n"
     "  %o = ista(%y, %d) {step = 0.1, lambda = 0.1} : f32[B,197,384] output \"o\" = %o }",
     4.0 * N * D * D},
    {"layernorm",
     "graph t { input %x : f32[B,197,384] param %g : f32[384] = \"g\" param %b : f32[384] = \"b\"\n"
     "  %n = layernorm(%x, %g, %b) {eps = 1e-05} : f32[B,197,384] output \"n\" = %n }",
     0},
    {"layernorm, then ista_apply",
     "graph t { input %x : f32[B,197,384] param %g : f32[384] = \"g\" param %b : f32[384] = \"b\"\n"
     "  param %m : f32[384,384] = \"m\"\n"
     "  %n = layernorm(%x, %g, %b) {eps = 1e-05} : f32[B,197,384]\n"
     "  %o = ista_apply(%n, %m) {threshold = 0.01} : f32[B,197,384] output \"o\" = %o }",
     2.0 * N * D * D},
    {"layernorm_ista_apply",
     "graph t { input %x : f32[B,197,384] param %g : f32[384] = \"g\" param %b : f32[384] = \"b\"\n"
     "  param %m : f32[384,384] = \"m\"\n"
     "  %o = layernorm_ista_apply(%x, %g, %b, %m) {eps = 1e-05, threshold = 0.01} : f32[B,197,384]\n"
     "  output \"o\" = %o }",
     2.0 * N * D * D},
    {"layernorm, then mssa_add",
     "graph t { input %x : f32[B,197,384] param %g : f32[384] = \"g\" param %b : f32[384] = \"b\"\n"
     "  param %u : f32[384,384] = \"u\" param %wo : f32[384,384] = \"wo\" param %bo : f32[384] = \"bo\"\n"
     "  %n = layernorm(%x, %g, %b) {eps = 1e-05} : f32[B,197,384]\n"
     "  %m = mssa_add(%x, %n, %u, %wo, %bo) {heads = 6, dim_head = 64, scale = 0.125, weights_t = 1}"
     " : f32[B,197,384]\n  output \"m\" = %m }",
     2.0 * N * D * D * 2 + 2.0 * K * N * N * P * 2},
    {"layernorm_mssa_add",
     "graph t { input %x : f32[B,197,384] param %g : f32[384] = \"g\" param %b : f32[384] = \"b\"\n"
     "  param %u : f32[384,384] = \"u\" param %wo : f32[384,384] = \"wo\" param %bo : f32[384] = \"bo\"\n"
     "  %m = layernorm_mssa_add(%x, %g, %b, %u, %wo, %bo) {eps = 1e-05, heads = 6, dim_head = 64, "
     "scale = 0.125, weights_t = 1} : f32[B,197,384]\n  output \"m\" = %m }",
     2.0 * N * D * D * 2 + 2.0 * K * N * N * P * 2},
    {"linear 384->384 (+bias)",
     "graph t { input %y : f32[B,197,384] param %w : f32[384,384] = \"w\" param %b : f32[384] = \"b\"\n"
     "  %o = linear(%y, %w, %b) : f32[B,197,384] output \"o\" = %o }",
     2.0 * N * D * D},
};

static int batch = 32, repeats = 7;
static const char *tiles;   /* "name = value, ..." or NULL */

/* The case's graph tiled for the host, then TILES set on every op whose
 * schema has those attributes. */
static Graph *tiled(const char *ir) {
  Graph *g = kt_parse(ir);
  Target host;
  target_detect_host(&host);
  Diag d;
  diag_init(&d, stderr);
  ck_assert(pass_tile(g, &host, &d));
  char *list = tiles ? strdup(tiles) : NULL;
  for (char *save = NULL, *kv = list ? strtok_r(list, ",", &save) : NULL; kv; kv = strtok_r(NULL, ",", &save)) {
    char name[64];
    long long value;
    ck_assert_msg(sscanf(kv, " %63[a-z_] = %lld", name, &value) == 2, "bad tile attribute '%s'", kv);
    for (int i = 0; i < g->ops.len; i++) {
      IrAttrType type;
      bool optional;
      if (ir_op_attr_schema(g->ops.items[i]->kind, name, &type, &optional)) ir_set_int(g->ops.items[i], name, value);
    }
  }
  free(list);
  return g;
}

/* A Check test, so a harness failure (a kernel that does not compile) is
 * reported like in the tests. Every case is compiled first; each repeat
 * then runs every case once, so a noisy neighbour slows all of them alike
 * and the medians compare side by side. */
START_TEST(bench) {
  enum { NCASES = sizeof cases / sizeof *cases };
  const char *isa;
  double peak = fma_peak_gflops(1, 3, &isa);
  printf("per-core fp32 FMA peak (%s): %.1f GFLOP/s; batch %d, median of %d, cases interleaved\n", isa, peak,
         batch, repeats);
  printf("%-32s %7s %10s %9s %8s\n", "kernel", "threads", "ms", "GFLOP/s", "of peak");
  KTest t[NCASES];
  for (int c = 0; c < NCASES; c++) {
    kt_open_graph(&t[c], tiled(cases[c].ir), batch, "llvm");
    kt_fill_all(&t[c], 1, -1, 1);
  }
  for (int threads = 1; threads <= 2; threads++) {
    crt_set_threads(threads);
    double times[NCASES][100];
    for (int c = 0; c < NCASES; c++) kt_run(&t[c]);   /* warm-up: JIT kernels, packing scratch, page faults */
    for (int r = 0; r < repeats; r++)
      for (int c = 0; c < NCASES; c++) {
        double t0 = bench_seconds();
        kt_run(&t[c]);
        times[c][r] = bench_seconds() - t0;
      }
    for (int c = 0; c < NCASES; c++) {
      double s = bench_median(times[c], repeats), gflops = cases[c].flops_per_sample * batch / s / 1e9;
      printf("%-32s %7d %10.2f %9.1f %7.1f%%\n", cases[c].name, threads, s * 1e3, gflops,
             100 * gflops / (peak * threads));
    }
  }
  for (int c = 0; c < NCASES; c++) kt_close(&t[c]);
}
END_TEST

int main(int argc, char **argv) {
  batch = argc > 1 ? atoi(argv[1]) : 32;
  repeats = argc > 2 ? atoi(argv[2]) : 7;
  tiles = argc > 3 ? argv[3] : NULL;
  if (batch < 1 || repeats < 1 || repeats > 100) {
    fprintf(stderr, "usage: bench_kernels [batch >= 1] [repeats 1..100] [\"row_tile = N, query_tile = N\"]\n");
    return 2;
  }
  Suite *s = suite_create("bench_kernels");
  TCase *tc = tcase_create("bench");
  tcase_set_timeout(tc, 0);
  tcase_add_test(tc, bench);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_NOFORK);
  srunner_run_all(sr, CK_SILENT);
  int failed = srunner_ntests_failed(sr);
  if (failed) srunner_print(sr, CK_NORMAL);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
