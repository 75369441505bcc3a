/* test_kernels_basic.c — the building-block reference kernels: matrix
 * product, patches, LayerNorm, Linear, embedding, softmax, residual, pooling.
 * Each backward is checked against central differences of its forward. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "crate_ref.h"
#include "gradcheck.h"

/* Finite differences of float32 forwards: h = 1e-2 keeps rounding noise
 * (~1e-7·|loss| / h) and truncation (~h²) both near 1e-4. */
#define H 1e-2f
#define TOL 2e-3

/* ---- matrix product --------------------------------------------------------- */

static float at(const float *x, int ld, bool trans, int r, int c) {
  return trans ? x[(size_t)c * ld + r] : x[(size_t)r * ld + c];
}

START_TEST(gemm_matches_definition) {
  crt_rng r = gc_seeded(7);
  enum { M = 5, N = 300, K = 4, LD = 301 };   /* N > the kernel's 256-wide row block */
  float *a = gc_random(&r, (size_t)LD * LD, 1), *b = gc_random(&r, (size_t)LD * LD, 1);
  float *c = gc_random(&r, (size_t)M * LD, 1), *c0 = gc_zeros((size_t)M * LD);
  for (int t = 0; t < 4; t++) {
    bool ta = t & 1, tb = t & 2;
    for (size_t i = 0; i < (size_t)M * LD; i++) c0[i] = c[i];
    ref_gemm(ta, tb, M, N, K, 0.5f, a, LD, b, LD, 1.0f, c, LD);
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j++) {
        double want = c0[(size_t)i * LD + j];
        for (int k = 0; k < K; k++) want += 0.5 * at(a, LD, ta, i, k) * at(b, LD, tb, k, j);
        ck_assert_double_eq_tol(c[(size_t)i * LD + j], want, 1e-5);
      }
    ck_assert_float_eq(c[N], c0[N]);   /* the padding column is untouched */
  }
  free(a), free(b), free(c), free(c0);
}
END_TEST

/* ---- patches ---------------------------------------------------------------- */

typedef struct {
  float *img, *out, *dout;
  int B, C, H_, W, P1, P2;
  size_t n;
} patch_ctx;

static double patch_loss(void *p) {
  patch_ctx *c = p;
  ref_patchify_forward(c->out, c->img, c->B, c->C, c->H_, c->W, c->P1, c->P2);
  return gc_dot(c->dout, c->out, c->n);
}

START_TEST(patchify_order_and_gradient) {
  crt_rng r = gc_seeded(11);
  patch_ctx c = {.B = 2, .C = 3, .H_ = 4, .W = 6, .P1 = 2, .P2 = 3};
  c.n = (size_t)c.B * c.C * c.H_ * c.W;
  c.img = gc_random(&r, c.n, 1), c.out = gc_zeros(c.n), c.dout = gc_random(&r, c.n, 1);
  patch_loss(&c);
  /* SPEC §1.1: img[b=1, c=2, y=3, x=4] is grid cell (1, 1) of a 2×2 grid,
   * u = 1, v = 1, so patch 3, element (1·3 + 1)·3 + 2 = 14 of 18. */
  ck_assert_float_eq(c.out[(1 * 4 + 3) * 18 + 14], c.img[((1 * 3 + 2) * 4 + 3) * 6 + 4]);
  float *dimg = gc_zeros(c.n);
  ref_patchify_backward(dimg, c.dout, c.B, c.C, c.H_, c.W, c.P1, c.P2);
  ck_assert_double_le(gc_relative_error(patch_loss, &c, c.img, dimg, c.n, H), 1e-6);
  free(c.img), free(c.out), free(c.dout), free(dimg);
}
END_TEST

/* ---- LayerNorm ---------------------------------------------------------------- */

typedef struct {
  float *x, *w, *b, *out, *mean, *rstd, *dout;
  int rows, C;
} ln_ctx;

static double ln_loss(void *p) {
  ln_ctx *c = p;
  ref_layernorm_forward(c->out, c->mean, c->rstd, c->x, c->w, c->b, c->rows, c->C, 1e-5f);
  return gc_dot(c->dout, c->out, (size_t)c->rows * c->C);
}

START_TEST(layernorm_statistics_and_gradient) {
  crt_rng r = gc_seeded(3);
  ln_ctx c = {.rows = 3, .C = 10};
  size_t n = (size_t)c.rows * c.C;
  c.x = gc_random(&r, n, 2), c.w = gc_random(&r, c.C, 1), c.b = gc_random(&r, c.C, 1);
  c.out = gc_zeros(n), c.mean = gc_zeros(c.rows), c.rstd = gc_zeros(c.rows);
  c.dout = gc_random(&r, n, 1);
  ln_loss(&c);
  for (int i = 0; i < c.rows; i++) {
    double m = 0, v = 0;
    for (int j = 0; j < c.C; j++) m += c.x[i * c.C + j];
    m /= c.C;
    for (int j = 0; j < c.C; j++) v += (c.x[i * c.C + j] - m) * (c.x[i * c.C + j] - m);
    ck_assert_double_eq_tol(c.mean[i], m, 1e-6);
    ck_assert_double_eq_tol(c.rstd[i], 1 / sqrt(v / c.C + 1e-5), 1e-5);
  }
  float *dx = gc_zeros(n), *dw = gc_zeros(c.C), *db = gc_zeros(c.C);
  ref_layernorm_backward(dx, dw, db, c.dout, c.x, c.w, c.mean, c.rstd, c.rows, c.C);
  ck_assert_double_le(gc_relative_error(ln_loss, &c, c.x, dx, n, H), TOL);
  ck_assert_double_le(gc_relative_error(ln_loss, &c, c.w, dw, c.C, H), TOL);
  ck_assert_double_le(gc_relative_error(ln_loss, &c, c.b, db, c.C, H), TOL);
  free(c.x), free(c.w), free(c.b), free(c.out), free(c.mean), free(c.rstd), free(c.dout);
  free(dx), free(dw), free(db);
}
END_TEST

/* ---- Linear ------------------------------------------------------------------- */

typedef struct {
  float *x, *w, *b, *out, *dout;
  int rows, IC, OC;
} linear_ctx;

static double linear_loss(void *p) {
  linear_ctx *c = p;
  ref_linear_forward(c->out, c->x, c->w, c->b, c->rows, c->IC, c->OC);
  return gc_dot(c->dout, c->out, (size_t)c->rows * c->OC);
}

START_TEST(linear_gradient_with_and_without_bias) {
  crt_rng r = gc_seeded(5);
  linear_ctx c = {.rows = 4, .IC = 7, .OC = 5};
  size_t nx = (size_t)c.rows * c.IC, nw = (size_t)c.OC * c.IC, ny = (size_t)c.rows * c.OC;
  c.x = gc_random(&r, nx, 1), c.w = gc_random(&r, nw, 1), c.out = gc_zeros(ny);
  c.dout = gc_random(&r, ny, 1);
  float *bias = gc_random(&r, c.OC, 1);
  for (int with_bias = 0; with_bias < 2; with_bias++) {
    c.b = with_bias ? bias : NULL;
    linear_loss(&c);
    /* backward adds: start the gradients from 1 and take the 1 back off */
    float *dx = gc_zeros(nx), *dw = gc_zeros(nw), *db = gc_zeros(c.OC);
    for (size_t i = 0; i < nx; i++) dx[i] = 1;
    ref_linear_backward(dx, dw, c.b ? db : NULL, c.dout, c.x, c.w, c.rows, c.IC, c.OC);
    for (size_t i = 0; i < nx; i++) dx[i] -= 1;
    ck_assert_double_le(gc_relative_error(linear_loss, &c, c.x, dx, nx, H), TOL);
    ck_assert_double_le(gc_relative_error(linear_loss, &c, c.w, dw, nw, H), TOL);
    if (c.b) ck_assert_double_le(gc_relative_error(linear_loss, &c, c.b, db, c.OC, H), TOL);
    free(dx), free(dw), free(db);
  }
  free(c.x), free(c.w), free(c.out), free(c.dout), free(bias);
}
END_TEST

/* ---- embedding ----------------------------------------------------------------- */

typedef struct {
  float *x, *cls, *pos, *out, *dout;
  int B, n, d;
} embed_ctx;

static double embed_loss(void *p) {
  embed_ctx *c = p;
  ref_embed_forward(c->out, c->x, c->cls, c->pos, c->B, c->n, c->d);
  return gc_dot(c->dout, c->out, (size_t)c->B * (c->n + 1) * c->d);
}

START_TEST(embed_gradient) {
  crt_rng r = gc_seeded(13);
  embed_ctx c = {.B = 3, .n = 4, .d = 5};
  size_t nx = (size_t)c.B * c.n * c.d, npos = (size_t)(c.n + 1) * c.d, ny = c.B * npos;
  c.x = gc_random(&r, nx, 1), c.cls = gc_random(&r, c.d, 1), c.pos = gc_random(&r, npos, 1);
  c.out = gc_zeros(ny), c.dout = gc_random(&r, ny, 1);
  embed_loss(&c);
  ck_assert_float_eq(c.out[(size_t)2 * npos + 3], c.cls[3] + c.pos[3]);
  float *dx = gc_zeros(nx), *dcls = gc_zeros(c.d), *dpos = gc_zeros(npos);
  ref_embed_backward(dx, dcls, dpos, c.dout, c.B, c.n, c.d);
  ck_assert_double_le(gc_relative_error(embed_loss, &c, c.x, dx, nx, H), 1e-5);
  ck_assert_double_le(gc_relative_error(embed_loss, &c, c.cls, dcls, c.d, H), 1e-5);
  ck_assert_double_le(gc_relative_error(embed_loss, &c, c.pos, dpos, npos, H), 1e-5);
  free(c.x), free(c.cls), free(c.pos), free(c.out), free(c.dout), free(dx), free(dcls);
  free(dpos);
}
END_TEST

/* ---- softmax ------------------------------------------------------------------- */

typedef struct {
  float *x, *out, *dout;
  int rows, C;
} softmax_ctx;

static double softmax_loss(void *p) {
  softmax_ctx *c = p;
  ref_softmax_forward(c->out, c->x, c->rows, c->C);
  return gc_dot(c->dout, c->out, (size_t)c->rows * c->C);
}

START_TEST(softmax_rows_and_gradient) {
  crt_rng r = gc_seeded(17);
  softmax_ctx c = {.rows = 3, .C = 9};
  size_t n = (size_t)c.rows * c.C;
  c.x = gc_random(&r, n, 3), c.out = gc_zeros(n), c.dout = gc_random(&r, n, 1);
  c.x[0] = 100.0f;   /* large logits must not overflow */
  softmax_loss(&c);
  for (int i = 0; i < c.rows; i++) {
    double sum = 0;
    for (int j = 0; j < c.C; j++) sum += c.out[i * c.C + j];
    ck_assert_double_eq_tol(sum, 1.0, 1e-6);
  }
  float *dx = gc_zeros(n);
  ref_softmax_backward(dx, c.dout, c.out, c.rows, c.C);
  ck_assert_double_le(gc_relative_error(softmax_loss, &c, c.x, dx, n, H), TOL);
  free(c.x), free(c.out), free(c.dout), free(dx);
}
END_TEST

/* ---- residual and pooling ----------------------------------------------------- */

typedef struct {
  float *a, *b, *out, *dout;
  size_t n;
} residual_ctx;

static double residual_loss(void *p) {
  residual_ctx *c = p;
  ref_residual_forward(c->out, c->a, c->b, c->n);
  return gc_dot(c->dout, c->out, c->n);
}

START_TEST(residual_gradient) {
  crt_rng r = gc_seeded(19);
  residual_ctx c = {.n = 12};
  c.a = gc_random(&r, c.n, 1), c.b = gc_random(&r, c.n, 1), c.out = gc_zeros(c.n);
  c.dout = gc_random(&r, c.n, 1);
  residual_loss(&c);
  float *da = gc_zeros(c.n), *db = gc_zeros(c.n);
  ref_residual_backward(da, db, c.dout, c.n);
  ck_assert_double_le(gc_relative_error(residual_loss, &c, c.a, da, c.n, H), 1e-5);
  ck_assert_double_le(gc_relative_error(residual_loss, &c, c.b, db, c.n, H), 1e-5);
  free(c.a), free(c.b), free(c.out), free(c.dout), free(da), free(db);
}
END_TEST

typedef struct {
  float *x, *out, *dout;
  int B, N, d;
  ref_pool pool;
} pool_ctx;

static double pool_loss(void *p) {
  pool_ctx *c = p;
  ref_pool_forward(c->out, c->x, c->B, c->N, c->d, c->pool);
  return gc_dot(c->dout, c->out, (size_t)c->B * c->d);
}

START_TEST(pool_cls_and_mean_gradient) {
  crt_rng r = gc_seeded(23);
  pool_ctx c = {.B = 2, .N = 5, .d = 3};
  size_t nx = (size_t)c.B * c.N * c.d;
  c.x = gc_random(&r, nx, 1), c.out = gc_zeros((size_t)c.B * c.d);
  c.dout = gc_random(&r, (size_t)c.B * c.d, 1);
  for (int mode = 0; mode < 2; mode++) {
    c.pool = mode ? REF_POOL_MEAN : REF_POOL_CLS;
    pool_loss(&c);
    double want = mode ? (c.x[15] + c.x[18] + c.x[21] + c.x[24] + c.x[27]) / 5.0 : c.x[15];
    ck_assert_double_eq_tol(c.out[3], want, 1e-6);
    float *dx = gc_zeros(nx);
    ref_pool_backward(dx, c.dout, c.B, c.N, c.d, c.pool);
    ck_assert_double_le(gc_relative_error(pool_loss, &c, c.x, dx, nx, H), 1e-5);
    free(dx);
  }
  free(c.x), free(c.out), free(c.dout);
}
END_TEST

int main(void) {
  Suite *s = suite_create("reference kernels: building blocks");
  TCase *tc = tcase_create("kernels");
  tcase_add_test(tc, gemm_matches_definition);
  tcase_add_test(tc, patchify_order_and_gradient);
  tcase_add_test(tc, layernorm_statistics_and_gradient);
  tcase_add_test(tc, linear_gradient_with_and_without_bias);
  tcase_add_test(tc, embed_gradient);
  tcase_add_test(tc, softmax_rows_and_gradient);
  tcase_add_test(tc, residual_gradient);
  tcase_add_test(tc, pool_cls_and_mean_gradient);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
