/* bp_derivatives.c - the derivative table: one formula per differentiable
 * op of the catalog, written with ordinary ops so backward runs on whatever
 * device the tensors live on. A formula returns, for each input that needs
 * it, a gradient that broadcasts to the input (the engine sums it down,
 * casts it and moves it to the input's device).
 *
 * Adding a formula: write `static bp_status_t d_<op>(ctx, g, gi)`, then one
 * row in `table` below with the inputs and outputs it reads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bp_autograd.h"
#include "bp_op_util.h"

/* ---- small helpers ---- */

/* x * value, value a scalar operand (the dtype stays x's). */
static bp_status_t scale(bp_tensor_t *x, double value, bp_tensor_t **out) {
  bp_tensor_t *k = NULL;
  bp_status_t s = bp_tensor_create_scalar(value, &k);
  if (!s) s = bp_mul(x, k, out);
  bp_tensor_release(k);
  return s;
}

/* a * b * c */
static bp_status_t mul3(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t *c, bp_tensor_t **out) {
  bp_tensor_t *ab = NULL;
  bp_status_t s = bp_mul(a, b, &ab);
  if (!s) s = bp_mul(ab, c, out);
  bp_tensor_release(ab);
  return s;
}

bp_status_t bp_grad_sum_to(bp_tensor_t *g, int32_t ndim, const int64_t *shape, bp_tensor_t **out) {
  int32_t lead = g->ndim - ndim;
  if (lead < 0)
    return bp_fail(BP_STATUS_INTERNAL, "a gradient has %d dims, fewer than its input's %d",
                   g->ndim, ndim);
  int64_t dims[BP_MAX_DIMS];
  uint32_t n = 0;
  for (int32_t i = 0; i < g->ndim; ++i)
    if (i < lead || (shape[i - lead] == 1 && g->shape[i] != 1)) dims[n++] = i;
  bp_tensor_t *summed = NULL;
  bp_status_t s = BP_STATUS_OK;
  if (n) {
    s = bp_sum(g, n, dims, 1, &summed);
  } else {
    summed = bp_tensor_retain(g);
  }
  if (!s) s = bp_tensor_reshape(summed, ndim, shape, out);
  bp_tensor_release(summed);
  return s;
}

/* g broadcast back over the dims a reduction removed: the input's shape. */
static bp_status_t expand_reduced(bp_tensor_t *g, const bp_grad_tensor_meta_t *in,
                                  const bp_attr_t *dim, bool keepdim, bp_tensor_t **out) {
  int64_t kshape[BP_MAX_DIMS];
  bool reduced[BP_MAX_DIMS] = {false};
  if (dim->count == 0) {
    for (int32_t i = 0; i < in->ndim; ++i) reduced[i] = true;
  } else {
    for (uint32_t i = 0; i < dim->count; ++i) {
      int64_t d = dim->value.ints[i];
      if (d < 0) d += in->ndim;
      if (d >= 0 && d < in->ndim) reduced[d] = true;
    }
  }
  for (int32_t i = 0; i < in->ndim; ++i) kshape[i] = reduced[i] ? 1 : in->shape[i];
  bp_tensor_t *k = NULL, *e = NULL;
  bp_status_t s = keepdim ? BP_STATUS_OK : bp_tensor_reshape(g, in->ndim, kshape, &k);
  if (keepdim) k = bp_tensor_retain(g);
  if (!s) s = bp_tensor_expand(k, in->ndim, in->shape, &e);
  if (!s) s = bp_tensor_contiguous(e, out);
  bp_tensor_release(k);
  bp_tensor_release(e);
  return s;
}

static int64_t meta_numel(const bp_grad_tensor_meta_t *m) {
  int64_t n = 1;
  for (int32_t i = 0; i < m->ndim; ++i) n *= m->shape[i];
  return n;
}

/* ---- formulas ---- */

static bp_status_t d_copy(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (c->needs[0]) gi[0] = bp_tensor_retain(g[0]);
  return BP_STATUS_OK;
}

static bp_status_t d_add(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  double alpha = c->attrs[0].value.f;
  bp_status_t s = BP_STATUS_OK;
  if (c->needs[0]) gi[0] = bp_tensor_retain(g[0]);
  if (c->needs[1]) {
    if (alpha == 1.0) gi[1] = bp_tensor_retain(g[0]);
    else s = scale(g[0], alpha, &gi[1]);
  }
  return s;
}

static bp_status_t d_sub(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (c->needs[0]) gi[0] = bp_tensor_retain(g[0]);
  return c->needs[1] ? scale(g[0], -c->attrs[0].value.f, &gi[1]) : BP_STATUS_OK;
}

static bp_status_t d_mul(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  bp_status_t s = BP_STATUS_OK;
  if (c->needs[0]) s = bp_mul(g[0], c->in[1], &gi[0]);
  if (!s && c->needs[1]) s = bp_mul(g[0], c->in[0], &gi[1]);
  return s;
}

/* a / b: da = g / b, db = -g * out / b. With a rounding mode the result is
 * piecewise constant: zero gradients (as PyTorch). */
static bp_status_t d_div(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (c->node->op_id == BP_OP_DIV && c->attrs[0].type == BP_ATTR_INT && c->attrs[0].value.i != 0)
    return BP_STATUS_OK;
  bp_status_t s = BP_STATUS_OK;
  if (c->needs[0]) s = bp_div(g[0], c->in[1], &gi[0]);
  if (!s && c->needs[1]) {
    bp_tensor_t *q = NULL, *n = NULL;
    s = bp_div(c->out[0], c->in[1], &q);
    if (!s) s = bp_mul(g[0], q, &n);
    if (!s) s = scale(n, -1.0, &gi[1]);
    bp_tensor_release(q);
    bp_tensor_release(n);
  }
  return s;
}

static bp_status_t d_sum(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!c->needs[0]) return BP_STATUS_OK;
  return expand_reduced(g[0], &c->node->in_meta[0], &c->attrs[0], c->attrs[1].value.b, &gi[0]);
}

static bp_status_t d_mean(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!c->needs[0]) return BP_STATUS_OK;
  const bp_grad_tensor_meta_t *in = &c->node->in_meta[0];
  int64_t count = meta_numel(in) / (meta_numel(&c->node->out_meta[0]) ? meta_numel(&c->node->out_meta[0]) : 1);
  bp_tensor_t *e = NULL;
  bp_status_t s = expand_reduced(g[0], in, &c->attrs[0], c->attrs[1].value.b, &e);
  if (!s) s = scale(e, count ? 1.0 / (double)count : NAN, &gi[0]);
  bp_tensor_release(e);
  return s;
}

static bp_status_t transpose_last(bp_tensor_t *t, bp_tensor_t **out) {
  return bp_tensor_transpose(t, -1, -2, out);
}

static bp_status_t unsqueeze(bp_tensor_t *t, int64_t dim, bp_tensor_t **out) {
  return bp_tensor_unsqueeze(t, dim, out);
}

/* torch.matmul's gradient, by the four cases of operand ranks. */
static bp_status_t d_matmul(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  bp_tensor_t *a = c->in[0], *b = c->in[1], *t1 = NULL, *t2 = NULL, *t3 = NULL;
  bp_status_t s = BP_STATUS_OK;
  if (a->ndim == 1 && b->ndim == 1) {
    if (c->needs[0]) s = bp_mul(g[0], b, &gi[0]);
    if (!s && c->needs[1]) s = bp_mul(g[0], a, &gi[1]);
    return s;
  }
  if (b->ndim == 1) { /* out [..., M] */
    s = unsqueeze(g[0], -1, &t1); /* [..., M, 1] */
    if (!s && c->needs[0]) {
      s = unsqueeze(b, 0, &t2); /* [1, K] */
      if (!s) s = bp_matmul(t1, t2, &gi[0]);
    }
    if (!s && c->needs[1]) {
      s = transpose_last(a, &t3); /* [..., K, M] */
      bp_tensor_t *r = NULL;
      if (!s) s = bp_matmul(t3, t1, &r); /* [..., K, 1] */
      if (!s) s = bp_tensor_squeeze_dims(r, 1, (int64_t[]){-1}, &gi[1]);
      bp_tensor_release(r);
    }
  } else if (a->ndim == 1) { /* out [..., N] */
    s = unsqueeze(g[0], -2, &t1); /* [..., 1, N] */
    if (!s && c->needs[0]) {
      s = transpose_last(b, &t2); /* [..., N, K] */
      bp_tensor_t *r = NULL;
      if (!s) s = bp_matmul(t1, t2, &r); /* [..., 1, K] */
      if (!s) s = bp_tensor_squeeze_dims(r, 1, (int64_t[]){-2}, &gi[0]);
      bp_tensor_release(r);
    }
    if (!s && c->needs[1]) {
      s = unsqueeze(a, -1, &t3); /* [K, 1] */
      if (!s) s = bp_matmul(t3, t1, &gi[1]);
    }
  } else {
    if (c->needs[0]) {
      s = transpose_last(b, &t1);
      if (!s) s = bp_matmul(g[0], t1, &gi[0]);
    }
    if (!s && c->needs[1]) {
      s = transpose_last(a, &t2);
      if (!s) s = bp_matmul(t2, g[0], &gi[1]);
    }
  }
  bp_tensor_release(t1);
  bp_tensor_release(t2);
  bp_tensor_release(t3);
  return s;
}

/* ---- unary ---- */

static bp_status_t d_neg(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  return c->needs[0] ? bp_neg(g[0], &gi[0]) : BP_STATUS_OK;
}
static bp_status_t d_exp(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  return c->needs[0] ? bp_mul(g[0], c->out[0], &gi[0]) : BP_STATUS_OK;
}
static bp_status_t d_log(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  return c->needs[0] ? bp_div(g[0], c->in[0], &gi[0]) : BP_STATUS_OK;
}
static bp_status_t d_sqrt(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!c->needs[0]) return BP_STATUS_OK;
  bp_tensor_t *q = NULL;
  bp_status_t s = bp_div(g[0], c->out[0], &q);
  if (!s) s = scale(q, 0.5, &gi[0]);
  bp_tensor_release(q);
  return s;
}
/* 1 - y*y, for tanh. */
static bp_status_t one_minus_sq(bp_tensor_t *y, bp_tensor_t **out) {
  bp_tensor_t *yy = NULL, *one = NULL;
  bp_status_t s = bp_mul(y, y, &yy);
  if (!s) s = bp_tensor_create_scalar(1.0, &one);
  if (!s) s = bp_sub(one, yy, out);
  bp_tensor_release(yy);
  bp_tensor_release(one);
  return s;
}
static bp_status_t d_tanh(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!c->needs[0]) return BP_STATUS_OK;
  bp_tensor_t *d = NULL;
  bp_status_t s = one_minus_sq(c->out[0], &d);
  if (!s) s = bp_mul(g[0], d, &gi[0]);
  bp_tensor_release(d);
  return s;
}
static bp_status_t d_sigmoid(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!c->needs[0]) return BP_STATUS_OK;
  bp_tensor_t *one = NULL, *m = NULL;
  bp_status_t s = bp_tensor_create_scalar(1.0, &one);
  if (!s) s = bp_sub(one, c->out[0], &m);
  if (!s) s = mul3(g[0], c->out[0], m, &gi[0]);
  bp_tensor_release(one);
  bp_tensor_release(m);
  return s;
}
/* relu: g where x > 0, else 0 (torch: the subgradient at 0 is 0). */
static bp_status_t d_relu(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!c->needs[0]) return BP_STATUS_OK;
  bp_tensor_t *zero = NULL, *mask = NULL;
  bp_status_t s = bp_tensor_create_scalar(0.0, &zero);
  if (!s) s = bp_gt(c->out[0], zero, &mask);
  if (!s) s = bp_mul(g[0], mask, &gi[0]);
  bp_tensor_release(zero);
  bp_tensor_release(mask);
  return s;
}

/* dropout: the kept elements' gradient scaled by 1/(1-p). The mask is
 * redrawn, not saved: dropout of ones with the same attributes (seed,
 * offset) gives exactly scale-or-zero at every element. */
static bp_status_t d_dropout(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!c->needs[0]) return BP_STATUS_OK;
  if (!c->attrs[1].value.b) {
    gi[0] = bp_tensor_retain(g[0]);
    return BP_STATUS_OK;
  }
  const bp_grad_tensor_meta_t *m = &c->node->in_meta[0];
  bp_tensor_t *ones = NULL, *scale_mask[1] = {NULL};
  bp_status_t s = bp_tensor_create(m->device, m->dtype, m->ndim, m->shape, &ones);
  if (!s) s = bp_fill(ones, 1.0);
  if (!s) s = bp_op_run(BP_OP_DROPOUT, 1, &ones, bp_op_def(BP_OP_DROPOUT)->num_attrs, c->attrs, 1,
                        scale_mask);
  if (!s) s = bp_mul(g[0], scale_mask[0], &gi[0]);
  bp_tensor_release(ones);
  bp_tensor_release(scale_mask[0]);
  return s;
}

/* ---- the table ---- */

#define IN(i) BP_DERIVATIVE_IN(i)
#define OUT(k) BP_DERIVATIVE_OUT(k)

const bp_named_derivative_t bp_derivatives_core[] = {
    {BP_OP_COPY, {0, 0, d_copy}},
    {BP_OP_ADD, {0, 0, d_add}},
    {BP_OP_SUB, {0, 0, d_sub}},
    {BP_OP_MUL, {IN(0) | IN(1), 0, d_mul}},
    {BP_OP_DIV, {IN(1), OUT(0), d_div}},
    {BP_OP_SUM, {0, 0, d_sum}},
    {BP_OP_MEAN, {0, 0, d_mean}},
    {BP_OP_MATMUL, {IN(0) | IN(1), 0, d_matmul}},
    {BP_OP_NEG, {0, 0, d_neg}},
    {BP_OP_EXP, {0, OUT(0), d_exp}},
    {BP_OP_LOG, {IN(0), 0, d_log}},
    {BP_OP_SQRT, {0, OUT(0), d_sqrt}},
    {BP_OP_TANH, {0, OUT(0), d_tanh}},
    {BP_OP_SIGMOID, {0, OUT(0), d_sigmoid}},
    {BP_OP_RELU, {0, OUT(0), d_relu}},
    {BP_OP_DROPOUT, {0, 0, d_dropout}},
};
const size_t bp_derivatives_core_count = sizeof(bp_derivatives_core) / sizeof(bp_derivatives_core[0]);

/* Built once: op id -> formula, over every family's table. */
static const bp_derivative_t *by_op[BP_OP_COUNT];
static pthread_once_t by_op_once = PTHREAD_ONCE_INIT;

static void add_table(const bp_named_derivative_t *t, const size_t *count) {
  if (!t || !count) return;
  for (size_t i = 0; i < *count; ++i)
    if (t[i].op_id < BP_OP_COUNT && !by_op[t[i].op_id]) by_op[t[i].op_id] = &t[i].d;
}

static void build_index(void) {
  add_table(bp_derivatives_core, &bp_derivatives_core_count);
  add_table(bp_derivatives_elementwise, &bp_derivatives_elementwise_count);
  add_table(bp_derivatives_shape, &bp_derivatives_shape_count);
  add_table(bp_derivatives_reduce, &bp_derivatives_reduce_count);
  add_table(bp_derivatives_nn, &bp_derivatives_nn_count);
  add_table(bp_derivatives_train, &bp_derivatives_train_count);
}

const bp_derivative_t *bp_derivative_of(uint32_t op_id) {
  pthread_once(&by_op_once, build_index);
  return op_id < BP_OP_COUNT ? by_op[op_id] : NULL;
}
