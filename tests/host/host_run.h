/* Running the host test executables (tests/host/CMakeLists.txt builds them
 * in HOST_BIN_DIR) as a user would, capturing what they print. */
#ifndef HOST_RUN_H
#define HOST_RUN_H

#include <check.h>
#include <stdio.h>
#include <sys/types.h>

#include "cratert_host.h"

/* A finished run: exit status (128 + N when killed by signal N),
 * everything written to stdout and stderr (malloc'ed, NUL-terminated), and
 * its peak resident memory. */
typedef struct host_result {
  int status;
  char *out, *err;
  long max_rss_kb;
} host_result;

/* Starts HOST_BIN_DIR/host_EXE with ARGS (NULL-terminated), its output
 * going to files in DIR; host_wait collects it. */
pid_t host_start(const char *dir, const char *exe, const char *const *args);
host_result host_wait(const char *dir, pid_t pid);
/* Both at once. */
host_result host_run(const char *dir, const char *exe, const char *const *args);
void host_result_free(host_result *r);

/* Asserts the run failed (non-zero, not a crash) and that its stderr
 * contains TEXT. */
void host_expect_error(const char *dir, const char *exe, const char *const *args,
                       const char *text);

/* Suites of test_host. */
Suite *io_suite(void);
Suite *errors_suite(void);
Suite *train_suite(void);
Suite *measures_suite(void);
Suite *session_suite(void);
Suite *faults_suite(void);
Suite *limits_suite(void);
/* A suite with one test case of TESTS (timeout generous for sanitizers). */
Suite *host_suite(const char *name, const TTest *const *tests, int count);

#define CASE_PATH(buf, name, file) \
  (snprintf(buf, sizeof buf, "%s/%s/%s", CRATEC_TEST_DATA, name, file), buf)

#endif
