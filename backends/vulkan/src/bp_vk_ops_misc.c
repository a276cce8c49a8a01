/* bp_vk_ops_misc.c - tril, triu (shaders/tri.comp), arange
 * (shaders/arange.comp) and gelu_backward (shaders/gelubw.comp), with the
 * semantics of reference/src/ref_shape.c and ref_nn_backward_norm.c.
 * gelu_backward of f64 is declined (no f64 erf/exp/tanh in GLSL.std.450). */
#include <stdio.h>
#include <string.h>

#include "bp_vk_convert.h"
#include "bp_vk_kernel_util.h"

enum { MS_TRIL, MS_TRIU, MS_ARANGE, MS_GELU_BW };

static int32_t variant_misc(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  char name[32];
  bp_dtype_t o = call->outputs[0]->dtype;
  switch (k->op) {
    case MS_TRIL: case MS_TRIU: snprintf(name, sizeof name, "tri_%u_%u", k->op, bpvk_raw_dtype(o)); break;
    case MS_ARANGE: snprintf(name, sizeof name, "arange_%u", o); break;
    default: snprintf(name, sizeof name, "gelubw_%u", o); break;
  }
  return bpvk_variant_find(name);
}

static bool misc_ok(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  const bp_tensor_desc_t *o = call->outputs[0];
  switch (k->op) {
    case MS_TRIL: case MS_TRIU: return o->ndim >= 2;
    case MS_ARANGE: return o->ndim == 1;
    default: return call->inputs[0]->ndim == o->ndim && call->inputs[1]->ndim == o->ndim;
  }
}

#define K(op) {variant_misc, misc_ok, op, 0}
static const bpvk_kernel_t kMisc[] = {K(MS_TRIL), K(MS_TRIU), K(MS_ARANGE), K(MS_GELU_BW)};
#undef K

static bp_status_t rec_tri(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  const bp_tensor_desc_t *x = call->inputs[0], *o = call->outputs[0];
  uint32_t w[32];
  memset(w, 0, sizeof w);
  w[0] = (uint32_t)bpvk_numel(o);
  w[1] = (uint32_t)o->ndim;
  for (int32_t i = 0; i < o->ndim; ++i) {
    w[2 + i] = (uint32_t)o->shape[i];
    w[10 + i] = (uint32_t)o->strides[i];
    w[18 + i] = (uint32_t)x->strides[i];
  }
  w[26] = bpvk_vt(o).offset;
  w[27] = bpvk_vt(x).offset;
  bpvk_put_u64(w + 28, (uint64_t)bpvk_attr_i(call, "diagonal", 0));
  uint32_t gx, gy;
  bpvk_grid_1d(w[0], 256, &gx, &gy);
  return bpvk_record_tensors(d, call, variant, 0, w, 32, gx, gy, 1, NULL);
}

static bp_status_t rec_arange(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  const bp_tensor_desc_t *o = call->outputs[0];
  uint32_t w[8];
  memset(w, 0, sizeof w);
  w[0] = (uint32_t)o->shape[0];
  w[1] = (uint32_t)o->strides[0];
  w[2] = bpvk_vt(o).offset;
  double start = bpvk_attr_f(call, "start", 0.0), step = bpvk_attr_f(call, "step", 1.0);
  if (o->dtype >= BP_DTYPE_F16) {
    bpvk_put_f64(w + 4, start);
    bpvk_put_f64(w + 6, step);
  } else {
    bpvk_put_u64(w + 4, (uint64_t)bpvk_f64_to_i64(start));
    bpvk_put_u64(w + 6, (uint64_t)bpvk_f64_to_i64(step));
  }
  uint32_t gx, gy;
  bpvk_grid_1d(w[0], 256, &gx, &gy);
  return bpvk_record_tensors(d, call, variant, 0, w, 8, gx, gy, 1, NULL);
}

static bp_status_t rec_gelu_bw(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  uint32_t op = bpvk_attr_i(call, "approximate", 0) == 1 ? 1u : 0u;
  bp_status_t s = bpvk_record_ew_vec4(d, call, "gelubw_v4_8", op, NULL); /* f32 on CPU devices, where it fits */
  if (s != BP_STATUS_UNSUPPORTED) return s;
  return bpvk_record_ew(d, call, variant, op, NULL, NULL);
}

static bp_status_t k_tri(const bp_kernel_call_t *c) { return bpvk_kernel_run(c, rec_tri); }
static bp_status_t k_arange(const bp_kernel_call_t *c) { return bpvk_kernel_run(c, rec_arange); }
static bp_status_t k_gelu_bw(const bp_kernel_call_t *c) { return bpvk_kernel_run(c, rec_gelu_bw); }

bp_status_t bpvk_ops_misc_register(bpvk_ctx_t *ctx) {
  bp_status_t s = BP_STATUS_OK;
  char name[32];
  for (bp_dtype_t t = BP_DTYPE_BOOL; t <= BP_DTYPE_F64 && !s; ++t) {
    bp_dtype_t one[1] = {t}, two[2] = {t, t}, three[3] = {t, t, t};
    snprintf(name, sizeof name, "tri_%u_%u", MS_TRIL, bpvk_raw_dtype(t));
    s = bpvk_kernel_reg(ctx, "tril", name, two, 2, k_tri, &kMisc[MS_TRIL]);
    snprintf(name, sizeof name, "tri_%u_%u", MS_TRIU, bpvk_raw_dtype(t));
    if (!s) s = bpvk_kernel_reg(ctx, "triu", name, two, 2, k_tri, &kMisc[MS_TRIU]);
    snprintf(name, sizeof name, "arange_%u", t);
    if (!s && t != BP_DTYPE_BOOL) s = bpvk_kernel_reg(ctx, "arange", name, one, 1, k_arange, &kMisc[MS_ARANGE]);
    snprintf(name, sizeof name, "gelubw_%u", t);
    if (!s) s = bpvk_kernel_reg(ctx, "gelu_backward", name, three, 3, k_gelu_bw, &kMisc[MS_GELU_BW]);
  }
  return s;
}
