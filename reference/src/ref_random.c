/* ref_random.c - reference kernels of the random-number ops: uniform,
 * normal, bernoulli, dropout. The stream is defined in ref_random.h; each
 * kernel walks its output in logical row-major order and computes element i
 * from (seed, offset, i) alone. */
#include <math.h>
#include <stddef.h>

#include "ref_dtype.h"
#include "ref_iter.h"
#include "ref_kernel.h"
#include "ref_random.h"

typedef struct random_attrs {
  double a, b;       /* from/to, mean/std, or p (a) */
  bool train;
  uint64_t seed, offset;
} random_attrs_t;

static bp_status_t read_attrs(const bp_kernel_call_t *call, const char *op, const char *name_a,
                              const char *name_b, random_attrs_t *out) {
  const bp_attr_t *a = bp_abi_find_attr(call, name_a);
  const bp_attr_t *b = name_b ? bp_abi_find_attr(call, name_b) : NULL;
  const bp_attr_t *seed = bp_abi_find_attr(call, "seed");
  const bp_attr_t *offset = bp_abi_find_attr(call, "offset");
  const bp_attr_t *train = bp_abi_find_attr(call, "train");
  if (!a || a->type != BP_ATTR_FLOAT || (name_b && (!b || b->type != BP_ATTR_FLOAT)) || !seed ||
      seed->type != BP_ATTR_INT || !offset || offset->type != BP_ATTR_INT ||
      (train && train->type != BP_ATTR_BOOL))
    return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL, "ref %s: missing or mistyped attributes",
                       op);
  out->a = a->value.f;
  out->b = b ? b->value.f : 0.0;
  out->train = train ? train->value.b : true;
  out->seed = (uint64_t)seed->value.i;
  out->offset = (uint64_t)offset->value.i;
  return BP_STATUS_OK;
}

/* ---- uniform and normal: one output, no inputs ---- */

/* Element i of a uniform call (ref_random.h). */
static double uniform_value(const random_attrs_t *r, bool f64, uint64_t i) {
  uint32_t w[4];
  if (f64) {
    bp_ref_random_block(r->seed, r->offset, i / 2, w);
    unsigned k = 2u * (unsigned)(i % 2);
    double u = bp_ref_random_unit_f64(w[k], w[k + 1]);
    return r->a + (r->b - r->a) * u;
  }
  bp_ref_random_block(r->seed, r->offset, i / 4, w);
  float from = (float)r->a, to = (float)r->b;
  float scaled = (to - from) * bp_ref_random_unit_f32(w[i % 4]);
  return (double)(from + scaled);
}

/* Element i of a normal call (ref_random.h): Box-Muller over pairs. */
static double normal_value(const random_attrs_t *r, uint64_t i) {
  uint32_t w[4];
  bp_ref_random_block(r->seed, r->offset, i / 2, w);
  double u1 = (double)(((((uint64_t)w[0] << 32) | w[1]) >> 11) + 1) * (1.0 / 9007199254740992.0);
  double u2 = bp_ref_random_unit_f64(w[2], w[3]);
  double radius = sqrt(-2.0 * log(u1));
  double theta = 2.0 * 3.141592653589793 * u2;
  double z = radius * (i % 2 == 0 ? cos(theta) : sin(theta));
  return r->a + r->b * z;
}

static bp_status_t generate(const bp_kernel_call_t *call, const char *op, bool normal) {
  bp_status_t status = bp_ref_check_call(call, op, 0, 1);
  if (status) return status;
  random_attrs_t r;
  status = normal ? read_attrs(call, op, "mean", "std", &r) : read_attrs(call, op, "from", "to", &r);
  if (status) return status;
  const bp_tensor_desc_t *out = call->outputs[0];
  if (bp_ref_numel(out) == 0) return BP_STATUS_OK;
  bool f64 = out->dtype == BP_DTYPE_F64;
  bp_ref_store_f64_fn store = bp_ref_storer_f64(out->dtype);
  size_t size = bp_abi_dtype_size(out->dtype);
  char *base = bp_ref_base(out);
  bp_ref_iter_t it;
  bp_ref_iter_init(&it, out->ndim, out->shape, 1, &base, &out->strides, &size);
  uint64_t i = 0; /* logical row-major index: the iterator keeps that order */
  do {
    char *p = it.ptr[0];
    for (int64_t k = 0; k < it.inner_size; ++k, ++i, p += it.inner_stride[0])
      store(p, normal ? normal_value(&r, i) : uniform_value(&r, f64, i));
  } while (bp_ref_iter_next(&it));
  return BP_STATUS_OK;
}

static bp_status_t ref_uniform(const bp_kernel_call_t *call) { return generate(call, "uniform", false); }
static bp_status_t ref_normal(const bp_kernel_call_t *call) { return generate(call, "normal", true); }

/* ---- bernoulli: p (f32 or f64, broadcast to out) -> out (any dtype) ---- */

static bp_status_t ref_bernoulli(const bp_kernel_call_t *call) {
  bp_status_t status = bp_ref_check_call(call, "bernoulli", 1, 1);
  if (status) return status;
  random_attrs_t r;
  const bp_attr_t *seed = bp_abi_find_attr(call, "seed"), *offset = bp_abi_find_attr(call, "offset");
  if (!seed || seed->type != BP_ATTR_INT || !offset || offset->type != BP_ATTR_INT)
    return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL, "ref bernoulli: missing seed or offset");
  r.seed = (uint64_t)seed->value.i;
  r.offset = (uint64_t)offset->value.i;
  const bp_tensor_desc_t *pt = call->inputs[0], *out = call->outputs[0];
  if (!bp_ref_same_shape(pt, out) || (pt->dtype != BP_DTYPE_F32 && pt->dtype != BP_DTYPE_F64))
    return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL, "ref bernoulli: bad operands");
  if (bp_ref_numel(out) == 0) return BP_STATUS_OK;
  bp_ref_load_f64_fn load = bp_ref_loader_f64(pt->dtype);
  bp_ref_store_i64_fn store = bp_ref_storer_i64(out->dtype);
  char *base[2] = {bp_ref_base(pt), bp_ref_base(out)};
  const int64_t *strides[2] = {pt->strides, out->strides};
  size_t sizes[2] = {bp_abi_dtype_size(pt->dtype), bp_abi_dtype_size(out->dtype)};
  bp_ref_iter_t it;
  bp_ref_iter_init(&it, out->ndim, out->shape, 2, base, strides, sizes);
  uint64_t i = 0;
  do {
    const char *pp = it.ptr[0];
    char *po = it.ptr[1];
    for (int64_t k = 0; k < it.inner_size;
         ++k, ++i, pp += it.inner_stride[0], po += it.inner_stride[1]) {
      double p = load(pp);
      if (!(p >= 0.0 && p <= 1.0))
        return bp_ref_fail(call->plugin_ctx, BP_STATUS_INVALID_ARGUMENT,
                           "bernoulli: p must be in [0, 1], got %g at element %llu", p,
                           (unsigned long long)i);
      uint32_t w[4];
      bp_ref_random_block(r.seed, r.offset, i / 4, w);
      /* u24 < p * 2^24: exact in p's precision (scaling by 2^24 is exact). */
      store(po, (double)bp_ref_random_u24(w[i % 4]) < p * 16777216.0 ? 1 : 0);
    }
  } while (bp_ref_iter_next(&it));
  return BP_STATUS_OK;
}

/* ---- dropout: x -> out (same float dtype) ---- */

static bp_status_t ref_dropout(const bp_kernel_call_t *call) {
  bp_status_t status = bp_ref_check_call(call, "dropout", 1, 1);
  if (status) return status;
  random_attrs_t r;
  if ((status = read_attrs(call, "dropout", "p", NULL, &r))) return status;
  const bp_tensor_desc_t *x = call->inputs[0], *out = call->outputs[0];
  if (!bp_ref_same_shape(x, out) || x->dtype != out->dtype || !bp_ref_dtype_is_float(x->dtype))
    return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL, "ref dropout: bad operands");
  if (bp_ref_numel(out) == 0) return BP_STATUS_OK;
  bool f64 = x->dtype == BP_DTYPE_F64;
  double keep_p = 1.0 - r.a;
  double threshold = keep_p * 16777216.0; /* kept when u24 < threshold */
  double scale64 = keep_p == 0.0 ? 0.0 : 1.0 / keep_p;
  float scale32 = (float)scale64;
  bp_ref_load_f64_fn load = bp_ref_loader_f64(x->dtype);
  bp_ref_store_f64_fn store = bp_ref_storer_f64(out->dtype);
  char *base[2] = {bp_ref_base(x), bp_ref_base(out)};
  const int64_t *strides[2] = {x->strides, out->strides};
  size_t size = bp_abi_dtype_size(x->dtype);
  size_t sizes[2] = {size, size};
  bp_ref_iter_t it;
  bp_ref_iter_init(&it, out->ndim, out->shape, 2, base, strides, sizes);
  uint64_t i = 0;
  do {
    const char *px = it.ptr[0];
    char *po = it.ptr[1];
    for (int64_t k = 0; k < it.inner_size;
         ++k, ++i, px += it.inner_stride[0], po += it.inner_stride[1]) {
      double v = load(px);
      if (r.train) {
        uint32_t w[4];
        bp_ref_random_block(r.seed, r.offset, i / 4, w);
        bool keep = (double)bp_ref_random_u24(w[i % 4]) < threshold;
        if (f64)
          v = v * (keep ? scale64 : 0.0);
        else
          v = (double)((float)v * (keep ? scale32 : 0.0f));
      }
      store(po, v);
    }
  } while (bp_ref_iter_next(&it));
  return BP_STATUS_OK;
}

/* ---- registration ---- */

static const bp_dtype_t float_sigs[][1] = {
    {BP_DTYPE_F16}, {BP_DTYPE_BF16}, {BP_DTYPE_F32}, {BP_DTYPE_F64}};
static const bp_dtype_t dropout_sigs[][2] = {{BP_DTYPE_F16, BP_DTYPE_F16},
                                             {BP_DTYPE_BF16, BP_DTYPE_BF16},
                                             {BP_DTYPE_F32, BP_DTYPE_F32},
                                             {BP_DTYPE_F64, BP_DTYPE_F64}};
/* p in f32 (f16/bf16/f32 probabilities, cast exactly) or f64; out any dtype. */
#define BERNOULLI_SIGS(P)                                                          \
  {P, BP_DTYPE_BOOL}, {P, BP_DTYPE_U8}, {P, BP_DTYPE_I8}, {P, BP_DTYPE_I32},         \
      {P, BP_DTYPE_I64}, {P, BP_DTYPE_F16}, {P, BP_DTYPE_BF16}, {P, BP_DTYPE_F32}, \
      {P, BP_DTYPE_F64}
static const bp_dtype_t bernoulli_sigs[][2] = {BERNOULLI_SIGS(BP_DTYPE_F32),
                                               BERNOULLI_SIGS(BP_DTYPE_F64)};

bp_status_t bp_ref_random_register(const bp_host_api_t *host) {
  bp_status_t status = BP_STATUS_OK;
  for (size_t i = 0; i < sizeof float_sigs / sizeof float_sigs[0] && !status; ++i) {
    status = bp_ref_register(host, "uniform", float_sigs[i], 1, ref_uniform, NULL);
    if (!status) status = bp_ref_register(host, "normal", float_sigs[i], 1, ref_normal, NULL);
    if (!status) status = bp_ref_register(host, "dropout", dropout_sigs[i], 2, ref_dropout, NULL);
  }
  for (size_t i = 0; i < sizeof bernoulli_sigs / sizeof bernoulli_sigs[0] && !status; ++i)
    status = bp_ref_register(host, "bernoulli", bernoulli_sigs[i], 2, ref_bernoulli, NULL);
  return status;
}
