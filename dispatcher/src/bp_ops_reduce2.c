/* bp_ops_reduce2.c - catalog entries of the reductions beyond sum: mean,
 * prod, amax, amin, max, min, argmax, argmin, var, std, norm, logsumexp, all,
 * any. All run in the REDUCE form (kernels get outputs in keepdim form). */
#include <math.h>
#include <string.h>

#include "bp_op_catalog.h"
#include "bp_op_util.h"
#include "bp_op_util_reduce.h"

#define ATTR_DIMS {"dim", BP_ATTR_INTS, 0.0, 0, false, 0, "dims to reduce; empty = all"}
#define ATTR_KEEPDIM {"keepdim", BP_ATTR_BOOL, 0.0, 0, false, 0, "keep reduced dims as size 1"}
#define ATTR_DTYPE(doc) {"dtype", BP_ATTR_DTYPE, 0.0, 0, false, BP_DTYPE_INVALID, doc}

static bool is_sum_dtype(bp_dtype_t d) { return bp_dtype_is_float(d) || d == BP_DTYPE_I64; }

/* Dims, keepdim and output shapes of a reduction over a dim list. */
static bp_status_t plan_dims(const bp_op_def_t *def, const bp_tensor_t *x, const bp_attr_t *dim,
                             bool keepdim, bool needs_nonempty, bp_op_plan_t *plan) {
  uint64_t mask = 0;
  bp_status_t s = bp_reduce_mask(def->name, x, dim, &mask);
  if (!s && needs_nonempty) s = bp_reduce_check_nonempty(def->name, x, mask);
  if (s) return s;
  bp_reduce_plan_shape(x, mask, keepdim, def->num_outputs, plan);
  return BP_STATUS_OK;
}

static bp_status_t check_dtype_attr(const bp_op_def_t *def, bp_dtype_t dtype) {
  if (dtype != BP_DTYPE_INVALID && !bp_dtype_is_valid(dtype))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: dtype attribute %u is not a dtype",
                   def->name, (unsigned)dtype);
  return BP_STATUS_OK;
}

static bool sig_same_sum(const bp_dtype_t *d) { return is_sum_dtype(d[0]) && d[0] == d[1]; }
static bool sig_same_float(const bp_dtype_t *d) { return bp_dtype_is_float(d[0]) && d[0] == d[1]; }
static bool sig_same_any(const bp_dtype_t *d) { return bp_dtype_is_valid(d[0]) && d[0] == d[1]; }

/* ---- mean ---- */

static bp_status_t infer_mean(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                              bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)out;
  const bp_tensor_t *x = in[0];
  bp_dtype_t dtype = attrs[2].value.dtype;
  bp_status_t s = check_dtype_attr(def, dtype);
  if (s) return s;
  if (dtype == BP_DTYPE_INVALID) {
    if (!bp_dtype_is_float(x->dtype))
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_mean: x is %s; mean needs a floating point x or a floating point dtype "
                     "attribute (as torch.mean)",
                     bp_dtype_name(x->dtype));
    dtype = x->dtype;
  } else if (!bp_dtype_is_float(dtype)) {
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_mean: dtype %s is not supported (expected f16, bf16, f32 or f64)",
                   bp_dtype_name(dtype));
  }
  if ((s = plan_dims(def, x, &attrs[0], attrs[1].value.b, false, plan))) return s;
  plan->input_dtypes[0] = plan->output_dtypes[0] = dtype;
  return BP_STATUS_OK;
}

const bp_op_def_t bp_op_def_mean = {
    .name = "mean", .summary = "Mean over dims, all when dim is empty (torch.mean).",
    .dtype_rule = "floats; dtype if given (a float dtype: x is cast to it first); integers need dtype",
    .num_inputs = 1, .num_outputs = 1, .differentiable = true, .form = BP_FORM_REDUCE,
    .slot_names = {"x", "out"}, .num_attrs = 3,
    .attrs = {ATTR_DIMS, ATTR_KEEPDIM, ATTR_DTYPE("cast x to this float dtype first")},
    .infer = infer_mean, .signature_ok = sig_same_float};

/* ---- prod ---- */

static bp_status_t infer_prod(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                              bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)out;
  const bp_tensor_t *x = in[0];
  bp_dtype_t dtype;
  bp_status_t s = bp_reduce_sum_like_dtype(def->name, x, attrs[2].value.dtype, &dtype);
  if (s || (s = plan_dims(def, x, &attrs[0], attrs[1].value.b, false, plan))) return s;
  plan->input_dtypes[0] = plan->output_dtypes[0] = dtype;
  return BP_STATUS_OK;
}

const bp_op_def_t bp_op_def_prod = {
    .name = "prod", .summary = "Product over dims, all when dim is empty (torch.prod).",
    .dtype_rule = "dtype if given; else floats keep theirs, bool and integers give i64 (wrapping)",
    .num_inputs = 1, .num_outputs = 1, .differentiable = true, .form = BP_FORM_REDUCE,
    .slot_names = {"x", "out"}, .num_attrs = 3,
    .attrs = {ATTR_DIMS, ATTR_KEEPDIM, ATTR_DTYPE("accumulate and return in this dtype")},
    .infer = infer_prod, .signature_ok = sig_same_sum};

/* ---- amax, amin ---- */

static bp_status_t infer_amax(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                              bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)out;
  const bp_tensor_t *x = in[0];
  bp_status_t s = plan_dims(def, x, &attrs[0], attrs[1].value.b, true, plan);
  if (s) return s;
  plan->input_dtypes[0] = plan->output_dtypes[0] = x->dtype;
  return BP_STATUS_OK;
}

const bp_op_def_t bp_op_def_amax = {
    .name = "amax",
    .summary = "Maximum over dims, all when dim is empty; NaN propagates (torch.amax).",
    .dtype_rule = "any dtype; out has x's", .num_inputs = 1, .num_outputs = 1,
    .differentiable = true, .form = BP_FORM_REDUCE, .slot_names = {"x", "out"}, .num_attrs = 2,
    .attrs = {ATTR_DIMS, ATTR_KEEPDIM}, .infer = infer_amax, .signature_ok = sig_same_any};

const bp_op_def_t bp_op_def_amin = {
    .name = "amin",
    .summary = "Minimum over dims, all when dim is empty; NaN propagates (torch.amin).",
    .dtype_rule = "any dtype; out has x's", .num_inputs = 1, .num_outputs = 1,
    .differentiable = true, .form = BP_FORM_REDUCE, .slot_names = {"x", "out"}, .num_attrs = 2,
    .attrs = {ATTR_DIMS, ATTR_KEEPDIM}, .infer = infer_amax, .signature_ok = sig_same_any};

/* ---- max, min (values and indices over one dim) ---- */

static bp_status_t infer_max(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                             bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)out;
  const bp_tensor_t *x = in[0];
  int64_t d = attrs[0].value.i;
  bp_status_t s = bp_reduce_one_dim(def->name, x, &d);
  if (s) return s;
  attrs[0].value.i = d;
  uint64_t mask = x->ndim > 0 ? 1ull << d : 0;
  if ((s = bp_reduce_check_nonempty(def->name, x, mask))) return s;
  bp_reduce_plan_shape(x, mask, attrs[1].value.b, 2, plan);
  plan->input_dtypes[0] = plan->output_dtypes[0] = x->dtype;
  plan->output_dtypes[1] = BP_DTYPE_I64;
  return BP_STATUS_OK;
}
static bool sig_max(const bp_dtype_t *d) {
  return bp_dtype_is_valid(d[0]) && d[0] == d[1] && d[2] == BP_DTYPE_I64;
}

const bp_op_def_t bp_op_def_max = {
    .name = "max",
    .summary = "Maximum over one dim with its index, the first one on ties; NaN counts as the "
               "maximum (torch.max(x, dim)).",
    .dtype_rule = "any dtype; values have x's, indices are i64", .num_inputs = 1,
    .num_outputs = 2, .differentiable = true, .form = BP_FORM_REDUCE,
    .slot_names = {"x", "values", "indices"}, .num_attrs = 2,
    .attrs = {{"dim", BP_ATTR_INT, 0.0, 0, false, 0, "dim to reduce (negative counts from the end)"},
              ATTR_KEEPDIM},
    .infer = infer_max, .signature_ok = sig_max};

const bp_op_def_t bp_op_def_min = {
    .name = "min",
    .summary = "Minimum over one dim with its index, the first one on ties; NaN counts as the "
               "minimum (torch.min(x, dim)).",
    .dtype_rule = "any dtype; values have x's, indices are i64", .num_inputs = 1,
    .num_outputs = 2, .differentiable = true, .form = BP_FORM_REDUCE,
    .slot_names = {"x", "values", "indices"}, .num_attrs = 2,
    .attrs = {{"dim", BP_ATTR_INT, 0.0, 0, false, 0, "dim to reduce (negative counts from the end)"},
              ATTR_KEEPDIM},
    .infer = infer_max, .signature_ok = sig_max};

/* ---- argmax, argmin ---- */

static bp_status_t infer_argmax(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                                bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)out;
  const bp_tensor_t *x = in[0];
  if (x->dtype == BP_DTYPE_BOOL)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: x is bool; expected a numeric dtype (as torch.%s)", def->name,
                   def->name);
  bool has_dim = attrs[1].value.b;
  uint64_t mask = x->ndim >= 64 ? ~0ull : ((1ull << x->ndim) - 1);
  bp_status_t s;
  if (has_dim) {
    int64_t d = attrs[0].value.i;
    if ((s = bp_reduce_one_dim(def->name, x, &d))) return s;
    attrs[0].value.i = d;
    mask = x->ndim > 0 ? 1ull << d : 0;
  }
  if ((s = bp_reduce_check_nonempty(def->name, x, mask))) return s;
  bp_reduce_plan_shape(x, mask, attrs[2].value.b, 1, plan);
  plan->input_dtypes[0] = x->dtype;
  plan->output_dtypes[0] = BP_DTYPE_I64;
  return BP_STATUS_OK;
}
static bool sig_argmax(const bp_dtype_t *d) {
  return bp_dtype_is_valid(d[0]) && d[0] != BP_DTYPE_BOOL && d[1] == BP_DTYPE_I64;
}

const bp_op_def_t bp_op_def_argmax = {
    .name = "argmax",
    .summary = "Index of the maximum over one dim, or of the flattened x when has_dim is false; "
               "the first on ties, NaN counts as the maximum (torch.argmax).",
    .dtype_rule = "numeric (not bool); out is i64", .num_inputs = 1, .num_outputs = 1,
    .differentiable = false, .form = BP_FORM_REDUCE, .slot_names = {"x", "out"}, .num_attrs = 3,
    .attrs = {{"dim", BP_ATTR_INT, 0.0, 0, false, 0, "dim to reduce, used when has_dim"},
              {"has_dim", BP_ATTR_BOOL, 0.0, 0, false, 0,
               "false: index into the flattened x (torch's dim=None)"},
              ATTR_KEEPDIM},
    .infer = infer_argmax, .signature_ok = sig_argmax};

const bp_op_def_t bp_op_def_argmin = {
    .name = "argmin",
    .summary = "Index of the minimum over one dim, or of the flattened x when has_dim is false; "
               "the first on ties, NaN counts as the minimum (torch.argmin).",
    .dtype_rule = "numeric (not bool); out is i64", .num_inputs = 1, .num_outputs = 1,
    .differentiable = false, .form = BP_FORM_REDUCE, .slot_names = {"x", "out"}, .num_attrs = 3,
    .attrs = {{"dim", BP_ATTR_INT, 0.0, 0, false, 0, "dim to reduce, used when has_dim"},
              {"has_dim", BP_ATTR_BOOL, 0.0, 0, false, 0,
               "false: index into the flattened x (torch's dim=None)"},
              ATTR_KEEPDIM},
    .infer = infer_argmax, .signature_ok = sig_argmax};

/* ---- var, std ---- */

static bp_status_t infer_var(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                             bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)out;
  const bp_tensor_t *x = in[0];
  if (!bp_dtype_is_float(x->dtype))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: x is %s; expected a floating point dtype (as torch.%s)", def->name,
                   bp_dtype_name(x->dtype), def->name);
  bp_status_t s = plan_dims(def, x, &attrs[0], attrs[2].value.b, false, plan);
  if (s) return s;
  plan->input_dtypes[0] = plan->output_dtypes[0] = x->dtype;
  return BP_STATUS_OK;
}

const bp_op_def_t bp_op_def_var = {
    .name = "var",
    .summary = "Variance over dims, all when dim is empty: sum((x - mean)^2) / max(0, N - "
               "correction); NaN or inf when that is 0 (torch.var).",
    .dtype_rule = "floats; out has x's", .num_inputs = 1, .num_outputs = 1,
    .differentiable = true, .form = BP_FORM_REDUCE, .slot_names = {"x", "out"}, .num_attrs = 3,
    .attrs = {ATTR_DIMS,
              {"correction", BP_ATTR_INT, 0.0, 1, false, 0,
               "subtracted from the element count (1: unbiased, 0: population)"},
              ATTR_KEEPDIM},
    .infer = infer_var, .signature_ok = sig_same_float};

const bp_op_def_t bp_op_def_std = {
    .name = "std",
    .summary = "Standard deviation over dims: sqrt of var (torch.std).",
    .dtype_rule = "floats; out has x's", .num_inputs = 1, .num_outputs = 1,
    .differentiable = true, .form = BP_FORM_REDUCE, .slot_names = {"x", "out"}, .num_attrs = 3,
    .attrs = {ATTR_DIMS,
              {"correction", BP_ATTR_INT, 0.0, 1, false, 0,
               "subtracted from the element count (1: unbiased, 0: population)"},
              ATTR_KEEPDIM},
    .infer = infer_var, .signature_ok = sig_same_float};

/* ---- norm ---- */

static bp_status_t infer_norm(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                              bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)out;
  const bp_tensor_t *x = in[0];
  if (!bp_dtype_is_float(x->dtype))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_norm: x is %s; expected a floating point dtype (as torch.linalg.vector_norm)",
                   bp_dtype_name(x->dtype));
  double p = attrs[0].value.f;
  if (isnan(p)) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_norm: p is NaN");
  /* Norms without an identity (max, min, negative powers) refuse empty
   * reductions, as torch.linalg.vector_norm does. */
  bool needs_nonempty = p < 0.0 || isinf(p);
  bp_status_t s = plan_dims(def, x, &attrs[1], attrs[2].value.b, needs_nonempty, plan);
  if (s) return s;
  plan->input_dtypes[0] = plan->output_dtypes[0] = x->dtype;
  return BP_STATUS_OK;
}

const bp_op_def_t bp_op_def_norm = {
    .name = "norm",
    .summary = "Vector p-norm over dims, all when dim is empty: (sum |x|^p)^(1/p); p = inf: max "
               "|x|, -inf: min |x|, 0: count of non-zeros (torch.linalg.vector_norm).",
    .dtype_rule = "floats; out has x's", .num_inputs = 1, .num_outputs = 1,
    .differentiable = true, .form = BP_FORM_REDUCE, .slot_names = {"x", "out"}, .num_attrs = 3,
    .attrs = {{"p", BP_ATTR_FLOAT, 2.0, 0, false, 0, "the order: any float, inf and -inf included"},
              ATTR_DIMS, ATTR_KEEPDIM},
    .infer = infer_norm, .signature_ok = sig_same_float};

/* ---- logsumexp ---- */

static bp_status_t infer_logsumexp(const bp_op_def_t *def, bp_tensor_t *const *in,
                                   bp_attr_t *attrs, bp_tensor_t *const *out,
                                   bp_op_plan_t *plan) {
  (void)out;
  const bp_tensor_t *x = in[0];
  bp_status_t s = plan_dims(def, x, &attrs[0], attrs[1].value.b, false, plan);
  if (s) return s;
  bp_dtype_t dt = bp_dtype_is_float(x->dtype) ? x->dtype : BP_DTYPE_F32;
  plan->input_dtypes[0] = plan->output_dtypes[0] = dt;
  return BP_STATUS_OK;
}

const bp_op_def_t bp_op_def_logsumexp = {
    .name = "logsumexp",
    .summary = "log(sum(exp(x))) over dims, all when dim is empty, computed stably "
               "(torch.logsumexp).",
    .dtype_rule = "floats keep theirs; bool and integers give f32", .num_inputs = 1,
    .num_outputs = 1, .differentiable = true, .form = BP_FORM_REDUCE,
    .slot_names = {"x", "out"}, .num_attrs = 2, .attrs = {ATTR_DIMS, ATTR_KEEPDIM},
    .infer = infer_logsumexp, .signature_ok = sig_same_float};

/* ---- all, any ---- */

static bp_status_t infer_all(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                             bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)out;
  const bp_tensor_t *x = in[0];
  bp_status_t s = plan_dims(def, x, &attrs[0], attrs[1].value.b, false, plan);
  if (s) return s;
  plan->input_dtypes[0] = x->dtype;
  /* torch keeps u8 for u8 inputs (a legacy rule it still follows). */
  plan->output_dtypes[0] = x->dtype == BP_DTYPE_U8 ? BP_DTYPE_U8 : BP_DTYPE_BOOL;
  return BP_STATUS_OK;
}
static bool sig_all(const bp_dtype_t *d) {
  return bp_dtype_is_valid(d[0]) && d[1] == (d[0] == BP_DTYPE_U8 ? BP_DTYPE_U8 : BP_DTYPE_BOOL);
}

const bp_op_def_t bp_op_def_all = {
    .name = "all",
    .summary = "True when every element over dims (all when dim is empty) is non-zero; true "
               "for none (torch.all).",
    .dtype_rule = "any dtype; out is bool (u8 for u8, as torch)", .num_inputs = 1,
    .num_outputs = 1, .differentiable = false, .form = BP_FORM_REDUCE,
    .slot_names = {"x", "out"}, .num_attrs = 2, .attrs = {ATTR_DIMS, ATTR_KEEPDIM},
    .infer = infer_all, .signature_ok = sig_all};

const bp_op_def_t bp_op_def_any = {
    .name = "any",
    .summary = "True when some element over dims (all when dim is empty) is non-zero; false "
               "for none (torch.any).",
    .dtype_rule = "any dtype; out is bool (u8 for u8, as torch)", .num_inputs = 1,
    .num_outputs = 1, .differentiable = false, .form = BP_FORM_REDUCE,
    .slot_names = {"x", "out"}, .num_attrs = 2, .attrs = {ATTR_DIMS, ATTR_KEEPDIM},
    .infer = infer_all, .signature_ok = sig_all};
