/* bp_op_util_nn2.c - inference helpers of the nn2 family. */
#include <string.h>

#include "bp_op_util.h"
#include "bp_op_util_nn2.h"

bp_status_t bp_nn2_wrap_dim(const char *op, const char *arg, int64_t dim, int32_t ndim,
                            int64_t *out_dim) {
  int64_t rank = ndim > 0 ? ndim : 1;
  if (dim < -rank || dim >= rank)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: %s %lld out of range for a %d-d tensor (expected %lld..%lld)", op, arg,
                   (long long)dim, ndim, (long long)-rank, (long long)rank - 1);
  *out_dim = dim < 0 ? dim + rank : dim;
  return BP_STATUS_OK;
}

bp_status_t bp_nn2_check_dtype(const char *op, const char *arg, const bp_tensor_t *t,
                               uint32_t mask, const char *expected) {
  if (!bp_dtype_is_valid(t->dtype) || !(mask & BP_DTYPE_BIT(t->dtype)))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: %s is %s (expected %s)", op, arg,
                   bp_dtype_name(t->dtype), expected);
  return BP_STATUS_OK;
}

bp_status_t bp_nn2_check_param(const char *op, const char *arg, const bp_tensor_t *t, int64_t n,
                               bp_dtype_t dtype) {
  if (t->ndim != 1 || t->shape[0] != n) {
    char buf[256];
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: %s has shape %s (expected [%lld])", op,
                   arg, bp_format_shape(buf, sizeof(buf), t->ndim, t->shape), (long long)n);
  }
  if (t->dtype != dtype)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: %s is %s (expected %s, the input's dtype)",
                   op, arg, bp_dtype_name(t->dtype), bp_dtype_name(dtype));
  return BP_STATUS_OK;
}

bp_status_t bp_nn2_check_reduction(const char *op, int64_t reduction) {
  if (reduction < 0 || reduction > 2)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: reduction %lld is not one of 0 (none), 1 (mean), 2 (sum)", op,
                   (long long)reduction);
  return BP_STATUS_OK;
}

bool bp_nn2_broadcasts(const bp_tensor_t *t, int32_t ndim, const int64_t *shape) {
  if (t->ndim > ndim) return false;
  for (int32_t i = 0; i < t->ndim; ++i) {
    int64_t s = t->shape[t->ndim - 1 - i], o = shape[ndim - 1 - i];
    if (s != o && s != 1) return false;
  }
  return true;
}

void bp_nn2_same_shape(bp_op_plan_t *plan, int k, const bp_tensor_t *x) {
  plan->output_ndim[k] = x->ndim;
  memcpy(plan->output_shape[k], x->shape, sizeof(int64_t) * (size_t)x->ndim);
}
