#include "build_test.h"

#include <check.h>
#include <math.h>

#include "case_io.h"

float *bt_tensor(const char *file, const char *name, size_t count) {
  crt_error e;
  crt_st_file *f = crt_st_open(file, &e);
  ck_assert_msg(f != NULL, "%s", e.msg);
  float *t = case_tensor(f, name, CRT_F32, count, &e);
  ck_assert_msg(t != NULL, "%s", e.msg);
  crt_st_close(f);
  return t;
}

void bt_assert_close(const float *got, const float *want, size_t n, float tol, const char *what) {
  for (size_t i = 0; i < n; i++)
    ck_assert_msg(fabsf(got[i] - want[i]) <= tol * (1 + fabsf(want[i])), "%s[%zu]: got %.7g, expected %.7g", what, i,
                  got[i], want[i]);
}
