/* The thread knob and crt_parallel_for: every item exactly once, in
 * contiguous static ranges, for any thread count, nested or not. */
#include "gemm_suites.h"

#include <stdatomic.h>
#include <stdlib.h>

typedef struct coverage {
  atomic_int *hits;
  atomic_int ranges;
  int64_t nested_items; /* items of an inner loop, run by each outer item */
} coverage;

static void count_inner(void *ctx, int64_t begin, int64_t end) {
  coverage *c = ctx;
  for (int64_t i = begin; i < end; i++) atomic_fetch_add(&c->hits[i], 1);
}

static void count_outer(void *ctx, int64_t begin, int64_t end) {
  coverage *c = ctx;
  atomic_fetch_add(&c->ranges, 1);
  for (int64_t i = begin; i < end; i++) {
    atomic_fetch_add(&c->hits[i], 1);
    if (c->nested_items) {
      /* An inner loop runs whole on this thread: it sees all its items. */
      coverage inner = {calloc((size_t)c->nested_items, sizeof(atomic_int)), 0, 0};
      crt_parallel_for(c->nested_items, count_inner, &inner);
      for (int64_t j = 0; j < c->nested_items; j++)
        if (atomic_load(&inner.hits[j]) != 1) atomic_fetch_add(&c->hits[i], 100);
      free(inner.hits);
    }
  }
}

START_TEST(every_item_once) {
  static const int64_t sizes[] = {0, 1, 2, 7, 1000};
  for (int threads = 1; threads <= 3; threads++)
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
      const int64_t n = sizes[s];
      coverage c = {calloc((size_t)n + 1, sizeof(atomic_int)), 0, _i ? 5 : 0};
      crt_set_threads(threads);
      crt_parallel_for(n, count_outer, &c);
      int64_t wrong = 0;
      for (int64_t i = 0; i < n; i++) wrong += atomic_load(&c.hits[i]) != 1;
      ck_assert_msg(wrong == 0, "%d threads, %lld items: %lld items not run exactly once", threads,
                    (long long)n, (long long)wrong);
      /* One contiguous range per thread that has work. */
      const int64_t expected_ranges = n < threads ? n : threads;
      ck_assert_int_eq(atomic_load(&c.ranges), expected_ranges);
      free(c.hits);
    }
  crt_set_threads(0);
}
END_TEST

START_TEST(threads_knob) {
  crt_set_threads(3);
  ck_assert_int_eq(crt_threads(), 3);
  crt_set_threads(0);
  ck_assert_int_ge(crt_threads(), 1);
}
END_TEST

Suite *threads_suite(void) {
  Suite *s = suite_create("threads");
  TCase *tc = tcase_create("core");
  tcase_add_loop_test(tc, every_item_once, 0, 2); /* flat, then nested */
  tcase_add_test(tc, threads_knob);
  suite_add_tcase(s, tc);
  return s;
}
