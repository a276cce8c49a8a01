/* ref_nn2_index.c - embedding, gather, scatter_add, index_select, one_hot.
 * Elements move as bytes (exact for every dtype); scatter_add adds in the
 * dtype's arithmetic (integers wrap, bool is a logical or, floats in double
 * rounded at each store, as torch rounds each add). An index out of range
 * is INVALID_ARGUMENT naming the op, the value and the range; nothing is
 * read or written out of bounds. */
#include "ref_nn2.h"

static bp_status_t index_error(const bp_kernel_call_t *call, const char *what, int64_t v,
                               int64_t size) {
  return bp_ref_fail(call->plugin_ctx, BP_STATUS_INVALID_ARGUMENT,
                     "%s %lld is out of range (expected 0..%lld, size %lld)", what, (long long)v,
                     (long long)size - 1, (long long)size);
}

/* ---- embedding: out[i..., :] = weight[indices[i...], :] ---- */

static bp_status_t ref_embedding(const bp_kernel_call_t *call) {
  bp_status_t s = bp_ref_check_call(call, "embedding", 2, 1);
  if (s) return s;
  const bp_tensor_desc_t *wd = call->inputs[0], *id = call->inputs[1], *od = call->outputs[0];
  nn2_t w = nn2_make(wd), ix = nn2_make(id), o = nn2_make(od);
  int64_t v = wd->shape[0], dim = wd->shape[1];
  for (int64_t i = 0; i < ix.numel; ++i) {
    int64_t r = nn2_geti(&ix, nn2_sub_off(id, 0, id->ndim, i));
    if (r < 0 || r >= v) return index_error(call, "index", r, v);
    int64_t oo = nn2_sub_off(od, 0, od->ndim - 1, i);
    for (int64_t j = 0; j < dim; ++j)
      nn2_copy_elem(&o, oo + j * od->strides[od->ndim - 1], &w, r * wd->strides[0] + j * wd->strides[1]);
  }
  return BP_STATUS_OK;
}

/* ---- gather: out[idx] = x[idx with idx[dim] = index[idx]] ---- */

static bp_status_t ref_gather(const bp_kernel_call_t *call) {
  bp_status_t s = bp_ref_check_call(call, "gather", 2, 1);
  if (s) return s;
  const bp_tensor_desc_t *xd = call->inputs[0], *id = call->inputs[1], *od = call->outputs[0];
  int32_t dim = (int32_t)call->attrs[0]->value.i;
  nn2_t x = nn2_make(xd), ix = nn2_make(id), o = nn2_make(od);
  int64_t size = xd->ndim ? xd->shape[dim] : 1;
  int64_t idx[BP_REF_MAX_DIMS];
  for (int64_t i = 0; i < ix.numel; ++i) {
    nn2_unravel(i, id->ndim, id->shape, idx);
    int64_t ioff = 0, ooff = 0, xoff = 0;
    for (int32_t d = 0; d < id->ndim; ++d) {
      ioff += idx[d] * id->strides[d];
      ooff += idx[d] * od->strides[d];
    }
    int64_t r = nn2_geti(&ix, ioff);
    if (r < 0 || r >= size) return index_error(call, "index", r, size);
    for (int32_t d = 0; d < xd->ndim; ++d) xoff += (d == dim ? r : idx[d]) * xd->strides[d];
    nn2_copy_elem(&o, ooff, &x, xoff);
  }
  return BP_STATUS_OK;
}

/* ---- scatter_add ---- */

static void add_elem(const nn2_t *o, int64_t ooff, const nn2_t *src, int64_t soff) {
  char *p = o->base + ooff * (int64_t)o->size;
  const char *q = src->base + soff * (int64_t)src->size;
  switch (o->d->dtype) {
    case BP_DTYPE_BOOL: *p = (char)((*p != 0) | (*q != 0)); break;
    case BP_DTYPE_U8: case BP_DTYPE_I8: *(uint8_t *)(void *)p = (uint8_t)(*(uint8_t *)(void *)p + *(const uint8_t *)(const void *)q); break;
    case BP_DTYPE_I32: {
      uint32_t a, b;
      memcpy(&a, p, 4);
      memcpy(&b, q, 4);
      a += b;
      memcpy(p, &a, 4);
      break;
    }
    case BP_DTYPE_I64: {
      uint64_t a, b;
      memcpy(&a, p, 8);
      memcpy(&b, q, 8);
      a += b;
      memcpy(p, &a, 8);
      break;
    }
    default: nn2_set(o, ooff, nn2_get(o, ooff) + nn2_get(src, soff)); break;
  }
}

static bp_status_t ref_scatter_add(const bp_kernel_call_t *call) {
  bp_status_t s = bp_ref_check_call(call, "scatter_add", 3, 1);
  if (s) return s;
  const bp_tensor_desc_t *xd = call->inputs[0], *id = call->inputs[1], *sd = call->inputs[2];
  const bp_tensor_desc_t *od = call->outputs[0];
  int32_t dim = (int32_t)call->attrs[0]->value.i;
  nn2_t x = nn2_make(xd), ix = nn2_make(id), src = nn2_make(sd), o = nn2_make(od);
  int64_t size = xd->ndim ? xd->shape[dim] : 1;
  int64_t idx[BP_REF_MAX_DIMS];
  /* check every index first so that a failing call leaves out untouched */
  for (int64_t i = 0; i < ix.numel; ++i) {
    int64_t r = nn2_geti(&ix, nn2_sub_off(id, 0, id->ndim, i));
    if (r < 0 || r >= size) return index_error(call, "index", r, size);
  }
  for (int64_t i = 0; i < x.numel; ++i)
    nn2_copy_elem(&o, nn2_sub_off(od, 0, od->ndim, i), &x, nn2_sub_off(xd, 0, xd->ndim, i));
  for (int64_t i = 0; i < ix.numel; ++i) {
    nn2_unravel(i, id->ndim, id->shape, idx);
    int64_t ioff = 0, soff = 0, ooff = 0;
    for (int32_t d = 0; d < id->ndim; ++d) {
      ioff += idx[d] * id->strides[d];
      if (sd->ndim) soff += idx[d] * sd->strides[d];
    }
    int64_t r = nn2_geti(&ix, ioff);
    for (int32_t d = 0; d < od->ndim; ++d) ooff += (d == dim ? r : idx[d]) * od->strides[d];
    add_elem(&o, ooff, &src, soff);
  }
  return BP_STATUS_OK;
}

/* ---- index_select ---- */

static bp_status_t ref_index_select(const bp_kernel_call_t *call) {
  bp_status_t s = bp_ref_check_call(call, "index_select", 2, 1);
  if (s) return s;
  const bp_tensor_desc_t *xd = call->inputs[0], *id = call->inputs[1], *od = call->outputs[0];
  int32_t dim = (int32_t)call->attrs[0]->value.i;
  nn2_t x = nn2_make(xd), ix = nn2_make(id), o = nn2_make(od);
  int64_t size = xd->ndim ? xd->shape[dim] : 1;
  int64_t istride = id->ndim ? id->strides[0] : 0;
  for (int64_t k = 0; k < ix.numel; ++k) {
    int64_t r = nn2_geti(&ix, k * istride);
    if (r < 0 || r >= size) return index_error(call, "index", r, size);
  }
  int64_t idx[BP_REF_MAX_DIMS];
  for (int64_t i = 0; i < o.numel; ++i) {
    nn2_unravel(i, od->ndim, od->shape, idx);
    int64_t ooff = 0, xoff = 0;
    for (int32_t d = 0; d < od->ndim; ++d) ooff += idx[d] * od->strides[d];
    int64_t r = nn2_geti(&ix, (xd->ndim ? idx[dim] : 0) * istride);
    for (int32_t d = 0; d < xd->ndim; ++d) xoff += (d == dim ? r : idx[d]) * xd->strides[d];
    nn2_copy_elem(&o, ooff, &x, xoff);
  }
  return BP_STATUS_OK;
}

/* ---- one_hot ---- */

static bp_status_t ref_one_hot(const bp_kernel_call_t *call) {
  bp_status_t s = bp_ref_check_call(call, "one_hot", 1, 1);
  if (s) return s;
  const bp_tensor_desc_t *xd = call->inputs[0], *od = call->outputs[0];
  nn2_t x = nn2_make(xd), o = nn2_make(od);
  int64_t n = od->shape[od->ndim - 1], last = od->strides[od->ndim - 1];
  for (int64_t i = 0; i < x.numel; ++i) {
    int64_t r = nn2_geti(&x, nn2_sub_off(xd, 0, xd->ndim, i));
    if (r < 0) return bp_ref_fail(call->plugin_ctx, BP_STATUS_INVALID_ARGUMENT, "class value %lld is negative (expected 0..%lld)", (long long)r, (long long)n - 1);
    if (r >= n) return index_error(call, "class value", r, n);
  }
  for (int64_t i = 0; i < x.numel; ++i) {
    int64_t r = nn2_geti(&x, nn2_sub_off(xd, 0, xd->ndim, i));
    int64_t oo = nn2_sub_off(od, 0, od->ndim - 1, i);
    for (int64_t c = 0; c < n; ++c) {
      int64_t v = c == r;
      memcpy(o.base + (oo + c * last) * 8, &v, 8);
    }
  }
  return BP_STATUS_OK;
}

#define ALL_DTYPES(X) X(BOOL) X(U8) X(I8) X(I32) X(I64) X(F16) X(BF16) X(F32) X(F64)
#define EMB(T) {"embedding", ref_embedding, 3, {BP_DTYPE_##T, BP_DTYPE_I32, BP_DTYPE_##T}}, \
               {"embedding", ref_embedding, 3, {BP_DTYPE_##T, BP_DTYPE_I64, BP_DTYPE_##T}},
#define GATHER(T) {"gather", ref_gather, 3, {BP_DTYPE_##T, BP_DTYPE_I64, BP_DTYPE_##T}},
#define SCATTER(T) {"scatter_add", ref_scatter_add, 4, {BP_DTYPE_##T, BP_DTYPE_I64, BP_DTYPE_##T, BP_DTYPE_##T}},
#define ISEL(T) {"index_select", ref_index_select, 3, {BP_DTYPE_##T, BP_DTYPE_I32, BP_DTYPE_##T}}, \
                {"index_select", ref_index_select, 3, {BP_DTYPE_##T, BP_DTYPE_I64, BP_DTYPE_##T}},

static const nn2_reg_t regs[] = {
    ALL_DTYPES(EMB) ALL_DTYPES(GATHER) ALL_DTYPES(SCATTER) ALL_DTYPES(ISEL)
    {"one_hot", ref_one_hot, 2, {BP_DTYPE_I64, BP_DTYPE_I64}},
};

bp_status_t bp_ref_nn2_index_register(const bp_host_api_t *host) {
  return nn2_register_all(host, regs, sizeof regs / sizeof regs[0]);
}
