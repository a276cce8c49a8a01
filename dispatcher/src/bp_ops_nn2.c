/* bp_ops_nn2.c - catalog entries of the normalizations and softmax:
 * batch_norm, layer_norm, group_norm, rms_norm, softmax, log_softmax.
 * Optional tensors follow the has_<arg> scheme of bp_op_util_nn2.h. */
#include <string.h>

#include "bp_op_util.h"
#include "bp_op_util_nn2.h"

#define CHECK(expr)                 \
  do {                              \
    bp_status_t s_ = (expr);        \
    if (s_) return s_;              \
  } while (0)

/* An optional parameter slot: checked when present, else a placeholder
 * handed to the kernel in `dtype`. */
static bp_status_t opt_param(const char *op, const char *arg, bp_tensor_t *const *in, int slot,
                             bool present, int64_t n, bp_dtype_t dtype, bp_op_plan_t *plan) {
  plan->input_dtypes[slot] = dtype;
  return present ? bp_nn2_check_param(op, arg, in[slot], n, dtype) : BP_STATUS_OK;
}

static bool sig_all_same(const bp_dtype_t *d, int n) {
  return (d[0] == BP_DTYPE_BF16 || d[0] == BP_DTYPE_F32 || d[0] == BP_DTYPE_F64) &&
         bp_dtypes_all_same(d, n);
}

/* ---- batch_norm ---- */

static bp_status_t infer_batch_norm(const bp_op_def_t *def, bp_tensor_t *const *in,
                                    bp_attr_t *attrs, bp_tensor_t *const *out,
                                    bp_op_plan_t *plan) {
  (void)def; (void)out;
  const char *op = "batch_norm";
  const bp_tensor_t *x = in[0];
  bool training = attrs[0].value.b, has_w = attrs[3].value.b, has_b = attrs[4].value.b;
  bool has_rs = attrs[5].value.b;
  CHECK(bp_nn2_check_dtype(op, "x", x, BP_NN2_FLOATS3, BP_NN2_FLOATS3_NAMES));
  if (x->ndim < 2)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_batch_norm: x is %d-d (expected [N, C, ...])",
                   x->ndim);
  int64_t c = x->shape[1];
  plan->input_dtypes[0] = x->dtype;
  CHECK(opt_param(op, "weight", in, 1, has_w, c, x->dtype, plan));
  CHECK(opt_param(op, "bias", in, 2, has_b, c, x->dtype, plan));
  CHECK(opt_param(op, "running_mean", in, 3, has_rs, c, x->dtype, plan));
  CHECK(opt_param(op, "running_var", in, 4, has_rs, c, x->dtype, plan));
  if (!training && !has_rs)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_batch_norm: running_mean and running_var are required when training is "
                   "false (has_running_stats is false)");
  if (training && has_rs &&
      (bp_tensor_has_internal_overlap(in[3]) || bp_tensor_has_internal_overlap(in[4])))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_batch_norm: running_mean/running_var are updated in place and must not "
                   "have a broadcast (stride 0) dim");
  if (training) {
    int64_t per_channel = x->shape[0];
    for (int32_t d = 2; d < x->ndim; ++d) per_channel *= x->shape[d];
    if (per_channel == 1)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_batch_norm: expected more than 1 value per channel when training "
                     "(x has shape [1, %lld, 1...])", (long long)c);
  }
  bp_nn2_same_shape(plan, 0, x);
  for (int k = 1; k < 3; ++k) {
    plan->output_ndim[k] = 1;
    plan->output_shape[k][0] = c;
  }
  for (int k = 0; k < 3; ++k) plan->output_dtypes[k] = x->dtype;
  return BP_STATUS_OK;
}
static bool sig_batch_norm(const bp_dtype_t *d) { return sig_all_same(d, 8); }
/* training with running stats writes running_mean and running_var (inputs
 * 3 and 4; attrs in catalog order: training, ..., has_running_stats). */
static uint32_t mutates_batch_norm(const bp_attr_t *attrs) {
  return attrs[0].value.b && attrs[5].value.b ? (1u << 3) | (1u << 4) : 0u;
}

const bp_op_def_t bp_op_def_batch_norm = {
    .name = "batch_norm",
    .summary = "Batch normalization over dim 1 of [N, C, ...] (torch.nn.functional.batch_norm). "
               "Optional weight, bias, running stats: has_<arg> attrs, placeholder tensors when "
               "absent. training with running stats updates running_mean/running_var IN PLACE "
               "(unbiased variance; the typed entry point bumps their versions; on a device "
               "without a batch_norm kernel the fallback to ref:0 copies the updated stats "
               "back); y uses the biased variance. save_mean/save_invstd: the batch statistics (training) or the "
               "running mean and 1/sqrt(running_var + eps) (eval).",
    .dtype_rule = "bf16, f32, f64; every tensor the dtype of x",
    .num_inputs = 5, .num_outputs = 3, .differentiable = true, .form = BP_FORM_AS_IS,
    .slot_names = {"x", "weight", "bias", "running_mean", "running_var", "y", "save_mean",
                   "save_invstd"},
    .num_attrs = 6,
    .attrs = {{"training", BP_ATTR_BOOL, 0.0, 0, false, 0, "use batch statistics (and update "
               "the running stats) rather than the running stats"},
              {"momentum", BP_ATTR_FLOAT, 0.1, 0, false, 0,
               "running = (1 - momentum) * running + momentum * batch statistic"},
              {"eps", BP_ATTR_FLOAT, 1e-5, 0, false, 0, "added to the variance"},
              {"has_weight", BP_ATTR_BOOL, 0.0, 0, false, 0, "weight is given (else a placeholder)"},
              {"has_bias", BP_ATTR_BOOL, 0.0, 0, false, 0, "bias is given (else a placeholder)"},
              {"has_running_stats", BP_ATTR_BOOL, 0.0, 0, false, 0,
               "running_mean and running_var are given (else placeholders)"}},
    .infer = infer_batch_norm, .signature_ok = sig_batch_norm, .mutates = mutates_batch_norm};

/* ---- layer_norm and rms_norm ---- */

/* x's trailing dims equal normalized_shape; mean/rstd get x.shape[:axis] +
 * [1] * len(normalized_shape), as torch.native_layer_norm. */
static bp_status_t infer_last_dims_norm(const char *op, const bp_tensor_t *x,
                                        const bp_attr_t *ns, bp_op_plan_t *plan) {
  CHECK(bp_nn2_check_dtype(op, "x", x, BP_NN2_FLOATS3, BP_NN2_FLOATS3_NAMES));
  char a[256], b[256];
  int32_t k = (int32_t)ns->count;
  if (k == 0)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: normalized_shape is empty (expected 1 or more dims)", op);
  bool ok = k <= x->ndim;
  for (int32_t i = 0; ok && i < k; ++i) ok = ns->value.ints[i] == x->shape[x->ndim - k + i];
  if (!ok)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: x of shape %s does not end with normalized_shape %s", op,
                   bp_format_shape(a, sizeof(a), x->ndim, x->shape),
                   bp_format_shape(b, sizeof(b), k, ns->value.ints));
  bp_nn2_same_shape(plan, 0, x);
  plan->output_dtypes[0] = x->dtype;
  plan->input_dtypes[0] = x->dtype;
  return BP_STATUS_OK;
}
static void stats_shape(bp_op_plan_t *plan, int slot, const bp_tensor_t *x, int32_t k) {
  plan->output_ndim[slot] = x->ndim;
  for (int32_t d = 0; d < x->ndim; ++d) plan->output_shape[slot][d] = d < x->ndim - k ? x->shape[d] : 1;
  plan->output_dtypes[slot] = x->dtype;
}
static bp_status_t check_norm_weight(const char *op, const char *arg, const bp_tensor_t *w,
                                     const bp_attr_t *ns, bp_dtype_t dtype) {
  char a[256], b[256];
  if (w->ndim != (int32_t)ns->count ||
      memcmp(w->shape, ns->value.ints, sizeof(int64_t) * (size_t)ns->count))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: %s has shape %s (expected normalized_shape %s)",
                   op, arg, bp_format_shape(a, sizeof(a), w->ndim, w->shape),
                   bp_format_shape(b, sizeof(b), (int32_t)ns->count, ns->value.ints));
  if (w->dtype != dtype)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: %s is %s (expected %s, the input's dtype)",
                   op, arg, bp_dtype_name(w->dtype), bp_dtype_name(dtype));
  return BP_STATUS_OK;
}

static bp_status_t infer_layer_norm(const bp_op_def_t *def, bp_tensor_t *const *in,
                                    bp_attr_t *attrs, bp_tensor_t *const *out,
                                    bp_op_plan_t *plan) {
  (void)def; (void)out;
  const bp_tensor_t *x = in[0];
  CHECK(infer_last_dims_norm("layer_norm", x, &attrs[0], plan));
  if (attrs[2].value.b) CHECK(check_norm_weight("layer_norm", "weight", in[1], &attrs[0], x->dtype));
  if (attrs[3].value.b) CHECK(check_norm_weight("layer_norm", "bias", in[2], &attrs[0], x->dtype));
  plan->input_dtypes[1] = plan->input_dtypes[2] = x->dtype;
  stats_shape(plan, 1, x, (int32_t)attrs[0].count);
  stats_shape(plan, 2, x, (int32_t)attrs[0].count);
  return BP_STATUS_OK;
}
static bool sig_layer_norm(const bp_dtype_t *d) { return sig_all_same(d, 6); }

const bp_op_def_t bp_op_def_layer_norm = {
    .name = "layer_norm",
    .summary = "Normalizes over the trailing normalized_shape dims "
               "(torch.nn.functional.layer_norm); mean and rstd as torch.native_layer_norm. "
               "Optional weight/bias: has_<arg> attrs, placeholder tensors when absent.",
    .dtype_rule = "bf16, f32, f64; weight and bias the dtype of x",
    .num_inputs = 3, .num_outputs = 3, .differentiable = true, .form = BP_FORM_AS_IS,
    .slot_names = {"x", "weight", "bias", "y", "mean", "rstd"},
    .num_attrs = 4,
    .attrs = {{"normalized_shape", BP_ATTR_INTS, 0.0, 0, false, 0, "the trailing dims of x to normalize over"},
              {"eps", BP_ATTR_FLOAT, 1e-5, 0, false, 0, "added to the variance"},
              {"has_weight", BP_ATTR_BOOL, 0.0, 0, false, 0, "weight is given (else a placeholder)"},
              {"has_bias", BP_ATTR_BOOL, 0.0, 0, false, 0, "bias is given (else a placeholder)"}},
    .infer = infer_layer_norm, .signature_ok = sig_layer_norm};

static bp_status_t infer_rms_norm(const bp_op_def_t *def, bp_tensor_t *const *in,
                                  bp_attr_t *attrs, bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def; (void)out;
  const bp_tensor_t *x = in[0];
  CHECK(infer_last_dims_norm("rms_norm", x, &attrs[0], plan));
  if (attrs[3].value.b) CHECK(check_norm_weight("rms_norm", "weight", in[1], &attrs[0], x->dtype));
  plan->input_dtypes[1] = x->dtype;
  if (!attrs[2].value.b) { /* eps defaults to the dtype's machine epsilon */
    attrs[2].value.b = true;
    attrs[1].value.f = x->dtype == BP_DTYPE_F64 ? 2.220446049250313e-16
                       : x->dtype == BP_DTYPE_BF16 ? 0.0078125 : 1.1920928955078125e-07;
  }
  stats_shape(plan, 1, x, (int32_t)attrs[0].count);
  return BP_STATUS_OK;
}
static bool sig_rms_norm(const bp_dtype_t *d) { return sig_all_same(d, 4); }

const bp_op_def_t bp_op_def_rms_norm = {
    .name = "rms_norm",
    .summary = "y = x / sqrt(mean(x^2 over normalized_shape) + eps) * weight "
               "(torch.nn.functional.rms_norm); rstd has mean's layout of layer_norm. "
               "Optional weight: has_weight attr, placeholder tensor when absent.",
    .dtype_rule = "bf16, f32, f64; weight the dtype of x",
    .num_inputs = 2, .num_outputs = 2, .differentiable = true, .form = BP_FORM_AS_IS,
    .slot_names = {"x", "weight", "y", "rstd"},
    .num_attrs = 4,
    .attrs = {{"normalized_shape", BP_ATTR_INTS, 0.0, 0, false, 0, "the trailing dims of x to normalize over"},
              {"eps", BP_ATTR_FLOAT, 0.0, 0, false, 0, "added to mean(x^2); used when has_eps"},
              {"has_eps", BP_ATTR_BOOL, 0.0, 0, false, 0,
               "eps is given; else torch.finfo(x.dtype).eps (infer sets eps and has_eps)"},
              {"has_weight", BP_ATTR_BOOL, 0.0, 0, false, 0, "weight is given (else a placeholder)"}},
    .infer = infer_rms_norm, .signature_ok = sig_rms_norm};

/* ---- group_norm ---- */

static bp_status_t infer_group_norm(const bp_op_def_t *def, bp_tensor_t *const *in,
                                    bp_attr_t *attrs, bp_tensor_t *const *out,
                                    bp_op_plan_t *plan) {
  (void)def; (void)out;
  const char *op = "group_norm";
  const bp_tensor_t *x = in[0];
  int64_t g = attrs[0].value.i;
  CHECK(bp_nn2_check_dtype(op, "x", x, BP_NN2_FLOATS3, BP_NN2_FLOATS3_NAMES));
  if (x->ndim < 2)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_group_norm: x is %d-d (expected [N, C, ...])", x->ndim);
  int64_t c = x->shape[1];
  if (g <= 0 || c % g)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_group_norm: num_groups %lld must be positive and divide the %lld channels",
                   (long long)g, (long long)c);
  plan->input_dtypes[0] = x->dtype;
  CHECK(opt_param(op, "weight", in, 1, attrs[2].value.b, c, x->dtype, plan));
  CHECK(opt_param(op, "bias", in, 2, attrs[3].value.b, c, x->dtype, plan));
  bp_nn2_same_shape(plan, 0, x);
  for (int k = 0; k < 3; ++k) plan->output_dtypes[k] = x->dtype;
  for (int k = 1; k < 3; ++k) {
    plan->output_ndim[k] = 2;
    plan->output_shape[k][0] = x->shape[0];
    plan->output_shape[k][1] = g;
  }
  return BP_STATUS_OK;
}

const bp_op_def_t bp_op_def_group_norm = {
    .name = "group_norm",
    .summary = "Normalizes each of num_groups channel groups of [N, C, ...] "
               "(torch.nn.functional.group_norm); mean and rstd [N, G] as torch.native_group_norm. "
               "Optional weight/bias: has_<arg> attrs, placeholder tensors when absent.",
    .dtype_rule = "bf16, f32, f64; weight and bias the dtype of x",
    .num_inputs = 3, .num_outputs = 3, .differentiable = true, .form = BP_FORM_AS_IS,
    .slot_names = {"x", "weight", "bias", "y", "mean", "rstd"},
    .num_attrs = 4,
    .attrs = {{"num_groups", BP_ATTR_INT, 0.0, 0, false, 0, "groups (> 0, divides C); required"},
              {"eps", BP_ATTR_FLOAT, 1e-5, 0, false, 0, "added to the variance"},
              {"has_weight", BP_ATTR_BOOL, 0.0, 0, false, 0, "weight is given (else a placeholder)"},
              {"has_bias", BP_ATTR_BOOL, 0.0, 0, false, 0, "bias is given (else a placeholder)"}},
    .infer = infer_group_norm, .signature_ok = sig_layer_norm};

/* ---- softmax, log_softmax ---- */

static bp_status_t infer_softmax_like(const char *op, bp_tensor_t *const *in, bp_attr_t *attrs,
                                      bp_op_plan_t *plan) {
  const bp_tensor_t *x = in[0];
  int64_t dim;
  CHECK(bp_nn2_wrap_dim(op, "dim", attrs[0].value.i, x->ndim, &dim));
  attrs[0].value.i = dim;
  bp_dtype_t dt = attrs[1].value.dtype;
  if (dt == BP_DTYPE_INVALID) {
    CHECK(bp_nn2_check_dtype(op, "x", x, BP_NN2_FLOATS3, BP_NN2_FLOATS3_NAMES));
    dt = x->dtype;
  } else if (!bp_dtype_is_valid(dt) || !(BP_NN2_FLOATS3 & BP_DTYPE_BIT(dt))) {
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: dtype attribute %s is not supported (expected %s)",
                   op, bp_dtype_is_valid(dt) ? bp_dtype_name(dt) : "(invalid)", BP_NN2_FLOATS3_NAMES);
  }
  plan->input_dtypes[0] = plan->output_dtypes[0] = dt;
  bp_nn2_same_shape(plan, 0, x);
  return BP_STATUS_OK;
}
static bp_status_t infer_softmax(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                                 bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)out;
  return infer_softmax_like(def->name, in, attrs, plan);
}
static bool sig_softmax(const bp_dtype_t *d) { return sig_all_same(d, 2); }

#define SOFTMAX_ATTRS                                                                      \
  {{"dim", BP_ATTR_INT, 0.0, -1, false, 0, "the dim to normalize over (negative counts from the end)"}, \
   {"dtype", BP_ATTR_DTYPE, 0.0, 0, false, BP_DTYPE_INVALID,                                  \
    "x is cast to this dtype first (torch's dtype argument); default x's dtype"}}

const bp_op_def_t bp_op_def_softmax = {
    .name = "softmax",
    .summary = "exp(x - max) / sum(exp(x - max)) over dim (torch.nn.functional.softmax).",
    .dtype_rule = "bf16, f32, f64; the dtype attr when given",
    .num_inputs = 1, .num_outputs = 1, .differentiable = true, .form = BP_FORM_AS_IS,
    .slot_names = {"x", "out"}, .num_attrs = 2, .attrs = SOFTMAX_ATTRS,
    .infer = infer_softmax, .signature_ok = sig_softmax};

const bp_op_def_t bp_op_def_log_softmax = {
    .name = "log_softmax",
    .summary = "x - max - log(sum(exp(x - max))) over dim (torch.nn.functional.log_softmax).",
    .dtype_rule = "bf16, f32, f64; the dtype attr when given",
    .num_inputs = 1, .num_outputs = 1, .differentiable = true, .form = BP_FORM_AS_IS,
    .slot_names = {"x", "out"}, .num_attrs = 2, .attrs = SOFTMAX_ATTRS,
    .infer = infer_softmax, .signature_ok = sig_softmax};
