/* Every op kind against what its ops.def row must give each layer. A row
 * always has every column (the X-macros take them all), so what can go
 * missing is an entry written `none` where the kind needs a function: each
 * check below names the op, the column and why the kind needs it. */
#include <check.h>
#include <stdlib.h>

#include "eval.h"
#include "kernel.h"
#include "passes.h"
#include "run_suite.h"

static bool has_attr(IrOpKind k, const char *name) {
  IrAttrType type;
  bool optional;
  return ir_op_attr_schema(k, name, &type, &optional);
}

/* Forward ops that autodiff never meets on a parameter's path, so they
 * need no rule: patchify reads the images only. */
static bool never_differentiated(IrOpKind k) { return k == IR_OP_PATCHIFY; }

START_TEST(row_is_complete) {
  IrOpKind k = (IrOpKind)_i;
  const IrOpInfo *info = ir_op_info(k);
  const char *name = info->name;
  ck_assert_msg(name && *name, "op kind %d has no name", _i);
  ck_assert_msg(ir_op_lookup(name) == _i, "op '%s': its name is not unique", name);
  ck_assert_msg(info->min_operands <= info->max_operands, "op '%s': min operands above max", name);
  ck_assert_msg(info->results >= 1 && info->results <= IR_MAX_RESULTS,
                "op '%s': %d results (1 to %d)", name, info->results, IR_MAX_RESULTS);
  ck_assert_msg(info->shape, "op '%s': no shape function", name);
  bool composite = info->flags & IR_FLAG_COMPOSITE;
  ck_assert_msg(composite == ir_op_expands(k),
                "op '%s': %s, but its expand entry %s (ir/expand.c)", name,
                composite ? "a composite op (IR_FLAG_COMPOSITE) stands for primitives" : "not a composite op",
                composite ? "is none" : "names an expansion");
  ck_assert_msg(ir_eval_supports(k),
                "op '%s': its eval entry is none, but the reference executor runs every op "
                "(ir/eval_*.c)", name);
  ck_assert_msg(kernel_for(k),
                "op '%s': its kernel entry is none, but lowering needs an emitter for every op "
                "(lower/kernel_*.c)", name);

  bool derived = info->flags & (IR_FLAG_GRAD | IR_FLAG_FUSED);
  if (derived)
    ck_assert_msg(!pass_autodiff_differentiates(k),
                  "op '%s': a grad or fused op has an autodiff rule, but autodiff runs on forward "
                  "graphs only: write none", name);
  else if (!never_differentiated(k))
    ck_assert_msg(pass_autodiff_differentiates(k),
                  "op '%s': its autodiff entry is none, but a forward op needs a rule for training "
                  "graphs (passes/autodiff_rules.c)", name);

  bool tiled = pass_tile_applies(k);
  ck_assert_msg(tiled == (has_attr(k, "row_tile") || has_attr(k, "query_tile")),
                "op '%s': its tile entry %s, but its schema %s row_tile or query_tile", name,
                tiled ? "sets tiles" : "is none", tiled ? "has no" : "has");
  if (tiled)
    ck_assert_msg(ir_op_has_flops(k),
                  "op '%s': its flops entry is none, but a tiled op runs GEMMs that bench --profile "
                  "counts (ir/flops.c)", name);
}
END_TEST

int main(void) {
  Suite *s = suite_create("op table");
  TCase *tc = tcase_create("rows");
  tcase_add_loop_test(tc, row_is_complete, 0, IR_OP_COUNT);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
