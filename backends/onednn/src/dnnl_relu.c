/* dnnl_relu.c - relu and clamp (f32) as plain loops.
 *
 * oneDNN's eltwise relu computes x > 0 ? x : alpha * x, which gives -0 for
 * negative inputs and (its vector max) 0 for NaN; torch's relu is
 * x < 0 ? 0 : x (NaN and -0 pass through). relu is the hottest op of a
 * training step's forward pass, so instead of declining it (a fallback to
 * ref:0 costs two copies) the plugin runs torch's definition as one pass
 * over a contiguous (or equally strided) x and out, vectorized by the
 * compiler and split over the OpenMP threads for large tensors. clamp
 * likewise: oneDNN's clip maps NaN to the bound, gives other signed zeros
 * and rejects min > max; the loop is the reference's definition (NaN stays,
 * min > max gives max). Other layouts are declined. */
#include "dnnl_plugin.h"

/* x and out laid out alike and densely (no gaps, no broadcast). */
static bool dense_alike(const bp_tensor_desc_t *x, const bp_tensor_desc_t *o) {
  if (x->ndim != o->ndim) return false;
  int64_t expect = 1;
  for (int32_t d = x->ndim - 1; d >= 0; --d) {
    if (x->shape[d] != o->shape[d]) return false;
    if (x->shape[d] == 1) continue;
    if (x->strides[d] != expect || o->strides[d] != expect) return false;
    expect *= x->shape[d];
  }
  return true;
}

static bool relu_supports(const bp_kernel_call_t *call) {
  return dense_alike(call->inputs[0], call->outputs[0]);
}

__attribute__((optimize("O3"))) static void relu_span(const float *restrict x,
                                                      float *restrict o, int64_t n) {
  for (int64_t i = 0; i < n; ++i) o[i] = x[i] < 0.0f ? 0.0f : x[i];
}

/* In place (x == out) the restrict promise holds element by element. */
__attribute__((optimize("O3"))) static void relu_inplace(float *o, int64_t n) {
  for (int64_t i = 0; i < n; ++i) o[i] = o[i] < 0.0f ? 0.0f : o[i];
}

static bp_status_t relu_kernel(const bp_kernel_call_t *call) {
  bp_dnnl_ctx_t *ctx = call->plugin_ctx;
  const float *x = bp_dnnl_ptr(call->inputs[0]);
  float *o = bp_dnnl_ptr(call->outputs[0]);
  const int64_t n = bp_dnnl_numel(call->outputs[0]);
  if (n == 0) return BP_STATUS_OK;
  const int64_t chunk = 1 << 16; /* below that, threads cost more than they give */
  const int64_t nchunks = (n + chunk - 1) / chunk;
  bp_dnnl_lock(ctx); /* the thread count, as for the primitives */
#pragma omp parallel for schedule(static) if (nchunks > 1)
  for (int64_t c = 0; c < nchunks; ++c) {
    const int64_t lo = c * chunk, len = n - lo < chunk ? n - lo : chunk;
    if (x == o) relu_inplace(o + lo, len);
    else relu_span(x + lo, o + lo, len);
  }
  bp_dnnl_unlock(ctx);
  return BP_STATUS_OK;
}

/* reference/src/ref_unary.c's clamp_f32: the bounds as f32, min first. */
__attribute__((optimize("O3"))) static void clamp_span(const float *x, float *o, int64_t n,
                                                      bool has_min, float lo, bool has_max,
                                                      float hi) {
  for (int64_t i = 0; i < n; ++i) {
    float v = x[i];
    if (has_min && v < lo) v = lo;
    if (has_max && v > hi) v = hi;
    o[i] = v;
  }
}

static bp_status_t clamp_kernel(const bp_kernel_call_t *call) {
  bp_dnnl_ctx_t *ctx = call->plugin_ctx;
  const float *x = bp_dnnl_ptr(call->inputs[0]);
  float *o = bp_dnnl_ptr(call->outputs[0]);
  const int64_t n = bp_dnnl_numel(call->outputs[0]);
  if (n == 0) return BP_STATUS_OK;
  const bool has_min = bp_dnnl_attr_bool(call, "has_min", false);
  const bool has_max = bp_dnnl_attr_bool(call, "has_max", false);
  const float lo = (float)bp_dnnl_attr_f64(call, "min", 0.0);
  const float hi = (float)bp_dnnl_attr_f64(call, "max", 0.0);
  const int64_t chunk = 1 << 16;
  const int64_t nchunks = (n + chunk - 1) / chunk;
  bp_dnnl_lock(ctx);
#pragma omp parallel for schedule(static) if (nchunks > 1)
  for (int64_t c = 0; c < nchunks; ++c) {
    const int64_t lo_i = c * chunk, len = n - lo_i < chunk ? n - lo_i : chunk;
    clamp_span(x + lo_i, o + lo_i, len, has_min, lo, has_max, hi); /* in place: element by element */
  }
  bp_dnnl_unlock(ctx);
  return BP_STATUS_OK;
}

bp_status_t bp_dnnl_relu_register(bp_dnnl_ctx_t *ctx) {
  static const bp_dtype_t sig[2] = {BP_DTYPE_F32, BP_DTYPE_F32};
  bp_status_t s = bp_dnnl_register(ctx->host, "relu", sig, 2, relu_kernel, relu_supports, NULL);
  if (!s) s = bp_dnnl_register(ctx->host, "clamp", sig, 2, clamp_kernel, relu_supports, NULL);
  return s;
}
