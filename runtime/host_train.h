/* The train command's pieces: options, the per-epoch record, the log and
 * the plot. */
#ifndef CRT_HOST_TRAIN_H
#define CRT_HOST_TRAIN_H

#include "host_internal.h"

typedef struct train_opts {
  const char *data, *save, *resume, *weights, *log, *plot, *optimizer;
  long epochs, batch, seed, threads, eval_batch, rate_batch;
  double lr, weight_decay, time_budget;
  bool log_rate, help;
} train_opts;

/* What one epoch leaves in the log and the plot. */
typedef struct epoch_record {
  double epoch, step, loss, train_accuracy, test_accuracy, test_loss, lr, images_per_s;
  double *rc, *nonzero;   /* (depth) with --log-rate, else NULL */
} epoch_record;

/* Every epoch so far (of this run, and of the log when resuming). */
typedef struct train_history {
  epoch_record *rows;
  int count, capacity, depth;
  bool rates;
} train_history;

int history_add(train_history *h, const epoch_record *r, crt_error *e);
void history_free(train_history *h);

/* The CSV log: opened (appending on resume), one row per epoch. */
int train_log_open(crt_metrics *m, const char *path, const train_history *h, crt_error *e);
int train_log_write(crt_metrics *m, const train_history *h, const epoch_record *r, crt_error *e);
/* Reads back the rows of an existing log into H (a resumed run's plot
 * shows the whole run); a missing file is no error. */
int train_log_read(train_history *h, const char *path, crt_error *e);

/* An SVG of loss and accuracy over epochs and, with rates, per-layer R^c
 * and non-zero fraction, written as crt_output writes (atomically). */
int train_plot(const char *path, const char *title, const train_history *h, crt_error *e);

#endif
