/* bp_vk_texel_softmax.c - f32 softmax, log_softmax and their backward ops
 * on CPU drivers through vec4 texel reads (shaders/softmax_texel.comp, one
 * invocation per row): along a unit-stride dim of whole vec4s, every row
 * of every tensor starting on a whole vec4 and the other dims merging into
 * one. Anything else takes softmax.comp (one work group per row). */
#include <stdio.h>
#include <string.h>

#include "bp_vk_kernel_util.h"

enum { SX_ROWS, SX_M, SX_XOFF, SX_XRS, SX_OOFF, SX_ORS, SX_YOFF, SX_YRS, SX_WORDS };

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

bp_status_t bpvk_softmax_texel(const bp_kernel_call_t *call, uint32_t op) {
  bpvk_ctx_t *ctx = call->plugin_ctx;
  uint32_t nin = op >= 2 ? 2 : 1;
  if (call->device_index >= ctx->ndevices || op > 3 || call->num_inputs != nin || call->num_outputs != 1)
    return BP_STATUS_UNSUPPORTED;
  bpvk_device_t *d = &ctx->devices[call->device_index];
  char name[16];
  snprintf(name, sizeof name, "smt_%u", op);
  int32_t v = bpvk_variant_find(name);
  /* t: x (grad_output), out, y (backward: the forward's output) */
  const bp_tensor_desc_t *t[3] = {call->inputs[0], call->outputs[0], nin > 1 ? call->inputs[1] : NULL};
  const bp_tensor_desc_t *x = t[0];
  if (!bpvk_texel_cpu(d) || !bpvk_variant_usable(d, v) || x->ndim < 1) return BP_STATUS_UNSUPPORTED;
  int64_t dim = bpvk_attr_i(call, "dim", -1);
  if (dim < 0) dim += x->ndim;
  if (dim < 0 || dim >= x->ndim) return BP_STATUS_UNSUPPORTED;
  uint64_t m = (uint64_t)x->shape[dim], rows = m ? (uint64_t)bpvk_numel(x) / m : 0, rs[3] = {0, 0, 0};
  if (m == 0 || rows == 0 || m % 4) return BP_STATUS_UNSUPPORTED;
  uint32_t p[SX_WORDS];
  memset(p, 0, sizeof p);
  uint64_t reach = 4ull * d->props.limits.maxTexelBufferElements;
  for (uint32_t k = 0; k < 3; ++k) {
    if (!t[k]) continue;
    if (t[k]->dtype != BP_DTYPE_F32 || t[k]->ndim != x->ndim || !bpvk_tensor_ok(t[k]) || t[k]->strides[dim] != 1 ||
        !rows_of(x, t[k], (int32_t)dim, &rs[k]))
      return BP_STATUS_UNSUPPORTED;
    uint32_t off = bpvk_vt(t[k]).offset;
    if (off % 4 || rs[k] % 4 || (k != 1 && off + (rows - 1) * rs[k] + m > reach)) return BP_STATUS_UNSUPPORTED;
    p[SX_XOFF + 2 * k] = off;
    p[SX_XRS + 2 * k] = (uint32_t)rs[k];
  }
  p[SX_ROWS] = (uint32_t)rows;
  p[SX_M] = (uint32_t)m;
  VkBuffer bufs[3] = {bpvk_vt(t[1]).buffer, VK_NULL_HANDLE, VK_NULL_HANDLE};
  VkBuffer tex[3] = {bpvk_vt(x).buffer, t[2] ? bpvk_vt(t[2]).buffer : VK_NULL_HANDLE, VK_NULL_HANDLE};
  VkFormat fmt[3] = {VK_FORMAT_R32G32B32A32_SFLOAT, VK_FORMAT_R32G32B32A32_SFLOAT, VK_FORMAT_UNDEFINED};
  uint32_t gx, gy;
  bpvk_grid_1d(rows, 64, &gx, &gy);
  pthread_mutex_lock(&d->mu);
  bp_status_t s = bpvk_dispatch_texel(d, v, 0, bufs, tex, fmt, p, SX_WORDS, gx, gy, 1);
  pthread_mutex_unlock(&d->mu);
  return s;
}
