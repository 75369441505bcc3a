/* The program description's names and storage (program.h). */
#include "program.h"

#include <stdlib.h>

const char *param_role_name(ParamRole r) {
  static const char *const names[PARAM_ROLE_COUNT] = {
      [PARAM_EMBEDDING] = "embedding",     [PARAM_LINEAR_WEIGHT] = "linear_weight",
      [PARAM_LINEAR_BIAS] = "linear_bias", [PARAM_NORM_WEIGHT] = "norm_weight",
      [PARAM_NORM_BIAS] = "norm_bias",     [PARAM_DICTIONARY] = "dictionary"};
  return names[r];
}

const char *init_kind_name(InitKind k) {
  static const char *const names[INIT_KIND_COUNT] = {
      [INIT_NORMAL] = "normal", [INIT_UNIFORM] = "uniform", [INIT_CONSTANT] = "constant"};
  return names[k];
}

void param_infos_free(ParamInfo *p, int n) {
  for (int i = 0; i < n; i++) free(p[i].key);
  free(p);
}

void program_desc_free(ProgramDesc *p) {
  if (!p) return;
  free(p->name);
  free(p->layers);
  free(p->mean);
  free(p->std);
  param_infos_free(p->params, p->nparams);
  free(p);
}

int64_t program_param_count(const ProgramDesc *p) {
  int64_t total = 0;
  for (int i = 0; i < p->nparams; i++) total += p->params[i].numel;
  return total;
}
