/* gradcheck.h — test harness for the reference kernels: seeded random
 * tensors and central finite differences of a scalar loss. */
#ifndef REF_GRADCHECK_H
#define REF_GRADCHECK_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "cratert_host.h"
#include "run_suite.h"

/* The runtime's generator, seeded: one line per test. */
crt_rng gc_seeded(uint64_t seed);
/* A fresh buffer of N values uniform in [-SCALE, SCALE), or zeros. Both abort
 * the test (Check's ck_assert) when memory runs out. */
float *gc_random(crt_rng *r, size_t n, float scale);
float *gc_zeros(size_t n);

/* The scalar a check differentiates, recomputed from the current inputs. */
typedef double (*gc_loss_fn)(void *ctx);

/* Σ dout·out in double: the usual loss, whose gradient w.r.t. out is dout. */
double gc_dot(const float *dout, const float *out, size_t n);

/* ‖grad − fd‖ / ‖fd‖ where fd is the central difference of LOSS in each of
 * the N entries of X (perturbed by ±H in place and restored). */
double gc_relative_error(gc_loss_fn loss, void *ctx, float *x, const float *grad, size_t n,
                         float h);


/* ‖got − want‖ / ‖want‖ over N entries (‖got‖ when want is all zero). */
double gc_relative_norm_error(const float *got, const float *want, size_t n);

/* max |a − b| over N entries. */
double gc_max_abs_diff(const float *a, const float *b, size_t n);

#endif
