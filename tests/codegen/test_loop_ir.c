/* The loop IR on its own: the text dump against a golden file, and the
 * verifier accepting the sample kernels and rejecting each kind of
 * malformed module with a message that says what is wrong. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "kernels.h"

#ifndef CODEGEN_TEST_DIR
#error "tests/codegen/CMakeLists.txt defines CODEGEN_TEST_DIR"
#endif

/* Verifies M, returning the diagnostics (caller frees) and the verdict. */
static char *verify_messages(const LModule *m, bool *ok) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  Diag d;
  diag_init(&d, f);
  *ok = lmodule_verify(m, &d);
  fclose(f);
  return text;
}

START_TEST(dump_matches_golden) {
  LModule *m = lmodule_new("norms");
  build_layernorm(m);
  build_blob_scale(m);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  lmodule_print(f, m);
  fclose(f);
  char *golden = slurp(CODEGEN_TEST_DIR "/golden/norms.loops");
  ck_assert_str_eq(text, golden);
  free(golden);
  free(text);
  lmodule_free(m);
}
END_TEST

START_TEST(sample_kernels_verify) {
  LModule *m = build_all_kernels();
  bool ok;
  char *msgs = verify_messages(m, &ok);
  ck_assert_msg(ok, "unexpected diagnostics:\n%s", msgs);
  ck_assert_str_eq(msgs, "");
  free(msgs);
  lmodule_free(m);
}
END_TEST

/* A malformed module per case, and a phrase its diagnostic must contain. */
typedef struct BadCase {
  const char *expect;
  void (*build)(LModule *m);
} BadCase;

static void out_of_scope(LModule *m) {
  LFunc *f = lfunc_new(m, "k", true);
  LVar *p = lfunc_param(f, "p", LT_PTR_F32), *i = lfunc_var(f, "i", LT_I64);
  lappend(f->body, lfor(i, li64(0), li64(4), LF_SERIAL));
  lappend(f->body, lstore(lvar(p), lvar(i), lf32(1)));
}

static void wrong_store_type(LModule *m) {
  LFunc *f = lfunc_new(m, "k", true);
  LVar *p = lfunc_param(f, "p", LT_PTR_F32);
  lappend(f->body, lstore(lvar(p), li64(0), li64(3)));
}

static void float_index(LModule *m) {
  LFunc *f = lfunc_new(m, "k", true);
  LVar *p = lfunc_param(f, "p", LT_PTR_F32);
  lappend(f->body, lstore(lvar(p), li64(0), lload(lvar(p), lf32(1))));
}

static void non_bool_condition(LModule *m) {
  LFunc *f = lfunc_new(m, "k", true);
  LVar *n = lfunc_param(f, "n", LT_I64);
  lappend(f->body, lif(lvar(n)));
}

static void store_to_scalar(LModule *m) {
  LFunc *f = lfunc_new(m, "k", true);
  LVar *n = lfunc_param(f, "n", LT_I64);
  lappend(f->body, lstore(lvar(n), li64(0), li64(1)));
}

static void unknown_callee(LModule *m) {
  LFunc *f = lfunc_new(m, "k", true);
  lappend(f->body, lcall("crt_no_such_function"));
}

static void bad_call_argument(LModule *m) {
  LFunc *f = lfunc_new(m, "k", true);
  LStmt *call = lcall("crt_free");
  lcall_arg(call, lf32(1));
  lappend(f->body, call);
}

static void race_in_parallel_loop(LModule *m) {
  LFunc *f = lfunc_new(m, "k", true);
  LVar *s = lfunc_var(f, "s", LT_F32), *i = lfunc_var(f, "i", LT_I64);
  lappend(f->body, ldecl(s, lf32(0)));
  LStmt *loop = lfor(i, li64(0), li64(8), LF_PARALLEL);
  lappend(loop, lassign(s, lbin(LB_ADD, lvar(s), lf32(1))));
  lappend(f->body, loop);
}

static void non_reduction_in_vector_loop(LModule *m) {
  LFunc *f = lfunc_new(m, "k", true);
  LVar *p = lfunc_param(f, "p", LT_PTR_F32);
  LVar *s = lfunc_var(f, "s", LT_F32), *i = lfunc_var(f, "i", LT_I64);
  lappend(f->body, ldecl(s, lf32(0)));
  LStmt *loop = lfor(i, li64(0), li64(8), LF_VECTOR);
  lappend(loop, lassign(s, lload(lvar(p), lvar(i))));
  lappend(f->body, loop);
}

static void store_into_blob(LModule *m) {
  static const float bytes[2];
  LData *blob = lmodule_data(m, "w", bytes, sizeof bytes, 16);
  LFunc *f = lfunc_new(m, "k", true);
  lappend(f->body, lstore(ldata(blob), li64(0), lf32(1)));
}

static void nested_parallel(LModule *m) {
  LFunc *f = lfunc_new(m, "k", true);
  LVar *i = lfunc_var(f, "i", LT_I64), *j = lfunc_var(f, "j", LT_I64);
  LStmt *outer = lfor(i, li64(0), li64(2), LF_PARALLEL);
  lappend(outer, lfor(j, li64(0), li64(2), LF_PARALLEL));
  lappend(f->body, outer);
}

static void duplicate_names(LModule *m) {
  LFunc *f = lfunc_new(m, "k", true);
  lfunc_param(f, "x", LT_I64);
  lfunc_param(f, "x", LT_F32);
}

static void declared_twice(LModule *m) {
  LFunc *f = lfunc_new(m, "k", true);
  LVar *s = lfunc_var(f, "s", LT_F32);
  lappend(f->body, ldecl(s, lf32(0)));
  lappend(f->body, ldecl(s, lf32(1)));
}

static void mixed_operands(LModule *m) {
  LFunc *f = lfunc_new(m, "k", true);
  LVar *p = lfunc_param(f, "p", LT_PTR_F32);
  lappend(f->body, lstore(lvar(p), li64(0), lbin(LB_ADD, lf32(1), li64(2))));
}

static const BadCase bad_cases[] = {
    {"variable %i is not in scope", out_of_scope},
    {"stored value must be f32, not i64", wrong_store_type},
    {"index must be i64, not f32", float_index},
    {"if condition must be bool, not i64", non_bool_condition},
    {"stores need a pointer, not i64", store_to_scalar},
    {"call to 'crt_no_such_function', neither a runtime function nor an earlier function of the module", unknown_callee},
    {"argument 1 of 'crt_free' is f32, which does not convert to 'void *'", bad_call_argument},
    {"declared outside a parallel loop, is assigned inside it", race_in_parallel_loop},
    {"may only be updated there as a reduction", non_reduction_in_vector_loop},
    {"store into read-only embedded data", store_into_blob},
    {"nested in another parallel loop", nested_parallel},
    {"two variables are named %x", duplicate_names},
    {"%s is declared twice", declared_twice},
    {"operands must be both f32 or both i64, not f32 and i64", mixed_operands},
};

START_TEST(verifier_rejects) {
  const BadCase *c = &bad_cases[_i];
  LModule *m = lmodule_new("bad");
  c->build(m);
  bool ok;
  char *msgs = verify_messages(m, &ok);
  ck_assert_msg(!ok, "accepted a module that should fail with '%s'", c->expect);
  ck_assert_msg(strstr(msgs, c->expect) != NULL, "expected '%s' in:\n%s", c->expect, msgs);
  ck_assert_msg(strstr(msgs, "function 'k'") != NULL || strstr(msgs, "loop IR") != NULL, "no context in:\n%s", msgs);
  free(msgs);
  lmodule_free(m);
}
END_TEST

int main(void) {
  Suite *s = suite_create("loop_ir");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, dump_matches_golden);
  tcase_add_test(tc, sample_kernels_verify);
  tcase_add_loop_test(tc, verifier_rejects, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
  suite_add_tcase(s, tc);
  return run_suite(s);
}
