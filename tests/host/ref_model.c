/* ref_model.c — the compiled-model ABI (cratert_abi.h, "compiled models")
 * implemented on the reference kernels through the test kit's whole model,
 * standing in for cratec's output so the host program is tested without the
 * compiler. Entries run the configuration gen_model wrote beside the
 * description. P_prepare copies the parameters into `derived` and the
 * inference entries read only that copy, so a session that forgot to
 * prepare after loading or a step computes with stale weights; every entry
 * writes its whole declared work area, as generated code may. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crate_model.h"

/* The test kit's forward is compiled as refkit_model_forward (CMakeLists);
 * the name is the ABI's for this model's forward entry, defined below. */
#undef crate_model_forward

extern const crate_config ref_model_config;

/* The model at the batch of the last call (the ABI has no context). */
static crate_model model;
static int model_batch;

static crate_model *at_batch(int64_t batch) {
  if (batch != model_batch) {
    crt_error e;
    crate_model_free(&model);
    if (crate_model_init(&model, &ref_model_config, (int)batch, &e)) {
      fprintf(stderr, "ref_model: %s\n", e.msg);
      abort();
    }
    model_batch = (int)batch;
  }
  return &model;
}

static void run_forward(crate_model *m, const float *params, const float *images,
                        const int64_t *labels) {
  crt_error e;
  memcpy(m->param_mem, params, m->num_params * sizeof(float));
  size_t image = (size_t)m->cfg.channels * m->cfg.image_size * m->cfg.image_size;
  memcpy(m->images, images, (size_t)m->B * image * sizeof(float));
  if (refkit_model_forward(m, labels, &e) || (labels && crate_model_backward(m, labels, &e))) {
    fprintf(stderr, "ref_model: %s\n", e.msg);
    abort();
  }
}

/* work_floats as gen_model describes them: forward [64, 16], features
 * [32, 8], train [128, 32]. */
static void clear_work(float *work, int64_t a, int64_t b, int64_t batch) {
  memset(work, 0, (size_t)(a + b * batch) * sizeof(float));
}

void crate_model_prepare(const float *params, float *derived) {
  crate_model *m = at_batch(model_batch ? model_batch : 1);
  memcpy(derived, params, m->num_params * sizeof(float));
}

void crate_model_forward(const float *params, const float *derived, const float *images,
                         float *logits, float *work, int64_t batch) {
  clear_work(work, 64, 16, batch);
  crate_model *m = at_batch(batch);
  run_forward(m, derived, images, NULL);
  memcpy(logits, m->logits, (size_t)batch * m->cfg.num_classes * sizeof(float));
}

void crate_model_features(const float *params, const float *derived, const float *images,
                          float *features, float *work, int64_t batch) {
  clear_work(work, 32, 8, batch);
  crate_model *m = at_batch(batch);
  run_forward(m, derived, images, NULL);
  size_t slot = (size_t)batch * m->N * m->cfg.dim;
  for (int l = 0; l < m->cfg.depth; l++) {
    memcpy(features + 2 * l * slot, m->layer[l].w, slot * sizeof(float));
    memcpy(features + (2 * l + 1) * slot, m->layer[l].out, slot * sizeof(float));
  }
}

void crate_model_train_step(const float *params, const float *images, const int64_t *labels,
                            float *loss, float *logits, float *grads, float *work, int64_t batch) {
  clear_work(work, 128, 32, batch);
  crate_model *m = at_batch(batch);
  run_forward(m, params, images, labels);
  *loss = (float)m->loss;
  memcpy(logits, m->logits, (size_t)batch * m->cfg.num_classes * sizeof(float));
  memcpy(grads, m->grad_mem, m->num_params * sizeof(float));
}
