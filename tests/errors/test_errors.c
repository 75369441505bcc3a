/* Runs the frontend in-process on every tests/errors/NAME.crate and compares
 * the whole diagnostic text with NAME.expected, byte for byte. */
#include <check.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "frontend.h"
#include "run_suite.h"

static char **names;   /* the .crate files, sorted */
static int count;

static int is_crate(const struct dirent *e) {
  size_t n = strlen(e->d_name);
  return n > 6 && strcmp(e->d_name + n - 6, ".crate") == 0;
}

static void collect(void) {
  struct dirent **list;
  count = scandir(ERRORS_DIR, &list, is_crate, alphasort);
  if (count < 0) count = 0;
  names = xcalloc((size_t)count + 1, sizeof *names);
  for (int i = 0; i < count; i++) {
    names[i] = xstrdup(list[i]->d_name);
    free(list[i]);
  }
  free(list);
}

static char *read_text(const char *path) {
  char *err = NULL;
  SourceFile *f = source_read(path, &err);
  if (!f) {
    free(err);
    return NULL;
  }
  char *text = xstrndup(f->text, f->len);
  source_free(f);
  return text;
}

/* What `cratec check NAME.crate` prints from inside tests/errors. */
static char *diagnose(const char *name) {
  char *path = xasprintf("%s/%s", ERRORS_DIR, name);
  char *err = NULL;
  SourceFile *src = source_read(path, &err);
  ck_assert_msg(src, "%s", err);
  free(src->path);
  src->path = xstrdup(name);

  char *out = NULL;
  size_t len = 0;
  FILE *stream = open_memstream(&out, &len);
  Diag d;
  diag_init(&d, stream);
  d.max_errors = 20;   /* the driver's default */
  Model *m = frontend_parse(src, &d);
  ck_assert_msg(m == NULL, "%s: accepted a bad file", name);
  ck_assert_int_gt(d.errors, 0);
  fclose(stream);
  source_free(src);
  free(path);
  return out;
}

START_TEST(test_expected_output) {
  const char *name = names[_i];
  char *expected_path = xasprintf("%s/%.*s.expected", ERRORS_DIR, (int)strlen(name) - 6, name);
  char *expected = read_text(expected_path);
  ck_assert_msg(expected, "missing %s", expected_path);
  char *actual = diagnose(name);
  ck_assert_msg(strcmp(actual, expected) == 0, "%s: diagnostics differ\n--- expected\n%s--- actual\n%s", name,
                expected, actual);
  free(actual);
  free(expected);
  free(expected_path);
}
END_TEST

START_TEST(test_enough_cases) { ck_assert_int_ge(count, 30); }
END_TEST

int main(void) {
  collect();
  Suite *s = suite_create("errors");
  TCase *tc = tcase_create("expected");
  tcase_add_test(tc, test_enough_cases);
  tcase_add_loop_test(tc, test_expected_output, 0, count);
  suite_add_tcase(s, tc);
  int status = run_suite(s);
  for (int i = 0; i < count; i++) free(names[i]);
  free(names);
  return status;
}
