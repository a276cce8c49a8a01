/* bp_op_util.c - helpers shared by the catalog's inference functions. */
#include <string.h>

#include "bp_op_util.h"

bool bp_dtype_is_float(bp_dtype_t d) {
  return d == BP_DTYPE_F16 || d == BP_DTYPE_BF16 || d == BP_DTYPE_F32 || d == BP_DTYPE_F64;
}
bool bp_dtype_is_valid(bp_dtype_t d) { return d > BP_DTYPE_INVALID && d < BP_DTYPE_COUNT_V1_0; }
bool bp_dtype_is_integer(bp_dtype_t d) {
  return d == BP_DTYPE_U8 || d == BP_DTYPE_I8 || d == BP_DTYPE_I32 || d == BP_DTYPE_I64;
}
bool bp_dtypes_all_same(const bp_dtype_t *d, int n) {
  for (int i = 1; i < n; ++i)
    if (d[i] != d[0]) return false;
  return true;
}

/* ---- shape helpers ---- */

bp_status_t bp_broadcast_shapes(const char *op, const bp_tensor_t *a,
                                    const bp_tensor_t *b, int32_t *out_ndim,
                                    int64_t *out_shape) {
  int32_t n = a->ndim > b->ndim ? a->ndim : b->ndim;
  for (int32_t i = 0; i < n; ++i) {
    int32_t ia = a->ndim - n + i, ib = b->ndim - n + i;
    int64_t sa = ia >= 0 ? a->shape[ia] : 1;
    int64_t sb = ib >= 0 ? b->shape[ib] : 1;
    if (sa != sb && sa != 1 && sb != 1) {
      char bufa[256], bufb[256];
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_%s: shapes %s and %s cannot broadcast (dim %d: %lld vs %lld)", op,
                     bp_format_shape(bufa, sizeof(bufa), a->ndim, a->shape),
                     bp_format_shape(bufb, sizeof(bufb), b->ndim, b->shape), i - n,
                     (long long)sa, (long long)sb);
    }
    out_shape[i] = sa == 1 ? sb : sa;
  }
  *out_ndim = n;
  return BP_STATUS_OK;
}

/* True when `from` broadcasts to exactly `to_ndim`/`to_shape`. */
bool bp_broadcasts_to(const bp_tensor_t *from, int32_t to_ndim, const int64_t *to_shape) {
  if (from->ndim > to_ndim) return false;
  for (int32_t i = 0; i < from->ndim; ++i) {
    int64_t s = from->shape[i], t = to_shape[to_ndim - from->ndim + i];
    if (s != t && s != 1) return false;
  }
  return true;
}


int64_t bp_pool_output_size(int64_t size, int64_t k, int64_t pad, int64_t stride, int64_t dil,
                            bool ceil_mode) {
  int64_t num = size + 2 * pad - dil * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  int64_t o = (num >= 0 ? num / stride : -((-num + stride - 1) / stride)) + 1;
  if (ceil_mode && (o - 1) * stride >= size + pad) --o;
  return o;
}
