/* bp_vk_texel_softmax.c - f32 softmax and log_softmax on CPU drivers
 * through vec4 texel reads (shaders/softmax_texel.comp, one invocation per
 * row): along a unit-stride dim of whole vec4s, every row of x and out
 * starting on a whole vec4 and the other dims merging into one. Anything
 * else takes softmax.comp (one work group per row). */
#include <string.h>

#include "bp_vk_kernel_util.h"

enum { SX_ROWS, SX_M, SX_XOFF, SX_XRS, SX_YOFF, SX_YRS, SX_WORDS = 8 };

/* The dims other than `dim` (x's extent 1 skipped) as one dim of t: its
 * stride, false where they do not merge. */
static bool rows_of(const bp_tensor_desc_t *x, const bp_tensor_desc_t *t, int32_t dim, uint64_t *stride) {
  int32_t inner = -1;
  *stride = 0;
  for (int32_t i = x->ndim - 1; i >= 0; --i) {
    if (i == dim || x->shape[i] == 1) continue;
    if (inner < 0) {
      *stride = (uint64_t)t->strides[i];
    } else if ((uint64_t)t->strides[i] != (uint64_t)t->strides[inner] * (uint64_t)x->shape[inner]) {
      return false;
    }
    inner = i;
  }
  return true;
}

bp_status_t bpvk_softmax_texel(const bp_kernel_call_t *call, bool log) {
  bpvk_ctx_t *ctx = call->plugin_ctx;
  if (call->device_index >= ctx->ndevices || call->num_inputs != 1 || call->num_outputs != 1)
    return BP_STATUS_UNSUPPORTED;
  bpvk_device_t *d = &ctx->devices[call->device_index];
  int32_t v = bpvk_variant_find(log ? "smt_1" : "smt_0");
  const bp_tensor_desc_t *x = call->inputs[0], *y = call->outputs[0];
  if (!bpvk_texel_cpu(d) || !bpvk_variant_usable(d, v) || x->dtype != BP_DTYPE_F32 || y->dtype != BP_DTYPE_F32 ||
      x->ndim < 1 || y->ndim != x->ndim || !bpvk_tensor_ok(x) || !bpvk_tensor_ok(y))
    return BP_STATUS_UNSUPPORTED;
  int64_t dim = bpvk_attr_i(call, "dim", -1);
  if (dim < 0) dim += x->ndim;
  if (dim < 0 || dim >= x->ndim) return BP_STATUS_UNSUPPORTED;
  uint64_t m = (uint64_t)x->shape[dim], rows = (uint64_t)(bpvk_numel(x) / (m ? (int64_t)m : 1)), xr, yr;
  if (m == 0 || rows == 0 || m % 4 || x->strides[dim] != 1 || y->strides[dim] != 1 ||
      !rows_of(x, x, (int32_t)dim, &xr) || !rows_of(x, y, (int32_t)dim, &yr))
    return BP_STATUS_UNSUPPORTED;
  bpvk_vtensor_t xv = bpvk_vt(x), yv = bpvk_vt(y);
  if (xv.offset % 4 || xr % 4 || yv.offset % 4 || yr % 4 ||
      xv.offset + (rows - 1) * xr + m > 4ull * d->props.limits.maxTexelBufferElements)
    return BP_STATUS_UNSUPPORTED;
  uint32_t p[SX_WORDS];
  memset(p, 0, sizeof p);
  p[SX_ROWS] = (uint32_t)rows;
  p[SX_M] = (uint32_t)m;
  p[SX_XOFF] = xv.offset;
  p[SX_XRS] = (uint32_t)xr;
  p[SX_YOFF] = yv.offset;
  p[SX_YRS] = (uint32_t)yr;
  VkBuffer bufs[3] = {yv.buffer, VK_NULL_HANDLE, VK_NULL_HANDLE};
  VkBuffer tex[3] = {xv.buffer, VK_NULL_HANDLE, VK_NULL_HANDLE};
  VkFormat fmt[3] = {VK_FORMAT_R32G32B32A32_SFLOAT, VK_FORMAT_UNDEFINED, VK_FORMAT_UNDEFINED};
  uint32_t gx, gy;
  bpvk_grid_1d(rows, 64, &gx, &gy);
  pthread_mutex_lock(&d->mu);
  bp_status_t s = bpvk_dispatch_texel(d, v, 0, bufs, tex, fmt, p, SX_WORDS, gx, gy, 1);
  pthread_mutex_unlock(&d->mu);
  return s;
}
