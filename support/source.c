#include "support.h"

#include "cratert_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

SourceFile *source_from_string(const char *path, const char *text, size_t len) {
  /* A UTF-8 byte-order mark is not part of the program. */
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
    text += 3;
    len -= 3;
  }
  SourceFile *f = xcalloc(1, sizeof *f);
  f->path = xstrdup(path);
  f->text = xstrndup(text, len);
  f->len = len;
  return f;
}

SourceFile *source_read(const char *path, char **err) {
  FILE *fp = stdin;
  if (strcmp(path, "-") != 0) {
    crt_error e;
    int fd = crt_open_regular(path, O_RDONLY, &e);
    if (fd >= 0 && !(fp = fdopen(fd, "rb"))) {
      crt_fail(&e, "%s: cannot open: %s", path, strerror(errno));
      close(fd);
    }
    if (fd < 0 || !fp) {
      *err = xstrdup(e.msg);
      return NULL;
    }
  }
  StrBuf sb = {0};
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
    if (sb.len + n > CRATEC_MAX_SOURCE) {
      *err = xasprintf("'%s' is larger than %u bytes; is it really a .crate file?", path,
                       CRATEC_MAX_SOURCE);
      if (fp != stdin) fclose(fp);
      sb_free(&sb);
      return NULL;
    }
    sb_appendn(&sb, chunk, n);
  }
  bool failed = ferror(fp);
  if (fp != stdin) fclose(fp);
  if (failed) {
    *err = xasprintf("cannot read '%s'", path);
    sb_free(&sb);
    return NULL;
  }
  SourceFile *f = source_from_string(path, sb.data ? sb.data : "", sb.len);
  sb_free(&sb);
  return f;
}

void source_free(SourceFile *f) {
  if (!f) return;
  free(f->path);
  free(f->text);
  free(f);
}
