/* bp_ops_binary.c - catalog entries of the binary elementwise ops. */
#include <string.h>

#include "bp_op_catalog.h"
#include "bp_op_util.h"
#include "bp_op_util_binary.h"

/* ---- add, sub, mul, div ---- */

static bp_status_t infer_binary(const bp_op_def_t *def, bp_tensor_t *const *in,
                                bp_attr_t *attrs, bp_tensor_t *const *out,
                                bp_op_plan_t *plan) {
  (void)out;
  bp_status_t status =
      bp_broadcast_shapes(def->name, in[0], in[1], &plan->output_ndim[0], plan->output_shape[0]);
  if (status) return status;
  bp_dtype_t dt = bp_result_type(2, in);
  bool is_add = def == bp_op_def(BP_OP_ADD), is_sub = def == bp_op_def(BP_OP_SUB);
  if (def == bp_op_def(BP_OP_DIV)) {
    int64_t mode = attrs[0].value.i;
    if (mode < 0 || mode > 2)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_div: rounding_mode %lld is not 0 (none), 1 (trunc) or 2 (floor)",
                     (long long)mode);
    /* True division of integers gives the default float dtype; with a
     * rounding mode integers stay integers (torch.div). */
    if (mode == 0 && !bp_dtype_is_float(dt)) dt = BP_DTYPE_F32;
    if (mode != 0 && dt == BP_DTYPE_BOOL)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_div: rounding_mode %s is not supported for bool tensors (expected a "
                     "numeric dtype; cast to an integer dtype first)",
                     mode == 1 ? "trunc" : "floor");
  }
  if (is_sub && dt == BP_DTYPE_BOOL)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_sub: subtracting bool tensors is not supported (expected a "
                   "numeric dtype; cast to an integer dtype first)");
  if (is_add || is_sub) {
    double alpha = attrs[0].value.f;
    if (!bp_dtype_is_float(dt) && alpha != (double)(int64_t)alpha)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_%s: alpha %g must be an integer for %s tensors", def->name, alpha,
                     bp_dtype_name(dt));
    if (dt == BP_DTYPE_BOOL && alpha != 1.0)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_add: alpha must be 1 for bool tensors (got %g)", alpha);
  }
  plan->input_dtypes[0] = plan->input_dtypes[1] = plan->output_dtypes[0] = dt;
  bp_binary_half_opmath(in, dt, plan);
  return BP_STATUS_OK;
}
static bool sig_add(const bp_dtype_t *d) { return bp_dtype_is_valid(d[0]) && bp_dtypes_all_same(d, 3); }
static bool sig_sub(const bp_dtype_t *d) {
  return bp_dtype_is_valid(d[0]) && d[0] != BP_DTYPE_BOOL && bp_dtypes_all_same(d, 3);
}
/* Integer kernels serve rounding_mode trunc and floor only (infer sends
 * integers to f32 for true division). */
static bool sig_div(const bp_dtype_t *d) {
  return bp_dtype_is_valid(d[0]) && d[0] != BP_DTYPE_BOOL && bp_dtypes_all_same(d, 3);
}


#define ALPHA_ATTR {"alpha", BP_ATTR_FLOAT, 1.0, 0, false, 0, "multiplier of b"}

const bp_op_def_t bp_op_def_add = {
    .name = "add", .summary = "out = a + alpha * b (torch.add).",
    .dtype_rule = "result_type(a, b)", .num_inputs = 2, .num_outputs = 1,
    .differentiable = true, .form = BP_FORM_ELEMENTWISE, .slot_names = {"a", "b", "out"},
    .num_attrs = 1, .attrs = {ALPHA_ATTR}, .infer = infer_binary, .signature_ok = sig_add};

const bp_op_def_t bp_op_def_sub = {
    .name = "sub", .summary = "out = a - alpha * b (torch.sub).",
    .dtype_rule = "result_type(a, b); not bool", .num_inputs = 2, .num_outputs = 1,
    .differentiable = true, .form = BP_FORM_ELEMENTWISE, .slot_names = {"a", "b", "out"},
    .num_attrs = 1, .attrs = {ALPHA_ATTR}, .infer = infer_binary, .signature_ok = sig_sub};

const bp_op_def_t bp_op_def_mul = {
    .name = "mul", .summary = "out = a * b (torch.mul).", .dtype_rule = "result_type(a, b)",
    .num_inputs = 2, .num_outputs = 1, .differentiable = true,
    .form = BP_FORM_ELEMENTWISE, .slot_names = {"a", "b", "out"}, .num_attrs = 0,
    .infer = infer_binary, .signature_ok = sig_add};

const bp_op_def_t bp_op_def_div = {
    .name = "div",
    .summary = "out = a / b: true division, or rounded toward zero or down (torch.div).",
    .dtype_rule = "result_type(a, b); integers give f32 for true division and stay integers "
                  "with a rounding mode (integer division by zero is an error); not bool with "
                  "a rounding mode",
    .num_inputs = 2, .num_outputs = 1, .differentiable = true, .form = BP_FORM_ELEMENTWISE,
    .slot_names = {"a", "b", "out"}, .num_attrs = 1,
    .attrs = {{"rounding_mode", BP_ATTR_INT, 0.0, 0, false, 0,
               "0 none (true division), 1 trunc (toward zero), 2 floor "
               "(toward -inf, Python's //)"}},
    .infer = infer_binary, .signature_ok = sig_div};

