#include "gemm_suites.h"
#include "run_suite.h"

static const NamedSuite suites[] = {{"forms", forms_suite},
                                    {"fallback", fallback_suite},
                                    {"determinism", determinism_suite},
                                    {"errors", errors_suite},
                                    {"threads", threads_suite}};

int main(int argc, char **argv) { return run_named_suite(argc, argv, suites, sizeof suites / sizeof *suites); }
