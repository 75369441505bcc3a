/* test_kernels_crate.c — the CRATE-specific reference kernels (MSSA, ISTA,
 * label-smoothed cross-entropy), each backward against central differences
 * of its forward. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "crate_ref.h"
#include "gradcheck.h"

/* ---- MSSA ---------------------------------------------------------------------- */

typedef struct {
  float *y, *u, *wo, *bo;                /* inputs and parameters */
  float *out, *w, *attn, *o, *dout;      /* outputs, saved tensors, upstream gradient */
  int B, N, d, K, p;
} mssa_ctx;

static double mssa_loss(void *ctx) {
  mssa_ctx *c = ctx;
  ref_mssa_forward(c->out, c->w, c->attn, c->o, c->y, c->u, c->wo, c->bo, c->B, c->N, c->d,
                   c->K, c->p);
  return gc_dot(c->dout, c->out, (size_t)c->B * c->N * c->d);
}

/* Builds a case, runs backward, checks every gradient; IDENTITY drops to_out. */
static void check_mssa(int B, int N, int d, int K, int p, bool identity) {
  crt_rng r = gc_seeded(29);
  mssa_ctx c = {.B = B, .N = N, .d = d, .K = K, .p = p};
  size_t ny = (size_t)B * N * d, nu = (size_t)K * p * d, nw = (size_t)B * N * K * p;
  c.y = gc_random(&r, ny, 1), c.u = gc_random(&r, nu, 1);
  c.wo = identity ? NULL : gc_random(&r, (size_t)d * K * p, 0.5f);
  c.bo = identity ? NULL : gc_random(&r, d, 0.5f);
  c.out = gc_zeros(ny), c.w = gc_zeros(nw), c.o = gc_zeros(nw), c.dout = gc_random(&r, ny, 1);
  c.attn = gc_zeros((size_t)B * K * N * N);
  mssa_loss(&c);
  float *dy = gc_zeros(ny), *du = gc_zeros(nu);
  float *dwo = identity ? NULL : gc_zeros((size_t)d * K * p);
  float *dbo = identity ? NULL : gc_zeros(d);
  ck_assert_int_eq(ref_mssa_backward(dy, du, dwo, dbo, c.dout, c.y, c.w, c.attn, c.o, c.u, c.wo,
                                     B, N, d, K, p, NULL),
                   0);
  ck_assert_double_le(gc_relative_error(mssa_loss, &c, c.y, dy, ny, 1e-2f), 2e-3);
  ck_assert_double_le(gc_relative_error(mssa_loss, &c, c.u, du, nu, 1e-2f), 2e-3);
  if (!identity) {
    ck_assert_double_le(gc_relative_error(mssa_loss, &c, c.wo, dwo, (size_t)d * K * p, 1e-2f),
                        2e-3);
    ck_assert_double_le(gc_relative_error(mssa_loss, &c, c.bo, dbo, d, 1e-2f), 2e-3);
  }
  free(c.y), free(c.u), free(c.wo), free(c.bo), free(c.out), free(c.w), free(c.o);
  free(c.dout), free(c.attn), free(dy), free(du), free(dwo), free(dbo);
}

START_TEST(mssa_gradient) { check_mssa(2, 5, 6, 2, 4, false); }
END_TEST

START_TEST(mssa_identity_output_gradient) { check_mssa(2, 4, 6, 1, 6, true); }
END_TEST

START_TEST(mssa_two_tokens_closed_form) {
  /* One head, d = p = 1, u = 2: W = 2y, S = W Wᵀ (s = 1), O = A W. */
  float y[2] = {0.5f, -1.0f}, u[1] = {2.0f}, out[2], w[2], attn[4], o[2];
  ref_mssa_forward(out, w, attn, o, y, u, NULL, NULL, 1, 2, 1, 1, 1);
  double w0 = 1.0, w1 = -2.0;
  double a00 = 1 / (1 + exp(w0 * w1 - w0 * w0)), a10 = 1 / (1 + exp(w1 * w1 - w1 * w0));
  ck_assert_double_eq_tol(attn[0], a00, 1e-6);
  ck_assert_double_eq_tol(attn[2], a10, 1e-6);
  ck_assert_double_eq_tol(out[0], a00 * w0 + (1 - a00) * w1, 1e-6);
  ck_assert_double_eq_tol(out[1], a10 * w0 + (1 - a10) * w1, 1e-6);
}
END_TEST

/* ---- ISTA ----------------------------------------------------------------------- */

typedef struct {
  float *y, *D, *out, *dout;
  int rows, d;
} ista_ctx;

static const float ETA = 0.1f, LAMBDA = 0.1f;

static double ista_loss(void *ctx) {
  ista_ctx *c = ctx;
  ck_assert_int_eq(ref_ista_forward(c->out, c->y, c->D, c->rows, c->d, ETA, LAMBDA, NULL), 0);
  return gc_dot(c->dout, c->out, (size_t)c->rows * c->d);
}

START_TEST(ista_matches_folded_form) {
  /* relu(y M − ηλ) with M = I + η(D − DᵀD), SPEC §1.5, in double */
  crt_rng r = gc_seeded(37);
  ista_ctx c = {.rows = 4, .d = 5};
  size_t n = (size_t)c.rows * c.d;
  c.y = gc_random(&r, n, 1), c.D = gc_random(&r, (size_t)c.d * c.d, 1), c.out = gc_zeros(n);
  c.dout = gc_zeros(n);
  ista_loss(&c);
  int d = c.d;
  for (int t = 0; t < c.rows; t++)
    for (int j = 0; j < d; j++) {
      double pre = -ETA * LAMBDA;
      for (int i = 0; i < d; i++) {
        double dtd = 0;
        for (int k = 0; k < d; k++) dtd += (double)c.D[k * d + i] * c.D[k * d + j];
        double m = (i == j) + ETA * (c.D[i * d + j] - dtd);
        pre += c.y[t * d + i] * m;
      }
      ck_assert_double_eq_tol(c.out[t * d + j], pre > 0 ? pre : 0, 1e-5);
    }
  free(c.y), free(c.D), free(c.out), free(c.dout);
}
END_TEST

START_TEST(ista_gradient) {
  crt_rng r = gc_seeded(41);
  ista_ctx c = {.rows = 6, .d = 7};
  size_t n = (size_t)c.rows * c.d, nd = (size_t)c.d * c.d;
  c.y = gc_random(&r, n, 1), c.D = gc_random(&r, nd, 1), c.out = gc_zeros(n);
  c.dout = gc_random(&r, n, 1);
  ista_loss(&c);
  float *dy = gc_zeros(n), *dD = gc_zeros(nd);
  ck_assert_int_eq(ref_ista_backward(dy, dD, c.dout, c.y, c.out, c.D, c.rows, c.d, ETA, NULL), 0);
  /* A small step, so that no pre-activation crosses the ReLU's kink. */
  ck_assert_double_le(gc_relative_error(ista_loss, &c, c.y, dy, n, 1e-3f), 5e-3);
  ck_assert_double_le(gc_relative_error(ista_loss, &c, c.D, dD, nd, 1e-3f), 5e-3);
  free(c.y), free(c.D), free(c.out), free(c.dout), free(dy), free(dD);
}
END_TEST

/* ---- cross-entropy ------------------------------------------------------------ */

typedef struct {
  float *logits, *probs;
  int64_t *labels;
  int B, C;
  float smoothing;
} ce_ctx;

static double ce_loss(void *ctx) {
  ce_ctx *c = ctx;
  double loss;
  ck_assert_int_eq(ref_crossentropy_forward(&loss, c->probs, c->logits, c->labels, c->B, c->C,
                                            c->smoothing, NULL),
                   0);
  return loss;
}

START_TEST(crossentropy_value_and_gradient) {
  crt_rng r = gc_seeded(43);
  int64_t labels[3] = {2, 0, 4};
  ce_ctx c = {.B = 3, .C = 5, .labels = labels};
  size_t n = (size_t)c.B * c.C;
  c.logits = gc_random(&r, n, 2), c.probs = gc_zeros(n);
  for (int s = 0; s < 2; s++) {
    c.smoothing = s ? 0.1f : 0.0f;
    double loss = ce_loss(&c), want = 0;
    for (int b = 0; b < c.B; b++) {
      double lse = 0;
      for (int j = 0; j < c.C; j++) lse += exp(c.logits[b * c.C + j]);
      lse = log(lse);
      for (int j = 0; j < c.C; j++) {
        double nll = lse - c.logits[b * c.C + j];
        want += (j == labels[b] ? 1 - c.smoothing : 0) * nll + c.smoothing * nll / c.C;
      }
    }
    ck_assert_double_eq_tol(loss, want / c.B, 1e-6);
    float *dlogits = gc_zeros(n);
    ck_assert_int_eq(ref_crossentropy_backward(dlogits, c.probs, labels, c.B, c.C, c.smoothing,
                                               NULL),
                     0);
    ck_assert_double_le(gc_relative_error(ce_loss, &c, c.logits, dlogits, n, 1e-2f), 1e-3);
    free(dlogits);
  }
  free(c.logits), free(c.probs);
}
END_TEST

START_TEST(crossentropy_rejects_bad_label) {
  float logits[4] = {0}, probs[4];
  int64_t labels[2] = {1, 2};
  double loss;
  crt_error e = {{0}};
  ck_assert_int_eq(ref_crossentropy_forward(&loss, probs, logits, labels, 2, 2, 0, &e), -1);
  ck_assert_str_eq(e.msg, "cross-entropy: label 2 of sample 1 is outside [0, 2)");
  labels[1] = -1;
  ck_assert_int_eq(ref_crossentropy_backward(probs, probs, labels, 2, 2, 0, &e), -1);
  ck_assert_ptr_nonnull(strstr(e.msg, "label -1 of sample 1"));
}
END_TEST

int main(void) {
  Suite *s = suite_create("reference kernels: CRATE operators");
  TCase *tc = tcase_create("kernels");
  tcase_add_test(tc, mssa_gradient);
  tcase_add_test(tc, mssa_identity_output_gradient);
  tcase_add_test(tc, mssa_two_tokens_closed_form);
  tcase_add_test(tc, ista_matches_folded_form);
  tcase_add_test(tc, ista_gradient);
  tcase_add_test(tc, crossentropy_value_and_gradient);
  tcase_add_test(tc, crossentropy_rejects_bad_label);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
