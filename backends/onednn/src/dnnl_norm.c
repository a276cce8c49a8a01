/* dnnl_norm.c - batch_norm, layer_norm and layer_norm_backward (f32)
 * through oneDNN's batch and layer normalization primitives.
 *
 * oneDNN returns the statistics as mean and (biased) variance in dense f32;
 * the kernels turn them into Backplane's outputs (save_invstd / rstd =
 * 1 / sqrt(var + eps)) and batch_norm updates running_mean and running_var
 * in place like the reference (unbiased variance, momentum). Weight, bias
 * and the running stats go to oneDNN as dense copies in ctx->work. y must
 * have x's layout (oneDNN 2.x takes one data descriptor for both), else the
 * call is declined; so is layer_norm over trailing dims that do not form
 * one strided run. */
#include <math.h>
#include <string.h>

#include "dnnl_plugin.h"

typedef struct norm_arg {
  dnnl_memory_desc_t data;
  bool layer;
  dnnl_prop_kind_t prop;
  unsigned flags;
  float eps;
} norm_arg_t;

static dnnl_status_t norm_make(bp_dnnl_ctx_t *ctx, const void *varg, dnnl_primitive_desc_t *pd) {
  const norm_arg_t *a = varg;
  dnnl_batch_normalization_desc_t bd;
  dnnl_layer_normalization_desc_t ld;
  dnnl_status_t s;
  const void *desc;
  if (a->layer) {
    s = dnnl_layer_normalization_forward_desc_init(&ld, a->prop, &a->data, NULL, a->eps, a->flags);
    desc = &ld;
  } else {
    s = dnnl_batch_normalization_forward_desc_init(&bd, a->prop, &a->data, a->eps, a->flags);
    desc = &bd;
  }
  dnnl_primitive_attr_t attr = NULL;
  if (!s) s = dnnl_primitive_attr_create(&attr);
  if (!s) s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
  if (!s) s = dnnl_primitive_desc_create(pd, desc, attr, ctx->engine, NULL);
  dnnl_primitive_attr_destroy(attr);
  return s;
}

/* Same shape and the same strides on every dim of size > 1. */
static bool same_layout(const bp_tensor_desc_t *a, const bp_tensor_desc_t *b) {
  if (a->ndim != b->ndim) return false;
  for (int32_t d = 0; d < a->ndim; ++d)
    if (a->shape[d] != b->shape[d] || (a->shape[d] > 1 && a->strides[d] != b->strides[d]))
      return false;
  return true;
}

static float get_f32(const bp_tensor_desc_t *t, int64_t i) {
  return ((const float *)bp_dnnl_ptr(t))[i * (t->ndim ? t->strides[0] : 0)];
}

static bp_status_t norm_run(bp_dnnl_ctx_t *ctx, const norm_arg_t *a, bp_dnnl_args_t *args,
                            const char *what) {
  bp_dnnl_key_t key;
  bp_dnnl_key_init(&key, what, a->flags);
  bp_dnnl_key_u64(&key, (uint64_t)a->prop);
  bp_dnnl_key_f64(&key, a->eps);
  bp_dnnl_key_md(&key, &a->data);
  const bp_dnnl_prim_t *p = NULL;
  bp_status_t status = bp_dnnl_cache_get(ctx, &key, norm_make, a, 0, &p);
  return status ? status : bp_dnnl_execute(ctx, p, args, what);
}

/* ---- batch_norm: x [N, C, ...] ---- */

static bool bn_supports(const bp_kernel_call_t *call) {
  const bp_tensor_desc_t *x = call->inputs[0];
  if (x->ndim < 2 || x->ndim > 5 || bp_dnnl_numel(x) == 0 || bp_dnnl_has_bcast(x)) return false;
  if (!same_layout(x, call->outputs[0])) return false;
  return !bp_dnnl_attr_bool(call, "training", false) || bp_dnnl_numel(x) > x->shape[1];
}

static bp_status_t bn_kernel(const bp_kernel_call_t *call) {
  bp_dnnl_ctx_t *ctx = call->plugin_ctx;
  const bp_tensor_desc_t *x = call->inputs[0], *w = call->inputs[1], *b = call->inputs[2];
  const bp_tensor_desc_t *rm = call->inputs[3], *rv = call->inputs[4];
  const bp_tensor_desc_t *y = call->outputs[0], *sm = call->outputs[1], *si = call->outputs[2];
  const bool training = bp_dnnl_attr_bool(call, "training", false);
  const bool has_w = bp_dnnl_attr_bool(call, "has_weight", false);
  const bool has_b = bp_dnnl_attr_bool(call, "has_bias", false);
  const bool has_rs = bp_dnnl_attr_bool(call, "has_running_stats", false);
  const double momentum = bp_dnnl_attr_f64(call, "momentum", 0.1);
  const double eps = bp_dnnl_attr_f64(call, "eps", 1e-5);
  const int64_t c = x->shape[1], count = bp_dnnl_numel(x) / c;
  norm_arg_t a = {.layer = false, .eps = (float)eps,
                  .prop = training ? dnnl_forward_training : dnnl_forward_inference,
                  .flags = (has_w ? dnnl_use_scale : 0u) | (has_b ? dnnl_use_shift : 0u) |
                           (training ? 0u : dnnl_use_global_stats)};
  if (!bp_dnnl_md(&a.data, x, false))
    return bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED, "onednn batch_norm: no memory descriptor");
  dnnl_memory_desc_t cmd;
  const dnnl_dims_t cdims = {c};
  dnnl_memory_desc_init_by_tag(&cmd, 1, cdims, dnnl_f32, dnnl_a);
  const size_t cb = ((size_t)c * 4 + 63) & ~(size_t)63;
  bp_dnnl_lock(ctx);
  bp_status_t status = bp_dnnl_work_reserve(ctx, 4 * cb);
  if (status) goto done;
  float *mean = ctx->work, *var = (float *)((char *)ctx->work + cb);
  float *scale = (float *)((char *)ctx->work + 2 * cb), *shift = (float *)((char *)ctx->work + 3 * cb);
  for (int64_t i = 0; i < c; ++i) {
    if (has_w) scale[i] = get_f32(w, i);
    if (has_b) shift[i] = get_f32(b, i);
    if (!training) {
      mean[i] = get_f32(rm, i);
      var[i] = get_f32(rv, i);
    }
  }
  bp_dnnl_args_t args = {0};
  bp_dnnl_args_add(&args, DNNL_ARG_SRC, &a.data, bp_dnnl_ptr(x));
  bp_dnnl_args_add(&args, DNNL_ARG_DST, &a.data, bp_dnnl_ptr(y));
  bp_dnnl_args_add(&args, DNNL_ARG_MEAN, &cmd, mean);
  bp_dnnl_args_add(&args, DNNL_ARG_VARIANCE, &cmd, var);
  if (has_w) bp_dnnl_args_add(&args, DNNL_ARG_SCALE, &cmd, scale);
  if (has_b) bp_dnnl_args_add(&args, DNNL_ARG_SHIFT, &cmd, shift);
  if ((status = norm_run(ctx, &a, &args, "batch_norm"))) goto done;
  float *smp = bp_dnnl_ptr(sm), *sip = bp_dnnl_ptr(si);
  for (int64_t i = 0; i < c; ++i) {
    smp[i * sm->strides[0]] = mean[i];
    sip[i * si->strides[0]] = (float)(1.0 / sqrt((double)var[i] + eps));
    if (training && has_rs) {
      float *rmp = (float *)bp_dnnl_ptr(rm) + i * rm->strides[0];
      float *rvp = (float *)bp_dnnl_ptr(rv) + i * rv->strides[0];
      const double unbiased = count > 1 ? (double)var[i] * (double)count / (double)(count - 1) : NAN;
      *rmp = (float)((1.0 - momentum) * *rmp + momentum * mean[i]);
      *rvp = (float)((1.0 - momentum) * *rvp + momentum * unbiased);
    }
  }
done:
  bp_dnnl_unlock(ctx);
  return status;
}

/* ---- layer_norm: over the trailing k dims ---- */

/* The trailing k dims of t as one strided run: its size and stride. */
static bool trailing_run(const bp_tensor_desc_t *t, int32_t k, int64_t *size, int64_t *stride) {
  *size = 1; /* defined even when the dims are not one run (supports() rules that out) */
  *stride = 1;
  int64_t n = 1, st = 0;
  bool first = true;
  for (int32_t d = t->ndim - 1; d >= t->ndim - k; --d) {
    if (t->shape[d] == 1) continue;
    if (first) st = t->strides[d], first = false;
    else if (t->strides[d] != st * n) return false;
    n *= t->shape[d];
  }
  *size = n;
  *stride = first ? 1 : st;
  return true;
}

static bool ln_supports(const bp_kernel_call_t *call) {
  const bp_tensor_desc_t *x = call->inputs[0];
  const bp_attr_t *ns = bp_abi_find_attr(call, "normalized_shape");
  if (ns == NULL || ns->count == 0 || (int32_t)ns->count > x->ndim) return false;
  const int32_t k = (int32_t)ns->count, lead = x->ndim - k;
  int64_t n, st;
  if (lead > 4 || bp_dnnl_numel(x) == 0 || bp_dnnl_has_bcast(x)) return false;
  if (!same_layout(x, call->outputs[0]) || !trailing_run(x, k, &n, &st)) return false;
  for (int i = 1; i < 3; ++i) {
    const bool has = bp_dnnl_attr_bool(call, i == 1 ? "has_weight" : "has_bias", false);
    if (has && !trailing_run(call->inputs[i], k, &n, &st)) return false;
  }
  return true;
}

static bp_status_t ln_kernel(const bp_kernel_call_t *call) {
  bp_dnnl_ctx_t *ctx = call->plugin_ctx;
  const bp_tensor_desc_t *x = call->inputs[0], *y = call->outputs[0];
  const bp_tensor_desc_t *mo = call->outputs[1], *ro = call->outputs[2];
  const int32_t k = (int32_t)bp_abi_find_attr(call, "normalized_shape")->count, lead = x->ndim - k;
  const bool has_w = bp_dnnl_attr_bool(call, "has_weight", false);
  const bool has_b = bp_dnnl_attr_bool(call, "has_bias", false);
  const double eps = bp_dnnl_attr_f64(call, "eps", 1e-5);
  int64_t inner, ist, dims[5], strides[5];
  trailing_run(x, k, &inner, &ist);
  int64_t outer = 1;
  for (int32_t d = 0; d < lead; ++d) {
    dims[d] = x->shape[d];
    strides[d] = x->strides[d];
    outer *= x->shape[d];
  }
  int nd = lead;
  if (nd == 0) dims[nd] = 1, strides[nd] = inner * ist, ++nd;
  dims[nd] = inner;
  strides[nd] = ist;
  ++nd;
  norm_arg_t a = {.layer = true, .eps = (float)eps, .prop = dnnl_forward_training,
                  .flags = (has_w ? dnnl_use_scale : 0u) | (has_b ? dnnl_use_shift : 0u)};
  if (!bp_dnnl_md_raw(&a.data, nd, dims, strides, x->dtype))
    return bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED, "onednn layer_norm: no memory descriptor");
  dnnl_memory_desc_t smd, cmd;
  const dnnl_dims_t cdims = {inner};
  dnnl_memory_desc_init_by_tag(&cmd, 1, cdims, dnnl_f32, dnnl_a);
  {
    dnnl_dims_t sd;
    for (int i = 0; i < nd - 1; ++i) sd[i] = dims[i];
    const dnnl_format_tag_t tags[5] = {dnnl_a, dnnl_a, dnnl_ab, dnnl_abc, dnnl_abcd};
    dnnl_memory_desc_init_by_tag(&smd, nd - 1, sd, dnnl_f32, tags[nd - 1]);
  }
  const size_t ob = ((size_t)outer * 4 + 63) & ~(size_t)63, cb = ((size_t)inner * 4 + 63) & ~(size_t)63;
  bp_dnnl_lock(ctx);
  bp_status_t status = bp_dnnl_work_reserve(ctx, 2 * ob + 2 * cb);
  if (status) goto done;
  float *mean = ctx->work, *var = (float *)((char *)ctx->work + ob);
  float *scale = (float *)((char *)ctx->work + 2 * ob), *shift = (float *)((char *)ctx->work + 2 * ob + cb);
  for (int i = 1; i < 3; ++i) {
    if (!(i == 1 ? has_w : has_b)) continue;
    int64_t n, st;
    trailing_run(call->inputs[i], k, &n, &st);
    const float *src = bp_dnnl_ptr(call->inputs[i]);
    float *dst = i == 1 ? scale : shift;
    for (int64_t j = 0; j < inner; ++j) dst[j] = src[j * st];
  }
  bp_dnnl_args_t args = {0};
  bp_dnnl_args_add(&args, DNNL_ARG_SRC, &a.data, bp_dnnl_ptr(x));
  bp_dnnl_args_add(&args, DNNL_ARG_DST, &a.data, bp_dnnl_ptr(y));
  bp_dnnl_args_add(&args, DNNL_ARG_MEAN, &smd, mean);
  bp_dnnl_args_add(&args, DNNL_ARG_VARIANCE, &smd, var);
  if (has_w) bp_dnnl_args_add(&args, DNNL_ARG_SCALE, &cmd, scale);
  if (has_b) bp_dnnl_args_add(&args, DNNL_ARG_SHIFT, &cmd, shift);
  if ((status = norm_run(ctx, &a, &args, "layer_norm"))) goto done;
  {
    float *mp = bp_dnnl_ptr(mo), *rp = bp_dnnl_ptr(ro);
    int64_t idx[BP_DNNL_MAX_DIMS] = {0};
    for (int64_t o = 0; o < outer; ++o) {
      int64_t om = 0, orr = 0;
      for (int32_t d = 0; d < lead; ++d) om += idx[d] * mo->strides[d], orr += idx[d] * ro->strides[d];
      mp[om] = mean[o];
      rp[orr] = (float)(1.0 / sqrt((double)var[o] + eps));
      for (int32_t d = lead - 1; d >= 0; --d) {
        if (++idx[d] < x->shape[d]) break;
        idx[d] = 0;
      }
    }
  }
done:
  bp_dnnl_unlock(ctx);
  return status;
}

/* ---- layer_norm_backward(grad_output, x, mean, rstd, weight) -> grad_input, grad_weight, grad_bias ----
 * oneDNN's backward (diff_scale and diff_shift are grad_weight and
 * grad_bias) from the saved statistics: the variance is given as 1/rstd^2
 * with eps 0, so oneDNN's 1/sqrt(var + eps) gives back rstd. A missing
 * weight is ones. */

typedef struct lnb_arg {
  dnnl_memory_desc_t data;
} lnb_arg_t;

static dnnl_status_t lnb_make(bp_dnnl_ctx_t *ctx, const void *varg, dnnl_primitive_desc_t *pd) {
  const lnb_arg_t *a = varg;
  const unsigned flags = dnnl_use_scale | dnnl_use_shift;
  dnnl_layer_normalization_desc_t fwd, bwd;
  dnnl_primitive_desc_t hint = NULL;
  dnnl_primitive_attr_t attr = NULL;
  dnnl_status_t s = dnnl_layer_normalization_forward_desc_init(&fwd, dnnl_forward_training, &a->data,
                                                               NULL, 0.0f, flags);
  if (!s) s = dnnl_layer_normalization_backward_desc_init(&bwd, dnnl_backward, &a->data, &a->data,
                                                          NULL, 0.0f, flags);
  if (!s) s = dnnl_primitive_desc_create(&hint, &fwd, NULL, ctx->engine, NULL);
  if (!s) s = dnnl_primitive_attr_create(&attr);
  if (!s) s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
  if (!s) s = dnnl_primitive_desc_create(pd, &bwd, attr, ctx->engine, hint);
  dnnl_primitive_attr_destroy(attr);
  if (hint) dnnl_primitive_desc_destroy(hint);
  return s;
}

static bool lnb_supports(const bp_kernel_call_t *call) {
  const bp_tensor_desc_t *g = call->inputs[0], *x = call->inputs[1];
  const bp_attr_t *ns = bp_abi_find_attr(call, "normalized_shape");
  if (ns == NULL || ns->count == 0 || (int32_t)ns->count > x->ndim) return false;
  const int32_t k = (int32_t)ns->count, lead = x->ndim - k;
  int64_t n, st;
  if (lead > 4 || bp_dnnl_numel(x) == 0 || bp_dnnl_has_bcast(x) || bp_dnnl_has_bcast(g)) return false;
  if (!same_layout(x, g) || !same_layout(x, call->outputs[0]) || !trailing_run(x, k, &n, &st))
    return false;
  if (bp_dnnl_attr_bool(call, "has_weight", false) && !trailing_run(call->inputs[4], k, &n, &st))
    return false;
  return trailing_run(call->outputs[1], k, &n, &st) && trailing_run(call->outputs[2], k, &n, &st);
}

static bp_status_t lnb_kernel(const bp_kernel_call_t *call) {
  bp_dnnl_ctx_t *ctx = call->plugin_ctx;
  const bp_tensor_desc_t *g = call->inputs[0], *x = call->inputs[1];
  const bp_tensor_desc_t *mi = call->inputs[2], *ri = call->inputs[3], *w = call->inputs[4];
  const bp_tensor_desc_t *gi = call->outputs[0], *gw = call->outputs[1], *gb = call->outputs[2];
  const int32_t k = (int32_t)bp_abi_find_attr(call, "normalized_shape")->count, lead = x->ndim - k;
  const bool has_w = bp_dnnl_attr_bool(call, "has_weight", false);
  int64_t inner, ist, dims[5], strides[5], outer = 1;
  trailing_run(x, k, &inner, &ist);
  for (int32_t d = 0; d < lead; ++d) {
    dims[d] = x->shape[d];
    strides[d] = x->strides[d];
    outer *= x->shape[d];
  }
  int nd = lead;
  if (nd == 0) dims[nd] = 1, strides[nd] = inner * ist, ++nd;
  dims[nd] = inner;
  strides[nd] = ist;
  ++nd;
  lnb_arg_t a;
  if (!bp_dnnl_md_raw(&a.data, nd, dims, strides, x->dtype))
    return bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED, "onednn layer_norm_backward: no memory descriptor");
  dnnl_memory_desc_t smd, cmd;
  const dnnl_dims_t cdims = {inner};
  dnnl_memory_desc_init_by_tag(&cmd, 1, cdims, dnnl_f32, dnnl_a);
  {
    dnnl_dims_t sd;
    for (int i = 0; i < nd - 1; ++i) sd[i] = dims[i];
    const dnnl_format_tag_t tags[5] = {dnnl_a, dnnl_a, dnnl_ab, dnnl_abc, dnnl_abcd};
    dnnl_memory_desc_init_by_tag(&smd, nd - 1, sd, dnnl_f32, tags[nd - 1]);
  }
  const size_t ob = ((size_t)outer * 4 + 63) & ~(size_t)63, cb = ((size_t)inner * 4 + 63) & ~(size_t)63;
  bp_dnnl_lock(ctx);
  bp_status_t status = bp_dnnl_work_reserve(ctx, 2 * ob + 4 * cb);
  if (status) goto done;
  float *mean = ctx->work, *var = (float *)((char *)ctx->work + ob);
  float *scale = (float *)((char *)ctx->work + 2 * ob);
  float *shift = (float *)((char *)ctx->work + 2 * ob + 3 * cb);
  memset(shift, 0, (size_t)inner * 4);
  float *dscale = (float *)((char *)ctx->work + 2 * ob + cb);
  float *dshift = (float *)((char *)ctx->work + 2 * ob + 2 * cb);
  {
    const float *mp = bp_dnnl_ptr(mi), *rp = bp_dnnl_ptr(ri);
    int64_t idx[BP_DNNL_MAX_DIMS] = {0};
    for (int64_t o = 0; o < outer; ++o) {
      int64_t om = 0, orr = 0;
      for (int32_t d = 0; d < lead; ++d) om += idx[d] * mi->strides[d], orr += idx[d] * ri->strides[d];
      const double r = rp[orr];
      mean[o] = mp[om];
      var[o] = (float)(1.0 / (r * r));
      for (int32_t d = lead - 1; d >= 0; --d) {
        if (++idx[d] < x->shape[d]) break;
        idx[d] = 0;
      }
    }
    int64_t n, st;
    if (has_w) trailing_run(w, k, &n, &st);
    for (int64_t j = 0; j < inner; ++j) scale[j] = has_w ? ((const float *)bp_dnnl_ptr(w))[j * st] : 1.0f;
  }
  bp_dnnl_args_t args = {0};
  bp_dnnl_args_add(&args, DNNL_ARG_SRC, &a.data, bp_dnnl_ptr(x));
  bp_dnnl_args_add(&args, DNNL_ARG_DIFF_DST, &a.data, bp_dnnl_ptr(g));
  bp_dnnl_args_add(&args, DNNL_ARG_DIFF_SRC, &a.data, bp_dnnl_ptr(gi));
  bp_dnnl_args_add(&args, DNNL_ARG_MEAN, &smd, mean);
  bp_dnnl_args_add(&args, DNNL_ARG_VARIANCE, &smd, var);
  bp_dnnl_args_add(&args, DNNL_ARG_SCALE, &cmd, scale);
  bp_dnnl_args_add(&args, DNNL_ARG_SHIFT, &cmd, shift); /* oneDNN wants it; zeros */
  bp_dnnl_args_add(&args, DNNL_ARG_DIFF_SCALE, &cmd, dscale);
  bp_dnnl_args_add(&args, DNNL_ARG_DIFF_SHIFT, &cmd, dshift);
  {
    bp_dnnl_key_t key;
    bp_dnnl_key_init(&key, "layer_norm_backward", 0);
    bp_dnnl_key_md(&key, &a.data);
    const bp_dnnl_prim_t *p = NULL;
    status = bp_dnnl_cache_get(ctx, &key, lnb_make, &a, 0, &p);
    if (!status) status = bp_dnnl_execute(ctx, p, &args, "layer_norm_backward");
  }
  if (!status) {
    int64_t n, sw, sb;
    trailing_run(gw, k, &n, &sw);
    trailing_run(gb, k, &n, &sb);
    float *wp = bp_dnnl_ptr(gw), *bpp = bp_dnnl_ptr(gb);
    for (int64_t j = 0; j < inner; ++j) {
      wp[j * sw] = dscale[j];
      bpp[j * sb] = dshift[j];
    }
  }
done:
  bp_dnnl_unlock(ctx);
  return status;
}

bp_status_t bp_dnnl_norm_register(bp_dnnl_ctx_t *ctx) {
  static const bp_dtype_t bn_sig[8] = {BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32,
                                       BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32};
  bp_status_t s = bp_dnnl_register(ctx->host, "batch_norm", bn_sig, 8, bn_kernel, bn_supports, NULL);
  if (!s) s = bp_dnnl_register(ctx->host, "layer_norm", bn_sig, 6, ln_kernel, ln_supports, NULL);
  if (!s) s = bp_dnnl_register(ctx->host, "layer_norm_backward", bn_sig, 8, lnb_kernel, lnb_supports, NULL);
  return s;
}
