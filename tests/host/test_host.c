/* test_host SUITE: one CTest test per suite (io, errors, train, measures, session, faults, limits). */
#include "host_run.h"
#include "run_suite.h"

static const NamedSuite suites[] = {{"io", io_suite}, {"errors", errors_suite}, {"train", train_suite},
                                    {"measures", measures_suite}, {"session", session_suite},
                                    {"faults", faults_suite}, {"limits", limits_suite}};

int main(int argc, char **argv) { return run_named_suite(argc, argv, suites, sizeof suites / sizeof *suites); }
