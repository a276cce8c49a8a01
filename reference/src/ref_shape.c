/* ref_shape.c - reference kernels of the shape and creation ops: arange,
 * where, tril and triu. (The view ops, pad, cat and stack have no kernels:
 * the dispatcher makes views and composes the others from fill and copy.)
 *
 * where, tril and triu only move elements, so one byte-copying kernel
 * serves every dtype; a zero element is all-zero bytes in every dtype. */
#include <string.h>

#include "ref_dtype.h"
#include "ref_kernel.h"

/* Walks `nops` tensors of one shape in row-major order: idx[] is the
 * current index, ptr[op] the current element of operand op. */
typedef struct walk {
  int32_t ndim, nops;
  const int64_t *shape;
  int64_t idx[BP_REF_MAX_DIMS];
  int64_t stride[4][BP_REF_MAX_DIMS]; /* bytes */
  char *ptr[4];
} walk_t;

static void walk_init(walk_t *w, const bp_tensor_desc_t *const *t, int32_t nops) {
  w->ndim = t[0]->ndim;
  w->nops = nops;
  w->shape = t[0]->shape;
  for (int32_t op = 0; op < nops; ++op) {
    size_t es = bp_abi_dtype_size(t[op]->dtype);
    w->ptr[op] = bp_ref_base(t[op]);
    for (int32_t d = 0; d < w->ndim; ++d) w->stride[op][d] = t[op]->strides[d] * (int64_t)es;
  }
  for (int32_t d = 0; d < w->ndim; ++d) w->idx[d] = 0;
}

static bool walk_next(walk_t *w) {
  for (int32_t d = w->ndim - 1; d >= 0; --d) {
    for (int32_t op = 0; op < w->nops; ++op) w->ptr[op] += w->stride[op][d];
    if (++w->idx[d] < w->shape[d]) return true;
    for (int32_t op = 0; op < w->nops; ++op) w->ptr[op] -= w->stride[op][d] * w->shape[d];
    w->idx[d] = 0;
  }
  return false;
}

/* ---- where ---- */

static bp_status_t ref_where(const bp_kernel_call_t *call) {
  bp_status_t s = bp_ref_check_call(call, "where", 3, 1);
  if (s != BP_STATUS_OK) return s;
  const bp_tensor_desc_t *t[4] = {call->outputs[0], call->inputs[0], call->inputs[1],
                                  call->inputs[2]};
  for (int i = 1; i < 4; ++i)
    if (!bp_ref_same_shape(t[0], t[i]))
      return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL, "ref where: shapes differ");
  if (bp_ref_numel(t[0]) == 0) return BP_STATUS_OK;
  size_t es = bp_abi_dtype_size(t[0]->dtype);
  walk_t w;
  walk_init(&w, t, 4);
  do {
    memcpy(w.ptr[0], *(const uint8_t *)w.ptr[1] ? w.ptr[2] : w.ptr[3], es);
  } while (walk_next(&w));
  return BP_STATUS_OK;
}

/* ---- tril, triu ---- */

static bp_status_t ref_tri(const bp_kernel_call_t *call) {
  const bool upper = call->kernel_data != NULL;
  const char *op = upper ? "triu" : "tril";
  bp_status_t s = bp_ref_check_call(call, op, 1, 1);
  if (s != BP_STATUS_OK) return s;
  const bp_tensor_desc_t *t[2] = {call->outputs[0], call->inputs[0]};
  if (!bp_ref_same_shape(t[0], t[1]) || t[0]->ndim < 2)
    return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL, "ref %s: bad shapes", op);
  const bp_attr_t *a = bp_abi_find_attr(call, "diagonal");
  int64_t diagonal = a && a->type == BP_ATTR_INT ? a->value.i : 0;
  if (bp_ref_numel(t[0]) == 0) return BP_STATUS_OK;
  size_t es = bp_abi_dtype_size(t[0]->dtype);
  walk_t w;
  walk_init(&w, t, 2);
  const int32_t r = t[0]->ndim - 2, c = t[0]->ndim - 1;
  do {
    /* j - i compared without overflow: both are within [0, 2^62]. */
    int64_t off = w.idx[c] - w.idx[r];
    bool keep = upper ? off >= diagonal : off <= diagonal;
    if (keep)
      memmove(w.ptr[0], w.ptr[1], es);
    else
      memset(w.ptr[0], 0, es);
  } while (walk_next(&w));
  return BP_STATUS_OK;
}

/* ---- arange ---- */

static bp_status_t ref_arange(const bp_kernel_call_t *call) {
  bp_status_t s = bp_ref_check_call(call, "arange", 0, 1);
  if (s != BP_STATUS_OK) return s;
  const bp_tensor_desc_t *o = call->outputs[0];
  const bp_attr_t *as = bp_abi_find_attr(call, "start");
  const bp_attr_t *ad = bp_abi_find_attr(call, "step");
  if (o->ndim != 1 || !as || !ad || as->type != BP_ATTR_FLOAT || ad->type != BP_ATTR_FLOAT)
    return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL, "ref arange: bad call");
  const int64_t n = o->shape[0];
  if (n == 0) return BP_STATUS_OK;
  char *p = bp_ref_base(o);
  const int64_t stride = o->strides[0] * (int64_t)bp_abi_dtype_size(o->dtype);
  const double start = as->value.f, step = ad->value.f;
  if (!bp_ref_dtype_is_float(o->dtype)) {
    /* As torch: integers in int64 (start and step truncated), wrapping. */
    bp_ref_store_i64_fn store = bp_ref_storer_i64(o->dtype);
    uint64_t v = (uint64_t)bp_ref_f64_to_i64(start), d = (uint64_t)bp_ref_f64_to_i64(step);
    for (int64_t i = 0; i < n; ++i, p += stride) store(p, (int64_t)(v + (uint64_t)i * d));
  } else if (o->dtype == BP_DTYPE_F16 || o->dtype == BP_DTYPE_BF16) {
    /* torch computes half arange in float (its accumulate type), then rounds. */
    const float fs = (float)start, fd = (float)step;
    const bool f16 = o->dtype == BP_DTYPE_F16;
    for (int64_t i = 0; i < n; ++i, p += stride) {
      uint16_t bits = f16 ? bp_ref_f32_to_f16(fs + (float)i * fd)
                          : bp_ref_f32_to_bf16(fs + (float)i * fd);
      memcpy(p, &bits, sizeof bits);
    }
  } else {
    bp_ref_store_f64_fn store = bp_ref_storer_f64(o->dtype);
    for (int64_t i = 0; i < n; ++i, p += stride) store(p, start + (double)i * step);
  }
  return BP_STATUS_OK;
}

/* ---- registration ---- */

#define ALL_DTYPES(X)                                                               \
  X(BP_DTYPE_BOOL) X(BP_DTYPE_U8) X(BP_DTYPE_I8) X(BP_DTYPE_I32) X(BP_DTYPE_I64) \
  X(BP_DTYPE_F16) X(BP_DTYPE_BF16) X(BP_DTYPE_F32) X(BP_DTYPE_F64)

#define SIG1(t) [t] = {t},
#define SIG2(t) [t] = {t, t},
#define SIG_WHERE_B(t) [t] = {BP_DTYPE_BOOL, t, t, t},
#define SIG_WHERE_U(t) [t] = {BP_DTYPE_U8, t, t, t},
static const bp_dtype_t sig1[BP_DTYPE_COUNT_V1_0][1] = {ALL_DTYPES(SIG1)};
static const bp_dtype_t sig2[BP_DTYPE_COUNT_V1_0][2] = {ALL_DTYPES(SIG2)};
static const bp_dtype_t sig_where_b[BP_DTYPE_COUNT_V1_0][4] = {ALL_DTYPES(SIG_WHERE_B)};
static const bp_dtype_t sig_where_u[BP_DTYPE_COUNT_V1_0][4] = {ALL_DTYPES(SIG_WHERE_U)};
#undef SIG1
#undef SIG2
#undef SIG_WHERE_B
#undef SIG_WHERE_U

static const int upper_marker = 1;

bp_status_t bp_ref_shape_register(const bp_host_api_t *host) {
  bp_status_t s = BP_STATUS_OK;
  for (int t = BP_DTYPE_BOOL; t <= BP_DTYPE_F64 && s == BP_STATUS_OK; ++t) {
    s = bp_ref_register(host, "where", sig_where_b[t], 4, ref_where, NULL);
    if (s == BP_STATUS_OK) s = bp_ref_register(host, "where", sig_where_u[t], 4, ref_where, NULL);
    if (s == BP_STATUS_OK) s = bp_ref_register(host, "tril", sig2[t], 2, ref_tri, NULL);
    if (s == BP_STATUS_OK) s = bp_ref_register(host, "triu", sig2[t], 2, ref_tri, &upper_marker);
    if (s == BP_STATUS_OK && t != BP_DTYPE_BOOL)
      s = bp_ref_register(host, "arange", sig1[t], 1, ref_arange, NULL);
  }
  return s;
}
