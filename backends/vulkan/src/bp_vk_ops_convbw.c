/* bp_vk_ops_convbw.c - conv2d_backward (shaders/convbw.comp): three
 * dispatches, grad_input, grad_weight and grad_bias, each a gather (no
 * atomics), so results do not depend on scheduling. bf16, f32, f64.
 * Semantics of reference/src/ref_nn_backward.c (padding_same pads
 * d * (k - 1) / 2 on the left). */
#include <stdio.h>
#include <string.h>

#include "bp_vk_kernel_util.h"
#include "bp_vk_ops_conv.h"

static int32_t variant_convbw(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  (void)k;
  char name[32];
  snprintf(name, sizeof name, "convbw_%u", call->inputs[0]->dtype);
  return bpvk_variant_find(name);
}

static bool convbw_ok(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  (void)k;
  const bp_tensor_desc_t *g = call->inputs[0], *x = call->inputs[1], *w = call->inputs[2];
  int64_t groups = bpvk_attr_i(call, "groups", 1);
  if ((x->ndim != 3 && x->ndim != 4) || g->ndim != x->ndim || w->ndim != 4 || groups < 1) return false;
  /* an empty x or grad_output still has gradients to zero: left to the reference */
  return bpvk_numel(x) > 0 && bpvk_numel(g) > 0 && w->shape[0] % groups == 0;
}

static const bpvk_kernel_t kConvBw = {variant_convbw, convbw_ok, 0, 0};

enum { CB_WORDS = 48 };

/* [N, C, H, W] strides of a 3-D or 4-D tensor into w[0..3]. */
static void nchw_strides(const bp_tensor_desc_t *t, uint32_t *w) {
  int off = t->ndim == 4 ? 0 : 1;
  w[0] = 0;
  for (int32_t i = 0; i < t->ndim; ++i) w[i + off] = (uint32_t)t->strides[i];
}

static bp_status_t rec_convbw(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  const bp_tensor_desc_t *g = call->inputs[0], *x = call->inputs[1], *wt = call->inputs[2];
  const bp_tensor_desc_t *gx = call->outputs[0], *gw = call->outputs[1], *gb = call->outputs[2];
  int off = x->ndim == 4 ? 0 : 1;
  int64_t N = off ? 1 : x->shape[0], C = x->shape[1 - off], H = x->shape[2 - off], W = x->shape[3 - off];
  int64_t OC = wt->shape[0], OH = g->shape[2 - off], OW = g->shape[3 - off];
  int64_t KH = wt->shape[2], KW = wt->shape[3], groups = bpvk_attr_i(call, "groups", 1);
  bool same = bpvk_attr_b(call, "padding_same", false);
  uint32_t w[CB_WORDS];
  memset(w, 0, sizeof w);
  w[1] = (uint32_t)N, w[2] = (uint32_t)C, w[3] = (uint32_t)H, w[4] = (uint32_t)W;
  nchw_strides(x, w + 5);
  w[9] = bpvk_vt(x).offset;
  w[10] = (uint32_t)OC, w[11] = (uint32_t)OH, w[12] = (uint32_t)OW;
  nchw_strides(g, w + 13);
  w[17] = bpvk_vt(g).offset;
  for (int i = 0; i < 4; ++i) w[18 + i] = (uint32_t)wt->strides[i];
  w[22] = bpvk_vt(wt).offset;
  w[23] = (uint32_t)wt->shape[1];
  w[24] = (uint32_t)KH, w[25] = (uint32_t)KW;
  int64_t k[2] = {KH, KW};
  for (int i = 0; i < 2; ++i) {
    int64_t dil = bpvk_attr2(call, "dilation", i, 1);
    w[26 + i] = (uint32_t)bpvk_attr2(call, "stride", i, 1);
    w[28 + i] = (uint32_t)(same ? dil * (k[i] - 1) / 2 : bpvk_attr2(call, "padding", i, 0));
    w[30 + i] = (uint32_t)dil;
  }
  w[32] = (uint32_t)(OC / groups);
  nchw_strides(gx, w + 33);
  w[37] = bpvk_vt(gx).offset;
  for (int i = 0; i < 4; ++i) w[38 + i] = (uint32_t)gw->strides[i];
  w[42] = bpvk_vt(gw).offset;
  w[43] = (uint32_t)gb->strides[0];
  w[44] = bpvk_vt(gb).offset;
  uint64_t count[3] = {(uint64_t)bpvk_numel(gx), (uint64_t)bpvk_numel(gw), (uint64_t)OC};
  bp_status_t s = BP_STATUS_OK;
  for (uint32_t mode = 0; mode < 3 && !s; ++mode) {
    w[0] = (uint32_t)count[mode];
    uint32_t gx_, gy_;
    bpvk_grid_1d(count[mode], mode == 0 ? 256 : 1, &gx_, &gy_);
    s = bpvk_record_tensors(d, call, variant, mode, w, CB_WORDS, gx_, gy_, 1, NULL);
  }
  return s;
}

static bp_status_t k_convbw(const bp_kernel_call_t *c) {
  bp_status_t s;
  if (c->inputs[0]->dtype == BP_DTYPE_F32 && bpvk_convbw_texel(c, &s)) return s; /* bp_vk_ops_convbwt.c */
  return bpvk_kernel_run(c, rec_convbw);
}

bp_status_t bpvk_ops_convbw_register(bpvk_ctx_t *ctx) {
  bp_status_t s = BP_STATUS_OK;
  char name[32];
  for (bp_dtype_t t = BP_DTYPE_BF16; t <= BP_DTYPE_F64 && !s; ++t) {
    bp_dtype_t s6[6] = {t, t, t, t, t, t};
    snprintf(name, sizeof name, "convbw_%u", t);
    s = bpvk_kernel_reg(ctx, "conv2d_backward", name, s6, 6, k_convbw, &kConvBw);
  }
  return s;
}
