/*
 * ref_kernel.h - small checks and helpers every reference kernel uses.
 *
 * The host validates shapes and dtypes before a kernel runs; these checks
 * only defend cheaply against a host bug, returning BP_STATUS_INTERNAL with a
 * message. All helpers are inline: they sit on the per-call hot path.
 */
#ifndef BACKPLANE_REFERENCE_REF_KERNEL_H_
#define BACKPLANE_REFERENCE_REF_KERNEL_H_

#include "backplane/bp_abi.h"
#include "ref_plugin.h"

/* Checks the number of tensors and that each present descriptor has a known
 * dtype and a rank in [0, BP_REF_MAX_DIMS]. */
static inline bp_status_t bp_ref_check_call(const bp_kernel_call_t *call,
                                            const char *op, uint32_t nin,
                                            uint32_t nout) {
  if (call->num_inputs != nin || call->num_outputs != nout)
    return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL,
                       "ref %s: expected %u inputs and %u outputs, got %u and %u",
                       op, nin, nout, call->num_inputs, call->num_outputs);
  for (uint32_t i = 0; i < nin + nout; ++i) {
    const bp_tensor_desc_t *t = i < nin ? call->inputs[i] : call->outputs[i - nin];
    if (t == NULL || t->ndim < 0 || t->ndim > BP_REF_MAX_DIMS ||
        bp_abi_dtype_size(t->dtype) == 0 || (t->ndim > 0 && (t->shape == NULL || t->strides == NULL)))
      return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL,
                         "ref %s: tensor %u has a bad descriptor", op, i);
  }
  return BP_STATUS_OK;
}

/* Number of elements of a tensor (the product of its shape; 1 for rank 0). */
static inline int64_t bp_ref_numel(const bp_tensor_desc_t *t) {
  int64_t n = 1;
  for (int32_t d = 0; d < t->ndim; ++d) n *= t->shape[d];
  return n;
}

/* Address of element [0, 0, ...]. Only valid when the tensor has elements
 * (data may be NULL otherwise, and NULL + offset is undefined). */
static inline char *bp_ref_base(const bp_tensor_desc_t *t) {
  return (char *)t->data + t->byte_offset;
}

/* True when a and b have the same rank and shape. */
static inline bool bp_ref_same_shape(const bp_tensor_desc_t *a,
                                     const bp_tensor_desc_t *b) {
  if (a->ndim != b->ndim) return false;
  for (int32_t d = 0; d < a->ndim; ++d)
    if (a->shape[d] != b->shape[d]) return false;
  return true;
}

#endif /* BACKPLANE_REFERENCE_REF_KERNEL_H_ */
