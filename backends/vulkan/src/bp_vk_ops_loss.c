/* bp_vk_ops_loss.c - mse_loss and binary_cross_entropy_with_logits
 * (shaders/loss.comp): elements of the broadcast shape, reduced in one
 * work group when reduction is mean or sum. Semantics of
 * reference/src/ref_nn2_loss.c; bce of f64 is declined (no f64 exp/log). */
#include <stdio.h>
#include <string.h>

#include "bp_vk_kernel_util.h"

enum { LS_MSE, LS_BCE };

static int32_t variant_loss(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  char name[32];
  snprintf(name, sizeof name, "loss_%u_%u", call->inputs[0]->dtype, k->op);
  return bpvk_variant_find(name);
}

/* The loss shape: input's for bce, the broadcast of input and target for mse. */
static int32_t loss_shape(const bp_kernel_call_t *call, const bpvk_kernel_t *k, int64_t *shape) {
  const bp_tensor_desc_t *a = call->inputs[0], *b = call->inputs[1];
  if (k->op == LS_BCE) {
    memcpy(shape, a->shape, sizeof(int64_t) * (size_t)a->ndim);
    return a->ndim;
  }
  int32_t n = a->ndim > b->ndim ? a->ndim : b->ndim;
  for (int32_t i = 0; i < n; ++i) {
    int32_t ia = a->ndim - n + i, ib = b->ndim - n + i;
    int64_t sa = ia >= 0 ? a->shape[ia] : 1, sb = ib >= 0 ? b->shape[ib] : 1;
    shape[i] = sa != 1 ? sa : sb;
  }
  return n;
}

static bool loss_ok(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  int64_t shape[16];
  for (uint32_t i = 0; i < call->num_inputs; ++i)
    if (call->inputs[i]->ndim > BPVK_MAX_DIMS) return false;
  int32_t n = loss_shape(call, k, shape);
  int64_t count = 1;
  for (int32_t i = 0; i < n; ++i) count *= shape[i];
  /* an empty mean is the reference's 0/0: left to it */
  return n <= BPVK_MAX_DIMS && (count > 0 || bpvk_attr_i(call, "reduction", 1) == 0);
}

static const bpvk_kernel_t kLoss[] = {{variant_loss, loss_ok, LS_MSE, 0}, {variant_loss, loss_ok, LS_BCE, 0}};

enum { LW_WORDS = 60 };

/* Strides of t over the loss shape (aligned right, 0 where broadcast). */
static void bstrides(uint32_t *w, int t, const bp_tensor_desc_t *d, int32_t n, const int64_t *shape) {
  for (int32_t i = 0; i < n; ++i) {
    int32_t j = d->ndim - n + i;
    w[10 + 8 * t + i] = j >= 0 && d->shape[j] == shape[i] && shape[i] != 1 ? (uint32_t)d->strides[j] : 0u;
  }
}

static bp_status_t rec_loss(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  const bpvk_kernel_t *k = call->kernel_data;
  int64_t shape[BPVK_MAX_DIMS];
  int32_t n = loss_shape(call, k, shape);
  int64_t reduction = bpvk_attr_i(call, "reduction", 1);
  uint32_t w[LW_WORDS];
  memset(w, 0, sizeof w);
  uint64_t count = 1;
  for (int32_t i = 0; i < n; ++i) {
    w[2 + i] = (uint32_t)shape[i];
    count *= (uint64_t)shape[i];
  }
  w[0] = (uint32_t)count;
  w[1] = (uint32_t)n;
  const bp_tensor_desc_t *t[5] = {call->inputs[0], call->inputs[1], NULL, NULL, call->outputs[0]};
  if (k->op == LS_BCE) {
    if (bpvk_attr_b(call, "has_weight", false)) t[2] = call->inputs[2], w[56] |= 1u;
    if (bpvk_attr_b(call, "has_pos_weight", false)) t[3] = call->inputs[3], w[56] |= 2u;
  }
  VkBuffer bufs[5];
  for (int i = 0; i < 5; ++i) {
    bool live = t[i] && bpvk_numel(t[i]) > 0;
    if (live && (i < 4 || reduction == 0)) bstrides(w, i, t[i], n, shape);
    w[50 + i] = live ? bpvk_vt(t[i]).offset : 0u;
    bufs[i] = live ? bpvk_vt(t[i]).buffer : VK_NULL_HANDLE;
  }
  w[55] = (uint32_t)reduction;
  uint32_t gx = 1, gy = 1;
  if (reduction == 0) bpvk_grid_1d(count, 256, &gx, &gy);
  VkBuffer order[5] = {bufs[0], bufs[1], bufs[2], bufs[3], bufs[4]};
  if (k->op == LS_MSE) order[2] = bufs[4]; /* mse binds out at 3 */
  return bpvk_dispatch_n(d, variant, 0, order, k->op == LS_MSE ? 3 : 5, w, LW_WORDS, gx, gy, 1, NULL);
}

static bp_status_t k_loss(const bp_kernel_call_t *c) { return bpvk_kernel_run(c, rec_loss); }

bp_status_t bpvk_ops_loss_register(bpvk_ctx_t *ctx) {
  bp_status_t s = BP_STATUS_OK;
  char name[32];
  for (bp_dtype_t t = BP_DTYPE_F16; t <= BP_DTYPE_F64 && !s; ++t) {
    bp_dtype_t s3[3] = {t, t, t}, s5[5] = {t, t, t, t, t};
    snprintf(name, sizeof name, "loss_%u_%u", t, LS_MSE);
    s = bpvk_kernel_reg(ctx, "mse_loss", name, s3, 3, k_loss, &kLoss[LS_MSE]);
    snprintf(name, sizeof name, "loss_%u_%u", t, LS_BCE);
    if (!s) s = bpvk_kernel_reg(ctx, "binary_cross_entropy_with_logits", name, s5, 5, k_loss, &kLoss[LS_BCE]);
  }
  return s;
}
