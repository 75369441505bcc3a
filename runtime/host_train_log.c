/* The train command's history of epochs and its CSV log. */
#include "host_train.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { FIXED_COLUMNS = 8 };
static const char *const fixed_names[FIXED_COLUMNS] = {
    "epoch", "step", "loss", "train_accuracy", "test_accuracy", "test_loss", "lr", "images_per_s"};

int history_add(train_history *h, const epoch_record *r, crt_error *e) {
  if (h->count == h->capacity) {
    int cap = h->capacity ? 2 * h->capacity : 16;
    epoch_record *rows = realloc(h->rows, (size_t)cap * sizeof *rows);
    if (!rows) return crt_fail(e, "out of memory for the training history");
    h->rows = rows, h->capacity = cap;
  }
  h->rows[h->count++] = *r;
  return 0;
}

void history_free(train_history *h) {
  for (int i = 0; i < h->count; i++) free(h->rows[i].rc), free(h->rows[i].nonzero);
  free(h->rows);
  memset(h, 0, sizeof *h);
}

static int columns(const train_history *h) {
  return FIXED_COLUMNS + (h->rates ? 2 * h->depth : 0);
}

int train_log_open(crt_metrics *m, const char *path, const train_history *h, crt_error *e) {
  int n = columns(h);
  const char **names = calloc((size_t)n + 1, sizeof *names);
  char (*storage)[32] = calloc((size_t)n, sizeof *storage);
  int rc = names && storage ? 0 : crt_fail(e, "out of memory");
  for (int i = 0; !rc && i < n; i++) {
    int l = (i - FIXED_COLUMNS) % (h->depth ? h->depth : 1);
    if (i < FIXED_COLUMNS)
      snprintf(storage[i], sizeof storage[i], "%s", fixed_names[i]);
    else
      snprintf(storage[i], sizeof storage[i], "%s_%d",
               i < FIXED_COLUMNS + h->depth ? "rc" : "nonzero", l);
    names[i] = storage[i];
  }
  if (!rc) rc = crt_metrics_open(m, path, names, e);
  free(names), free(storage);
  return rc;
}

int train_log_write(crt_metrics *m, const train_history *h, const epoch_record *r, crt_error *e) {
  double v[FIXED_COLUMNS + 2 * 256];
  if (h->depth > 256) return crt_fail(e, "--log-rate handles up to 256 layers");
  const double fixed[FIXED_COLUMNS] = {r->epoch,         r->step,      r->loss, r->train_accuracy,
                                       r->test_accuracy, r->test_loss, r->lr,   r->images_per_s};
  memcpy(v, fixed, sizeof fixed);
  for (int l = 0; h->rates && l < h->depth; l++)
    v[FIXED_COLUMNS + l] = r->rc[l], v[FIXED_COLUMNS + h->depth + l] = r->nonzero[l];
  return crt_metrics_write(m, v, e);
}

/* One data line: its numbers into R (the columns of train_log_open). */
static int parse_row(train_history *h, char *line, epoch_record *r, crt_error *e) {
  int n = columns(h);
  double v[FIXED_COLUMNS + 2 * 256];
  if (h->depth > 256) return crt_fail(e, "--log-rate handles up to 256 layers");
  char *p = line;
  for (int i = 0; i < n; i++) {
    char *end;
    v[i] = strtod(p, &end);
    if (end == p || (*end != ',' && i < n - 1)) return -1;
    p = end + 1;
  }
  *r = (epoch_record){v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], NULL, NULL};
  if (!h->rates) return 0;
  r->rc = malloc((size_t)h->depth * sizeof *r->rc);
  r->nonzero = malloc((size_t)h->depth * sizeof *r->nonzero);
  if (!r->rc || !r->nonzero) {
    free(r->rc), free(r->nonzero);
    return crt_fail(e, "out of memory");
  }
  for (int l = 0; l < h->depth; l++)
    r->rc[l] = v[FIXED_COLUMNS + l], r->nonzero[l] = v[FIXED_COLUMNS + h->depth + l];
  return 0;
}

int train_log_read(train_history *h, const char *path, crt_error *e) {
  if (access(path, F_OK) != 0) return 0;
  int fd = crt_open_regular(path, O_RDONLY, e);
  FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
  if (!f) {
    if (fd >= 0) close(fd);
    return fd >= 0 ? crt_fail(e, "%s: cannot read: %s", path, strerror(errno)) : -1;
  }
  char *line = NULL;
  size_t cap = 0;
  int rc = 0, lineno = 0;
  while (!rc && getline(&line, &cap, f) > 0) {
    epoch_record r;
    if (++lineno == 1) continue;   /* the header: crt_metrics_open checks it */
    if (parse_row(h, line, &r, e))
      rc = crt_fail(e, "%s:%d: not a row of this run's log", path, lineno);
    else
      rc = history_add(h, &r, e);
  }
  free(line);
  fclose(f);
  return rc;
}
