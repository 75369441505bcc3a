/* The CSV metrics log: a header naming the columns, then rows of numbers,
 * each flushed as soon as it is written. */
#include "cratert_host.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int check_columns(const char *path, const char *const *columns, crt_error *e) {
  if (!columns || !columns[0]) return crt_fail(e, "%s: a metrics log needs columns", path);
  for (const char *const *c = columns; *c; c++)
    if (!**c || strpbrk(*c, ",\"\r\n"))
      return crt_fail(e, "%s: column name '%s' must be non-empty, without commas, quotes or "
                      "line breaks", path, *c);
  return 0;
}

/* "epoch,step,loss" */
static char *header_line(const char *const *columns) {
  size_t size = 1;
  for (const char *const *c = columns; *c; c++) size += strlen(*c) + 1;
  char *line = malloc(size);
  if (!line) return NULL;
  line[0] = '\0';
  for (const char *const *c = columns; *c; c++) {
    if (c != columns) strcat(line, ",");
    strcat(line, *c);
  }
  return line;
}

/* An existing log must have been written with the same columns; an empty
 * or new one gets the header. */
static int start_log(crt_metrics *m, const char *header, crt_error *e) {
  char *first = NULL;
  size_t cap = 0;
  ssize_t len = getline(&first, &cap, m->file);
  fseek(m->file, 0, SEEK_END);   /* C requires a seek between reading and writing */
  int rc = 0;
  if (len > 0) {
    first[strcspn(first, "\r\n")] = '\0';
    if (strcmp(first, header) != 0)
      rc = crt_fail(e, "%s: the log has columns '%s', not '%s'", m->path, first, header);
  } else if (fprintf(m->file, "%s\n", header) < 0 || fflush(m->file) != 0) {
    rc = crt_fail(e, "%s: cannot write: %s", m->path, strerror(errno));
  }
  free(first);
  return rc;
}

int crt_metrics_open(crt_metrics *m, const char *path, const char *const *columns, crt_error *e) {
  memset(m, 0, sizeof *m);
  if (check_columns(path, columns, e)) return -1;
  char *header = header_line(columns);
  m->path = strdup(path);
  if (!header || !m->path) {
    free(header);
    crt_metrics_close(m);
    return crt_fail(e, "%s: out of memory", path);
  }
  for (const char *const *c = columns; *c; c++) m->columns++;
  /* Read back and appended to, so a regular file (a FIFO would block);
   * "a+" reads from the start and writes at the end. */
  int fd = crt_open_regular(path, O_RDWR | O_CREAT | O_APPEND, e);
  if (fd >= 0 && !(m->file = fdopen(fd, "a+"))) close(fd);
  int rc = m->file ? start_log(m, header, e)
           : fd < 0 ? -1 : crt_fail(e, "%s: cannot open: %s", path, strerror(errno));
  free(header);
  if (rc) crt_metrics_close(m);
  return rc;
}

int crt_metrics_write(crt_metrics *m, const double *values, crt_error *e) {
  for (int i = 0; i < m->columns; i++)
    if (fprintf(m->file, i ? ",%.10g" : "%.10g", values[i]) < 0)
      return crt_fail(e, "%s: cannot write: %s", m->path, strerror(errno));
  if (fputc('\n', m->file) == EOF || fflush(m->file) != 0)
    return crt_fail(e, "%s: cannot write: %s", m->path, strerror(errno));
  return 0;
}

void crt_metrics_close(crt_metrics *m) {
  if (m->file) fclose(m->file);
  free(m->path);
  memset(m, 0, sizeof *m);
}
