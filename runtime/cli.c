/* Command-line parsing shared by cratec and every generated executable, so
 * both accept the same spellings and report mistakes the same way. */
#include "cratert_hint.h"
#include "cratert_host.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int unknown_option(const char *arg, const crt_option *opts, crt_error *e) {
  const char *names[128];
  int n = 0;
  for (const crt_option *o = opts; o->name && n < 127; o++) names[n++] = o->name;
  names[n] = NULL;
  char word[128];
  snprintf(word, sizeof word, "%.*s", (int)strcspn(arg, "="), arg);
  char hint[CRT_HINT_SIZE];
  return crt_fail(e, "unknown option '%s'%s", word,
                  *crt_did_you_mean(&hint, word, names) ? hint : " (see --help)");
}

static int store(const crt_option *o, const char *value, crt_error *e) {
  char *end;
  switch (o->type) {
  case CRT_ARG_FLAG:
    *(bool *)o->dest = true;
    return 0;
  case CRT_ARG_STRING:
    *(const char **)o->dest = value;
    return 0;
  case CRT_ARG_INT: {
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end || v == CRT_ARG_UNSET)
      return crt_fail(e, "option '%s' expects an integer, got '%s'", o->name, value);
    *(long *)o->dest = v;
    return 0;
  }
  case CRT_ARG_DOUBLE: {
    errno = 0;
    double v = strtod(value, &end);
    if (errno || end == value || *end || !isfinite(v))
      return crt_fail(e, "option '%s' expects a finite number, got '%s'", o->name, value);
    *(double *)o->dest = v;
    return 0;
  }
  }
  return crt_fail(e, "option '%s' has an unknown type", o->name);
}

static const crt_option *find_option(const crt_option *opts, const char *arg, const char **attached) {
  *attached = NULL;
  size_t len = strcspn(arg, "=");
  for (const crt_option *o = opts; o->name; o++) {
    size_t n = strlen(o->name);
    if (n == len && strncmp(arg, o->name, n) == 0) {
      if (arg[len] == '=') *attached = arg + len + 1;
      return o;
    }
    /* short options with a value: "-O2", "-j4" */
    if (n == 2 && o->type != CRT_ARG_FLAG && strncmp(arg, o->name, 2) == 0 && arg[2]) {
      *attached = arg + 2;
      return o;
    }
  }
  return NULL;
}

int crt_parse_args(int argc, char **argv, const crt_option *opts, const char **positional,
                   int max_positional, int *npos, crt_error *e) {
  *npos = 0;
  bool only_positional = false;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    if (only_positional || arg[0] != '-' || strcmp(arg, "-") == 0) {
      if (*npos >= max_positional) return crt_fail(e, "unexpected argument '%s'", arg);
      positional[(*npos)++] = arg;
      continue;
    }
    if (strcmp(arg, "--") == 0) {
      only_positional = true;
      continue;
    }
    const char *value;
    const crt_option *o = find_option(opts, arg, &value);
    if (!o) return unknown_option(arg, opts, e);
    if (o->type == CRT_ARG_FLAG) {
      if (value) return crt_fail(e, "option '%s' takes no value", o->name);
    } else if (!value) {
      if (i + 1 >= argc) return crt_fail(e, "option '%s' needs a value (%s)", o->name, o->metavar ? o->metavar : "VALUE");
      value = argv[++i];
    }
    if (store(o, value, e) != 0) return -1;
  }
  return 0;
}

void crt_print_options(FILE *out, const crt_option *opts) {
  int width = 0;
  for (const crt_option *o = opts; o->name; o++) {
    int w = (int)strlen(o->name) + (o->metavar ? (int)strlen(o->metavar) + 1 : 0);
    if (w > width) width = w;
  }
  for (const crt_option *o = opts; o->name; o++) {
    char left[160];
    snprintf(left, sizeof left, "%s%s%s", o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
    fprintf(out, "  %-*s  %s\n", width, left, o->help ? o->help : "");
  }
}
