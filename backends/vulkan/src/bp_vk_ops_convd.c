/* bp_vk_ops_convd.c - conv1d (every dtype the reference has) and
 * conv_transpose2d (i64 and floats) as direct convolutions
 * (shaders/convd.comp), one invocation per output element. Semantics of
 * reference/src/ref_nn.c; padding_same pads d * (k - 1) / 2 on the left.
 * conv2d itself is bp_vk_ops_conv.c's (the fast f32 paths). */
#include <stdio.h>
#include <string.h>

#include "bp_vk_kernel_util.h"

enum { CD_CONV1D, CD_TRANSPOSED };

static int32_t variant_convd(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  char name[32];
  snprintf(name, sizeof name, "convd_%u_%u", k->op, call->outputs[0]->dtype);
  return bpvk_variant_find(name);
}

static bool convd_ok(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  const bp_tensor_desc_t *x = call->inputs[0], *w = call->inputs[1], *o = call->outputs[0];
  int nsp = k->op == CD_CONV1D ? 1 : 2;
  int64_t groups = bpvk_attr_i(call, "groups", 1);
  if ((x->ndim != nsp + 1 && x->ndim != nsp + 2) || o->ndim != x->ndim || w->ndim != nsp + 2 || groups < 1)
    return false;
  if (bpvk_attr_b(call, "has_bias", true) && call->inputs[2]->ndim != 1) return false;
  return true;
}

static const bpvk_kernel_t kConvd[] = {{variant_convd, convd_ok, CD_CONV1D, 0},
                                       {variant_convd, convd_ok, CD_TRANSPOSED, 0}};

enum { CD_WORDS = 40 };

static int64_t attr_at(const bp_kernel_call_t *call, const char *name, int nsp, int i, int64_t def) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  if (!a || a->type != BP_ATTR_INTS || a->count == 0) return def;
  return a->value.ints[a->count == 1 ? 0 : (a->count == (uint32_t)nsp ? i : 0)];
}

/* A tensor as [N, C, H, W] (sizes e, strides s): missing batch 1, missing
 * H (1-D) 1 with stride 0. */
static void as_nchw(const bp_tensor_desc_t *t, int nsp, bool batched, int64_t *e, int64_t *s) {
  int d = 0;
  e[0] = 1, s[0] = 0, e[2] = 1, s[2] = 0;
  if (batched) e[0] = t->shape[d], s[0] = t->strides[d], ++d;
  e[1] = t->shape[d], s[1] = t->strides[d], ++d;
  if (nsp == 2) e[2] = t->shape[d], s[2] = t->strides[d], ++d;
  e[3] = t->shape[d], s[3] = t->strides[d];
}

static bp_status_t rec_convd(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  const bpvk_kernel_t *k = call->kernel_data;
  const bp_tensor_desc_t *x = call->inputs[0], *wt = call->inputs[1], *b = call->inputs[2], *o = call->outputs[0];
  int nsp = k->op == CD_CONV1D ? 1 : 2;
  bool batched = x->ndim == nsp + 2, has_bias = bpvk_attr_b(call, "has_bias", true);
  int64_t xe[4], xs[4], we[4], ws[4], oe[4], os[4];
  as_nchw(x, nsp, batched, xe, xs);
  as_nchw(wt, nsp, true, we, ws);
  as_nchw(o, nsp, batched, oe, os);
  int64_t groups = bpvk_attr_i(call, "groups", 1);
  uint32_t w[CD_WORDS];
  memset(w, 0, sizeof w);
  w[0] = (uint32_t)bpvk_numel(o);
  for (int i = 0; i < 4; ++i) {
    w[5 + i] = (uint32_t)xs[i];
    w[13 + i] = (uint32_t)os[i];
    w[18 + i] = (uint32_t)ws[i];
  }
  w[1] = (uint32_t)xe[0], w[2] = (uint32_t)xe[1], w[3] = (uint32_t)xe[2], w[4] = (uint32_t)xe[3];
  w[9] = bpvk_numel(x) ? bpvk_vt(x).offset : 0u;
  w[10] = (uint32_t)oe[1], w[11] = (uint32_t)oe[2], w[12] = (uint32_t)oe[3];
  w[17] = bpvk_vt(o).offset;
  w[22] = bpvk_numel(wt) ? bpvk_vt(wt).offset : 0u;
  w[24] = (uint32_t)we[2], w[25] = (uint32_t)we[3];
  if (k->op == CD_CONV1D) {
    w[23] = (uint32_t)we[1];                 /* input channels per group */
    w[32] = (uint32_t)(we[0] / groups);      /* output channels per group */
    bool same = bpvk_attr_b(call, "padding_same", false);
    int64_t dil = attr_at(call, "dilation", 1, 0, 1);
    w[26] = 1, w[28] = 0, w[30] = 1;
    w[27] = (uint32_t)attr_at(call, "stride", 1, 0, 1);
    w[29] = (uint32_t)(same ? dil * (we[3] - 1) / 2 : attr_at(call, "padding", 1, 0, 0));
    w[31] = (uint32_t)dil;
  } else {
    w[23] = (uint32_t)(xe[1] / groups);
    w[32] = (uint32_t)we[1];
    for (int i = 0; i < 2; ++i) {
      w[26 + i] = (uint32_t)attr_at(call, "stride", 2, i, 1);
      w[28 + i] = (uint32_t)attr_at(call, "padding", 2, i, 0);
      w[30 + i] = (uint32_t)attr_at(call, "dilation", 2, i, 1);
    }
  }
  w[35] = has_bias ? 1u : 0u;
  if (has_bias) {
    w[33] = (uint32_t)b->strides[0];
    w[34] = bpvk_vt(b).offset;
  }
  VkBuffer bufs[4] = {bpvk_vt(o).buffer, bpvk_numel(x) ? bpvk_vt(x).buffer : VK_NULL_HANDLE,
                      bpvk_numel(wt) ? bpvk_vt(wt).buffer : VK_NULL_HANDLE,
                      has_bias && bpvk_numel(b) ? bpvk_vt(b).buffer : VK_NULL_HANDLE};
  uint32_t gx, gy;
  bpvk_grid_1d(w[0], 256, &gx, &gy);
  return bpvk_dispatch_n(d, variant, 0, bufs, 4, w, CD_WORDS, gx, gy, 1, NULL);
}

static bp_status_t k_convd(const bp_kernel_call_t *c) { return bpvk_kernel_run(c, rec_convd); }

bp_status_t bpvk_ops_convd_register(bpvk_ctx_t *ctx) {
  bp_status_t s = BP_STATUS_OK;
  char name[32];
  for (bp_dtype_t t = BP_DTYPE_U8; t <= BP_DTYPE_F64 && !s; ++t) {
    bp_dtype_t s4[4] = {t, t, t, t};
    snprintf(name, sizeof name, "convd_%u_%u", CD_CONV1D, t);
    s = bpvk_kernel_reg(ctx, "conv1d", name, s4, 4, k_convd, &kConvd[CD_CONV1D]);
    snprintf(name, sizeof name, "convd_%u_%u", CD_TRANSPOSED, t);
    if (!s) s = bpvk_kernel_reg(ctx, "conv_transpose2d", name, s4, 4, k_convd, &kConvd[CD_TRANSPOSED]);
  }
  return s;
}
