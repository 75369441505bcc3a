/* tests/kernels still takes run_suite from here; the one runner is in
 * tests/common (link test_common instead). */
#include "../common/run_suite.h"
