/* ref_fill.c - the `fill` op: every element of the output gets one value. */
#include <string.h>

#include "ref_dtype.h"
#include "ref_iter.h"
#include "ref_kernel.h"

/* Writes n copies of the `size`-byte element at `elem`, `stride` bytes
 * apart. Each branch is a plain store loop the compiler can vectorize. */
#define REF_FILL_ROW(T)                                         \
  do {                                                          \
    T v;                                                        \
    memcpy(&v, elem, sizeof v);                                 \
    if (stride == (int64_t)sizeof(T)) {                         \
      for (int64_t i = 0; i < n; ++i) memcpy(p + i * (int64_t)sizeof(T), &v, sizeof v); \
    } else {                                                    \
      for (int64_t i = 0; i < n; ++i) memcpy(p + i * stride, &v, sizeof v); \
    }                                                           \
  } while (0)

static void fill_row(char *p, int64_t n, int64_t stride, const void *elem,
                     size_t size) {
  switch (size) {
    case 1: REF_FILL_ROW(uint8_t); break;
    case 2: REF_FILL_ROW(uint16_t); break;
    case 4: REF_FILL_ROW(uint32_t); break;
    default: REF_FILL_ROW(uint64_t); break;
  }
}

static bp_status_t ref_fill(const bp_kernel_call_t *call) {
  bp_status_t status = bp_ref_check_call(call, "fill", 0, 1);
  if (status != BP_STATUS_OK) return status;
  const bp_tensor_desc_t *out = call->outputs[0];

  const bp_attr_t *value_attr = bp_abi_find_attr(call, "value");
  const bp_attr_t *int_attr = bp_abi_find_attr(call, "value_int");
  double value = value_attr != NULL && value_attr->type == BP_ATTR_FLOAT ? value_attr->value.f : 0.0;
  int64_t value_int = int_attr != NULL && int_attr->type == BP_ATTR_INT ? int_attr->value.i : 0;

  /* The element's bytes, built once. */
  unsigned char elem[8];
  if (bp_ref_dtype_is_float(out->dtype) || out->dtype == BP_DTYPE_BOOL)
    bp_ref_storer_f64(out->dtype)(elem, value);
  else
    bp_ref_storer_i64(out->dtype)(elem, value_int);

  if (bp_ref_numel(out) == 0) return BP_STATUS_OK;
  size_t size = bp_abi_dtype_size(out->dtype);
  char *base = bp_ref_base(out);
  bp_ref_iter_t it;
  bp_ref_iter_init(&it, out->ndim, out->shape, 1, &base, &out->strides, &size);
  do {
    fill_row(it.ptr[0], it.inner_size, it.inner_stride[0], elem, size);
  } while (bp_ref_iter_next(&it));
  return BP_STATUS_OK;
}

static const bp_dtype_t fill_sigs[][1] = {
    {BP_DTYPE_BOOL}, {BP_DTYPE_U8},   {BP_DTYPE_I8},  {BP_DTYPE_I32}, {BP_DTYPE_I64},
    {BP_DTYPE_F16},  {BP_DTYPE_BF16}, {BP_DTYPE_F32}, {BP_DTYPE_F64},
};

bp_status_t bp_ref_fill_register(const bp_host_api_t *host) {
  for (size_t i = 0; i < sizeof fill_sigs / sizeof fill_sigs[0]; ++i) {
    bp_status_t status = bp_ref_register(host, "fill", fill_sigs[i], 1, ref_fill, NULL);
    if (status != BP_STATUS_OK) return status;
  }
  return BP_STATUS_OK;
}
