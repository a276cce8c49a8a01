/* bp_op_util_binary.c - inference helpers of the binary elementwise family. */
#include "bp_op_util_binary.h"

#include "bp_op_util.h"

void bp_binary_half_opmath(bp_tensor_t *const *in, bp_dtype_t dt, bp_op_plan_t *plan) {
  if ((dt == BP_DTYPE_F16 || dt == BP_DTYPE_BF16) && (in[0]->dtype != dt || in[1]->dtype != dt)) {
    plan->input_dtypes[0] = plan->input_dtypes[1] = BP_DTYPE_F32;
    plan->kernel_output_dtypes[0] = BP_DTYPE_F32;
  }
}

bp_status_t bp_binary_plan(const bp_op_def_t *def, bp_tensor_t *const *in, bp_dtype_t in_dt,
                           bp_dtype_t out_dt, bp_op_plan_t *plan) {
  bp_status_t status =
      bp_broadcast_shapes(def->name, in[0], in[1], &plan->output_ndim[0], plan->output_shape[0]);
  if (status) return status;
  plan->input_dtypes[0] = plan->input_dtypes[1] = in_dt;
  plan->output_dtypes[0] = out_dt;
  return BP_STATUS_OK;
}
