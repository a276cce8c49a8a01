/*
 * bp_ops_families.h - the op lists of every family, in catalog order.
 * Adding an op: append X(ENUM_ID, "name", symbol) to its family's list here
 * and define `const bp_op_def_t bp_op_def_<symbol>` in bp_ops_<family>.c.
 * Each family's list is its own block so that families grow independently.
 */
#ifndef BACKPLANE_BP_OPS_FAMILIES_H_
#define BACKPLANE_BP_OPS_FAMILIES_H_

/* ---- core (bp_ops_core.c) ---- */
#define BP_OPS_CORE(X) \
  X(FILL, "fill", fill) \
  X(COPY, "copy", copy)

/* ---- shape and creation (bp_ops_shape.c) ---- */
#define BP_OPS_SHAPE(X)

/* ---- unary elementwise (bp_ops_unary.c) ---- */
#define BP_OPS_UNARY(X)

/* ---- binary elementwise (bp_ops_binary.c, bp_ops_binary2.c) ---- */
#define BP_OPS_BINARY(X) \
  X(ADD, "add", add)      \
  X(SUB, "sub", sub)      \
  X(MUL, "mul", mul)      \
  X(DIV, "div", div)      \
  X(REMAINDER, "remainder", remainder) \
  X(POW, "pow", pow)      \
  X(MAXIMUM, "maximum", maximum) \
  X(MINIMUM, "minimum", minimum) \
  X(ATAN2, "atan2", atan2) \
  X(EQ, "eq", eq)         \
  X(NE, "ne", ne)         \
  X(LT, "lt", lt)         \
  X(LE, "le", le)         \
  X(GT, "gt", gt)         \
  X(GE, "ge", ge)         \
  X(LOGICAL_AND, "logical_and", logical_and) \
  X(LOGICAL_OR, "logical_or", logical_or) \
  X(LOGICAL_XOR, "logical_xor", logical_xor) \
  X(BITWISE_AND, "bitwise_and", bitwise_and) \
  X(BITWISE_OR, "bitwise_or", bitwise_or) \
  X(BITWISE_XOR, "bitwise_xor", bitwise_xor)

/* ---- reductions (bp_ops_reduce.c) ---- */
#define BP_OPS_REDUCE(X) \
  X(SUM, "sum", sum)

/* ---- linear algebra (bp_ops_linalg.c) ---- */
#define BP_OPS_LINALG(X) \
  X(MATMUL, "matmul", matmul)

/* ---- neural network: convolution, pooling, linear (bp_ops_nn.c) ---- */
#define BP_OPS_NN(X)

/* ---- neural network: norms, softmax, indexing, losses, attention (bp_ops_nn2.c) ---- */
#define BP_OPS_NN2(X)

/* ---- random numbers (bp_ops_random.c) ---- */
#define BP_OPS_RANDOM(X)

#endif /* BACKPLANE_BP_OPS_FAMILIES_H_ */
