/* op_columns.h — reading a column of ops.def whose entry may be the word
 * `none`. Each layer expands only its own columns (ops.def says which), and
 * a `none` entry must give neither a declaration (there is no such
 * function) nor a dangling name in a table (it is NULL there), so the
 * expansion asks whether the entry is `none` before using it:
 *
 *   #define IR_OP(id, ..., eval, ...) IR_OP_UNLESS_NONE(eval, bool eval(IrEvalCtx *c);, )
 *   [IR_OP_##id] = IR_OP_FN(eval),
 *
 * `none` must stay an ordinary word, never a macro: IR_OP_IS_NONE pastes it. */
#ifndef CRATEC_IR_OP_COLUMNS_H
#define CRATEC_IR_OP_COLUMNS_H

#define IR_OP_CAT(a, b) IR_OP_CAT_(a, b)
#define IR_OP_CAT_(a, b) a##b
#define IR_OP_SECOND(...) IR_OP_SECOND_(__VA_ARGS__, )
#define IR_OP_SECOND_(a, b, ...) b
/* IR_OP_PROBE_none is two arguments, so the second one is 1 for `none`
 * and the 0 after the probe for any other entry. */
#define IR_OP_PROBE_none ~, 1
#define IR_OP_IS_NONE(x) IR_OP_SECOND(IR_OP_CAT(IR_OP_PROBE_, x), 0)

#define IR_OP_CHOOSE_0(some, none_) some
#define IR_OP_CHOOSE_1(some, none_) none_
/* SOME unless the entry X is `none`, then NONE_. */
#define IR_OP_UNLESS_NONE(x, some, none_) IR_OP_CAT(IR_OP_CHOOSE_, IR_OP_IS_NONE(x))(some, none_)
/* The function an entry names, NULL for `none`. */
#define IR_OP_FN(x) IR_OP_UNLESS_NONE(x, x, NULL)

#endif
