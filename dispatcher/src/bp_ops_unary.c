/* bp_ops_unary.c - catalog entries of the unary elementwise ops.
 *
 * Every op is one input, one output of the input's shape. The dtype rules
 * follow PyTorch's CPU ops (checked with torch): float functions take any
 * dtype and compute integers and bool in f32 (the dispatcher casts the
 * input); neg, abs, relu, floor, ceil, round and trunc keep integer dtypes
 * and refuse bool; predicates give bool for every dtype. f16 is declared
 * for every float op as current PyTorch CPU kernels take it (torch 1.13
 * lacks some: the oracle then runs torch in f32 and rounds once). */
#include <math.h>
#include <string.h>

#include "bp_op_catalog.h"
#include "bp_op_util.h"

/* The output has the input's shape and the dtype `out`; the kernel reads
 * the input as `in` (the dispatcher casts). */
static bp_status_t plan_same_shape(bp_tensor_t *const *in, bp_op_plan_t *plan, bp_dtype_t kin,
                                   bp_dtype_t out) {
  plan->input_dtypes[0] = kin;
  plan->output_dtypes[0] = out;
  plan->output_ndim[0] = in[0]->ndim;
  memcpy(plan->output_shape[0], in[0]->shape, sizeof(int64_t) * (size_t)in[0]->ndim);
  return BP_STATUS_OK;
}

static bp_status_t fail_dtype(const bp_op_def_t *def, bp_dtype_t d, const char *expected) {
  return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: x is %s; expected %s", def->name,
                 bp_dtype_name(d), expected);
}

/* exp, log, sin, sigmoid, erf, ...: floats keep their dtype, integers and
 * bool compute in f32 (torch's default float). */
static bp_status_t infer_float_fn(const bp_op_def_t *def, bp_tensor_t *const *in,
                                  bp_attr_t *attrs, bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def, (void)attrs, (void)out;
  bp_dtype_t d = bp_dtype_is_float(in[0]->dtype) ? in[0]->dtype : BP_DTYPE_F32;
  return plan_same_shape(in, plan, d, d);
}

/* neg, abs, relu, floor, ceil, trunc: any dtype but bool, kept. */
static bp_status_t infer_numeric(const bp_op_def_t *def, bp_tensor_t *const *in,
                                 bp_attr_t *attrs, bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)attrs, (void)out;
  bp_dtype_t d = in[0]->dtype;
  if (d == BP_DTYPE_BOOL)
    return fail_dtype(def, d, "a numeric dtype (bool is not supported; cast it first)");
  return plan_same_shape(in, plan, d, d);
}

/* sign: every dtype, kept. */
static bp_status_t infer_any(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                             bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def, (void)attrs, (void)out;
  return plan_same_shape(in, plan, in[0]->dtype, in[0]->dtype);
}

/* leaky_relu, elu, gelu, silu, softplus: float dtypes only. */
static bp_status_t infer_float_only(const bp_op_def_t *def, bp_tensor_t *const *in,
                                    bp_attr_t *attrs, bp_tensor_t *const *out,
                                    bp_op_plan_t *plan) {
  (void)out;
  bp_dtype_t d = in[0]->dtype;
  if (!bp_dtype_is_float(d)) return fail_dtype(def, d, "a float dtype (f16, bf16, f32, f64)");
  if (def == bp_op_def(BP_OP_GELU) && attrs[0].value.i != 0 && attrs[0].value.i != 1)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_gelu: approximate is %lld; expected 0 ('none') or 1 ('tanh')",
                   (long long)attrs[0].value.i);
  return plan_same_shape(in, plan, d, d);
}

/* logical_not, isnan, isinf: every dtype, bool result. */
static bp_status_t infer_predicate(const bp_op_def_t *def, bp_tensor_t *const *in,
                                   bp_attr_t *attrs, bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def, (void)attrs, (void)out;
  return plan_same_shape(in, plan, in[0]->dtype, BP_DTYPE_BOOL);
}

static bp_status_t infer_round(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                               bp_tensor_t *const *out, bp_op_plan_t *plan) {
  bp_dtype_t d = in[0]->dtype;
  if (bp_dtype_is_integer(d) && attrs[0].value.i != 0)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_round: decimals is %lld; integer tensors take only decimals 0",
                   (long long)attrs[0].value.i);
  return infer_numeric(def, in, attrs, out, plan);
}

static bool is_integral(double v) { return isfinite(v) && v == trunc(v); }

/* PyTorch's overflow check of a scalar converted to an integer dtype:
 * unsigned dtypes take [-max, max] (negative values wrap), signed ones
 * their range. */
static bool bound_fits(double v, bp_dtype_t d) {
  switch (d) {
    case BP_DTYPE_U8: return v >= -255.0 && v <= 255.0;
    case BP_DTYPE_I8: return v >= -128.0 && v <= 127.0;
    case BP_DTYPE_I32: return v >= -2147483648.0 && v <= 2147483647.0;
    default: return v >= -9223372036854775808.0 && v < 9223372036854775808.0;
  }
}

/* clamp: the result dtype is torch's result_type of x and the bounds as
 * Python scalars: integral bounds keep integer dtypes (bool becomes i64),
 * non-integral ones make integers f32. */
static bp_status_t infer_clamp(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                               bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def, (void)out;
  double lo = attrs[0].value.f, hi = attrs[1].value.f;
  bool has_lo = attrs[2].value.b, has_hi = attrs[3].value.b;
  if (!has_lo && !has_hi)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_clamp: at least one of min or max must be given (set has_min or has_max)");
  bp_dtype_t d = in[0]->dtype;
  if (!bp_dtype_is_float(d)) {
    if ((has_lo && !is_integral(lo)) || (has_hi && !is_integral(hi))) {
      d = BP_DTYPE_F32;
    } else {
      if (d == BP_DTYPE_BOOL) d = BP_DTYPE_I64;
      for (int k = 0; k < 2; ++k) {
        double v = k ? hi : lo;
        if ((k ? has_hi : has_lo) && !bound_fits(v, d))
          return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                         "bp_clamp: %s %.17g cannot be converted to %s without overflow",
                         k ? "max" : "min", v, bp_dtype_name(d));
      }
    }
  }
  return plan_same_shape(in, plan, d, d);
}

static bool sig_float(const bp_dtype_t *d) { return bp_dtype_is_float(d[0]) && d[1] == d[0]; }
static bool sig_numeric(const bp_dtype_t *d) {
  return bp_dtype_is_valid(d[0]) && d[0] != BP_DTYPE_BOOL && d[1] == d[0];
}
static bool sig_any(const bp_dtype_t *d) { return bp_dtype_is_valid(d[0]) && d[1] == d[0]; }
static bool sig_predicate(const bp_dtype_t *d) {
  return bp_dtype_is_valid(d[0]) && d[1] == BP_DTYPE_BOOL;
}

/* The arguments after infer_ are the signature predicate, then any more
 * initializers (attrs). */
#define UNARY_DEF_D(sym, diff, summary_, rule, infer_, ...)                               \
  const bp_op_def_t bp_op_def_##sym = {                                                   \
      .name = #sym, .summary = summary_, .dtype_rule = rule, .num_inputs = 1,             \
      .num_outputs = 1, .differentiable = diff, .form = BP_FORM_ELEMENTWISE,              \
      .slot_names = {"x", "out"}, .infer = infer_, .signature_ok = __VA_ARGS__}
#define UNARY_DEF(sym, ...) UNARY_DEF_D(sym, true, __VA_ARGS__)

#define RULE_FLOAT_FN "floats keep their dtype; integers and bool give f32"
#define RULE_NUMERIC "x's dtype; not bool"
#define RULE_FLOAT_ONLY "float dtypes only (f16, bf16, f32, f64), kept"
#define RULE_PREDICATE "any dtype; the result is bool"

UNARY_DEF(neg, "out = -x; integers wrap (torch.neg).", RULE_NUMERIC, infer_numeric, sig_numeric);
UNARY_DEF(abs, "out = |x|; abs of an integer minimum is itself (torch.abs).", RULE_NUMERIC,
          infer_numeric, sig_numeric);
UNARY_DEF(sign, "out = -1, 0 or 1 by the sign of x; sign(NaN) = 0 (torch.sign).",
          "x's dtype (bool too)", infer_any, sig_any);
UNARY_DEF(exp, "out = e^x (torch.exp).", RULE_FLOAT_FN, infer_float_fn, sig_float);
UNARY_DEF(log, "out = ln(x) (torch.log).", RULE_FLOAT_FN, infer_float_fn, sig_float);
UNARY_DEF(log1p, "out = ln(1 + x) (torch.log1p).", RULE_FLOAT_FN, infer_float_fn, sig_float);
UNARY_DEF(expm1, "out = e^x - 1 (torch.expm1).", RULE_FLOAT_FN, infer_float_fn, sig_float);
UNARY_DEF(sqrt, "out = sqrt(x) (torch.sqrt).", RULE_FLOAT_FN, infer_float_fn, sig_float);
UNARY_DEF(rsqrt, "out = 1 / sqrt(x) (torch.rsqrt).", RULE_FLOAT_FN, infer_float_fn, sig_float);
UNARY_DEF(reciprocal, "out = 1 / x (torch.reciprocal).", RULE_FLOAT_FN, infer_float_fn,
          sig_float);
UNARY_DEF(sin, "out = sin(x) (torch.sin).", RULE_FLOAT_FN, infer_float_fn, sig_float);
UNARY_DEF(cos, "out = cos(x) (torch.cos).", RULE_FLOAT_FN, infer_float_fn, sig_float);
UNARY_DEF(tanh, "out = tanh(x) (torch.tanh).", RULE_FLOAT_FN, infer_float_fn, sig_float);
UNARY_DEF(sigmoid, "out = 1 / (1 + e^-x) (torch.sigmoid).", RULE_FLOAT_FN, infer_float_fn,
          sig_float);
UNARY_DEF(relu, "out = max(x, 0); NaN stays NaN (torch.relu).", RULE_NUMERIC, infer_numeric,
          sig_numeric);
UNARY_DEF(leaky_relu, "out = x > 0 ? x : negative_slope * x (torch.nn.functional.leaky_relu).",
          RULE_FLOAT_ONLY, infer_float_only, sig_float, .num_attrs = 1,
          .attrs = {{"negative_slope", BP_ATTR_FLOAT, 0.01, 0, false, 0,
                     "slope for x <= 0"}});
UNARY_DEF(elu, "out = x > 0 ? x : alpha * (e^x - 1) (torch.nn.functional.elu).",
          RULE_FLOAT_ONLY, infer_float_only, sig_float, .num_attrs = 1,
          .attrs = {{"alpha", BP_ATTR_FLOAT, 1.0, 0, false, 0, "scale of the negative part"}});
UNARY_DEF(gelu,
          "out = x * Phi(x), Phi the normal CDF, or its tanh approximation "
          "(torch.nn.functional.gelu).",
          RULE_FLOAT_ONLY, infer_float_only, sig_float, .num_attrs = 1,
          .attrs = {{"approximate", BP_ATTR_INT, 0.0, 0, false, 0,
                     "0 'none' (exact, with erf), 1 'tanh'"}});
UNARY_DEF(silu, "out = x * sigmoid(x) (torch.nn.functional.silu).", RULE_FLOAT_ONLY,
          infer_float_only, sig_float);
UNARY_DEF(softplus,
          "out = log(1 + e^(beta x)) / beta, or x where beta x > threshold "
          "(torch.nn.functional.softplus).",
          RULE_FLOAT_ONLY, infer_float_only, sig_float, .num_attrs = 2,
          .attrs = {{"beta", BP_ATTR_FLOAT, 1.0, 0, false, 0, "sharpness"},
                    {"threshold", BP_ATTR_FLOAT, 20.0, 0, false, 0,
                     "beta x above this gives x (linear)"}});
UNARY_DEF(erf, "out = erf(x) (torch.erf).", RULE_FLOAT_FN, infer_float_fn, sig_float);
UNARY_DEF(floor, "out = floor(x); integers unchanged (torch.floor).", RULE_NUMERIC,
          infer_numeric, sig_numeric);
UNARY_DEF(ceil, "out = ceil(x); integers unchanged (torch.ceil).", RULE_NUMERIC, infer_numeric,
          sig_numeric);
UNARY_DEF(round,
          "out = x rounded half to even to `decimals` decimal places; integers unchanged "
          "(torch.round).",
          "x's dtype; not bool; integers only with decimals 0", infer_round, sig_numeric,
          .num_attrs = 1,
          .attrs = {{"decimals", BP_ATTR_INT, 0.0, 0, false, 0,
                     "decimal places; negative rounds to tens, hundreds, ..."}});
UNARY_DEF(trunc, "out = x rounded toward zero; integers unchanged (torch.trunc).", RULE_NUMERIC,
          infer_numeric, sig_numeric);
UNARY_DEF(clamp,
          "out = min(max(x, min), max); NaN stays NaN; min > max gives max (torch.clamp).",
          "x's dtype; an integer or bool x with integral bounds gives its dtype (bool: i64), "
          "with a non-integral bound f32 (torch.clamp(int, min=2.0) gives f32; here 2.0 "
          "counts as integral)",
          infer_clamp, sig_numeric, .num_attrs = 4,
          .attrs = {{"min", BP_ATTR_FLOAT, 0.0, 0, false, 0, "lower bound (when has_min)"},
                    {"max", BP_ATTR_FLOAT, 0.0, 0, false, 0, "upper bound (when has_max)"},
                    {"has_min", BP_ATTR_BOOL, 0.0, 0, false, 0, "min is given"},
                    {"has_max", BP_ATTR_BOOL, 0.0, 0, false, 0, "max is given"}});
UNARY_DEF_D(logical_not, false, "out = (x == 0) (torch.logical_not).", RULE_PREDICATE, infer_predicate,
          sig_predicate);
UNARY_DEF_D(isnan, false, "out = x is NaN (torch.isnan).", RULE_PREDICATE, infer_predicate,
          sig_predicate);
UNARY_DEF_D(isinf, false, "out = x is +-inf (torch.isinf).", RULE_PREDICATE, infer_predicate,
          sig_predicate);
