/*
 * ref_nn2.h - element access helpers of the nn2 reference kernels (norms,
 * softmax, indexing, losses, attention).
 *
 * These kernels get their tensors as they are (form as_is, any strides) and
 * compute in double, rounding once when they store: clear code first, one
 * element at a time through the dtype's loader. Offsets are in elements
 * from the tensor's first element.
 */
#ifndef BACKPLANE_REFERENCE_REF_NN2_H_
#define BACKPLANE_REFERENCE_REF_NN2_H_

#include <string.h>

#include "ref_dtype.h"
#include "ref_kernel.h"

/* One tensor ready for element access. */
typedef struct nn2_t {
  const bp_tensor_desc_t *d;
  char *base;   /* NULL when the tensor has no elements */
  size_t size;  /* bytes per element */
  int64_t numel;
  bp_ref_load_f64_fn ld;
  bp_ref_store_f64_fn st;
} nn2_t;

/* A bool element as 0.0 or 1.0 (the dtype loaders cover floats only). */
static inline double nn2_load_bool(const void *p) { return *(const unsigned char *)p ? 1.0 : 0.0; }

/* ld/st are NULL for dtypes other than floats (and bool for ld): kernels
 * move those with nn2_copy_elem or nn2_geti. */
static inline nn2_t nn2_make(const bp_tensor_desc_t *d) {
  nn2_t t;
  t.d = d;
  t.numel = bp_ref_numel(d);
  t.base = t.numel ? bp_ref_base(d) : NULL;
  t.size = bp_abi_dtype_size(d->dtype);
  t.ld = d->dtype == BP_DTYPE_BOOL ? nn2_load_bool : bp_ref_loader_f64(d->dtype);
  t.st = bp_ref_storer_f64(d->dtype);
  return t;
}
static inline double nn2_get(const nn2_t *t, int64_t off) { return t->ld(t->base + off * (int64_t)t->size); }
static inline void nn2_set(const nn2_t *t, int64_t off, double v) { t->st(t->base + off * (int64_t)t->size, v); }
/* An index tensor's element (i32 or i64). */
static inline int64_t nn2_geti(const nn2_t *t, int64_t off) {
  const char *p = t->base + off * (int64_t)t->size;
  if (t->d->dtype == BP_DTYPE_I32) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
  }
  int64_t v;
  memcpy(&v, p, sizeof v);
  return v;
}
/* Copies one element from src[soff] to dst[doff] (same dtype). */
static inline void nn2_copy_elem(const nn2_t *dst, int64_t doff, const nn2_t *src, int64_t soff) {
  memcpy(dst->base + doff * (int64_t)dst->size, src->base + soff * (int64_t)src->size, dst->size);
}

/* Offset of the element at linear index `lin` of the sub-tensor of dims
 * [first, first + n) (row-major over those dims). */
static inline int64_t nn2_sub_off(const bp_tensor_desc_t *d, int32_t first, int32_t n, int64_t lin) {
  int64_t off = 0;
  for (int32_t i = first + n - 1; i >= first; --i) {
    int64_t s = d->shape[i];
    if (s == 0) return 0;
    off += (lin % s) * d->strides[i];
    lin /= s;
  }
  return off;
}
/* Offset of multi-index idx (ndim entries) in a tensor that broadcasts to
 * that rank (its dims align to the right; size-1 dims read index 0). */
static inline int64_t nn2_bcast_off(const bp_tensor_desc_t *d, int32_t ndim, const int64_t *idx) {
  int64_t off = 0;
  for (int32_t i = 0; i < d->ndim; ++i) {
    int32_t j = ndim - d->ndim + i;
    if (d->shape[i] != 1) off += idx[j] * d->strides[i];
  }
  return off;
}
/* Multi-index of linear index lin over shape. */
static inline void nn2_unravel(int64_t lin, int32_t ndim, const int64_t *shape, int64_t *idx) {
  for (int32_t i = ndim - 1; i >= 0; --i) {
    idx[i] = shape[i] ? lin % shape[i] : 0;
    lin = shape[i] ? lin / shape[i] : 0;
  }
}

/* Registration tables: one entry per dtype signature. */
typedef struct nn2_reg {
  const char *op;
  bp_kernel_fn_t fn;
  uint32_t num_dtypes;
  bp_dtype_t sig[8];
} nn2_reg_t;

static inline bp_status_t nn2_register_all(const bp_host_api_t *host, const nn2_reg_t *regs, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    bp_status_t s = bp_ref_register(host, regs[i].op, regs[i].sig, regs[i].num_dtypes, regs[i].fn, NULL);
    if (s != BP_STATUS_OK) return s;
  }
  return BP_STATUS_OK;
}

bp_status_t bp_ref_nn2_norm_register(const bp_host_api_t *host);  /* ref_nn2_norm.c */
bp_status_t bp_ref_nn2_index_register(const bp_host_api_t *host); /* ref_nn2_index.c */
bp_status_t bp_ref_nn2_loss_register(const bp_host_api_t *host);  /* ref_nn2_loss.c */

#endif /* BACKPLANE_REFERENCE_REF_NN2_H_ */
