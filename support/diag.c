/* Diagnostics in the format of GCC and Clang, so editors and users already
 * know how to read them. */
#include "support.h"

#include <string.h>

static const char *level_name[] = {"error", "warning", "note"};

void diag_init(Diag *d, FILE *out) {
  memset(d, 0, sizeof *d);
  d->out = out;
}

static bool counts_and_prints(Diag *d, DiagLevel level) {
  if (level == DIAG_ERROR) d->errors++;
  if (level == DIAG_WARNING) d->warnings++;
  return !(d->max_errors && d->errors > d->max_errors);
}

/* Source columns shown of a longer line: a window around the caret, as
 * Clang shows one, so a megabyte-long line prints as one screen line. */
enum { SNIPPET_WIDTH = 100 };

static void put_shown(StrBuf *sb, const char *from, const char *to) {
  for (const char *q = from; q < to; q++) {
    unsigned char c = (unsigned char)*q;
    char shown = c == '\t' || (c >= 0x20 && c < 0x7f) || c >= 0x80 ? (char)c : '?';
    sb_appendn(sb, &shown, 1);
  }
}

/* The source line of LOC, then a caret line with '^' under the first
 * column and '~' under the rest of the span. Tabs in the line are echoed in
 * the caret line so the caret stays aligned in any terminal. Non-printable
 * bytes are shown as '?', which keeps binary input from corrupting the
 * terminal while preserving columns. A line longer than SNIPPET_WIDTH is
 * cut to that many columns around the caret, "..." marking each cut. */
static void put_snippet(StrBuf *sb, SrcLoc loc) {
  const char *text = loc.file->text;
  const char *end = text + loc.file->len;
  const char *p = text;
  for (int line = 1; line < loc.line && p < end; p++)
    if (*p == '\n') line++;
  const char *eol = p;
  while (eol < end && *eol != '\n' && *eol != '\r') eol++;
  const char *caret = p + (loc.col - 1 < eol - p ? loc.col - 1 : eol - p);
  const char *from = p, *to = eol;
  if (eol - p > SNIPPET_WIDTH) {   /* a third of the window before the caret */
    from = caret - SNIPPET_WIDTH / 3 > p ? caret - SNIPPET_WIDTH / 3 : p;
    if (from > eol - SNIPPET_WIDTH) from = eol - SNIPPET_WIDTH;
    to = from + SNIPPET_WIDTH;
  }
  const char *cut_before = from > p ? "..." : "";
  sb_printf(sb, "    %s", cut_before);
  put_shown(sb, from, to);
  sb_printf(sb, "%s\n    %s", to < eol ? "..." : "", cut_before[0] ? "   " : "");
  for (const char *q = from; q < caret; q++) sb_append(sb, *q == '\t' ? "\t" : " ");
  sb_append(sb, "^");
  for (int i = 1; i < loc.len && caret + i < to; i++) sb_append(sb, "~");
  sb_append(sb, "\n");
}

/* Each diagnostic is built whole and written at once: stderr is
 * unbuffered, and byte-by-byte output cost one system call per byte. */
void diag_vat(Diag *d, DiagLevel level, SrcLoc loc, const char *fmt, va_list ap) {
  if (!counts_and_prints(d, level)) return;
  StrBuf sb = {0};
  if (loc.file)
    sb_printf(&sb, "%s:%d:%d: %s: ", loc.file->path, loc.line, loc.col, level_name[level]);
  else
    sb_printf(&sb, "cratec: %s: ", level_name[level]);
  sb_vprintf(&sb, fmt, ap);
  sb_append(&sb, "\n");
  if (loc.file) put_snippet(&sb, loc);
  fwrite(sb.data, 1, sb.len, d->out);
  sb_free(&sb);
}

void diag_at(Diag *d, DiagLevel level, SrcLoc loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  diag_vat(d, level, loc, fmt, ap);
  va_end(ap);
}

void diag(Diag *d, DiagLevel level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  diag_vat(d, level, (SrcLoc){0}, fmt, ap);
  va_end(ap);
}
