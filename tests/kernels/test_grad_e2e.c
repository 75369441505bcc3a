/* Training executables end to end: `cratec build` of the micro and custom
 * cases at -O1 and -O2 (mssa_grad, ista_grad and the fused forward ops),
 * `exe grad`, and every gradient against PyTorch's within 1e-3 of the
 * tensor's largest magnitude. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cratert_host.h"
#include "run_suite.h"

static void sh(const char *cmd) { ck_assert_msg(system(cmd) == 0, "failed: %s", cmd); }

static crt_st_file *open_st(const char *path) {
  crt_error e;
  crt_st_file *f = crt_st_open(path, &e);
  ck_assert_msg(f != NULL, "%s", e.msg);
  return f;
}

/* max |got − want| / max |want| over the tensor */
static double rel_error(const crt_tensor *want, const crt_tensor *got) {
  ck_assert_msg(got->dtype == CRT_F32 && got->nbytes == want->nbytes, "%s: shape or dtype differs", want->name);
  const float *w = want->data, *g = got->data;
  double err = 0, scale = 0;
  for (size_t i = 0; i < want->nbytes / 4; i++) {
    err = fmax(err, fabs((double)g[i] - w[i]));
    scale = fmax(scale, fabs((double)w[i]));
  }
  return scale > 0 ? err / scale : err;
}

static void check_case(const char *name, const char *flags) {
  char dir[] = "/tmp/cratec_grad_e2e_XXXXXX", cmd[2048], out[128];
  ck_assert_ptr_nonnull(mkdtemp(dir));
  const char *data = CRATEC_TEST_DATA;
  snprintf(cmd, sizeof cmd, "'%s' build '%s/%s/model.crate' %s -o '%s/exe'", CRATEC_PROGRAM, data, name, flags, dir);
  sh(cmd);
  snprintf(out, sizeof out, "%s/grads.safetensors", dir);
  snprintf(cmd, sizeof cmd, "'%s/exe' grad --weights '%s/%s/weights.safetensors' --input '%s/%s/input.safetensors' --output '%s'",
           dir, data, name, data, name, out);
  sh(cmd);
  snprintf(cmd, sizeof cmd, "%s/%s/grads.safetensors", data, name);
  crt_st_file *want = open_st(cmd), *got = open_st(out);
  ck_assert_int_gt(crt_st_count(want), 0);
  for (int i = 0; i < crt_st_count(want); i++) {
    const crt_tensor *w = crt_st_at(want, i), *g = crt_st_find(got, w->name);
    ck_assert_msg(g != NULL, "%s %s: no gradient %s", name, flags, w->name);
    double err = rel_error(w, g);
    ck_assert_msg(err <= 1e-3, "%s %s: gradient %s off by %.3g of its scale", name, flags, w->name, err);
  }
  crt_st_close(want);
  crt_st_close(got);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  sh(cmd);
}

static const char *const cases[] = {"micro", "custom"};

START_TEST(llvm_o2) { check_case(cases[_i], "-O2"); }
END_TEST
START_TEST(c_o1) { check_case(cases[_i], "-O1 --backend c"); }
END_TEST

int main(void) {
  Suite *s = suite_create("grad kernels end to end");
  TCase *tc = tcase_create("cases");
  tcase_set_timeout(tc, 600);
  tcase_add_loop_test(tc, llvm_o2, 0, 2);
  tcase_add_loop_test(tc, c_o1, 0, 2);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
