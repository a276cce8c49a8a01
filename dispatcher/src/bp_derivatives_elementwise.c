/* bp_derivatives_elementwise.c - derivative formulas of the unary and
 * binary elementwise ops (those not in bp_derivatives.c), as PyTorch's
 * tools/autograd/derivatives.yaml writes them. Piecewise-constant ops
 * (sign, floor, ceil, round, trunc) have zero gradients, as in PyTorch.
 * Masks use where(), not a multiplication, so that a NaN or infinite
 * gradient outside the mask does not leak in. */
#include <math.h>

#include "bp_derivatives_util.h"

#define NEED0 if (!c->needs[0]) return BP_STATUS_OK

/* ---- unary ---- */

/* Zero gradient (piecewise constant): zeros, so the input gets a gradient
 * (of zeros) as in PyTorch rather than none. */
static bp_status_t d_zero(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  (void)g;
  NEED0;
  return bp_dv_zeros(&c->node->in_meta[0], &gi[0]);
}

/* abs: g * sign(x) (0 at 0). */
static bp_status_t d_abs(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  NEED0;
  bp_tensor_t *sg = NULL;
  bp_status_t s = bp_sign(c->in[0], &sg);
  if (!s) s = bp_mul(g[0], sg, &gi[0]);
  bp_tensor_release(sg);
  return s;
}

/* log1p: g / (1 + x). */
static bp_status_t d_log1p(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  NEED0;
  bp_tensor_t *d = NULL;
  bp_status_t s = bp_dv_add_scalar(c->in[0], 1.0, &d);
  if (!s) s = bp_div(g[0], d, &gi[0]);
  bp_tensor_release(d);
  return s;
}

/* expm1: g * (y + 1). */
static bp_status_t d_expm1(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  NEED0;
  bp_tensor_t *d = NULL;
  bp_status_t s = bp_dv_add_scalar(c->out[0], 1.0, &d);
  if (!s) s = bp_mul(g[0], d, &gi[0]);
  bp_tensor_release(d);
  return s;
}

/* rsqrt: -0.5 * g * y^3. */
static bp_status_t d_rsqrt(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  NEED0;
  bp_tensor_t *y = c->out[0], *y3 = NULL, *t = NULL;
  bp_status_t s = bp_dv_mul3(y, y, y, &y3);
  if (!s) s = bp_mul(g[0], y3, &t);
  if (!s) s = bp_dv_scale(t, -0.5, &gi[0]);
  BP_DV_RELEASE(y3, t);
  return s;
}

/* reciprocal: -g * y^2. */
static bp_status_t d_reciprocal(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  NEED0;
  bp_tensor_t *y = c->out[0], *t = NULL;
  bp_status_t s = bp_dv_mul3(g[0], y, y, &t);
  if (!s) s = bp_neg(t, &gi[0]);
  bp_tensor_release(t);
  return s;
}

/* sin: g * cos(x). */
static bp_status_t d_sin(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  NEED0;
  bp_tensor_t *d = NULL;
  bp_status_t s = bp_cos(c->in[0], &d);
  if (!s) s = bp_mul(g[0], d, &gi[0]);
  bp_tensor_release(d);
  return s;
}

/* cos: -g * sin(x). */
static bp_status_t d_cos(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  NEED0;
  bp_tensor_t *d = NULL, *t = NULL;
  bp_status_t s = bp_sin(c->in[0], &d);
  if (!s) s = bp_mul(g[0], d, &t);
  if (!s) s = bp_neg(t, &gi[0]);
  BP_DV_RELEASE(d, t);
  return s;
}

/* leaky_relu: x > 0 ? g : g * negative_slope. */
static bp_status_t d_leaky_relu(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  NEED0;
  bp_tensor_t *pos = NULL, *neg = NULL;
  bp_status_t s = bp_dv_cmp_scalar(bp_gt, c->in[0], 0.0, &pos);
  if (!s) s = bp_dv_scale(g[0], c->attrs[0].value.f, &neg);
  if (!s) s = bp_where(pos, g[0], neg, &gi[0]);
  BP_DV_RELEASE(pos, neg);
  return s;
}

/* elu: x > 0 ? g : g * alpha * exp(x). */
static bp_status_t d_elu(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  NEED0;
  bp_tensor_t *pos = NULL, *e = NULL, *neg = NULL;
  bp_status_t s = bp_dv_cmp_scalar(bp_gt, c->in[0], 0.0, &pos);
  if (!s) s = bp_exp(c->in[0], &e);
  if (!s) s = bp_dv_scale(e, c->attrs[0].value.f, &neg);
  bp_tensor_t *t = NULL;
  if (!s) s = bp_mul(g[0], neg, &t);
  if (!s) s = bp_where(pos, g[0], t, &gi[0]);
  BP_DV_RELEASE(pos, e, neg, t);
  return s;
}

/* silu: g * s * (1 + x * (1 - s)), s = sigmoid(x). */
static bp_status_t d_silu(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  NEED0;
  bp_tensor_t *sg = NULL, *oms = NULL, *xo = NULL, *inner = NULL;
  bp_status_t s = bp_sigmoid(c->in[0], &sg);
  if (!s) s = bp_dv_rsub_scalar(1.0, sg, &oms);
  if (!s) s = bp_mul(c->in[0], oms, &xo);
  if (!s) s = bp_dv_add_scalar(xo, 1.0, &inner);
  if (!s) s = bp_dv_mul3(g[0], sg, inner, &gi[0]);
  BP_DV_RELEASE(sg, oms, xo, inner);
  return s;
}

/* softplus: beta * x > threshold ? g : g * sigmoid(beta * x). */
static bp_status_t d_softplus(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  NEED0;
  double beta = c->attrs[0].value.f, threshold = c->attrs[1].value.f;
  bp_tensor_t *bx = NULL, *lin = NULL, *sg = NULL, *t = NULL;
  bp_status_t s = bp_dv_scale(c->in[0], beta, &bx);
  if (!s) s = bp_dv_cmp_scalar(bp_gt, bx, threshold, &lin);
  if (!s) s = bp_sigmoid(bx, &sg);
  if (!s) s = bp_mul(g[0], sg, &t);
  if (!s) s = bp_where(lin, g[0], t, &gi[0]);
  BP_DV_RELEASE(bx, lin, sg, t);
  return s;
}

/* erf: g * 2/sqrt(pi) * exp(-x^2). */
static bp_status_t d_erf(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  NEED0;
  bp_tensor_t *xx = NULL, *nxx = NULL, *e = NULL, *t = NULL;
  bp_status_t s = bp_mul(c->in[0], c->in[0], &xx);
  if (!s) s = bp_neg(xx, &nxx);
  if (!s) s = bp_exp(nxx, &e);
  if (!s) s = bp_mul(g[0], e, &t);
  if (!s) s = bp_dv_scale(t, 1.1283791670955126 /* 2/sqrt(pi) */, &gi[0]);
  BP_DV_RELEASE(xx, nxx, e, t);
  return s;
}

/* clamp: g where min <= x <= max (the bounds that are set), else 0; NaN x
 * gets 0 (torch's clamp_backward). */
static bp_status_t d_clamp(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  NEED0;
  bool has_min = c->attrs[2].value.b, has_max = c->attrs[3].value.b;
  if (!has_min && !has_max) {
    gi[0] = bp_tensor_retain(g[0]);
    return BP_STATUS_OK;
  }
  bp_tensor_t *lo = NULL, *hi = NULL, *both = NULL;
  bp_status_t s = BP_STATUS_OK;
  if (has_min) s = bp_dv_cmp_scalar(bp_ge, c->in[0], c->attrs[0].value.f, &lo);
  if (!s && has_max) s = bp_dv_cmp_scalar(bp_le, c->in[0], c->attrs[1].value.f, &hi);
  if (!s && lo && hi) s = bp_logical_and(lo, hi, &both);
  if (!s) s = bp_dv_mask(both ? both : lo ? lo : hi, g[0], &gi[0]);
  BP_DV_RELEASE(lo, hi, both);
  return s;
}

/* ---- binary ---- */

/* remainder(a, b) = a - floor(a / b) * b: da = g, db = -g * floor(a / b). */
static bp_status_t d_remainder(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  bp_status_t s = BP_STATUS_OK;
  if (c->needs[0]) gi[0] = bp_tensor_retain(g[0]);
  if (c->needs[1]) {
    bp_tensor_t *q = NULL, *t = NULL;
    s = bp_div_rounding(c->in[0], c->in[1], BP_ROUNDING_FLOOR, &q);
    if (!s) s = bp_mul(g[0], q, &t);
    if (!s) s = bp_neg(t, &gi[1]);
    BP_DV_RELEASE(q, t);
  }
  return s;
}

/* pow(a, b): da = b == 0 ? 0 : g * b * a^(b-1);
 * db = (a == 0 && b >= 0) ? 0 : g * y * log(a). */
static bp_status_t d_pow(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  bp_tensor_t *a = c->in[0], *b = c->in[1];
  bp_status_t s = BP_STATUS_OK;
  if (c->needs[0]) {
    bp_tensor_t *bm1 = NULL, *p = NULL, *t = NULL, *nz = NULL;
    s = bp_dv_add_scalar(b, -1.0, &bm1);
    if (!s) s = bp_pow(a, bm1, &p);
    if (!s) s = bp_dv_mul3(g[0], b, p, &t);
    if (!s) s = bp_dv_cmp_scalar(bp_ne, b, 0.0, &nz);
    if (!s) s = bp_dv_mask(nz, t, &gi[0]);
    BP_DV_RELEASE(bm1, p, t, nz);
  }
  if (!s && c->needs[1]) {
    bp_tensor_t *la = NULL, *t = NULL, *az = NULL, *bnn = NULL, *zero = NULL, *keep = NULL;
    s = bp_ln(a, &la);
    if (!s) s = bp_dv_mul3(g[0], c->out[0], la, &t);
    if (!s) s = bp_dv_cmp_scalar(bp_eq, a, 0.0, &az);
    if (!s) s = bp_dv_cmp_scalar(bp_ge, b, 0.0, &bnn);
    if (!s) s = bp_logical_and(az, bnn, &zero);
    if (!s) s = bp_logical_not(zero, &keep);
    if (!s) s = bp_dv_mask(keep, t, &gi[1]);
    BP_DV_RELEASE(la, t, az, bnn, zero, keep);
  }
  return s;
}

/* maximum / minimum: the gradient goes to the larger (smaller) operand,
 * split in halves on ties (torch). For a: where(a == b, g / 2, g) masked to
 * 0 where a < b (maximum) or a > b (minimum); for b the other way. NaN
 * operands give both the whole gradient, as in torch. */
static bp_status_t minmax(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi,
                          bool is_max) {
  bp_tensor_t *a = c->in[0], *b = c->in[1], *eq = NULL, *half = NULL, *split = NULL;
  bp_status_t s = bp_eq(a, b, &eq);
  if (!s) s = bp_dv_scale(g[0], 0.5, &half);
  if (!s) s = bp_where(eq, half, g[0], &split);
  for (int i = 0; i < 2 && !s; ++i) {
    if (!c->needs[i]) continue;
    bp_tensor_t *lose = NULL, *keep = NULL;
    /* a loses where a < b (max) or a > b (min); b where b < a (max) ... */
    bool a_side = i == 0;
    s = (a_side == is_max) ? bp_lt(a, b, &lose) : bp_gt(a, b, &lose);
    if (!s) s = bp_logical_not(lose, &keep);
    if (!s) s = bp_dv_mask(keep, split, &gi[i]);
    BP_DV_RELEASE(lose, keep);
  }
  BP_DV_RELEASE(eq, half, split);
  return s;
}
static bp_status_t d_maximum(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  return minmax(c, g, gi, true);
}
static bp_status_t d_minimum(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  return minmax(c, g, gi, false);
}

/* atan2(a, b): da = g * b / (a^2 + b^2), db = -g * a / (a^2 + b^2). */
static bp_status_t d_atan2(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  bp_tensor_t *a = c->in[0], *b = c->in[1], *aa = NULL, *bb = NULL, *den = NULL, *q = NULL;
  bp_status_t s = bp_mul(a, a, &aa);
  if (!s) s = bp_mul(b, b, &bb);
  if (!s) s = bp_add(aa, bb, &den);
  if (!s) s = bp_div(g[0], den, &q);
  if (!s && c->needs[0]) s = bp_mul(q, b, &gi[0]);
  if (!s && c->needs[1]) {
    bp_tensor_t *t = NULL;
    s = bp_mul(q, a, &t);
    if (!s) s = bp_neg(t, &gi[1]);
    bp_tensor_release(t);
  }
  BP_DV_RELEASE(aa, bb, den, q);
  return s;
}

/* ---- the table ---- */

#define IN(i) BP_DERIVATIVE_IN(i)
#define OUT(k) BP_DERIVATIVE_OUT(k)

const bp_named_derivative_t bp_derivatives_elementwise[] = {
    {BP_OP_ABS, {IN(0), 0, d_abs}},
    {BP_OP_SIGN, {0, 0, d_zero}},
    {BP_OP_LOG1P, {IN(0), 0, d_log1p}},
    {BP_OP_EXPM1, {0, OUT(0), d_expm1}},
    {BP_OP_RSQRT, {0, OUT(0), d_rsqrt}},
    {BP_OP_RECIPROCAL, {0, OUT(0), d_reciprocal}},
    {BP_OP_SIN, {IN(0), 0, d_sin}},
    {BP_OP_COS, {IN(0), 0, d_cos}},
    {BP_OP_LEAKY_RELU, {IN(0), 0, d_leaky_relu}},
    {BP_OP_ELU, {IN(0), 0, d_elu}},
    {BP_OP_SILU, {IN(0), 0, d_silu}},
    {BP_OP_SOFTPLUS, {IN(0), 0, d_softplus}},
    {BP_OP_ERF, {IN(0), 0, d_erf}},
    {BP_OP_FLOOR, {0, 0, d_zero}},
    {BP_OP_CEIL, {0, 0, d_zero}},
    {BP_OP_ROUND, {0, 0, d_zero}},
    {BP_OP_TRUNC, {0, 0, d_zero}},
    {BP_OP_CLAMP, {IN(0), 0, d_clamp}},
    {BP_OP_REMAINDER, {IN(0) | IN(1), 0, d_remainder}},
    {BP_OP_POW, {IN(0) | IN(1), OUT(0), d_pow}},
    {BP_OP_MAXIMUM, {IN(0) | IN(1), 0, d_maximum}},
    {BP_OP_MINIMUM, {IN(0) | IN(1), 0, d_minimum}},
    {BP_OP_ATAN2, {IN(0) | IN(1), 0, d_atan2}},
};
const size_t bp_derivatives_elementwise_count =
    sizeof(bp_derivatives_elementwise) / sizeof(bp_derivatives_elementwise[0]);
