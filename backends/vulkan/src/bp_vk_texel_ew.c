/* bp_vk_texel_ew.c - f32 elementwise ops on CPU drivers through vec4 texel
 * reads (shaders/ewv4.glsl): lavapipe loads and stores storage buffers
 * lane by lane (a loop over the 8 SIMD lanes per access, whatever its
 * width), so reading vec4 texels and storing one vec4 per access moves 4x
 * the bytes per lane loop. Calls whose layout does not fit are left to the
 * general shaders (BP_STATUS_UNSUPPORTED, nothing recorded). */
#include <string.h>

#include "bp_vk_kernel_util.h"

/* True when every element of t lies within the first `limit` elements of
 * its block. */
static bool within(const bp_tensor_desc_t *t, uint64_t limit) {
  uint64_t last = bpvk_vt(t).offset;
  for (int32_t i = 0; i < t->ndim; ++i) last += (uint64_t)(t->shape[i] - 1) * (uint64_t)t->strides[i];
  return last < limit;
}

bool bpvk_texel_cpu(const bpvk_device_t *d) {
  return d->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU && d->texel;
}

/* Both UINT formats work as uniform texel buffers (the raw copy's views). */
static bool uint_texels(const bpvk_device_t *d) {
  VkFormatProperties p1, p4;
  vkGetPhysicalDeviceFormatProperties(d->phys, VK_FORMAT_R32_UINT, &p1);
  vkGetPhysicalDeviceFormatProperties(d->phys, VK_FORMAT_R32G32B32A32_UINT, &p4);
  return (p1.bufferFeatures & VK_FORMAT_FEATURE_UNIFORM_TEXEL_BUFFER_BIT) &&
         (p4.bufferFeatures & VK_FORMAT_FEATURE_UNIFORM_TEXEL_BUFFER_BIT);
}

/* raw: a 4-byte copy (any 4-byte dtype, bits unchanged, UINT views); else
 * f32 inputs (SFLOAT views) and an f32 output, or a bool one (cmp). */
static bp_status_t record_vec4(bpvk_device_t *d, const bp_kernel_call_t *call, const char *variant, uint32_t spec,
                               const uint32_t extra[BPVK_EW_NEXTRA], bool raw, bool cmp) {
  uint32_t nin = call->num_inputs;
  int32_t v = bpvk_variant_find(variant);
  if (!bpvk_texel_cpu(d) || nin < 1 || nin > 2 || !bpvk_variant_usable(d, v) || (raw && nin != 1))
    return BP_STATUS_UNSUPPORTED;
  const bp_tensor_desc_t *ops[3] = {call->outputs[0], call->inputs[0], nin > 1 ? call->inputs[1] : NULL};
  for (uint32_t k = 0; k <= nin; ++k) {
    bp_dtype_t want = k == 0 && cmp ? BP_DTYPE_BOOL : BP_DTYPE_F32;
    if (raw ? ops[k]->dtype != ops[0]->dtype || bp_abi_dtype_size(ops[k]->dtype) != 4 : ops[k]->dtype != want)
      return BP_STATUS_UNSUPPORTED;
  }
  if (raw && !uint_texels(d)) return BP_STATUS_UNSUPPORTED;
  uint32_t w[BPVK_EW_WORDS];
  bpvk_ew_params(w, ops, (int)nin + 1);
  uint32_t nd = w[BPVK_EW_NDIM];
  /* One dim of at least one vec4, or two with rows of whole vec4s. */
  if (nd > 2 || (nd == 1 && w[BPVK_EW_NUMEL] < 4) || (nd == 2 && w[BPVK_EW_SHAPE + 1] % 4))
    return BP_STATUS_UNSUPPORTED;
  /* Input k: a vec4 view (inner stride 1, offset and outer stride in whole
   * vec4s) or one element per row (inner stride 0) from its vec4 texel;
   * else element by element through an R32 view (EWV_*S). */
  uint64_t texels = d->props.limits.maxTexelBufferElements;
  VkBuffer bufs[3] = {bpvk_vt(ops[0]).buffer, VK_NULL_HANDLE, VK_NULL_HANDLE};
  VkBuffer tex[3] = {VK_NULL_HANDLE, VK_NULL_HANDLE, VK_NULL_HANDLE};
  VkFormat fmt[3] = {VK_FORMAT_UNDEFINED, VK_FORMAT_UNDEFINED, VK_FORMAT_UNDEFINED};
  spec |= (nd == 2 ? 256u : 0u) | (nd == 1 && w[BPVK_EW_NUMEL] % 4 ? 32768u : 0u);
  for (uint32_t k = 0; k <= nin; ++k) {
    const uint32_t *opw = w + BPVK_EW_OP0 + BPVK_EW_OPSTRIDE * k; /* offset, strides */
    uint32_t inner = opw[nd], outer = nd == 2 ? opw[1] : 0;
    bool vec = inner == 1 && opw[0] % 4 == 0 && outer % 4 == 0;
    if (k == 0) {
      if (!vec) return BP_STATUS_UNSUPPORTED;
      continue;
    }
    bool r32 = !vec && inner != 0;
    if (!within(ops[k], r32 ? texels : 4 * texels)) return BP_STATUS_UNSUPPORTED;
    if (inner == 0) spec |= 512u << (k - 1);
    if (r32) spec |= 2048u << (k - 1);
    bufs[k] = tex[k - 1] = bpvk_vt(ops[k]).buffer;
    fmt[k - 1] = raw ? (r32 ? VK_FORMAT_R32_UINT : VK_FORMAT_R32G32B32A32_UINT)
                     : (r32 ? VK_FORMAT_R32_SFLOAT : VK_FORMAT_R32G32B32A32_SFLOAT);
  }
  if (extra) memcpy(w + BPVK_EW_EXTRA, extra, BPVK_EW_NEXTRA * 4);
  uint64_t n4 = nd == 2 ? (uint64_t)w[BPVK_EW_SHAPE] * (w[BPVK_EW_SHAPE + 1] / 4) : w[BPVK_EW_NUMEL] / 4;
  uint32_t gx, gy;
  bpvk_grid_1d((n4 + 3) / 4, 256, &gx, &gy); /* 4 vec4s per invocation (EW_V4) */
  return bpvk_dispatch_texel(d, v, spec, bufs, tex, fmt, w, BPVK_EW_WORDS, gx, gy, 1);
}

bp_status_t bpvk_record_ew_vec4(bpvk_device_t *d, const bp_kernel_call_t *call, const char *variant, uint32_t spec,
                                const uint32_t extra[BPVK_EW_NEXTRA]) {
  return record_vec4(d, call, variant, spec, extra, false, false);
}

bp_status_t bpvk_record_copy_vec4(bpvk_device_t *d, const bp_kernel_call_t *call) {
  return record_vec4(d, call, "copy_v4_4", 0, NULL, true, false);
}

bp_status_t bpvk_record_cmp_vec4(bpvk_device_t *d, const bp_kernel_call_t *call, uint32_t op) {
  return record_vec4(d, call, call->num_inputs == 2 ? "cmp_v4_8" : "pred_v4_8", op, NULL, false, true);
}
