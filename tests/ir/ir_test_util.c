#include "ir_test_util.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

Model *load_model(const char *relpath) {
  char *path = xasprintf("%s/%s", CRATEC_SOURCE_DIR, relpath);
  char *err = NULL;
  SourceFile *src = source_read(path, &err);
  ck_assert_msg(src, "%s: %s", path, err);
  Diag d;
  diag_init(&d, stderr);
  Model *m = frontend_parse(src, &d);
  ck_assert_msg(m, "%s does not check", path);
  source_free(src);
  free(path);
  return m;
}

Graph *build_model_graph(const char *relpath) {
  Model *m = load_model(relpath);
  Diag d;
  diag_init(&d, stderr);
  Graph *g = model_inference_graph(m, &d);
  model_free(m);
  ck_assert_msg(g, "%s does not build", relpath);
  return g;
}

char *read_file(const char *path) {
  char *err = NULL;
  SourceFile *f = source_read(path, &err);
  ck_assert_msg(f, "%s", err);
  char *text = xstrdup(f->text);
  source_free(f);
  return text;
}

void capture_begin(Captured *c) {
  c->buf = NULL;
  c->size = 0;
  c->f = open_memstream(&c->buf, &c->size);
  diag_init(&c->d, c->f);
}

const char *capture_text(Captured *c) {
  fflush(c->f);
  return c->buf ? c->buf : "";
}

void capture_end(Captured *c) {
  fclose(c->f);
  free(c->buf);
}

Graph *parse_text(const char *text, Captured *c) {
  SourceFile *src = source_from_string("test.ir", text, strlen(text));
  Graph *g = ir_parse(src, &c->d);
  source_free(src);
  return g;
}

/* examples/NAME.crate and tests/data/CASE/model.crate, found at run time so a
 * new example is covered without touching the tests. */
const char *const *all_models(void) {
  static VEC(char *) models;
  if (models.len) return (const char *const *)models.items;
  const char *dirs[] = {"examples", "tests/data"};
  for (int i = 0; i < 2; i++) {
    char *path = xasprintf("%s/%s", CRATEC_SOURCE_DIR, dirs[i]);
    DIR *dir = opendir(path);
    ck_assert_msg(dir, "cannot list %s", path);
    for (struct dirent *e; (e = readdir(dir));) {
      size_t n = strlen(e->d_name);
      if (i == 0 && n > 6 && strcmp(e->d_name + n - 6, ".crate") == 0)
        vec_push(&models, xasprintf("examples/%s", e->d_name));
      if (i == 1 && e->d_name[0] != '.' && strcmp(e->d_name, "README.md") != 0)
        vec_push(&models, xasprintf("tests/data/%s/model.crate", e->d_name));
    }
    closedir(dir);
    free(path);
  }
  vec_push(&models, NULL);
  return (const char *const *)models.items;
}
