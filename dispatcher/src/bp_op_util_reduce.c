/* bp_op_util_reduce.c - inference helpers of the reductions. */
#include "bp_op_util_reduce.h"

#include <stdio.h>

#include "bp_op_util.h"

bp_status_t bp_reduce_mask(const char *op, const bp_tensor_t *x, const bp_attr_t *dim,
                           uint64_t *out_mask) {
  uint64_t mask = 0;
  if (dim->count == 0) {
    *out_mask = x->ndim >= 64 ? ~0ull : ((1ull << x->ndim) - 1);
    return BP_STATUS_OK;
  }
  int64_t rank = x->ndim > 0 ? x->ndim : 1;
  for (uint32_t i = 0; i < dim->count; ++i) {
    int64_t d = dim->value.ints[i];
    if (d < -rank || d >= rank)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_%s: dim %lld out of range for a %d-d tensor (expected %lld..%lld)", op,
                     (long long)d, x->ndim, (long long)-rank, (long long)rank - 1);
    if (d < 0) d += rank;
    if (x->ndim == 0) continue; /* dim 0 of a scalar: nothing to reduce */
    if (mask & (1ull << d))
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: dim %lld appears twice in dim", op,
                     (long long)d);
    mask |= 1ull << d;
  }
  *out_mask = mask;
  return BP_STATUS_OK;
}

bp_status_t bp_reduce_one_dim(const char *op, const bp_tensor_t *x, int64_t *dim) {
  int64_t rank = x->ndim > 0 ? x->ndim : 1;
  int64_t d = *dim;
  if (d < -rank || d >= rank)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: dim %lld out of range for a %d-d tensor (expected %lld..%lld)", op,
                   (long long)d, x->ndim, (long long)-rank, (long long)rank - 1);
  *dim = d < 0 ? d + rank : d;
  return BP_STATUS_OK;
}

bp_status_t bp_reduce_check_nonempty(const char *op, const bp_tensor_t *x, uint64_t mask) {
  for (int32_t d = 0; d < x->ndim; ++d)
    if ((mask & (1ull << d)) && x->shape[d] == 0) {
      char s[512];
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_%s: x: expected reduction dim %d to have non-zero size (x has shape %s; "
                     "the op has no identity)",
                     op, (int)d, bp_format_shape(s, sizeof(s), x->ndim, x->shape));
    }
  return BP_STATUS_OK;
}

void bp_reduce_plan_shape(const bp_tensor_t *x, uint64_t mask, bool keepdim, int num_outputs,
                          bp_op_plan_t *plan) {
  int32_t n = 0;
  for (int32_t d = 0; d < x->ndim; ++d) {
    if (mask & (1ull << d)) {
      if (keepdim) plan->output_shape[0][n++] = 1;
    } else {
      plan->output_shape[0][n++] = x->shape[d];
    }
  }
  plan->output_ndim[0] = n;
  for (int k = 1; k < num_outputs; ++k) {
    plan->output_ndim[k] = n;
    for (int32_t d = 0; d < n; ++d) plan->output_shape[k][d] = plan->output_shape[0][d];
  }
  plan->reduce_mask = mask;
}

bp_status_t bp_reduce_sum_like_dtype(const char *op, const bp_tensor_t *x, bp_dtype_t dtype,
                                     bp_dtype_t *out) {
  if (dtype != BP_DTYPE_INVALID && !bp_dtype_is_valid(dtype))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: dtype attribute %u is not a dtype", op,
                   (unsigned)dtype);
  if (dtype == BP_DTYPE_INVALID) dtype = bp_dtype_is_float(x->dtype) ? x->dtype : BP_DTYPE_I64;
  if (!bp_dtype_is_float(dtype) && dtype != BP_DTYPE_I64)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: dtype %s is not supported (expected i64, f16, bf16, f32 or f64)", op,
                   bp_dtype_name(dtype));
  *out = dtype;
  return BP_STATUS_OK;
}
