/* pass_tile: IR text in, IR text out, for an L2 that holds a block's
 * working set, the 1 MiB fallback, and one too small for the weights
 * (docs/performance.md, "The tiling cost model"); pass_pack_weights, which
 * runs before it. */
#include <stdlib.h>

#include "passes_test.h"

/* IR file IR through PASS for target T is the text of EXPECTED, and verifies. */
static void check_pass(const char *ir, PassFn pass, const Target *t, const char *expected) {
  Graph *g = pt_graph_file(ir);
  Diag d;
  diag_init(&d, stderr);
  ck_assert(pass(g, t, &d));
  ck_assert(ir_verify(g, &d));
  char *got = ir_print_string(g), *want = pt_read(expected);
  ck_assert_str_eq(got, want);
  free(got);
  free(want);
  ir_graph_free(g);
}

/* tile_block.ir through pass_tile on a host-like target with L2 bytes of
 * L2 is the text of EXPECTED. */
static void check_tiles(size_t l2, const char *expected) {
  Target t = *pt_target();
  t.l2 = l2;
  check_pass("tile_block.ir", pass_tile, &t, expected);
}

/* 2 MiB: half is 262144 floats. mssa_add's projections: (262144 − 384²) /
 * (384 + 384) = 149 rows → 144; its attention fits whole (2·64·208 +
 * 197·(208 + 64) floats), one tile of 197. linear 384→1000: (262144 −
 * 384000) is negative, so a quarter of the budget: 65536 / 1384 → 47 →
 * 32. ista's two dictionaries (2·384² floats) overflow it too: 65536 /
 * 768 = 85 → 80. */
START_TEST(tiles_for_2mib) { check_tiles(2u << 20, "tile_block.2M.expected"); }
END_TEST

/* 1 MiB (the fallback when sysfs says nothing): 131072 floats, less than
 * 384² + 197·768, so a quarter: 32768 / 768 = 42 → 32 rows; the attention
 * still fits whole: 131072 − 26624 = 104448 ≥ 197 · 272. */
START_TEST(tiles_for_1mib) { check_tiles(1u << 20, "tile_block.1M.expected"); }
END_TEST

/* 256 KiB: 32768 floats. Row tiles at the 16-row floor (8192 / 768 = 10);
 * query tiles of (32768 − 26624) / 272 = 22 → 16 rows. */
START_TEST(tiles_for_256kib) { check_tiles(256u << 10, "tile_block.256K.expected"); }
END_TEST

/* Two blocks share U and W_o: one transpose each; the classifier's (3, 8)
 * weight becomes (8, 3); the IR verifies, so the hoisted transposes and
 * the rewritten ops agree on their shapes. */
START_TEST(pack_weights_golden) {
  check_pass("pack_block.ir", pass_pack_weights, pt_target(), "pack_block.expected");
}
END_TEST

Suite *tile_suite(void) {
  Suite *s = suite_create("tile");
  TCase *tc = tcase_create("tile");
  tcase_add_test(tc, tiles_for_2mib);
  tcase_add_test(tc, tiles_for_1mib);
  tcase_add_test(tc, tiles_for_256kib);
  tcase_add_test(tc, pack_weights_golden);
  suite_add_tcase(s, tc);
  return s;
}
