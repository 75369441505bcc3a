/* The text form (docs/ir.md has the grammar). Stable by construction: the
 * order is the graph's, floats print in their shortest round-trip form, and
 * nothing depends on addresses, so dumps diff cleanly and parse back to the
 * same text. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

/* The shortest %g form that reads back as the same double, always with a
 * '.' or an exponent so the parser types it as a float. */
static void format_float(StrBuf *sb, double v) {
  char buf[40];
  for (int prec = 6; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) break;
  }
  sb_append(sb, buf);
  if (!strpbrk(buf, ".eEn")) sb_append(sb, ".0");
}

static bool is_word(const char *s) {
  if (!isalpha((unsigned char)*s) && *s != '_') return false;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '_') return false;
  return true;
}

static void format_string(StrBuf *sb, const char *s) {
  sb_append(sb, "\"");
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') sb_append(sb, "\\");
    sb_appendn(sb, s, 1);
  }
  sb_append(sb, "\"");
}

static void format_attr(StrBuf *sb, const IrAttr *a) {
  sb_printf(sb, "%s = ", a->name);
  switch (a->type) {
  case IR_ATTR_INT: sb_printf(sb, "%lld", (long long)a->i); break;
  case IR_ATTR_FLOAT: format_float(sb, a->f); break;
  case IR_ATTR_STR:
    if (is_word(a->s))
      sb_append(sb, a->s);
    else
      format_string(sb, a->s);
    break;
  case IR_ATTR_INTS:
    sb_append(sb, "[");
    for (int i = 0; i < a->nints; i++) sb_printf(sb, "%s%lld", i ? ", " : "", (long long)a->ints[i]);
    sb_append(sb, "]");
    break;
  }
}

/* %a, %b = kind(%x, %y) {attr = v, ...} : type, type */
static void format_op(StrBuf *sb, const IrOp *op) {
  sb_append(sb, "  ");
  for (int r = 0; r < op->results.len; r++) sb_printf(sb, "%s%%%s", r ? ", " : "", op->results.items[r]->name);
  sb_printf(sb, " = %s(", ir_op_name(op->kind));
  for (int i = 0; i < op->operands.len; i++) sb_printf(sb, "%s%%%s", i ? ", " : "", op->operands.items[i]->name);
  sb_append(sb, ")");
  if (op->attrs.len) {
    sb_append(sb, " {");
    for (int i = 0; i < op->attrs.len; i++) {
      if (i) sb_append(sb, ", ");
      format_attr(sb, &op->attrs.items[i]);
    }
    sb_append(sb, "}");
  }
  sb_append(sb, " : ");
  for (int r = 0; r < op->results.len; r++) {
    if (r) sb_append(sb, ", ");
    ir_type_format(sb, &op->results.items[r]->type);
  }
  sb_append(sb, "\n");
}

char *ir_print_string(const Graph *g) {
  StrBuf sb = {0};
  sb_printf(&sb, "graph %s {\n", g->name);
  for (int i = 0; i < g->inputs.len; i++) {
    sb_printf(&sb, "  input %%%s : ", g->inputs.items[i]->name);
    ir_type_format(&sb, &g->inputs.items[i]->type);
    sb_append(&sb, "\n");
  }
  for (int i = 0; i < g->params.len; i++) {
    const IrValue *p = g->params.items[i];
    sb_printf(&sb, "  param %%%s : ", p->name);
    ir_type_format(&sb, &p->type);
    sb_append(&sb, " = ");
    format_string(&sb, p->key);
    sb_append(&sb, "\n");
  }
  for (int i = 0; i < g->ops.len; i++) format_op(&sb, g->ops.items[i]);
  for (int i = 0; i < g->outputs.len; i++) {
    sb_append(&sb, "  output ");
    format_string(&sb, g->outputs.items[i].name);
    sb_printf(&sb, " = %%%s\n", g->outputs.items[i].value->name);
  }
  sb_append(&sb, "}\n");
  return sb_take(&sb);
}

void ir_print(FILE *out, const Graph *g) {
  char *text = ir_print_string(g);
  fputs(text, out);
  free(text);
}
