/* ir.h — the dataflow IR: a typed SSA graph of tensor operations, the level
 * at which cratec sees a CRATE model whole (docs/ir.md is its reference).
 *
 *   ops.def       the op table: one row per op kind (name, counts, attribute
 *                 schema, flags, and the function of each layer for it)
 *   op_columns.h  reading a column of ops.def whose entry may be `none`
 *   op_table.c    the table as data; attribute schema checks
 *   shape.c       type helpers shared by the shape functions
 *   shape_*.c     the shape functions (forward CRATE ops, lowered primitives)
 *   graph.c       construction and editing (values, ops, insertion, uses)
 *   attr.c        attributes
 *   program.h     what a compiled model declares besides its graphs (sizes,
 *                 parameters with roles and initialisation, training recipe)
 *   expand.c      composite ops (mssa, ista) -> primitives
 *   verify.c      the verifier every pass calls
 *   print.c       the text form;  parse_ir.c  reads it back
 *   dot.c         the graphviz form
 *
 * Invariants (checked by ir_verify):
 *   - every value is defined exactly once: a graph input, a parameter bound to
 *     a unique official state_dict key (docs/model.md §3.1), or a result of one op;
 *   - scalar constants are op attributes, never values;
 *   - g->ops is in program order, which is a topological order: an op uses
 *     only inputs, parameters and results of earlier ops;
 *   - every result's type is the one its op's shape function computes;
 *   - value names are unique in the graph.
 *
 * Ownership: a graph owns its inputs and parameters, an op owns its result
 * values and attributes; operands are borrowed pointers to values anywhere
 * earlier in the graph. */
#ifndef CRATEC_IR_H
#define CRATEC_IR_H

#include "program.h"
#include "support.h"

/* ---- types ----------------------------------------------------------------- */

typedef enum { IR_F32, IR_I64 } IrDType;

#define IR_MAX_RANK 4
/* The symbolic batch size B: allowed as dims[0] only, so one compiled program
 * accepts any batch. Every other dimension is a positive constant. */
#define IR_BATCH ((int64_t)-1)
/* The largest constant dimension (and the frontend's largest width): a
 * product of three dimensions still fits in int64. */
#define IR_MAX_DIM ((int64_t)1 << 20)

typedef struct IrType {
  IrDType dtype;
  int rank;                    /* 1 .. IR_MAX_RANK */
  int64_t dims[IR_MAX_RANK];   /* dims[0] may be IR_BATCH */
} IrType;

bool ir_type_eq(const IrType *a, const IrType *b);
const char *ir_dtype_name(IrDType t);                 /* "f32", "i64" */
/* "f32[B,17,64]" appended to SB (the text form's spelling). */
void ir_type_format(StrBuf *sb, const IrType *t);
/* Elements for one batch item when dims[0] is B, else the total. */
int64_t ir_type_numel(const IrType *t, int64_t batch);

/* ---- attributes --------------------------------------------------------------
 * A small typed list per op. Attribute names and types are fixed per op kind
 * by the op table's schema; the text form prints and parses them generically
 * (docs/ir.md). */

typedef enum { IR_ATTR_INT, IR_ATTR_FLOAT, IR_ATTR_STR, IR_ATTR_INTS } IrAttrType;

typedef struct IrAttr {
  char *name;
  IrAttrType type;
  int64_t i;          /* INT */
  double f;           /* FLOAT */
  char *s;            /* STR: an enum word such as "cls" or free text */
  int64_t *ints;      /* INTS */
  int nints;
} IrAttr;

const char *ir_attr_type_name(IrAttrType t);          /* "int", "float", "str", "ints" */

/* ---- values and ops ---------------------------------------------------------- */

typedef enum { IR_VALUE_INPUT, IR_VALUE_PARAM, IR_VALUE_RESULT } IrValueKind;

typedef struct IrOp IrOp;

typedef struct IrValue {
  int id;              /* unique in its graph, never reused: index for side tables */
  char *name;          /* without the '%': "l0.mssa.norm" */
  IrType type;
  IrValueKind kind;
  char *key;           /* PARAM: the official state_dict key, "cls_token" */
  IrOp *def;           /* RESULT: the defining op */
  int index;           /* RESULT: which result of def */
} IrValue;

typedef enum {
#define IR_OP(id, ...) IR_OP_##id,
#include "ops.def"
#undef IR_OP
  IR_OP_COUNT
} IrOpKind;

struct IrOp {
  IrOpKind kind;
  VEC(IrValue *) operands;   /* borrowed */
  VEC(IrValue *) results;    /* owned */
  VEC(IrAttr) attrs;         /* owned */
};

/* ---- the op table -----------------------------------------------------------
 *
 * One IR_OP row of ops.def per op kind holds every per-operator fact of
 * every layer; docs/ir.md, "Adding an operator", lists what a new op needs.
 * IrOpInfo is the IR's own part of the row: counts, schema, flags and the
 * shape function (declared from the table in shape.h, defined in a
 * shape_*.c file). A shape function reads the op's operands and attributes
 * (already checked against the schema) and writes the types its results
 * must have; on a mismatch it fills ERR (naming the operand and both
 * shapes) and returns false. */

enum {
  IR_FLAG_COMPOSITE = 1 << 0,   /* a whole CRATE step; ir_expand_composites expands it */
  IR_FLAG_ELEMENTWISE = 1 << 1, /* result[i] depends on operand[i] only: fusable epilogue */
  IR_FLAG_GRAD = 1 << 2,        /* backward op (added by autodiff) */
  IR_FLAG_FUSED = 1 << 3,       /* produced by a fusion pass */
};

#define IR_ERR_SIZE 256
#define IR_MAX_RESULTS 8
typedef bool (*IrShapeFn)(const IrOp *op, IrType *results, char *err);

typedef struct IrOpInfo {
  const char *name;      /* text name: "mssa" */
  int min_operands, max_operands;
  int results;
  /* Attribute schema: space-separated "name:type" (type int, float, str or
   * ints), '?' before the name for an optional one: "heads:int ?alpha:float". */
  const char *attrs;
  unsigned flags;
  IrShapeFn shape;
} IrOpInfo;

const IrOpInfo *ir_op_info(IrOpKind kind);
const char *ir_op_name(IrOpKind kind);
/* The kind spelled NAME, or -1. */
int ir_op_lookup(const char *name);
/* The schema type of attribute NAME of KIND; false when the schema has none. */
bool ir_op_attr_schema(IrOpKind kind, const char *name, IrAttrType *type, bool *optional);
/* Checks OP's attributes against its schema (all required present, none
 * unknown, types right); on failure fills ERR. */
bool ir_op_check_attrs(const IrOp *op, char *err);
/* Runs the schema check and the shape function: the types OP's results must
 * have (RESULTS has room for the op's result count). */
bool ir_op_infer(const IrOp *op, IrType *results, char *err);

/* ---- layernorm fused into the op that reads it (shape_fused.c) --------------
 * pass_fuse_layernorm turns READER(…, layernorm(x, γ, β), …) into one op,
 * layernorm_READER(x, γ, β, READER's other operands), which normalises x
 * row tile by row tile inside READER's GEMM. READER is mssa_add (whose
 * residual operand must then be x itself), ista_apply or linear_t. */
/* The fused kind for READER and, in *SLOT, the operand of READER that is
 * the layernorm (the ones before it must be x); IR_OP_COUNT when a
 * layernorm does not fuse into READER. */
IrOpKind ir_layernorm_fused_kind(IrOpKind reader, int *slot);

/* ---- attribute access (attr.c) ---------------------------------------------- */

const IrAttr *ir_attr_find(const IrOp *op, const char *name);
/* Getters for attributes the schema requires (the verifier has checked them
 * to exist); the _or variants give DEFAULT for an absent optional one. */
int64_t ir_attr_int(const IrOp *op, const char *name);
int64_t ir_attr_int_or(const IrOp *op, const char *name, int64_t dflt);
double ir_attr_float(const IrOp *op, const char *name);
double ir_attr_float_or(const IrOp *op, const char *name, double dflt);
const char *ir_attr_str(const IrOp *op, const char *name);
/* Setters replace an attribute of the same name. */
void ir_set_int(IrOp *op, const char *name, int64_t v);
void ir_set_float(IrOp *op, const char *name, double v);
void ir_set_str(IrOp *op, const char *name, const char *v);
void ir_set_ints(IrOp *op, const char *name, const int64_t *v, int n);
void ir_attr_copy_all(IrOp *dst, const IrOp *src);
void ir_attr_free(IrAttr *a);   /* its contents; the IrAttr itself lives in an op */

/* ---- the graph ---------------------------------------------------------------- */

typedef struct IrOutput {
  char *name;          /* "logits", "loss", or a parameter key for its gradient */
  IrValue *value;
} IrOutput;

typedef struct Graph {
  char *name;                  /* the model's name */
  VEC(IrValue *) inputs;       /* images f32[B,C,H,W]; labels i64[B] (training) */
  VEC(IrValue *) params;       /* state_dict order */
  VEC(IrOp *) ops;             /* program order = a topological order */
  VEC(IrOutput) outputs;
  int next_value_id;
  int insert_at;               /* where ir_insert puts the next op: an index into ops, -1 = the end */
} Graph;

Graph *ir_graph_new(const char *name);
void ir_graph_free(Graph *g);
/* Deep copy of a verified graph: fresh values with the same names, types,
 * keys and order. */
Graph *ir_graph_clone(const Graph *g);

/* NAME is made unique in G (".1", ".2" appended) when already taken. */
IrValue *ir_add_input(Graph *g, const char *name, IrType t);
IrValue *ir_add_param(Graph *g, const char *name, const char *key, IrType t);
void ir_add_output(Graph *g, const char *name, IrValue *v);

/* Ops are made detached, filled in (operands, attributes, then results),
 * then inserted. */
IrOp *ir_op_new(IrOpKind kind, IrValue *const *operands, int n);
void ir_op_free(IrOp *op);
/* Appends a result of type T named NAME (made unique in G). */
IrValue *ir_op_add_result(Graph *g, IrOp *op, const char *name, IrType t);
/* Inserts OP at g->insert_at (advancing it) or at the end. */
void ir_insert(Graph *g, IrOp *op);

/* The common case, for builders and passes: infers OP's result types, names
 * the results NAMES[i] (unique-ified) and inserts it. On a shape error the op
 * is freed, the error reported to D naming the op, and NULL returned;
 * otherwise the first result. */
IrValue *ir_emit(Graph *g, IrOp *op, const char *const *names, Diag *d);
/* The same for an attribute-free op with one result. */
IrValue *ir_emit1(Graph *g, IrOpKind kind, IrValue *const *operands, int n, const char *name,
                  Diag *d);

/* Editing. */
int ir_op_index(const Graph *g, const IrOp *op);        /* -1 if not in G */
IrValue *ir_find_value(const Graph *g, const char *name);
/* Every operand and graph output that is FROM becomes TO. */
void ir_replace_uses(Graph *g, const IrValue *from, IrValue *to);
/* Every use of OLD becomes TO, which takes OLD's name: a rewrite keeps the
 * names that outputs, dumps and golden files show. OLD is left unnamed. */
void ir_replace_value(Graph *g, IrValue *old, IrValue *to);
/* Puts OP, an op with one result, in OLD's place: OP's result takes over
 * the uses and the name of OLD's first result, and OLD is removed. On a
 * shape error (reported to D) OP is freed, G is left as it was and the
 * result is false. */
bool ir_replace_op(Graph *g, IrOp *old, IrOp *op, Diag *d);
/* Removes OP from the program and frees it (its results must be unused). */
void ir_remove_op(Graph *g, IrOp *op);
/* Removes ops none of whose results reach a graph output; returns how many. */
int ir_remove_dead(Graph *g);
/* Uses of V as an operand across G. */
int ir_use_count(const Graph *g, const IrValue *v);
/* The one op using V as an operand (once), or NULL when none or several do. */
IrOp *ir_sole_user(const Graph *g, const IrValue *v);
/* V is one of G's outputs. */
bool ir_is_output(const Graph *g, const IrValue *v);
/* Fixes the batch: every B dimension becomes BATCH (`cratec build --batch`). */
void ir_set_batch(Graph *g, int64_t batch);

/* ---- composite expansion (expand.c) ---------------------------------------------
 * Replaces every composite op (mssa, ista) by the primitives it stands for
 * (docs/ir.md shows the expansion); the graph computes the same function and
 * still verifies. Returns false (reported to D) only if a shape function
 * rejects an expanded op, which means the composite was not verified. */
bool ir_expand_composites(Graph *g, Diag *d);
/* KIND has an expansion (its ops.def expand entry is not none). */
bool ir_op_expands(IrOpKind kind);

/* ---- cost (flops.c) ------------------------------------------------------------
 * The floating-point work of OP for BATCH items: the products its kernel
 * runs, a multiply-add counting 2 (as model_flops), recomputations
 * included (mssa_grad's W and S, ista_grad's y·M); 0 for ops without
 * products (elementwise, normalisation, layout). Products of parameters
 * alone that a kernel runs once per call whatever the batch (ista_grad's
 * DᵀD and D·C) are left out, so the count grows with BATCH. */
int64_t ir_op_flops(const IrOp *op, int64_t batch);
/* KIND's kernel runs products that ir_op_flops counts (its ops.def flops
 * entry is not none). */
bool ir_op_has_flops(IrOpKind kind);

/* ---- verification (verify.c) -----------------------------------------------------
 * Reports every broken invariant to D, naming the op ("op 12 'mssa'") and
 * the value; true when there was none. */
bool ir_verify(const Graph *g, Diag *d);

/* ---- text and graphviz forms (print.c, parse_ir.c, dot.c) ------------------------ */

void ir_print(FILE *out, const Graph *g);
char *ir_print_string(const Graph *g);   /* caller frees */
/* Parses the text form in SRC. Syntax errors and unknown names are reported
 * to D with file:line:col; returns NULL if there was any. The result is not
 * verified: call ir_verify (pass tests feed deliberately odd graphs). */
Graph *ir_parse(const SourceFile *src, Diag *d);
void ir_print_dot(FILE *out, const Graph *g);

#endif
