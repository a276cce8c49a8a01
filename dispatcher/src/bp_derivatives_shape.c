/* bp_derivatives_shape.c - derivative formulas of the shape family's ops
 * that are not views (views are handled by the engine: their nodes scatter
 * the gradient back into the base's layout): where, tril, triu, pad, cat,
 * stack. copy's formula is in bp_derivatives.c. */
#include "bp_derivatives_util.h"

/* where(cond, a, b): da = where(cond, g, 0), db = where(cond, 0, g). */
static bp_status_t d_where(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  bp_status_t s = BP_STATUS_OK;
  if (c->needs[1]) s = bp_dv_mask(c->in[0], g[0], &gi[1]);
  if (!s && c->needs[2]) {
    bp_tensor_t *zero = NULL;
    s = bp_tensor_create_scalar(0.0, &zero);
    if (!s) s = bp_where(c->in[0], zero, g[0], &gi[2]);
    bp_tensor_release(zero);
  }
  return s;
}

/* tril / triu: the same triangle of g. */
static bp_status_t d_tril(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  return c->needs[0] ? bp_tril(g[0], c->attrs[0].value.i, &gi[0]) : BP_STATUS_OK;
}
static bp_status_t d_triu(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  return c->needs[0] ? bp_triu(g[0], c->attrs[0].value.i, &gi[0]) : BP_STATUS_OK;
}

/* pad (constant): the gradient is g with the padding cropped off, i.e. g
 * padded by the negated amounts (a negative pad crops; a crop of the input
 * becomes zeros in its gradient). */
static bp_status_t d_pad(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!c->needs[0]) return BP_STATUS_OK;
  const bp_attr_t *pad = &c->attrs[0];
  int64_t neg[2 * BP_MAX_DIMS];
  uint32_t n = pad->count < 2 * BP_MAX_DIMS ? pad->count : 2 * BP_MAX_DIMS;
  for (uint32_t i = 0; i < n; ++i) neg[i] = -pad->value.ints[i];
  return bp_pad(g[0], n, neg, 0.0, &gi[0]);
}

static int32_t wrap_dim(int64_t d, int32_t ndim) { return (int32_t)(d < 0 ? d + ndim : d); }

/* cat: each input gets its slice of g along dim (1-D empty inputs that cat
 * skipped get zeros). */
static bp_status_t d_cat(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  const bp_grad_node_t *n = c->node;
  int32_t ndim = n->out_meta[0].ndim;
  int32_t d = wrap_dim(c->attrs[0].value.i, ndim);
  int64_t offset = 0;
  bp_status_t s = BP_STATUS_OK;
  for (uint32_t i = 0; i < n->num_inputs && !s; ++i) {
    const bp_grad_tensor_meta_t *m = &n->in_meta[i];
    if (m->ndim != ndim) { /* skipped: 1-D and empty */
      if (c->needs[i]) s = bp_dv_zeros(m, &gi[i]);
      continue;
    }
    int64_t len = m->shape[d];
    if (c->needs[i]) {
      bp_tensor_t *v = NULL;
      s = bp_tensor_narrow(g[0], d, offset, len, &v);
      if (!s) s = bp_tensor_contiguous(v, &gi[i]);
      bp_tensor_release(v);
    }
    offset += len;
  }
  return s;
}

/* stack: input i gets g's slice i along dim. */
static bp_status_t d_stack(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  const bp_grad_node_t *n = c->node;
  int32_t d = wrap_dim(c->attrs[0].value.i, n->out_meta[0].ndim);
  bp_status_t s = BP_STATUS_OK;
  for (uint32_t i = 0; i < n->num_inputs && !s; ++i) {
    if (!c->needs[i]) continue;
    bp_tensor_t *v = NULL;
    s = bp_tensor_select(g[0], d, i, &v);
    if (!s) s = bp_tensor_contiguous(v, &gi[i]);
    bp_tensor_release(v);
  }
  return s;
}

#define IN(i) BP_DERIVATIVE_IN(i)

const bp_named_derivative_t bp_derivatives_shape[] = {
    {BP_OP_WHERE, {IN(0), 0, d_where}},
    {BP_OP_TRIL, {0, 0, d_tril}},
    {BP_OP_TRIU, {0, 0, d_triu}},
    {BP_OP_PAD, {0, 0, d_pad}},
    {BP_OP_CAT, {0, 0, d_cat}},
    {BP_OP_STACK, {0, 0, d_stack}},
};
const size_t bp_derivatives_shape_count =
    sizeof(bp_derivatives_shape) / sizeof(bp_derivatives_shape[0]);
