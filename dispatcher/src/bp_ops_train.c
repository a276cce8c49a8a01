/* bp_ops_train.c - catalog entries of the optimizer ops: sgd_step and
 * adamw_step (one step of torch.optim.SGD / torch.optim.AdamW on one
 * parameter tensor), and their typed entry points.
 *
 * Each op reads the parameter, its gradient and its state buffers and writes
 * the updated parameter and buffers. The outputs may be (and through the
 * typed entry points are) the input tensors themselves: the update happens
 * in place. Kernels read every input element before writing the output
 * element at the same position, and inputs and outputs must then have the
 * same layout, which a tensor passed as both has. */
#include <math.h>
#include <string.h>

#include "bp_op_catalog.h"
#include "bp_op_util.h"

static bool sig_train(const bp_dtype_t *d, int n) {
  return bp_dtype_is_float(d[0]) && bp_dtypes_all_same(d, n);
}
static bool sig_sgd(const bp_dtype_t *d) { return sig_train(d, 5); }
static bool sig_adamw(const bp_dtype_t *d) { return sig_train(d, 7); }

/* Every input has param's dtype and shape; each output (when given) too. */
static bp_status_t infer_state(const bp_op_def_t *def, bp_tensor_t *const *in,
                               bp_tensor_t *const *out, bp_op_plan_t *plan) {
  const bp_tensor_t *p = in[0];
  if (!bp_dtype_is_float(p->dtype))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: param is %s; expected a floating-point tensor (f16, bf16, f32, f64)",
                   def->name, bp_dtype_name(p->dtype));
  for (int i = 1; i < def->num_inputs; ++i) {
    const bp_tensor_t *t = in[i];
    if (t->dtype != p->dtype)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: %s is %s but param is %s", def->name,
                     def->slot_names[i], bp_dtype_name(t->dtype), bp_dtype_name(p->dtype));
    if (t->ndim != p->ndim || memcmp(t->shape, p->shape, sizeof(int64_t) * (size_t)p->ndim)) {
      char a[256], b[256];
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_%s: %s has shape %s but param has %s (they must be the same)", def->name,
                     def->slot_names[i], bp_format_shape(a, sizeof(a), t->ndim, t->shape),
                     bp_format_shape(b, sizeof(b), p->ndim, p->shape));
    }
  }
  for (int i = 0; i < def->num_inputs; ++i) plan->input_dtypes[i] = p->dtype;
  for (int k = 0; k < def->num_outputs; ++k) {
    plan->output_dtypes[k] = p->dtype;
    plan->output_ndim[k] = p->ndim;
    memcpy(plan->output_shape[k], p->shape, sizeof(int64_t) * (size_t)p->ndim);
  }
  (void)out; /* the dispatcher checks given outputs against the plan */
  return BP_STATUS_OK;
}

/* ---- sgd_step ---- */

enum { SGD_LR, SGD_MOMENTUM, SGD_DAMPENING, SGD_NESTEROV, SGD_WEIGHT_DECAY, SGD_MAXIMIZE,
       SGD_STEP };

static bp_status_t infer_sgd(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                             bp_tensor_t *const *out, bp_op_plan_t *plan) {
  double lr = attrs[SGD_LR].value.f, momentum = attrs[SGD_MOMENTUM].value.f;
  double dampening = attrs[SGD_DAMPENING].value.f, wd = attrs[SGD_WEIGHT_DECAY].value.f;
  /* torch.optim.SGD's checks, with its words. */
  if (!(lr >= 0.0))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_sgd_step: lr: invalid learning rate %g (expected >= 0)", lr);
  if (!(momentum >= 0.0))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_sgd_step: momentum: invalid value %g (expected >= 0)", momentum);
  if (!(wd >= 0.0))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_sgd_step: weight_decay: invalid value %g (expected >= 0)", wd);
  if (dampening != dampening)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_sgd_step: dampening is NaN");
  if (attrs[SGD_NESTEROV].value.b && (momentum <= 0.0 || dampening != 0.0))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_sgd_step: nesterov: Nesterov momentum requires a momentum > 0 and zero "
                   "dampening (got momentum %g, dampening %g)", momentum, dampening);
  if (attrs[SGD_STEP].value.i < 1)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_sgd_step: step: %lld; expected the step number, >= 1",
                   (long long)attrs[SGD_STEP].value.i);
  return infer_state(def, in, out, plan);
}

const bp_op_def_t bp_op_def_sgd_step = {
    .name = "sgd_step",
    .summary = "One step of torch.optim.SGD on one parameter: updates param and momentum_buffer "
               "(outputs; pass the inputs themselves to update in place).",
    .dtype_rule = "f16, bf16, f32, f64; every tensor param's dtype and shape",
    .num_inputs = 3, .num_outputs = 2, .outputs_required = false, .differentiable = false,
    .form = BP_FORM_ELEMENTWISE,
    .slot_names = {"param", "grad", "momentum_buffer", "param_out", "momentum_buffer_out"},
    .num_attrs = 7,
    .attrs = {{"lr", BP_ATTR_FLOAT, 1e-3, 0, false, 0, "learning rate, >= 0"},
              {"momentum", BP_ATTR_FLOAT, 0.0, 0, false, 0,
               "momentum factor, >= 0 (0: momentum_buffer is passed through unchanged)"},
              {"dampening", BP_ATTR_FLOAT, 0.0, 0, false, 0, "dampening of the momentum"},
              {"nesterov", BP_ATTR_BOOL, 0.0, 0, false, 0,
               "Nesterov momentum (needs momentum > 0 and dampening 0)"},
              {"weight_decay", BP_ATTR_FLOAT, 0.0, 0, false, 0, "L2 penalty, >= 0"},
              {"maximize", BP_ATTR_BOOL, 0.0, 0, false, 0, "ascend the objective"},
              {"step", BP_ATTR_INT, 0.0, 1, false, 0,
               "the step number, from 1: at step 1 the momentum buffer starts as the gradient "
               "(torch's first step, which ignores momentum_buffer's contents and dampening)"}},
    .infer = infer_sgd, .signature_ok = sig_sgd};

/* ---- adamw_step ---- */

enum { ADAMW_LR, ADAMW_BETA1, ADAMW_BETA2, ADAMW_EPS, ADAMW_WEIGHT_DECAY, ADAMW_STEP,
       ADAMW_AMSGRAD, ADAMW_MAXIMIZE };

static bp_status_t infer_adamw(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                               bp_tensor_t *const *out, bp_op_plan_t *plan) {
  double lr = attrs[ADAMW_LR].value.f, eps = attrs[ADAMW_EPS].value.f;
  double b1 = attrs[ADAMW_BETA1].value.f, b2 = attrs[ADAMW_BETA2].value.f;
  double wd = attrs[ADAMW_WEIGHT_DECAY].value.f;
  if (!(lr >= 0.0))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_adamw_step: lr: invalid learning rate %g (expected >= 0)", lr);
  if (!(eps >= 0.0))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_adamw_step: eps: invalid epsilon value %g (expected >= 0)", eps);
  if (!(b1 >= 0.0 && b1 < 1.0))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_adamw_step: beta1: invalid value %g (expected in [0, 1))", b1);
  if (!(b2 >= 0.0 && b2 < 1.0))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_adamw_step: beta2: invalid value %g (expected in [0, 1))", b2);
  if (!(wd >= 0.0))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_adamw_step: weight_decay: invalid value %g (expected >= 0)", wd);
  if (attrs[ADAMW_STEP].value.i < 1)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_adamw_step: step: %lld; expected the step number, >= 1",
                   (long long)attrs[ADAMW_STEP].value.i);
  if (attrs[ADAMW_AMSGRAD].value.b)
    return bp_fail(BP_STATUS_UNSUPPORTED,
                   "bp_adamw_step: amsgrad: true is not supported (it needs a max_exp_avg_sq "
                   "buffer this op does not take)");
  return infer_state(def, in, out, plan);
}

const bp_op_def_t bp_op_def_adamw_step = {
    .name = "adamw_step",
    .summary = "One step of torch.optim.AdamW (Adam when weight_decay is 0) on one parameter: "
               "updates param, exp_avg and exp_avg_sq (outputs; pass the inputs themselves to "
               "update in place).",
    .dtype_rule = "f16, bf16, f32, f64; every tensor param's dtype and shape",
    .num_inputs = 4, .num_outputs = 3, .outputs_required = false, .differentiable = false,
    .form = BP_FORM_ELEMENTWISE,
    .slot_names = {"param", "grad", "exp_avg", "exp_avg_sq", "param_out", "exp_avg_out",
                   "exp_avg_sq_out"},
    .num_attrs = 8,
    .attrs = {{"lr", BP_ATTR_FLOAT, 1e-3, 0, false, 0, "learning rate, >= 0"},
              {"beta1", BP_ATTR_FLOAT, 0.9, 0, false, 0, "decay of exp_avg, in [0, 1) (betas[0])"},
              {"beta2", BP_ATTR_FLOAT, 0.999, 0, false, 0, "decay of exp_avg_sq, in [0, 1) (betas[1])"},
              {"eps", BP_ATTR_FLOAT, 1e-8, 0, false, 0, "added to the denominator, >= 0"},
              {"weight_decay", BP_ATTR_FLOAT, 1e-2, 0, false, 0,
               "decoupled weight decay, >= 0 (param *= 1 - lr * weight_decay)"},
              {"step", BP_ATTR_INT, 0.0, 1, false, 0,
               "the step number, from 1 (bias corrections 1 - beta^step)"},
              {"amsgrad", BP_ATTR_BOOL, 0.0, 0, false, 0, "must be false (not supported)"},
              {"maximize", BP_ATTR_BOOL, 0.0, 0, false, 0, "ascend the objective"}},
    .infer = infer_adamw, .signature_ok = sig_adamw};
