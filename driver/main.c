#include "cratert_hint.h"
#include "driver.h"

#include <string.h>

typedef struct Command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} Command;

static const Command commands[] = {
    {"check", cmd_check, "parse and verify a model; print its summary"},
    {"build", cmd_build, "compile a model to a native executable, library, object or IR"},
    {"verify", cmd_verify, "run generated code and the reference kernels side by side"},
    {NULL, NULL, NULL},
};

static void usage(FILE *out) {
  fputs("usage: cratec COMMAND [OPTIONS] MODEL.crate\n\n"
        "cratec compiles CRATE white-box transformers (.crate files) to native code.\n\n"
        "commands:\n",
        out);
  for (const Command *c = commands; c->name; c++) fprintf(out, "  %-8s %s\n", c->name, c->summary);
  fputs("\nRun 'cratec COMMAND --help' for a command's options.\n", out);
}

bool driver_parse_args(const char *cmd, int argc, char **argv, const crt_option *opts,
                       const char **positional, int max_positional, int *npos) {
  crt_error e;
  if (crt_parse_args(argc, argv, opts, positional, max_positional, npos, &e) != 0) {
    fprintf(stderr, "cratec %s: error: %s\n", cmd, e.msg);
    return false;
  }
  return true;
}

const char *driver_format_bytes(char *buf, size_t size, double bytes) {
  static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB"};
  int u = 0;
  for (; u + 1 < (int)(sizeof units / sizeof units[0]) && bytes >= 1024; u++) bytes /= 1024;
  snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
  return buf;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *name = argv[1];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(name, "--version") == 0) {
    printf("cratec %s\n", CRATEC_VERSION);
    return 0;
  }
  for (const Command *c = commands; c->name; c++)
    if (strcmp(name, c->name) == 0) return c->run(argc - 2, argv + 2);

  const char *names[8];
  int n = 0;
  for (const Command *c = commands; c->name; c++) names[n++] = c->name;
  names[n] = NULL;
  char hint[CRT_HINT_SIZE];
  fprintf(stderr, "cratec: error: unknown command '%s'%s\n", name,
          *crt_did_you_mean(&hint, name, names) ? hint : " (see 'cratec --help')");
  return 2;
}
