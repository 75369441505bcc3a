#include "helpers.h"

#include <stdlib.h>
#include <string.h>

Model *parse_bytes(const char *text, size_t len, char **diagnostics) {
  SourceFile *src = source_from_string("test.crate", text, len);
  char *out = NULL;
  size_t out_len = 0;
  FILE *stream = open_memstream(&out, &out_len);
  Diag d;
  diag_init(&d, stream);
  d.max_errors = 20;
  Model *m = frontend_parse(src, &d);
  fclose(stream);
  source_free(src);
  if (diagnostics)
    *diagnostics = out;
  else
    free(out);
  return m;
}

Model *parse_text(const char *text, char **diagnostics) { return parse_bytes(text, strlen(text), diagnostics); }

Model *parse_source_file(const char *relative_path) {
  char *path = xasprintf("%s/%s", SOURCE_DIR, relative_path);
  char *err = NULL;
  SourceFile *src = source_read(path, &err);
  ck_assert_msg(src, "%s", err);
  char *diagnostics;
  Model *m = parse_bytes(src->text, src->len, &diagnostics);
  ck_assert_msg(m, "%s:\n%s", relative_path, diagnostics);
  ck_assert_str_eq(diagnostics, "");
  free(diagnostics);
  source_free(src);
  free(path);
  return m;
}
