/* What the data-set readers share; not part of the public runtime interface. */
#ifndef CRATERT_DATA_INTERNAL_H
#define CRATERT_DATA_INTERNAL_H

#include "cratert_host.h"

#include <zlib.h>

/* A data file read through zlib, which passes plain files through
 * unchanged, so every reader accepts gzipped and plain files alike. */
typedef struct data_file {
  gzFile gz;
  const char *path;
} data_file;

int data_open(data_file *f, const char *path, crt_error *e);
void data_close(data_file *f);
/* Exactly N bytes into BUF; a short file is "truncated", naming WHAT. */
int data_read_exact(data_file *f, void *buf, size_t n, const char *what, crt_error *e);
/* N bytes into a new malloc'ed *OUT. The buffer grows as bytes arrive, so a
 * header that lies about the size costs no more memory than the file has. */
int data_read_alloc(data_file *f, size_t n, const char *what, uint8_t **out, crt_error *e);
/* The rest of the file into a new malloc'ed *OUT (NULL when empty). */
int data_read_to_end(data_file *f, uint8_t **out, size_t *size, crt_error *e);
/* The file must end here. */
int data_expect_end(data_file *f, crt_error *e);

/* Checks the labels from record FIRST on (those read from FILE) are below
 * D->classes. */
int data_check_labels(const crt_dataset *d, int64_t first, const char *file, crt_error *e);
/* NAMES (COUNT of them, one per class of the published data set) when the
 * model has as many classes; else NULL, since a model with other classes
 * gives the labels other meanings and may predict a class past the list. */
const char *const *data_names(const char *const *names, int count, int classes);
/* Sets every channel's normalisation to MEAN and STD. */
void data_set_stats(crt_dataset *d, const float *mean, const float *std);

#endif
