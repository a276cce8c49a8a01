/*
 * bp_op_util_nn2.h - inference helpers of the nn2 family (norms, softmax,
 * indexing, losses, attention). Every message names the op and argument.
 *
 * Optional tensor arguments (norm weight/bias, class weights, attn_mask,
 * running stats) follow one scheme in the whole family: the slot is always
 * present and a bool attribute `has_<arg>` says whether it is used. When it
 * is false the tensor in the slot is a placeholder (the typed entry points
 * pass a 0-element tensor) whose shape is ignored and which the kernel never
 * reads; infer gives it the dtype the kernel expects so any placeholder
 * dtype works.
 */
#ifndef BACKPLANE_BP_OP_UTIL_NN2_H_
#define BACKPLANE_BP_OP_UTIL_NN2_H_

#include "bp_op_catalog.h"

/* Wraps a possibly negative dim into [0, rank) with torch's rule (a 0-d
 * tensor takes dims -1 and 0). */
BP_HIDDEN bp_status_t bp_nn2_wrap_dim(const char *op, const char *arg, int64_t dim,
                                      int32_t ndim, int64_t *out_dim);
/* t's dtype is one of the mask's dtypes (BP_DTYPE_BIT), else a message
 * listing `expected`. */
BP_HIDDEN bp_status_t bp_nn2_check_dtype(const char *op, const char *arg,
                                         const bp_tensor_t *t, uint32_t mask,
                                         const char *expected);
/* An optional per-channel parameter: when present, 1-D of length n and of
 * dtype `dtype`. */
BP_HIDDEN bp_status_t bp_nn2_check_param(const char *op, const char *arg,
                                         const bp_tensor_t *t, int64_t n, bp_dtype_t dtype);
/* A reduction enum: 0 none, 1 mean, 2 sum. */
BP_HIDDEN bp_status_t bp_nn2_check_reduction(const char *op, int64_t reduction);
/* True when t broadcasts to ndim/shape (numpy rules). */
BP_HIDDEN bool bp_nn2_broadcasts(const bp_tensor_t *t, int32_t ndim, const int64_t *shape);
/* Output slot k is a copy of x's shape. */
BP_HIDDEN void bp_nn2_same_shape(bp_op_plan_t *plan, int k, const bp_tensor_t *x);

#define BP_NN2_FLOATS3 (BP_DTYPE_BIT(BP_DTYPE_BF16) | BP_DTYPE_BIT(BP_DTYPE_F32) | BP_DTYPE_BIT(BP_DTYPE_F64))
#define BP_NN2_FLOATS3_NAMES "bf16, f32 or f64"

#endif /* BACKPLANE_BP_OP_UTIL_NN2_H_ */
