/* Finite differences of every backward op on the executor: for a graph of
 * one forward op y = f(params) and its grad op fed the upstream gradient
 * %gy, each gradient output "d<key>" must match the central differences of
 * L = Σ gy ⊙ y in parameter <key>. A rule that writes no grad op of its own
 * is checked through pass_autodiff instead, on a small training graph. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval_case.h"
#include "gradcheck.h"
#include "ir_text.h"
#include "passes.h"

typedef struct FdRun {
  Graph *g;
  IrEval *ev;
  float **params;   /* host copies, perturbed by the check */
  float *gy;
  const IrValue *y;
} FdRun;

static double fd_loss(void *ctx) {
  FdRun *r = ctx;
  Diag *d = stderr_diag();
  for (int i = 0; i < r->g->params.len; i++) ck_assert(ir_eval_bind_param(r->ev, i, r->params[i], d));
  ck_assert(ir_eval_run(r->ev, d));
  return gc_dot(r->gy, ir_eval_value(r->ev, r->y), (size_t)ir_eval_numel(r->ev, r->y));
}

static const IrValue *output(const Graph *g, const char *name) {
  for (int i = 0; i < g->outputs.len; i++)
    if (strcmp(g->outputs.items[i].name, name) == 0) return g->outputs.items[i].value;
  return NULL;
}

/* Checks every "<PREFIX><key>" output of G (which it takes) against the
 * differences of L = Σ gy ⊙ Y, Y the output so named; H and TOL as the
 * reference kernels' own gradient checks use for the operator. */
static void check_grads(Graph *g, const char *prefix, const char *y, float h, double tol) {
  Diag *d = stderr_diag();
  FdRun r = {.g = g};
  r.ev = ir_eval_new(r.g, 1, d);
  ck_assert_ptr_nonnull(r.ev);
  crt_rng rng = gc_seeded(7);
  r.params = calloc((size_t)r.g->params.len, sizeof *r.params);
  for (int i = 0; i < r.g->params.len; i++)
    r.params[i] = gc_random(&rng, (size_t)ir_eval_numel(r.ev, r.g->params.items[i]), 1.0f);
  r.y = output(r.g, y);
  size_t ny = (size_t)ir_eval_numel(r.ev, r.y);
  r.gy = gc_random(&rng, ny, 1.0f);
  if (ny == 1) r.gy[0] = 1.0f;   /* a loss: its grad op is d loss itself */
  if (ir_find_value(r.g, "gy")) ck_assert(ir_eval_bind_f32(r.ev, "gy", r.gy, d));
  if (ir_find_value(r.g, "labels")) {
    int64_t labels[8] = {2, 0, 4, 1, 3, 0, 1, 2};
    ck_assert(ir_eval_bind_i64(r.ev, "labels", labels, d));
  }
  fd_loss(&r);
  int checked = 0;
  for (int i = 0; i < r.g->params.len; i++) {
    const IrValue *p = r.g->params.items[i];
    char name[64];
    snprintf(name, sizeof name, "%s%s", prefix, p->key);
    const IrValue *grad_value = output(r.g, name);
    if (!grad_value) continue;
    size_t n = (size_t)ir_eval_numel(r.ev, p);
    float *grad = malloc(n * sizeof *grad);
    fd_loss(&r);
    memcpy(grad, ir_eval_value(r.ev, grad_value), n * sizeof *grad);
    double err = gc_relative_error(fd_loss, &r, r.params[i], grad, n, h);
    printf("  %s: %s relative error %.2e\n", r.g->name, name, err);
    ck_assert_msg(err <= tol, "%s: %s relative error %g > %g", r.g->name, name, err, tol);
    free(grad);
    checked++;
  }
  ck_assert_int_gt(checked, 0);
  for (int i = 0; i < r.g->params.len; i++) free(r.params[i]);
  free(r.params);
  free(r.gy);
  ir_eval_free(r.ev);
  ir_graph_free(r.g);
}

/* The grad ops written in TEXT. */
static void check_graph(const char *text, float h, double tol) {
  check_grads(test_parse_ir("fd.ir", text), "d", "y", h, tol);
}

/* The forward training graph in TEXT (output "loss") through pass_autodiff,
 * whose gradient outputs are named by the parameter keys. */
static void check_autodiff(const char *text, float h, double tol) {
  Graph *g = test_parse_ir("autodiff.ir", text);
  ck_assert(pass_autodiff(g, NULL, stderr_diag()));
  check_grads(g, "", "loss", h, tol);
}

START_TEST(linear_and_bias_grad) {
  check_graph("graph linear {\n"
              "  input %gy : f32[2,3,4]\n"
              "  param %x : f32[2,3,5] = \"x\"\n  param %w : f32[4,5] = \"w\"\n  param %b : f32[4] = \"b\"\n"
              "  %y = linear(%x, %w, %b) : f32[2,3,4]\n"
              "  %dx, %dw = linear_grad(%x, %w, %gy) : f32[2,3,5], f32[4,5]\n"
              "  %db = bias_grad(%gy) : f32[4]\n"
              "  output \"y\" = %y\n  output \"dx\" = %dx\n  output \"dw\" = %dw\n  output \"db\" = %db\n}\n",
              1e-2f, 1e-3);
}
END_TEST

START_TEST(layernorm_grad) {
  check_graph("graph layernorm {\n"
              "  input %gy : f32[3,6]\n"
              "  param %x : f32[3,6] = \"x\"\n  param %g : f32[6] = \"g\"\n  param %b : f32[6] = \"b\"\n"
              "  %y = layernorm(%x, %g, %b) {eps = 1e-05} : f32[3,6]\n"
              "  %dx, %dg, %db = layernorm_grad(%x, %g, %gy) {eps = 1e-05} : f32[3,6], f32[6], f32[6]\n"
              "  output \"y\" = %y\n  output \"dx\" = %dx\n  output \"dg\" = %dg\n  output \"db\" = %db\n}\n",
              1e-2f, 2e-3);
}
END_TEST

START_TEST(mssa_grad) {
  check_graph("graph mssa {\n"
              "  input %gy : f32[2,4,4]\n"
              "  param %x : f32[2,4,6] = \"x\"\n  param %u : f32[4,6] = \"u\"\n"
              "  %y = mssa(%x, %u) {heads = 2, dim_head = 2, scale = 0.7071067811865475} : f32[2,4,4]\n"
              "  %dx, %du = mssa_grad(%x, %u, %gy) {heads = 2, dim_head = 2, scale = 0.7071067811865475}"
              " : f32[2,4,6], f32[4,6]\n"
              "  output \"y\" = %y\n  output \"dx\" = %dx\n  output \"du\" = %du\n}\n",
              1e-2f, 2e-3);
}
END_TEST

START_TEST(ista_grad) {
  check_graph("graph ista {\n"
              "  input %gy : f32[2,3,4]\n"
              "  param %x : f32[2,3,4] = \"x\"\n  param %D : f32[4,4] = \"D\"\n"
              "  %y = ista(%x, %D) {step = 0.1, lambda = 0.1} : f32[2,3,4]\n"
              "  %dx, %dD = ista_grad(%x, %D, %gy) {step = 0.1, lambda = 0.1} : f32[2,3,4], f32[4,4]\n"
              "  output \"y\" = %y\n  output \"dx\" = %dx\n  output \"dD\" = %dD\n}\n",
              1e-3f, 5e-3);
}
END_TEST

/* _i: 0 cls, 1 mean */
START_TEST(pool_grad) {
  char text[512];
  const char *mode = _i ? "mean" : "cls";
  snprintf(text, sizeof text,
           "graph pool {\n  input %%gy : f32[2,4]\n  param %%x : f32[2,3,4] = \"x\"\n"
           "  %%y = pool(%%x) {mode = %s} : f32[2,4]\n"
           "  %%dx = pool_grad(%%gy) {mode = %s, tokens = 3} : f32[2,3,4]\n"
           "  output \"y\" = %%y\n  output \"dx\" = %%dx\n}\n",
           mode, mode);
  check_graph(text, 1e-2f, 1e-3);
}
END_TEST

START_TEST(cls_concat_and_pos_add_grad) {
  check_graph("graph embed {\n"
              "  input %gy : f32[2,4,3]\n"
              "  param %x : f32[2,3,3] = \"x\"\n  param %cls : f32[1,1,3] = \"cls\"\n  param %pos : f32[1,4,3] = \"pos\"\n"
              "  %t = cls_concat(%x, %cls) : f32[2,4,3]\n"
              "  %y = pos_add(%t, %pos) : f32[2,4,3]\n"
              "  %dx, %dcls = cls_concat_grad(%gy) : f32[2,3,3], f32[1,1,3]\n"
              "  %dpos = pos_add_grad(%gy) : f32[1,4,3]\n"
              "  output \"y\" = %y\n  output \"dx\" = %dx\n  output \"dcls\" = %dcls\n  output \"dpos\" = %dpos\n}\n",
              1e-2f, 1e-3);
}
END_TEST

/* _i: bit 0 transpose_a, bit 1 transpose_b, bit 2 a shared rank-2 c */
START_TEST(matmul_grad) {
  bool ta = _i & 1, tb = _i & 2, shared = _i & 4;
  char a[32], c[32], text[1024];
  snprintf(a, sizeof a, "f32[2,%s]", ta ? "4,3" : "3,4");
  snprintf(c, sizeof c, "f32[%s%s]", shared ? "" : "2,", tb ? "5,4" : "4,5");
  const char *attrs = ta && tb ? "{transpose_a = 1, transpose_b = 1, alpha = 0.5}"
                      : ta     ? "{transpose_a = 1, alpha = 0.5}"
                      : tb     ? "{transpose_b = 1, alpha = 0.5}"
                               : "{alpha = 0.5}";
  snprintf(text, sizeof text,
           "graph matmul {\n  input %%gy : f32[2,3,5]\n  param %%a : %s = \"a\"\n  param %%c : %s = \"c\"\n"
           "  %%y = matmul(%%a, %%c) %s : f32[2,3,5]\n"
           "  %%da, %%dc = matmul_grad(%%a, %%c, %%gy) %s : %s, %s\n"
           "  output \"y\" = %%y\n  output \"da\" = %%da\n  output \"dc\" = %%dc\n}\n",
           a, c, attrs, attrs, a, c);
  check_graph(text, 1e-2f, 1e-3);
}
END_TEST

START_TEST(softmax_and_shrink_grad) {
  check_graph("graph softmax {\n  input %gy : f32[3,5]\n  param %x : f32[3,5] = \"x\"\n"
              "  %y = softmax(%x) : f32[3,5]\n  %dx = softmax_grad(%y, %gy) : f32[3,5]\n"
              "  output \"y\" = %y\n  output \"dx\" = %dx\n}\n",
              1e-2f, 1e-3);
  check_graph("graph shrink {\n  input %gy : f32[3,5]\n  param %x : f32[3,5] = \"x\"\n"
              "  %y = shrink(%x) {threshold = 0.1} : f32[3,5]\n  %dx = shrink_grad(%y, %gy) : f32[3,5]\n"
              "  output \"y\" = %y\n  output \"dx\" = %dx\n}\n",
              1e-3f, 1e-3);
}
END_TEST

START_TEST(cross_entropy_grad) {
  check_graph("graph loss {\n  input %gy : f32[1]\n  input %labels : i64[3]\n  param %x : f32[3,5] = \"x\"\n"
              "  %y = cross_entropy(%x, %labels) {label_smoothing = 0.1} : f32[1]\n"
              "  %dx = cross_entropy_grad(%x, %labels) {label_smoothing = 0.1} : f32[3,5]\n"
              "  output \"y\" = %y\n  output \"dx\" = %dx\n}\n",
              1e-2f, 1e-3);
}
END_TEST

/* causal_mask's gradient is causal_mask {fill = 0} of dy, here behind the
 * softmax of causal attention (a finite L: the -inf entries are softmax's
 * zeros). The masked scores get no gradient, which the differences agree
 * with: the mask overwrites any change to them. */
START_TEST(causal_mask_grad) {
  check_graph("graph causal {\n  input %gy : f32[2,2,4,4]\n  param %s : f32[2,2,4,4] = \"s\"\n"
              "  %m = causal_mask(%s) : f32[2,2,4,4]\n  %y = softmax(%m) : f32[2,2,4,4]\n"
              "  %dm = softmax_grad(%y, %gy) : f32[2,2,4,4]\n"
              "  %ds = causal_mask(%dm) {fill = 0.0} : f32[2,2,4,4]\n"
              "  output \"y\" = %y\n  output \"ds\" = %ds\n}\n",
              1e-2f, 1e-3);
  check_autodiff("graph causal {\n  input %labels : i64[2]\n  param %s : f32[2,3,3] = \"s\"\n"
                 "  %m = causal_mask(%s) : f32[2,3,3]\n  %a = softmax(%m) : f32[2,3,3]\n"
                 "  %p = pool(%a) {mode = mean} : f32[2,3]\n"
                 "  %loss = cross_entropy(%p, %labels) {label_smoothing = 0.0} : f32[1]\n"
                 "  output \"loss\" = %loss\n}\n",
                 1e-2f, 1e-3);
}
END_TEST

Suite *grad_ops_suite(void) {
  Suite *s = suite_create("ir_eval: finite differences of the backward ops");
  TCase *tc = tcase_create("grad_ops");
  tcase_add_test(tc, linear_and_bias_grad);
  tcase_add_test(tc, layernorm_grad);
  tcase_add_test(tc, mssa_grad);
  tcase_add_test(tc, ista_grad);
  tcase_add_loop_test(tc, pool_grad, 0, 2);
  tcase_add_test(tc, cls_concat_and_pos_add_grad);
  tcase_add_loop_test(tc, matmul_grad, 0, 8);
  tcase_add_test(tc, softmax_and_shrink_grad);
  tcase_add_test(tc, cross_entropy_grad);
  tcase_add_test(tc, causal_mask_grad);
  suite_add_tcase(s, tc);
  return s;
}
