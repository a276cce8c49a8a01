/* bp_vk_ops_conv.c - conv2d (f32) as an implicit GEMM: no im2col buffer;
 * x, the weight and the bias are read as texels, the output written with
 * its strides. shaders/conv2d.comp takes any stride, padding (explicit or
 * "same"), dilation, groups, batched or unbatched x and any tensor strides;
 * shaders/conv2d_rows.comp the stride-1 calls whose rows are whole vec4s
 * (rows_ok), with the weight repacked first.
 * Declined (the dispatcher falls back to ref:0): other dtypes, devices
 * without texel reads, tensors the shaders cannot index with 32 bits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp_vk.h"
#include "bp_vk_kernel_util.h"
#include "bp_vk_ops_conv.h"

/* Output channels x positions per invocation: conv2d.comp, conv2d_rows.comp
 * (work groups of conv_wg invocations). */
#define CONV_TM 16
#define CONV_TN 8
#define ROWS_TM 16
#define ROWS_TN 8

/* Element offset of t in its block, or false when the shader cannot reach
 * every element with a 31-bit texel index. */
static bool elem_offset(const bp_tensor_desc_t *t, uint32_t *out) {
  if (t->ndim > BPVK_MAX_DIMS || t->dtype != BP_DTYPE_F32) return false;
  if (bpvk_numel(t) == 0) {
    *out = 0;
    return true;
  }
  const bpvk_alloc_t *a = t->data;
  if (a == NULL || (a->offset + t->byte_offset) % 4) return false;
  uint64_t first = (a->offset + t->byte_offset) / 4, last = first;
  for (int32_t i = 0; i < t->ndim; ++i) {
    if (t->strides[i] < 0) return false;
    last += (uint64_t)(t->shape[i] - 1) * (uint64_t)t->strides[i];
  }
  *out = (uint32_t)first;
  return last < 0x7fffffffu;
}

bool bpvk_conv_cpu(const bpvk_device_t *d) {
  /* BP_VULKAN_CONV_GPU_PATHS=1 (tests): the GPU choices on CPU devices too */
  return d->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU && !d->ctx->conv_gpu_paths;
}

bool bpvk_conv_texel_reach(const bp_tensor_desc_t *t, uint64_t limit) {
  if (bpvk_numel(t) == 0) return true;
  const bpvk_alloc_t *a = t->data;
  uint64_t last = (a->offset + t->byte_offset) / 4;
  for (int32_t i = 0; i < t->ndim; ++i) last += (uint64_t)(t->shape[i] - 1) * (uint64_t)t->strides[i];
  return last < limit;
}

/* Value i of an int-or-tuple attribute over the 2 spatial dims. */
static int64_t attr_at(const bp_kernel_call_t *call, const char *name, int i, int64_t def) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  if (!a || a->type != BP_ATTR_INTS || a->count == 0) return def;
  return a->value.ints[a->count == 2 ? i : 0];
}
/* The parameter words of a call, and whether the weight reads as vec4 rows;
 * false when the call is not one this kernel does. */
static bool conv_plan(const bp_kernel_call_t *call, uint64_t limit, uint32_t w[CV_WORDS], bool *wvec4) {
  if (call->num_inputs != 3 || call->num_outputs != 1) return false;
  const bp_tensor_desc_t *x = call->inputs[0], *wt = call->inputs[1], *b = call->inputs[2], *o = call->outputs[0];
  bool batched = x->ndim == 4, has_bias = bpvk_attr_b(call, "has_bias", true);
  if ((x->ndim != 3 && x->ndim != 4) || o->ndim != x->ndim || wt->ndim != 4) return false;
  int d = batched ? 1 : 0;
  int64_t nimg = batched ? x->shape[0] : 1, groups = bpvk_attr_i(call, "groups", 1);
  int64_t cout = wt->shape[0], cg = wt->shape[1], kh = wt->shape[2], kw = wt->shape[3];
  int64_t oh = o->shape[d + 1], ow = o->shape[d + 2];
  if (groups < 1 || cout % groups || x->shape[d] != cg * groups || o->shape[d] != cout) return false;
  if (has_bias && (b->ndim != 1 || b->shape[0] != cout)) return false;
  uint32_t xo, wo, bo = 0, oo;
  if (!elem_offset(x, &xo) || !elem_offset(wt, &wo) || !elem_offset(o, &oo)) return false;
  if (has_bias && !elem_offset(b, &bo)) return false;
  /* x, the weight and the bias are read through texel views of at most
   * maxTexelBufferElements texels (R32: elements). */
  if (!bpvk_conv_texel_reach(x, limit) || !bpvk_conv_texel_reach(wt, limit) ||
      (has_bias && !bpvk_conv_texel_reach(b, limit)))
    return false;
  bool same = bpvk_attr_b(call, "padding_same", false);
  memset(w, 0, CV_WORDS * 4);
  for (int i = 0; i < 2; ++i) {
    int64_t s = attr_at(call, "stride", i, 1), dl = attr_at(call, "dilation", i, 1);
    int64_t k = i == 0 ? kh : kw;
    int64_t p = same ? dl * (k - 1) / 2 : attr_at(call, "padding", i, 0);
    if (s < 1 || dl < 1 || p < 0 || s > 65535 || dl > 65535 || p > 65535) return false;
    w[CV_SH + i] = (uint32_t)s;
    w[CV_DH + i] = (uint32_t)dl;
    w[CV_PH + i] = (uint32_t)p;
  }
  int64_t kdim = cg * kh * kw, ohw = oh * ow;
  if (nimg * groups > 65535 || (cout / groups + CONV_TM - 1) / CONV_TM > 65535 ||
      (ohw + 8 * CONV_TN - 1) / (8 * CONV_TN) > 65535 || kdim > 0x7fffffff || x->shape[d + 1] > 0x7fffffff)
    return false;
  w[CV_GROUPS] = (uint32_t)groups;
  w[CV_COUTG] = (uint32_t)(cout / groups);
  w[CV_CG] = (uint32_t)cg;
  w[CV_H] = (uint32_t)x->shape[d + 1];
  w[CV_W] = (uint32_t)x->shape[d + 2];
  w[CV_KH] = (uint32_t)kh;
  w[CV_KW] = (uint32_t)kw;
  w[CV_OH] = (uint32_t)oh;
  w[CV_OW] = (uint32_t)ow;
  w[CV_OHW] = (uint32_t)ohw;
  w[CV_XOFF] = xo;
  w[CV_XSN] = batched ? (uint32_t)x->strides[0] : 0;
  for (int i = 0; i < 3; ++i) w[CV_XSC + i] = (uint32_t)x->strides[d + i];
  w[CV_WOFF] = wo;
  for (int i = 0; i < 4; ++i) w[CV_WSN + i] = (uint32_t)wt->strides[i];
  w[CV_BOFF] = bo;
  w[CV_BS] = has_bias ? (uint32_t)b->strides[0] : 0;
  w[CV_HAS_BIAS] = has_bias;
  w[CV_OOFF] = oo;
  w[CV_OSN] = batched ? (uint32_t)o->strides[0] : 0;
  for (int i = 0; i < 3; ++i) w[CV_OSC + i] = (uint32_t)o->strides[d + i];
  /* Weight rows contiguous along r = (ci, kh, kw), in whole vec4s. */
  *wvec4 = kdim % 4 == 0 && wo % 4 == 0 && wt->strides[3] == 1 && wt->strides[2] == kw &&
           wt->strides[1] == kh * kw && wt->strides[0] % 4 == 0;
  return true;
}

/* Invocations per work group of the conv2d shaders on d: 8 on CPU devices
 * (lavapipe runs 8 invocations as one SIMD group), 64 on GPUs. Variants
 * "_8" and "_g" (CMakeLists.txt). */
static uint32_t conv_wg(const bpvk_device_t *d) { return bpvk_conv_cpu(d) ? 8 : 64; }
static int32_t conv_variant(const bpvk_device_t *d, bool wvec4) {
  bool cpu = bpvk_conv_cpu(d);
  return bpvk_variant_find(wvec4 ? (cpu ? "conv2d_v4_8" : "conv2d_v4_g") : (cpu ? "conv2d_8" : "conv2d_g"));
}
static int32_t rows_variant(const bpvk_device_t *d) {
  return bpvk_variant_find(bpvk_conv_cpu(d) ? "conv2d_rows_8" : "conv2d_rows_g");
}

/* The row-segment variant: stride 1, dilation 1, unit column stride, rows
 * and their offsets in whole vec4s, output rows in whole 8s, input channels
 * per group in whole 4s, the columns a position reads within its fetched 16. */
bool bpvk_conv_rows_ok(const uint32_t w[CV_WORDS]) {
  return w[CV_SH] == 1 && w[CV_SW] == 1 && w[CV_DH] == 1 && w[CV_DW] == 1 && w[CV_XSW] == 1 && w[CV_W] % 4 == 0 &&
         w[CV_XOFF] % 4 == 0 && w[CV_XSN] % 4 == 0 && w[CV_XSC] % 4 == 0 && w[CV_XSH] % 4 == 0 &&
         w[CV_OW] % 8 == 0 && w[CV_CG] % 4 == 0 && w[CV_CG] > 0 && w[CV_PW] <= 4 && w[CV_KW] <= w[CV_PW] + 5 &&
         w[CV_KW] <= 9 &&
         (uint64_t)w[CV_KH] * w[CV_KW] * w[CV_COUTG] * w[CV_GROUPS] * w[CV_CG] < (1u << 28);
}

static bool conv_supports(const bp_kernel_call_t *call) {
  bpvk_ctx_t *ctx = call->plugin_ctx;
  if (call->device_index >= ctx->ndevices) return false;
  bpvk_device_t *d = &ctx->devices[call->device_index];
  uint32_t w[CV_WORDS];
  bool wvec4;
  return d->texel && conv_plan(call, d->props.limits.maxTexelBufferElements, w, &wvec4) &&
         bpvk_variant_usable(d, conv_variant(d, wvec4));
}

/* The row-segment variant: the weight repacked to [KH][KW][Cout][Cg] in a
 * scratch buffer (a raw copy dispatch), then one conv2d_rows dispatch; the
 * scratch range is given back at once (later writes to it queue after). */
bp_status_t bpvk_conv_rows(bpvk_ctx_t *ctx, bpvk_device_t *d, uint32_t device, const uint32_t w[CV_WORDS],
                           const VkBuffer tensors[3], const VkBuffer texels[3], uint32_t gz) {
  uint32_t kh = w[CV_KH], kw = w[CV_KW], cout = w[CV_COUTG] * w[CV_GROUPS], cg = w[CV_CG];
  uint64_t count = (uint64_t)kh * kw * cout * cg;
  void *scratch = NULL;
  bp_status_t s = bpvk_buffer_alloc(ctx, device, count * 4u, &scratch);
  if (s) return s; /* the caller runs the general variant instead */
  const bpvk_alloc_t *sa = scratch;
  /* Repack as an elementwise raw copy (shaders/elementwise.glsl words):
   * out [KH, KW, Cout, Cg] contiguous, in the weight with permuted strides. */
  uint32_t cp[64];
  memset(cp, 0, sizeof cp);
  uint32_t shape[4] = {kh, kw, cout, cg};
  uint32_t ostr[4] = {kw * cout * cg, cout * cg, cg, 1};
  uint32_t istr[4] = {w[CV_WSH], w[CV_WSW], w[CV_WSN], w[CV_WSC]};
  cp[0] = (uint32_t)count;
  cp[1] = 4;
  for (int i = 0; i < 4; ++i) {
    cp[2 + i] = shape[i];
    cp[11 + i] = ostr[i];
    cp[20 + i] = istr[i];
  }
  cp[10] = (uint32_t)(sa->offset / 4);
  cp[19] = w[CV_WOFF];
  uint64_t groups = (count + 255) / 256;
  uint32_t cgx = groups < 65535 ? (uint32_t)groups : 65535u, cgy = (uint32_t)((groups + cgx - 1) / cgx);
  VkBuffer cbufs[3] = {sa->block->buffer, texels[2], VK_NULL_HANDLE};
  uint32_t rw[CV_WORDS];
  memcpy(rw, w, sizeof rw);
  rw[CV_WOFF] = (uint32_t)(sa->offset / 4);
  VkBuffer rtex[3] = {texels[0], texels[1], sa->block->buffer};
  VkFormat rfmt[3] = {VK_FORMAT_R32G32B32A32_SFLOAT, VK_FORMAT_R32_SFLOAT, VK_FORMAT_R32G32B32A32_SFLOAT};
  uint32_t per = conv_wg(d) * ROWS_TN;
  uint32_t gx = (w[CV_OHW] + per - 1) / per, gy = (w[CV_COUTG] + ROWS_TM - 1) / ROWS_TM;
  pthread_mutex_lock(&d->mu);
  s = bpvk_dispatch(d, bpvk_variant_find("copy_4_4"), 0, cbufs, cp, 64, cgx, cgy, 1);
  if (!s)
    s = bpvk_dispatch_texel(d, rows_variant(d), kw | w[CV_PW] << 8, tensors, rtex, rfmt, rw,
                            CV_WORDS, gx, gy, gz);
  pthread_mutex_unlock(&d->mu);
  bpvk_buffer_free(ctx, device, scratch);
  return s;
}

static bp_status_t conv_kernel(const bp_kernel_call_t *call) {
  bpvk_ctx_t *ctx = call->plugin_ctx;
  if (!conv_supports(call))
    return bpvk_fail(ctx, BP_STATUS_UNSUPPORTED, "vulkan conv2d: this call is not supported on vulkan:%u",
                     call->device_index);
  const bp_tensor_desc_t *x = call->inputs[0], *wt = call->inputs[1], *b = call->inputs[2], *o = call->outputs[0];
  if (bpvk_numel(o) == 0) return BP_STATUS_OK;
  bpvk_device_t *d = &ctx->devices[call->device_index];
  uint32_t w[CV_WORDS];
  bool wvec4;
  conv_plan(call, d->props.limits.maxTexelBufferElements, w, &wvec4);
  VkBuffer ob = ((const bpvk_alloc_t *)o->data)->block->buffer;
  /* No terms (no input channels): x and the weight are not read. */
  bool terms = bpvk_numel(x) > 0 && bpvk_numel(wt) > 0;
  VkBuffer xb = terms ? ((const bpvk_alloc_t *)x->data)->block->buffer : ob;
  VkBuffer wb = terms ? ((const bpvk_alloc_t *)wt->data)->block->buffer : ob;
  VkBuffer bb = w[CV_HAS_BIAS] ? ((const bpvk_alloc_t *)b->data)->block->buffer : ob;
  VkBuffer tensors[3] = {ob, VK_NULL_HANDLE, VK_NULL_HANDLE};
  VkBuffer texels[3] = {xb, bb, wb};
  VkFormat formats[3] = {VK_FORMAT_R32_SFLOAT, VK_FORMAT_R32_SFLOAT,
                         wvec4 ? VK_FORMAT_R32G32B32A32_SFLOAT : VK_FORMAT_R32_SFLOAT};
  uint32_t per = conv_wg(d) * CONV_TN;
  uint32_t gx = (w[CV_OHW] + per - 1) / per, gy = (w[CV_COUTG] + CONV_TM - 1) / CONV_TM;
  uint32_t gz = (uint32_t)(x->ndim == 4 ? x->shape[0] : 1) * w[CV_GROUPS];
  int32_t rows = rows_variant(d);
  if (terms && bpvk_conv_rows_ok(w) && bpvk_variant_usable(d, rows) &&
      bpvk_variant_usable(d, bpvk_variant_find("copy_4_4")) &&
      bpvk_conv_rows(ctx, d, call->device_index, w, tensors, texels, gz) == BP_STATUS_OK)
    return BP_STATUS_OK;
  pthread_mutex_lock(&d->mu);
  bp_status_t s =
      bpvk_dispatch_texel(d, conv_variant(d, wvec4), 0, tensors, texels, formats, w, CV_WORDS, gx, gy, gz);
  pthread_mutex_unlock(&d->mu);
  return s;
}

bp_status_t bpvk_conv_register(bpvk_ctx_t *ctx) {
  bool any = false;
  for (uint32_t i = 0; i < ctx->ndevices; ++i)
    any = any || (ctx->devices[i].texel &&
                  bpvk_variant_usable(&ctx->devices[i], conv_variant(&ctx->devices[i], false)));
  if (!any) return BP_STATUS_OK;
  static const bp_dtype_t sig[4] = {BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32};
  bp_kernel_reg_t r = {.struct_size = sizeof r, .num_dtypes = 4, .op_name = "conv2d", .dtypes = sig,
                       .fn = conv_kernel, .supports = conv_supports, .kernel_data = NULL};
  return ctx->host->register_kernel(ctx->host->host_ctx, &r);
}
