/* bp_vk_ops_reduce.c - the reductions beyond sum (shaders/reduce.comp):
 * mean, prod, amax, amin, max, min (values and indices), argmax, argmin,
 * var, std, norm (p = 0, 1, 2, +-inf), logsumexp, all, any; and the scans
 * cumsum, cumprod (shaders/scan.comp, one invocation per line). Outputs come in
 * keepdim form (a dim is reduced where out has 1 and x does not). Declined:
 * norm with other p (f32 pow on lavapipe is thousands of ulp off; no f64
 * pow in GLSL.std.450), logsumexp of f64 (no f64 exp/log). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bp_vk_kernel_util.h"

enum { R_MEAN, R_PROD, R_AMAX, R_AMIN, R_MAX, R_MIN, R_ARGMAX, R_ARGMIN, R_VAR, R_STD, R_NORM, R_LOGSUMEXP, R_ALL,
       R_ANY, R_COUNT };
static const char *const kRedOps[R_COUNT] = {"mean", "prod", "amax", "amin", "max", "min", "argmax", "argmin",
                                             "var", "std", "norm", "logsumexp", "all", "any"};

static int32_t variant_red(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  char name[32];
  snprintf(name, sizeof name, "red_%u_%u", k->op, call->inputs[0]->dtype);
  return bpvk_variant_find(name);
}

static bool red_ok(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  const bp_tensor_desc_t *x = call->inputs[0];
  for (uint32_t j = 0; j < call->num_outputs; ++j) {
    const bp_tensor_desc_t *o = call->outputs[j];
    if (o->ndim != x->ndim) return false;
    for (int32_t i = 0; i < x->ndim; ++i)
      if (o->shape[i] != x->shape[i] && o->shape[i] != 1) return false;
  }
  if (k->op == R_NORM) {
    double p = bpvk_attr_f(call, "p", 2.0);
    return p == 0.0 || p == 1.0 || p == 2.0 || isinf(p);
  }
  return true;
}

#define K(op) {variant_red, red_ok, op, 0}
static const bpvk_kernel_t kRed[R_COUNT] = {K(R_MEAN), K(R_PROD),   K(R_AMAX), K(R_AMIN),  K(R_MAX),
                                            K(R_MIN),  K(R_ARGMAX), K(R_ARGMIN), K(R_VAR), K(R_STD),
                                            K(R_NORM), K(R_LOGSUMEXP), K(R_ALL), K(R_ANY)};
#undef K

enum { RW_WORDS = 64 };

static bp_status_t rec_red(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  const bp_tensor_desc_t *x = call->inputs[0], *o = call->outputs[0];
  const bp_tensor_desc_t *o1 = call->num_outputs > 1 ? call->outputs[1] : o;
  uint32_t w[RW_WORDS];
  memset(w, 0, sizeof w);
  uint32_t kn = 0, rn = 0;
  uint64_t nout = 1, nred = 1;
  for (int32_t i = 0; i < x->ndim; ++i) {
    if (x->shape[i] == 1) continue;
    if (o->shape[i] == 1) { /* reduced */
      w[36 + rn] = (uint32_t)x->shape[i];
      w[44 + rn] = (uint32_t)x->strides[i];
      nred *= (uint64_t)x->shape[i];
      ++rn;
    } else {
      w[3 + kn] = (uint32_t)x->shape[i];
      w[11 + kn] = (uint32_t)x->strides[i];
      w[19 + kn] = (uint32_t)o->strides[i];
      w[27 + kn] = (uint32_t)o1->strides[i];
      nout *= (uint64_t)x->shape[i];
      ++kn;
    }
  }
  if (bpvk_numel(x) == 0) nred = 0;
  w[0] = (uint32_t)nout;
  w[1] = (uint32_t)nred;
  w[2] = kn;
  w[35] = rn;
  w[52] = nred ? bpvk_vt(x).offset : 0u;
  w[53] = bpvk_vt(o).offset;
  w[54] = bpvk_vt(o1).offset;
  bpvk_put_f32(w + 55, bpvk_attr_f(call, "p", 2.0));
  w[56] = (uint32_t)(int32_t)bpvk_attr_i(call, "correction", 1);
  /* shader bindings: out0, x (out0 again when x is empty), out1 */
  VkBuffer bufs[3] = {bpvk_vt(o).buffer, nred ? bpvk_vt(x).buffer : bpvk_vt(o).buffer, bpvk_vt(o1).buffer};
  uint32_t gx, gy;
  bpvk_grid_1d(nout, 1, &gx, &gy);
  return bpvk_dispatch(d, variant, 0, bufs, w, RW_WORDS, gx, gy, 1);
}

static bp_status_t k_red(const bp_kernel_call_t *c) {
  const bpvk_kernel_t *k = c->kernel_data;
  if (k->op == R_MEAN && red_ok(c, k)) { /* f32 on CPU devices, where it fits */
    bp_status_t s = bpvk_sum_texel(c, true);
    if (s != BP_STATUS_UNSUPPORTED) return s;
  }
  return bpvk_kernel_run(c, rec_red);
}

/* ---- cumsum, cumprod: lines along dim (shaders/rows.glsl words) ---- */

static int32_t variant_scan(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  char name[32];
  snprintf(name, sizeof name, "scan_%u_%u", k->op, call->outputs[0]->dtype);
  return bpvk_variant_find(name);
}

static const bpvk_kernel_t kScan[2] = {{variant_scan, NULL, 0, 0}, {variant_scan, NULL, 1, 0}};

static bp_status_t rec_scan(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  const bp_tensor_desc_t *x = call->inputs[0], *o = call->outputs[0];
  int32_t dim = x->ndim ? (int32_t)bpvk_attr_i(call, "dim", 0) : 0;
  uint32_t w[48];
  memset(w, 0, sizeof w);
  uint32_t kn = 0;
  uint64_t rows = 1;
  for (int32_t i = 0; i < x->ndim; ++i) {
    if (i == dim || x->shape[i] == 1) continue;
    w[3 + kn] = (uint32_t)x->shape[i];
    w[11 + kn] = (uint32_t)o->strides[i];
    w[19 + kn] = (uint32_t)x->strides[i];
    rows *= (uint64_t)x->shape[i];
    ++kn;
  }
  w[0] = (uint32_t)rows;
  w[1] = x->ndim ? (uint32_t)x->shape[dim] : 1u;
  w[2] = kn;
  w[35] = bpvk_vt(o).offset;
  w[36] = bpvk_vt(x).offset;
  w[38] = x->ndim ? (uint32_t)o->strides[dim] : 0u;
  w[39] = x->ndim ? (uint32_t)x->strides[dim] : 0u;
  VkBuffer bufs[3] = {bpvk_vt(o).buffer, bpvk_vt(x).buffer, VK_NULL_HANDLE};
  uint32_t gx, gy;
  bpvk_grid_1d(rows, 256, &gx, &gy);
  return bpvk_dispatch(d, variant, 0, bufs, w, 48, gx, gy, 1);
}

static bp_status_t k_scan(const bp_kernel_call_t *c) { return bpvk_kernel_run(c, rec_scan); }

bp_status_t bpvk_ops_reduce_register(bpvk_ctx_t *ctx) {
  bp_status_t s = BP_STATUS_OK;
  char name[32];
  for (uint32_t op = 0; op < R_COUNT && !s; ++op)
    for (bp_dtype_t t = BP_DTYPE_BOOL; t <= BP_DTYPE_F64 && !s; ++t) {
      bp_dtype_t sig[3] = {t, t, BP_DTYPE_I64};
      uint32_t n = 2;
      if (op == R_MAX || op == R_MIN) n = 3;
      if (op == R_ARGMAX || op == R_ARGMIN) sig[1] = BP_DTYPE_I64;
      if (op == R_ALL || op == R_ANY) sig[1] = t == BP_DTYPE_U8 ? BP_DTYPE_U8 : BP_DTYPE_BOOL;
      snprintf(name, sizeof name, "red_%u_%u", op, t);
      s = bpvk_kernel_reg(ctx, kRedOps[op], name, sig, n, k_red, &kRed[op]);
    }
  for (bp_dtype_t t = BP_DTYPE_I64; t <= BP_DTYPE_F64 && !s; ++t) {
    bp_dtype_t two[2] = {t, t};
    snprintf(name, sizeof name, "scan_0_%u", t);
    s = bpvk_kernel_reg(ctx, "cumsum", name, two, 2, k_scan, &kScan[0]);
    snprintf(name, sizeof name, "scan_1_%u", t);
    if (!s) s = bpvk_kernel_reg(ctx, "cumprod", name, two, 2, k_scan, &kScan[1]);
  }
  return s;
}
