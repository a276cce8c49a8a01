/* bp_op_util_shape.c - helpers of the shape family. */
#include "bp_op_util_shape.h"

bp_status_t bp_shape_wrap_dim(const char *fn, const char *arg, int64_t dim, int32_t ndim,
                              int32_t rank, int32_t *out_dim) {
  if (rank <= 0 || dim < -(int64_t)rank || dim >= rank) {
    if (rank <= 0)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: %s %lld: a %d-d tensor has no dims", fn,
                     arg, (long long)dim, ndim);
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "%s: %s %lld out of range for a %d-d tensor (expected %d..%d)", fn, arg,
                   (long long)dim, ndim, -rank, rank - 1);
  }
  *out_dim = (int32_t)(dim < 0 ? dim + rank : dim);
  return BP_STATUS_OK;
}

bp_status_t bp_shape_broadcast_n(const char *fn, int n, const char *const *names,
                                 bp_tensor_t *const *tensors, int32_t *out_ndim,
                                 int64_t *out_shape) {
  int32_t nd = 0;
  for (int i = 0; i < n; ++i)
    if (tensors[i]->ndim > nd) nd = tensors[i]->ndim;
  for (int32_t d = 0; d < nd; ++d) {
    int64_t size = 1;
    int from = -1;
    for (int i = 0; i < n; ++i) {
      const bp_tensor_t *t = tensors[i];
      int32_t j = t->ndim - nd + d;
      int64_t s = j >= 0 ? t->shape[j] : 1;
      if (s == 1) continue;
      if (size != 1 && s != size) {
        char a[256], b[256];
        const bp_tensor_t *f = tensors[from];
        return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                       "%s: %s shape %s and %s shape %s cannot broadcast (dim %d: %lld vs %lld)",
                       fn, names[from], bp_format_shape(a, sizeof(a), f->ndim, f->shape),
                       names[i], bp_format_shape(b, sizeof(b), t->ndim, t->shape), d - nd,
                       (long long)size, (long long)s);
      }
      size = s;
      from = i;
    }
    out_shape[d] = size;
  }
  *out_ndim = nd;
  return BP_STATUS_OK;
}
