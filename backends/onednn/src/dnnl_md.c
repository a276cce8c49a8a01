/* dnnl_md.c - Backplane tensor descriptors as oneDNN memory descriptors.
 *
 * A descriptor keeps its strides (oneDNN takes any non-negative strides on
 * plain layouts); a broadcast dim (stride 0) becomes a size-1 dim, which is
 * how oneDNN's binary and matmul broadcast. */
#include <string.h>

#include "dnnl_plugin.h"

dnnl_data_type_t bp_dnnl_dtype(bp_dtype_t dtype) {
  switch (dtype) {
    case BP_DTYPE_F32: return dnnl_f32;
    case BP_DTYPE_BF16: return dnnl_bf16;
    case BP_DTYPE_F16: return dnnl_f16;
    case BP_DTYPE_I32: return dnnl_s32;
    case BP_DTYPE_I8: return dnnl_s8;
    case BP_DTYPE_U8: return dnnl_u8;
    case BP_DTYPE_BOOL: return dnnl_u8; /* one byte, 0 or 1 */
    default: return dnnl_data_type_undef;
  }
}

void *bp_dnnl_ptr(const bp_tensor_desc_t *t) {
  return t->data ? (char *)t->data + t->byte_offset : NULL;
}

int64_t bp_dnnl_numel(const bp_tensor_desc_t *t) {
  int64_t n = 1;
  for (int32_t d = 0; d < t->ndim; ++d) n *= t->shape[d];
  return n;
}

bool bp_dnnl_has_bcast(const bp_tensor_desc_t *t) {
  for (int32_t d = 0; d < t->ndim; ++d)
    if (t->shape[d] > 1 && t->strides[d] == 0) return true;
  return false;
}

bool bp_dnnl_md_raw(dnnl_memory_desc_t *md, int ndim, const int64_t *dims, const int64_t *strides,
                    bp_dtype_t dtype) {
  dnnl_data_type_t dt = bp_dnnl_dtype(dtype);
  if (dt == dnnl_data_type_undef || ndim < 0 || ndim > BP_DNNL_MAX_DIMS) return false;
  memset(md, 0, sizeof *md);
  dnnl_dims_t d, s;
  if (ndim == 0) { /* a scalar is a 1-element 1-D tensor to oneDNN */
    d[0] = 1;
    s[0] = 1;
    return dnnl_memory_desc_init_by_strides(md, 1, d, dt, s) == dnnl_success;
  }
  for (int i = 0; i < ndim; ++i) {
    d[i] = dims[i];
    /* A size-1 dim's stride means nothing; give it a tidy one so layouts
     * that differ only there share primitives and oneDNN sees plain ones. */
    s[i] = strides[i];
  }
  for (int i = ndim - 1; i >= 0; --i) {
    if (d[i] != 1) continue;
    int64_t inner = 1;
    for (int j = i + 1; j < ndim; ++j)
      if (d[j] != 1 && s[j] * d[j] > inner) inner = s[j] * d[j];
    s[i] = inner;
  }
  return dnnl_memory_desc_init_by_strides(md, ndim, d, dt, s) == dnnl_success;
}

bool bp_dnnl_md(dnnl_memory_desc_t *md, const bp_tensor_desc_t *t, bool bcast_to_one) {
  if (t->ndim > BP_DNNL_MAX_DIMS) return false;
  int64_t dims[BP_DNNL_MAX_DIMS], strides[BP_DNNL_MAX_DIMS];
  for (int32_t d = 0; d < t->ndim; ++d) {
    dims[d] = t->shape[d];
    strides[d] = t->strides[d];
    if (dims[d] > 1 && strides[d] == 0) {
      if (!bcast_to_one) return false;
      dims[d] = 1;
    }
  }
  return bp_dnnl_md_raw(md, t->ndim, dims, strides, t->dtype);
}

/* ---- attributes ---- */

void bp_dnnl_attr_spatial(const bp_kernel_call_t *call, const char *name, int64_t dflt,
                          int64_t out[2]) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  out[0] = out[1] = dflt;
  if (a == NULL || a->type != BP_ATTR_INTS || a->count == 0) return;
  out[0] = a->value.ints[0];
  out[1] = a->count > 1 ? a->value.ints[1] : a->value.ints[0];
}

int64_t bp_dnnl_attr_int(const bp_kernel_call_t *call, const char *name, int64_t dflt) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  return a && a->type == BP_ATTR_INT ? a->value.i : dflt;
}

bool bp_dnnl_attr_bool(const bp_kernel_call_t *call, const char *name, bool dflt) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  return a && a->type == BP_ATTR_BOOL ? a->value.b : dflt;
}

double bp_dnnl_attr_f64(const bp_kernel_call_t *call, const char *name, double dflt) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  return a && a->type == BP_ATTR_FLOAT ? a->value.f : dflt;
}

/* NaN (or -inf too, with neg_inf) anywhere in x (f32, f16 or bf16 bits). */
/* NaN (or -inf) among n contiguous f32: a branch-free pass the compiler
 * vectorizes, one early exit per block. */
__attribute__((optimize("O3"))) static bool span_bad_f32(const uint32_t *restrict u, int64_t n,
                                                        bool neg_inf) {
  const uint32_t ninf = neg_inf ? 0xff800000u : 0x7fc00000u; /* a NaN: never matches twice */
  for (int64_t lo = 0; lo < n; lo += 4096) {
    const int64_t hi = n - lo < 4096 ? n : lo + 4096;
    uint32_t bad = 0;
    for (int64_t i = lo; i < hi; ++i)
      bad |= ((u[i] & 0x7fffffffu) > 0x7f800000u) | (u[i] == ninf);
    if (bad) return true;
  }
  return false;
}

bool bp_dnnl_has_nan(const bp_tensor_desc_t *x, bool neg_inf) {
  if (x->dtype == BP_DTYPE_F32) { /* contiguous: the fast pass */
    int64_t expect = 1;
    bool dense = true;
    for (int32_t d = x->ndim - 1; d >= 0 && dense; --d) {
      if (x->shape[d] == 1) continue;
      dense = x->strides[d] == expect;
      expect *= x->shape[d];
    }
    if (dense) return span_bad_f32(bp_dnnl_ptr(x), bp_dnnl_numel(x), neg_inf);
  }
  if (x->ndim == 0) {
    bp_tensor_desc_t one = *x;
    const int64_t shape = 1, stride = 1;
    one.ndim = 1;
    one.shape = &shape;
    one.strides = &stride;
    return bp_dnnl_has_nan(&one, neg_inf);
  }
  const bool f16 = x->dtype == BP_DTYPE_F16, bf16 = x->dtype == BP_DTYPE_BF16 || f16;
  const uint16_t inf16 = f16 ? 0x7c00u : 0x7f80u;
  const int64_t n = bp_dnnl_numel(x);
  int64_t idx[BP_DNNL_MAX_DIMS] = {0};
  const char *base = bp_dnnl_ptr(x);
  const size_t es = bf16 ? 2 : 4;
  const int32_t last = x->ndim - 1;
  const int64_t inner = x->shape[last], ist = x->strides[last];
  for (int64_t i = 0; i < n; i += inner) {
    int64_t off = 0;
    for (int32_t d = 0; d < last; ++d) off += idx[d] * x->strides[d];
    const char *row = base + off * (int64_t)es;
    for (int64_t j = 0; j < inner; ++j) {
      if (bf16) {
        uint16_t u;
        memcpy(&u, row + j * ist * 2, 2);
        if ((u & 0x7fffu) > inf16 || (neg_inf && u == (inf16 | 0x8000u))) return true;
      } else {
        uint32_t u;
        memcpy(&u, row + j * ist * 4, 4);
        if ((u & 0x7fffffffu) > 0x7f800000u || (neg_inf && u == 0xff800000u)) return true;
      }
    }
    for (int32_t d = last - 1; d >= 0; --d) {
      if (++idx[d] < x->shape[d]) break;
      idx[d] = 0;
    }
  }
  return false;
}

