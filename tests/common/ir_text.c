#include "ir_text.h"

#include <check.h>
#include <string.h>

Graph *test_parse_ir(const char *name, const char *text) {
  SourceFile *src = source_from_string(name, text, strlen(text));
  Diag d;
  diag_init(&d, stderr);
  Graph *g = ir_parse(src, &d);
  ck_assert_msg(g != NULL, "%s does not parse", name);
  ck_assert_msg(ir_verify(g, &d), "%s does not verify", name);
  source_free(src);
  return g;
}
