/* bp_ops_unary_api.c - the typed entry points of the unary ops
 * (bp_ops_unary.h): each fills the op's attributes and dispatches. */
#include "bp_op_catalog.h"

/* Runs op_id on x with attrs (catalog order). given: *out is the output
 * (the _out and in-place forms); otherwise a new tensor goes to *out. */
static bp_status_t unary(uint32_t op_id, bp_tensor_t *x, const bp_attr_t *attrs,
                         bp_tensor_t **out, bool given) {
  const bp_op_def_t *def = bp_op_def(op_id);
  if (!out || (given && !*out))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: out is NULL", def->name);
  bp_attr_t defaults[BP_MAX_ATTRS];
  if (!attrs) {
    bp_op_default_attrs(def, defaults);
    attrs = defaults;
  }
  bp_tensor_t *result = given ? *out : NULL;
  bp_status_t s = bp_dispatch(op_id, 1, &x, attrs, 1, &result);
  if (!s && !given) *out = result;
  return s;
}

/* In place: x is the output; a NULL x is named as x. */
static bp_status_t unary_in_place(uint32_t op_id, bp_tensor_t *x, const bp_attr_t *attrs) {
  if (!x) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s_: x is NULL", bp_op_def(op_id)->name);
  return unary(op_id, x, attrs, &x, true);
}

#define UNARY_API(ID, sym)                                                          \
  bp_status_t bp_##sym(bp_tensor_t *x, bp_tensor_t **out) {                         \
    return unary(BP_OP_##ID, x, NULL, out, false);                                  \
  }                                                                                 \
  bp_status_t bp_##sym##_out(bp_tensor_t *x, bp_tensor_t *out) {                    \
    return unary(BP_OP_##ID, x, NULL, &out, true);                                  \
  }
#define UNARY_API_IN_PLACE(ID, sym)                                                 \
  UNARY_API(ID, sym)                                                                \
  bp_status_t bp_##sym##_(bp_tensor_t *x) { return unary_in_place(BP_OP_##ID, x, NULL); }

UNARY_API_IN_PLACE(NEG, neg)
UNARY_API_IN_PLACE(ABS, abs)
UNARY_API_IN_PLACE(SIGN, sign)
UNARY_API_IN_PLACE(EXP, exp)
UNARY_API_IN_PLACE(LOG, ln) /* bp_log is the logger */
UNARY_API_IN_PLACE(LOG1P, log1p)
UNARY_API_IN_PLACE(EXPM1, expm1)
UNARY_API_IN_PLACE(SQRT, sqrt)
UNARY_API_IN_PLACE(RSQRT, rsqrt)
UNARY_API_IN_PLACE(RECIPROCAL, reciprocal)
UNARY_API_IN_PLACE(SIN, sin)
UNARY_API_IN_PLACE(COS, cos)
UNARY_API_IN_PLACE(TANH, tanh)
UNARY_API_IN_PLACE(SIGMOID, sigmoid)
UNARY_API_IN_PLACE(RELU, relu)
UNARY_API_IN_PLACE(SILU, silu)
UNARY_API_IN_PLACE(ERF, erf)
UNARY_API_IN_PLACE(FLOOR, floor)
UNARY_API_IN_PLACE(CEIL, ceil)
UNARY_API_IN_PLACE(TRUNC, trunc)
UNARY_API(LOGICAL_NOT, logical_not)
UNARY_API(ISNAN, isnan)
UNARY_API(ISINF, isinf)

/* The op's default attributes with attrs[i] set by the caller. */
static void attrs_of(uint32_t op_id, bp_attr_t *attrs) { bp_op_default_attrs(bp_op_def(op_id), attrs); }

/* Ops with attributes: FILL sets the defaults `a` from the parameters. */
#define UNARY_API_ATTRS(ID, sym, PARAMS, FILL)                                      \
  bp_status_t bp_##sym(bp_tensor_t *x, PARAMS, bp_tensor_t **out) {                 \
    bp_attr_t a[BP_MAX_ATTRS];                                                      \
    attrs_of(BP_OP_##ID, a);                                                        \
    FILL;                                                                           \
    return unary(BP_OP_##ID, x, a, out, false);                                     \
  }                                                                                 \
  bp_status_t bp_##sym##_out(bp_tensor_t *x, PARAMS, bp_tensor_t *out) {            \
    bp_attr_t a[BP_MAX_ATTRS];                                                      \
    attrs_of(BP_OP_##ID, a);                                                        \
    FILL;                                                                           \
    return unary(BP_OP_##ID, x, a, &out, true);                                     \
  }                                                                                 \
  bp_status_t bp_##sym##_(bp_tensor_t *x, PARAMS) {                                 \
    bp_attr_t a[BP_MAX_ATTRS];                                                      \
    attrs_of(BP_OP_##ID, a);                                                        \
    FILL;                                                                           \
    return unary_in_place(BP_OP_##ID, x, a);                                        \
  }
#define COMMA ,

UNARY_API_ATTRS(LEAKY_RELU, leaky_relu, double negative_slope, a[0].value.f = negative_slope)
UNARY_API_ATTRS(ELU, elu, double alpha, a[0].value.f = alpha)
UNARY_API_ATTRS(GELU, gelu, int32_t approximate, a[0].value.i = approximate)
UNARY_API_ATTRS(SOFTPLUS, softplus, double beta COMMA double threshold,
                (a[0].value.f = beta, a[1].value.f = threshold))
UNARY_API_ATTRS(ROUND, round, int64_t decimals, a[0].value.i = decimals)
UNARY_API_ATTRS(CLAMP, clamp, const double *min COMMA const double *max,
                (a[0].value.f = min ? *min : 0.0, a[1].value.f = max ? *max : 0.0,
                 a[2].value.b = min != NULL, a[3].value.b = max != NULL))
