/*
 * bp_ops_binary2.h - typed entry points of the binary elementwise ops beyond
 * add/sub/mul/div (part of backplane.h; include that instead). Each runs the
 * catalog op of the same name (docs/ops.md).
 *
 * All of them broadcast a and b and promote dtypes with PyTorch's
 * result_type: a scalar (bp_tensor_create_scalar*) or a 0-dim tensor of the
 * same category does not widen a tensor with dims (an f16 tensor times a
 * double scalar stays f16); one of a higher category sets the category (an
 * i32 tensor plus a 0-dim f64 tensor gives f64, plus a float scalar f32).
 *
 * Forms: `bp_X(a, b, &out)` returns a new tensor; `bp_X_out(a, b, out)`
 * writes into an existing tensor of the result's shape and dtype (any
 * strides); `bp_X_inplace(a, b)` writes into a (torch's `a.X_(b)`): a must
 * have the broadcast shape and the result dtype.
 *
 * Integer division by zero (div with a rounding mode, remainder) returns
 * BP_STATUS_INVALID_ARGUMENT; INT_MIN / -1 wraps to INT_MIN, as two's
 * complement arithmetic does.
 */
#ifndef BACKPLANE_BP_OPS_BINARY2_H_
#define BACKPLANE_BP_OPS_BINARY2_H_

#ifdef __cplusplus
extern "C" {
#endif

/* div's rounding_mode attribute (torch.div's rounding_mode string). */
typedef enum bp_rounding_mode {
  BP_ROUNDING_NONE = 0,  /* true division; integers give f32 */
  BP_ROUNDING_TRUNC = 1, /* toward zero; integers stay integers */
  BP_ROUNDING_FLOOR = 2, /* toward -inf (Python's //); integers stay integers */
} bp_rounding_mode_t;

/* out = a + alpha * b, a - alpha * b (alpha an integer for integer
 * results, 1 for bool). */
BP_API bp_status_t bp_add_alpha(bp_tensor_t *a, bp_tensor_t *b, double alpha, bp_tensor_t **out);
BP_API bp_status_t bp_add_alpha_out(bp_tensor_t *a, bp_tensor_t *b, double alpha, bp_tensor_t *out);
BP_API bp_status_t bp_sub_alpha(bp_tensor_t *a, bp_tensor_t *b, double alpha, bp_tensor_t **out);
BP_API bp_status_t bp_sub_alpha_out(bp_tensor_t *a, bp_tensor_t *b, double alpha, bp_tensor_t *out);
BP_API bp_status_t bp_add_inplace(bp_tensor_t *a, bp_tensor_t *b);
BP_API bp_status_t bp_sub_inplace(bp_tensor_t *a, bp_tensor_t *b);
BP_API bp_status_t bp_mul_inplace(bp_tensor_t *a, bp_tensor_t *b);

/* torch.div(a, b, rounding_mode=...). */
BP_API bp_status_t bp_div_rounding(bp_tensor_t *a, bp_tensor_t *b, bp_rounding_mode_t mode,
                                   bp_tensor_t **out);
BP_API bp_status_t bp_div_rounding_out(bp_tensor_t *a, bp_tensor_t *b, bp_rounding_mode_t mode,
                                       bp_tensor_t *out);
BP_API bp_status_t bp_div_inplace(bp_tensor_t *a, bp_tensor_t *b, bp_rounding_mode_t mode);

/* Ops with the three forms. */
#define BP_BINARY2_DECLARE(op)                                                          \
  BP_API bp_status_t bp_##op(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t **out);       \
  BP_API bp_status_t bp_##op##_out(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t *out);  \
  BP_API bp_status_t bp_##op##_inplace(bp_tensor_t *a, bp_tensor_t *b);
/* Python's %: the result has the sign of b; not bool. */
BP_BINARY2_DECLARE(remainder)
/* a ** b; not bool; an integer a with a negative integer scalar b fails
 * (torch), a negative integer tensor exponent gives 0 (1, -1 for a = 1, -1). */
BP_BINARY2_DECLARE(pow)
/* atan2(a, b); bool and integers give f32. */
BP_BINARY2_DECLARE(atan2)
/* bool and integer dtypes only. */
BP_BINARY2_DECLARE(bitwise_and)
BP_BINARY2_DECLARE(bitwise_or)
BP_BINARY2_DECLARE(bitwise_xor)
#undef BP_BINARY2_DECLARE

/* Ops with a new tensor or an out tensor (no in-place form: the result
 * dtype is bool, or torch has none). */
#define BP_BINARY2_DECLARE(op)                                                          \
  BP_API bp_status_t bp_##op(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t **out);       \
  BP_API bp_status_t bp_##op##_out(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t *out);
/* Elementwise max/min in result_type(a, b); NaN propagates. */
BP_BINARY2_DECLARE(maximum)
BP_BINARY2_DECLARE(minimum)
/* Comparisons: bool results, compared in result_type(a, b) (an i32 tensor
 * and the scalar 2.5 compare in f32). */
BP_BINARY2_DECLARE(eq)
BP_BINARY2_DECLARE(ne)
BP_BINARY2_DECLARE(lt)
BP_BINARY2_DECLARE(le)
BP_BINARY2_DECLARE(gt)
BP_BINARY2_DECLARE(ge)
/* Logical ops: bool results; nonzero (and NaN) is true. */
BP_BINARY2_DECLARE(logical_and)
BP_BINARY2_DECLARE(logical_or)
BP_BINARY2_DECLARE(logical_xor)
#undef BP_BINARY2_DECLARE

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BACKPLANE_BP_OPS_BINARY2_H_ */
