/*
 * bp_op_util_shape.h - helpers of the shape family (views, cat, stack,
 * where): dim wrapping with messages that name the function and argument.
 */
#ifndef BACKPLANE_BP_OP_UTIL_SHAPE_H_
#define BACKPLANE_BP_OP_UTIL_SHAPE_H_

#include "bp_internal.h"

/* Wraps dim into [0, rank) (negative dims count from the end), or
 * INVALID_ARGUMENT "<fn>: <arg> <dim> out of range for a <ndim>-d tensor
 * (expected -rank..rank-1)". rank is what the op accepts: usually ndim,
 * max(ndim, 1) where torch lets a 0-dim tensor take dim 0 or -1, ndim + 1
 * for a dim to insert. */
BP_HIDDEN bp_status_t bp_shape_wrap_dim(const char *fn, const char *arg, int64_t dim,
                                        int32_t ndim, int32_t rank, int32_t *out_dim);

/* Broadcast shape of n shapes (NumPy rules), or INVALID_ARGUMENT naming fn,
 * the two slots that disagree and the dim. */
BP_HIDDEN bp_status_t bp_shape_broadcast_n(const char *fn, int n, const char *const *names,
                                           bp_tensor_t *const *tensors, int32_t *out_ndim,
                                           int64_t *out_shape);

#endif /* BACKPLANE_BP_OP_UTIL_SHAPE_H_ */
