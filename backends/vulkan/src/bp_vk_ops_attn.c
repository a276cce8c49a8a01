/* bp_vk_ops_attn.c - scaled_dot_product_attention (shaders/sdpa.comp),
 * reference/src/ref_nn2_loss.c. Declined: f64 (no f64 exp), more than 1024
 * keys (the scores live in shared memory), more than 6 batch dims,
 * dropout_p != 0. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bp_vk_kernel_util.h"

static int32_t variant_sdpa(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  (void)k;
  char name[32];
  snprintf(name, sizeof name, "sdpa_%u_%u", call->inputs[0]->dtype, call->inputs[3]->dtype == BP_DTYPE_BOOL);
  return bpvk_variant_find(name);
}

static bool sdpa_ok(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  (void)k;
  const bp_tensor_desc_t *q = call->inputs[0], *kk = call->inputs[1], *o = call->outputs[0];
  if (o->ndim < 2 || o->ndim > 8 || q->ndim < 2 || kk->ndim < 2 || call->inputs[2]->ndim < 2) return false;
  if (bpvk_attr_b(call, "has_attn_mask", false) && call->inputs[3]->ndim > o->ndim) return false;
  return kk->shape[kk->ndim - 2] <= 1024 && bpvk_attr_f(call, "dropout_p", 0.0) == 0.0;
}

static const bpvk_kernel_t kSdpa = {variant_sdpa, sdpa_ok, 0, 0};

enum { SD_WORDS = 60 };

/* Strides of t over out's rank n: batch dims into w[12 + 6*slot ..], the
 * last two into last[0..1]; 0 where t has size 1 or lacks the dim. */
static void bstrides(uint32_t *w, int slot, const bp_tensor_desc_t *t, int32_t n, uint32_t *last) {
  for (int32_t i = 0; i < n; ++i) {
    int32_t j = t->ndim - n + i;
    uint32_t s = j >= 0 && t->shape[j] != 1 ? (uint32_t)t->strides[j] : 0u;
    if (i < n - 2) w[12 + 6 * slot + i] = s;
    else last[i - (n - 2)] = s;
  }
}

static bp_status_t rec_sdpa(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  const bp_tensor_desc_t *q = call->inputs[0], *kk = call->inputs[1], *o = call->outputs[0];
  int32_t n = o->ndim, nb = n - 2;
  uint32_t w[SD_WORDS];
  memset(w, 0, sizeof w);
  uint64_t batches = 1;
  for (int32_t i = 0; i < nb; ++i) {
    w[6 + i] = (uint32_t)o->shape[i];
    batches *= (uint64_t)o->shape[i];
  }
  uint32_t L = (uint32_t)o->shape[nb], E = (uint32_t)q->shape[q->ndim - 1];
  w[0] = (uint32_t)(batches * L);
  w[1] = L;
  w[2] = (uint32_t)kk->shape[kk->ndim - 2];
  w[3] = E;
  w[4] = (uint32_t)o->shape[nb + 1];
  w[5] = (uint32_t)nb;
  bool has_mask = bpvk_attr_b(call, "has_attn_mask", false);
  const bp_tensor_desc_t *t[5] = {q, kk, call->inputs[2], has_mask ? call->inputs[3] : NULL, o};
  VkBuffer bufs[5];
  for (int i = 0; i < 5; ++i) {
    bool live = t[i] && bpvk_numel(t[i]) > 0;
    if (live) bstrides(w, i, t[i], n, w + 42 + 2 * i);
    w[52 + i] = live ? bpvk_vt(t[i]).offset : 0u;
    bufs[i] = live ? bpvk_vt(t[i]).buffer : VK_NULL_HANDLE;
  }
  double scale = bpvk_attr_f(call, "scale", 0.0);
  if (scale == 0.0) scale = 1.0 / sqrt((double)E);
  bpvk_put_f32(w + 57, scale);
  w[58] = (bpvk_attr_b(call, "is_causal", false) ? 1u : 0u) | (has_mask ? 2u : 0u);
  uint32_t gx, gy;
  bpvk_grid_1d(batches * L, 1, &gx, &gy);
  return bpvk_dispatch_n(d, variant, 0, bufs, 5, w, SD_WORDS, gx, gy, 1, NULL);
}

static bp_status_t k_sdpa(const bp_kernel_call_t *c) { return bpvk_kernel_run(c, rec_sdpa); }

bp_status_t bpvk_ops_attn_register(bpvk_ctx_t *ctx) {
  bp_status_t s = BP_STATUS_OK;
  char name[32];
  for (bp_dtype_t t = BP_DTYPE_BF16; t <= BP_DTYPE_F64 && !s; ++t) {
    bp_dtype_t sf[5] = {t, t, t, t, t}, sb[5] = {t, t, t, BP_DTYPE_BOOL, t};
    snprintf(name, sizeof name, "sdpa_%u_0", t);
    s = bpvk_kernel_reg(ctx, "scaled_dot_product_attention", name, sf, 5, k_sdpa, &kSdpa);
    snprintf(name, sizeof name, "sdpa_%u_1", t);
    if (!s) s = bpvk_kernel_reg(ctx, "scaled_dot_product_attention", name, sb, 5, k_sdpa, &kSdpa);
  }
  return s;
}
