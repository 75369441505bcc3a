/* Ops whose meaning fits a hand-computed example, evaluated on one. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval_case.h"
#include "ir_text.h"

/* Runs the one-input graph TEXT on X and returns a copy of output "y"
 * (N floats). */
static float *run(const char *text, const float *x, int n) {
  Diag *d = stderr_diag();
  Graph *g = test_parse_ir("ops.ir", text);
  IrEval *ev = ir_eval_new(g, 1, d);
  ck_assert_ptr_nonnull(ev);
  ck_assert(ir_eval_bind_f32(ev, "x", x, d));
  ck_assert(ir_eval_run(ev, d));
  float *y = malloc((size_t)n * sizeof *y);
  memcpy(y, ir_eval_output(ev, "y"), (size_t)n * sizeof *y);
  ir_eval_free(ev);
  ir_graph_free(g);
  return y;
}

/* Two 3×3 score matrices: query i keeps keys 0..i, the rest become -inf
 * (or the fill given). */
START_TEST(causal_mask_values) {
  const float x[18] = {1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -2, -3, -4, -5, -6, -7, -8, -9};
  const float inf = INFINITY;
  const float masked[18] = {1, -inf, -inf, 4, 5, -inf, 7, 8, 9, -1, -inf, -inf, -4, -5, -inf, -7, -8, -9};
  float *y = run("graph m {\n  input %x : f32[2,3,3]\n  %y = causal_mask(%x) : f32[2,3,3]\n"
                 "  output \"y\" = %y\n}\n", x, 18);
  for (int i = 0; i < 18; i++) ck_assert_msg(y[i] == masked[i], "at %d: got %g, want %g", i, y[i], masked[i]);
  free(y);
  y = run("graph m {\n  input %x : f32[2,3,3]\n  %y = causal_mask(%x) {fill = 0.5} : f32[2,3,3]\n"
          "  output \"y\" = %y\n}\n", x, 18);
  for (int i = 0; i < 18; i++) {
    float want = isinf(masked[i]) ? 0.5f : masked[i];
    ck_assert_msg(y[i] == want, "at %d: got %g, want %g", i, y[i], want);
  }
  free(y);
}
END_TEST

Suite *eval_ops_suite(void) {
  Suite *s = suite_create("ir_eval: hand-computed ops");
  TCase *tc = tcase_create("ops");
  tcase_add_test(tc, causal_mask_values);
  suite_add_tcase(s, tc);
  return s;
}
