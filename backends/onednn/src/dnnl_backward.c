/* dnnl_backward.c - gradients through oneDNN's backward primitives:
 * conv2d_backward (convolution backward data + backward weights, which also
 * gives the bias gradient), softmax_backward and log_softmax_backward
 * (softmax v2 backward), gelu_backward (eltwise backward); the pooling
 * gradients are in dnnl_pool.c.
 *
 * Backward primitives need the forward primitive descriptor as a hint; the
 * make functions create it (forward_training) and drop it once the backward
 * descriptor exists. conv2d_backward runs in oneDNN's own layouts (format
 * tag any, three tensors reordered per call) where that was measured faster,
 * else on the user's strides. */
#include <string.h>

#include "dnnl_plugin.h"

static dnnl_status_t make_with_hint(bp_dnnl_ctx_t *ctx, const void *fwd_desc, const void *bwd_desc,
                                    dnnl_primitive_desc_t *pd) {
  dnnl_primitive_desc_t hint = NULL;
  dnnl_primitive_attr_t attr = NULL;
  dnnl_status_t s = dnnl_primitive_desc_create(&hint, fwd_desc, NULL, ctx->engine, NULL);
  if (!s) s = dnnl_primitive_attr_create(&attr);
  if (!s) s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
  if (!s) s = dnnl_primitive_desc_create(pd, bwd_desc, attr, ctx->engine, hint);
  dnnl_primitive_attr_destroy(attr);
  if (hint) dnnl_primitive_desc_destroy(hint);
  return s;
}

/* ---- conv2d_backward(grad_output, x, weight) -> grad_input, grad_weight, grad_bias ---- */

typedef struct cbw_arg {
  dnnl_memory_desc_t src, wei, bias, dst; /* x, weight, grad_bias, grad_output layouts */
  dnnl_memory_desc_t dsrc, dwei;          /* grad_input, grad_weight layouts */
  bool weights;                           /* backward weights, else backward data */
  bool any;                               /* oneDNN's own layouts (format_tag any) */
  dnnl_dims_t strides, dilates, pad_l, pad_r;
} cbw_arg_t;

static dnnl_status_t cbw_make_in(bp_dnnl_ctx_t *ctx, const cbw_arg_t *c, dnnl_primitive_desc_t *pd);

/* The same pass with format_tag any for x, the weights, grad_output and
 * the gradients (the bias stays as it is); a reference kernel is refused. */
static dnnl_status_t cbw_make(bp_dnnl_ctx_t *ctx, const void *varg, dnnl_primitive_desc_t *pd) {
  const cbw_arg_t *c = varg;
  if (!c->any) return cbw_make_in(ctx, c, pd);
  cbw_arg_t a = *c;
  dnnl_memory_desc_t *const mds[5] = {&a.src, &a.wei, &a.dst, &a.dsrc, &a.dwei};
  for (int i = 0; i < 5; ++i) {
    dnnl_status_t s = dnnl_memory_desc_init_by_tag(mds[i], mds[i]->ndims, mds[i]->dims,
                                                   mds[i]->data_type, dnnl_format_tag_any);
    if (s) return s;
  }
  dnnl_status_t s = cbw_make_in(ctx, &a, pd);
  if (!s && bp_dnnl_pd_is_ref(*pd)) {
    dnnl_primitive_desc_destroy(*pd);
    *pd = NULL;
    s = dnnl_unimplemented;
  }
  return s;
}

static dnnl_status_t cbw_make_in(bp_dnnl_ctx_t *ctx, const cbw_arg_t *c, dnnl_primitive_desc_t *pd) {
  dnnl_convolution_desc_t fwd, bwd;
  dnnl_status_t s = dnnl_dilated_convolution_forward_desc_init(
      &fwd, dnnl_forward_training, dnnl_convolution_direct, &c->src, &c->wei, &c->bias, &c->dst,
      c->strides, c->dilates, c->pad_l, c->pad_r);
  if (s) return s;
  if (c->weights)
    s = dnnl_dilated_convolution_backward_weights_desc_init(
        &bwd, dnnl_convolution_direct, &c->src, &c->dwei, &c->bias, &c->dst, c->strides,
        c->dilates, c->pad_l, c->pad_r);
  else
    s = dnnl_dilated_convolution_backward_data_desc_init(&bwd, dnnl_convolution_direct, &c->dsrc,
                                                         &c->wei, &c->dst, c->strides, c->dilates,
                                                         c->pad_l, c->pad_r);
  return s ? s : make_with_hint(ctx, &fwd, &bwd, pd);
}

/* A 4-D weight (or its gradient) as oneDNN's [G, O/G, I/G, KH, KW] when grouped. */
static bool weight_md(dnnl_memory_desc_t *md, const bp_tensor_desc_t *w, int64_t g) {
  if (g == 1) return bp_dnnl_md(md, w, false);
  const int64_t dims[5] = {g, w->shape[0] / g, w->shape[1], w->shape[2], w->shape[3]};
  const int64_t strides[5] = {w->strides[0] * (w->shape[0] / g), w->strides[0], w->strides[1],
                              w->strides[2], w->strides[3]};
  return bp_dnnl_md_raw(md, 5, dims, strides, w->dtype);
}

/* oneDNN's jit backward-weights kernels write diff_bias densely whatever
 * its strides say: a gapped grad_bias keeps the user's layouts. */
static bool dense_1d(const bp_tensor_desc_t *t) {
  return t->ndim != 1 || t->shape[0] <= 1 || t->strides[0] == 1;
}

static bool cbw_supports(const bp_kernel_call_t *call) {
  const bp_tensor_desc_t *x = call->inputs[1], *w = call->inputs[2];
  if ((x->ndim != 4 && x->ndim != 3) || w->ndim != 4) return false;
  for (uint32_t i = 0; i < 3; ++i)
    if (bp_dnnl_has_bcast(call->inputs[i]) || bp_dnnl_has_bcast(call->outputs[i])) return false;
  return bp_dnnl_numel(x) > 0 && bp_dnnl_numel(w) > 0 && bp_dnnl_numel(call->inputs[0]) > 0;
}

static bp_status_t cbw_kernel(const bp_kernel_call_t *call) {
  bp_dnnl_ctx_t *ctx = call->plugin_ctx;
  const bp_tensor_desc_t *go = call->inputs[0], *x = call->inputs[1], *w = call->inputs[2];
  const bp_tensor_desc_t *gi = call->outputs[0], *gw = call->outputs[1], *gb = call->outputs[2];
  const int64_t g = bp_dnnl_attr_int(call, "groups", 1);
  cbw_arg_t c;
  memset(&c, 0, sizeof c);
  int64_t st[2], pad[2], dil[2];
  bp_dnnl_attr_spatial(call, "stride", 1, st);
  bp_dnnl_attr_spatial(call, "padding", 0, pad);
  bp_dnnl_attr_spatial(call, "dilation", 1, dil);
  const bool same = bp_dnnl_attr_bool(call, "padding_same", false);
  const int32_t sp = x->ndim - 2;
  for (int i = 0; i < 2; ++i) {
    const int64_t k = w->shape[2 + i], in = x->shape[sp + i], out = go->shape[sp + i];
    if (same) pad[i] = (k - 1) * dil[i] / 2;
    c.strides[i] = st[i];
    c.dilates[i] = dil[i] - 1;
    c.pad_l[i] = pad[i];
    c.pad_r[i] = (out - 1) * st[i] + (k - 1) * dil[i] + 1 - in - pad[i];
  }
  if (!bp_dnnl_md_nchw(&c.src, x) || !bp_dnnl_md_nchw(&c.dst, go) || !bp_dnnl_md_nchw(&c.dsrc, gi) ||
      !weight_md(&c.wei, w, g) || !weight_md(&c.dwei, gw, g) || !bp_dnnl_md(&c.bias, gb, false))
    return bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED, "onednn conv2d_backward: no memory descriptor");
  bp_status_t status = BP_STATUS_OK;
  bp_dnnl_lock(ctx);
  for (int pass = 0; pass < 2 && !status; ++pass) {
    c.weights = pass == 1;
    bp_dnnl_key_t key;
    bp_dnnl_key_init(&key, "conv2d_backward", (uint32_t)(g * 2 + pass));
    for (int i = 0; i < 2; ++i) {
      bp_dnnl_key_u64(&key, (uint64_t)c.strides[i]);
      bp_dnnl_key_u64(&key, (uint64_t)c.dilates[i]);
      bp_dnnl_key_u64(&key, (uint64_t)c.pad_l[i]);
      bp_dnnl_key_u64(&key, (uint64_t)c.pad_r[i]);
    }
    bp_dnnl_key_md(&key, &c.src);
    bp_dnnl_key_md(&key, &c.wei);
    bp_dnnl_key_md(&key, &c.bias);
    bp_dnnl_key_md(&key, &c.dst);
    bp_dnnl_key_md(&key, &c.dsrc);
    bp_dnnl_key_md(&key, &c.dwei);
    bp_dnnl_args_t args = {0};
    bp_dnnl_args_add(&args, DNNL_ARG_DIFF_DST, &c.dst, bp_dnnl_ptr(go));
    if (c.weights) {
      bp_dnnl_args_add(&args, DNNL_ARG_SRC, &c.src, bp_dnnl_ptr(x));
      bp_dnnl_args_add(&args, DNNL_ARG_DIFF_WEIGHTS, &c.dwei, bp_dnnl_ptr(gw));
      bp_dnnl_args_add(&args, DNNL_ARG_DIFF_BIAS, &c.bias, bp_dnnl_ptr(gb));
    } else {
      bp_dnnl_args_add(&args, DNNL_ARG_WEIGHTS, &c.wei, bp_dnnl_ptr(w));
      bp_dnnl_args_add(&args, DNNL_ARG_DIFF_SRC, &c.dsrc, bp_dnnl_ptr(gi));
    }
    const bp_dnnl_prim_t *p = NULL;
    /* oneDNN's own layouts where measured faster (gemm on NCHW: 2.3x slower
     * for 64x8x14x14 -> 16 both ways, 2.6x for backward weights of
     * 64x1x28x28 -> 8; backward data from 1 channel is faster on NCHW),
     * with the tensors reordered per call; else the user's layouts */
    c.any = g == 1 && (c.weights ? dense_1d(gb) : c.src.dims[1] >= 8);
    if (c.any) {
      bp_dnnl_key_t kany = key;
      bp_dnnl_key_u64(&kany, 1);
      const uint32_t fl = BP_DNNL_PRIM_MDS | (c.weights ? BP_DNNL_PRIM_MDS_BWD_WEIGHTS
                                                        : BP_DNNL_PRIM_MDS_BWD_DATA);
      status = bp_dnnl_cache_get(ctx, &kany, cbw_make, &c, fl, &p);
      if (!status) {
        bp_dnnl_any_arg_t io[4];
        int n = 0;
        io[n++] = (bp_dnnl_any_arg_t){DNNL_ARG_DIFF_DST, &c.dst, bp_dnnl_ptr(go), 2, false};
        if (c.weights) {
          io[n++] = (bp_dnnl_any_arg_t){DNNL_ARG_SRC, &c.src, bp_dnnl_ptr(x), 0, false};
          io[n++] = (bp_dnnl_any_arg_t){DNNL_ARG_DIFF_WEIGHTS, &c.dwei, bp_dnnl_ptr(gw), 1, true};
          io[n++] = (bp_dnnl_any_arg_t){DNNL_ARG_DIFF_BIAS, &c.bias, bp_dnnl_ptr(gb), -1, true};
        } else {
          io[n++] = (bp_dnnl_any_arg_t){DNNL_ARG_WEIGHTS, &c.wei, bp_dnnl_ptr(w), 1, false};
          io[n++] = (bp_dnnl_any_arg_t){DNNL_ARG_DIFF_SRC, &c.dsrc, bp_dnnl_ptr(gi), 0, true};
        }
        status = bp_dnnl_execute_any(ctx, p, io, n, "conv2d_backward");
        continue;
      }
      if (status != BP_STATUS_UNSUPPORTED) break;
      c.any = false; /* no fast kernel in its own layouts: the user's */
      status = BP_STATUS_OK;
    }
    status = bp_dnnl_cache_get(ctx, &key, cbw_make, &c, 0, &p);
    if (!status) status = bp_dnnl_execute(ctx, p, &args, "conv2d_backward");
  }
  bp_dnnl_unlock(ctx);
  return status;
}

/* ---- softmax_backward / log_softmax_backward(grad_output, output) -> grad_input ---- */

typedef struct smb_arg {
  dnnl_memory_desc_t md;
  dnnl_alg_kind_t alg;
  int axis;
} smb_arg_t;

static dnnl_status_t smb_make(bp_dnnl_ctx_t *ctx, const void *varg, dnnl_primitive_desc_t *pd) {
  const smb_arg_t *m = varg;
  dnnl_softmax_v2_desc_t fwd, bwd;
  dnnl_status_t s = dnnl_softmax_v2_forward_desc_init(&fwd, dnnl_forward_training, m->alg, &m->md,
                                                      &m->md, m->axis);
  if (!s) s = dnnl_softmax_v2_backward_desc_init(&bwd, m->alg, &m->md, &m->md, &m->md, m->axis);
  return s ? s : make_with_hint(ctx, &fwd, &bwd, pd);
}

/* The three tensors in one layout (one descriptor for all of them). */
static bool smb_supports(const bp_kernel_call_t *call) {
  const bp_tensor_desc_t *go = call->inputs[0];
  if (go->ndim < 1 || go->ndim > BP_DNNL_MAX_DIMS || bp_dnnl_numel(go) == 0) return false;
  dnnl_memory_desc_t a, b, c;
  return bp_dnnl_md(&a, go, false) && bp_dnnl_md(&b, call->inputs[1], false) &&
         bp_dnnl_md(&c, call->outputs[0], false) && bp_dnnl_same_layout(&a, &b) &&
         bp_dnnl_same_layout(&a, &c);
}

static bp_status_t smb_kernel(const bp_kernel_call_t *call) {
  bp_dnnl_ctx_t *ctx = call->plugin_ctx;
  const bp_tensor_desc_t *go = call->inputs[0], *out = call->inputs[1], *gi = call->outputs[0];
  smb_arg_t m = {.alg = call->kernel_data ? dnnl_softmax_log : dnnl_softmax_accurate};
  int64_t dim = bp_dnnl_attr_int(call, "dim", -1);
  if (dim < 0) dim += go->ndim;
  m.axis = (int)dim;
  if (!bp_dnnl_md(&m.md, gi, false))
    return bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED, "onednn %s: no memory descriptor", call->op_name);
  bp_dnnl_key_t key;
  bp_dnnl_key_init(&key, "softmax_backward", (uint32_t)m.alg);
  bp_dnnl_key_u64(&key, (uint64_t)m.axis);
  bp_dnnl_key_md(&key, &m.md);
  bp_dnnl_args_t args = {0};
  bp_dnnl_args_add(&args, DNNL_ARG_DST, &m.md, bp_dnnl_ptr(out));
  bp_dnnl_args_add(&args, DNNL_ARG_DIFF_DST, &m.md, bp_dnnl_ptr(go));
  bp_dnnl_args_add(&args, DNNL_ARG_DIFF_SRC, &m.md, bp_dnnl_ptr(gi));
  const bp_dnnl_prim_t *p = NULL;
  bp_dnnl_lock(ctx);
  bp_status_t status = bp_dnnl_cache_get(ctx, &key, smb_make, &m, 0, &p);
  if (!status) status = bp_dnnl_execute(ctx, p, &args, call->op_name);
  bp_dnnl_unlock(ctx);
  return status;
}

/* ---- gelu_backward(grad_output, x) -> grad_input ---- */

typedef struct gbw_arg {
  dnnl_memory_desc_t md;
  dnnl_alg_kind_t alg;
} gbw_arg_t;

static dnnl_status_t gbw_make(bp_dnnl_ctx_t *ctx, const void *varg, dnnl_primitive_desc_t *pd) {
  const gbw_arg_t *g = varg;
  dnnl_eltwise_desc_t fwd, bwd;
  dnnl_status_t s = dnnl_eltwise_forward_desc_init(&fwd, dnnl_forward_training, g->alg, &g->md, 0.0f, 0.0f);
  if (!s) s = dnnl_eltwise_backward_desc_init(&bwd, g->alg, &g->md, &g->md, 0.0f, 0.0f);
  return s ? s : make_with_hint(ctx, &fwd, &bwd, pd);
}

static bool gbw_supports(const bp_kernel_call_t *call) {
  const int64_t ap = bp_dnnl_attr_int(call, "approximate", 0);
  return (ap == 0 || ap == 1) && smb_supports(call);
}

static bp_status_t gbw_kernel(const bp_kernel_call_t *call) {
  bp_dnnl_ctx_t *ctx = call->plugin_ctx;
  const bp_tensor_desc_t *go = call->inputs[0], *x = call->inputs[1], *gi = call->outputs[0];
  gbw_arg_t g = {.alg = bp_dnnl_attr_int(call, "approximate", 0) ? dnnl_eltwise_gelu_tanh
                                                                  : dnnl_eltwise_gelu_erf};
  if (!bp_dnnl_md(&g.md, gi, false))
    return bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED, "onednn gelu_backward: no memory descriptor");
  bp_dnnl_key_t key;
  bp_dnnl_key_init(&key, "gelu_backward", (uint32_t)g.alg);
  bp_dnnl_key_md(&key, &g.md);
  bp_dnnl_args_t args = {0};
  bp_dnnl_args_add(&args, DNNL_ARG_SRC, &g.md, bp_dnnl_ptr(x));
  bp_dnnl_args_add(&args, DNNL_ARG_DIFF_DST, &g.md, bp_dnnl_ptr(go));
  bp_dnnl_args_add(&args, DNNL_ARG_DIFF_SRC, &g.md, bp_dnnl_ptr(gi));
  const bp_dnnl_prim_t *p = NULL;
  bp_dnnl_lock(ctx);
  bp_status_t status = bp_dnnl_cache_get(ctx, &key, gbw_make, &g, 0, &p);
  if (!status) status = bp_dnnl_execute(ctx, p, &args, "gelu_backward");
  bp_dnnl_unlock(ctx);
  return status;
}

bp_status_t bp_dnnl_backward_register(bp_dnnl_ctx_t *ctx) {
  static const int log_tag = 1;
  static const bp_dtype_t f32[6] = {BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32,
                                    BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32};
  static const bp_dtype_t bf16[6] = {BP_DTYPE_BF16, BP_DTYPE_BF16, BP_DTYPE_BF16,
                                     BP_DTYPE_BF16, BP_DTYPE_BF16, BP_DTYPE_BF16};
  bp_status_t s = BP_STATUS_OK;
  for (int i = 0; i < 2 && !s; ++i) {
    const bp_dtype_t *sig = i ? bf16 : f32;
    if (!(ctx->dtype_mask & BP_DTYPE_BIT(sig[0]))) continue;
    s = bp_dnnl_register(ctx->host, "conv2d_backward", sig, 6, cbw_kernel, cbw_supports, NULL);
    if (!s) s = bp_dnnl_register(ctx->host, "softmax_backward", sig, 3, smb_kernel, smb_supports, NULL);
    if (!s) s = bp_dnnl_register(ctx->host, "log_softmax_backward", sig, 3, smb_kernel, smb_supports, &log_tag);
    if (!s) s = bp_dnnl_register(ctx->host, "gelu_backward", sig, 3, gbw_kernel, gbw_supports, NULL);
  }
  return s;
}
