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
  X(MATMUL, "matmul", matmul)

/* ---- neural network: convolution, pooling, linear (bp_ops_nn.c) ---- */
#define BP_OPS_NN(X)

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
#define BP_OPS_RANDOM(X)

#endif /* BACKPLANE_BP_OPS_FAMILIES_H_ */
