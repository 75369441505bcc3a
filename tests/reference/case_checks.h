/* case_checks.h — comparisons of the plain model against a reference case,
 * shared by the small cases and CRATE-Tiny. Each prints what it measured
 * (ctest -V shows it) and fails the running Check test when out of bounds. */
#ifndef REF_CASE_CHECKS_H
#define REF_CASE_CHECKS_H

#include "case_model.h"

/* max |got − F[name]| over COUNT values, asserted ≤ TOL; returns it. */
double check_max_abs(const crt_st_file *f, const char *name, const float *got, size_t count,
                     double tol);
/* ‖got − F[name]‖ / ‖F[name]‖, asserted ≤ TOL; returns it. */
double check_relative(const crt_st_file *f, const char *name, const float *got, size_t count,
                      double tol);
/* Every layer's entry of meta.json's measurements_per_layer, recomputed from
 * the model's activations, within relative error TOL (NaN matches NaN). */
void check_measurements(const ref_case *c, double tol);

#endif
