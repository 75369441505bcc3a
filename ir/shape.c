/* Types, and the checks the shape functions share. */
#include <stdarg.h>
#include <string.h>

#include "shape.h"

bool ir_type_eq(const IrType *a, const IrType *b) {
  if (a->dtype != b->dtype || a->rank != b->rank) return false;
  for (int i = 0; i < a->rank; i++)
    if (a->dims[i] != b->dims[i]) return false;
  return true;
}

const char *ir_dtype_name(IrDType t) { return t == IR_F32 ? "f32" : "i64"; }

void ir_type_format(StrBuf *sb, const IrType *t) {
  sb_printf(sb, "%s[", ir_dtype_name(t->dtype));
  for (int i = 0; i < t->rank; i++) {
    if (i) sb_append(sb, ",");
    if (t->dims[i] == IR_BATCH)
      sb_append(sb, "B");
    else
      sb_printf(sb, "%lld", (long long)t->dims[i]);
  }
  sb_append(sb, "]");
}

int64_t ir_type_numel(const IrType *t, int64_t batch) {
  int64_t n = 1;
  for (int i = 0; i < t->rank; i++) n *= t->dims[i] == IR_BATCH ? batch : t->dims[i];
  return n;
}

IrType shape_f32(int rank, const int64_t *dims) {
  IrType t = {.dtype = IR_F32, .rank = rank};
  memcpy(t.dims, dims, (size_t)rank * sizeof *dims);
  return t;
}

bool shape_fail(char *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, IR_ERR_SIZE, fmt, ap);
  va_end(ap);
  return false;
}

/* "operand 1 (%x: f32[B,17,64])": how every message names an operand. */
static void describe_operand(StrBuf *sb, const IrOp *op, int i) {
  sb_printf(sb, "operand %d (%%%s: ", i, op->operands.items[i]->name);
  ir_type_format(sb, operand_type(op, i));
  sb_append(sb, ")");
}

static bool fail_operand(char *err, const IrOp *op, int i, const char *what) {
  StrBuf sb = {0};
  describe_operand(&sb, op, i);
  shape_fail(err, "%s %s", sb.data, what);
  sb_free(&sb);
  return false;
}

bool shape_expect(const IrOp *op, int i, IrDType dt, int rank, char *err) {
  const IrType *t = operand_type(op, i);
  char what[64];
  if (t->dtype != dt) {
    snprintf(what, sizeof what, "must be %s", ir_dtype_name(dt));
    return fail_operand(err, op, i, what);
  }
  if (rank && t->rank != rank) {
    snprintf(what, sizeof what, "must have rank %d", rank);
    return fail_operand(err, op, i, what);
  }
  return true;
}

bool shape_expect_dim(const IrOp *op, int i, int axis, int64_t want, char *err) {
  const IrType *t = operand_type(op, i);
  int a = axis < 0 ? t->rank + axis : axis;
  if (t->dims[a] == want) return true;
  char what[96];
  if (want == IR_BATCH)
    snprintf(what, sizeof what, "must have dimension %d equal to B", a);
  else
    snprintf(what, sizeof what, "must have dimension %d equal to %lld", a, (long long)want);
  return fail_operand(err, op, i, what);
}

bool shape_positive_attr(const IrOp *op, const char *name, char *err) {
  if (ir_attr_int(op, name) > 0) return true;
  return shape_fail(err, "attribute '%s' must be positive, found %lld", name,
                    (long long)ir_attr_int(op, name));
}
