/* bp_vk_texel_norm.c - f32 layer_norm and rms_norm on CPU drivers through
 * vec4 texel reads (shaders/norm_texel.comp, one invocation per row):
 * where the normalized dims are one unit-stride run of whole vec4s in x,
 * y, the weight and the bias, every row starts on a whole vec4, and the
 * leading dims merge into one in x, y and the statistics. Anything else
 * takes norm.comp (one work group per row). */
#include <string.h>

#include "bp_vk_kernel_util.h"

enum { NT_ROWS, NT_M, NT_XOFF, NT_XRS, NT_YOFF, NT_YRS, NT_WOFF, NT_BOFF, NT_MOFF, NT_MRS, NT_ROFF, NT_RRS, NT_EPS,
       NT_FLAGS, NT_WORDS = 16 };

/* dims [from, to) of t (those of x's extent 1 skipped) as one run: its
 * innermost stride, false where they do not merge. */
static bool one_run(const bp_tensor_desc_t *x, const bp_tensor_desc_t *t, int32_t shift, int32_t from, int32_t to,
                    uint64_t *stride) {
  int32_t inner = -1;
  *stride = 0;
  for (int32_t i = to - 1; i >= from; --i) {
    if (x->shape[i] == 1) continue;
    if (i - shift < 0 || i - shift >= t->ndim) return false;
    uint64_t s = (uint64_t)t->strides[i - shift];
    if (inner < 0) {
      *stride = s;
    } else if (s != (uint64_t)t->strides[inner - shift] * (uint64_t)x->shape[inner]) {
      return false;
    }
    inner = i;
  }
  return true;
}

bp_status_t bpvk_norm_texel(const bp_kernel_call_t *call, bool rms) {
  bpvk_ctx_t *ctx = call->plugin_ctx;
  if (call->device_index >= ctx->ndevices) return BP_STATUS_UNSUPPORTED;
  bpvk_device_t *d = &ctx->devices[call->device_index];
  int32_t v = bpvk_variant_find("normt_8");
  const bp_tensor_desc_t *x = call->inputs[0], *y = call->outputs[0];
  const bp_attr_t *ns = bp_abi_find_attr(call, "normalized_shape");
  if (!bpvk_texel_cpu(d) || !bpvk_variant_usable(d, v) || x->dtype != BP_DTYPE_F32 || !ns ||
      ns->type != BP_ATTR_INTS || (int32_t)ns->count > x->ndim || y->ndim != x->ndim)
    return BP_STATUS_UNSUPPORTED;
  for (uint32_t i = 0; i < call->num_inputs; ++i)
    if (call->inputs[i] && !bpvk_tensor_ok(call->inputs[i])) return BP_STATUS_UNSUPPORTED;
  for (uint32_t i = 0; i < call->num_outputs; ++i)
    if (!bpvk_tensor_ok(call->outputs[i])) return BP_STATUS_UNSUPPORTED;
  bool hw = bpvk_attr_b(call, "has_weight", false), hb = !rms && bpvk_attr_b(call, "has_bias", false);
  const bp_tensor_desc_t *w = call->inputs[1], *b = rms ? NULL : call->inputs[2];
  const bp_tensor_desc_t *mean = rms ? NULL : call->outputs[1], *rstd = call->outputs[rms ? 1 : 2];
  int32_t kd = (int32_t)ns->count, lead = x->ndim - kd;
  uint64_t rows = 1, m = 1;
  for (int32_t i = 0; i < x->ndim; ++i) *(i < lead ? &rows : &m) *= (uint64_t)x->shape[i];
  if (rows == 0 || m == 0 || m % 4 || m > 0x7fffffffu) return BP_STATUS_UNSUPPORTED;
  /* Normalized dims: unit-stride runs. Leading dims: one dim each. */
  uint64_t xs, ys, ws = 1, bs = 1, xr, yr, mr = 0, rr;
  if (!one_run(x, x, 0, lead, x->ndim, &xs) || !one_run(x, y, 0, lead, x->ndim, &ys) ||
      (hw && !one_run(x, w, lead, lead, x->ndim, &ws)) || (hb && !one_run(x, b, lead, lead, x->ndim, &bs)))
    return BP_STATUS_UNSUPPORTED;
  if ((m > 1 && (xs != 1 || ys != 1 || ws != 1 || bs != 1)) || !one_run(x, x, 0, 0, lead, &xr) ||
      !one_run(x, y, 0, 0, lead, &yr) || (mean && !one_run(x, mean, 0, 0, lead, &mr)) ||
      !one_run(x, rstd, 0, 0, lead, &rr))
    return BP_STATUS_UNSUPPORTED;
  bpvk_vtensor_t xv = bpvk_vt(x), yv = bpvk_vt(y), rv = bpvk_vt(rstd);
  uint32_t wo = hw ? bpvk_vt(w).offset : 0, bo = hb ? bpvk_vt(b).offset : 0;
  uint64_t reach = 4ull * d->props.limits.maxTexelBufferElements;
  if (xv.offset % 4 || xr % 4 || yv.offset % 4 || yr % 4 || wo % 4 || bo % 4 ||
      xv.offset + (rows - 1) * xr + m > reach || wo + m > reach || bo + m > reach)
    return BP_STATUS_UNSUPPORTED;
  uint32_t p[NT_WORDS];
  memset(p, 0, sizeof p);
  p[NT_ROWS] = (uint32_t)rows;
  p[NT_M] = (uint32_t)m;
  p[NT_XOFF] = xv.offset;
  p[NT_XRS] = (uint32_t)xr;
  p[NT_YOFF] = yv.offset;
  p[NT_YRS] = (uint32_t)yr;
  p[NT_WOFF] = wo;
  p[NT_BOFF] = bo;
  p[NT_MOFF] = mean ? bpvk_vt(mean).offset : 0;
  p[NT_MRS] = (uint32_t)mr;
  p[NT_ROFF] = rv.offset;
  p[NT_RRS] = (uint32_t)rr;
  bpvk_put_f32(p + NT_EPS, bpvk_attr_f(call, "eps", 1e-5));
  p[NT_FLAGS] = (hw ? 1u : 0u) | (hb ? 2u : 0u) | (rms ? 4u : 0u);
  /* mean's binding repeats rstd's for rms_norm (never written). */
  VkBuffer bufs[3] = {yv.buffer, mean ? bpvk_vt(mean).buffer : rv.buffer, rv.buffer};
  VkBuffer tex[3] = {xv.buffer, hw ? bpvk_vt(w).buffer : VK_NULL_HANDLE, hb ? bpvk_vt(b).buffer : VK_NULL_HANDLE};
  VkFormat fmt[3] = {VK_FORMAT_R32G32B32A32_SFLOAT, VK_FORMAT_R32G32B32A32_SFLOAT, VK_FORMAT_R32G32B32A32_SFLOAT};
  uint32_t gx, gy;
  bpvk_grid_1d(rows, 64, &gx, &gy);
  pthread_mutex_lock(&d->mu);
  bp_status_t s = bpvk_dispatch_texel(d, v, 0, bufs, tex, fmt, p, NT_WORDS, gx, gy, 1);
  pthread_mutex_unlock(&d->mu);
  return s;
}
