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

/* ---- binary elementwise (bp_ops_binary.c) ---- */
#define BP_OPS_BINARY(X) \
  X(ADD, "add", add)      \
  X(SUB, "sub", sub)      \
  X(MUL, "mul", mul)      \
  X(DIV, "div", div)

/* ---- reductions (bp_ops_reduce.c) ---- */
#define BP_OPS_REDUCE(X) \
  X(SUM, "sum", sum)

/* ---- linear algebra (bp_ops_linalg.c) ---- */
#define BP_OPS_LINALG(X) \
  X(MATMUL, "matmul", matmul) \
  X(BMM, "bmm", bmm)

/* ---- neural network: convolution, pooling, linear (bp_ops_nn.c) ---- */
#define BP_OPS_NN(X)                                     \
  X(LINEAR, "linear", linear)                            \
  X(CONV1D, "conv1d", conv1d)                            \
  X(CONV2D, "conv2d", conv2d)                            \
  X(CONV_TRANSPOSE2D, "conv_transpose2d", conv_transpose2d) \
  X(MAX_POOL2D, "max_pool2d", max_pool2d)                \
  X(AVG_POOL2D, "avg_pool2d", avg_pool2d)                \
  X(ADAPTIVE_AVG_POOL2D, "adaptive_avg_pool2d", adaptive_avg_pool2d)

/* ---- neural network: norms, softmax, indexing, losses, attention (bp_ops_nn2.c) ---- */
#define BP_OPS_NN2(X)

/* ---- random numbers (bp_ops_random.c) ---- */
#define BP_OPS_RANDOM(X)

#endif /* BACKPLANE_BP_OPS_FAMILIES_H_ */
