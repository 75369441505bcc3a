/* What the backends write: assembly with the target's vector registers,
 * textual IR that LLVM's own verifier accepts, C that compiles without a
 * warning, executables and libraries linked with the runtime, the runtime
 * prototype table agreeing with cratert_abi.h, and clear errors. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "kernels.h"

#if !defined(OPT_PROGRAM) || !defined(RUNTIME_INCLUDE_DIR)
#error "tests/codegen/CMakeLists.txt defines OPT_PROGRAM and RUNTIME_INCLUDE_DIR"
#endif

static void remove_temp(char *path) {
  unlink(path);
  char *slash = strrchr(path, '/');
  *slash = '\0';
  rmdir(path);
  free(path);
}

/* Assembly of the vector add for TARGET, as text (caller frees). */
static char *vadd_assembly(const char *backend, const Target *t) {
  LModule *m = lmodule_new("vec");
  build_vadd(m);
  BackendOptions o = {.emit = EMIT_ASM, .opt_level = 2, .target = t};
  char *path = emit_to_temp(m, backend, &o, "vec.s");
  char *text = slurp(path);
  remove_temp(path);
  lmodule_free(m);
  return text;
}

START_TEST(avx512_target_uses_zmm) {
  Target t;
  target_for_cpu(&t, "skylake-avx512", NULL, 512);
  char *text = vadd_assembly("llvm", &t);
  ck_assert_msg(strstr(text, "%zmm") != NULL, "no zmm register in:\n%.2000s", text);
  ck_assert_msg(strstr(text, "\"prefer-vector-width\"") == NULL, "attributes leaked into assembly");
  free(text);
}
END_TEST

START_TEST(host_target_uses_its_widest_vectors) {
  Target t;
  target_detect_host(&t);
  const char *reg = t.vector_bits >= 512 ? "%zmm" : t.vector_bits >= 256 ? "%ymm" : "%xmm";
  for (int i = 0; i < 2; i++) {
    char *text = vadd_assembly(i ? "c" : "llvm", &t);
    ck_assert_msg(strstr(text, reg) != NULL, "%s backend: no %s register for a %d-bit host", i ? "c" : "llvm", reg,
                  t.vector_bits);
    free(text);
  }
}
END_TEST

START_TEST(textual_ir_passes_opt_verify) {
  Target t;
  target_detect_host(&t);
  LModule *m = build_all_kernels();
  for (int level = 0; level <= 3; level += 3) {
    BackendOptions o = {.emit = EMIT_LLVM, .opt_level = level, .target = &t};
    char *path = emit_to_temp(m, "llvm", &o, "kernels.ll");
    char *ir = slurp(path);
    ck_assert_msg(strstr(ir, "\"target-cpu\"") != NULL, "no target-cpu attribute");
    ck_assert_msg(strstr(ir, "noalias") != NULL, "no noalias parameter");
    ck_assert_msg(strstr(ir, "@crt_parallel_for") != NULL, "parallel loops are not outlined");
    if (level == 0) ck_assert_msg(strstr(ir, "llvm.loop.vectorize.enable") != NULL, "vector loops are not tagged");
    free(ir);
    ck_assert_int_eq(run_command("%s -passes=verify -disable-output %s", OPT_PROGRAM, path), 0);
    remove_temp(path);
  }
  lmodule_free(m);
}
END_TEST

/* The vectorizer took the reductions and the exp loop: vector float ops
 * appear in each of these kernels after -O2. */
START_TEST(reductions_and_exp_vectorize) {
  Target t;
  target_detect_host(&t);
  LModule *m = build_all_kernels();
  BackendOptions o = {.emit = EMIT_LLVM, .opt_level = 2, .target = &t};
  char *path = emit_to_temp(m, "llvm", &o, "kernels.ll");
  char *ir = slurp(path);
  const char *kernels[] = {"@row_sum(", "@softmax(", "@exp_map(", "@layernorm.par0.body("};
  for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++) {
    const char *def = strstr(ir, kernels[k]);
    if (!def && strstr(kernels[k], ".body")) def = strstr(ir, "@layernorm.par0(");   /* body inlined into the wrapper */
    ck_assert_msg(def != NULL, "%s missing", kernels[k]);
    const char *end = strstr(def, "\n}\n");
    char *body = strndup(def, (size_t)(end - def));
    ck_assert_msg(strstr(body, "x float>") != NULL, "%s was not vectorized", kernels[k]);
    free(body);
  }
  ck_assert_msg(strstr(ir, "@llvm.maxnum.v") != NULL, "the max reduction of softmax was not vectorized");
  free(ir);
  remove_temp(path);
  lmodule_free(m);
}
END_TEST

START_TEST(c_output_compiles_without_warnings) {
  Target t;
  target_detect_host(&t);
  LModule *m = build_all_kernels();
  BackendOptions o = {.emit = EMIT_C, .target = &t};
  char *path = emit_to_temp(m, "c", &o, "kernels.c");
  char *c = slurp(path);
  ck_assert_msg(strstr(c, "#pragma omp parallel for") != NULL, "no parallel pragma");
  ck_assert_msg(strstr(c, "#pragma omp simd reduction(+:sum)") != NULL, "no reduction clause");
  ck_assert_msg(strstr(c, "#pragma omp simd reduction(max:mx)") != NULL, "no max reduction clause");
  ck_assert_msg(strstr(c, "float *restrict out") != NULL, "no restrict");
  ck_assert_msg(strstr(c, "/* out = a + b */") != NULL, "comment lost");
  char *dir = strdup(path);
  *strrchr(dir, '/') = '\0';
  ck_assert_int_eq(run_command("cd %s && cc -std=c11 -O3 -march=native -fopenmp -Wall -Wextra -Werror -I%s -c %s -o %s/k.o",
                               dir, RUNTIME_INCLUDE_DIR, path, dir),
                   0);
  run_command("rm -f %s/k.o %s/kernels.data", dir, dir);
  free(dir);
  free(c);
  remove_temp(path);
  lmodule_free(m);
}
END_TEST

/* Declaring each table entry again after cratert_abi.h (all that generated
 * code includes): a prototype that drifted from the header is a
 * "conflicting types" error. */
START_TEST(runtime_table_matches_header) {
  char path[] = "/tmp/cratec-protos-XXXXXX.c";
  int fd = mkstemps(path, 2);
  ck_assert(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fputs("#include \"cratert_abi.h\"\n", f);
  int n;
  const LRuntimeFn *t = lruntime_table(&n);
  ck_assert_int_gt(n, 0);
  for (int i = 0; i < n; i++) {
    fprintf(f, "%s %s(", lctype_c_name(t[i].ret), t[i].name);
    for (int j = 0; j < t[i].nparams; j++) fprintf(f, "%s%s", j ? ", " : "", lctype_c_name(t[i].params[j]));
    fputs(t[i].nparams ? ");\n" : "void);\n", f);
  }
  fclose(f);
  int status = run_command("cc -std=c11 -fsyntax-only -Werror -I%s %s", RUNTIME_INCLUDE_DIR, path);
  unlink(path);
  ck_assert_int_eq(status, 0);
}
END_TEST

static const char *const exe_main =
    "#include <stdint.h>\n#include <stdio.h>\n"
    "void vadd(float *, float *, float *, int64_t);\n"
    "int main(void) {\n"
    "  float a[5] = {1, 2, 3, 4, 5}, b[5] = {10, 20, 30, 40, 50}, out[5];\n"
    "  vadd(out, a, b, 5);\n"
    "  printf(\"%g %g\\n\", out[0], out[4]);\n"
    "  return out[0] == 11 && out[4] == 55 ? 0 : 1;\n"
    "}\n";

START_TEST(executable_links_with_runtime) {
  Target t;
  target_detect_host(&t);
  char main_path[] = "/tmp/cratec-main-XXXXXX.c";
  int fd = mkstemps(main_path, 2);
  ck_assert(fd >= 0);
  ck_assert(write(fd, exe_main, strlen(exe_main)) == (ssize_t)strlen(exe_main));
  close(fd);
  const char *extra[] = {main_path, NULL};
  LModule *m = lmodule_new("app");
  build_vadd(m);
  build_runtime_scratch(m);
  BackendOptions o = {.emit = EMIT_EXE, .opt_level = 2, .target = &t, .extra_inputs = extra};
  char *exe = emit_to_temp(m, _i ? "c" : "llvm", &o, "app");
  ck_assert_int_eq(run_command("%s > /dev/null", exe), 0);
  remove_temp(exe);

  o = (BackendOptions){.emit = EMIT_LIB, .opt_level = 2, .target = &t};
  char *lib = emit_to_temp(m, _i ? "c" : "llvm", &o, "libapp.a");
  ck_assert_int_eq(run_command("nm %s | grep -q ' T vadd$'", lib), 0);
  ck_assert_int_eq(run_command("nm %s | grep -q ' T crt_alloc$'", lib), 0);
  remove_temp(lib);
  unlink(main_path);
  lmodule_free(m);
}
END_TEST

static char *emit_error(const char *backend, EmitKind kind, LModule *m) {
  Target t;
  target_detect_host(&t);
  BackendOptions o = {.emit = kind, .opt_level = 2, .target = &t, .output = "/nonexistent-dir/out"};
  char *msgs = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&msgs, &len);
  Diag d;
  diag_init(&d, f);
  bool ok = backend_find(backend)->emit(m, &o, &d);
  fclose(f);
  ck_assert_msg(!ok, "%s backend did not fail", backend);
  return msgs;
}

START_TEST(clear_errors) {
  ck_assert_ptr_null(backend_find("gpu"));
  ck_assert_str_eq(backend_names()[0], "llvm");
  LModule *m = lmodule_new("e");
  build_vadd(m);
  char *msg = emit_error("llvm", EMIT_C, m);
  ck_assert_msg(strstr(msg, "does not emit C") != NULL, "%s", msg);
  free(msg);
  msg = emit_error("c", EMIT_LLVM, m);
  ck_assert_msg(strstr(msg, "does not emit LLVM IR") != NULL, "%s", msg);
  free(msg);
  msg = emit_error("llvm", EMIT_OBJ, m);
  ck_assert_msg(strstr(msg, "cannot write /nonexistent-dir/out") != NULL, "%s", msg);
  free(msg);
  msg = emit_error("c", EMIT_C, m);
  ck_assert_msg(strstr(msg, "cannot write /nonexistent-dir/out") != NULL, "%s", msg);
  free(msg);
  /* A module that fails verification is never translated. */
  LFunc *bad = lfunc_new(m, "bad", true);
  lappend(bad->body, lcall("crt_nothing"));
  msg = emit_error("llvm", EMIT_OBJ, m);
  ck_assert_msg(strstr(msg, "call to 'crt_nothing', neither a runtime function nor an earlier function of the module") != NULL, "%s", msg);
  free(msg);
  lmodule_free(m);
}
END_TEST

START_TEST(host_target_is_sane) {
  Target t;
  target_detect_host(&t);
  ck_assert_str_eq(t.cpu, "native");
  ck_assert(t.vector_bits == 128 || t.vector_bits == 256 || t.vector_bits == 512);
  ck_assert_uint_ge(t.l1d, 4096);
  ck_assert_uint_ge(t.l2, t.l1d);
  ck_assert_uint_ge(t.l3, 1);
  ck_assert_int_ge(t.cores, 1);
}
END_TEST

int main(void) {
  Suite *s = suite_create("emit");
  TCase *tc = tcase_create("outputs");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, avx512_target_uses_zmm);
  tcase_add_test(tc, host_target_uses_its_widest_vectors);
  tcase_add_test(tc, textual_ir_passes_opt_verify);
  tcase_add_test(tc, reductions_and_exp_vectorize);
  tcase_add_test(tc, c_output_compiles_without_warnings);
  tcase_add_test(tc, runtime_table_matches_header);
  tcase_add_loop_test(tc, executable_links_with_runtime, 0, 2);
  tcase_add_test(tc, clear_errors);
  tcase_add_test(tc, host_target_is_sane);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
