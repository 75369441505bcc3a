/* support.h — what every compiler layer shares: memory, strings, growable
 * arrays, source files and diagnostics.
 *
 * The runtime (libcratert) does not use this: generated code must link with
 * the runtime alone. This uses of the runtime only its files module
 * (cratert_files.h: a source is read as the runtime reads any input, regular
 * files only), so the compiler's base stays free of the runtime's libraries. */
#ifndef CRATEC_SUPPORT_H
#define CRATEC_SUPPORT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CRATEC_VERSION "0.1.0"

/* ---- memory: allocation failure is fatal in the compiler ---------------- */

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- growable arrays: VEC(int) v = {0}; vec_push(&v, 3); ---------------- */

#define VEC(T) struct { T *items; int len, cap; }
#define vec_push(v, x)                                                        \
  do {                                                                        \
    if ((v)->len == (v)->cap) {                                               \
      (v)->cap = (v)->cap ? 2 * (v)->cap : 8;                                 \
      (v)->items = xrealloc((v)->items, (size_t)(v)->cap * sizeof *(v)->items); \
    }                                                                         \
    (v)->items[(v)->len++] = (x);                                             \
  } while (0)
#define vec_free(v) (free((v)->items), (v)->items = NULL, (v)->len = (v)->cap = 0)

/* ---- string builder ------------------------------------------------------ */

typedef struct StrBuf {
  char *data;   /* always NUL-terminated once anything was appended */
  size_t len, cap;
} StrBuf;

void sb_append(StrBuf *sb, const char *s);
void sb_appendn(StrBuf *sb, const char *s, size_t n);
void sb_printf(StrBuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(StrBuf *sb, const char *fmt, va_list ap);
char *sb_take(StrBuf *sb);   /* returns the string (never NULL) and resets sb */
void sb_free(StrBuf *sb);

/* ---- source files -------------------------------------------------------- */

/* A file loaded for diagnostics: the text is kept whole so a diagnostic can
 * print the offending line. A UTF-8 BOM is stripped; CRLF is left in the
 * text (the lexer treats '\r' as blank) and never printed back. */
typedef struct SourceFile {
  char *path;
  char *text;       /* NUL-terminated */
  size_t len;
} SourceFile;

/* Reads PATH ("-" is stdin). Files larger than CRATEC_MAX_SOURCE bytes or
 * unreadable files return NULL with *err set to a message to print. */
#define CRATEC_MAX_SOURCE (4u << 20)
SourceFile *source_read(const char *path, char **err);
SourceFile *source_from_string(const char *path, const char *text, size_t len);
void source_free(SourceFile *f);

/* A span in a source file: 1-based line and column (column counts bytes,
 * a tab counts as one), len >= 1 columns to underline. */
typedef struct SrcLoc {
  const SourceFile *file;
  int line, col, len;
} SrcLoc;

/* ---- diagnostics ----------------------------------------------------------
 *
 * Printed as compilers do:
 *
 *   model.crate:4:21: error: unknown argument 'dim_heads' to 'mssa'
 *       mssa(heads = 6, dim_heads = 64)
 *                       ^~~~~~~~~
 *   model.crate:4:21: note: did you mean 'dim_head'?
 *
 * Without a location: "cratec: error: message". */
typedef enum { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE } DiagLevel;

typedef struct Diag {
  FILE *out;        /* where messages go (stderr in the driver, memstreams in tests) */
  int errors;
  int warnings;
  int max_errors;   /* stop printing after this many errors (0 = no limit) */
} Diag;

void diag_init(Diag *d, FILE *out);
void diag_at(Diag *d, DiagLevel level, SrcLoc loc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void diag_vat(Diag *d, DiagLevel level, SrcLoc loc, const char *fmt, va_list ap);
void diag(Diag *d, DiagLevel level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
