/* ref_train.c - reference kernels of the optimizer ops sgd_step and
 * adamw_step (f16, bf16, f32, f64). Each element is computed in double from
 * the inputs and rounded once to the dtype; torch.optim's single-tensor
 * algorithm (torch 1.13) in the same order of operations.
 *
 * The outputs may be the inputs themselves (an in-place update): each
 * element's inputs are read before its outputs are written, and a tensor
 * passed as both has one layout, so no element is read after it was
 * overwritten. */
#include <math.h>
#include <stddef.h>

#include "ref_dtype.h"
#include "ref_kernel.h"

#define TRAIN_MAX_OPS 7

/* Walks nops tensors of one shape in row-major order, element by element. */
typedef struct walk {
  int32_t ndim, nops;
  const int64_t *shape;
  int64_t index[BP_REF_MAX_DIMS];
  int64_t stride[TRAIN_MAX_OPS][BP_REF_MAX_DIMS]; /* bytes */
  char *ptr[TRAIN_MAX_OPS];
} walk_t;

static void walk_init(walk_t *w, const bp_kernel_call_t *call, size_t elem) {
  const bp_tensor_desc_t *o = call->outputs[0];
  w->ndim = o->ndim;
  w->shape = o->shape;
  w->nops = (int32_t)(call->num_inputs + call->num_outputs);
  for (int32_t k = 0; k < w->nops; ++k) {
    const bp_tensor_desc_t *t = k < (int32_t)call->num_inputs ? call->inputs[k]
                                                              : call->outputs[k - call->num_inputs];
    w->ptr[k] = bp_ref_base(t);
    for (int32_t d = 0; d < w->ndim; ++d) w->stride[k][d] = t->strides[d] * (int64_t)elem;
  }
  for (int32_t d = 0; d < w->ndim; ++d) w->index[d] = 0;
}

static void walk_next(walk_t *w) {
  for (int32_t d = w->ndim - 1; d >= 0; --d) {
    if (++w->index[d] < w->shape[d]) {
      for (int32_t k = 0; k < w->nops; ++k) w->ptr[k] += w->stride[k][d];
      return;
    }
    w->index[d] = 0;
    for (int32_t k = 0; k < w->nops; ++k) w->ptr[k] -= w->stride[k][d] * (w->shape[d] - 1);
  }
}

static bp_status_t read_attr(const bp_kernel_call_t *call, const char *op, const char *name,
                             bp_attr_type_t type, const bp_attr_t **out) {
  *out = bp_abi_find_attr(call, name);
  if (!*out || (*out)->type != type)
    return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL, "ref %s: missing or mistyped attribute %s",
                       op, name);
  return BP_STATUS_OK;
}

/* ---- sgd_step: param, grad, momentum_buffer -> param, momentum_buffer ---- */

static bp_status_t ref_sgd_step(const bp_kernel_call_t *call) {
  bp_status_t s = bp_ref_check_call(call, "sgd_step", 3, 2);
  const bp_attr_t *a_lr, *a_mom, *a_damp, *a_nest, *a_wd, *a_max, *a_step;
  if (!s) s = read_attr(call, "sgd_step", "lr", BP_ATTR_FLOAT, &a_lr);
  if (!s) s = read_attr(call, "sgd_step", "momentum", BP_ATTR_FLOAT, &a_mom);
  if (!s) s = read_attr(call, "sgd_step", "dampening", BP_ATTR_FLOAT, &a_damp);
  if (!s) s = read_attr(call, "sgd_step", "nesterov", BP_ATTR_BOOL, &a_nest);
  if (!s) s = read_attr(call, "sgd_step", "weight_decay", BP_ATTR_FLOAT, &a_wd);
  if (!s) s = read_attr(call, "sgd_step", "maximize", BP_ATTR_BOOL, &a_max);
  if (!s) s = read_attr(call, "sgd_step", "step", BP_ATTR_INT, &a_step);
  if (s) return s;
  const bp_tensor_desc_t *p = call->outputs[0];
  int64_t n = bp_ref_numel(p);
  if (n == 0) return BP_STATUS_OK;
  bp_ref_load_f64_fn load = bp_ref_loader_f64(p->dtype);
  bp_ref_store_f64_fn store = bp_ref_storer_f64(p->dtype);
  const double lr = a_lr->value.f, momentum = a_mom->value.f, dampening = a_damp->value.f;
  const double wd = a_wd->value.f;
  const bool nesterov = a_nest->value.b, maximize = a_max->value.b;
  const bool first = a_step->value.i <= 1;
  walk_t w;
  walk_init(&w, call, bp_abi_dtype_size(p->dtype));
  for (int64_t i = 0; i < n; ++i, walk_next(&w)) {
    double param = load(w.ptr[0]), g = load(w.ptr[1]), buf = load(w.ptr[2]);
    double d = maximize ? -g : g;
    if (wd != 0.0) d += wd * param;
    if (momentum != 0.0) {
      buf = first ? d : momentum * buf + (1.0 - dampening) * d;
      d = nesterov ? d + momentum * buf : buf;
    }
    store(w.ptr[3], param - lr * d);
    store(w.ptr[4], buf);
  }
  return BP_STATUS_OK;
}

/* ---- adamw_step: param, grad, exp_avg, exp_avg_sq -> param, exp_avg, exp_avg_sq ---- */

static bp_status_t ref_adamw_step(const bp_kernel_call_t *call) {
  bp_status_t s = bp_ref_check_call(call, "adamw_step", 4, 3);
  const bp_attr_t *a_lr, *a_b1, *a_b2, *a_eps, *a_wd, *a_step, *a_max;
  if (!s) s = read_attr(call, "adamw_step", "lr", BP_ATTR_FLOAT, &a_lr);
  if (!s) s = read_attr(call, "adamw_step", "beta1", BP_ATTR_FLOAT, &a_b1);
  if (!s) s = read_attr(call, "adamw_step", "beta2", BP_ATTR_FLOAT, &a_b2);
  if (!s) s = read_attr(call, "adamw_step", "eps", BP_ATTR_FLOAT, &a_eps);
  if (!s) s = read_attr(call, "adamw_step", "weight_decay", BP_ATTR_FLOAT, &a_wd);
  if (!s) s = read_attr(call, "adamw_step", "step", BP_ATTR_INT, &a_step);
  if (!s) s = read_attr(call, "adamw_step", "maximize", BP_ATTR_BOOL, &a_max);
  if (s) return s;
  const bp_tensor_desc_t *p = call->outputs[0];
  int64_t n = bp_ref_numel(p);
  if (n == 0) return BP_STATUS_OK;
  bp_ref_load_f64_fn load = bp_ref_loader_f64(p->dtype);
  bp_ref_store_f64_fn store = bp_ref_storer_f64(p->dtype);
  const double lr = a_lr->value.f, b1 = a_b1->value.f, b2 = a_b2->value.f, eps = a_eps->value.f;
  const double decay = 1.0 - lr * a_wd->value.f;
  const double step = (double)a_step->value.i;
  const bool maximize = a_max->value.b;
  const double step_size = lr / (1.0 - pow(b1, step));
  const double bc2_sqrt = sqrt(1.0 - pow(b2, step));
  walk_t w;
  walk_init(&w, call, bp_abi_dtype_size(p->dtype));
  for (int64_t i = 0; i < n; ++i, walk_next(&w)) {
    double param = load(w.ptr[0]), g = load(w.ptr[1]);
    double m = load(w.ptr[2]), v = load(w.ptr[3]);
    if (maximize) g = -g;
    param *= decay;
    m = b1 * m + (1.0 - b1) * g;
    v = b2 * v + (1.0 - b2) * g * g;
    double denom = sqrt(v) / bc2_sqrt + eps;
    store(w.ptr[4], param - step_size * m / denom);
    store(w.ptr[5], m);
    store(w.ptr[6], v);
  }
  return BP_STATUS_OK;
}

#define SIG5(t) {t, t, t, t, t}
#define SIG7(t) {t, t, t, t, t, t, t}
static const bp_dtype_t sgd_sigs[][5] = {SIG5(BP_DTYPE_F16), SIG5(BP_DTYPE_BF16),
                                         SIG5(BP_DTYPE_F32), SIG5(BP_DTYPE_F64)};
static const bp_dtype_t adamw_sigs[][7] = {SIG7(BP_DTYPE_F16), SIG7(BP_DTYPE_BF16),
                                           SIG7(BP_DTYPE_F32), SIG7(BP_DTYPE_F64)};

bp_status_t bp_ref_train_register(const bp_host_api_t *host) {
  bp_status_t s = BP_STATUS_OK;
  for (size_t i = 0; i < 4 && !s; ++i) {
    s = bp_ref_register(host, "sgd_step", sgd_sigs[i], 5, ref_sgd_step, NULL);
    if (!s) s = bp_ref_register(host, "adamw_step", adamw_sigs[i], 7, ref_adamw_step, NULL);
  }
  return s;
}
