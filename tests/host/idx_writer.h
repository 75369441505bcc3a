/* A small synthetic Fashion-MNIST-shaped data set for the training tests:
 * 28×28 grey images whose class is a bright horizontal band (class c lights
 * rows 2c+4 .. 2c+6) over seeded noise, 10 classes unless told, easy enough that a few epochs
 * lower the loss. */
#ifndef HOST_IDX_WRITER_H
#define HOST_IDX_WRITER_H

#include <stdbool.h>

/* Writes {train,t10k}-{images-idx3,labels-idx1}-ubyte into DIR, the
 * training pair gzipped (".gz") and the test pair plain, so both readers
 * are exercised. */
void idx_write_dataset(const char *dir, int train_count, int test_count);
/* The same with labels below CLASSES (at most 10: the bands must fit). */
void idx_write_classes(const char *dir, int train_count, int test_count, int classes);

#endif
