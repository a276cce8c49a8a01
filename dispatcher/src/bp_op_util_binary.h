/*
 * bp_op_util_binary.h - inference helpers of the binary elementwise family
 * (bp_ops_binary.c, bp_ops_binary2.c).
 */
#ifndef BACKPLANE_BP_OP_UTIL_BINARY_H_
#define BACKPLANE_BP_OP_UTIL_BINARY_H_

#include "bp_op_catalog.h"

/* A half-precision (f16/bf16) result with an operand of another dtype (a
 * scalar or a 0-dim tensor): the kernel computes in f32 and the result is
 * rounded once, so the other operand is not rounded to f16 first (PyTorch's
 * opmath). Sets plan->input_dtypes and kernel_output_dtypes accordingly;
 * does nothing for other dtypes. */
BP_HIDDEN void bp_binary_half_opmath(bp_tensor_t *const *in, bp_dtype_t dt, bp_op_plan_t *plan);

/* Broadcast shape of in[0] and in[1] into output 0 of the plan, and
 * input_dtypes = {in_dt, in_dt}, output_dtypes[0] = out_dt. */
BP_HIDDEN bp_status_t bp_binary_plan(const bp_op_def_t *def, bp_tensor_t *const *in,
                                     bp_dtype_t in_dt, bp_dtype_t out_dt, bp_op_plan_t *plan);

#endif /* BACKPLANE_BP_OP_UTIL_BINARY_H_ */
