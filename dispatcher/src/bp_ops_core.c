/* bp_ops_core.c - catalog entries of the core ops: fill and copy. */
#include <string.h>

#include "bp_op_catalog.h"
#include "bp_op_util.h"

/* ---- fill ---- */

static bp_status_t infer_fill(const bp_op_def_t *def, bp_tensor_t *const *in,
                              bp_attr_t *attrs, bp_tensor_t *const *out,
                              bp_op_plan_t *plan) {
  (void)def; (void)in; (void)attrs;
  plan->output_dtypes[0] = out[0]->dtype;
  plan->output_ndim[0] = out[0]->ndim;
  memcpy(plan->output_shape[0], out[0]->shape, sizeof(int64_t) * (size_t)out[0]->ndim);
  return BP_STATUS_OK;
}
static bool sig_fill(const bp_dtype_t *d) { return bp_dtype_is_valid(d[0]); }

/* ---- copy ---- */

static bp_status_t infer_copy(const bp_op_def_t *def, bp_tensor_t *const *in,
                              bp_attr_t *attrs, bp_tensor_t *const *out,
                              bp_op_plan_t *plan) {
  (void)def; (void)attrs;
  if (!bp_broadcasts_to(in[0], out[0]->ndim, out[0]->shape)) {
    char bufa[256], bufb[256];
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_copy: src shape %s does not broadcast to dst shape %s",
                   bp_format_shape(bufa, sizeof(bufa), in[0]->ndim, in[0]->shape),
                   bp_format_shape(bufb, sizeof(bufb), out[0]->ndim, out[0]->shape));
  }
  plan->input_dtypes[0] = in[0]->dtype;
  plan->output_dtypes[0] = out[0]->dtype;
  plan->output_ndim[0] = out[0]->ndim;
  memcpy(plan->output_shape[0], out[0]->shape, sizeof(int64_t) * (size_t)out[0]->ndim);
  return BP_STATUS_OK;
}
static bool sig_copy(const bp_dtype_t *d) { return bp_dtype_is_valid(d[0]) && bp_dtype_is_valid(d[1]); }


const bp_op_def_t bp_op_def_fill = {
    .name = "fill", .summary = "Sets every element of out to value (torch.Tensor.fill_).",
    .dtype_rule = "out's dtype", .num_inputs = 0, .num_outputs = 1,
    .outputs_required = true, .differentiable = false, .form = BP_FORM_ELEMENTWISE,
    .slot_names = {"out"}, .num_attrs = 2,
    .attrs = {{"value", BP_ATTR_FLOAT, 0.0, 0, false, 0, "value for float and bool dtypes"},
              {"value_int", BP_ATTR_INT, 0.0, 0, false, 0, "value for integer dtypes"}},
    .infer = infer_fill, .signature_ok = sig_fill};

const bp_op_def_t bp_op_def_copy = {
    .name = "copy", .summary = "dst = src with broadcasting and casting (torch.Tensor.copy_).",
    .dtype_rule = "any src dtype to any dst dtype", .num_inputs = 1, .num_outputs = 1,
    .outputs_required = true, .differentiable = true, .form = BP_FORM_ELEMENTWISE,
    .slot_names = {"src", "dst"}, .num_attrs = 0, .infer = infer_copy,
    .signature_ok = sig_copy};
