/* bp_derivatives_util.h - small helpers shared by the derivative formulas of
 * the elementwise, shape and reduce families (bp_derivatives_*.c). Each
 * returns a status and writes a new tensor (owned by the caller) in *out. */
#ifndef BACKPLANE_BP_DERIVATIVES_UTIL_H_
#define BACKPLANE_BP_DERIVATIVES_UTIL_H_

#include "bp_autograd.h"

/* x * value (a scalar operand: x's dtype is kept). */
BP_HIDDEN bp_status_t bp_dv_scale(bp_tensor_t *x, double value, bp_tensor_t **out);
/* x + value. */
BP_HIDDEN bp_status_t bp_dv_add_scalar(bp_tensor_t *x, double value, bp_tensor_t **out);
/* value - x. */
BP_HIDDEN bp_status_t bp_dv_rsub_scalar(double value, bp_tensor_t *x, bp_tensor_t **out);
/* a * b * c. */
BP_HIDDEN bp_status_t bp_dv_mul3(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t *c, bp_tensor_t **out);
/* Zeros with the shape, dtype and device of m. */
BP_HIDDEN bp_status_t bp_dv_zeros(const bp_grad_tensor_meta_t *m, bp_tensor_t **out);
/* Zeros like the tensor t (its shape, dtype, device). */
BP_HIDDEN bp_status_t bp_dv_zeros_like(bp_tensor_t *t, bp_tensor_t **out);
/* where(mask, x, 0): x where mask, else exactly zero (also where x is
 * NaN or infinite, unlike x * mask). */
BP_HIDDEN bp_status_t bp_dv_mask(bp_tensor_t *mask, bp_tensor_t *x, bp_tensor_t **out);
/* Compares x with a scalar: op is one of bp_eq, bp_ne, bp_lt, ... */
typedef bp_status_t (*bp_dv_cmp_fn_t)(bp_tensor_t *, bp_tensor_t *, bp_tensor_t **);
BP_HIDDEN bp_status_t bp_dv_cmp_scalar(bp_dv_cmp_fn_t cmp, bp_tensor_t *x, double value,
                                       bp_tensor_t **out);
/* The dims of an int-list dim attribute as a mask over ndim dims (empty
 * list: every dim), negative dims wrapped. */
BP_HIDDEN uint64_t bp_dv_dim_mask(const bp_attr_t *dim, int32_t ndim);
/* g (the gradient of a reduction over `mask` with keepdim or not) reshaped
 * to keepdim form, so it broadcasts against the input of shape m. */
BP_HIDDEN bp_status_t bp_dv_keepdim(bp_tensor_t *g, const bp_grad_tensor_meta_t *m, uint64_t mask,
                                    bool keepdim, bp_tensor_t **out);
/* Releases up to 8 tensors (NULL entries skipped). */
#define BP_DV_RELEASE(...)                                                   \
  do {                                                                       \
    bp_tensor_t *bp_dv_list_[] = {__VA_ARGS__};                              \
    for (size_t bp_dv_i_ = 0; bp_dv_i_ < sizeof(bp_dv_list_) / sizeof(bp_dv_list_[0]); ++bp_dv_i_) \
      bp_tensor_release(bp_dv_list_[bp_dv_i_]);                              \
  } while (0)

#endif /* BACKPLANE_BP_DERIVATIVES_UTIL_H_ */
