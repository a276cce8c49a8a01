/* ref_nn2_norm.c - batch_norm, layer_norm, group_norm, rms_norm, softmax,
 * log_softmax. Statistics in double, two passes (mean, then the sum of
 * squared deviations); each output rounds once. */
#include <math.h>

#include "ref_nn2.h"

/* ---- batch_norm: x [N, C, rest...] ---- */

static bp_status_t ref_batch_norm(const bp_kernel_call_t *call) {
  bp_status_t s = bp_ref_check_call(call, "batch_norm", 5, 3);
  if (s) return s;
  bool training = call->attrs[0]->value.b, has_w = call->attrs[3]->value.b;
  bool has_b = call->attrs[4]->value.b, has_rs = call->attrs[5]->value.b;
  double momentum = call->attrs[1]->value.f, eps = call->attrs[2]->value.f;
  const bp_tensor_desc_t *xd = call->inputs[0];
  nn2_t x = nn2_make(xd), w = nn2_make(call->inputs[1]), b = nn2_make(call->inputs[2]);
  nn2_t rm = nn2_make(call->inputs[3]), rv = nn2_make(call->inputs[4]);
  nn2_t y = nn2_make(call->outputs[0]), sm = nn2_make(call->outputs[1]), si = nn2_make(call->outputs[2]);
  const bp_tensor_desc_t *yd = call->outputs[0];
  int64_t n = xd->shape[0], c = xd->shape[1], r = 1;
  for (int32_t d = 2; d < xd->ndim; ++d) r *= xd->shape[d];
  int64_t count = n * r;
  for (int64_t ch = 0; ch < c; ++ch) {
    double mean, invstd;
    if (training) {
      double sum = 0.0, sq = 0.0;
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < r; ++j)
          sum += nn2_get(&x, i * xd->strides[0] + ch * xd->strides[1] + nn2_sub_off(xd, 2, xd->ndim - 2, j));
      mean = count ? sum / (double)count : NAN;
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < r; ++j) {
          double v = nn2_get(&x, i * xd->strides[0] + ch * xd->strides[1] + nn2_sub_off(xd, 2, xd->ndim - 2, j));
          sq += (v - mean) * (v - mean);
        }
      double var = count ? sq / (double)count : NAN;
      invstd = 1.0 / sqrt(var + eps);
      if (has_rs) {
        int64_t mo = ch * rm.d->strides[0], vo = ch * rv.d->strides[0];
        double unbiased = count > 1 ? sq / (double)(count - 1) : NAN;
        nn2_set(&rm, mo, (1.0 - momentum) * nn2_get(&rm, mo) + momentum * mean);
        nn2_set(&rv, vo, (1.0 - momentum) * nn2_get(&rv, vo) + momentum * unbiased);
      }
    } else {
      mean = nn2_get(&rm, ch * rm.d->strides[0]);
      invstd = 1.0 / sqrt(nn2_get(&rv, ch * rv.d->strides[0]) + eps);
    }
    double scale = has_w ? nn2_get(&w, ch * w.d->strides[0]) : 1.0;
    double shift = has_b ? nn2_get(&b, ch * b.d->strides[0]) : 0.0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < r; ++j) {
        double v = nn2_get(&x, i * xd->strides[0] + ch * xd->strides[1] + nn2_sub_off(xd, 2, xd->ndim - 2, j));
        nn2_set(&y, i * yd->strides[0] + ch * yd->strides[1] + nn2_sub_off(yd, 2, yd->ndim - 2, j),
                (v - mean) * invstd * scale + shift);
      }
    nn2_set(&sm, ch * sm.d->strides[0], mean);
    nn2_set(&si, ch * si.d->strides[0], invstd);
  }
  return BP_STATUS_OK;
}

/* ---- layer_norm and rms_norm: normalize over the trailing k dims ---- */

static bp_status_t last_dims_norm(const bp_kernel_call_t *call, bool rms) {
  const bp_tensor_desc_t *xd = call->inputs[0], *yd = call->outputs[0];
  int32_t k = (int32_t)call->attrs[0]->count;
  double eps = call->attrs[1]->value.f;
  bool has_w = rms ? call->attrs[3]->value.b : call->attrs[2]->value.b;
  bool has_b = rms ? false : call->attrs[3]->value.b;
  nn2_t x = nn2_make(xd), y = nn2_make(yd), w = nn2_make(call->inputs[1]);
  nn2_t b = nn2_make(call->inputs[rms ? 1 : 2]);
  nn2_t mo = nn2_make(call->outputs[1]), ro = nn2_make(call->outputs[rms ? 1 : 2]);
  int32_t lead = xd->ndim - k;
  int64_t outer = 1, inner = 1;
  for (int32_t d = 0; d < lead; ++d) outer *= xd->shape[d];
  for (int32_t d = lead; d < xd->ndim; ++d) inner *= xd->shape[d];
  for (int64_t o = 0; o < outer; ++o) {
    int64_t xo = nn2_sub_off(xd, 0, lead, o), yo = nn2_sub_off(yd, 0, lead, o);
    double mean = 0.0, sq = 0.0;
    if (!rms) {
      for (int64_t i = 0; i < inner; ++i) mean += nn2_get(&x, xo + nn2_sub_off(xd, lead, k, i));
      mean = inner ? mean / (double)inner : NAN;
    }
    for (int64_t i = 0; i < inner; ++i) {
      double v = nn2_get(&x, xo + nn2_sub_off(xd, lead, k, i)) - mean;
      sq += v * v;
    }
    double rstd = 1.0 / sqrt((inner ? sq / (double)inner : NAN) + eps);
    for (int64_t i = 0; i < inner; ++i) {
      double v = (nn2_get(&x, xo + nn2_sub_off(xd, lead, k, i)) - mean) * rstd;
      if (has_w) v *= nn2_get(&w, nn2_sub_off(w.d, 0, k, i));
      if (has_b) v += nn2_get(&b, nn2_sub_off(b.d, 0, k, i));
      nn2_set(&y, yo + nn2_sub_off(yd, lead, k, i), v);
    }
    if (!rms) nn2_set(&mo, nn2_sub_off(mo.d, 0, lead, o), mean);
    nn2_set(&ro, nn2_sub_off(ro.d, 0, lead, o), rstd);
  }
  return BP_STATUS_OK;
}
static bp_status_t ref_layer_norm(const bp_kernel_call_t *call) {
  bp_status_t s = bp_ref_check_call(call, "layer_norm", 3, 3);
  return s ? s : last_dims_norm(call, false);
}
static bp_status_t ref_rms_norm(const bp_kernel_call_t *call) {
  bp_status_t s = bp_ref_check_call(call, "rms_norm", 2, 2);
  return s ? s : last_dims_norm(call, true);
}

/* ---- group_norm: x [N, C, rest...], groups of C / G channels ---- */

static bp_status_t ref_group_norm(const bp_kernel_call_t *call) {
  bp_status_t s = bp_ref_check_call(call, "group_norm", 3, 3);
  if (s) return s;
  const bp_tensor_desc_t *xd = call->inputs[0], *yd = call->outputs[0];
  int64_t g = call->attrs[0]->value.i;
  double eps = call->attrs[1]->value.f;
  bool has_w = call->attrs[2]->value.b, has_b = call->attrs[3]->value.b;
  nn2_t x = nn2_make(xd), y = nn2_make(yd), w = nn2_make(call->inputs[1]), b = nn2_make(call->inputs[2]);
  nn2_t mo = nn2_make(call->outputs[1]), ro = nn2_make(call->outputs[2]);
  int64_t n = xd->shape[0], c = xd->shape[1], r = 1;
  for (int32_t d = 2; d < xd->ndim; ++d) r *= xd->shape[d];
  int64_t cg = c / g, count = cg * r;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t gi = 0; gi < g; ++gi) {
      double sum = 0.0, sq = 0.0;
#define X_OFF(ch, j) (i * xd->strides[0] + (ch) * xd->strides[1] + nn2_sub_off(xd, 2, xd->ndim - 2, j))
      for (int64_t ch = gi * cg; ch < (gi + 1) * cg; ++ch)
        for (int64_t j = 0; j < r; ++j) sum += nn2_get(&x, X_OFF(ch, j));
      double mean = count ? sum / (double)count : NAN;
      for (int64_t ch = gi * cg; ch < (gi + 1) * cg; ++ch)
        for (int64_t j = 0; j < r; ++j) {
          double v = nn2_get(&x, X_OFF(ch, j)) - mean;
          sq += v * v;
        }
      double rstd = 1.0 / sqrt((count ? sq / (double)count : NAN) + eps);
      for (int64_t ch = gi * cg; ch < (gi + 1) * cg; ++ch) {
        double scale = has_w ? nn2_get(&w, ch * w.d->strides[0]) : 1.0;
        double shift = has_b ? nn2_get(&b, ch * b.d->strides[0]) : 0.0;
        for (int64_t j = 0; j < r; ++j)
          nn2_set(&y, i * yd->strides[0] + ch * yd->strides[1] + nn2_sub_off(yd, 2, yd->ndim - 2, j),
                  (nn2_get(&x, X_OFF(ch, j)) - mean) * rstd * scale + shift);
      }
#undef X_OFF
      int64_t so = i * mo.d->strides[0] + gi * mo.d->strides[1];
      nn2_set(&mo, so, mean);
      nn2_set(&ro, i * ro.d->strides[0] + gi * ro.d->strides[1], rstd);
    }
  return BP_STATUS_OK;
}

/* ---- softmax, log_softmax over dim ---- */

static bp_status_t softmax_like(const bp_kernel_call_t *call, bool log_out) {
  bp_status_t s = bp_ref_check_call(call, log_out ? "log_softmax" : "softmax", 1, 1);
  if (s) return s;
  const bp_tensor_desc_t *xd = call->inputs[0], *yd = call->outputs[0];
  nn2_t x = nn2_make(xd), y = nn2_make(yd);
  if (!x.numel) return BP_STATUS_OK;
  if (xd->ndim == 0) { /* one element: softmax 1, log_softmax 0 (NaN stays NaN) */
    double v = nn2_get(&x, 0);
    double e = v - v;
    nn2_set(&y, 0, log_out ? e : exp(e));
    return BP_STATUS_OK;
  }
  int32_t dim = (int32_t)call->attrs[0]->value.i;
  int64_t len = xd->shape[dim], xs = xd->strides[dim], ys = yd->strides[dim];
  int64_t rows = x.numel / len;
  /* rows walk every dim but `dim`: a shape with dim's extent set to 1 */
  int64_t shape[BP_REF_MAX_DIMS], idx[BP_REF_MAX_DIMS];
  memcpy(shape, xd->shape, sizeof(int64_t) * (size_t)xd->ndim);
  shape[dim] = 1;
  for (int64_t row = 0; row < rows; ++row) {
    nn2_unravel(row, xd->ndim, shape, idx);
    int64_t xo = 0, yo = 0;
    for (int32_t d = 0; d < xd->ndim; ++d) {
      xo += idx[d] * xd->strides[d];
      yo += idx[d] * yd->strides[d];
    }
    double mx = -INFINITY;
    bool nan = false;
    for (int64_t i = 0; i < len; ++i) {
      double v = nn2_get(&x, xo + i * xs);
      if (isnan(v)) nan = true;
      if (v > mx) mx = v;
    }
    if (nan) mx = NAN;
    double sum = 0.0;
    for (int64_t i = 0; i < len; ++i) sum += exp(nn2_get(&x, xo + i * xs) - mx);
    double lse = log(sum);
    for (int64_t i = 0; i < len; ++i) {
      double v = nn2_get(&x, xo + i * xs) - mx;
      nn2_set(&y, yo + i * ys, log_out ? v - lse : exp(v) / sum);
    }
  }
  return BP_STATUS_OK;
}
static bp_status_t ref_softmax(const bp_kernel_call_t *call) { return softmax_like(call, false); }
static bp_status_t ref_log_softmax(const bp_kernel_call_t *call) { return softmax_like(call, true); }

/* Signatures: every slot the same float dtype. */
#define SAME(op, fn, n)                                                         \
  {op, fn, n, {BP_DTYPE_BF16, BP_DTYPE_BF16, BP_DTYPE_BF16, BP_DTYPE_BF16,      \
               BP_DTYPE_BF16, BP_DTYPE_BF16, BP_DTYPE_BF16, BP_DTYPE_BF16}},    \
  {op, fn, n, {BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32,          \
               BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32}},        \
  {op, fn, n, {BP_DTYPE_F64, BP_DTYPE_F64, BP_DTYPE_F64, BP_DTYPE_F64,          \
               BP_DTYPE_F64, BP_DTYPE_F64, BP_DTYPE_F64, BP_DTYPE_F64}}

static const nn2_reg_t regs[] = {
    SAME("batch_norm", ref_batch_norm, 8),   SAME("layer_norm", ref_layer_norm, 6),
    SAME("group_norm", ref_group_norm, 6),   SAME("rms_norm", ref_rms_norm, 4),
    SAME("softmax", ref_softmax, 2),         SAME("log_softmax", ref_log_softmax, 2),
};

bp_status_t bp_ref_nn2_norm_register(const bp_host_api_t *host) {
  return nn2_register_all(host, regs, sizeof regs / sizeof regs[0]);
}
