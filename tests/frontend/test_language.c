/* The .crate language: what the frontend accepts and what it fills in.
 * (Each rejected construct has its exact diagnostic in tests/errors/.) */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

static const char *const crate_tiny_text =
    "# CRATE-Tiny/16\n"
    "model crate_tiny {\n"
    "    input image(channels = 3, height = 224, width = 224)\n"
    "    patch_embed(patch = 16, dim = 384)\n"
    "    repeat 12 {\n"
    "        mssa(heads = 6, dim_head = 64)\n"
    "        ista(step = 0.1, lambda = 0.1)\n"
    "    }\n"
    "    head(pool = cls, classes = 1000)\n"
    "}\n"
    "\n"
    "train {\n"
    "    optimizer lion(lr = 2e-4, weight_decay = 0.05)\n"
    "    schedule cosine(warmup_epochs = 20)\n"
    "    epochs 200\n"
    "    batch 512\n"
    "    label_smoothing 0.1\n"
    "}\n";

static Model *parse_ok(const char *text) {
  char *diagnostics;
  Model *m = parse_text(text, &diagnostics);
  ck_assert_msg(m, "rejected:\n%s", diagnostics);
  ck_assert_str_eq(diagnostics, "");
  free(diagnostics);
  return m;
}

/* A model block around BODY, with a valid input, patch_embed and head. */
static Model *parse_layers(const char *layers) {
  char *text = xasprintf("model m {\n  input image(height = 32, width = 32)\n  patch_embed(patch = 8, dim = 64)\n"
                         "%s\n  head(classes = 10)\n}\n",
                         layers);
  Model *m = parse_ok(text);
  free(text);
  return m;
}

START_TEST(test_contract_crate_tiny) {
  Model *m = parse_ok(crate_tiny_text);
  ck_assert_str_eq(m->name, "crate_tiny");
  ck_assert_int_eq(m->channels, 3);
  ck_assert_int_eq(m->height, 224);
  ck_assert_int_eq(m->width, 224);
  ck_assert_int_eq(m->patch_h, 16);
  ck_assert_int_eq(m->patch_w, 16);
  ck_assert_int_eq(m->dim, 384);
  ck_assert_int_eq(m->depth, 12);
  for (int l = 0; l < 12; l++) {
    ck_assert_int_eq(m->layers[l].heads, 6);
    ck_assert_int_eq(m->layers[l].dim_head, 64);
    ck_assert(m->layers[l].has_out_proj);
    ck_assert_double_eq(m->layers[l].step, 0.1);
    ck_assert_double_eq(m->layers[l].lambda, 0.1);
    ck_assert_int_eq(m->layers[l].loc.line, 6);
  }
  ck_assert_int_eq(m->pool, POOL_CLS);
  ck_assert_int_eq(m->classes, 1000);
  ck_assert(m->has_train);
  const TrainSpec *t = &m->train;
  ck_assert_int_eq(t->optimizer, CRT_OPT_LION);
  ck_assert_double_eq(t->lr, 2e-4);
  ck_assert_double_eq(t->weight_decay, 0.05);
  ck_assert_double_eq(t->beta1, 0.9);
  ck_assert_double_eq(t->beta2, 0.99);
  ck_assert_int_eq(t->schedule, CRT_SCHEDULE_COSINE);
  ck_assert_double_eq(t->warmup_epochs, 20);
  ck_assert_int_eq(t->warmup_steps, 0);
  ck_assert_double_eq(t->min_lr, 0);
  ck_assert_int_eq(t->epochs, 200);
  ck_assert_int_eq(t->batch, 512);
  ck_assert_double_eq(t->label_smoothing, 0.1);
  ck_assert_uint_eq(t->seed, 0);
  model_free(m);
}
END_TEST

START_TEST(test_example_is_the_contract_text) {
  /* examples/crate_tiny.crate adds one comment line to the contract's text. */
  Model *a = parse_ok(crate_tiny_text);
  Model *b = parse_source_file("examples/crate_tiny.crate");
  ck_assert_int_eq(model_param_count(a), model_param_count(b));
  ck_assert_int_eq(model_flops(a), model_flops(b));
  ck_assert(memcmp(&a->train, &b->train, sizeof a->train) == 0);
  model_free(a);
  model_free(b);
}
END_TEST

START_TEST(test_defaults_without_train_block) {
  Model *m = parse_layers("  mssa(heads = 2)\n  ista()");
  ck_assert_int_eq(m->channels, 3);
  ck_assert_int_eq(m->pool, POOL_CLS);
  ck_assert_double_eq(m->layers[0].step, 0.1);
  ck_assert_double_eq(m->layers[0].lambda, 0.1);
  ck_assert(!m->has_train);
  const TrainSpec *t = &m->train;
  ck_assert_int_eq(t->optimizer, CRT_OPT_ADAMW);
  ck_assert_double_eq(t->lr, 4e-4);
  ck_assert_double_eq(t->weight_decay, 0.1);
  ck_assert_double_eq(t->beta1, 0.9);
  ck_assert_double_eq(t->beta2, 0.999);
  ck_assert_double_eq(t->eps, 1e-8);
  ck_assert_double_eq(t->momentum, 0.9);
  ck_assert(!t->nesterov);
  ck_assert_int_eq(t->schedule, CRT_SCHEDULE_CONSTANT);
  ck_assert_int_eq(t->epochs, 90);
  ck_assert_int_eq(t->batch, 256);
  ck_assert_double_eq(t->label_smoothing, 0);
  ck_assert_uint_eq(t->seed, 0);
  model_free(m);
}
END_TEST

START_TEST(test_dim_head_inferred) {
  Model *m = parse_layers("  mssa(heads = 4)\n  ista()\n  mssa(heads = 64); ista()\n  mssa(heads = 3, dim_head = 5); ista()");
  ck_assert_int_eq(m->depth, 3);
  ck_assert_int_eq(m->layers[0].dim_head, 16);
  ck_assert_int_eq(m->layers[1].dim_head, 1);
  ck_assert_int_eq(m->layers[2].heads, 3);
  ck_assert_int_eq(m->layers[2].dim_head, 5);
  model_free(m);
}
END_TEST

START_TEST(test_per_layer_specs_and_nested_repeat) {
  /* After expansion: mssa ista | mssa ista (x2 x3) | mssa ista. */
  Model *m = parse_layers("  mssa(heads = 1, dim_head = 64)\n"
                          "  ista(step = 0.5, lambda = 0)\n"
                          "  repeat 3 {\n"
                          "    repeat 2 {\n"
                          "      mssa(heads = 8)\n"
                          "      ista(lambda = 0.25)\n"
                          "    }\n"
                          "  }\n"
                          "  mssa(heads = 2)\n"
                          "  ista(step = 1e-1)");
  ck_assert_int_eq(m->depth, 8);
  ck_assert(!m->layers[0].has_out_proj);
  ck_assert_double_eq(m->layers[0].step, 0.5);
  ck_assert_double_eq(m->layers[0].lambda, 0);
  for (int l = 1; l <= 6; l++) {
    ck_assert_int_eq(m->layers[l].heads, 8);
    ck_assert_int_eq(m->layers[l].dim_head, 8);
    ck_assert_double_eq(m->layers[l].lambda, 0.25);
    ck_assert_int_eq(m->layers[l].loc.line, 8);
  }
  ck_assert_int_eq(m->layers[7].heads, 2);
  ck_assert_double_eq(m->layers[7].step, 0.1);
  model_free(m);
}
END_TEST

START_TEST(test_layer_rule_across_repeat) {
  /* mssa | ista mssa (x2) | ista reads mssa ista mssa ista mssa ista. */
  Model *m = parse_layers("  mssa(heads = 2)\n  repeat 2 { ista(); mssa(heads = 4) }\n  ista()");
  ck_assert_int_eq(m->depth, 3);
  ck_assert_int_eq(m->layers[0].heads, 2);
  ck_assert_int_eq(m->layers[2].heads, 4);
  model_free(m);
}
END_TEST

START_TEST(test_rectangular_patches_and_mean_pool) {
  Model *m = parse_ok("model r {\n input image(channels = 1, height = 12, width = 20)\n"
                      " patch_embed(patch_h = 3, patch_w = 5, dim = 8)\n mssa(heads = 2); ista()\n"
                      " head(pool = mean, classes = 2)\n}\n");
  ck_assert_int_eq(model_patches(m), 16);
  ck_assert_int_eq(model_patch_dim(m), 15);
  ck_assert_int_eq(m->pool, POOL_MEAN);
  model_free(m);
}
END_TEST

START_TEST(test_train_block_forms) {
  Model *m = parse_ok("model m { input image(height = 8, width = 8); patch_embed(patch = 4, dim = 8)\n"
                      "  mssa(heads = 2); ista(); head(classes = 2) }\n"
                      "train {\n"
                      "  optimizer sgd(lr = 0.05, momentum = 0.8,\n"
                      "                weight_decay = 0, nesterov = true)\n"
                      "  schedule cosine(warmup_steps = 500, min_lr = 1e-5)\n"
                      "  seed 42; batch 32\n"
                      "}\n");
  const TrainSpec *t = &m->train;
  ck_assert_int_eq(t->optimizer, CRT_OPT_SGD);
  ck_assert_double_eq(t->lr, 0.05);
  ck_assert_double_eq(t->momentum, 0.8);
  ck_assert_double_eq(t->weight_decay, 0);
  ck_assert(t->nesterov);
  ck_assert_int_eq(t->schedule, CRT_SCHEDULE_COSINE);
  ck_assert_int_eq(t->warmup_steps, 500);
  ck_assert_double_eq(t->warmup_epochs, 0);
  ck_assert_double_eq(t->min_lr, 1e-5);
  ck_assert_uint_eq(t->seed, 42);
  ck_assert_int_eq(t->batch, 32);
  ck_assert_int_eq(t->epochs, 90);
  model_free(m);

  m = parse_ok("model m { input image(height = 8, width = 8); patch_embed(patch = 4, dim = 8)\n"
               "  mssa(heads = 2); ista(); head(classes = 2) }\n"
               "train { optimizer adamw(beta1 = 0.8, beta2 = 0.95, eps = 1e-6); schedule constant }\n");
  ck_assert_int_eq(m->train.optimizer, CRT_OPT_ADAMW);
  ck_assert_double_eq(m->train.beta1, 0.8);
  ck_assert_double_eq(m->train.beta2, 0.95);
  ck_assert_double_eq(m->train.eps, 1e-6);
  ck_assert_double_eq(m->train.lr, 4e-4);
  ck_assert_int_eq(m->train.schedule, CRT_SCHEDULE_CONSTANT);
  model_free(m);

  m = parse_ok("model m { input image(height = 8, width = 8); patch_embed(patch = 4, dim = 8)\n"
               "  mssa(heads = 2); ista(); head(classes = 2) }\n"
               "train { schedule cosine; optimizer lion }\n");
  ck_assert_int_eq(m->train.schedule, CRT_SCHEDULE_COSINE);
  ck_assert_double_eq(m->train.warmup_epochs, 0);
  ck_assert_double_eq(m->train.beta2, 0.99);
  model_free(m);
}
END_TEST

/* Replaces every "\n" of TEXT with "\r\n" and every 4-space indent with a
 * tab, and puts a UTF-8 BOM in front. */
static char *windows_style(const char *text) {
  StrBuf sb = {0};
  sb_append(&sb, "\xEF\xBB\xBF");
  for (const char *p = text; *p; p++) {
    if (*p == '\n')
      sb_append(&sb, "\r\n");
    else if (strncmp(p, "    ", 4) == 0)
    {
      sb_append(&sb, "\t");
      p += 3;
    }
    else
      sb_appendn(&sb, p, 1);
  }
  return sb_take(&sb);
}

START_TEST(test_crlf_tabs_and_bom) {
  char *text = windows_style(crate_tiny_text);
  ck_assert(strchr(text, '\t') && strstr(text, "\r\n"));
  Model *m = parse_ok(text);
  ck_assert_int_eq(model_param_count(m), 6090856);
  ck_assert_double_eq(m->train.label_smoothing, 0.1);
  model_free(m);
  free(text);
}
END_TEST

START_TEST(test_strings_and_signed_numbers) {
  Model *m = parse_layers("  mssa(heads = +2)\n  ista(step = .1, lambda = 1E-1)\n");
  ck_assert_int_eq(m->layers[0].heads, 2);
  ck_assert_double_eq(m->layers[0].step, 0.1);
  ck_assert_double_eq(m->layers[0].lambda, 0.1);
  model_free(m);
  m = parse_ok("model m { input image(height = 8, width = 8); patch_embed(patch = 4, dim = 8)\n"
               "  mssa(heads = 2); ista(); head(pool = \"mean\", classes = 2) }\n");
  ck_assert_int_eq(m->pool, POOL_MEAN);
  model_free(m);
}
END_TEST

/* ---- hostile input: an error, never a crash or a hang ---------------------- */

static void expect_rejected(const char *text, size_t len, const char *message) {
  char *diagnostics;
  Model *m = parse_bytes(text, len, &diagnostics);
  ck_assert_ptr_null(m);
  ck_assert_msg(strstr(diagnostics, message), "no '%s' in:\n%.2000s", message, diagnostics);
  free(diagnostics);
}

START_TEST(test_deep_nesting) {
  size_t n = 200000;
  char *text = xmalloc(2 * n + 1);
  memset(text, '{', n);
  memset(text + n, '}', n);
  expect_rejected(text, 2 * n, "expected a statement");
  for (size_t i = 0; i < n; i++) memcpy(text + i, i % 2 ? "{" : "m", 1);
  expect_rejected(text, 2 * n, "nested too deeply");
  free(text);
}
END_TEST

START_TEST(test_long_line_and_huge_numbers) {
  size_t n = 1 << 20;
  char *text = xmalloc(n + 1);
  memset(text, 'a', n);
  expect_rejected(text, n, "unknown statement");
  memset(text, '9', n);
  expect_rejected(text, n, "is too large");
  memcpy(text, "0.", 2);
  expect_rejected(text, n, "expected a statement");   /* a decimal that rounds to a finite value */
  free(text);
  const char *decimal_size = "model m { input image(height = 1e308, width = 8) }";
  expect_rejected(decimal_size, strlen(decimal_size), "'height' must be an integer");
}
END_TEST

START_TEST(test_error_flood_is_bounded) {
  /* 4 MiB of bad lines: at most 20 errors are printed. */
  size_t n = CRATEC_MAX_SOURCE;
  char *text = xmalloc(n);
  for (size_t i = 0; i < n; i += 2) memcpy(text + i, "@\n", 2);
  char *diagnostics;
  ck_assert_ptr_null(parse_bytes(text, n, &diagnostics));
  int errors = 0;
  for (const char *p = diagnostics; (p = strstr(p, ": error: ")); p++) errors++;
  ck_assert_int_eq(errors, 20);
  ck_assert(strstr(diagnostics, "too many errors"));
  free(diagnostics);
  free(text);
}
END_TEST

START_TEST(test_huge_file_refused) {
  char path[] = "/tmp/cratec_huge_XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  FILE *f = fdopen(fd, "w");
  for (unsigned i = 0; i <= CRATEC_MAX_SOURCE / 8; i++) fputs("# .....\n", f);
  fclose(f);
  char *err = NULL;
  ck_assert_ptr_null(source_read(path, &err));
  ck_assert(strstr(err, "larger than"));
  free(err);
  remove(path);
}
END_TEST

/* 20 errors on one 2.7 MB line: each snippet is a window of the line, so
 * the diagnostics stay a few kilobytes (they were 108 MB, printed a byte
 * per system call). */
START_TEST(test_long_line_snippets_are_windows) {
  size_t n = 2700000;
  char *text = xmalloc(n);
  for (size_t i = 0; i < n; i += 2) memcpy(text + i, "@ ", 2);
  char *diagnostics;
  ck_assert_ptr_null(parse_bytes(text, n, &diagnostics));
  ck_assert_ptr_nonnull(strstr(diagnostics, "too many errors"));
  ck_assert_uint_lt(strlen(diagnostics), 8000);
  ck_assert_ptr_nonnull(strstr(diagnostics, "\n    @ @ @"));
  ck_assert_ptr_nonnull(strstr(diagnostics, " @ @...\n"));
  free(diagnostics);
  free(text);
}
END_TEST

/* A FIFO as the model would block forever waiting for a writer. */
START_TEST(test_fifo_source_refused) {
  char dir[] = "/tmp/cratec_fifo_XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char *path = xasprintf("%s/m.crate", dir);
  ck_assert_int_eq(mkfifo(path, 0666), 0);
  char *err = NULL;
  ck_assert_ptr_null(source_read(path, &err));
  char *expected = xasprintf("%s: not a regular file (a FIFO)", path);
  ck_assert_str_eq(err, expected);
  free(expected), free(err);
  remove(path);
  rmdir(dir);
  free(path);
}
END_TEST

START_TEST(test_empty_and_blank_files) {
  expect_rejected("", 0, "no 'model' block");
  const char *blank = "\n\n  \t# only a comment\n;;\n";
  expect_rejected(blank, strlen(blank), "no 'model' block");
}
END_TEST

int main(void) {
  Suite *s = suite_create("frontend language");
  TCase *tc = tcase_create("language");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_contract_crate_tiny);
  tcase_add_test(tc, test_example_is_the_contract_text);
  tcase_add_test(tc, test_defaults_without_train_block);
  tcase_add_test(tc, test_dim_head_inferred);
  tcase_add_test(tc, test_per_layer_specs_and_nested_repeat);
  tcase_add_test(tc, test_layer_rule_across_repeat);
  tcase_add_test(tc, test_rectangular_patches_and_mean_pool);
  tcase_add_test(tc, test_train_block_forms);
  tcase_add_test(tc, test_crlf_tabs_and_bom);
  tcase_add_test(tc, test_strings_and_signed_numbers);
  tcase_add_test(tc, test_deep_nesting);
  tcase_add_test(tc, test_long_line_and_huge_numbers);
  tcase_add_test(tc, test_error_flood_is_bounded);
  tcase_add_test(tc, test_huge_file_refused);
  tcase_add_test(tc, test_long_line_snippets_are_windows);
  tcase_add_test(tc, test_fifo_source_refused);
  tcase_add_test(tc, test_empty_and_blank_files);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
