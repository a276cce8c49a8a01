/* bp_derivatives_util.c - helpers for the derivative formulas. */
#include "bp_derivatives_util.h"

bp_status_t bp_dv_scale(bp_tensor_t *x, double value, bp_tensor_t **out) {
  bp_tensor_t *k = NULL;
  bp_status_t s = bp_tensor_create_scalar(value, &k);
  if (!s) s = bp_mul(x, k, out);
  bp_tensor_release(k);
  return s;
}

bp_status_t bp_dv_add_scalar(bp_tensor_t *x, double value, bp_tensor_t **out) {
  bp_tensor_t *k = NULL;
  bp_status_t s = bp_tensor_create_scalar(value, &k);
  if (!s) s = bp_add(x, k, out);
  bp_tensor_release(k);
  return s;
}

bp_status_t bp_dv_rsub_scalar(double value, bp_tensor_t *x, bp_tensor_t **out) {
  bp_tensor_t *k = NULL;
  bp_status_t s = bp_tensor_create_scalar(value, &k);
  if (!s) s = bp_sub(k, x, out);
  bp_tensor_release(k);
  return s;
}

bp_status_t bp_dv_mul3(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t *c, bp_tensor_t **out) {
  bp_tensor_t *ab = NULL;
  bp_status_t s = bp_mul(a, b, &ab);
  if (!s) s = bp_mul(ab, c, out);
  bp_tensor_release(ab);
  return s;
}

bp_status_t bp_dv_zeros(const bp_grad_tensor_meta_t *m, bp_tensor_t **out) {
  bp_tensor_t *z = NULL;
  bp_status_t s = bp_tensor_create(m->device, m->dtype, m->ndim, m->shape, &z);
  if (!s) s = bp_fill(z, 0.0);
  if (s) {
    bp_tensor_release(z);
    return s;
  }
  *out = z;
  return BP_STATUS_OK;
}

bp_status_t bp_dv_zeros_like(bp_tensor_t *t, bp_tensor_t **out) {
  bp_grad_tensor_meta_t m = {.dtype = t->dtype, .ndim = t->ndim, .device = t->storage->device};
  for (int32_t i = 0; i < t->ndim; ++i) m.shape[i] = t->shape[i];
  return bp_dv_zeros(&m, out);
}

bp_status_t bp_dv_mask(bp_tensor_t *mask, bp_tensor_t *x, bp_tensor_t **out) {
  bp_tensor_t *zero = NULL;
  bp_status_t s = bp_tensor_create_scalar(0.0, &zero);
  if (!s) s = bp_where(mask, x, zero, out);
  bp_tensor_release(zero);
  return s;
}

bp_status_t bp_dv_cmp_scalar(bp_dv_cmp_fn_t cmp, bp_tensor_t *x, double value, bp_tensor_t **out) {
  bp_tensor_t *k = NULL;
  bp_status_t s = bp_tensor_create_scalar(value, &k);
  if (!s) s = cmp(x, k, out);
  bp_tensor_release(k);
  return s;
}

uint64_t bp_dv_dim_mask(const bp_attr_t *dim, int32_t ndim) {
  uint64_t mask = 0;
  if (dim->type == BP_ATTR_INT) {
    int64_t d = dim->value.i < 0 ? dim->value.i + ndim : dim->value.i;
    return d >= 0 && d < ndim ? 1ull << d : 0;
  }
  if (dim->count == 0) return ndim ? (~0ull >> (64 - ndim)) : 0;
  for (uint32_t i = 0; i < dim->count; ++i) {
    int64_t d = dim->value.ints[i];
    if (d < 0) d += ndim;
    if (d >= 0 && d < ndim) mask |= 1ull << d;
  }
  return mask;
}

bp_status_t bp_dv_keepdim(bp_tensor_t *g, const bp_grad_tensor_meta_t *m, uint64_t mask,
                          bool keepdim, bp_tensor_t **out) {
  if (keepdim || g->ndim == m->ndim) {
    *out = bp_tensor_retain(g);
    return BP_STATUS_OK;
  }
  int64_t shape[BP_MAX_DIMS];
  for (int32_t i = 0; i < m->ndim; ++i) shape[i] = (mask >> i) & 1 ? 1 : m->shape[i];
  return bp_tensor_reshape(g, m->ndim, shape, out);
}
