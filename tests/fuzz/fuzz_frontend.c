/* libFuzzer target: any bytes through the whole frontend (lexer, parser,
 * checks) and, when they form a valid model, through what cratec check
 * computes from it. Diagnostics go to a null stream; the sanitizers and the
 * fuzzer's timeout are the oracle. */
#include <stdio.h>

#include "frontend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static FILE *sink;
  if (!sink) sink = fopen("/dev/null", "w");
  SourceFile *src = source_from_string("fuzz.crate", (const char *)data, size);
  Diag d;
  diag_init(&d, sink);
  d.max_errors = 20;
  Model *m = frontend_parse(src, &d);
  if (m) {
    ParamInfo *p;
    int n = model_params(m, &p);
    int64_t total = 0;
    for (int i = 0; i < n; i++) total += p[i].numel;
    if (total != model_param_count(m) || model_flops(m) <= 0) __builtin_trap();
    param_infos_free(p, n);
  }
  model_free(m);
  source_free(src);
  return 0;
}
