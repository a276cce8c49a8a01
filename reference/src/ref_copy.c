/* ref_copy.c - the `copy` op: dst = src converted to dst's dtype, for all 81
 * dtype pairs. Same dtype is a byte copy; other pairs move each element
 * through int64 (integer-class source) or double (float-class source), which
 * is exact for every source value; the store then rounds or wraps (float to integer as PyTorch on x86-64)
 * once, as ref_dtype.h describes. */
#include <string.h>

#include "ref_dtype.h"
#include "ref_iter.h"
#include "ref_kernel.h"

static void copy_row_same(char *d, const char *s, int64_t n, int64_t sd,
                          int64_t ss, size_t size) {
  if (sd == (int64_t)size && ss == (int64_t)size) {
    memmove(d, s, (size_t)n * size);
    return;
  }
  switch (size) {
#define REF_CASE(bytes)                                                       \
  case bytes:                                                                 \
    for (int64_t i = 0; i < n; ++i) memcpy(d + i * sd, s + i * ss, bytes);    \
    break;
    REF_CASE(1)
    REF_CASE(2)
    REF_CASE(4)
    REF_CASE(8)
#undef REF_CASE
    default: break;
  }
}

static bp_status_t ref_copy(const bp_kernel_call_t *call) {
  bp_status_t status = bp_ref_check_call(call, "copy", 1, 1);
  if (status != BP_STATUS_OK) return status;
  const bp_tensor_desc_t *src = call->inputs[0];
  const bp_tensor_desc_t *dst = call->outputs[0];
  if (!bp_ref_same_shape(src, dst))
    return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL,
                       "ref copy: src and dst shapes differ");
  if (bp_ref_numel(dst) == 0) return BP_STATUS_OK;

  char *base[2] = {bp_ref_base(dst), bp_ref_base(src)};
  const int64_t *strides[2] = {dst->strides, src->strides};
  size_t sizes[2] = {bp_abi_dtype_size(dst->dtype), bp_abi_dtype_size(src->dtype)};
  bp_ref_iter_t it;
  bp_ref_iter_init(&it, dst->ndim, dst->shape, 2, base, strides, sizes);

  if (src->dtype == dst->dtype) {
    do {
      copy_row_same(it.ptr[0], it.ptr[1], it.inner_size, it.inner_stride[0],
                    it.inner_stride[1], sizes[0]);
    } while (bp_ref_iter_next(&it));
    return BP_STATUS_OK;
  }

  if (bp_ref_dtype_is_float(src->dtype)) {
    bp_ref_load_f64_fn load = bp_ref_loader_f64(src->dtype);
    bp_ref_store_f64_fn store = bp_ref_storer_f64(dst->dtype);
    do {
      for (int64_t i = 0; i < it.inner_size; ++i)
        store(it.ptr[0] + i * it.inner_stride[0], load(it.ptr[1] + i * it.inner_stride[1]));
    } while (bp_ref_iter_next(&it));
  } else {
    bp_ref_load_i64_fn load = bp_ref_loader_i64(src->dtype);
    bp_ref_store_i64_fn store = bp_ref_storer_i64(dst->dtype);
    do {
      for (int64_t i = 0; i < it.inner_size; ++i)
        store(it.ptr[0] + i * it.inner_stride[0], load(it.ptr[1] + i * it.inner_stride[1]));
    } while (bp_ref_iter_next(&it));
  }
  return BP_STATUS_OK;
}

/* Every (S, D) pair of the nine v1.0 dtypes, S major. */
#define REF_ROW(s)                                                                \
  {s, BP_DTYPE_BOOL}, {s, BP_DTYPE_U8}, {s, BP_DTYPE_I8}, {s, BP_DTYPE_I32},     \
      {s, BP_DTYPE_I64}, {s, BP_DTYPE_F16}, {s, BP_DTYPE_BF16}, {s, BP_DTYPE_F32}, \
      {s, BP_DTYPE_F64}
static const bp_dtype_t copy_sigs[][2] = {
    REF_ROW(BP_DTYPE_BOOL), REF_ROW(BP_DTYPE_U8),   REF_ROW(BP_DTYPE_I8),
    REF_ROW(BP_DTYPE_I32),  REF_ROW(BP_DTYPE_I64),  REF_ROW(BP_DTYPE_F16),
    REF_ROW(BP_DTYPE_BF16), REF_ROW(BP_DTYPE_F32),  REF_ROW(BP_DTYPE_F64),
};
#undef REF_ROW

bp_status_t bp_ref_copy_register(const bp_host_api_t *host) {
  for (size_t i = 0; i < sizeof copy_sigs / sizeof copy_sigs[0]; ++i) {
    bp_status_t status = bp_ref_register(host, "copy", copy_sigs[i], 2, ref_copy, NULL);
    if (status != BP_STATUS_OK) return status;
  }
  return BP_STATUS_OK;
}
