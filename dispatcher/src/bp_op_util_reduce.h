/*
 * bp_op_util_reduce.h - inference helpers shared by the reductions and
 * scans (bp_ops_reduce*.c). Every message they set names the op.
 */
#ifndef BACKPLANE_BP_OP_UTIL_REDUCE_H_
#define BACKPLANE_BP_OP_UTIL_REDUCE_H_

#include "bp_op_catalog.h"

/* The set of dims a dim-list attribute names, as a bit mask over x's dims.
 * An empty list means every dim (torch's dim=None / dim=[]). Negative dims
 * count from the end; a 0-dim x takes dims -1 and 0 (nothing to reduce).
 * Fails naming `op` for a dim out of range or named twice. */
BP_HIDDEN bp_status_t bp_reduce_mask(const char *op, const bp_tensor_t *x, const bp_attr_t *dim,
                                     uint64_t *out_mask);
/* One dim (max, argmax, cumsum...): normalized into *dim, in [0, ndim)
 * (0 for a 0-dim x, which takes -1 and 0). */
BP_HIDDEN bp_status_t bp_reduce_one_dim(const char *op, const bp_tensor_t *x, int64_t *dim);
/* Fails like torch when a reduced dim of x has size 0 and the op has no
 * identity (amax, max, argmax, inf-norm): "Expected reduction dim d to have
 * non-zero size". */
BP_HIDDEN bp_status_t bp_reduce_check_nonempty(const char *op, const bp_tensor_t *x,
                                               uint64_t mask);
/* Fills output_shape/output_ndim of outputs [0, num_outputs) and
 * reduce_mask: x's shape without (or, keepdim, with size 1 on) the reduced
 * dims. */
BP_HIDDEN void bp_reduce_plan_shape(const bp_tensor_t *x, uint64_t mask, bool keepdim,
                                    int num_outputs, bp_op_plan_t *plan);

/* The dtype of sum-like ops (prod, cumsum, cumprod): `dtype` (the dtype
 * attribute) if valid, else floats keep x's and bool/integers give i64.
 * Only i64 and floats are accepted. */
BP_HIDDEN bp_status_t bp_reduce_sum_like_dtype(const char *op, const bp_tensor_t *x,
                                               bp_dtype_t dtype, bp_dtype_t *out);

#endif /* BACKPLANE_BP_OP_UTIL_REDUCE_H_ */
