/* The description JSON of a compiled model: exactly the fields of the ABI
 * comment in runtime/cratert_abi.h ("compiled models"). */
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "lower_internal.h"

static cJSON *pair(int64_t a, int64_t b) {
  cJSON *p = cJSON_CreateArray();
  cJSON_AddItemToArray(p, cJSON_CreateNumber((double)a));
  cJSON_AddItemToArray(p, cJSON_CreateNumber((double)b));
  return p;
}

static cJSON *layers(const ProgramDesc *p) {
  cJSON *a = cJSON_CreateArray();
  for (int l = 0; l < p->depth; l++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "heads", p->layers[l].heads);
    cJSON_AddNumberToObject(o, "dim_head", p->layers[l].dim_head);
    cJSON_AddItemToArray(a, o);
  }
  return a;
}

static cJSON *params(const ParamLayout *pl) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; i < pl->count; i++) {
    cJSON *o = cJSON_CreateObject(), *shape = cJSON_CreateArray();
    cJSON_AddStringToObject(o, "key", pl->info[i].key);
    for (int r = 0; r < pl->info[i].rank; r++) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)pl->info[i].shape[r]));
    cJSON_AddItemToObject(o, "shape", shape);
    cJSON_AddNumberToObject(o, "offset", (double)pl->offset[i]);
    cJSON_AddStringToObject(o, "role", param_role_name(pl->info[i].role));
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(o, "init"), init_kind_name(pl->info[i].init.kind),
                            pl->info[i].init.value);
    cJSON_AddItemToArray(a, o);
  }
  return a;
}

static cJSON *train(const TrainSpec *t) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "optimizer", crt_optimizer_name(t->optimizer));
  cJSON_AddNumberToObject(o, "lr", t->lr);
  cJSON_AddNumberToObject(o, "weight_decay", t->weight_decay);
  cJSON_AddNumberToObject(o, "momentum", t->momentum);
  cJSON_AddBoolToObject(o, "nesterov", t->nesterov);
  cJSON_AddNumberToObject(o, "beta1", t->beta1);
  cJSON_AddNumberToObject(o, "beta2", t->beta2);
  cJSON_AddNumberToObject(o, "eps", t->eps);
  cJSON_AddStringToObject(o, "schedule", crt_schedule_name(t->schedule));
  cJSON_AddNumberToObject(o, "warmup_epochs", t->warmup_epochs);
  cJSON_AddNumberToObject(o, "warmup_steps", (double)t->warmup_steps);
  cJSON_AddNumberToObject(o, "min_lr", t->min_lr);
  cJSON_AddNumberToObject(o, "epochs", t->epochs);
  cJSON_AddNumberToObject(o, "batch", t->batch);
  cJSON_AddNumberToObject(o, "label_smoothing", t->label_smoothing);
  cJSON_AddNumberToObject(o, "seed", (double)t->seed);
  return o;
}

char *lower_description(const ProgramDesc *p, const ParamLayout *pl, const LowerOptions *o, const Lowered *l) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddNumberToObject(j, "abi", 1);
  cJSON_AddStringToObject(j, "name", p->name);
  cJSON_AddNumberToObject(j, "channels", p->channels);
  cJSON_AddNumberToObject(j, "height", p->height);
  cJSON_AddNumberToObject(j, "width", p->width);
  cJSON_AddNumberToObject(j, "classes", p->classes);
  cJSON_AddNumberToObject(j, "depth", p->depth);
  cJSON_AddNumberToObject(j, "tokens", p->tokens);
  cJSON_AddNumberToObject(j, "dim", p->dim);
  cJSON_AddItemToObject(j, "layers", layers(p));
  if (o->batch)
    cJSON_AddNumberToObject(j, "batch", (double)o->batch);
  else
    cJSON_AddNullToObject(j, "batch");
  cJSON_AddItemToObject(j, "params", params(pl));
  cJSON_AddNumberToObject(j, "param_floats", (double)l->param_floats);
  cJSON_AddNumberToObject(j, "derived_floats", (double)l->derived_floats);
  cJSON *work = cJSON_AddObjectToObject(j, "work_floats");
  for (int k = 0; k < ENTRY_COUNT; k++) cJSON_AddItemToObject(work, entry_label(k), pair(l->work[k][0], l->work[k][1]));
  cJSON *flops = cJSON_AddObjectToObject(j, "flops");
  cJSON_AddNumberToObject(flops, "forward", (double)p->flops);
  cJSON_AddItemToObject(j, "train", train(&p->train));
  if (p->mean) {
    cJSON *n = cJSON_AddObjectToObject(j, "normalize");
    cJSON_AddItemToObject(n, "mean", cJSON_CreateDoubleArray(p->mean, p->channels));
    cJSON_AddItemToObject(n, "std", cJSON_CreateDoubleArray(p->std, p->channels));
  }
  cJSON_AddNumberToObject(j, "embedded_weights", o->weights ? (double)o->weights_size : 0);
  if (o->profile) {
    cJSON *slots = cJSON_AddArrayToObject(j, "profile");
    for (int i = 0; i < l->profile.count; i++) {
      cJSON *slot = cJSON_CreateObject();
      cJSON_AddStringToObject(slot, "label", l->profile.labels[i]);
      cJSON_AddNumberToObject(slot, "flops", (double)l->profile.flops[i]);
      cJSON_AddItemToArray(slots, slot);
    }
  }
  char *text = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  /* cJSON allocates with malloc: the caller frees with free(). */
  return text;
}
