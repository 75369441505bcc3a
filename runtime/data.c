/* Data sets by name: the Fashion-MNIST/MNIST file layout, the command-line
 * spelling, and releasing a data set. */
#include "data_internal.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* DIR/NAME.gz when it exists, else DIR/NAME (whose absence the reader reports). */
static const char *idx_path(char *buf, size_t size, const char *dir, const char *name) {
  snprintf(buf, size, "%s/%s.gz", dir, name);
  if (access(buf, F_OK) != 0) snprintf(buf, size, "%s/%s", dir, name);
  return buf;
}

static int load_idx_dir(crt_dataset *d, const char *dir, bool train, int classes, float mean,
                        float std, crt_error *e) {
  const char *split = train ? "train" : "t10k";
  char name[64], images[4096], labels[4096];
  snprintf(name, sizeof name, "%s-images-idx3-ubyte", split);
  idx_path(images, sizeof images, dir, name);
  snprintf(name, sizeof name, "%s-labels-idx1-ubyte", split);
  idx_path(labels, sizeof labels, dir, name);
  if (crt_dataset_load_idx(d, images, labels, classes, e)) return -1;
  data_set_stats(d, &mean, &std);
  return 0;
}

int crt_dataset_load_fashion_mnist(crt_dataset *d, const char *dir, bool train, int classes,
                                   crt_error *e) {
  static const char *const names[] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                      "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  if (load_idx_dir(d, dir ? dir : CRT_FASHION_MNIST_DIR, train, classes, 0.2860f, 0.3530f, e))
    return -1;
  d->class_names = data_names(names, 10, classes);
  return 0;
}

int crt_dataset_load_mnist(crt_dataset *d, const char *dir, bool train, int classes,
                           crt_error *e) {
  return load_idx_dir(d, dir, train, classes, 0.1307f, 0.3081f, e);
}

int crt_dataset_open(crt_dataset *d, const char *spec, bool train, int classes, crt_error *e) {
  memset(d, 0, sizeof *d);
  const char *colon = strchr(spec, ':');
  size_t name_len = colon ? (size_t)(colon - spec) : strlen(spec);
  const char *dir = colon && colon[1] ? colon + 1 : NULL;
  if (name_len == 13 && strncmp(spec, "fashion-mnist", 13) == 0)
    return crt_dataset_load_fashion_mnist(d, dir, train, classes, e);
  bool mnist = name_len == 5 && strncmp(spec, "mnist", 5) == 0;
  bool cifar = name_len == 7 && strncmp(spec, "cifar10", 7) == 0;
  if ((mnist || cifar) && !dir)
    return crt_fail(e, "data set '%s' needs a directory: '%.*s:DIR'", spec, (int)name_len, spec);
  if (mnist) return crt_dataset_load_mnist(d, dir, train, classes, e);
  if (cifar) return crt_dataset_load_cifar10(d, dir, train, classes, e);
  return crt_fail(e, "unknown data set '%.*s' (expected fashion-mnist[:DIR], mnist:DIR or "
                  "cifar10:DIR)", (int)name_len, spec);
}

void crt_dataset_free(crt_dataset *d) {
  free(d->images);
  free(d->labels);
  d->images = d->labels = NULL;
  d->count = 0;
}
