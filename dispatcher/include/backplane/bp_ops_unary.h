/*
 * bp_ops_unary.h - typed entry points of the unary elementwise ops (part of backplane.h;
 * include that instead). Each runs the catalog op of the same name.
 *
 * Every op comes in three forms:
 *   bp_<op>(x, ..., &out)      out is a new tensor (the caller owns it);
 *   bp_<op>_out(x, ..., out)   writes the given out (any strides; its dtype
 *                              and shape must be the result's);
 *   bp_<op>_(x, ...)           in place: x is the output (x's dtype must be
 *                              the result's: bp_exp_ on an i32 tensor fails).
 * The predicates logical_not, isnan and isinf give bool and have no in-place
 * form. Dtype rules (as PyTorch): float functions give f32 for integer and
 * bool x; neg, abs, relu, floor, ceil, round, trunc keep integer dtypes and
 * refuse bool; leaky_relu, elu, gelu, silu, softplus take float dtypes only.
 * `bp ops` lists each op's rule.
 */
#ifndef BACKPLANE_BP_OPS_UNARY_H_
#define BACKPLANE_BP_OPS_UNARY_H_

#ifdef __cplusplus
extern "C" {
#endif

/* gelu's `approximate` (torch's string option). */
enum { BP_GELU_NONE = 0, BP_GELU_TANH = 1 };

/* out = -x; integers wrap (torch.neg). */
BP_API bp_status_t bp_neg(bp_tensor_t *x, bp_tensor_t **out);
BP_API bp_status_t bp_neg_out(bp_tensor_t *x, bp_tensor_t *out);
BP_API bp_status_t bp_neg_(bp_tensor_t *x);

/* out = |x| (torch.abs). */
BP_API bp_status_t bp_abs(bp_tensor_t *x, bp_tensor_t **out);
BP_API bp_status_t bp_abs_out(bp_tensor_t *x, bp_tensor_t *out);
BP_API bp_status_t bp_abs_(bp_tensor_t *x);

/* out = the sign of x: -1, 0 or 1 (0 for NaN) (torch.sign). */
BP_API bp_status_t bp_sign(bp_tensor_t *x, bp_tensor_t **out);
BP_API bp_status_t bp_sign_out(bp_tensor_t *x, bp_tensor_t *out);
BP_API bp_status_t bp_sign_(bp_tensor_t *x);

/* out = e^x (torch.exp). */
BP_API bp_status_t bp_exp(bp_tensor_t *x, bp_tensor_t **out);
BP_API bp_status_t bp_exp_out(bp_tensor_t *x, bp_tensor_t *out);
BP_API bp_status_t bp_exp_(bp_tensor_t *x);

/* out = ln x (torch.log). Named bp_ln, not bp_log: libbackplane's logger
 * is bp_log. The catalog op is "log". */
BP_API bp_status_t bp_ln(bp_tensor_t *x, bp_tensor_t **out);
BP_API bp_status_t bp_ln_out(bp_tensor_t *x, bp_tensor_t *out);
BP_API bp_status_t bp_ln_(bp_tensor_t *x);

/* out = ln(1 + x) (torch.log1p). */
BP_API bp_status_t bp_log1p(bp_tensor_t *x, bp_tensor_t **out);
BP_API bp_status_t bp_log1p_out(bp_tensor_t *x, bp_tensor_t *out);
BP_API bp_status_t bp_log1p_(bp_tensor_t *x);

/* out = e^x - 1 (torch.expm1). */
BP_API bp_status_t bp_expm1(bp_tensor_t *x, bp_tensor_t **out);
BP_API bp_status_t bp_expm1_out(bp_tensor_t *x, bp_tensor_t *out);
BP_API bp_status_t bp_expm1_(bp_tensor_t *x);

/* out = sqrt(x) (torch.sqrt). */
BP_API bp_status_t bp_sqrt(bp_tensor_t *x, bp_tensor_t **out);
BP_API bp_status_t bp_sqrt_out(bp_tensor_t *x, bp_tensor_t *out);
BP_API bp_status_t bp_sqrt_(bp_tensor_t *x);

/* out = 1 / sqrt(x) (torch.rsqrt). */
BP_API bp_status_t bp_rsqrt(bp_tensor_t *x, bp_tensor_t **out);
BP_API bp_status_t bp_rsqrt_out(bp_tensor_t *x, bp_tensor_t *out);
BP_API bp_status_t bp_rsqrt_(bp_tensor_t *x);

/* out = 1 / x (torch.reciprocal). */
BP_API bp_status_t bp_reciprocal(bp_tensor_t *x, bp_tensor_t **out);
BP_API bp_status_t bp_reciprocal_out(bp_tensor_t *x, bp_tensor_t *out);
BP_API bp_status_t bp_reciprocal_(bp_tensor_t *x);

/* out = sin x (torch.sin). */
BP_API bp_status_t bp_sin(bp_tensor_t *x, bp_tensor_t **out);
BP_API bp_status_t bp_sin_out(bp_tensor_t *x, bp_tensor_t *out);
BP_API bp_status_t bp_sin_(bp_tensor_t *x);

/* out = cos x (torch.cos). */
BP_API bp_status_t bp_cos(bp_tensor_t *x, bp_tensor_t **out);
BP_API bp_status_t bp_cos_out(bp_tensor_t *x, bp_tensor_t *out);
BP_API bp_status_t bp_cos_(bp_tensor_t *x);

/* out = tanh x (torch.tanh). */
BP_API bp_status_t bp_tanh(bp_tensor_t *x, bp_tensor_t **out);
BP_API bp_status_t bp_tanh_out(bp_tensor_t *x, bp_tensor_t *out);
BP_API bp_status_t bp_tanh_(bp_tensor_t *x);

/* out = 1 / (1 + e^-x) (torch.sigmoid). */
BP_API bp_status_t bp_sigmoid(bp_tensor_t *x, bp_tensor_t **out);
BP_API bp_status_t bp_sigmoid_out(bp_tensor_t *x, bp_tensor_t *out);
BP_API bp_status_t bp_sigmoid_(bp_tensor_t *x);

/* out = max(x, 0) (torch.nn.functional.relu). */
BP_API bp_status_t bp_relu(bp_tensor_t *x, bp_tensor_t **out);
BP_API bp_status_t bp_relu_out(bp_tensor_t *x, bp_tensor_t *out);
BP_API bp_status_t bp_relu_(bp_tensor_t *x);

/* out = x * sigmoid(x) (torch.nn.functional.silu). */
BP_API bp_status_t bp_silu(bp_tensor_t *x, bp_tensor_t **out);
BP_API bp_status_t bp_silu_out(bp_tensor_t *x, bp_tensor_t *out);
BP_API bp_status_t bp_silu_(bp_tensor_t *x);

/* out = erf(x) (torch.erf). */
BP_API bp_status_t bp_erf(bp_tensor_t *x, bp_tensor_t **out);
BP_API bp_status_t bp_erf_out(bp_tensor_t *x, bp_tensor_t *out);
BP_API bp_status_t bp_erf_(bp_tensor_t *x);

/* out = floor(x) (torch.floor). */
BP_API bp_status_t bp_floor(bp_tensor_t *x, bp_tensor_t **out);
BP_API bp_status_t bp_floor_out(bp_tensor_t *x, bp_tensor_t *out);
BP_API bp_status_t bp_floor_(bp_tensor_t *x);

/* out = ceil(x) (torch.ceil). */
BP_API bp_status_t bp_ceil(bp_tensor_t *x, bp_tensor_t **out);
BP_API bp_status_t bp_ceil_out(bp_tensor_t *x, bp_tensor_t *out);
BP_API bp_status_t bp_ceil_(bp_tensor_t *x);

/* out = x rounded toward zero (torch.trunc). */
BP_API bp_status_t bp_trunc(bp_tensor_t *x, bp_tensor_t **out);
BP_API bp_status_t bp_trunc_out(bp_tensor_t *x, bp_tensor_t *out);
BP_API bp_status_t bp_trunc_(bp_tensor_t *x);

/* out = x == 0 (bool) (torch.logical_not). */
BP_API bp_status_t bp_logical_not(bp_tensor_t *x, bp_tensor_t **out);
BP_API bp_status_t bp_logical_not_out(bp_tensor_t *x, bp_tensor_t *out);

/* out = x is NaN (bool) (torch.isnan). */
BP_API bp_status_t bp_isnan(bp_tensor_t *x, bp_tensor_t **out);
BP_API bp_status_t bp_isnan_out(bp_tensor_t *x, bp_tensor_t *out);

/* out = x is +-inf (bool) (torch.isinf). */
BP_API bp_status_t bp_isinf(bp_tensor_t *x, bp_tensor_t **out);
BP_API bp_status_t bp_isinf_out(bp_tensor_t *x, bp_tensor_t *out);

/* out = x > 0 ? x : negative_slope * x (torch default 0.01). */
BP_API bp_status_t bp_leaky_relu(bp_tensor_t *x, double negative_slope, bp_tensor_t **out);
BP_API bp_status_t bp_leaky_relu_out(bp_tensor_t *x, double negative_slope, bp_tensor_t *out);
BP_API bp_status_t bp_leaky_relu_(bp_tensor_t *x, double negative_slope);

/* out = x > 0 ? x : alpha * (e^x - 1) (torch default 1.0). */
BP_API bp_status_t bp_elu(bp_tensor_t *x, double alpha, bp_tensor_t **out);
BP_API bp_status_t bp_elu_out(bp_tensor_t *x, double alpha, bp_tensor_t *out);
BP_API bp_status_t bp_elu_(bp_tensor_t *x, double alpha);

/* out = x * Phi(x); approximate: BP_GELU_NONE (erf) or BP_GELU_TANH. */
BP_API bp_status_t bp_gelu(bp_tensor_t *x, int32_t approximate, bp_tensor_t **out);
BP_API bp_status_t bp_gelu_out(bp_tensor_t *x, int32_t approximate, bp_tensor_t *out);
BP_API bp_status_t bp_gelu_(bp_tensor_t *x, int32_t approximate);

/* out = log(1 + e^(beta x)) / beta, or x where beta x > threshold (torch defaults 1, 20). */
BP_API bp_status_t bp_softplus(bp_tensor_t *x, double beta, double threshold, bp_tensor_t **out);
BP_API bp_status_t bp_softplus_out(bp_tensor_t *x, double beta, double threshold, bp_tensor_t *out);
BP_API bp_status_t bp_softplus_(bp_tensor_t *x, double beta, double threshold);

/* out = x rounded half to even to `decimals` places (torch default 0). */
BP_API bp_status_t bp_round(bp_tensor_t *x, int64_t decimals, bp_tensor_t **out);
BP_API bp_status_t bp_round_out(bp_tensor_t *x, int64_t decimals, bp_tensor_t *out);
BP_API bp_status_t bp_round_(bp_tensor_t *x, int64_t decimals);

/* out = min(max(x, *min), *max); a NULL bound is absent, at least one must be given. */
BP_API bp_status_t bp_clamp(bp_tensor_t *x, const double *min, const double *max, bp_tensor_t **out);
BP_API bp_status_t bp_clamp_out(bp_tensor_t *x, const double *min, const double *max, bp_tensor_t *out);
BP_API bp_status_t bp_clamp_(bp_tensor_t *x, const double *min, const double *max);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BACKPLANE_BP_OPS_UNARY_H_ */
