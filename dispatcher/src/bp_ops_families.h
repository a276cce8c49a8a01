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
#define BP_OPS_SHAPE(X)             \
  X(VIEW, "view", view)             \
  X(RESHAPE, "reshape", reshape)    \
  X(PERMUTE, "permute", permute)    \
  X(TRANSPOSE, "transpose", transpose) \
  X(SLICE, "slice", slice)          \
  X(SELECT, "select", select)       \
  X(NARROW, "narrow", narrow)       \
  X(EXPAND, "expand", expand)       \
  X(SQUEEZE, "squeeze", squeeze)    \
  X(UNSQUEEZE, "unsqueeze", unsqueeze) \
  X(FLATTEN, "flatten", flatten)    \
  X(CONTIGUOUS, "contiguous", contiguous) \
  X(ARANGE, "arange", arange)       \
  X(WHERE, "where", where)          \
  X(TRIL, "tril", tril)             \
  X(TRIU, "triu", triu)             \
  X(PAD, "pad", pad)                \
  X(CAT, "cat", cat)                \
  X(STACK, "stack", stack)

/* ---- unary elementwise (bp_ops_unary.c) ---- */
#define BP_OPS_UNARY(X) \
  X(NEG, "neg", neg) \
  X(ABS, "abs", abs) \
  X(SIGN, "sign", sign) \
  X(EXP, "exp", exp) \
  X(LOG, "log", log) \
  X(LOG1P, "log1p", log1p) \
  X(EXPM1, "expm1", expm1) \
  X(SQRT, "sqrt", sqrt) \
  X(RSQRT, "rsqrt", rsqrt) \
  X(RECIPROCAL, "reciprocal", reciprocal) \
  X(SIN, "sin", sin) \
  X(COS, "cos", cos) \
  X(TANH, "tanh", tanh) \
  X(SIGMOID, "sigmoid", sigmoid) \
  X(RELU, "relu", relu) \
  X(LEAKY_RELU, "leaky_relu", leaky_relu) \
  X(ELU, "elu", elu) \
  X(GELU, "gelu", gelu) \
  X(SILU, "silu", silu) \
  X(SOFTPLUS, "softplus", softplus) \
  X(ERF, "erf", erf) \
  X(FLOOR, "floor", floor) \
  X(CEIL, "ceil", ceil) \
  X(ROUND, "round", round) \
  X(TRUNC, "trunc", trunc) \
  X(CLAMP, "clamp", clamp) \
  X(LOGICAL_NOT, "logical_not", logical_not) \
  X(ISNAN, "isnan", isnan) \
  X(ISINF, "isinf", isinf)

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

/* ---- reductions (bp_ops_reduce.c, bp_ops_reduce2.c, bp_ops_reduce_scan.c) ---- */
#define BP_OPS_REDUCE(X)          \
  X(SUM, "sum", sum)                \
  X(MEAN, "mean", mean)             \
  X(PROD, "prod", prod)             \
  X(AMAX, "amax", amax)             \
  X(AMIN, "amin", amin)             \
  X(MAX, "max", max)                \
  X(MIN, "min", min)                \
  X(ARGMAX, "argmax", argmax)       \
  X(ARGMIN, "argmin", argmin)       \
  X(VAR, "var", var)                \
  X(STD, "std", std)                \
  X(NORM, "norm", norm)             \
  X(LOGSUMEXP, "logsumexp", logsumexp) \
  X(ALL, "all", all)                \
  X(ANY, "any", any)                \
  X(CUMSUM, "cumsum", cumsum)       \
  X(CUMPROD, "cumprod", cumprod)

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
#define BP_OPS_NN2(X) \
  X(BATCH_NORM, "batch_norm", batch_norm) \
  X(LAYER_NORM, "layer_norm", layer_norm) \
  X(GROUP_NORM, "group_norm", group_norm) \
  X(RMS_NORM, "rms_norm", rms_norm) \
  X(SOFTMAX, "softmax", softmax) \
  X(LOG_SOFTMAX, "log_softmax", log_softmax) \
  X(EMBEDDING, "embedding", embedding) \
  X(GATHER, "gather", gather) \
  X(SCATTER_ADD, "scatter_add", scatter_add) \
  X(INDEX_SELECT, "index_select", index_select) \
  X(ONE_HOT, "one_hot", one_hot) \
  X(NLL_LOSS, "nll_loss", nll_loss) \
  X(CROSS_ENTROPY, "cross_entropy", cross_entropy) \
  X(MSE_LOSS, "mse_loss", mse_loss) \
  X(BCE_WITH_LOGITS, "binary_cross_entropy_with_logits", binary_cross_entropy_with_logits) \
  X(SDPA, "scaled_dot_product_attention", scaled_dot_product_attention)

/* ---- random numbers (bp_ops_random.c) ---- */
#define BP_OPS_RANDOM(X)         \
  X(UNIFORM, "uniform", uniform)     \
  X(NORMAL, "normal", normal)        \
  X(BERNOULLI, "bernoulli", bernoulli) \
  X(DROPOUT, "dropout", dropout)

/* ---- backward kernels of the nn ops (bp_ops_nn_backward.c) ---- */
#define BP_OPS_NN_BACKWARD(X) \
  X(CONV2D_BACKWARD, "conv2d_backward", conv2d_backward) \
  X(MAX_POOL2D_BACKWARD, "max_pool2d_backward", max_pool2d_backward) \
  X(AVG_POOL2D_BACKWARD, "avg_pool2d_backward", avg_pool2d_backward) \
  X(ADAPTIVE_AVG_POOL2D_BACKWARD, "adaptive_avg_pool2d_backward", adaptive_avg_pool2d_backward) \
  X(EMBEDDING_BACKWARD, "embedding_backward", embedding_backward) \
  X(LAYER_NORM_BACKWARD, "layer_norm_backward", layer_norm_backward) \
  X(BATCH_NORM_BACKWARD, "batch_norm_backward", batch_norm_backward) \
  X(GROUP_NORM_BACKWARD, "group_norm_backward", group_norm_backward) \
  X(SOFTMAX_BACKWARD, "softmax_backward", softmax_backward) \
  X(LOG_SOFTMAX_BACKWARD, "log_softmax_backward", log_softmax_backward) \
  X(GELU_BACKWARD, "gelu_backward", gelu_backward)

/* ---- training: optimizer steps (bp_ops_train.c) ---- */
#define BP_OPS_TRAIN(X)                  \
  X(SGD_STEP, "sgd_step", sgd_step)      \
  X(ADAMW_STEP, "adamw_step", adamw_step)

#endif /* BACKPLANE_BP_OPS_FAMILIES_H_ */
