/* The graphviz form (`cratec build --emit dot`, then `dot -Tsvg`). Ops are
 * boxes, values are edges labelled with their types; composite ops are bold
 * and filled so they stand out, elementwise ops are small rounded boxes, and
 * parameters are dimmed notes so the activation path reads first. */
#include <stdlib.h>

#include "ir.h"

/* Graphviz double-quoted string contents. */
static void put_escaped(FILE *out, const char *s) {
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fputc('\\', out);
    fputc(*s, out);
  }
}

static void put_type(FILE *out, const IrType *t) {
  StrBuf sb = {0};
  ir_type_format(&sb, t);
  fputs(sb.data, out);
  sb_free(&sb);
}

/* The node a value comes from: its own node for inputs and parameters, its
 * op's node for results. */
static void put_source(FILE *out, const Graph *g, const IrValue *v) {
  if (v->kind == IR_VALUE_RESULT)
    fprintf(out, "op%d", ir_op_index(g, v->def));
  else
    fprintf(out, "v%d", v->id);
}

static const char *op_style(unsigned flags) {
  if (flags & IR_FLAG_COMPOSITE) return "shape=box, style=\"filled,bold\", fillcolor=\"#ffd8a8\", penwidth=2";
  if (flags & IR_FLAG_FUSED) return "shape=box, style=\"filled,bold\", fillcolor=\"#c8e6c9\"";
  if (flags & IR_FLAG_GRAD) return "shape=box, style=filled, fillcolor=\"#f3d9f7\"";
  if (flags & IR_FLAG_ELEMENTWISE) return "shape=box, style=\"rounded,filled\", fillcolor=\"#f2f2f2\", fontsize=9";
  return "shape=box, style=filled, fillcolor=\"#e3ecf7\"";
}

static void put_op(FILE *out, const Graph *g, int index, const IrOp *op) {
  fprintf(out, "  op%d [label=\"%s", index, ir_op_name(op->kind));
  for (int i = 0; i < op->attrs.len; i++) {
    char *text = NULL;
    const IrAttr *a = &op->attrs.items[i];
    switch (a->type) {
    case IR_ATTR_INT: text = xasprintf("%s=%lld", a->name, (long long)a->i); break;
    case IR_ATTR_FLOAT: text = xasprintf("%s=%g", a->name, a->f); break;
    case IR_ATTR_STR: text = xasprintf("%s=%s", a->name, a->s); break;
    case IR_ATTR_INTS: text = xasprintf("%s=[%d values]", a->name, a->nints); break;
    }
    fputs("\\n", out);
    put_escaped(out, text);
    free(text);
  }
  fprintf(out, "\", %s];\n", op_style(ir_op_info(op->kind)->flags));
  for (int i = 0; i < op->operands.len; i++) {
    const IrValue *v = op->operands.items[i];
    fputs("  ", out);
    put_source(out, g, v);
    fprintf(out, " -> op%d [label=\"", index);
    put_type(out, &v->type);
    fputs(v->kind == IR_VALUE_PARAM ? "\", color=gray70, fontcolor=gray50, style=dashed];\n" : "\"];\n", out);
  }
}

void ir_print_dot(FILE *out, const Graph *g) {
  fputs("digraph \"", out);
  put_escaped(out, g->name);
  fputs("\" {\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n"
        "  edge [fontname=\"Helvetica\", fontsize=8];\n",
        out);
  for (int i = 0; i < g->inputs.len; i++) {
    const IrValue *v = g->inputs.items[i];
    fprintf(out, "  v%d [label=\"%%%s\", shape=ellipse, style=filled, fillcolor=\"#fff3bf\"];\n", v->id, v->name);
  }
  for (int i = 0; i < g->params.len; i++) {
    const IrValue *v = g->params.items[i];
    fprintf(out, "  v%d [label=\"", v->id);
    put_escaped(out, v->key);
    fputs("\", shape=note, fontsize=8, color=gray70, fontcolor=gray50];\n", out);
  }
  for (int i = 0; i < g->ops.len; i++) put_op(out, g, i, g->ops.items[i]);
  for (int i = 0; i < g->outputs.len; i++) {
    const IrOutput *o = &g->outputs.items[i];
    fprintf(out, "  out%d [label=\"", i);
    put_escaped(out, o->name);
    fputs("\", shape=doublecircle, style=filled, fillcolor=\"#fff3bf\"];\n  ", out);
    put_source(out, g, o->value);
    fprintf(out, " -> out%d [label=\"", i);
    put_type(out, &o->value->type);
    fputs("\"];\n", out);
  }
  fputs("}\n", out);
}
