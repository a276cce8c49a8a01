/* bp_derivatives_reduce.c - derivative formulas of the reductions and scans
 * not in bp_derivatives.c (sum, mean are there): prod, amax, amin, max, min,
 * var, std, norm, logsumexp, cumsum, cumprod. As PyTorch's
 * derivatives.yaml; each reduced gradient is first brought to keepdim form
 * so that it broadcasts against the input. */
#include <math.h>
#include <string.h>

#include "bp_derivatives_util.h"

static int64_t reduced_count(const bp_grad_tensor_meta_t *m, uint64_t mask) {
  int64_t n = 1;
  for (int32_t i = 0; i < m->ndim; ++i)
    if ((mask >> i) & 1) n *= m->shape[i];
  return n;
}

/* Reduced dims of a mask as a list for bp_sum & co. */
static uint32_t dims_of(uint64_t mask, int32_t ndim, int64_t *dims) {
  uint32_t n = 0;
  for (int32_t i = 0; i < ndim; ++i)
    if ((mask >> i) & 1) dims[n++] = i;
  return n;
}

/* sum of t over the dims of mask, kept as size 1. */
static bp_status_t sum_keep(bp_tensor_t *t, uint64_t mask, bp_tensor_t **out) {
  int64_t dims[BP_MAX_DIMS];
  uint32_t n = dims_of(mask, t->ndim, dims);
  if (!n) return bp_tensor_contiguous(t, out);
  return bp_sum(t, n, dims, 1, out);
}

/* The keepdim form of output 0 (saved) and of g[0]. */
typedef struct reduced {
  const bp_grad_tensor_meta_t *in;
  uint64_t mask;
  bp_tensor_t *g, *y; /* keepdim forms (owned); y NULL when not saved */
} reduced_t;

static bp_status_t reduced_init(const bp_grad_ctx_t *c, bp_tensor_t *g, const bp_attr_t *dim,
                                bool keepdim, reduced_t *r) {
  memset(r, 0, sizeof(*r));
  r->in = &c->node->in_meta[0];
  r->mask = bp_dv_dim_mask(dim, r->in->ndim);
  bp_status_t s = bp_dv_keepdim(g, r->in, r->mask, keepdim, &r->g);
  if (!s && c->out[0]) s = bp_dv_keepdim(c->out[0], r->in, r->mask, keepdim, &r->y);
  return s;
}

static void reduced_free(reduced_t *r) { BP_DV_RELEASE(r->g, r->y); }

/* prod: prod of the others. Without zeros g * y / x; with one zero in a
 * reduction only the zero gets g * (product of the non-zeros); with two or
 * more, all zero. Computed for all three cases and selected, so that
 * zeros are right without reading data back. */
static bp_status_t d_prod(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!c->needs[0]) return BP_STATUS_OK;
  reduced_t r;
  bp_tensor_t *x = c->in[0], *zeros = NULL, *nz = NULL, *one = NULL, *x1 = NULL, *pnz = NULL;
  bp_tensor_t *gp = NULL, *case0 = NULL, *case1 = NULL, *is0 = NULL, *is1 = NULL, *inner = NULL;
  int64_t dims[BP_MAX_DIMS];
  bp_status_t s = reduced_init(c, g[0], &c->attrs[0], c->attrs[1].value.b, &r);
  uint32_t nd = dims_of(r.mask, r.in->ndim, dims);
  if (!s) s = bp_dv_cmp_scalar(bp_eq, x, 0.0, &zeros);
  if (!s) s = sum_keep(zeros, r.mask, &nz);
  if (!s) s = bp_tensor_create_scalar(1.0, &one);
  if (!s) s = bp_where(zeros, one, x, &x1);
  if (!s) s = nd ? bp_prod(x1, nd, dims, 1, &pnz) : bp_tensor_contiguous(x1, &pnz);
  if (!s) s = bp_mul(r.g, pnz, &gp);
  if (!s) s = bp_div(gp, x1, &case0);
  if (!s) s = bp_dv_mask(zeros, gp, &case1);
  if (!s) s = bp_dv_cmp_scalar(bp_eq, nz, 0.0, &is0);
  if (!s) s = bp_dv_cmp_scalar(bp_eq, nz, 1.0, &is1);
  if (!s) s = bp_dv_mask(is1, case1, &inner);
  if (!s) s = bp_where(is0, case0, inner, &gi[0]);
  BP_DV_RELEASE(zeros, nz, one, x1, pnz, gp, case0, case1);
  BP_DV_RELEASE(is0, is1, inner);
  reduced_free(&r);
  return s;
}

/* amax / amin: the gradient is shared evenly by the elements equal to the
 * result: g / count * (x == y) (a multiplication, as torch: a NaN result
 * gives NaN gradients). */
static bp_status_t d_amax(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!c->needs[0]) return BP_STATUS_OK;
  reduced_t r;
  bp_tensor_t *eq = NULL, *count = NULL, *share = NULL;
  bp_status_t s = reduced_init(c, g[0], &c->attrs[0], c->attrs[1].value.b, &r);
  if (!s) s = bp_eq(c->in[0], r.y, &eq);
  if (!s) s = sum_keep(eq, r.mask, &count);
  if (!s) s = bp_div(r.g, count, &share);
  if (!s) s = bp_mul(share, eq, &gi[0]);
  BP_DV_RELEASE(eq, count, share);
  reduced_free(&r);
  return s;
}

/* max / min along dim (values, indices): g goes to the element the index
 * names. */
static bp_status_t d_max(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!c->needs[0] || !g[0]) return BP_STATUS_OK;
  const bp_grad_tensor_meta_t *in = &c->node->in_meta[0];
  if (in->ndim == 0) {
    gi[0] = bp_tensor_retain(g[0]);
    return BP_STATUS_OK;
  }
  uint64_t mask = bp_dv_dim_mask(&c->attrs[0], in->ndim);
  int32_t d = 0;
  while (d < in->ndim && !((mask >> d) & 1)) ++d;
  bool keepdim = c->attrs[1].value.b;
  int64_t shape[BP_MAX_DIMS];
  for (int32_t i = 0; i < in->ndim; ++i) shape[i] = i == d ? in->shape[d] : 1;
  bp_tensor_t *gk = NULL, *ik = NULL, *ar = NULL, *arv = NULL, *hit = NULL;
  bp_status_t s = bp_dv_keepdim(g[0], in, mask, keepdim, &gk);
  if (!s) s = bp_dv_keepdim(c->out[1], in, mask, keepdim, &ik);
  if (!s) s = bp_arange(in->device, 0.0, (double)in->shape[d], 1.0, BP_DTYPE_I64, &ar);
  if (!s) s = bp_tensor_reshape(ar, in->ndim, shape, &arv);
  if (!s) s = bp_eq(arv, ik, &hit);
  if (!s) s = bp_dv_mask(hit, gk, &gi[0]);
  BP_DV_RELEASE(gk, ik, ar, arv, hit);
  return s;
}

/* var: g * 2 (x - mean) / (N - correction). std: the same of g / (2 y),
 * with 0 where y is 0 (torch). */
static bp_status_t var_grad(const bp_grad_ctx_t *c, bp_tensor_t *gk, uint64_t mask,
                            bp_tensor_t **out) {
  const bp_grad_tensor_meta_t *in = &c->node->in_meta[0];
  int64_t dims[BP_MAX_DIMS];
  uint32_t nd = dims_of(mask, in->ndim, dims);
  double n = (double)reduced_count(in, mask) - (double)c->attrs[1].value.i;
  bp_tensor_t *mean = NULL, *dev = NULL, *t = NULL;
  bp_status_t s = nd ? bp_mean(c->in[0], nd, dims, 1, &mean) : bp_tensor_contiguous(c->in[0], &mean);
  if (!s) s = bp_sub(c->in[0], mean, &dev);
  if (!s) s = bp_mul(gk, dev, &t);
  if (!s) s = bp_dv_scale(t, 2.0 / n, out);
  BP_DV_RELEASE(mean, dev, t);
  return s;
}

static bp_status_t d_var(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!c->needs[0]) return BP_STATUS_OK;
  reduced_t r;
  bp_status_t s = reduced_init(c, g[0], &c->attrs[0], c->attrs[2].value.b, &r);
  if (!s) s = var_grad(c, r.g, r.mask, &gi[0]);
  reduced_free(&r);
  return s;
}

static bp_status_t d_std(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!c->needs[0]) return BP_STATUS_OK;
  reduced_t r;
  bp_tensor_t *y2 = NULL, *q = NULL, *nz = NULL, *gv = NULL;
  bp_status_t s = reduced_init(c, g[0], &c->attrs[0], c->attrs[2].value.b, &r);
  if (!s) s = bp_dv_scale(r.y, 2.0, &y2);
  if (!s) s = bp_div(r.g, y2, &q);
  if (!s) s = bp_dv_cmp_scalar(bp_ne, r.y, 0.0, &nz);
  if (!s) s = bp_dv_mask(nz, q, &gv);
  if (!s) s = var_grad(c, gv, r.mask, &gi[0]);
  BP_DV_RELEASE(y2, q, nz, gv);
  reduced_free(&r);
  return s;
}

/* norm (vector norm of order p), as torch's norm_backward: p = 0 zero;
 * p = 1 sign(x) g; p = +-inf g shared evenly by the elements with |x| = y,
 * times sign(x); else sign(x) |x|^(p-1) g / y^(p-1), with 0 where y = 0. */
static bp_status_t d_norm(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!c->needs[0]) return BP_STATUS_OK;
  double p = c->attrs[0].value.f;
  if (p == 0.0) return bp_dv_zeros(&c->node->in_meta[0], &gi[0]);
  reduced_t r;
  bp_tensor_t *x = c->in[0], *sg = NULL, *ax = NULL, *a = NULL, *b = NULL, *q = NULL, *k = NULL;
  bp_status_t s = reduced_init(c, g[0], &c->attrs[1], c->attrs[2].value.b, &r);
  if (!s) s = bp_sign(x, &sg);
  if (!s && p == 1.0) {
    s = bp_mul(sg, r.g, &gi[0]);
  } else if (!s && isinf(p)) {
    if (!s) s = bp_abs(x, &ax);
    if (!s) s = bp_eq(ax, r.y, &a); /* the elements at the norm */
    if (!s) s = sum_keep(a, r.mask, &b);
    if (!s) s = bp_div(r.g, b, &q);
    if (!s) s = bp_dv_mul3(sg, a, q, &gi[0]);
  } else if (!s) {
    s = bp_abs(x, &ax);
    if (!s) s = bp_tensor_create_scalar(p - 1.0, &k);
    if (!s) s = bp_pow(ax, k, &a);       /* |x|^(p-1) */
    if (!s) s = bp_pow(r.y, k, &b);      /* y^(p-1) */
    bp_tensor_t *scaled = NULL, *nz = NULL, *qm = NULL;
    if (!s) s = bp_div(r.g, b, &q);
    if (!s) s = bp_dv_cmp_scalar(bp_ne, r.y, 0.0, &nz);
    if (!s) s = bp_dv_mask(nz, q, &qm);
    if (!s) s = bp_mul(sg, a, &scaled);
    if (!s) s = bp_mul(scaled, qm, &gi[0]);
    BP_DV_RELEASE(scaled, nz, qm);
  }
  BP_DV_RELEASE(sg, ax, a, b, q, k);
  reduced_free(&r);
  return s;
}

/* logsumexp: g * exp(x - y). */
static bp_status_t d_logsumexp(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!c->needs[0]) return BP_STATUS_OK;
  reduced_t r;
  bp_tensor_t *d = NULL, *e = NULL;
  bp_status_t s = reduced_init(c, g[0], &c->attrs[0], c->attrs[1].value.b, &r);
  if (!s) s = bp_sub(c->in[0], r.y, &d);
  if (!s) s = bp_exp(d, &e);
  if (!s) s = bp_mul(r.g, e, &gi[0]);
  BP_DV_RELEASE(d, e);
  reduced_free(&r);
  return s;
}

/* t reversed along dim d (index_select with n-1 .. 0). */
static bp_status_t flip(bp_tensor_t *t, int32_t d, bp_tensor_t **out) {
  bp_tensor_t *idx = NULL;
  int64_t n = t->shape[d];
  bp_status_t s = bp_arange(t->storage->device, (double)(n - 1), -1.0, -1.0, BP_DTYPE_I64, &idx);
  if (!s) s = bp_index_select(t, d, idx, out);
  bp_tensor_release(idx);
  return s;
}

/* The sum of t[k] for k >= i along dim d: flip, cumsum, flip (exact, no
 * cancellation). */
static bp_status_t reverse_cumsum(bp_tensor_t *t, int32_t d, bp_tensor_t **out) {
  bp_tensor_t *f = NULL, *cs = NULL;
  bp_status_t s = flip(t, d, &f);
  if (!s) s = bp_cumsum(f, d, &cs);
  if (!s) s = flip(cs, d, out);
  BP_DV_RELEASE(f, cs);
  return s;
}

static int32_t scan_dim(const bp_grad_ctx_t *c) {
  int32_t ndim = c->node->in_meta[0].ndim;
  int64_t d = c->attrs[0].value.i;
  if (ndim == 0) return -1;
  return (int32_t)(d < 0 ? d + ndim : d);
}

/* cumsum: the reverse cumulative sum of g. */
static bp_status_t d_cumsum(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!c->needs[0]) return BP_STATUS_OK;
  int32_t d = scan_dim(c);
  if (d < 0 || g[0]->numel == 0) {
    gi[0] = bp_tensor_retain(g[0]);
    return BP_STATUS_OK;
  }
  return reverse_cumsum(g[0], d, &gi[0]);
}

/* Is any element of x zero? (reads one bool back) */
static bp_status_t has_zero(bp_tensor_t *x, bool *out) {
  bp_tensor_t *z = NULL, *any = NULL;
  bool v = false;
  bp_status_t s = bp_dv_cmp_scalar(bp_eq, x, 0.0, &z);
  if (!s) s = bp_any(z, 0, NULL, 0, &any);
  if (!s) s = bp_tensor_copy_to_host(any, &v, sizeof(v));
  BP_DV_RELEASE(z, any);
  *out = v;
  return s;
}

/* cumprod with zeros: dx_i = sum_{k >= i} g_k prod_{j <= k, j != i} x_j,
 * computed over an [.., n, n] tensor: row i is x with x_i replaced by 1,
 * scanned by cumprod, times g, kept for k >= i and summed. O(n^2) memory
 * along the scanned dim; used only when x has a zero. */
static bp_status_t cumprod_with_zeros(bp_tensor_t *x, bp_tensor_t *g, int32_t d, bp_tensor_t **out) {
  int64_t n = x->shape[d];
  bp_tensor_t *xt = NULL, *gt = NULL, *xr = NULL, *gr = NULL, *ar = NULL, *ai = NULL, *ak = NULL;
  bp_tensor_t *eye = NULL, *upper = NULL, *one = NULL, *rows = NULL, *pr = NULL, *t = NULL;
  bp_tensor_t *tm = NULL, *sum = NULL;
  int64_t last = -1;
  bp_status_t s = bp_tensor_transpose(x, d, -1, &xt); /* [..., n] */
  if (!s) s = bp_tensor_transpose(g, d, -1, &gt);
  if (!s) s = bp_tensor_unsqueeze(xt, -2, &xr); /* [..., 1, n(j)] */
  if (!s) s = bp_tensor_unsqueeze(gt, -2, &gr);
  if (!s) s = bp_arange(x->storage->device, 0.0, (double)n, 1.0, BP_DTYPE_I64, &ar);
  if (!s) s = bp_tensor_reshape(ar, 2, (int64_t[]){n, 1}, &ai);
  if (!s) s = bp_tensor_reshape(ar, 2, (int64_t[]){1, n}, &ak);
  if (!s) s = bp_eq(ai, ak, &eye);   /* [n(i), n(j)] */
  if (!s) s = bp_ge(ak, ai, &upper); /* k >= i */
  if (!s) s = bp_tensor_create_scalar(1.0, &one);
  if (!s) s = bp_where(eye, one, xr, &rows); /* [..., n(i), n(j)] */
  if (!s) s = bp_cumprod(rows, -1, &pr);
  if (!s) s = bp_mul(pr, gr, &t);
  if (!s) s = bp_dv_mask(upper, t, &tm);
  if (!s) s = bp_sum(tm, 1, &last, 0, &sum); /* [..., n(i)] */
  if (!s) s = bp_tensor_transpose(sum, d, -1, out);
  BP_DV_RELEASE(xt, gt, xr, gr, ar, ai, ak, eye);
  BP_DV_RELEASE(upper, one, rows, pr, t, tm, sum);
  return s;
}

/* cumprod: without zeros, reverse_cumsum(g * y) / x; with zeros the exact
 * sum above (as torch, which also special-cases zeros). */
static bp_status_t d_cumprod(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!c->needs[0]) return BP_STATUS_OK;
  int32_t d = scan_dim(c);
  bp_tensor_t *x = c->in[0];
  if (d < 0 || g[0]->numel == 0) {
    gi[0] = bp_tensor_retain(g[0]);
    return BP_STATUS_OK;
  }
  bool zero = false;
  bp_status_t s = has_zero(x, &zero);
  if (s) return s;
  if (zero) return cumprod_with_zeros(x, g[0], d, &gi[0]);
  bp_tensor_t *gy = NULL, *rc = NULL;
  s = bp_mul(g[0], c->out[0], &gy);
  if (!s) s = reverse_cumsum(gy, d, &rc);
  if (!s) s = bp_div(rc, x, &gi[0]);
  BP_DV_RELEASE(gy, rc);
  return s;
}

#define IN(i) BP_DERIVATIVE_IN(i)
#define OUT(k) BP_DERIVATIVE_OUT(k)

const bp_named_derivative_t bp_derivatives_reduce[] = {
    {BP_OP_PROD, {IN(0), 0, d_prod}},
    {BP_OP_AMAX, {IN(0), OUT(0), d_amax}},
    {BP_OP_AMIN, {IN(0), OUT(0), d_amax}},
    {BP_OP_MAX, {0, OUT(1), d_max}},
    {BP_OP_MIN, {0, OUT(1), d_max}},
    {BP_OP_VAR, {IN(0), 0, d_var}},
    {BP_OP_STD, {IN(0), OUT(0), d_std}},
    {BP_OP_NORM, {IN(0), OUT(0), d_norm}},
    {BP_OP_LOGSUMEXP, {IN(0), OUT(0), d_logsumexp}},
    {BP_OP_CUMSUM, {0, 0, d_cumsum}},
    {BP_OP_CUMPROD, {IN(0), OUT(0), d_cumprod}},
};
const size_t bp_derivatives_reduce_count =
    sizeof(bp_derivatives_reduce) / sizeof(bp_derivatives_reduce[0]);
