/* Batching a data set: a seeded order per epoch, normalisation through a
 * per-channel table of the 256 byte values, no allocation after init. */
#include "cratert_host.h"

#include <stdlib.h>
#include <string.h>

/* This epoch's order, drawn from pos.epoch_rng (Fisher–Yates); the
 * generator's state afterwards seeds the next epoch. */
static void draw_order(crt_loader *l) {
  int64_t n = l->data->count;
  for (int64_t i = 0; i < n; i++) l->order[i] = i;
  l->next_rng = l->pos.epoch_rng;
  if (!l->shuffle) return;
  for (int64_t i = n - 1; i > 0; i--) {
    int64_t j = (int64_t)crt_rng_below(&l->next_rng, (uint64_t)i + 1);
    int64_t t = l->order[i];
    l->order[i] = l->order[j];
    l->order[j] = t;
  }
}

int crt_loader_init(crt_loader *l, const crt_dataset *d, int64_t batch, bool shuffle,
                    bool drop_last, uint64_t seed, crt_error *e) {
  memset(l, 0, sizeof *l);
  if (batch < 1) return crt_fail(e, "batch size %lld: must be at least 1", (long long)batch);
  if (d->count < 1) return crt_fail(e, "the data set is empty");
  if (d->channels < 1 || d->channels > CRT_DATA_MAX_CHANNELS)
    return crt_fail(e, "%d channels: the loader handles 1 to %d", d->channels,
                    CRT_DATA_MAX_CHANNELS);
  for (int c = 0; c < d->channels; c++) {
    if (!(d->std[c] > 0)) return crt_fail(e, "channel %d: std %g must be positive", c, d->std[c]);
    for (int x = 0; x < 256; x++) l->table[c][x] = ((float)x / 255.0f - d->mean[c]) / d->std[c];
  }
  l->order = malloc((size_t)d->count * sizeof *l->order);
  if (!l->order) return crt_fail(e, "out of memory for the order of %lld images", (long long)d->count);
  l->data = d;
  l->batch = batch;
  l->shuffle = shuffle;
  l->drop_last = drop_last;
  crt_rng_seed(&l->pos.epoch_rng, seed);
  draw_order(l);
  return 0;
}

int64_t crt_loader_steps(const crt_loader *l) {
  int64_t n = l->data->count;
  return l->drop_last ? n / l->batch : (n + l->batch - 1) / l->batch;
}

int64_t crt_loader_next(crt_loader *l, float *images, int64_t *labels) {
  const crt_dataset *d = l->data;
  int64_t left = d->count - l->pos.index;
  int64_t n = left < l->batch ? left : l->batch;
  if (n <= 0 || (l->drop_last && n < l->batch)) return 0;
  size_t plane = (size_t)d->height * d->width;
  for (int64_t b = 0; b < n; b++) {
    int64_t src = l->order[l->pos.index + b];
    const uint8_t *pixels = d->images + (size_t)src * d->channels * plane;
    float *out = images + (size_t)b * d->channels * plane;
    for (int c = 0; c < d->channels; c++)
      for (size_t i = 0; i < plane; i++) out[c * plane + i] = l->table[c][pixels[c * plane + i]];
    labels[b] = d->labels[src];
  }
  l->pos.index += n;
  return n;
}

void crt_loader_next_epoch(crt_loader *l) {
  l->pos.epoch++;
  l->pos.index = 0;
  l->pos.epoch_rng = l->next_rng;
  draw_order(l);
}

crt_loader_position crt_loader_tell(const crt_loader *l) { return l->pos; }

int crt_loader_seek(crt_loader *l, const crt_loader_position *pos, crt_error *e) {
  if (pos->epoch < 0 || pos->index < 0 || pos->index > l->data->count)
    return crt_fail(e, "loader position epoch %lld, image %lld is outside a data set of %lld",
                    (long long)pos->epoch, (long long)pos->index, (long long)l->data->count);
  l->pos = *pos;
  draw_order(l);
  return 0;
}

void crt_loader_free(crt_loader *l) {
  free(l->order);
  l->order = NULL;
}
