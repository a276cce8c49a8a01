/* bp_ops_core.c - catalog entries of the core ops: fill and copy. */
#include <string.h>

#include "bp_op_catalog.h"
#include "bp_op_util.h"

/* ---- fill ---- */

static bp_status_t infer_fill(const bp_op_def_t *def, bp_tensor_t *const *in,
                              bp_attr_t *attrs, bp_tensor_t *const *out,
                              bp_op_plan_t *plan) {
  (void)def; (void)in;
  /* As torch's fill_: a value the dtype cannot hold is an error, not a
   * silent wrap (inf and NaN are fine for float dtypes). */
  bp_dtype_t dt = out[0]->dtype;
  int64_t vi = attrs[1].value.i;
  double vf = attrs[0].value.f;
  static const double float_max[BP_DTYPE_COUNT_V1_0] = {
      [BP_DTYPE_F16] = 65504.0, [BP_DTYPE_BF16] = 3.3895313892515355e38,
      [BP_DTYPE_F32] = 3.4028234663852886e38, [BP_DTYPE_F64] = 1.7976931348623157e308};
  bool fits = true;
  switch (dt) {
    case BP_DTYPE_U8: fits = vi >= -255 && vi <= 255; break; /* negatives wrap, as torch */
    case BP_DTYPE_I8: fits = vi >= -128 && vi <= 127; break;
    case BP_DTYPE_I32: fits = vi >= INT32_MIN && vi <= INT32_MAX; break;
    case BP_DTYPE_F16: case BP_DTYPE_BF16: case BP_DTYPE_F32:
      /* torch's c10::overflows: finite values beyond the largest finite
       * one of the dtype overflow. */
      fits = !(vf == vf) || vf - vf != 0 || (vf <= float_max[dt] && vf >= -float_max[dt]);
      break;
    default: break;
  }
  if (!fits)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_fill: value %g cannot be converted to %s without overflow",
                   bp_dtype_is_float(dt) ? vf : (double)vi, bp_dtype_name(dt));
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
