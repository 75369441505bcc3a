/* cratert_hint.h — "did you mean" hints: the known word a mistyped one was
 * probably meant to be. cratec and the executables it builds suggest the
 * same corrections in the same words because both use this one definition;
 * it is inline (no library to link), so every layer of the compiler can use
 * it. */
#ifndef CRATERT_HINT_H
#define CRATERT_HINT_H

#include <stdio.h>
#include <string.h>

/* Levenshtein distance; B is cut at 255 characters (hints compare short words). */
static inline int crt_edit_distance(const char *a, const char *b) {
  size_t n = strlen(a), m = strlen(b);
  if (m > 255) m = 255;
  int row[256];
  for (size_t j = 0; j <= m; j++) row[j] = (int)j;
  for (size_t i = 1; i <= n; i++) {
    int diag = row[0];
    row[0] = (int)i;
    for (size_t j = 1; j <= m; j++) {
      int up = row[j];
      int best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[m];
}

/* The candidate (NULL-terminated list) close enough to WORD to be a likely
 * typo, or NULL. A typo is at most a third of the word away (one edit always
 * allowed): 'dim_heads' suggests 'dim_head', an unrelated word nothing. */
static inline const char *crt_closest_word(const char *word, const char *const *candidates) {
  int limit = (int)strlen(word) / 3;
  if (limit < 1) limit = 1;
  const char *best = NULL;
  int best_d = limit + 1;
  for (const char *const *c = candidates; *c; c++) {
    int d = crt_edit_distance(word, *c);
    if (d < best_d) {
      best_d = d;
      best = *c;
    }
  }
  return best;
}

/* The clause an "unknown ..." message ends with when a candidate is close
 * to WORD: "; did you mean 'CANDIDATE'?", or "" (test *result for a
 * fallback). Written into BUF, which is returned; CRT_HINT_SIZE holds any
 * candidate of a usable length. */
#define CRT_HINT_SIZE 320
static inline const char *crt_did_you_mean(char (*buf)[CRT_HINT_SIZE], const char *word,
                                           const char *const *candidates) {
  const char *hint = crt_closest_word(word, candidates);
  if (hint)
    snprintf(*buf, sizeof *buf, "; did you mean '%s'?", hint);
  else
    (*buf)[0] = '\0';
  return *buf;
}

#endif
