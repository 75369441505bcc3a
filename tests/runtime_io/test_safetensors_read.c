/* Reading real safetensors files: the micro reference case's weights, looked
 * up by name (with and without the DataParallel "module." prefix) and loaded
 * into float buffers. */
#include "cratert_host.h"
#include "run_suite.h"
#include "scratch.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MICRO_WEIGHTS CRATEC_TEST_DATA "/micro/weights.safetensors"

static float first_f32(const crt_tensor *t) {
  float v;
  memcpy(&v, t->data, sizeof v);
  return v;
}

static float last_f32(const crt_tensor *t) {
  float v;
  memcpy(&v, (const unsigned char *)t->data + t->nbytes - sizeof v, sizeof v);
  return v;
}

START_TEST(micro_weights_shapes_and_values) {
  crt_error e = {{0}};
  crt_st_file *f = crt_st_open(MICRO_WEIGHTS, &e);
  ck_assert_msg(f, "%s", e.msg);
  ck_assert_int_eq(crt_st_count(f), 28);
  ck_assert_str_eq(crt_st_path(f), MICRO_WEIGHTS);
  ck_assert_str_eq(crt_st_metadata(f, "format"), "crate-oracle-case-v1");
  ck_assert_ptr_null(crt_st_metadata(f, "nothing"));

  const crt_tensor *cls = crt_st_find(f, "cls_token");
  ck_assert_ptr_nonnull(cls);
  ck_assert_int_eq(cls->dtype, CRT_F32);
  ck_assert_int_eq(cls->rank, 3);
  ck_assert_int_eq(cls->shape[0], 1);
  ck_assert_int_eq(cls->shape[1], 1);
  ck_assert_int_eq(cls->shape[2], 64);
  ck_assert_uint_eq(cls->nbytes, 64 * sizeof(float));
  /* Values read with Python's struct module from the same file. */
  ck_assert_float_eq(first_f32(cls), (float)-0.6944772601127625);
  ck_assert_float_eq(last_f32(cls), (float)0.6374595761299133);

  const crt_tensor *fn = crt_st_find(f, "transformer.layers.1.1.fn.weight");
  ck_assert_ptr_nonnull(fn);
  ck_assert_int_eq(fn->rank, 2);
  ck_assert_int_eq(fn->shape[0], 64);
  ck_assert_int_eq(fn->shape[1], 64);
  ck_assert_float_eq(first_f32(fn), (float)-0.03976226970553398);
  ck_assert_float_eq(last_f32(fn), (float)-0.29381024837493896);

  const crt_tensor *bias = crt_st_find(f, "mlp_head.1.bias");
  ck_assert_int_eq(bias->rank, 1);
  ck_assert_int_eq(bias->shape[0], 10);
  ck_assert_float_eq(last_f32(bias), (float)0.0812305212020874);

  ck_assert_ptr_null(crt_st_find(f, "cls"));
  ck_assert_ptr_eq(crt_st_at(f, 1), cls);   /* the file's order is kept */
  ck_assert_ptr_null(crt_st_at(f, 28));
  ck_assert_ptr_null(crt_st_at(f, -1));
  crt_st_close(f);
}
END_TEST

START_TEST(input_holds_i64_labels) {
  crt_error e = {{0}};
  crt_st_file *f = crt_st_open(CRATEC_TEST_DATA "/micro/input.safetensors", &e);
  ck_assert_msg(f, "%s", e.msg);
  const crt_tensor *labels = crt_st_find(f, "labels");
  ck_assert_int_eq(labels->dtype, CRT_I64);
  ck_assert_int_eq(labels->rank, 1);
  ck_assert_int_eq(labels->shape[0], 2);
  const crt_tensor *images = crt_st_find(f, "images");
  ck_assert_int_eq(images->rank, 4);
  ck_assert_uint_eq(images->nbytes, 2 * 3 * 32 * 32 * sizeof(float));
  crt_st_close(f);
}
END_TEST

/* Specs taken from the file itself: what a model of exactly this shape declares. */
typedef struct {
  crt_param_spec *specs;
  float **dst;
  int n;
} model_buffers;

static model_buffers buffers_for(const crt_st_file *f) {
  model_buffers m = {.n = crt_st_count(f)};
  m.specs = calloc((size_t)m.n, sizeof *m.specs);
  m.dst = calloc((size_t)m.n, sizeof *m.dst);
  for (int i = 0; i < m.n; i++) {
    const crt_tensor *t = crt_st_at(f, i);
    m.specs[i].key = t->name;
    m.specs[i].rank = t->rank;
    memcpy(m.specs[i].shape, t->shape, (size_t)t->rank * sizeof t->shape[0]);
    m.dst[i] = calloc(t->nbytes / sizeof(float) + 1, sizeof(float));
  }
  return m;
}

static void free_buffers(model_buffers *m) {
  for (int i = 0; i < m->n; i++) free(m->dst[i]);
  free(m->dst);
  free(m->specs);
}

START_TEST(load_copies_every_parameter) {
  crt_error e = {{0}};
  crt_st_file *f = crt_st_open(MICRO_WEIGHTS, &e);
  ck_assert_msg(f, "%s", e.msg);
  model_buffers m = buffers_for(f);
  ck_assert_msg(crt_st_load_f32(f, m.specs, m.n, m.dst, &e) == 0, "%s", e.msg);
  for (int i = 0; i < m.n; i++) {
    const crt_tensor *t = crt_st_at(f, i);
    ck_assert_int_eq(memcmp(m.dst[i], t->data, t->nbytes), 0);
  }
  free_buffers(&m);
  crt_st_close(f);
}
END_TEST

START_TEST(load_names_what_is_wrong) {
  crt_error e = {{0}};
  crt_st_file *f = crt_st_open(MICRO_WEIGHTS, &e);
  ck_assert_msg(f, "%s", e.msg);
  model_buffers m = buffers_for(f);
  int fn = 15;   /* transformer.layers.0.1.fn.weight (64, 64) */
  ck_assert_str_eq(m.specs[fn].key, "transformer.layers.0.1.fn.weight");

  m.specs[fn].shape[1] = 32;
  ck_assert_int_eq(crt_st_load_f32(f, m.specs, m.n, m.dst, &e), -1);
  ck_assert_str_eq(e.msg, MICRO_WEIGHTS ": tensor 'transformer.layers.0.1.fn.weight': "
                          "expected shape (64, 32), found (64, 64)");
  m.specs[fn].shape[1] = 64;

  m.specs[fn].key = "transformer.layers.0.1.fn.weights";
  ck_assert_int_eq(crt_st_load_f32(f, m.specs, m.n, m.dst, &e), -1);
  ck_assert_str_eq(e.msg, MICRO_WEIGHTS ": missing tensor 'transformer.layers.0.1.fn.weights'");
  m.specs[fn].key = "transformer.layers.0.1.fn.weight";

  /* The model declares one parameter fewer than the file holds. */
  ck_assert_int_eq(crt_st_load_f32(f, m.specs + 1, m.n - 1, m.dst + 1, &e), -1);
  ck_assert_str_eq(e.msg, MICRO_WEIGHTS ": unknown tensor 'pos_embedding' "
                          "(the model has no parameter of that name)");
  free_buffers(&m);
  crt_st_close(f);
}
END_TEST

/* Another program truncating the file after it was opened (`cp new.st
 * w.st` during a run) cannot take the tensors away: no SIGBUS, and the
 * bytes are the ones the file held when opened. */
START_TEST(open_file_survives_truncation) {
  size_t size;
  unsigned char *original = scratch_read(MICRO_WEIGHTS, &size);
  const char *dir = scratch_dir();
  char path[512];
  scratch_write(scratch_path(path, sizeof path, dir, "w.safetensors"), original, size);
  crt_error e = {{0}};
  crt_st_file *f = crt_st_open(path, &e);
  ck_assert_msg(f, "%s", e.msg);
  ck_assert_int_eq(truncate(path, 0), 0);
  model_buffers m = buffers_for(f);
  ck_assert_msg(crt_st_load_f32(f, m.specs, m.n, m.dst, &e) == 0, "%s", e.msg);
  crt_st_file *reference = crt_st_open(MICRO_WEIGHTS, &e);
  for (int i = 0; i < m.n; i++)
    ck_assert_mem_eq(m.dst[i], crt_st_at(reference, i)->data, crt_st_at(reference, i)->nbytes);
  crt_st_close(reference);
  free_buffers(&m);
  crt_st_close(f);
  free(original);
  scratch_remove(dir);
}
END_TEST

/* NaN and infinity are found wherever they sit (any alignment, any block),
 * refused on load naming the tensor and the element, before anything is
 * copied, and let through only when allowed. */
START_TEST(nonfinite_values_are_refused) {
  enum { N = 3000 };
  static unsigned char bytes[4 * N + 1];
  float *x = calloc(N, sizeof *x);
  ck_assert_uint_eq(crt_find_nonfinite(x, N), N);
  static const float bad[] = {NAN, INFINITY, -INFINITY};
  for (int k = 0; k < 3; k++)
    for (size_t at = 0; at < N; at += 1021) {
      x[at] = bad[k];
      memcpy(bytes + 1, x, 4 * N);
      ck_assert_uint_eq(crt_find_nonfinite(bytes + 1, N), at);
      x[at] = 0.0f;
    }
  x[2500] = -INFINITY;
  const char *dir = scratch_dir();
  char path[512];
  scratch_path(path, sizeof path, dir, "w.safetensors");
  crt_tensor t = {"x", CRT_F32, 1, {N}, x, sizeof(float) * N};
  crt_error e = {{0}};
  ck_assert_msg(crt_st_write(path, &t, 1, NULL, &e) == 0, "%s", e.msg);
  crt_st_file *f = crt_st_open(path, &e);
  ck_assert_msg(f, "%s", e.msg);
  const crt_param_spec spec = {"x", 1, {N}};
  float *dst = calloc(N, sizeof *dst);
  ck_assert_int_eq(crt_st_load_f32(f, &spec, 1, &dst, &e), -1);
  ck_assert_msg(strstr(e.msg, path) && strstr(e.msg, "tensor 'x' holds -inf at element 2500"), "%s",
                e.msg);
  ck_assert_float_eq(dst[0], 0.0f);
  crt_allow_nonfinite(true);
  ck_assert_msg(crt_st_load_f32(f, &spec, 1, &dst, &e) == 0, "%s", e.msg);
  crt_allow_nonfinite(false);
  ck_assert(isinf(dst[2500]));
  crt_st_close(f);
  free(x), free(dst);
  scratch_remove(dir);
}
END_TEST

int main(void) {
  Suite *s = suite_create("safetensors_read");
  TCase *tc = tcase_create("read");
  tcase_add_test(tc, micro_weights_shapes_and_values);
  tcase_add_test(tc, input_holds_i64_labels);
  tcase_add_test(tc, load_copies_every_parameter);
  tcase_add_test(tc, load_names_what_is_wrong);
  tcase_add_test(tc, open_file_survives_truncation);
  tcase_add_test(tc, nonfinite_values_are_refused);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
