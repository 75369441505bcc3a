/* Op attributes: lookup, typed getters and setters. */
#include <stdlib.h>
#include <string.h>

#include "ir.h"

const IrAttr *ir_attr_find(const IrOp *op, const char *name) {
  for (int i = 0; i < op->attrs.len; i++)
    if (strcmp(op->attrs.items[i].name, name) == 0) return &op->attrs.items[i];
  return NULL;
}

/* Required attributes are checked by ir_op_check_attrs before anyone reads
 * them; reaching here without one is a bug in a pass, not bad input. */
static const IrAttr *required(const IrOp *op, const char *name, IrAttrType type) {
  const IrAttr *a = ir_attr_find(op, name);
  if (!a || a->type != type) {
    fprintf(stderr, "cratec: internal error: op '%s' has no %s attribute '%s'\n",
            ir_op_name(op->kind), ir_attr_type_name(type), name);
    abort();
  }
  return a;
}

int64_t ir_attr_int(const IrOp *op, const char *name) { return required(op, name, IR_ATTR_INT)->i; }
double ir_attr_float(const IrOp *op, const char *name) { return required(op, name, IR_ATTR_FLOAT)->f; }
const char *ir_attr_str(const IrOp *op, const char *name) { return required(op, name, IR_ATTR_STR)->s; }

int64_t ir_attr_int_or(const IrOp *op, const char *name, int64_t dflt) {
  const IrAttr *a = ir_attr_find(op, name);
  return a && a->type == IR_ATTR_INT ? a->i : dflt;
}

double ir_attr_float_or(const IrOp *op, const char *name, double dflt) {
  const IrAttr *a = ir_attr_find(op, name);
  return a && a->type == IR_ATTR_FLOAT ? a->f : dflt;
}

static void attr_clear(IrAttr *a) {
  free(a->s);
  free(a->ints);
  a->s = NULL;
  a->ints = NULL;
  a->nints = 0;
}

void ir_attr_free(IrAttr *a) {
  attr_clear(a);
  free(a->name);
}

/* The slot for NAME, emptied, or a new one at the end. */
static IrAttr *slot(IrOp *op, const char *name, IrAttrType type) {
  IrAttr *a = (IrAttr *)ir_attr_find(op, name);
  if (a) {
    attr_clear(a);
  } else {
    vec_push(&op->attrs, ((IrAttr){.name = xstrdup(name)}));
    a = &op->attrs.items[op->attrs.len - 1];
  }
  a->type = type;
  return a;
}

void ir_set_int(IrOp *op, const char *name, int64_t v) { slot(op, name, IR_ATTR_INT)->i = v; }
void ir_set_float(IrOp *op, const char *name, double v) { slot(op, name, IR_ATTR_FLOAT)->f = v; }
void ir_set_str(IrOp *op, const char *name, const char *v) { slot(op, name, IR_ATTR_STR)->s = xstrdup(v); }

void ir_set_ints(IrOp *op, const char *name, const int64_t *v, int n) {
  IrAttr *a = slot(op, name, IR_ATTR_INTS);
  a->ints = xmalloc((size_t)(n ? n : 1) * sizeof *v);
  if (n) memcpy(a->ints, v, (size_t)n * sizeof *v);
  a->nints = n;
}

void ir_attr_copy_all(IrOp *dst, const IrOp *src) {
  for (int i = 0; i < src->attrs.len; i++) {
    const IrAttr *a = &src->attrs.items[i];
    switch (a->type) {
    case IR_ATTR_INT: ir_set_int(dst, a->name, a->i); break;
    case IR_ATTR_FLOAT: ir_set_float(dst, a->name, a->f); break;
    case IR_ATTR_STR: ir_set_str(dst, a->name, a->s); break;
    case IR_ATTR_INTS: ir_set_ints(dst, a->name, a->ints, a->nints); break;
    }
  }
}
