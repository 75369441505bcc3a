/* The builder: a checked Model becomes the forward graph of docs/model.md §2, one op
 * per step of the official model, composite ops (mssa, ista) kept whole, and
 * the graphs of the compiled model's entries are made from it (frontend.h).
 * Value names follow the model's structure (%l0.mssa.norm, %l0.z_half,
 * %logits) so dumps read like the specification. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "frontend.h"

#define LAYERNORM_EPS 1e-5   /* PyTorch's default; the official model never changes it */

/* Parameter names in dumps: the official key with its module path replaced
 * by the role the tensor plays (first matching rule, applied in order). */
static const struct {
  const char *key_part, *name_part;
} param_renames[] = {
    {"to_patch_embedding.1.", "embed.norm1."},
    {"to_patch_embedding.2.", "embed.proj."},
    {"to_patch_embedding.3.", "embed.norm2."},
    {"transformer.layers.", "l"},
    {".0.norm.", ".mssa.norm."},
    {".0.fn.qkv.weight", ".mssa.qkv"},
    {".0.fn.to_out.0.", ".mssa.out."},
    {".1.norm.", ".ista.norm."},
    {".1.fn.weight", ".ista.dict"},
    {"mlp_head.0.", "head.norm."},
    {"mlp_head.1.", "head.proj."},
    {"weight", "w"},
    {"bias", "b"},
};

static char *param_name(const char *key) {
  char *name = xstrdup(key);
  for (size_t i = 0; i < sizeof param_renames / sizeof *param_renames; i++) {
    char *at = strstr(name, param_renames[i].key_part);
    if (!at) continue;
    char *renamed = xasprintf("%.*s%s%s", (int)(at - name), name, param_renames[i].name_part,
                              at + strlen(param_renames[i].key_part));
    free(name);
    name = renamed;
  }
  return name;
}

typedef struct Builder {
  Graph *g;
  Diag *d;
  bool failed;
} Builder;

/* The parameter bound to KEY (added up front, in state_dict order). */
static IrValue *param(const Builder *b, const char *fmt, int layer) {
  char *key = xasprintf(fmt, layer);
  IrValue *v = NULL;
  for (int i = 0; i < b->g->params.len && !v; i++)
    if (strcmp(b->g->params.items[i]->key, key) == 0) v = b->g->params.items[i];
  free(key);
  return v;
}

/* Infers OP's result, names it and appends it; once anything failed, later
 * ops are dropped so the builder can run on without checking each step. */
static IrValue *emit(Builder *b, IrOp *op, const char *name) {
  if (b->failed) {
    ir_op_free(op);
    return NULL;
  }
  IrValue *v = ir_emit(b->g, op, &name, b->d);
  b->failed = !v;
  return v;
}

static IrOp *op2(IrOpKind kind, IrValue *a, IrValue *c) { return ir_op_new(kind, (IrValue *[]){a, c}, 2); }

static IrValue *layernorm(Builder *b, IrValue *x, IrValue *gamma, IrValue *beta, const char *name) {
  IrOp *op = ir_op_new(IR_OP_LAYERNORM, (IrValue *[]){x, gamma, beta}, 3);
  ir_set_float(op, "eps", LAYERNORM_EPS);
  return emit(b, op, name);
}

/* Patches -> LN -> Linear -> LN, cls token, position table (docs/model.md §2.1-2.2). */
static IrValue *build_embedding(Builder *b, const Model *m, IrValue *images) {
  IrOp *patchify = ir_op_new(IR_OP_PATCHIFY, &images, 1);
  ir_set_int(patchify, "p1", m->patch_h);
  ir_set_int(patchify, "p2", m->patch_w);
  IrValue *x = emit(b, patchify, "embed.patches");
  x = layernorm(b, x, param(b, "to_patch_embedding.1.weight", 0), param(b, "to_patch_embedding.1.bias", 0),
                "embed.norm1");
  IrOp *proj = ir_op_new(IR_OP_LINEAR,
                         (IrValue *[]){x, param(b, "to_patch_embedding.2.weight", 0),
                                       param(b, "to_patch_embedding.2.bias", 0)},
                         3);
  x = emit(b, proj, "embed.proj");
  x = layernorm(b, x, param(b, "to_patch_embedding.3.weight", 0), param(b, "to_patch_embedding.3.bias", 0),
                "embed.norm2");
  x = emit(b, op2(IR_OP_CLS_CONCAT, x, param(b, "cls_token", 0)), "embed.tokens");
  return emit(b, op2(IR_OP_POS_ADD, x, param(b, "pos_embedding", 0)), "embed");
}

/* Z -> Z + MSSA(LN(Z)) -> ISTA(LN(·)) (docs/model.md §2.3-2.5). */
static IrValue *build_layer(Builder *b, const LayerSpec *L, int l, IrValue *z) {
  char name[64];
  snprintf(name, sizeof name, "l%d.mssa.norm", l);
  IrValue *y = layernorm(b, z, param(b, "transformer.layers.%d.0.norm.weight", l),
                         param(b, "transformer.layers.%d.0.norm.bias", l), name);
  IrValue *operands[4] = {y, param(b, "transformer.layers.%d.0.fn.qkv.weight", l)};
  if (L->has_out_proj) {
    operands[2] = param(b, "transformer.layers.%d.0.fn.to_out.0.weight", l);
    operands[3] = param(b, "transformer.layers.%d.0.fn.to_out.0.bias", l);
  }
  IrOp *mssa = ir_op_new(IR_OP_MSSA, operands, L->has_out_proj ? 4 : 2);
  ir_set_int(mssa, "heads", L->heads);
  ir_set_int(mssa, "dim_head", L->dim_head);
  ir_set_float(mssa, "scale", 1.0 / sqrt((double)L->dim_head));
  snprintf(name, sizeof name, "l%d.mssa", l);
  IrValue *attn = emit(b, mssa, name);
  snprintf(name, sizeof name, "l%d.z_half", l);
  IrValue *half = emit(b, op2(IR_OP_ADD, z, attn), name);

  snprintf(name, sizeof name, "l%d.ista.norm", l);
  y = layernorm(b, half, param(b, "transformer.layers.%d.1.norm.weight", l),
                param(b, "transformer.layers.%d.1.norm.bias", l), name);
  IrOp *ista = op2(IR_OP_ISTA, y, param(b, "transformer.layers.%d.1.fn.weight", l));
  ir_set_float(ista, "step", L->step);
  ir_set_float(ista, "lambda", L->lambda);
  snprintf(name, sizeof name, "l%d.out", l);
  return emit(b, ista, name);
}

/* Pool, LayerNorm, Linear (docs/model.md §2.6). */
static IrValue *build_head(Builder *b, const Model *m, IrValue *z) {
  IrOp *pool = ir_op_new(IR_OP_POOL, &z, 1);
  ir_set_str(pool, "mode", m->pool == POOL_CLS ? "cls" : "mean");
  IrValue *x = emit(b, pool, "pooled");
  x = layernorm(b, x, param(b, "mlp_head.0.weight", 0), param(b, "mlp_head.0.bias", 0), "head.norm");
  IrOp *proj = ir_op_new(IR_OP_LINEAR,
                         (IrValue *[]){x, param(b, "mlp_head.1.weight", 0), param(b, "mlp_head.1.bias", 0)}, 3);
  return emit(b, proj, "logits");
}

/* Inputs and parameters, then images -> logits. */
static IrValue *build_forward(Builder *b, const Model *m) {
  IrValue *images = ir_add_input(b->g, "images",
                                 (IrType){IR_F32, 4, {IR_BATCH, m->channels, m->height, m->width}});
  ParamInfo *info;
  int n = model_params(m, &info);
  for (int i = 0; i < n; i++) {
    IrType t = {.dtype = IR_F32, .rank = info[i].rank};
    memcpy(t.dims, info[i].shape, sizeof info[i].shape);
    char *name = param_name(info[i].key);
    ir_add_param(b->g, name, info[i].key, t);
    free(name);
  }
  param_infos_free(info, n);

  IrValue *z = build_embedding(b, m, images);
  for (int l = 0; l < m->depth; l++) z = build_layer(b, &m->layers[l], l, z);
  return build_head(b, m, z);
}

static Graph *finish(Builder *b) {
  if (!b->failed) return b->g;
  ir_graph_free(b->g);
  return NULL;
}

Graph *model_inference_graph(const Model *m, Diag *d) {
  Builder b = {ir_graph_new(m->name), d, false};
  IrValue *logits = build_forward(&b, m);
  if (logits) ir_add_output(b.g, "logits", logits);
  return finish(&b);
}

Graph *model_training_graph(const Model *m, double label_smoothing, Diag *d) {
  Builder b = {ir_graph_new(m->name), d, false};
  IrValue *logits = build_forward(&b, m);
  IrValue *labels = ir_add_input(b.g, "labels", (IrType){IR_I64, 1, {IR_BATCH}});
  if (logits) {
    IrOp *ce = op2(IR_OP_CROSS_ENTROPY, logits, labels);
    ir_set_float(ce, "label_smoothing", label_smoothing);
    IrValue *loss = emit(&b, ce, "loss");
    if (loss) {
      ir_add_output(b.g, "loss", loss);
      ir_add_output(b.g, "logits", logits);
    }
  }
  return finish(&b);
}

/* Layer l's outputs, in the order of the features buffer (depth, 2, ...). */
static bool add_layer_outputs(Graph *g, Diag *d) {
  int nmssa = 0, nista = 0;
  for (int i = 0; i < g->ops.len; i++) {
    IrOp *op = g->ops.items[i];
    char name[48];
    if (op->kind == IR_OP_MSSA) {
      /* The official model's features hook sees the qkv Linear's output: no bias. */
      snprintf(name, sizeof name, "l%d.q", nmssa++);
      g->insert_at = ++i;   /* beside the mssa op, so its input's life does not grow */
      IrValue *q = ir_emit1(g, IR_OP_LINEAR, op->operands.items, 2, name, d);
      g->insert_at = -1;
      if (!q) return false;
      ir_add_output(g, name, q);
    } else if (op->kind == IR_OP_ISTA) {
      snprintf(name, sizeof name, "l%d.z", nista++);
      ir_add_output(g, name, op->results.items[0]);
    }
  }
  return true;
}

Graph *model_features_graph(const Model *m, Diag *d) {
  Graph *g = model_inference_graph(m, d);
  if (!g) return NULL;
  /* Logits is output 0, the layers' outputs follow; dropping it lets the
   * head go dead. */
  bool ok = add_layer_outputs(g, d) && g->outputs.len == 1 + 2 * m->depth;
  if (ok) {
    free(g->outputs.items[0].name);
    memmove(g->outputs.items, g->outputs.items + 1, (size_t)--g->outputs.len * sizeof *g->outputs.items);
  }
  if (!ok) {
    ir_graph_free(g);
    return NULL;
  }
  ir_remove_dead(g);
  return g;
}
