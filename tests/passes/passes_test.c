#include "passes_test.h"

#include <stdlib.h>

#include "frontend.h"
#include "ir_text.h"
#include "run_suite.h"

char *pt_read(const char *name) {
  char *path = xasprintf("%s/%s", PASSES_TEST_DIR, name), *err = NULL;
  SourceFile *src = source_read(path, &err);
  ck_assert_msg(src != NULL, "%s", err);
  char *text = xstrndup(src->text, src->len);
  source_free(src);
  free(path);
  return text;
}

Graph *pt_graph_file(const char *name) {
  char *text = pt_read(name);
  Graph *g = test_parse_ir(name, text);
  free(text);
  return g;
}

Graph *pt_graph_model(const char *case_name, bool training) {
  char *path = xasprintf("%s/%s/model.crate", CRATEC_TEST_DATA, case_name), *err = NULL;
  SourceFile *src = source_read(path, &err);
  ck_assert_msg(src != NULL, "%s", err);
  Diag d;
  diag_init(&d, stderr);
  Model *m = frontend_parse(src, &d);
  ck_assert_ptr_nonnull(m);
  Graph *g = training ? model_training_graph(m, m->train.label_smoothing, &d) : model_inference_graph(m, &d);
  ck_assert_ptr_nonnull(g);
  model_free(m);
  source_free(src);
  free(path);
  return g;
}

const Target *pt_target(void) {
  static Target t;
  static bool done;
  if (!done) {
    target_detect_host(&t);
    t.l1d = 32u << 10, t.l2 = 1u << 20, t.l3 = 8u << 20;
  }
  done = true;
  return &t;
}

int main(void) {
  Suite *suites[] = {pipeline_suite(), plan_suite(), tile_suite(), flops_suite()};
  return run_suites(suites, sizeof suites / sizeof *suites);
}
