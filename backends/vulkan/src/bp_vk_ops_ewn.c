/* bp_vk_ops_ewn.c - elementwise ops of more than two inputs, through the
 * N-operand walk of shaders/ewn.glsl: where (cond, a, b -> out), sgd_step
 * (param, grad, momentum_buffer -> param, momentum_buffer) and adamw_step
 * (param, grad, exp_avg, exp_avg_sq -> param, exp_avg, exp_avg_sq). The
 * optimizer outputs may be their inputs (in place): each element is read
 * before it is written. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bp_vk_kernel_util.h"

enum { OPT_SGD, OPT_ADAMW };

static int32_t variant_where(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  (void)k;
  char name[32];
  snprintf(name, sizeof name, "where_%u", bpvk_raw_dtype(call->outputs[0]->dtype));
  return bpvk_variant_find(name);
}

static int32_t variant_optim(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  char name[32];
  snprintf(name, sizeof name, "%s_%u", k->op == OPT_SGD ? "sgd" : "adamw", call->outputs[0]->dtype);
  return bpvk_variant_find(name);
}

/* adamw's amsgrad is not implemented (the reference does not either). */
static bool optim_ok(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  return k->op == OPT_SGD || !bpvk_attr_b(call, "amsgrad", false);
}

static const bpvk_kernel_t kWhere = {variant_where, NULL, 0, 0}, kSgd = {variant_optim, optim_ok, OPT_SGD, 0},
                           kAdamw = {variant_optim, optim_ok, OPT_ADAMW, 0};

/* Operands in the order of the shaders: the inputs, then the outputs. */
static int operands(const bp_kernel_call_t *call, const bp_tensor_desc_t **ops) {
  int n = 0;
  for (uint32_t i = 0; i < call->num_inputs; ++i) ops[n++] = call->inputs[i];
  for (uint32_t i = 0; i < call->num_outputs; ++i) ops[n++] = call->outputs[i];
  return n;
}

/* The optimizers' vec4 variant (optim.comp OPT_VEC4) on CPU devices: f32,
 * every operand one unit-stride dim at an offset in whole vec4s, numel a
 * multiple of 4; the first three operands read as vec4 texels. */
static bool optim_vec4(bpvk_device_t *d, const bp_tensor_desc_t *const *ops, int n, const uint32_t *w,
                       const char *vec, int32_t *v) {
  *v = vec ? bpvk_variant_find(vec) : -1;
  if (!vec || !bpvk_texel_cpu(d) || !bpvk_variant_usable(d, *v) || w[BPVK_EW_NDIM] != 1 || w[BPVK_EW_NUMEL] % 4)
    return false;
  uint64_t reach = 4ull * d->props.limits.maxTexelBufferElements;
  for (int k = 0; k < n; ++k) {
    uint32_t off = w[BPVK_EW_OP0 + BPVK_EW_OPSTRIDE * k];
    if (ops[k]->dtype != BP_DTYPE_F32 || w[BPVK_EW_OP0 + BPVK_EW_OPSTRIDE * k + 1] != 1 || off % 4 ||
        (k < 3 && off + (uint64_t)w[BPVK_EW_NUMEL] > reach))
      return false;
  }
  return true;
}

static bp_status_t record_ewn(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant, uint32_t *w,
                              uint32_t nwords, const char *vec) {
  const bp_tensor_desc_t *ops[BPVK_MAX_TENSORS];
  int n = operands(call, ops);
  /* bpvk_ewn_params walks the shape of its first operand: in the
   * elementwise form every operand has the output's shape. */
  uint32_t head[BPVK_EWN_EXTRA];
  bpvk_ewn_params(head, ops, n);
  memcpy(w, head, sizeof head);
  int32_t vv;
  if (optim_vec4(d, ops, n, w, vec, &vv)) {
    VkBuffer bufs[BPVK_MAX_TENSORS];
    for (int k = 0; k < n; ++k) bufs[k] = bpvk_vt(ops[k]).buffer;
    VkBuffer tex[3] = {bufs[0], bufs[1], bufs[2]};
    VkFormat fmt[3] = {VK_FORMAT_R32G32B32A32_SFLOAT, VK_FORMAT_R32G32B32A32_SFLOAT, VK_FORMAT_R32G32B32A32_SFLOAT};
    uint32_t gx, gy;
    bpvk_grid_1d((w[BPVK_EW_NUMEL] / 4 + 3) / 4, 256, &gx, &gy); /* 4 vec4s per invocation */
    return bpvk_dispatch_texel_n(d, vv, 0, bufs, (uint32_t)n, tex, fmt, w, nwords, gx, gy, 1);
  }
  uint32_t gx, gy;
  bpvk_grid_1d(w[BPVK_EW_NUMEL], 256, &gx, &gy);
  return bpvk_record_tensors(d, call, variant, 0, w, nwords, gx, gy, 1, NULL);
}

static bp_status_t rec_where(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  uint32_t w[BPVK_EWN_EXTRA];
  return record_ewn(d, call, variant, w, BPVK_EWN_EXTRA, NULL);
}

/* A constant for the shader: f32 words for f16/bf16/f32, f64 pairs for f64. */
static void put_c(uint32_t *w, uint32_t i, double v, bool f64) {
  if (f64) bpvk_put_f64(w + BPVK_EWN_EXTRA + 2 * i, v);
  else bpvk_put_f32(w + BPVK_EWN_EXTRA + i, v);
}

static bp_status_t rec_sgd(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  uint32_t w[BPVK_EWN_EXTRA + 16];
  memset(w, 0, sizeof w);
  bool f64 = call->outputs[0]->dtype == BP_DTYPE_F64;
  put_c(w, 0, bpvk_attr_f(call, "lr", 0.001), f64);
  put_c(w, 1, bpvk_attr_f(call, "momentum", 0.0), f64);
  put_c(w, 2, 1.0 - bpvk_attr_f(call, "dampening", 0.0), f64);
  put_c(w, 3, bpvk_attr_f(call, "weight_decay", 0.0), f64);
  w[BPVK_EWN_EXTRA + 8] = (bpvk_attr_b(call, "nesterov", false) ? 1u : 0u) |
                          (bpvk_attr_b(call, "maximize", false) ? 2u : 0u) |
                          (bpvk_attr_i(call, "step", 1) <= 1 ? 4u : 0u);
  return record_ewn(d, call, variant, w, BPVK_EWN_EXTRA + 16, "sgd_v4_8");
}

static bp_status_t rec_adamw(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  uint32_t w[BPVK_EWN_EXTRA + 32];
  memset(w, 0, sizeof w);
  bool f64 = call->outputs[0]->dtype == BP_DTYPE_F64;
  double lr = bpvk_attr_f(call, "lr", 0.001), b1 = bpvk_attr_f(call, "beta1", 0.9);
  double b2 = bpvk_attr_f(call, "beta2", 0.999), eps = bpvk_attr_f(call, "eps", 1e-8);
  double step = (double)bpvk_attr_i(call, "step", 1);
  put_c(w, 0, 1.0 - lr * bpvk_attr_f(call, "weight_decay", 0.01), f64);
  put_c(w, 1, b1, f64);
  put_c(w, 2, 1.0 - b1, f64);
  put_c(w, 3, b2, f64);
  put_c(w, 4, 1.0 - b2, f64);
  put_c(w, 5, sqrt(1.0 - pow(b2, step)), f64);
  put_c(w, 6, eps, f64);
  put_c(w, 7, lr / (1.0 - pow(b1, step)), f64);
  w[BPVK_EWN_EXTRA + 16] = bpvk_attr_b(call, "maximize", false) ? 2u : 0u;
  return record_ewn(d, call, variant, w, BPVK_EWN_EXTRA + 32, "adamw_v4_8");
}

static bp_status_t k_where(const bp_kernel_call_t *c) { return bpvk_kernel_run(c, rec_where); }
static bp_status_t k_sgd(const bp_kernel_call_t *c) { return bpvk_kernel_run(c, rec_sgd); }
static bp_status_t k_adamw(const bp_kernel_call_t *c) { return bpvk_kernel_run(c, rec_adamw); }

bp_status_t bpvk_ops_ewn_register(bpvk_ctx_t *ctx) {
  bp_status_t s = BP_STATUS_OK;
  char name[32];
  for (bp_dtype_t t = BP_DTYPE_BOOL; t <= BP_DTYPE_F64 && !s; ++t) {
    snprintf(name, sizeof name, "where_%u", bpvk_raw_dtype(t));
    bp_dtype_t sb[4] = {BP_DTYPE_BOOL, t, t, t}, su[4] = {BP_DTYPE_U8, t, t, t};
    s = bpvk_kernel_reg(ctx, "where", name, sb, 4, k_where, &kWhere);
    if (!s) s = bpvk_kernel_reg(ctx, "where", name, su, 4, k_where, &kWhere);
    if (t < BP_DTYPE_F16 || s) continue;
    bp_dtype_t s5[5] = {t, t, t, t, t}, s7[7] = {t, t, t, t, t, t, t};
    snprintf(name, sizeof name, "sgd_%u", t);
    s = bpvk_kernel_reg(ctx, "sgd_step", name, s5, 5, k_sgd, &kSgd);
    snprintf(name, sizeof name, "adamw_%u", t);
    if (!s) s = bpvk_kernel_reg(ctx, "adamw_step", name, s7, 7, k_adamw, &kAdamw);
  }
  return s;
}
