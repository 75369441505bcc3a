/* loop.h — the loop IR: the imperative, typed level that passes lower the
 * dataflow graph to and that every backend translates (like Halide's Stmt
 * below its Funcs). It is deliberately small: scalar locals, loops (serial,
 * parallel, vectorizable), loads and stores on buffers, and calls into the
 * runtime (GEMMs). A backend that can print these nodes can compile any
 * model; scheduling decisions (fusion, tiling, parallel split) are made above
 * it and are shared by every backend.
 *
 *   loop.c          construction helpers, the module
 *   loop_print.c    the text dump (`--emit loops`, pass tests)
 *   loop_check.c    structural verifier (vars in scope, types, buffers)
 *   loop_runtime.c  the runtime functions a CALL may name, with C prototypes
 *
 * Ownership: a module owns its functions, a function owns its variables and
 * statements, a statement owns its expressions. Expressions are trees: every
 * node has exactly one parent, so build a fresh lvar()/lf32() for each use.
 */
#ifndef CRATEC_LOOP_H
#define CRATEC_LOOP_H

#include "cratert_abi.h"
#include "support.h"

typedef enum {
  LT_F32,
  LT_I64,
  LT_BOOL,
  LT_PTR_F32,   /* float * (a buffer or a position inside one) */
  LT_PTR_I64,   /* int64_t * (labels) */
} LType;

/* A variable: a function parameter, a loop index, or a local scalar. */
typedef struct LVar {
  int id;
  char *name;
  LType type;
  bool noalias;   /* pointer parameters that alias nothing else */
} LVar;

/* A read-only blob (embedded weights) the module carries. The bytes are
 * borrowed (typically a mapped weights file): they must outlive emission.
 * Kernels read a blob through an LE_DATA expression (its address as an f32
 * pointer); nothing may store through it. */
typedef struct LData {
  char *name;
  const void *bytes;
  size_t size;
  size_t align;
  /* A global symbol spelled exactly NAME, for code outside the module (the
   * compiled-model ABI's P_desc, P_weights); otherwise private to it. */
  bool exported;
} LData;

typedef enum {
  LE_F32,       /* float constant */
  LE_I64,       /* integer constant */
  LE_VAR,
  LE_LOAD,      /* ptr[index] */
  LE_ADDR,      /* ptr + index: a sub-buffer, e.g. for a runtime call */
  LE_BIN,
  LE_UN,
  LE_SELECT,    /* cond ? a : b */
  LE_CAST,      /* i64 <-> f32 */
  LE_DATA,      /* the address of an embedded blob, as const float * */
} LExprKind;

typedef enum {
  LB_ADD, LB_SUB, LB_MUL, LB_DIV, LB_REM, LB_MIN, LB_MAX,
  LB_LT, LB_LE, LB_GT, LB_GE, LB_EQ, LB_NE, LB_AND, LB_OR,
} LBinOp;

typedef enum { LU_NEG, LU_EXP, LU_LOG, LU_SQRT, LU_ABS, LU_NOT } LUnOp;

typedef struct LExpr LExpr;
struct LExpr {
  LExprKind kind;
  LType type;
  union {
    double f;               /* LE_F32 */
    int64_t i;              /* LE_I64 */
    LVar *var;              /* LE_VAR */
    LData *data;            /* LE_DATA */
    int op;                 /* LE_BIN (LBinOp), LE_UN (LUnOp) */
  };
  LExpr *a, *b, *c;         /* operands: LOAD/ADDR (ptr, index), BIN (a, b), UN (a), SELECT (c ? a : b), CAST (a) */
};

typedef enum {
  LS_BLOCK,
  LS_DECL,      /* declare a local scalar with an initial value */
  LS_ASSIGN,    /* local = value */
  LS_STORE,     /* ptr[index] = value */
  LS_FOR,       /* for (var = begin; var < end; var++) body */
  LS_IF,
  LS_CALL,      /* a runtime function, by name, for its effect; or a function of
                   the module defined before the caller (no result): outlined kernels */
  LS_COMMENT,   /* kept in dumps and in the C backend's output */
} LStmtKind;

typedef enum {
  LF_SERIAL,
  LF_PARALLEL,  /* iterations are independent: split over threads */
  LF_VECTOR,    /* innermost, independent except for reductions into locals declared outside */
} LForKind;

typedef struct LStmt LStmt;
struct LStmt {
  LStmtKind kind;
  VEC(LStmt *) body;        /* BLOCK, FOR, IF (then) */
  VEC(LStmt *) orelse;      /* IF */
  LVar *var;                /* DECL, ASSIGN, FOR index, CALL result (NULL: none) */
  LExpr *ptr, *index;       /* STORE */
  LExpr *value;             /* DECL init, ASSIGN, STORE, IF cond */
  LExpr *begin, *end;       /* FOR */
  LForKind for_kind;
  char *callee;             /* CALL: a function of runtime/cratert_abi.h */
  VEC(LExpr *) args;        /* CALL */
  char *text;               /* COMMENT */
};

/* A kernel: a function of pointer and integer parameters returning nothing. */
typedef struct LFunc {
  char *name;
  VEC(LVar *) params;
  VEC(LVar *) vars;         /* every variable, params included (owned here) */
  LStmt *body;              /* a BLOCK */
  bool exported;            /* visible outside the module (others are internal) */
  int next_var_id;
} LFunc;


typedef struct LModule {
  char *name;
  VEC(LFunc *) funcs;
  VEC(LData *) data;
} LModule;

/* ---- construction (loop.c) ------------------------------------------------- */

LModule *lmodule_new(const char *name);
void lmodule_free(LModule *m);
LData *lmodule_data(LModule *m, const char *name, const void *bytes, size_t size, size_t align);
LFunc *lfunc_new(LModule *m, const char *name, bool exported);
/* The function of M named NAME among the first BEFORE ones, or NULL. */
const LFunc *lmodule_func(const LModule *m, const char *name, int before);
LVar *lfunc_param(LFunc *f, const char *name, LType type);   /* pointer params are noalias */
LVar *lfunc_var(LFunc *f, const char *name, LType type);     /* a local or loop index */

LExpr *lf32(double v);
LExpr *li64(int64_t v);
LExpr *lvar(LVar *v);
LExpr *lload(LExpr *ptr, LExpr *index);
LExpr *laddr(LExpr *ptr, LExpr *index);
LExpr *lbin(LBinOp op, LExpr *a, LExpr *b);
LExpr *lun(LUnOp op, LExpr *a);
LExpr *lselect(LExpr *cond, LExpr *a, LExpr *b);
LExpr *lcast(LType to, LExpr *a);
LExpr *ldata(LData *blob);

LStmt *lblock(void);
LStmt *ldecl(LVar *v, LExpr *init);
LStmt *lassign(LVar *v, LExpr *value);
LStmt *lstore(LExpr *ptr, LExpr *index, LExpr *value);
LStmt *lfor(LVar *i, LExpr *begin, LExpr *end, LForKind kind);
LStmt *lif(LExpr *cond);
LStmt *lcall(const char *callee);            /* then lcall_arg for each argument */
LStmt *lcall_result(LVar *result, const char *callee);   /* result = callee(...) */
void lcall_arg(LStmt *call, LExpr *arg);
LStmt *lcomment(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lappend(LStmt *block_or_loop, LStmt *s);  /* appends to body */
void lappend_else(LStmt *if_stmt, LStmt *s);     /* appends to an IF's orelse */

/* ---- dump and verify ---------------------------------------------------------- */

void lmodule_print(FILE *out, const LModule *m);
void lexpr_print(FILE *out, const LExpr *e);
const char *ltype_name(LType t);     /* "f32", "i64", "bool", "f32*", "i64*" */

/* Reports every problem to D (naming the function and the statement);
 * returns true when there was none. Rules beyond scoping and types:
 * stores go through pointers other than blobs; a parallel loop is not nested
 * in another; inside a parallel loop only its own locals are assigned;
 * inside a vector loop a local declared outside is only updated as a
 * reduction (see lreduction_op). */
bool lmodule_verify(const LModule *m, Diag *d);

/* If S (an ASSIGN) has the shape `v = v OP e` or `v = OP(v, e)` with OP one
 * of add, mul, min, max and E free of v, stores OP and returns true: the
 * reductions a vector loop may carry. */
bool lreduction_op(const LStmt *s, LBinOp *op);

/* ---- runtime functions (loop_runtime.c) ------------------------------------------
 * The one table of runtime/cratert_abi.h functions a CALL may name, with their C
 * prototypes: the verifier checks arguments against it, the LLVM backend
 * declares them from it, and a test compiles it against cratert_abi.h. */

typedef enum {
  LC_VOID, LC_INT, LC_INT64, LC_SIZE, LC_FLOAT,
  LC_FLOAT_PTR, LC_CONST_FLOAT_PTR, LC_INT64_PTR, LC_VOID_PTR,
  LC_TRANS,       /* crt_trans: an i64 argument, CRT_NO_TRANS (0) or CRT_TRANS (1) */
  LC_NO_ERROR,    /* crt_error *: no argument in the IR; backends pass NULL (GEMM
                     shapes are checked by the compiler, so only allocation can fail) */
} LCType;

#define LRUNTIME_MAX_PARAMS 20

typedef struct LRuntimeFn {
  const char *name;
  LCType ret;
  int nparams;
  LCType params[LRUNTIME_MAX_PARAMS];
} LRuntimeFn;

const LRuntimeFn *lruntime_find(const char *name);   /* NULL when unknown */
const LRuntimeFn *lruntime_table(int *count);
const char *lctype_c_name(LCType t);                 /* "const float *" */
int lruntime_arity(const LRuntimeFn *fn);            /* arguments a CALL passes (no LC_NO_ERROR) */
/* Whether a loop-IR value of type T may be passed as / receive a C type. */
bool lctype_accepts(LCType c, LType t);

#endif
