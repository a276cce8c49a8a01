/* bp_ops_reduce_scan.c - catalog entries of the scans cumsum and cumprod
 * (AS_IS form: out has x's shape; infer makes dim non-negative). */
#include "bp_op_catalog.h"
#include "bp_op_util.h"
#include "bp_op_util_reduce.h"

static bp_status_t infer_scan(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                              bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)out;
  const bp_tensor_t *x = in[0];
  int64_t d = attrs[0].value.i;
  bp_dtype_t dtype;
  bp_status_t s = bp_reduce_one_dim(def->name, x, &d);
  if (s || (s = bp_reduce_sum_like_dtype(def->name, x, attrs[1].value.dtype, &dtype))) return s;
  attrs[0].value.i = d;
  plan->output_ndim[0] = x->ndim;
  for (int32_t i = 0; i < x->ndim; ++i) plan->output_shape[0][i] = x->shape[i];
  plan->input_dtypes[0] = plan->output_dtypes[0] = dtype;
  return BP_STATUS_OK;
}
static bool sig_scan(const bp_dtype_t *d) {
  return (bp_dtype_is_float(d[0]) || d[0] == BP_DTYPE_I64) && d[0] == d[1];
}

const bp_op_def_t bp_op_def_cumsum = {
    .name = "cumsum", .summary = "Running sum along dim (torch.cumsum).",
    .dtype_rule = "dtype if given (x is cast to it); else floats keep theirs, bool and integers "
                  "give i64 (wrapping)",
    .num_inputs = 1, .num_outputs = 1, .differentiable = true, .form = BP_FORM_AS_IS,
    .slot_names = {"x", "out"}, .num_attrs = 2,
    .attrs = {{"dim", BP_ATTR_INT, 0.0, 0, false, 0,
               "dim to scan (negative counts from the end; kernels get it non-negative)"},
              {"dtype", BP_ATTR_DTYPE, 0.0, 0, false, BP_DTYPE_INVALID,
               "cast x to this dtype and accumulate in it"}},
    .infer = infer_scan, .signature_ok = sig_scan};

const bp_op_def_t bp_op_def_cumprod = {
    .name = "cumprod", .summary = "Running product along dim (torch.cumprod).",
    .dtype_rule = "dtype if given (x is cast to it); else floats keep theirs, bool and integers "
                  "give i64 (wrapping)",
    .num_inputs = 1, .num_outputs = 1, .differentiable = true, .form = BP_FORM_AS_IS,
    .slot_names = {"x", "out"}, .num_attrs = 2,
    .attrs = {{"dim", BP_ATTR_INT, 0.0, 0, false, 0,
               "dim to scan (negative counts from the end; kernels get it non-negative)"},
              {"dtype", BP_ATTR_DTYPE, 0.0, 0, false, BP_DTYPE_INVALID,
               "cast x to this dtype and accumulate in it"}},
    .infer = infer_scan, .signature_ok = sig_scan};
