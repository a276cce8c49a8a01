/*
 * bp_op_util.h - helpers for the catalog's inference functions (shape
 * broadcasting, dtype classes). Every message they set names the op.
 */
#ifndef BACKPLANE_BP_OP_UTIL_H_
#define BACKPLANE_BP_OP_UTIL_H_

#include "bp_internal.h"

BP_HIDDEN bool bp_dtype_is_float(bp_dtype_t d);
BP_HIDDEN bool bp_dtype_is_integer(bp_dtype_t d); /* u8, i8, i32, i64 */
BP_HIDDEN bool bp_dtype_is_valid(bp_dtype_t d);
BP_HIDDEN bool bp_dtypes_all_same(const bp_dtype_t *d, int n);

/* The broadcast shape of a and b, or INVALID_ARGUMENT naming op, both
 * shapes and the first dim that disagrees. */
BP_HIDDEN bp_status_t bp_broadcast_shapes(const char *op, const bp_tensor_t *a,
                                          const bp_tensor_t *b, int32_t *out_ndim,
                                          int64_t *out_shape);
/* True when `from` broadcasts to exactly to_ndim/to_shape. */
BP_HIDDEN bool bp_broadcasts_to(const bp_tensor_t *from, int32_t to_ndim,
                                const int64_t *to_shape);

/* The output size of a pooling window along one dim: torch's
 * pooling_output_shape (used by the pools and their backward ops). */
BP_HIDDEN int64_t bp_pool_output_size(int64_t size, int64_t k, int64_t pad, int64_t stride,
                                      int64_t dil, bool ceil_mode);

#endif /* BACKPLANE_BP_OP_UTIL_H_ */
