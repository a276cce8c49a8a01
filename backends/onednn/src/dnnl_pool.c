/* dnnl_pool.c - max_pool2d (with indices) and avg_pool2d through oneDNN's
 * pooling v2 primitive.
 *
 * Kernel form as_is: x [N, C, H, W] or unbatched [C, H, W], any strides;
 * the output size (ceil_mode included) is the host's, so the right padding
 * is whatever makes oneDNN's size match it.
 *
 * max_pool2d runs forward_training for oneDNN's workspace: the position of
 * the maximum inside its window (kh * KW + kw), reordered to dense s32 and
 * turned into Backplane's index (the flat index ih * W + iw within the H*W
 * plane, as the reference and torch give). oneDNN starts each window at the
 * lowest finite float and its vector max does not propagate NaN, so an
 * input holding NaN or -inf is returned UNSUPPORTED (the host falls back to
 * ref:0, which follows torch); the scan is one read of x.
 *
 * avg_pool2d: count_include_pad maps to avg_include_padding, except where
 * ceil_mode makes a window run past the right padding (torch then divides
 * by the part inside the padding; oneDNN by the whole window): declined.
 * divisor_override is declined. */
#include <stdlib.h>
#include <string.h>

#include "dnnl_plugin.h"

typedef struct pool_arg {
  dnnl_memory_desc_t src, dst;
  dnnl_alg_kind_t alg;
  dnnl_prop_kind_t prop;
  dnnl_dims_t strides, kernel, dilation, pad_l, pad_r;
} pool_arg_t;

static dnnl_status_t pool_make(bp_dnnl_ctx_t *ctx, const void *varg, dnnl_primitive_desc_t *pd) {
  const pool_arg_t *a = varg;
  dnnl_pooling_v2_desc_t desc;
  dnnl_status_t s = dnnl_pooling_v2_forward_desc_init(&desc, a->prop, a->alg, &a->src, &a->dst,
                                                      a->strides, a->kernel, a->dilation,
                                                      a->pad_l, a->pad_r);
  dnnl_primitive_attr_t attr = NULL;
  if (!s) s = dnnl_primitive_attr_create(&attr);
  if (!s) s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
  if (!s) s = dnnl_primitive_desc_create(pd, &desc, attr, ctx->engine, NULL);
  dnnl_primitive_attr_destroy(attr);
  return s;
}

/* The geometry from the attributes and the shapes; false if out of reach. */
static bool pool_geom_xo(const bp_kernel_call_t *call, const bp_tensor_desc_t *x,
                         const bp_tensor_desc_t *o, bool max, pool_arg_t *a) {
  int64_t k[2], st[2], pad[2], dil[2] = {1, 1};
  bp_dnnl_attr_spatial(call, "kernel_size", 1, k);
  bp_dnnl_attr_spatial(call, "stride", 0, st);
  bp_dnnl_attr_spatial(call, "padding", 0, pad);
  if (max) bp_dnnl_attr_spatial(call, "dilation", 1, dil);
  const int32_t sp = x->ndim - 2;
  for (int i = 0; i < 2; ++i) {
    if (st[i] <= 0) st[i] = k[i];
    a->kernel[i] = k[i];
    a->strides[i] = st[i];
    a->dilation[i] = dil[i] - 1;
    a->pad_l[i] = pad[i];
    a->pad_r[i] = (o->shape[sp + i] - 1) * st[i] + (k[i] - 1) * dil[i] + 1 - x->shape[sp + i] - pad[i];
    if (a->pad_r[i] < 0) a->pad_r[i] = 0; /* floor mode drops the tail */
  }
  return bp_dnnl_md_nchw(&a->src, x) && bp_dnnl_md_nchw(&a->dst, o);
}

static bool pool_geom(const bp_kernel_call_t *call, bool max, pool_arg_t *a) {
  return pool_geom_xo(call, call->inputs[0], call->outputs[0], max, a);
}

static bool pool_supports_common(const bp_kernel_call_t *call) {
  const bp_tensor_desc_t *x = call->inputs[0];
  for (uint32_t i = 0; i < call->num_outputs; ++i)
    if (call->outputs[i]->ndim != x->ndim || bp_dnnl_has_bcast(call->outputs[i])) return false;
  return (x->ndim == 4 || x->ndim == 3) && !bp_dnnl_has_bcast(x) && bp_dnnl_numel(x) > 0;
}

static bool max_supports(const bp_kernel_call_t *call) { return pool_supports_common(call); }

static bool avg_attrs_ok(const bp_kernel_call_t *call, const bp_tensor_desc_t *x,
                         const bp_tensor_desc_t *o) {
  if (bp_dnnl_attr_int(call, "divisor_override", 0) != 0) return false;
  if (!bp_dnnl_attr_bool(call, "count_include_pad", true)) return true;
  pool_arg_t a;
  if (!pool_geom_xo(call, x, o, false, &a)) return false;
  return a.pad_r[0] <= a.pad_l[0] && a.pad_r[1] <= a.pad_l[1];
}

static bool avg_supports(const bp_kernel_call_t *call) {
  return pool_supports_common(call) && avg_attrs_ok(call, call->inputs[0], call->outputs[0]);
}

static bp_status_t pool_run(bp_dnnl_ctx_t *ctx, const pool_arg_t *a, const bp_tensor_desc_t *x,
                            const bp_tensor_desc_t *o, void *ws, const bp_dnnl_prim_t **out_p,
                            const char *what) {
  bp_dnnl_key_t key;
  bp_dnnl_key_init(&key, "pool", (uint32_t)a->alg);
  bp_dnnl_key_u64(&key, (uint64_t)a->prop);
  for (int i = 0; i < 2; ++i) {
    bp_dnnl_key_u64(&key, (uint64_t)a->kernel[i]);
    bp_dnnl_key_u64(&key, (uint64_t)a->strides[i]);
    bp_dnnl_key_u64(&key, (uint64_t)a->dilation[i]);
    bp_dnnl_key_u64(&key, (uint64_t)a->pad_l[i]);
    bp_dnnl_key_u64(&key, (uint64_t)a->pad_r[i]);
  }
  bp_dnnl_key_md(&key, &a->src);
  bp_dnnl_key_md(&key, &a->dst);
  const bp_dnnl_prim_t *p = NULL;
  bp_status_t status = bp_dnnl_cache_get(ctx, &key, pool_make, a, 0, &p);
  if (status) return status;
  bp_dnnl_args_t args = {0};
  bp_dnnl_args_add(&args, DNNL_ARG_SRC, &a->src, bp_dnnl_ptr(x));
  bp_dnnl_args_add(&args, DNNL_ARG_DST, &a->dst, bp_dnnl_ptr(o));
  const dnnl_memory_desc_t *wmd = NULL;
  if (ws) {
    const_dnnl_primitive_desc_t pd;
    dnnl_status_t s = dnnl_primitive_get_primitive_desc(p->prim, &pd);
    if (s) return bp_dnnl_status(ctx, s, "dnnl_primitive_get_primitive_desc", what);
    wmd = dnnl_primitive_desc_query_md(pd, dnnl_query_workspace_md, 0);
    if (wmd == NULL) return bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED, "onednn %s: no workspace", what);
    bp_dnnl_args_add(&args, DNNL_ARG_WORKSPACE, wmd, ws);
  }
  *out_p = p;
  return bp_dnnl_execute(ctx, p, &args, what);
}

static bp_status_t avg_kernel(const bp_kernel_call_t *call) {
  bp_dnnl_ctx_t *ctx = call->plugin_ctx;
  const bp_tensor_desc_t *x = call->inputs[0], *o = call->outputs[0];
  if (bp_dnnl_numel(o) == 0) return BP_STATUS_OK;
  pool_arg_t a = {.prop = dnnl_forward_inference};
  if (!pool_geom(call, false, &a))
    return bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED, "onednn avg_pool2d: no memory descriptor");
  a.alg = bp_dnnl_attr_bool(call, "count_include_pad", true) ? dnnl_pooling_avg_include_padding
                                                            : dnnl_pooling_avg_exclude_padding;
  const bp_dnnl_prim_t *p;
  bp_dnnl_lock(ctx);
  bp_status_t status = pool_run(ctx, &a, x, o, NULL, &p, "avg_pool2d");
  bp_dnnl_unlock(ctx);
  return status;
}

static bp_status_t max_kernel(const bp_kernel_call_t *call) {
  bp_dnnl_ctx_t *ctx = call->plugin_ctx;
  const bp_tensor_desc_t *x = call->inputs[0], *o = call->outputs[0], *ix = call->outputs[1];
  if (bp_dnnl_numel(o) == 0) return BP_STATUS_OK;
  if (bp_dnnl_has_nan(x, true))
    return bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED,
                        "onednn max_pool2d: x holds NaN or -inf, which oneDNN's max does not order "
                        "as torch does");
  pool_arg_t a = {.prop = dnnl_forward_training, .alg = dnnl_pooling_max};
  if (!pool_geom(call, true, &a))
    return bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED, "onednn max_pool2d: no memory descriptor");
  const int32_t sp = x->ndim - 2;
  const int64_t nn = a.dst.dims[0], cc = a.dst.dims[1], oh = a.dst.dims[2], ow = a.dst.dims[3];
  const int64_t w_in = x->shape[sp + 1], kw = a.kernel[1];
  /* work: the workspace in oneDNN's format, then as dense s32 */
  dnnl_memory_desc_t dense;
  const dnnl_dims_t ddims = {nn, cc, oh, ow};
  bp_status_t status = BP_STATUS_OK;
  bp_dnnl_lock(ctx);
  const bp_dnnl_prim_t *p = NULL;
  size_t dense_size = (size_t)(nn * cc * oh * ow) * 4;
  size_t ws_off = (dense_size + 4095) & ~(size_t)4095;
  /* the workspace is never larger than dst in s32 */
  if ((status = bp_dnnl_work_reserve(ctx, 2 * ws_off))) goto done;
  if (dnnl_memory_desc_init_by_tag(&dense, 4, ddims, dnnl_s32, dnnl_abcd)) {
    status = bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED, "onednn max_pool2d: no index descriptor");
    goto done;
  }
  void *ws = (char *)ctx->work + ws_off;
  int32_t *pos = ctx->work;
  if ((status = pool_run(ctx, &a, x, o, ws, &p, "max_pool2d"))) goto done;
  {
    const_dnnl_primitive_desc_t pd;
    dnnl_primitive_get_primitive_desc(p->prim, &pd);
    const dnnl_memory_desc_t *wmd = dnnl_primitive_desc_query_md(pd, dnnl_query_workspace_md, 0);
    if (dnnl_memory_desc_get_size(wmd) > ws_off) {
      status = bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED, "onednn max_pool2d: workspace larger than expected");
      goto done;
    }
    if ((status = bp_dnnl_reorder_locked(ctx, wmd, ws, &dense, pos))) goto done;
  }
  {
    const int64_t *is = ix->strides;
    const int32_t b = ix->ndim - 3; /* 1 batched, 0 unbatched */
    const int64_t isn = b ? is[0] : 0, isc = is[b], ish = is[b + 1], isw = is[b + 2];
    int64_t *ib = bp_dnnl_ptr(ix);
    /* window position k -> its offset in the H*W plane from the window's
     * corner (no division per element) */
    const int64_t kk = a.kernel[0] * kw;
    int64_t stack_tab[64], *tab = kk <= 64 ? stack_tab : malloc((size_t)kk * sizeof *tab);
    if (tab == NULL) {
      status = bp_dnnl_fail(ctx, BP_STATUS_OUT_OF_MEMORY, "onednn max_pool2d: no memory");
      goto done;
    }
    for (int64_t k = 0; k < kk; ++k)
      tab[k] = (k / kw) * (a.dilation[0] + 1) * w_in + (k % kw) * (a.dilation[1] + 1);
    const int64_t planes = nn * cc;
#pragma omp parallel for schedule(static) if (planes * oh * ow > (1 << 16))
    for (int64_t pc = 0; pc < planes; ++pc) {
      const int64_t n = pc / cc, c = pc % cc;
      const int32_t *pp = pos + pc * oh * ow;
      int64_t *ob = ib + n * isn + c * isc;
      for (int64_t h = 0; h < oh; ++h) {
        const int64_t row = (h * a.strides[0] - a.pad_l[0]) * w_in - a.pad_l[1];
        for (int64_t w = 0; w < ow; ++w)
          ob[h * ish + w * isw] = row + w * a.strides[1] + tab[pp[h * ow + w]];
      }
    }
    if (tab != stack_tab) free(tab);
  }
done:
  bp_dnnl_unlock(ctx);
  return status;
}

/* ---- max_pool2d_backward(grad_output, x, indices), avg_pool2d_backward(grad_output, x) ----
 * Pooling backward; max_pool2d_backward turns Backplane's flat indices back
 * into oneDNN's workspace (the position inside each window), dense s32
 * first, then reordered into the workspace's own type and layout. */

typedef struct pbw_arg {
  pool_arg_t f;                 /* the forward's geometry and layouts (src = x, dst = grad_output) */
  dnnl_memory_desc_t diff_src;  /* grad_input */
} pbw_arg_t;

static dnnl_status_t pbw_make(bp_dnnl_ctx_t *ctx, const void *varg, dnnl_primitive_desc_t *pd) {
  const pbw_arg_t *b = varg;
  const pool_arg_t *a = &b->f;
  dnnl_pooling_v2_desc_t fwd, bwd;
  dnnl_primitive_desc_t hint = NULL;
  dnnl_primitive_attr_t attr = NULL;
  dnnl_status_t s = dnnl_pooling_v2_forward_desc_init(&fwd, dnnl_forward_training, a->alg, &a->src,
                                                      &a->dst, a->strides, a->kernel, a->dilation,
                                                      a->pad_l, a->pad_r);
  if (!s) s = dnnl_pooling_v2_backward_desc_init(&bwd, a->alg, &b->diff_src, &a->dst, a->strides,
                                                 a->kernel, a->dilation, a->pad_l, a->pad_r);
  if (!s) s = dnnl_primitive_desc_create(&hint, &fwd, NULL, ctx->engine, NULL);
  if (!s) s = dnnl_primitive_attr_create(&attr);
  if (!s) s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
  if (!s) s = dnnl_primitive_desc_create(pd, &bwd, attr, ctx->engine, hint);
  dnnl_primitive_attr_destroy(attr);
  if (hint) dnnl_primitive_desc_destroy(hint);
  return s;
}

static bool pbw_supports(const bp_kernel_call_t *call) {
  const bp_tensor_desc_t *go = call->inputs[0], *x = call->inputs[1], *gi = call->outputs[0];
  if ((x->ndim != 4 && x->ndim != 3) || go->ndim != x->ndim || gi->ndim != x->ndim) return false;
  for (uint32_t i = 0; i < call->num_inputs; ++i)
    if (bp_dnnl_has_bcast(call->inputs[i])) return false;
  if (bp_dnnl_has_bcast(gi) || bp_dnnl_numel(x) == 0) return false;
  return call->num_inputs == 3 || avg_attrs_ok(call, x, go);
}

static bp_status_t pbw_kernel(const bp_kernel_call_t *call) {
  bp_dnnl_ctx_t *ctx = call->plugin_ctx;
  const bool max = call->num_inputs == 3;
  const bp_tensor_desc_t *go = call->inputs[0], *x = call->inputs[1], *gi = call->outputs[0];
  pbw_arg_t b;
  memset(&b, 0, sizeof b);
  b.f.prop = dnnl_forward_training;
  b.f.alg = max ? dnnl_pooling_max
                : bp_dnnl_attr_bool(call, "count_include_pad", true) ? dnnl_pooling_avg_include_padding
                                                                      : dnnl_pooling_avg_exclude_padding;
  if (!pool_geom_xo(call, x, go, max, &b.f) || !bp_dnnl_md_nchw(&b.diff_src, gi))
    return bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED, "onednn %s: no memory descriptor", call->op_name);
  if (bp_dnnl_numel(go) == 0) {
    bp_dnnl_zero(gi);
    return BP_STATUS_OK;
  }
  bp_dnnl_key_t key;
  bp_dnnl_key_init(&key, "pool_backward", (uint32_t)b.f.alg);
  for (int i = 0; i < 2; ++i) {
    bp_dnnl_key_u64(&key, (uint64_t)b.f.kernel[i]);
    bp_dnnl_key_u64(&key, (uint64_t)b.f.strides[i]);
    bp_dnnl_key_u64(&key, (uint64_t)b.f.dilation[i]);
    bp_dnnl_key_u64(&key, (uint64_t)b.f.pad_l[i]);
    bp_dnnl_key_u64(&key, (uint64_t)b.f.pad_r[i]);
  }
  bp_dnnl_key_md(&key, &b.f.src);
  bp_dnnl_key_md(&key, &b.f.dst);
  bp_dnnl_key_md(&key, &b.diff_src);
  bp_dnnl_args_t args = {0};
  bp_dnnl_args_add(&args, DNNL_ARG_DIFF_DST, &b.f.dst, bp_dnnl_ptr(go));
  bp_dnnl_args_add(&args, DNNL_ARG_DIFF_SRC, &b.diff_src, bp_dnnl_ptr(gi));
  const bp_dnnl_prim_t *p = NULL;
  bp_dnnl_lock(ctx);
  bp_status_t status = bp_dnnl_cache_get(ctx, &key, pbw_make, &b, 0, &p);
  if (!status && max) {
    const bp_tensor_desc_t *ix = call->inputs[2];
    const int64_t nn = b.f.dst.dims[0], cc = b.f.dst.dims[1], oh = b.f.dst.dims[2], ow = b.f.dst.dims[3];
    const int64_t w_in = b.f.src.dims[3], kw = b.f.kernel[1];
    const size_t dense_size = (size_t)(nn * cc * oh * ow) * 4, ws_off = (dense_size + 4095) & ~(size_t)4095;
    const_dnnl_primitive_desc_t pd;
    dnnl_primitive_get_primitive_desc(p->prim, &pd);
    const dnnl_memory_desc_t *wmd = dnnl_primitive_desc_query_md(pd, dnnl_query_workspace_md, 0);
    dnnl_memory_desc_t dense;
    const dnnl_dims_t ddims = {nn, cc, oh, ow};
    if (wmd == NULL || dnnl_memory_desc_get_size(wmd) > ws_off ||
        dnnl_memory_desc_init_by_tag(&dense, 4, ddims, dnnl_s32, dnnl_abcd)) {
      status = bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED, "onednn max_pool2d_backward: no workspace");
    } else if (!(status = bp_dnnl_work_reserve(ctx, 2 * ws_off))) {
      int32_t *pos = ctx->work;
      void *ws = (char *)ctx->work + ws_off;
      const int64_t *is = ix->strides;
      const int32_t bt = ix->ndim - 3;
      const int64_t isn = bt ? is[0] : 0, isc = is[bt], ish = is[bt + 1], isw = is[bt + 2];
      const int64_t *ib = bp_dnnl_ptr(ix);
      /* An index's offset from its window's corner -> the window position:
       * a table over the offsets a window spans (no division per element);
       * windows wider than 4096 offsets divide. */
      const int64_t d0 = b.f.dilation[0] + 1, d1 = b.f.dilation[1] + 1, kh_n = b.f.kernel[0];
      const int64_t span = (kh_n - 1) * d0 * w_in + (kw - 1) * d1 + 1;
      int32_t tab[4096];
      const bool use_tab = span <= 4096 && (kw - 1) * d1 < w_in; /* offsets unique */
      if (use_tab) {
        for (int64_t r = 0; r < span; ++r) tab[r] = 0;
        for (int64_t i = 0; i < kh_n; ++i)
          for (int64_t j = 0; j < kw; ++j) tab[i * d0 * w_in + j * d1] = (int32_t)(i * kw + j);
      }
      const int64_t planes = nn * cc;
#pragma omp parallel for schedule(static) if (planes * oh * ow > (1 << 16))
      for (int64_t pc = 0; pc < planes; ++pc) {
        const int64_t n = pc / cc, c = pc % cc;
        const int64_t *ip = ib + n * isn + c * isc;
        int32_t *pp = pos + pc * oh * ow;
        for (int64_t h = 0; h < oh; ++h) {
          const int64_t row = (h * b.f.strides[0] - b.f.pad_l[0]) * w_in - b.f.pad_l[1];
          for (int64_t w = 0; w < ow; ++w) {
            const int64_t idx = ip[h * ish + w * isw], rel = idx - row - w * b.f.strides[1];
            if (use_tab && rel >= 0 && rel < span) {
              pp[h * ow + w] = tab[rel];
            } else {
              const int64_t kh = (idx / w_in - (h * b.f.strides[0] - b.f.pad_l[0])) / d0;
              const int64_t kk = (idx % w_in - (w * b.f.strides[1] - b.f.pad_l[1])) / d1;
              pp[h * ow + w] = (int32_t)(kh * kw + kk);
            }
          }
        }
      }
      status = bp_dnnl_reorder_locked(ctx, &dense, ctx->work, wmd, ws);
      if (!status) bp_dnnl_args_add(&args, DNNL_ARG_WORKSPACE, wmd, ws);
    }
  }
  if (!status) status = bp_dnnl_execute(ctx, p, &args, call->op_name);
  bp_dnnl_unlock(ctx);
  return status;
}

bp_status_t bp_dnnl_pool_register(bp_dnnl_ctx_t *ctx) {
  static const bp_dtype_t max_sigs[2][3] = {{BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_I64},
                                            {BP_DTYPE_BF16, BP_DTYPE_BF16, BP_DTYPE_I64}};
  static const bp_dtype_t avg_sigs[2][2] = {{BP_DTYPE_F32, BP_DTYPE_F32},
                                            {BP_DTYPE_BF16, BP_DTYPE_BF16}};
  bp_status_t s = BP_STATUS_OK;
  for (int i = 0; i < 2 && !s; ++i) {
    if (!(ctx->dtype_mask & BP_DTYPE_BIT(avg_sigs[i][0]))) continue;
    s = bp_dnnl_register(ctx->host, "max_pool2d", max_sigs[i], 3, max_kernel, max_supports, NULL);
    if (!s) s = bp_dnnl_register(ctx->host, "avg_pool2d", avg_sigs[i], 2, avg_kernel, avg_supports, NULL);
    const bp_dtype_t t = avg_sigs[i][0];
    const bp_dtype_t mb[4] = {t, t, BP_DTYPE_I64, t}, ab[3] = {t, t, t};
    if (!s) s = bp_dnnl_register(ctx->host, "max_pool2d_backward", mb, 4, pbw_kernel, pbw_supports, NULL);
    if (!s) s = bp_dnnl_register(ctx->host, "avg_pool2d_backward", ab, 3, pbw_kernel, pbw_supports, NULL);
  }
  return s;
}
