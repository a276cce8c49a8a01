/* bp_vk_ops_pool.c - max pooling on CPU devices (lavapipe), f32, by
 * shaders/maxpool_cpu.comp (texel reads, vec4 stores, 8 vec4s per
 * invocation, work groups of 8):
 *  - max_pool2d, windows up to 8 x 8: outputs (values and indices
 *    contiguous) in whole vec4s.
 *  - max_pool2d_backward, dilation 1: grad_input (contiguous) in whole
 *    vec4s, each element gathering grad_output of the windows covering it
 *    whose index names it: one window without overlap (stride >= kernel),
 *    else up to 4 x 4 summed in f64 in output order (devices with
 *    shaderFloat64). No scatter: bit-identical to the reference and
 *    deterministic.
 * Other cases, and other devices, take shaders/maxpool.comp (bp_vk_ops_nn.c).
 * BP_VULKAN_POOL_GPU_PATHS=1 (tests): CPU devices choose as GPUs do. */
#include "bp_vk_ops_pool.h"

#include <string.h>

enum {
  MPC_INVOCATIONS = 0, MPC_H = 1, MPC_W = 2, MPC_C = 3, MPC_OH = 4, MPC_OW = 5, MPC_MAGIC = 6, /* 5 words */
  MPC_SH = 11, MPC_SW = 12, MPC_KH = 13, MPC_KW = 14, MPC_PH = 15, MPC_PW = 16, MPC_GS = 17, MPC_GOFF = 21,
  MPC_IS = 22, MPC_IOFF = 26, MPC_OUT4 = 27, MPC_NVEC = 28, MPC_COL0 = 29, MPC_ROW0 = 31, MPC_CHECK = 35, MPC_WORDS = 36
};

/* The multiplier m with mulhi(a, m) == a / dv for a * dv < 2^32 (0 for dv
 * 1: the shader takes a itself). */
static uint32_t magic(uint64_t dv) { return dv <= 1 ? 0u : (uint32_t)((1ull << 32) / dv + 1); }

/* The largest element index of t (offset plus the last element's). */
static uint64_t last_index(const int64_t *e, const int64_t *s, uint64_t offset) {
  uint64_t last = offset;
  for (int i = 0; i < 4; ++i) last += (uint64_t)((e[i] - 1) * s[i]);
  return last;
}

/* vec4s of grad_input per invocation (-DMPC_VECS of the variant; a work
 * group costs about 0.15 us on lavapipe, so several per invocation) */
#define MPC_VECS 8u

/* True when t is contiguous (sizes e, strides s of its [N, C, H, W] view). */
static bool pool_contiguous(const int64_t *e, const int64_t *s) {
  int64_t want = 1;
  for (int i = 3; i >= 0; --i) {
    if (e[i] != 1 && s[i] != want) return false;
    want *= e[i];
  }
  return true;
}

static bool cpu_paths(const bpvk_device_t *d) {
  return d->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU && d->texel && !d->ctx->pool_gpu_paths;
}

bp_status_t bpvk_maxpool_bw_cpu(bpvk_device_t *d, const bp_kernel_call_t *call, bool *done) {
  *done = false;
  const bp_tensor_desc_t *g = call->inputs[0], *ix = call->inputs[2], *gi = call->outputs[0];
  if (!cpu_paths(d) || gi->dtype != BP_DTYPE_F32 || bpvk_numel(g) == 0) return BP_STATUS_OK;
  int64_t ge[4], gs[4], ie[4], is[4], xe[4], xs[4];
  bpvk_nchw(g, ge, gs);
  bpvk_nchw(ix, ie, is);
  bpvk_nchw(gi, xe, xs);
  int64_t k[2], s[2], p[2];
  for (int i = 0; i < 2; ++i) {
    k[i] = bpvk_attr2(call, "kernel_size", i, 1);
    s[i] = bpvk_attr2(call, "stride", i, k[i]);
    p[i] = bpvk_attr2(call, "padding", i, 0);
    if (bpvk_attr2(call, "dilation", i, 1) != 1 || k[i] < 1 || s[i] < 1 || p[i] < 0 || p[i] >= k[i] ||
        k[i] > 4 * s[i] || k[i] > 65535)
      return BP_STATUS_OK; /* dilation, over 4 windows covering an element, odd attributes: maxpool.comp */
  }
  /* windows covering an element, per dim: 1 (no overlap) or up to 4 (the f64 sums) */
  uint32_t th = (uint32_t)((k[0] + s[0] - 1) / s[0]), tw = (uint32_t)((k[1] + s[1] - 1) / s[1]);
  int32_t variant = bpvk_variant_find(th * tw == 1 ? "mpc_8_1" : "mpc_8_1d");
  if (variant < 0 || !bpvk_variant_usable(d, variant)) return BP_STATUS_OK;
  /* grad_input contiguous, in whole vec4s */
  uint64_t n = (uint64_t)bpvk_numel(gi);
  if (!pool_contiguous(xe, xs)) return BP_STATUS_OK;
  uint32_t goff = bpvk_vt(g).offset, ioff = bpvk_vt(ix).offset, xoff = bpvk_vt(gi).offset;
  if (n % 4 != 0 || xoff % 4 != 0) return BP_STATUS_OK;
  /* the magic divisions exact: every dividend * divisor < 2^32 */
  uint64_t big = (uint64_t)xe[1];
  for (int i = 2; i < 4; ++i)
    if ((uint64_t)xe[i] + (uint64_t)p[i - 2] > big) big = (uint64_t)xe[i] + (uint64_t)p[i - 2];
  for (int i = 0; i < 2; ++i)
    if ((uint64_t)s[i] > big) big = (uint64_t)s[i];
  if ((n + big) * big >= (1ull << 32)) return BP_STATUS_OK;
  /* texel reach (R32 grad_output; indices two per R32G32B32A32 texel) */
  uint64_t reach = d->props.limits.maxTexelBufferElements;
  if (last_index(ge, gs, goff) >= reach || last_index(ie, is, ioff) / 2 >= reach) return BP_STATUS_OK;
  for (int i = 0; i < 4; ++i)
    if (gs[i] < 0 || is[i] < 0 || ge[i] != ie[i] || (i < 2 && ge[i] != xe[i])) return BP_STATUS_OK;
  uint32_t w[MPC_WORDS];
  memset(w, 0, sizeof w);
  w[MPC_NVEC] = (uint32_t)(n / 4);
  w[MPC_INVOCATIONS] = (uint32_t)((n / 4 + MPC_VECS - 1) / MPC_VECS);
  w[MPC_H] = (uint32_t)xe[2];
  w[MPC_W] = (uint32_t)xe[3];
  w[MPC_C] = (uint32_t)xe[1];
  w[MPC_OH] = (uint32_t)ge[2];
  w[MPC_OW] = (uint32_t)ge[3];
  w[MPC_MAGIC + 0] = magic((uint64_t)xe[3]);
  w[MPC_MAGIC + 1] = magic((uint64_t)xe[2]);
  w[MPC_MAGIC + 2] = magic((uint64_t)xe[1]);
  w[MPC_MAGIC + 3] = magic((uint64_t)s[0]);
  w[MPC_MAGIC + 4] = magic((uint64_t)s[1]);
  w[MPC_SH] = (uint32_t)s[0];
  w[MPC_SW] = (uint32_t)s[1];
  w[MPC_KH] = (uint32_t)k[0];
  w[MPC_KW] = (uint32_t)k[1];
  w[MPC_PH] = (uint32_t)p[0];
  w[MPC_PW] = (uint32_t)p[1];
  w[MPC_COL0] = (uint32_t)(p[1] / s[1]);
  w[MPC_COL0 + 1] = (uint32_t)(p[1] % s[1]);
  w[MPC_ROW0] = (uint32_t)(p[0] / s[0]);
  w[MPC_ROW0 + 1] = (uint32_t)(p[0] % s[0]);
  for (int i = 0; i < 4; ++i) {
    w[MPC_GS + i] = (uint32_t)gs[i];
    w[MPC_IS + i] = (uint32_t)is[i];
  }
  w[MPC_GOFF] = goff;
  w[MPC_IOFF] = ioff;
  w[MPC_OUT4] = xoff / 4;
  VkBuffer out[3] = {bpvk_vt(gi).buffer, VK_NULL_HANDLE, VK_NULL_HANDLE};
  VkBuffer tex[BPVK_MAX_TEXELS] = {bpvk_vt(g).buffer, bpvk_vt(ix).buffer, VK_NULL_HANDLE};
  VkFormat fmt[BPVK_MAX_TEXELS] = {VK_FORMAT_R32_SFLOAT, VK_FORMAT_R32G32B32A32_SFLOAT, VK_FORMAT_R32_SFLOAT};
  uint32_t gx, gy;
  bpvk_grid_1d(w[MPC_INVOCATIONS], 8, &gx, &gy);
  *done = true;
  return bpvk_dispatch_texel_checked(d, variant, th | tw << 16, out, tex, fmt, w, MPC_WORDS, gx, gy, 1,
                                     "max_pool2d_backward: an index is not in its pooling window "
                                     "(out of range for the input plane, or not from max_pool2d)");
}

enum {
  MPF_INVOCATIONS = 0, MPF_H = 1, MPF_W = 2, MPF_C = 3, MPF_OH = 4, MPF_OW = 5, MPF_MAGIC = 6, /* 3 words */
  MPF_SH = 11, MPF_SW = 12, MPF_PH = 15, MPF_PW = 16, MPF_DH = 17, MPF_DW = 18, MPF_XS = 19, MPF_XOFF = 23,
  MPF_VOFF4 = 24, MPF_IOFF2 = 25, MPF_NVEC = 28, MPF_WORDS = 32
};

bp_status_t bpvk_maxpool_cpu(bpvk_device_t *d, const bp_kernel_call_t *call, bool *done) {
  *done = false;
  const bp_tensor_desc_t *x = call->inputs[0], *vo = call->outputs[0], *io = call->outputs[1];
  if (!cpu_paths(d) || x->dtype != BP_DTYPE_F32 || bpvk_numel(vo) == 0) return BP_STATUS_OK;
  int32_t variant = bpvk_variant_find("mpc_8_0");
  if (variant < 0 || !bpvk_variant_usable(d, variant)) return BP_STATUS_OK;
  int64_t xe[4], xs[4], ve[4], vs[4], ie[4], is[4];
  bpvk_nchw(x, xe, xs);
  bpvk_nchw(vo, ve, vs);
  bpvk_nchw(io, ie, is);
  int64_t k[2], s[2], p[2], dl[2];
  for (int i = 0; i < 2; ++i) {
    k[i] = bpvk_attr2(call, "kernel_size", i, 1);
    s[i] = bpvk_attr2(call, "stride", i, k[i]);
    p[i] = bpvk_attr2(call, "padding", i, 0);
    dl[i] = bpvk_attr2(call, "dilation", i, 1);
    if (k[i] < 1 || k[i] > 8 || s[i] < 1 || p[i] < 0 || dl[i] < 1 || p[i] > 65535 || s[i] > 65535 || dl[i] > 65535)
      return BP_STATUS_OK; /* the taps are unrolled: small windows only */
  }
  uint64_t n = (uint64_t)bpvk_numel(vo);
  uint32_t xoff = bpvk_vt(x).offset, voff = bpvk_vt(vo).offset, ioff = bpvk_vt(io).offset;
  if (!pool_contiguous(ve, vs) || !pool_contiguous(ie, is) || n % 4 != 0 || voff % 4 != 0 || ioff % 2 != 0)
    return BP_STATUS_OK;
  for (int i = 0; i < 4; ++i)
    if (xs[i] < 0) return BP_STATUS_OK;
  uint64_t big = (uint64_t)(ve[1] > ve[2] ? ve[1] : ve[2]);
  if ((uint64_t)ve[3] > big) big = (uint64_t)ve[3];
  if ((n + big) * big >= (1ull << 32) || (uint64_t)xe[2] * (uint64_t)xe[3] >= (1ull << 31)) return BP_STATUS_OK;
  if (last_index(xe, xs, xoff) >= d->props.limits.maxTexelBufferElements) return BP_STATUS_OK;
  uint32_t w[MPF_WORDS];
  memset(w, 0, sizeof w);
  w[MPF_NVEC] = (uint32_t)(n / 4);
  w[MPF_INVOCATIONS] = (uint32_t)((n / 4 + MPC_VECS - 1) / MPC_VECS);
  w[MPF_H] = (uint32_t)xe[2];
  w[MPF_W] = (uint32_t)xe[3];
  w[MPF_C] = (uint32_t)ve[1];
  w[MPF_OH] = (uint32_t)ve[2];
  w[MPF_OW] = (uint32_t)ve[3];
  w[MPF_MAGIC + 0] = magic((uint64_t)ve[3]);
  w[MPF_MAGIC + 1] = magic((uint64_t)ve[2]);
  w[MPF_MAGIC + 2] = magic((uint64_t)ve[1]);
  w[MPF_SH] = (uint32_t)s[0];
  w[MPF_SW] = (uint32_t)s[1];
  w[MPF_PH] = (uint32_t)p[0];
  w[MPF_PW] = (uint32_t)p[1];
  w[MPF_DH] = (uint32_t)dl[0];
  w[MPF_DW] = (uint32_t)dl[1];
  for (int i = 0; i < 4; ++i) w[MPF_XS + i] = (uint32_t)xs[i];
  w[MPF_XOFF] = xoff;
  w[MPF_VOFF4] = voff / 4;
  w[MPF_IOFF2] = ioff / 2;
  VkBuffer out[3] = {bpvk_vt(vo).buffer, bpvk_vt(io).buffer, VK_NULL_HANDLE};
  VkBuffer tex[BPVK_MAX_TEXELS] = {bpvk_vt(x).buffer, VK_NULL_HANDLE, VK_NULL_HANDLE};
  VkFormat fmt[BPVK_MAX_TEXELS] = {VK_FORMAT_R32_SFLOAT, VK_FORMAT_R32_SFLOAT, VK_FORMAT_R32_SFLOAT};
  uint32_t gx, gy;
  bpvk_grid_1d(w[MPF_INVOCATIONS], 8, &gx, &gy);
  *done = true;
  return bpvk_dispatch_texel(d, variant, (uint32_t)k[0] | (uint32_t)k[1] << 16, out, tex, fmt, w, MPF_WORDS, gx, gy,
                             1);
}

/* ---- avg_pool2d and avg_pool2d_backward (shaders/avgpool_cpu.comp) ---- */

enum {
  APC_INVOCATIONS = 0, APC_H = 1, APC_W = 2, APC_C = 3, APC_OH = 4, APC_OW = 5, APC_MAGIC = 6, /* 5 words */
  APC_SH = 11, APC_SW = 12, APC_KH = 13, APC_KW = 14, APC_PH = 15, APC_PW = 16, APC_INCLUDE_PAD = 17,
  APC_OVERRIDE = 18, APC_INS = 19, APC_INOFF = 23, APC_OUT4 = 24, APC_NVEC = 28, APC_COL0 = 29, APC_ROW0 = 31,
  APC_WORDS = 36
};

bp_status_t bpvk_avgpool_cpu(bpvk_device_t *d, const bp_kernel_call_t *call, bool bw, bool *done) {
  *done = false;
  /* forward: x -> out; backward: grad_output (x unused) -> grad_input */
  const bp_tensor_desc_t *in = call->inputs[0], *out = call->outputs[0], *x = bw ? call->inputs[1] : in;
  if (!cpu_paths(d) || out->dtype != BP_DTYPE_F32 || bpvk_numel(in) == 0) return BP_STATUS_OK;
  int64_t ne[4], ns[4], oe[4], os[4], xe[4], xs[4];
  bpvk_nchw(in, ne, ns);
  bpvk_nchw(out, oe, os);
  bpvk_nchw(x, xe, xs);
  const int64_t *pe = bw ? ne : oe; /* the pooled [N, C, OH, OW] */
  int64_t k[2], s[2], p[2];
  uint32_t spec[2];
  for (int i = 0; i < 2; ++i) {
    k[i] = bpvk_attr2(call, "kernel_size", i, 1);
    s[i] = bpvk_attr2(call, "stride", i, k[i]);
    p[i] = bpvk_attr2(call, "padding", i, 0);
    if (k[i] < 1 || s[i] < 1 || p[i] < 0 || p[i] >= k[i] || (bw ? k[i] > 4 * s[i] : k[i] > 8) || k[i] > 65535)
      return BP_STATUS_OK; /* the taps or windows are unrolled: avgpool.comp */
    spec[i] = (uint32_t)(bw ? (k[i] + s[i] - 1) / s[i] : k[i]);
  }
  int32_t variant = bpvk_variant_find(bw ? "apc_8_2" : "apc_8_0");
  if (variant < 0 || !bpvk_variant_usable(d, variant)) return BP_STATUS_OK;
  uint64_t n = (uint64_t)bpvk_numel(out);
  uint32_t inoff = bpvk_vt(in).offset, ooff = bpvk_vt(out).offset;
  if (!pool_contiguous(oe, os) || n % 4 != 0 || ooff % 4 != 0) return BP_STATUS_OK;
  for (int i = 0; i < 4; ++i)
    if (ns[i] < 0) return BP_STATUS_OK;
  /* the magic divisions exact (every dividend * divisor < 2^32) */
  uint64_t big = (uint64_t)oe[1];
  for (int i = 2; i < 4; ++i)
    if ((uint64_t)oe[i] + (uint64_t)p[i - 2] > big) big = (uint64_t)oe[i] + (uint64_t)p[i - 2];
  for (int i = 0; i < 2; ++i)
    if ((uint64_t)s[i] > big) big = (uint64_t)s[i];
  if ((n + big) * big >= (1ull << 32) || (uint64_t)xe[2] * (uint64_t)xe[3] >= (1ull << 31)) return BP_STATUS_OK;
  if (last_index(ne, ns, inoff) >= d->props.limits.maxTexelBufferElements) return BP_STATUS_OK;
  uint32_t w[APC_WORDS];
  memset(w, 0, sizeof w);
  w[APC_NVEC] = (uint32_t)(n / 4);
  w[APC_INVOCATIONS] = (uint32_t)((n / 4 + MPC_VECS - 1) / MPC_VECS);
  w[APC_H] = (uint32_t)xe[2];
  w[APC_W] = (uint32_t)xe[3];
  w[APC_C] = (uint32_t)oe[1];
  w[APC_OH] = (uint32_t)pe[2];
  w[APC_OW] = (uint32_t)pe[3];
  w[APC_MAGIC + 0] = magic((uint64_t)oe[3]);
  w[APC_MAGIC + 1] = magic((uint64_t)oe[2]);
  w[APC_MAGIC + 2] = magic((uint64_t)oe[1]);
  w[APC_MAGIC + 3] = magic((uint64_t)s[0]);
  w[APC_MAGIC + 4] = magic((uint64_t)s[1]);
  w[APC_SH] = (uint32_t)s[0];
  w[APC_SW] = (uint32_t)s[1];
  w[APC_KH] = (uint32_t)k[0];
  w[APC_KW] = (uint32_t)k[1];
  w[APC_PH] = (uint32_t)p[0];
  w[APC_PW] = (uint32_t)p[1];
  w[APC_INCLUDE_PAD] = bpvk_attr_b(call, "count_include_pad", true) ? 1u : 0u;
  w[APC_OVERRIDE] = (uint32_t)(int32_t)bpvk_attr_i(call, "divisor_override", 0);
  for (int i = 0; i < 4; ++i) w[APC_INS + i] = (uint32_t)ns[i];
  w[APC_INOFF] = inoff;
  w[APC_OUT4] = ooff / 4;
  w[APC_COL0] = (uint32_t)(p[1] / s[1]);
  w[APC_COL0 + 1] = (uint32_t)(p[1] % s[1]);
  w[APC_ROW0] = (uint32_t)(p[0] / s[0]);
  w[APC_ROW0 + 1] = (uint32_t)(p[0] % s[0]);
  VkBuffer ob[3] = {bpvk_vt(out).buffer, VK_NULL_HANDLE, VK_NULL_HANDLE};
  VkBuffer tex[BPVK_MAX_TEXELS] = {bpvk_vt(in).buffer, VK_NULL_HANDLE, VK_NULL_HANDLE};
  VkFormat fmt[BPVK_MAX_TEXELS] = {VK_FORMAT_R32_SFLOAT, VK_FORMAT_R32_SFLOAT, VK_FORMAT_R32_SFLOAT};
  uint32_t gx, gy;
  bpvk_grid_1d(w[APC_INVOCATIONS], 8, &gx, &gy);
  *done = true;
  return bpvk_dispatch_texel(d, variant, spec[0] | spec[1] << 16, ob, tex, fmt, w, APC_WORDS, gx, gy, 1);
}
