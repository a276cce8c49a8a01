/* bp_ops_reduce.c - catalog entries of the reductions. */
#include <string.h>

#include "bp_op_catalog.h"
#include "bp_op_util.h"

/* ---- sum ---- */

static bp_status_t infer_sum(const bp_op_def_t *def, bp_tensor_t *const *in,
                             bp_attr_t *attrs, bp_tensor_t *const *out,
                             bp_op_plan_t *plan) {
  (void)def; (void)out;
  const bp_tensor_t *x = in[0];
  const bp_attr_t *dim = &attrs[0];
  bool keepdim = attrs[1].value.b;
  bp_dtype_t dtype = attrs[2].value.dtype;
  uint64_t mask = 0;
  if (dim->count == 0) {
    mask = x->ndim >= 64 ? ~0ull : ((1ull << x->ndim) - 1);
  } else {
    for (uint32_t i = 0; i < dim->count; ++i) {
      int64_t d = dim->value.ints[i];
      int64_t rank = x->ndim > 0 ? x->ndim : 1;
      if (d < -rank || d >= rank)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                       "bp_sum: dim %lld out of range for a %d-d tensor (expected %lld..%lld)",
                       (long long)d, x->ndim, (long long)-rank, (long long)rank - 1);
      if (d < 0) d += rank;
      if (x->ndim == 0) continue; /* dim 0 of a scalar: nothing to reduce */
      if (mask & (1ull << d))
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_sum: dim %lld appears twice in dim",
                       (long long)d);
      mask |= 1ull << d;
    }
  }
  if (dtype != BP_DTYPE_INVALID && !bp_dtype_is_valid(dtype))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_sum: dtype attribute %u is not a dtype",
                   (unsigned)dtype);
  if (dtype == BP_DTYPE_INVALID) dtype = bp_dtype_is_float(x->dtype) ? x->dtype : BP_DTYPE_I64;
  if (dtype == BP_DTYPE_BOOL || (!bp_dtype_is_float(dtype) && dtype != BP_DTYPE_I64))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_sum: dtype %s is not supported (expected i64, f16, bf16, f32 or f64)",
                   bp_dtype_name(dtype));
  int32_t n = 0;
  for (int32_t d = 0; d < x->ndim; ++d) {
    if (mask & (1ull << d)) {
      if (keepdim) plan->output_shape[0][n++] = 1;
    } else {
      plan->output_shape[0][n++] = x->shape[d];
    }
  }
  plan->output_ndim[0] = n;
  plan->reduce_mask = mask;
  plan->input_dtypes[0] = plan->output_dtypes[0] = dtype;
  return BP_STATUS_OK;
}
static bool sig_sum(const bp_dtype_t *d) {
  return (bp_dtype_is_float(d[0]) || d[0] == BP_DTYPE_I64) && d[0] == d[1];
}


const bp_op_def_t bp_op_def_sum = {
    .name = "sum", .summary = "Sum over dims, all when dim is empty (torch.sum).",
    .dtype_rule = "dtype if given; else floats keep theirs, bool and integers give i64",
    .num_inputs = 1, .num_outputs = 1, .differentiable = true, .form = BP_FORM_REDUCE,
    .slot_names = {"x", "out"}, .num_attrs = 3,
    .attrs = {{"dim", BP_ATTR_INTS, 0.0, 0, false, 0, "dims to reduce; empty = all"},
              {"keepdim", BP_ATTR_BOOL, 0.0, 0, false, 0, "keep reduced dims as size 1"},
              {"dtype", BP_ATTR_DTYPE, 0.0, 0, false, BP_DTYPE_INVALID,
               "accumulate and return in this dtype"}},
    .infer = infer_sum, .signature_ok = sig_sum};
