/* dnnl_nn.c - neural-network ops through oneDNN: conv2d (convolution
 * primitive), softmax and log_softmax (softmax v2).
 *
 * Kernel form as_is: real tensors, any strides. Strides go to oneDNN's
 * memory descriptors as they are (NCHW or any permutation of it); grouped
 * weights become oneDNN's 5-D [G, O/G, C/G, KH, KW] view of the same
 * memory. Still to come: linear, conv_transpose2d, pools, batch_norm,
 * layer_norm (they fall back to ref:0 for now). */
#include <string.h>

#include "dnnl_plugin.h"

static const bp_dtype_t sig_f32[4] = {BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32};
static const bp_dtype_t sig_bf16[4] = {BP_DTYPE_BF16, BP_DTYPE_BF16, BP_DTYPE_BF16, BP_DTYPE_BF16};

static dnnl_status_t attr_user_scratch(dnnl_primitive_attr_t *attr) {
  dnnl_status_t s = dnnl_primitive_attr_create(attr);
  if (!s) s = dnnl_primitive_attr_set_scratchpad_mode(*attr, dnnl_scratchpad_mode_user);
  return s;
}

/* An int-list attribute per spatial dim: empty -> dflt, one value -> all. */
static void spatial(const bp_kernel_call_t *call, const char *name, int64_t dflt, int64_t out[2]) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  out[0] = out[1] = dflt;
  if (a == NULL || a->type != BP_ATTR_INTS || a->count == 0) return;
  out[0] = a->value.ints[0];
  out[1] = a->count > 1 ? a->value.ints[1] : a->value.ints[0];
}

static int64_t attr_int(const bp_kernel_call_t *call, const char *name, int64_t dflt) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  return a && a->type == BP_ATTR_INT ? a->value.i : dflt;
}
static bool attr_bool(const bp_kernel_call_t *call, const char *name, bool dflt) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  return a && a->type == BP_ATTR_BOOL ? a->value.b : dflt;
}

/* ---- conv2d ---- */

typedef struct conv_arg {
  dnnl_memory_desc_t src, wei, bias, dst;
  bool has_bias;
  dnnl_dims_t strides, dilates, pad_l, pad_r;
} conv_arg_t;

static dnnl_status_t conv_make(bp_dnnl_ctx_t *ctx, const void *varg, dnnl_primitive_desc_t *pd) {
  const conv_arg_t *c = varg;
  dnnl_convolution_desc_t desc;
  dnnl_status_t s = dnnl_dilated_convolution_forward_desc_init(
      &desc, dnnl_forward_inference, dnnl_convolution_direct, &c->src, &c->wei,
      c->has_bias ? &c->bias : NULL, &c->dst, c->strides, c->dilates, c->pad_l, c->pad_r);
  dnnl_primitive_attr_t attr = NULL;
  if (!s) s = attr_user_scratch(&attr);
  if (!s) s = dnnl_primitive_desc_create(pd, &desc, attr, ctx->engine, NULL);
  dnnl_primitive_attr_destroy(attr);
  return s;
}

static bool conv_supports(const bp_kernel_call_t *call) {
  const bp_tensor_desc_t *x = call->inputs[0], *w = call->inputs[1], *o = call->outputs[0];
  if (x->ndim != 4 || w->ndim != 4 || o->ndim != 4) return false;
  if (bp_dnnl_has_bcast(x) || bp_dnnl_has_bcast(w)) return false;
  if (attr_bool(call, "has_bias", true) && bp_dnnl_has_bcast(call->inputs[2])) return false;
  return attr_int(call, "groups", 1) >= 1;
}

static bp_status_t conv_kernel(const bp_kernel_call_t *call) {
  bp_dnnl_ctx_t *ctx = call->plugin_ctx;
  const bp_tensor_desc_t *x = call->inputs[0], *w = call->inputs[1], *b = call->inputs[2];
  const bp_tensor_desc_t *o = call->outputs[0];
  if (bp_dnnl_numel(o) == 0) return BP_STATUS_OK;
  const int64_t g = attr_int(call, "groups", 1);
  conv_arg_t c = {.has_bias = attr_bool(call, "has_bias", true)};
  int64_t st[2], pad[2], dil[2];
  spatial(call, "stride", 1, st);
  spatial(call, "padding", 0, pad);
  spatial(call, "dilation", 1, dil);
  const bool same = attr_bool(call, "padding_same", false);
  for (int i = 0; i < 2; ++i) {
    const int64_t k = w->shape[2 + i], in = x->shape[2 + i], out = o->shape[2 + i];
    if (same) pad[i] = (k - 1) * dil[i] / 2;
    c.strides[i] = st[i];
    c.dilates[i] = dil[i] - 1;
    c.pad_l[i] = pad[i];
    c.pad_r[i] = (out - 1) * st[i] + (k - 1) * dil[i] + 1 - in - pad[i];
  }
  bool ok = bp_dnnl_md(&c.src, x, false) && bp_dnnl_md(&c.dst, o, false);
  if (g == 1) {
    ok = ok && bp_dnnl_md(&c.wei, w, false);
  } else { /* [O, C/G, KH, KW] as [G, O/G, C/G, KH, KW] */
    const int64_t dims[5] = {g, w->shape[0] / g, w->shape[1], w->shape[2], w->shape[3]};
    const int64_t strides[5] = {w->strides[0] * (w->shape[0] / g), w->strides[0], w->strides[1],
                                w->strides[2], w->strides[3]};
    ok = ok && bp_dnnl_md_raw(&c.wei, 5, dims, strides, w->dtype);
  }
  if (c.has_bias) ok = ok && bp_dnnl_md(&c.bias, b, false);
  if (!ok) return bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED, "onednn conv2d: no memory descriptor");
  bp_dnnl_key_t key;
  bp_dnnl_key_init(&key, "conv2d", (uint32_t)g);
  for (int i = 0; i < 2; ++i) {
    bp_dnnl_key_u64(&key, (uint64_t)c.strides[i]);
    bp_dnnl_key_u64(&key, (uint64_t)c.dilates[i]);
    bp_dnnl_key_u64(&key, (uint64_t)c.pad_l[i]);
    bp_dnnl_key_u64(&key, (uint64_t)c.pad_r[i]);
  }
  bp_dnnl_key_md(&key, &c.src);
  bp_dnnl_key_md(&key, &c.wei);
  bp_dnnl_key_u64(&key, c.has_bias);
  if (c.has_bias) bp_dnnl_key_md(&key, &c.bias);
  bp_dnnl_key_md(&key, &c.dst);
  bp_dnnl_args_t args = {0};
  bp_dnnl_args_add(&args, DNNL_ARG_SRC, &c.src, bp_dnnl_ptr(x));
  bp_dnnl_args_add(&args, DNNL_ARG_WEIGHTS, &c.wei, bp_dnnl_ptr(w));
  if (c.has_bias) bp_dnnl_args_add(&args, DNNL_ARG_BIAS, &c.bias, bp_dnnl_ptr(b));
  bp_dnnl_args_add(&args, DNNL_ARG_DST, &c.dst, bp_dnnl_ptr(o));
  const bp_dnnl_prim_t *p = NULL;
  bp_dnnl_lock(ctx);
  bp_status_t status = bp_dnnl_cache_get(ctx, &key, conv_make, &c, 0, &p);
  if (!status) status = bp_dnnl_execute(ctx, p, &args, "conv2d");
  bp_dnnl_unlock(ctx);
  return status;
}

/* ---- softmax, log_softmax ---- */

typedef struct sm_arg {
  dnnl_memory_desc_t src, dst;
  dnnl_alg_kind_t alg;
  int axis;
} sm_arg_t;

static dnnl_status_t sm_make(bp_dnnl_ctx_t *ctx, const void *varg, dnnl_primitive_desc_t *pd) {
  const sm_arg_t *m = varg;
  dnnl_softmax_v2_desc_t desc;
  dnnl_status_t s = dnnl_softmax_v2_forward_desc_init(&desc, dnnl_forward_inference, m->alg,
                                                      &m->src, &m->dst, m->axis);
  dnnl_primitive_attr_t attr = NULL;
  if (!s) s = attr_user_scratch(&attr);
  if (!s) s = dnnl_primitive_desc_create(pd, &desc, attr, ctx->engine, NULL);
  dnnl_primitive_attr_destroy(attr);
  return s;
}

static bool sm_supports(const bp_kernel_call_t *call) {
  const bp_tensor_desc_t *x = call->inputs[0];
  return x->ndim <= BP_DNNL_MAX_DIMS && !bp_dnnl_has_bcast(x);
}

static bp_status_t sm_kernel(const bp_kernel_call_t *call) {
  bp_dnnl_ctx_t *ctx = call->plugin_ctx;
  const bp_tensor_desc_t *x = call->inputs[0], *o = call->outputs[0];
  if (bp_dnnl_numel(o) == 0) return BP_STATUS_OK;
  sm_arg_t m = {.alg = call->kernel_data ? dnnl_softmax_log : dnnl_softmax_accurate};
  int64_t dim = attr_int(call, "dim", -1);
  if (x->ndim == 0) dim = 0;
  else if (dim < 0) dim += x->ndim;
  m.axis = (int)dim;
  if (!bp_dnnl_md(&m.src, x, false) || !bp_dnnl_md(&m.dst, o, false))
    return bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED, "onednn softmax: no memory descriptor");
  bp_dnnl_key_t key;
  bp_dnnl_key_init(&key, "softmax", (uint32_t)m.alg);
  bp_dnnl_key_u64(&key, (uint64_t)m.axis);
  bp_dnnl_key_md(&key, &m.src);
  bp_dnnl_key_md(&key, &m.dst);
  bp_dnnl_args_t args = {0};
  bp_dnnl_args_add(&args, DNNL_ARG_SRC, &m.src, bp_dnnl_ptr(x));
  bp_dnnl_args_add(&args, DNNL_ARG_DST, &m.dst, bp_dnnl_ptr(o));
  const bp_dnnl_prim_t *p = NULL;
  bp_dnnl_lock(ctx);
  bp_status_t status = bp_dnnl_cache_get(ctx, &key, sm_make, &m, 0, &p);
  if (!status) status = bp_dnnl_execute(ctx, p, &args, call->op_name);
  bp_dnnl_unlock(ctx);
  return status;
}

bp_status_t bp_dnnl_nn_register(bp_dnnl_ctx_t *ctx) {
  static const int log_tag = 1;
  const bp_dtype_t *sigs[2] = {sig_f32, sig_bf16};
  bp_status_t s = BP_STATUS_OK;
  for (int i = 0; i < 2 && !s; ++i) {
    if (!(ctx->dtype_mask & BP_DTYPE_BIT(sigs[i][0]))) continue;
    s = bp_dnnl_register(ctx->host, "conv2d", sigs[i], 4, conv_kernel, conv_supports, NULL);
    if (!s) s = bp_dnnl_register(ctx->host, "softmax", sigs[i], 2, sm_kernel, sm_supports, NULL);
    if (!s) s = bp_dnnl_register(ctx->host, "log_softmax", sigs[i], 2, sm_kernel, sm_supports, &log_tag);
  }
  return s;
}
