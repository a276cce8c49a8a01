/* dnnl_conv.c - conv2d (convolution primitive) and conv_transpose2d
 * (deconvolution primitive).
 *
 * Kernel form as_is: real tensors, any strides; x [N, C, H, W] or unbatched
 * [C, H, W] (N = 1). The primitive is made with format_tag any for src,
 * weights and dst, so oneDNN picks its fast blocked layouts; each call
 * reorders x and the weights into them and the result out of them
 * (bp_dnnl_execute_any; the reorders are cached primitives too). Grouped
 * weights are oneDNN's 5-D [G, O/G, I/G, KH, KW] view of the same memory.
 * conv_transpose2d's output_padding becomes a smaller (even negative) right
 * padding, which the deconvolution takes. */
#include <string.h>

#include "dnnl_plugin.h"

typedef struct conv_arg {
  dnnl_memory_desc_t src, wei, bias, dst; /* the user's layouts */
  bool has_bias, transposed;
  dnnl_format_tag_t act; /* src and dst in the primitive: any, or a channel-blocked tag */
  dnnl_dims_t strides, dilates, pad_l, pad_r;
} conv_arg_t;

static dnnl_status_t any_like(dnnl_memory_desc_t *out, const dnnl_memory_desc_t *md) {
  return dnnl_memory_desc_init_by_tag(out, md->ndims, md->dims, md->data_type, dnnl_format_tag_any);
}

static dnnl_status_t conv_make(bp_dnnl_ctx_t *ctx, const void *varg, dnnl_primitive_desc_t *pd) {
  const conv_arg_t *c = varg;
  dnnl_memory_desc_t src, wei, dst;
  dnnl_status_t s = any_like(&wei, &c->wei);
  if (c->act != dnnl_format_tag_any) {
    if (!s) s = dnnl_memory_desc_init_by_tag(&src, 4, c->src.dims, c->src.data_type, c->act);
    if (!s) s = dnnl_memory_desc_init_by_tag(&dst, 4, c->dst.dims, c->dst.data_type, c->act);
  } else {
    if (!s) s = any_like(&src, &c->src);
    if (!s) s = any_like(&dst, &c->dst);
  }
  if (s) return s;
  dnnl_convolution_desc_t cdesc;
  dnnl_deconvolution_desc_t ddesc;
  const void *desc;
  if (c->transposed) {
    s = dnnl_dilated_deconvolution_forward_desc_init(
        &ddesc, dnnl_forward_inference, dnnl_deconvolution_direct, &src, &wei,
        c->has_bias ? &c->bias : NULL, &dst, c->strides, c->dilates, c->pad_l, c->pad_r);
    desc = &ddesc;
  } else {
    s = dnnl_dilated_convolution_forward_desc_init(
        &cdesc, dnnl_forward_inference, dnnl_convolution_direct, &src, &wei,
        c->has_bias ? &c->bias : NULL, &dst, c->strides, c->dilates, c->pad_l, c->pad_r);
    desc = &cdesc;
  }
  dnnl_primitive_attr_t attr = NULL;
  if (!s) s = dnnl_primitive_attr_create(&attr);
  if (!s) s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
  if (!s) s = dnnl_primitive_desc_create(pd, desc, attr, ctx->engine, NULL);
  dnnl_primitive_attr_destroy(attr);
  if (!s && c->act != dnnl_format_tag_any && bp_dnnl_pd_is_ref(*pd)) {
    dnnl_primitive_desc_destroy(*pd); /* blocks only a reference kernel takes */
    *pd = NULL;
    s = dnnl_unimplemented;
  }
  return s;
}


/* x or out as [N, C, H, W]: an unbatched [C, H, W] gets N = 1. */
bool bp_dnnl_md_nchw(dnnl_memory_desc_t *md, const bp_tensor_desc_t *t) {
  if (t->ndim == 4) return bp_dnnl_md(md, t, false);
  if (t->ndim != 3 || bp_dnnl_has_bcast(t)) return false;
  const int64_t dims[4] = {1, t->shape[0], t->shape[1], t->shape[2]};
  const int64_t strides[4] = {t->shape[0] * t->strides[0], t->strides[0], t->strides[1], t->strides[2]};
  return bp_dnnl_md_raw(md, 4, dims, strides, t->dtype);
}

/* src and dst of a convolution over NCHW tensors: with format_tag any
 * oneDNN 2.6 picks channels-last (nhwc) for its brgemm kernels, and the
 * NCHW <-> nhwc reorders around each call cost ~1.5 ms of a 9 ms
 * 8x64x56x56 3x3 layer; channel blocks of 16 (8 on AVX2) run the jit kernel
 * at the same speed and reorder in half the time. Used where both channel
 * counts are whole blocks (no padding), no groups, and x and out are NCHW
 * (a channels-last user layout keeps any). */
static dnnl_format_tag_t act_tag(const bp_dnnl_ctx_t *ctx, const conv_arg_t *c, int64_t g) {
  if (g != 1 || c->src.data_type != dnnl_f32) return dnnl_format_tag_any;
  const int64_t blk = ctx->isa_avx512 ? 16 : ctx->isa_avx2 ? 8 : 0;
  if (blk == 0 || c->src.dims[1] % blk || c->dst.dims[1] % blk) return dnnl_format_tag_any;
  const dnnl_dims_t *xs = &c->src.format_desc.blocking.strides;
  const dnnl_dims_t *os = &c->dst.format_desc.blocking.strides;
  if ((*xs)[3] != 1 || (*os)[3] != 1) return dnnl_format_tag_any; /* not NCHW-like */
  return blk == 16 ? dnnl_nChw16c : dnnl_nChw8c;
}

static bool conv_supports(const bp_kernel_call_t *call) {
  const bp_tensor_desc_t *x = call->inputs[0], *w = call->inputs[1], *o = call->outputs[0];
  if ((x->ndim != 4 && x->ndim != 3) || w->ndim != 4 || o->ndim != x->ndim) return false;
  if (bp_dnnl_has_bcast(x) || bp_dnnl_has_bcast(w) || bp_dnnl_has_bcast(o)) return false;
  if (bp_dnnl_attr_bool(call, "has_bias", true) && bp_dnnl_has_bcast(call->inputs[2])) return false;
  return bp_dnnl_attr_int(call, "groups", 1) >= 1;
}

static bp_status_t conv_common(const bp_kernel_call_t *call, bool transposed) {
  bp_dnnl_ctx_t *ctx = call->plugin_ctx;
  const bp_tensor_desc_t *x = call->inputs[0], *w = call->inputs[1], *b = call->inputs[2];
  const bp_tensor_desc_t *o = call->outputs[0];
  if (bp_dnnl_numel(o) == 0) return BP_STATUS_OK;
  const int64_t g = bp_dnnl_attr_int(call, "groups", 1);
  conv_arg_t c = {.has_bias = bp_dnnl_attr_bool(call, "has_bias", true), .transposed = transposed};
  int64_t st[2], pad[2], dil[2];
  bp_dnnl_attr_spatial(call, "stride", 1, st);
  bp_dnnl_attr_spatial(call, "padding", 0, pad);
  bp_dnnl_attr_spatial(call, "dilation", 1, dil);
  const bool same = !transposed && bp_dnnl_attr_bool(call, "padding_same", false);
  const int32_t sp = x->ndim - 2;
  for (int i = 0; i < 2; ++i) {
    const int64_t k = w->shape[2 + i], in = x->shape[sp + i], out = o->shape[sp + i];
    if (same) pad[i] = (k - 1) * dil[i] / 2;
    c.strides[i] = st[i];
    c.dilates[i] = dil[i] - 1;
    c.pad_l[i] = pad[i];
    c.pad_r[i] = transposed ? (in - 1) * st[i] + (k - 1) * dil[i] + 1 - out - pad[i]
                            : (out - 1) * st[i] + (k - 1) * dil[i] + 1 - in - pad[i];
  }
  bool ok = bp_dnnl_md_nchw(&c.src, x) && bp_dnnl_md_nchw(&c.dst, o);
  if (bp_dnnl_numel(x) == 0 || bp_dnnl_numel(w) == 0) ok = false; /* oneDNN rejects zero dims */
  /* oneDNN's weights: [O, I, KH, KW] ([G, O/G, I/G, KH, KW] grouped).
   * conv2d's are [O, I/G, KH, KW]; conv_transpose2d's [I, O/G, KH, KW]. */
  const int64_t *ws = w->strides;
  if (!transposed && g == 1) {
    ok = ok && bp_dnnl_md(&c.wei, w, false);
  } else if (!transposed) {
    const int64_t dims[5] = {g, w->shape[0] / g, w->shape[1], w->shape[2], w->shape[3]};
    const int64_t strides[5] = {ws[0] * (w->shape[0] / g), ws[0], ws[1], ws[2], ws[3]};
    ok = ok && bp_dnnl_md_raw(&c.wei, 5, dims, strides, w->dtype);
  } else if (g == 1) {
    const int64_t dims[4] = {w->shape[1], w->shape[0], w->shape[2], w->shape[3]};
    const int64_t strides[4] = {ws[1], ws[0], ws[2], ws[3]};
    ok = ok && bp_dnnl_md_raw(&c.wei, 4, dims, strides, w->dtype);
  } else {
    const int64_t dims[5] = {g, w->shape[1], w->shape[0] / g, w->shape[2], w->shape[3]};
    const int64_t strides[5] = {ws[0] * (w->shape[0] / g), ws[1], ws[0], ws[2], ws[3]};
    ok = ok && bp_dnnl_md_raw(&c.wei, 5, dims, strides, w->dtype);
  }
  if (c.has_bias) ok = ok && bp_dnnl_md(&c.bias, b, false);
  c.act = act_tag(ctx, &c, g);
  if (!ok)
    return bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED, "onednn %s: no memory descriptor", call->op_name);
  bp_dnnl_key_t key;
  bp_dnnl_key_init(&key, transposed ? "conv_transpose2d" : "conv2d", (uint32_t)g);
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
  bp_dnnl_key_u64(&key, (uint64_t)c.act);
  bp_dnnl_any_arg_t io[4];
  int n = 0;
  io[n++] = (bp_dnnl_any_arg_t){DNNL_ARG_SRC, &c.src, bp_dnnl_ptr(x), 0, false};
  io[n++] = (bp_dnnl_any_arg_t){DNNL_ARG_WEIGHTS, &c.wei, bp_dnnl_ptr(w), 1, false};
  if (c.has_bias) io[n++] = (bp_dnnl_any_arg_t){DNNL_ARG_BIAS, &c.bias, bp_dnnl_ptr(b), -1, false};
  io[n++] = (bp_dnnl_any_arg_t){DNNL_ARG_DST, &c.dst, bp_dnnl_ptr(o), 2, true};
  const bp_dnnl_prim_t *p = NULL;
  bp_dnnl_lock(ctx);
  bp_status_t status = bp_dnnl_cache_get(ctx, &key, conv_make, &c, BP_DNNL_PRIM_MDS, &p);
  if (status == BP_STATUS_UNSUPPORTED && c.act != dnnl_format_tag_any) {
    c.act = dnnl_format_tag_any; /* no blocked kernel for this case: oneDNN's choice */
    key.words[key.len - 1] = (uint64_t)c.act;
    status = bp_dnnl_cache_get(ctx, &key, conv_make, &c, BP_DNNL_PRIM_MDS, &p);
  }
  if (!status) status = bp_dnnl_execute_any(ctx, p, io, n, call->op_name);
  bp_dnnl_unlock(ctx);
  return status;
}

static bp_status_t conv_kernel(const bp_kernel_call_t *call) { return conv_common(call, false); }
static bp_status_t deconv_kernel(const bp_kernel_call_t *call) { return conv_common(call, true); }

bp_status_t bp_dnnl_conv_register(bp_dnnl_ctx_t *ctx) {
  static const bp_dtype_t sig_f32[4] = {BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32};
  static const bp_dtype_t sig_bf16[4] = {BP_DTYPE_BF16, BP_DTYPE_BF16, BP_DTYPE_BF16, BP_DTYPE_BF16};
  const bp_dtype_t *sigs[2] = {sig_f32, sig_bf16};
  bp_status_t s = BP_STATUS_OK;
  for (int i = 0; i < 2 && !s; ++i) {
    if (!(ctx->dtype_mask & BP_DTYPE_BIT(sigs[i][0]))) continue;
    s = bp_dnnl_register(ctx->host, "conv2d", sigs[i], 4, conv_kernel, conv_supports, NULL);
    if (!s) s = bp_dnnl_register(ctx->host, "conv_transpose2d", sigs[i], 4, deconv_kernel, conv_supports, NULL);
  }
  return s;
}
