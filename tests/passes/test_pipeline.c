/* The pipeline: IR text in, IR text out (golden files), --passes and
 * --dump-after, which passes run on which graph. */
#include <stdlib.h>
#include <string.h>

#include "passes_test.h"

typedef struct Run {
  char *dump, *errors;
  size_t dump_len, errors_len;
  bool ok;
} Run;

/* Runs the pipeline with O on G, dumps and diagnostics captured. */
static Run run(Graph *g, PipelineOptions o) {
  Run r = {0};
  FILE *dump = open_memstream(&r.dump, &r.dump_len), *errors = open_memstream(&r.errors, &r.errors_len);
  o.dump = dump;
  Diag d;
  diag_init(&d, errors);
  r.ok = pipeline_check_options(&o, &d) && pipeline_run(g, "test", pt_target(), &o, &d);
  fclose(dump);
  fclose(errors);
  return r;
}

static void run_free(Run *r) {
  free(r->dump);
  free(r->errors);
}

static bool has_op(const Graph *g, IrOpKind kind) {
  for (int i = 0; i < g->ops.len; i++)
    if (g->ops.items[i]->kind == kind) return true;
  return false;
}

/* ista_layer.ir through the pipeline with O is the text of EXPECTED. */
static void check_golden(PipelineOptions o, const char *expected) {
  Graph *g = pt_graph_file("ista_layer.ir");
  Run r = run(g, o);
  ck_assert_msg(r.ok, "%s", r.errors);
  char *got = ir_print_string(g), *want = pt_read(expected);
  ck_assert_str_eq(got, want);
  free(got);
  free(want);
  run_free(&r);
  ir_graph_free(g);
}

START_TEST(o0_lowers_composites_golden) { check_golden((PipelineOptions){.opt_level = 0}, "ista_layer.O0.expected"); }
END_TEST

START_TEST(o2_folds_ista_golden) { check_golden((PipelineOptions){.opt_level = 2}, "ista_layer.O2.expected"); }
END_TEST

/* fuse_mssa and pack_weights find nothing in an ISTA block: their dumps
 * say so and print no IR; fold_ista, fuse_layernorm and tile change it and
 * their dumps are the new text. */
START_TEST(dump_after_all_marks_unchanged) {
  Graph *g = pt_graph_file("ista_layer.ir");
  Run r = run(g, (PipelineOptions){.opt_level = 2, .dump_after = "all"});
  ck_assert_msg(r.ok, "%s", r.errors);
  char *after = ir_print_string(g);
  char *folded = pt_read("ista_layer.folded.expected"), *fused = pt_read("ista_layer.fused.expected");
  char *want = xasprintf("# ---- IR after fuse_mssa (test) (unchanged)\n# ---- IR after fold_ista (test)\n%s"
                         "# ---- IR after pack_weights (test) (unchanged)\n"
                         "# ---- IR after fuse_layernorm (test)\n%s# ---- IR after tile (test)\n%s",
                         folded, fused, after);
  free(folded);
  free(fused);
  ck_assert_str_eq(r.dump, want);
  free(want);
  free(after);
  run_free(&r);
  ir_graph_free(g);
}
END_TEST

START_TEST(dump_after_one_pass) {
  Graph *g = pt_graph_file("ista_layer.ir");
  Run r = run(g, (PipelineOptions){.opt_level = 0, .dump_after = "expand_composites"});
  ck_assert_msg(r.ok, "%s", r.errors);
  char *want = pt_read("ista_layer.O0.expected");
  ck_assert_str_eq(r.dump + strlen("# ---- IR after expand_composites (test)\n"), want);
  ck_assert(strncmp(r.dump, "# ---- IR after expand_composites (test)\n", 40) == 0);
  free(want);
  run_free(&r);
  ir_graph_free(g);
}
END_TEST

/* A custom list replaces the -O list: -O2 with --passes=expand_composites
 * expands the ista instead of folding it. */
START_TEST(custom_list_replaces_level) {
  check_golden((PipelineOptions){.opt_level = 2, .passes = "expand_composites"}, "ista_layer.O0.expected");
}
END_TEST

START_TEST(unknown_pass_did_you_mean) {
  Graph *g = pt_graph_file("ista_layer.ir");
  Run r = run(g, (PipelineOptions){.opt_level = 2, .passes = "fold_ista,expand_composits"});
  ck_assert(!r.ok);
  ck_assert_str_eq(r.errors, "cratec: error: --passes: unknown pass 'expand_composits'; did you mean "
                             "'expand_composites'?\n");
  run_free(&r);
  r = run(g, (PipelineOptions){.opt_level = 2, .dump_after = "zzz"});
  ck_assert(!r.ok);
  ck_assert_str_eq(r.errors, "cratec: error: --dump-after: unknown pass 'zzz' (see 'cratec build --help')\n");
  run_free(&r);
  ir_graph_free(g);
}
END_TEST

/* Training graphs get autodiff even with a custom list, and never the
 * inference-only fusions. */
START_TEST(training_graph_gets_autodiff_not_fusions) {
  Graph *g = pt_graph_model("micro", true);
  int outputs = g->outputs.len, params = g->params.len;
  Run r = run(g, (PipelineOptions){.opt_level = 2, .passes = "fold_ista", .verify_each = true});
  ck_assert_msg(r.ok, "%s", r.errors);
  ck_assert_int_eq(g->outputs.len, outputs + params);
  ck_assert(has_op(g, IR_OP_ISTA));
  ck_assert(!has_op(g, IR_OP_ISTA_APPLY));
  run_free(&r);
  ir_graph_free(g);
}
END_TEST

START_TEST(inference_o2_fuses) {
  Graph *g = pt_graph_model("micro", false);
  Run r = run(g, (PipelineOptions){.opt_level = 2, .verify_each = true});
  ck_assert_msg(r.ok, "%s", r.errors);
  ck_assert(!has_op(g, IR_OP_ISTA));
  ck_assert(has_op(g, IR_OP_LAYERNORM_ISTA_APPLY));
  ck_assert(has_op(g, IR_OP_LAYERNORM_MSSA_ADD));
  ck_assert(has_op(g, IR_OP_LAYERNORM_LINEAR_T));
  ck_assert(!has_op(g, IR_OP_ISTA_APPLY));
  ck_assert(!has_op(g, IR_OP_MSSA_ADD));
  run_free(&r);
  ir_graph_free(g);
}
END_TEST

Suite *pipeline_suite(void) {
  Suite *s = suite_create("pipeline");
  TCase *tc = tcase_create("pipeline");
  tcase_add_test(tc, o0_lowers_composites_golden);
  tcase_add_test(tc, o2_folds_ista_golden);
  tcase_add_test(tc, dump_after_all_marks_unchanged);
  tcase_add_test(tc, dump_after_one_pass);
  tcase_add_test(tc, custom_list_replaces_level);
  tcase_add_test(tc, unknown_pass_did_you_mean);
  tcase_add_test(tc, training_graph_gets_autodiff_not_fusions);
  tcase_add_test(tc, inference_o2_fuses);
  suite_add_tcase(s, tc);
  return s;
}
