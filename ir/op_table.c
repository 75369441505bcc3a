/* The op table as data, and the checks every op gets from its schema before
 * its shape function runs. */
#include <string.h>

#include "shape.h"

static const IrOpInfo op_table[IR_OP_COUNT] = {
#define IR_OP(id, name, min_in, max_in, n_results, attrs, flags, shape, ...) \
  [IR_OP_##id] = {name, min_in, max_in, n_results, attrs, flags, shape},
#include "ops.def"
#undef IR_OP
};

const IrOpInfo *ir_op_info(IrOpKind kind) { return &op_table[kind]; }
const char *ir_op_name(IrOpKind kind) { return op_table[kind].name; }

int ir_op_lookup(const char *name) {
  for (int k = 0; k < IR_OP_COUNT; k++)
    if (strcmp(op_table[k].name, name) == 0) return k;
  return -1;
}

static const char *const attr_type_names[] = {"int", "float", "str", "ints"};

const char *ir_attr_type_name(IrAttrType t) { return attr_type_names[t]; }

/* One "?name:type" entry of a schema, as a view into the schema string. */
typedef struct SchemaEntry {
  const char *name;
  size_t name_len;
  IrAttrType type;
  bool optional;
} SchemaEntry;

/* Reads the entry at *P and advances past it; false at the end. */
static bool next_entry(const char **p, SchemaEntry *e) {
  const char *s = *p;
  while (*s == ' ') s++;
  if (!*s) return false;
  e->optional = *s == '?';
  if (e->optional) s++;
  e->name = s;
  const char *colon = strchr(s, ':');
  e->name_len = (size_t)(colon - s);
  const char *type = colon + 1;
  size_t type_len = strcspn(type, " ");
  for (int t = 0; t < 4; t++)
    if (strlen(attr_type_names[t]) == type_len && strncmp(type, attr_type_names[t], type_len) == 0)
      e->type = (IrAttrType)t;
  *p = type + type_len;
  return true;
}

static bool entry_is(const SchemaEntry *e, const char *name) {
  return strlen(name) == e->name_len && strncmp(e->name, name, e->name_len) == 0;
}

bool ir_op_attr_schema(IrOpKind kind, const char *name, IrAttrType *type, bool *optional) {
  const char *p = op_table[kind].attrs;
  SchemaEntry e;
  while (next_entry(&p, &e))
    if (entry_is(&e, name)) {
      *type = e.type;
      *optional = e.optional;
      return true;
    }
  return false;
}

bool ir_op_check_attrs(const IrOp *op, char *err) {
  for (int i = 0; i < op->attrs.len; i++) {
    const IrAttr *a = &op->attrs.items[i];
    for (int j = 0; j < i; j++)
      if (strcmp(op->attrs.items[j].name, a->name) == 0)
        return shape_fail(err, "attribute '%s' given twice", a->name);
    IrAttrType type;
    bool optional;
    if (!ir_op_attr_schema(op->kind, a->name, &type, &optional))
      return shape_fail(err, "unknown attribute '%s' (%s takes: %s)", a->name, ir_op_name(op->kind),
                        *op_table[op->kind].attrs ? op_table[op->kind].attrs : "none");
    if (a->type != type)
      return shape_fail(err, "attribute '%s' is %s, expected %s", a->name,
                        ir_attr_type_name(a->type), ir_attr_type_name(type));
  }
  const char *p = op_table[op->kind].attrs;
  SchemaEntry e;
  while (next_entry(&p, &e))
    if (!e.optional) {
      bool found = false;
      for (int i = 0; i < op->attrs.len && !found; i++) found = entry_is(&e, op->attrs.items[i].name);
      if (!found) return shape_fail(err, "missing attribute '%.*s'", (int)e.name_len, e.name);
    }
  return true;
}

bool ir_op_infer(const IrOp *op, IrType *results, char *err) {
  const IrOpInfo *info = &op_table[op->kind];
  int n = op->operands.len;
  if (n < info->min_operands || n > info->max_operands) {
    if (info->min_operands == info->max_operands)
      return shape_fail(err, "takes %d operands, found %d", info->min_operands, n);
    return shape_fail(err, "takes %d to %d operands, found %d", info->min_operands,
                      info->max_operands, n);
  }
  if (!ir_op_check_attrs(op, err)) return false;
  return info->shape(op, results, err);
}
