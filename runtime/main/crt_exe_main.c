/* The main of every executable cratec builds (libcratert_main.a): the
 * generated object defines the crate_model_* entries (cratert_abi.h, "compiled
 * models"); the runtime's host program does the rest. crate_model_weights
 * exists only when weights were embedded, hence weak. */
#include "cratert_host.h"

extern const char crate_model_desc[];
extern const unsigned char crate_model_weights[] __attribute__((weak));
void crate_model_prepare(const float *params, float *derived);
void crate_model_forward(const float *params, const float *derived, const float *images,
                         float *logits, float *work, int64_t batch);
void crate_model_features(const float *params, const float *derived, const float *images,
                          float *features, float *work, int64_t batch);
void crate_model_train_step(const float *params, const float *images, const int64_t *labels,
                            float *loss, float *logits, float *grads, float *work, int64_t batch);

int main(int argc, char **argv) {
  const crt_model model = {crate_model_desc,     crate_model_weights,  crate_model_prepare,
                           crate_model_forward,  crate_model_features, crate_model_train_step};
  return crt_host_main(&model, argc, argv);
}
