/*
 * ref_nn_backward.h - helpers of the reference backward kernels
 * (ref_nn_backward*.c): every tensor is read into a contiguous double
 * buffer (any strides, any float dtype), the gradient computed in double and
 * rounded once into the output. Clear code first: these are the oracle of
 * the backends' backward kernels, not a fast path.
 */
#ifndef BACKPLANE_REFERENCE_REF_NN_BACKWARD_H_
#define BACKPLANE_REFERENCE_REF_NN_BACKWARD_H_

#include <stdlib.h>

#include "ref_dtype.h"
#include "ref_kernel.h"

/* Element offset (in elements) of row-major index i of t. */
static inline int64_t bp_ref_bw_offset(const bp_tensor_desc_t *t, int64_t i) {
  int64_t off = 0;
  for (int32_t d = t->ndim - 1; d >= 0; --d) {
    int64_t s = t->shape[d];
    off += (i % s) * t->strides[d];
    i /= s;
  }
  return off;
}

/* A new zeroed buffer of n doubles (at least one), or NULL. */
static inline double *bp_ref_bw_zeros(int64_t n) {
  return calloc((size_t)(n > 0 ? n : 1), sizeof(double));
}

/* t's elements in row-major order as doubles (a new buffer), or NULL. */
static inline double *bp_ref_bw_load(const bp_tensor_desc_t *t) {
  int64_t n = bp_ref_numel(t);
  double *buf = bp_ref_bw_zeros(n);
  if (!buf || n == 0) return buf;
  bp_ref_load_f64_fn lf = bp_ref_loader_f64(t->dtype);
  size_t es = bp_abi_dtype_size(t->dtype);
  const char *base = bp_ref_base(t);
  for (int64_t i = 0; i < n; ++i) buf[i] = lf(base + (int64_t)es * bp_ref_bw_offset(t, i));
  return buf;
}

/* t's elements (an integer dtype) in row-major order (a new buffer), or NULL. */
static inline int64_t *bp_ref_bw_load_index(const bp_tensor_desc_t *t) {
  int64_t n = bp_ref_numel(t);
  int64_t *buf = calloc((size_t)(n > 0 ? n : 1), sizeof(int64_t));
  if (!buf || n == 0) return buf;
  bp_ref_load_i64_fn lf = bp_ref_loader_i64(t->dtype);
  size_t es = bp_abi_dtype_size(t->dtype);
  const char *base = bp_ref_base(t);
  for (int64_t i = 0; i < n; ++i) buf[i] = lf(base + (int64_t)es * bp_ref_bw_offset(t, i));
  return buf;
}

/* Writes buf (row-major) into t, rounding once to t's dtype. */
static inline void bp_ref_bw_store(const bp_tensor_desc_t *t, const double *buf) {
  int64_t n = bp_ref_numel(t);
  if (n == 0) return;
  bp_ref_store_f64_fn sf = bp_ref_storer_f64(t->dtype);
  size_t es = bp_abi_dtype_size(t->dtype);
  char *base = bp_ref_base(t);
  for (int64_t i = 0; i < n; ++i) sf(base + (int64_t)es * bp_ref_bw_offset(t, i), buf[i]);
}

/* Value i of an int-or-tuple attribute over 2 spatial dims; def when empty. */
static inline int64_t bp_ref_bw_attr2(const bp_attr_t *a, int i, int64_t def) {
  if (a->count == 0) return def;
  return a->value.ints[a->count == 1 ? 0 : i];
}

static inline bp_status_t bp_ref_bw_oom(const bp_kernel_call_t *call) {
  return bp_ref_fail(call->plugin_ctx, BP_STATUS_OUT_OF_MEMORY, "ref %s: out of memory",
                     call->op_name);
}

/* Frees up to 8 buffers (NULL entries allowed). */
static inline void bp_ref_bw_free(void *a, void *b, void *c, void *d, void *e, void *f, void *g,
                                  void *h) {
  free(a); free(b); free(c); free(d); free(e); free(f); free(g); free(h);
}

/* The norm/softmax kernels (ref_nn_backward_norm.c). */
bp_status_t bp_ref_nn_backward_norm_register(const bp_host_api_t *host);

#endif /* BACKPLANE_REFERENCE_REF_NN_BACKWARD_H_ */
