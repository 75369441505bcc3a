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

/* Prints the source line of LOC, then a caret line with '^' under the first
 * column and '~' under the rest of the span. Tabs in the line are echoed in
 * the caret line so the caret stays aligned in any terminal. Non-printable
 * bytes are shown as '?', which keeps binary input from corrupting the
 * terminal while preserving columns. */
static void print_snippet(FILE *out, SrcLoc loc) {
  const char *text = loc.file->text;
  const char *end = text + loc.file->len;
  const char *p = text;
  for (int line = 1; line < loc.line && p < end; p++)
    if (*p == '\n') line++;
  const char *eol = p;
  while (eol < end && *eol != '\n' && *eol != '\r') eol++;

  fputs("    ", out);
  for (const char *q = p; q < eol; q++) {
    unsigned char c = (unsigned char)*q;
    fputc(c == '\t' || (c >= 0x20 && c < 0x7f) || c >= 0x80 ? c : '?', out);
  }
  fputs("\n    ", out);
  int col = 1;
  for (const char *q = p; q < eol && col < loc.col; q++, col++) fputc(*q == '\t' ? '\t' : ' ', out);
  fputc('^', out);
  for (int i = 1; i < loc.len; i++) fputc('~', out);
  fputc('\n', out);
}

void diag_vat(Diag *d, DiagLevel level, SrcLoc loc, const char *fmt, va_list ap) {
  if (!counts_and_prints(d, level)) return;
  if (!loc.file) {
    fprintf(d->out, "cratec: %s: ", level_name[level]);
    vfprintf(d->out, fmt, ap);
    fputc('\n', d->out);
    return;
  }
  fprintf(d->out, "%s:%d:%d: %s: ", loc.file->path, loc.line, loc.col, level_name[level]);
  vfprintf(d->out, fmt, ap);
  fputc('\n', d->out);
  print_snippet(d->out, loc);
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
