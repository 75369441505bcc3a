/* What `cratec build` hands users, run on the micro case: the executable's
 * infer and grad commands, and a program using the `--emit lib` library
 * through its generated header alone; compared with PyTorch's logits, loss
 * and gradients. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build_test.h"
#include "case_io.h"
#include "cratert_host.h"
#include "run_suite.h"

#define CASE CRATEC_TEST_DATA "/micro/"

static char dir[64];

static void make_dir(void) {
  strcpy(dir, "/tmp/cratec_test_programs_XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  ck_assert_int_eq(system(cmd), 0);
}

static void sh(const char *fmt, const char *a, const char *b) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, fmt, a, b);
  ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}



/* Every gradient of the case's file against FILE's. */
static void compare_grads(const char *file) {
  crt_error e;
  crt_st_file *want = crt_st_open(CASE "grads.safetensors", &e);
  ck_assert_msg(want != NULL, "%s", e.msg);
  for (int i = 0; i < crt_st_count(want); i++) {
    const crt_tensor *t = crt_st_at(want, i);
    size_t n = t->nbytes / 4;
    float *w = bt_tensor(CASE "grads.safetensors", t->name, n), *g = bt_tensor(file, t->name, n);
    bt_assert_close(g, w, n, 1e-4f, t->name);
    free(w);
    free(g);
  }
  crt_st_close(want);
}

static void run_exe(const char *flags) {
  make_dir();
  char exe[128], out[128];
  snprintf(exe, sizeof exe, "%s/micro", dir);
  char build[512];
  snprintf(build, sizeof build, "'%s' build '%s' %s -o '%%s'", CRATEC_PROGRAM, CASE "model.crate", flags);
  sh(build, exe, NULL);
  snprintf(out, sizeof out, "%s/logits.safetensors", dir);
  sh("'%s' infer --weights " CASE "weights.safetensors --input " CASE "input.safetensors --output '%s'", exe, out);
  float *want = bt_tensor(CASE "expected.safetensors", "logits", 20), *got = bt_tensor(out, "logits", 20);
  bt_assert_close(got, want, 20, 1e-4f, "logits");
  free(want);
  free(got);
  snprintf(out, sizeof out, "%s/grads.safetensors", dir);
  sh("'%s' grad --weights " CASE "weights.safetensors --input " CASE "input.safetensors --output '%s'", exe, out);
  want = bt_tensor(CASE "expected.safetensors", "loss", 1);
  got = bt_tensor(out, "loss", 1);
  bt_assert_close(got, want, 1, 1e-5f, "loss");
  free(want);
  free(got);
  compare_grads(out);
  remove_dir();
}

START_TEST(exe_llvm_o0) { run_exe("-O0"); }
END_TEST
START_TEST(exe_llvm_o2) { run_exe("-O2"); }
END_TEST
START_TEST(exe_c_o0) { run_exe("-O0 --backend c"); }
END_TEST

/* A user's program: only micro.h, the library and the runtime's link line. */
static const char user_program[] =
    "#include <stdio.h>\n#include <string.h>\n#include \"micro.h\"\n"
    "int main(int argc, char **argv) {\n"
    "  if (argc != 3) return 2;\n"
    "  char err[256];\n"
    "  micro_session *s = micro_session_create(argv[1], err, sizeof err);\n"
    "  if (!s) { fprintf(stderr, \"%s\\n\", err); return 1; }\n"
    "  static float images[2 * MICRO_CHANNELS * MICRO_HEIGHT * MICRO_WIDTH], logits[2 * MICRO_CLASSES];\n"
    "  FILE *in = fopen(argv[2], \"rb\");\n"
    "  if (!in || fread(images, sizeof images, 1, in) != 1) return 1;\n"
    "  fclose(in);\n"
    "  if (micro_session_forward(s, images, logits, 2, err, sizeof err)) { fprintf(stderr, \"%s\\n\", err); return 1; }\n"
    "  for (int i = 0; i < 2 * MICRO_CLASSES; i++) printf(\"%.9g\\n\", logits[i]);\n"
    "  int64_t labels[2] = {1, 2};\n"
    "  float loss;\n"
    "  if (micro_session_train_step(s, images, labels, 2, 0.01, &loss, err, sizeof err)) return 1;\n"
    "  micro_session_free(s);\n"
    "  return loss > 0 ? 0 : 1;\n"
    "}\n";

/* Builds micro's --emit lib library in DIR and PROGRAM (DIR/user.c) against
 * it, with only micro.h and the link line micro.h's first comment gives. */
static void build_user(const char *program) {
  char path[256];
  snprintf(path, sizeof path, "%s/user.c", dir);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(program, f);
  fclose(f);
  sh("'%s' build " CASE "model.crate -O0 --emit lib -o '%s/libmicro.a'", CRATEC_PROGRAM, dir);
  /* The header stands alone, warning-free. */
  sh("cc -std=c11 -Wall -Wextra -Werror -fsyntax-only -x c '%s/micro.h'%s", dir, "");
  char cmd[512];
  snprintf(cmd, sizeof cmd, "cc -std=c11 -Wall -Wextra -Werror %s -o '%s/user' '%s/user.c' '%s/libmicro.a' %s", USER_CFLAGS,
           dir, dir, dir, "-fopenmp -lxsmm -lblas -lcjson -lz -lm -ldl -lpthread");
  ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

START_TEST(library_with_header) {
  make_dir();
  float *images = bt_tensor(CASE "input.safetensors", "images", 2 * 3 * 32 * 32);
  char path[256];
  snprintf(path, sizeof path, "%s/images.bin", dir);
  FILE *f = fopen(path, "wb");
  ck_assert_int_eq(fwrite(images, sizeof *images, 2 * 3 * 32 * 32, f), 2 * 3 * 32 * 32);
  fclose(f);
  free(images);
  build_user(user_program);
  char cmd[512];
  snprintf(cmd, sizeof cmd, "'%s/user' " CASE "weights.safetensors '%s/images.bin'", dir, dir);
  FILE *p = popen(cmd, "r");
  ck_assert_ptr_nonnull(p);
  float got[20];
  for (int i = 0; i < 20; i++) ck_assert_int_eq(fscanf(p, "%g", &got[i]), 1);
  ck_assert_int_eq(pclose(p), 0);
  float *want = bt_tensor(CASE "expected.safetensors", "logits", 20);
  bt_assert_close(got, want, 20, 1e-4f, "logits");
  free(want);
  remove_dir();
}
END_TEST

/* The library's training step with no logits buffer of the caller's, at a
 * batch beyond the few images the other programs use: the session keeps
 * the logits in its own scratch, which must be reserved for them. */
static const char train_program[] =
    "#include <stdio.h>\n#include <stdlib.h>\n#include \"micro.h\"\n"
    "enum { BATCH = 8, IMAGE = MICRO_CHANNELS * MICRO_HEIGHT * MICRO_WIDTH };\n"
    "int main(void) {\n"
    "  char err[256];\n"
    "  micro_session *s = micro_session_create(NULL, err, sizeof err);\n"
    "  if (!s) { fprintf(stderr, \"%s\\n\", err); return 1; }\n"
    "  float *images = calloc(BATCH * IMAGE, sizeof *images), loss = 0;\n"
    "  int64_t labels[BATCH];\n"
    "  for (int i = 0; i < BATCH; i++) labels[i] = i % MICRO_CLASSES;\n"
    "  for (int i = 0; i < BATCH * IMAGE; i++) images[i] = (float)(i % 7) / 7;\n"
    "  int rc = micro_session_train_step(s, images, labels, BATCH, 0.01, &loss, err, sizeof err);\n"
    "  if (rc) fprintf(stderr, \"%s\\n\", err);\n"
    "  micro_session_free(s);\n"
    "  free(images);\n"
    "  return rc || !(loss > 0) ? 1 : 0;\n"
    "}\n";

START_TEST(library_train_step_batch_8) {
  make_dir();
  build_user(train_program);
  sh("'%s/user'%s", dir, "");
  remove_dir();
}
END_TEST

/* A training checkpoint of micro's weights (with AdamW state and progress),
 * as `train --save` writes it. */
static void write_checkpoint(const char *path) {
  crt_error e;
  crt_st_file *w = crt_st_open(CASE "weights.safetensors", &e);
  ck_assert_msg(w != NULL, "%s", e.msg);
  int n = crt_st_count(w);
  crt_param_spec *specs = calloc((size_t)n, sizeof *specs);
  size_t *offsets = calloc((size_t)n, sizeof *offsets), floats = 0;
  for (int i = 0; i < n; i++) {
    const crt_tensor *t = crt_st_at(w, i);
    specs[i].key = t->name;
    specs[i].rank = t->rank;
    memcpy(specs[i].shape, t->shape, (size_t)t->rank * sizeof *t->shape);
    offsets[i] = floats;
    floats += t->nbytes / sizeof(float);
  }
  float *flat = malloc(floats * sizeof *flat);
  for (int i = 0; i < n; i++) memcpy(flat + offsets[i], crt_st_at(w, i)->data, crt_st_at(w, i)->nbytes);
  crt_param_table table = {specs, offsets, n, floats};
  crt_optimizer opt;
  crt_optimizer_config config = crt_optimizer_defaults(CRT_OPT_ADAMW);
  ck_assert_int_eq(crt_optimizer_init(&opt, &config, floats, &e), 0);
  crt_train_progress progress = {.steps_per_epoch = 1, .schedule = {.kind = CRT_SCHEDULE_CONSTANT, .base_lr = 1e-3}};
  crt_rng_seed(&progress.rng, 0);
  ck_assert_msg(crt_checkpoint_save(path, &table, flat, &opt, &progress, &e) == 0, "%s", e.msg);
  crt_optimizer_free(&opt);
  free(flat);
  free(offsets);
  free(specs);
  crt_st_close(w);
}

/* --embed-weights from a checkpoint embeds the weights alone: the program
 * then runs with no weights file and gives PyTorch's logits. */
START_TEST(embedded_checkpoint) {
  make_dir();
  char ckpt[128], exe[128], out[128];
  snprintf(ckpt, sizeof ckpt, "%s/micro.ckpt.safetensors", dir);
  snprintf(exe, sizeof exe, "%s/micro", dir);
  snprintf(out, sizeof out, "%s/logits.safetensors", dir);
  write_checkpoint(ckpt);
  char build[512];
  snprintf(build, sizeof build, "'%s' build '%s' --weights '%%s' --embed-weights -o '%%s'", CRATEC_PROGRAM,
           CASE "model.crate");
  sh(build, ckpt, exe);
  unlink(ckpt);
  sh("'%s' infer --input " CASE "input.safetensors --output '%s'", exe, out);
  float *want = bt_tensor(CASE "expected.safetensors", "logits", 20), *got = bt_tensor(out, "logits", 20);
  bt_assert_close(got, want, 20, 1e-4f, "logits");
  free(want);
  free(got);
  remove_dir();
}
END_TEST

/* Peak resident memory of CMD run by the shell, in KiB. */
static long peak_rss_kb(const char *cmd) {
  pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
  }
  int status;
  struct rusage usage;
  ck_assert_int_eq(wait4(pid, &status, 0, &usage), pid);
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "failed: %s", cmd);
  return usage.ru_maxrss;
}

/* infer reserves the forward pass's work buffer, not the training step's
 * (3.6 times larger for micro): at batch 4096 it stays below grad on the
 * same input by at least half the difference of the two buffers. */
START_TEST(infer_reserves_no_training_memory) {
  enum { BATCH = 4096, IMAGE = 3 * 32 * 32 };
  make_dir();
  char exe[128], input[128], out[128], cmd[1024];
  snprintf(exe, sizeof exe, "%s/micro", dir);
  snprintf(input, sizeof input, "%s/input.safetensors", dir);
  snprintf(out, sizeof out, "%s/out.safetensors", dir);
  char build[512];
  snprintf(build, sizeof build, "'%s' build '%s' -o '%%s'", CRATEC_PROGRAM, CASE "model.crate");
  sh(build, exe, NULL);
  float *images = calloc((size_t)BATCH * IMAGE, sizeof *images);
  int64_t *labels = calloc(BATCH, sizeof *labels);
  crt_tensor t[2] = {{"images", CRT_F32, 4, {BATCH, 3, 32, 32}, images, sizeof *images * BATCH * IMAGE},
                     {"labels", CRT_I64, 1, {BATCH}, labels, sizeof *labels * BATCH}};
  crt_error e;
  ck_assert_msg(crt_st_write(input, t, 2, NULL, &e) == 0, "%s", e.msg);
  free(images), free(labels);
  snprintf(cmd, sizeof cmd, "'%s' check '%s' --batch %d", CRATEC_PROGRAM, CASE "model.crate", BATCH);
  FILE *p = popen(cmd, "r");
  char line[512];
  double infer_mib = 0, train_mib = 0;
  while (fgets(line, sizeof line, p))
    sscanf(line, "activation memory (batch %*d): inference %lf MiB, training %lf MiB", &infer_mib, &train_mib);
  ck_assert_int_eq(pclose(p), 0);
  ck_assert(train_mib > 2 * infer_mib && infer_mib > 0);
  const char *form = "'%s' %s --weights " CASE "weights.safetensors --input '%s' --output '%s' --threads 1";
  snprintf(cmd, sizeof cmd, form, exe, "infer", input, out);
  long infer_kb = peak_rss_kb(cmd);
  snprintf(cmd, sizeof cmd, form, exe, "grad", input, out);
  long grad_kb = peak_rss_kb(cmd);
  ck_assert_msg(grad_kb - infer_kb > (train_mib - infer_mib) / 2 * 1024,
                "infer %ld KiB, grad %ld KiB; work buffers %.1f and %.1f MiB", infer_kb, grad_kb, infer_mib,
                train_mib);
  remove_dir();
}
END_TEST

int main(void) {
  Suite *s = suite_create("programs");
  TCase *tc = tcase_create("micro");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, exe_llvm_o0);
  tcase_add_test(tc, exe_llvm_o2);
  tcase_add_test(tc, exe_c_o0);
  tcase_add_test(tc, library_with_header);
  tcase_add_test(tc, library_train_step_batch_8);
  tcase_add_test(tc, embedded_checkpoint);
  tcase_add_test(tc, infer_reserves_no_training_memory);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
