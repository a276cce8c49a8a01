/* dnnl_optim.c - sgd_step and adamw_step (f32) as plain loops.
 *
 * oneDNN has no optimizer primitive, so the rule is to decline and
 * let ref:0 run them. Measured, that fallback is not cheap: ref:0 gets
 * copies of param, grad and buffers and copies two or three tensors back,
 * in freshly allocated (page-faulting) memory, for every parameter every
 * step: 60% of an MLP training step on onednn:0 (784-256-128-10, batch 64),
 * which made onednn:0 slower than ref:0. On host memory the update is one
 * pass, so the plugin runs it here with the reference's arithmetic
 * (reference/src/ref_train.c: f32 loaded, the update in double, stored to
 * f32, same operation order), which gives the same bits. Tensors must all be
 * dense in one layout (outputs may be the inputs: in-place updates);
 * anything else is declined. */
#include <math.h>

#include "dnnl_plugin.h"

static bool dense_like(const bp_tensor_desc_t *t, const bp_tensor_desc_t *ref) {
  if (t->ndim != ref->ndim) return false;
  int64_t expect = 1;
  for (int32_t d = t->ndim - 1; d >= 0; --d) {
    if (t->shape[d] != ref->shape[d]) return false;
    if (t->shape[d] == 1) continue;
    if (t->strides[d] != expect) return false;
    expect *= t->shape[d];
  }
  return true;
}

static bool optim_supports(const bp_kernel_call_t *call) {
  const bp_tensor_desc_t *p = call->outputs[0];
  for (uint32_t i = 0; i < call->num_inputs; ++i)
    if (!dense_like(call->inputs[i], p)) return false;
  for (uint32_t i = 0; i < call->num_outputs; ++i)
    if (!dense_like(call->outputs[i], p)) return false;
  return true;
}

#define CHUNK (1 << 15) /* elements per thread's share, at least */

typedef struct sgd_params {
  double lr, momentum, dampening, wd;
  bool nesterov, maximize, first;
} sgd_params_t;

/* One span; O3 so that the loop-invariant branches are hoisted (unswitched)
 * and each variant vectorizes. */
__attribute__((optimize("O3"))) static void sgd_span(const sgd_params_t *q, const float *pin,
                                                    const float *gin, const float *bin,
                                                    float *pout, float *bout, int64_t n) {
  const double lr = q->lr, momentum = q->momentum, dampening = q->dampening, wd = q->wd;
  const bool nesterov = q->nesterov, maximize = q->maximize, first = q->first;
  for (int64_t i = 0; i < n; ++i) {
    const double param = pin[i], g = gin[i];
    double buf = bin[i];
    double d = maximize ? -g : g;
    if (wd != 0.0) d += wd * param;
    if (momentum != 0.0) {
      buf = first ? d : momentum * buf + (1.0 - dampening) * d;
      d = nesterov ? d + momentum * buf : buf;
    }
    pout[i] = (float)(param - lr * d);
    bout[i] = (float)buf;
  }
}

static bp_status_t sgd_kernel(const bp_kernel_call_t *call) {
  bp_dnnl_ctx_t *ctx = call->plugin_ctx;
  const int64_t n = bp_dnnl_numel(call->outputs[0]);
  if (n == 0) return BP_STATUS_OK;
  const sgd_params_t q = {
      .lr = bp_dnnl_attr_f64(call, "lr", 0.001),
      .momentum = bp_dnnl_attr_f64(call, "momentum", 0.0),
      .dampening = bp_dnnl_attr_f64(call, "dampening", 0.0),
      .wd = bp_dnnl_attr_f64(call, "weight_decay", 0.0),
      .nesterov = bp_dnnl_attr_bool(call, "nesterov", false),
      .maximize = bp_dnnl_attr_bool(call, "maximize", false),
      .first = bp_dnnl_attr_int(call, "step", 1) <= 1,
  };
  const float *pin = bp_dnnl_ptr(call->inputs[0]), *gin = bp_dnnl_ptr(call->inputs[1]);
  const float *bin = bp_dnnl_ptr(call->inputs[2]);
  float *pout = bp_dnnl_ptr(call->outputs[0]), *bout = bp_dnnl_ptr(call->outputs[1]);
  const int64_t nchunks = (n + CHUNK - 1) / CHUNK;
  bp_dnnl_lock(ctx); /* the thread count, as for the primitives */
#pragma omp parallel for schedule(static) if (nchunks > 2)
  for (int64_t c = 0; c < nchunks; ++c) {
    const int64_t lo = c * CHUNK, len = n - lo < CHUNK ? n - lo : CHUNK;
    sgd_span(&q, pin + lo, gin + lo, bin + lo, pout + lo, bout + lo, len);
  }
  bp_dnnl_unlock(ctx);
  return BP_STATUS_OK;
}

static bp_status_t adamw_kernel(const bp_kernel_call_t *call) {
  bp_dnnl_ctx_t *ctx = call->plugin_ctx;
  const int64_t n = bp_dnnl_numel(call->outputs[0]);
  if (n == 0) return BP_STATUS_OK;
  const double lr = bp_dnnl_attr_f64(call, "lr", 0.001);
  const double b1 = bp_dnnl_attr_f64(call, "beta1", 0.9), b2 = bp_dnnl_attr_f64(call, "beta2", 0.999);
  const double eps = bp_dnnl_attr_f64(call, "eps", 1e-8);
  const double decay = 1.0 - lr * bp_dnnl_attr_f64(call, "weight_decay", 0.01);
  const double step = (double)bp_dnnl_attr_int(call, "step", 1);
  const bool maximize = bp_dnnl_attr_bool(call, "maximize", false);
  const double step_size = lr / (1.0 - pow(b1, step));
  const double bc2_sqrt = sqrt(1.0 - pow(b2, step));
  const float *pin = bp_dnnl_ptr(call->inputs[0]), *gin = bp_dnnl_ptr(call->inputs[1]);
  const float *min = bp_dnnl_ptr(call->inputs[2]), *vin = bp_dnnl_ptr(call->inputs[3]);
  float *pout = bp_dnnl_ptr(call->outputs[0]), *mout = bp_dnnl_ptr(call->outputs[1]);
  float *vout = bp_dnnl_ptr(call->outputs[2]);
  bp_dnnl_lock(ctx);
#pragma omp parallel for schedule(static) if (n > 2 * CHUNK)
  for (int64_t i = 0; i < n; ++i) {
    double param = pin[i], g = gin[i], m = min[i], v = vin[i];
    if (maximize) g = -g;
    param *= decay;
    m = b1 * m + (1.0 - b1) * g;
    v = b2 * v + (1.0 - b2) * g * g;
    const double denom = sqrt(v) / bc2_sqrt + eps;
    pout[i] = (float)(param - step_size * m / denom);
    mout[i] = (float)m;
    vout[i] = (float)v;
  }
  bp_dnnl_unlock(ctx);
  return BP_STATUS_OK;
}

bp_status_t bp_dnnl_optim_register(bp_dnnl_ctx_t *ctx) {
  static const bp_dtype_t f = BP_DTYPE_F32;
  static const bp_dtype_t sgd[5] = {f, f, f, f, f}, adamw[7] = {f, f, f, f, f, f, f};
  bp_status_t s = bp_dnnl_register(ctx->host, "sgd_step", sgd, 5, sgd_kernel, optim_supports, NULL);
  if (!s) s = bp_dnnl_register(ctx->host, "adamw_step", adamw, 7, adamw_kernel, optim_supports, NULL);
  return s;
}
