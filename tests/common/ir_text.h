/* ir_text.h — graphs written as IR text in the tests. */
#ifndef TESTS_COMMON_IR_TEXT_H
#define TESTS_COMMON_IR_TEXT_H

#include "ir.h"

/* The graph of TEXT (NAME in messages), parsed and verified; fails the
 * running test, with the errors on stderr, if it is not a valid graph. */
Graph *test_parse_ir(const char *name, const char *text);

#endif
