/* The runtime functions loop IR may call, with their exact C prototypes from
 * runtime/cratert_abi.h (tests/codegen compiles this table against the header,
 * so a drifting signature fails the build's tests, not the user's link). */
#include "loop.h"

#include <string.h>

static const LRuntimeFn runtime_fns[] = {
    {"crt_alloc", LC_VOID_PTR, 1, {LC_SIZE}},
    {"crt_clock_ns", LC_INT64, 0, {LC_VOID}},
    {"crt_profile_add", LC_VOID, 2, {LC_INT64, LC_INT64}},
    {"crt_free", LC_VOID, 1, {LC_VOID_PTR}},
    {"crt_sgemm", LC_INT, 13,
     {LC_TRANS, LC_TRANS, LC_INT, LC_INT, LC_INT, LC_CONST_FLOAT_PTR, LC_INT, LC_CONST_FLOAT_PTR, LC_INT, LC_FLOAT,
      LC_FLOAT_PTR, LC_INT, LC_NO_ERROR}},
    {"crt_sgemm_parallel", LC_INT, 13,
     {LC_TRANS, LC_TRANS, LC_INT, LC_INT, LC_INT, LC_CONST_FLOAT_PTR, LC_INT, LC_CONST_FLOAT_PTR, LC_INT, LC_FLOAT,
      LC_FLOAT_PTR, LC_INT, LC_NO_ERROR}},
    {"crt_sgemm_batch", LC_INT, 17,
     {LC_TRANS, LC_TRANS, LC_INT, LC_INT, LC_INT, LC_CONST_FLOAT_PTR, LC_INT, LC_INT64, LC_CONST_FLOAT_PTR, LC_INT,
      LC_INT64, LC_FLOAT, LC_FLOAT_PTR, LC_INT, LC_INT64, LC_INT64, LC_NO_ERROR}},
};

const LRuntimeFn *lruntime_table(int *count) {
  *count = (int)(sizeof runtime_fns / sizeof runtime_fns[0]);
  return runtime_fns;
}

const LRuntimeFn *lruntime_find(const char *name) {
  int n;
  const LRuntimeFn *t = lruntime_table(&n);
  for (int i = 0; i < n; i++)
    if (strcmp(t[i].name, name) == 0) return &t[i];
  return NULL;
}

const char *lctype_c_name(LCType t) {
  switch (t) {
  case LC_VOID: return "void";
  case LC_INT: return "int";
  case LC_INT64: return "int64_t";
  case LC_SIZE: return "size_t";
  case LC_FLOAT: return "float";
  case LC_FLOAT_PTR: return "float *";
  case LC_CONST_FLOAT_PTR: return "const float *";
  case LC_INT64_PTR: return "int64_t *";
  case LC_VOID_PTR: return "void *";
  case LC_TRANS: return "crt_trans";
  case LC_NO_ERROR: return "crt_error *";
  }
  return "?";
}

int lruntime_arity(const LRuntimeFn *fn) {
  int n = 0;
  for (int i = 0; i < fn->nparams; i++) n += fn->params[i] != LC_NO_ERROR;
  return n;
}

bool lctype_accepts(LCType c, LType t) {
  switch (c) {
  case LC_INT:
  case LC_INT64:
  case LC_SIZE:
  case LC_TRANS: return t == LT_I64;
  case LC_FLOAT: return t == LT_F32;
  case LC_FLOAT_PTR:
  case LC_CONST_FLOAT_PTR: return t == LT_PTR_F32;
  case LC_INT64_PTR: return t == LT_PTR_I64;
  case LC_VOID_PTR: return t == LT_PTR_F32 || t == LT_PTR_I64;
  case LC_VOID:
  case LC_NO_ERROR: return false;
  }
  return false;
}
