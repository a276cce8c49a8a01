/* bp_derivatives_nn.c - derivative formulas of the nn and linalg ops
 * (convolutions, pools, linear, bmm, norms, softmax, embedding, indexing,
 * losses, attention) and of gelu/silu/softplus/elu/leaky_relu. Where a
 * backward kernel exists (family BP_OPS_NN_BACKWARD) the formula calls it;
 * the others compose ordinary ops. Everything runs through the dispatcher,
 * so backward runs on the tensors' device.
 *
 * Optional slots (has_bias, has_weight, ...): when the attr says the slot is
 * a placeholder, its gradient is left NULL (the placeholder may be another
 * input, e.g. linear's bias slot holding the weight). */
#include <math.h>
#include <string.h>

#include "bp_autograd.h"
#include "bp_op_util.h"

/* ---- scratch: temporaries released together ---- */

typedef struct scratch {
  bp_tensor_t *t[48];
  int n;
} scratch_t;

/* Keeps *slot for release at the end; returns the tensor. */
static bp_tensor_t *keep(scratch_t *s, bp_tensor_t *t) {
  if (t && s->n < (int)(sizeof(s->t) / sizeof(s->t[0]))) s->t[s->n++] = t;
  return t;
}
static void scratch_free(scratch_t *s) {
  for (int i = 0; i < s->n; ++i) bp_tensor_release(s->t[i]);
  s->n = 0;
}

/* A new tensor in *out kept by s. Usage: TRY(bp_mul(a, b, NEW(&x))) */
#define NEW(pp) (*(pp) = NULL, (pp))
#define TRY(expr)                \
  do {                           \
    if ((st = (expr))) goto done; \
  } while (0)
#define K(x) keep(&sc, (x))

static bp_status_t scalar(double v, bp_tensor_t **out) { return bp_tensor_create_scalar(v, out); }

/* x * v */
static bp_status_t scale(bp_tensor_t *x, double v, bp_tensor_t **out) {
  bp_tensor_t *k = NULL;
  bp_status_t st = scalar(v, &k);
  if (!st) st = bp_mul(x, k, out);
  bp_tensor_release(k);
  return st;
}

/* A zero tensor shaped like meta. */
static bp_status_t zeros_meta(const bp_grad_tensor_meta_t *m, bp_tensor_t **out) {
  bp_status_t st = bp_tensor_create(m->device, m->dtype, m->ndim, m->shape, out);
  if (!st && (st = bp_fill(*out, 0.0))) {
    bp_tensor_release(*out);
    *out = NULL;
  }
  return st;
}

static int64_t numel_of(int32_t ndim, const int64_t *shape) {
  int64_t n = 1;
  for (int32_t i = 0; i < ndim; ++i) n *= shape[i];
  return n;
}

/* Runs a backward op with its defaults changed by `set` (attrs in catalog order). */
static bp_status_t run_op(uint32_t op, uint32_t nin, bp_tensor_t *const *in, const bp_attr_t *attrs,
                          uint32_t nout, bp_tensor_t **out) {
  return bp_dispatch(op, nin, in, attrs, nout, out);
}

static void defaults(uint32_t op, bp_attr_t *a) { bp_op_default_attrs(bp_op_def(op), a); }

static bp_attr_t attr_ints(const int64_t *v, uint32_t n) {
  bp_attr_t a;
  memset(&a, 0, sizeof(a));
  a.type = BP_ATTR_INTS;
  a.count = n;
  a.value.ints = v;
  return a;
}

/* ---- linear, bmm ---- */

static bp_status_t d_linear(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  bp_tensor_t *x = c->in[0], *w = c->in[1], *t = NULL, *x2 = NULL, *g2 = NULL;
  bp_status_t st = BP_STATUS_OK;
  scratch_t sc = {.n = 0};
  if (c->needs[0]) TRY(bp_matmul(g[0], w, &gi[0]));
  if (c->needs[1]) {
    int64_t in_f = w->shape[1], out_f = w->shape[0];
    int64_t m = numel_of(x->ndim - 1, x->shape);
    TRY(bp_tensor_reshape(x, 2, (int64_t[]){m, in_f}, NEW(&x2)));
    K(x2);
    TRY(bp_tensor_reshape(g[0], 2, (int64_t[]){m, out_f}, NEW(&g2)));
    K(g2);
    TRY(bp_tensor_transpose(g2, 0, 1, NEW(&t)));
    K(t);
    TRY(bp_matmul(t, x2, &gi[1]));
  }
  if (c->needs[2] && c->attrs[0].value.b) gi[2] = bp_tensor_retain(g[0]);
done:
  scratch_free(&sc);
  return st;
}

static bp_status_t d_bmm(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  bp_tensor_t *t = NULL;
  bp_status_t st = BP_STATUS_OK;
  scratch_t sc = {.n = 0};
  if (c->needs[0]) {
    TRY(bp_tensor_transpose(c->in[1], 1, 2, NEW(&t)));
    K(t);
    TRY(bp_bmm(g[0], t, &gi[0]));
  }
  if (c->needs[1]) {
    TRY(bp_tensor_transpose(c->in[0], 1, 2, NEW(&t)));
    K(t);
    TRY(bp_bmm(t, g[0], &gi[1]));
  }
done:
  scratch_free(&sc);
  return st;
}

/* ---- convolutions ---- */

/* conv2d_backward with conv attrs (stride, padding, dilation as given,
 * groups, padding_same); out[3] = grad_input, grad_weight, grad_bias. */
static bp_status_t conv2d_bw(bp_tensor_t *g, bp_tensor_t *x, bp_tensor_t *w, bp_attr_t stride,
                             bp_attr_t pad, bp_attr_t dil, int64_t groups, bool same,
                             bp_tensor_t **out) {
  bp_attr_t a[BP_MAX_ATTRS];
  defaults(BP_OP_CONV2D_BACKWARD, a);
  a[0] = stride;
  a[1] = pad;
  a[2] = dil;
  a[3].value.i = groups;
  a[4].value.b = same;
  bp_tensor_t *in[3] = {g, x, w};
  return run_op(BP_OP_CONV2D_BACKWARD, 3, in, a, 3, out);
}

static bp_status_t d_conv2d(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!g[0]) return BP_STATUS_OK;
  bp_tensor_t *r[3] = {NULL, NULL, NULL};
  bp_status_t st = conv2d_bw(g[0], c->in[0], c->in[1], c->attrs[0], c->attrs[1], c->attrs[2],
                             c->attrs[3].value.i, c->attrs[4].value.b, r);
  if (st) return st;
  if (c->needs[0]) gi[0] = bp_tensor_retain(r[0]);
  if (c->needs[1]) gi[1] = bp_tensor_retain(r[1]);
  if (c->needs[2] && c->attrs[5].value.b) gi[2] = bp_tensor_retain(r[2]);
  for (int i = 0; i < 3; ++i) bp_tensor_release(r[i]);
  return BP_STATUS_OK;
}

/* conv1d as a conv2d of height 1: [N, C, L] -> [N, C, 1, L]. */
static bp_status_t d_conv1d(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!g[0]) return BP_STATUS_OK;
  bp_tensor_t *x = NULL, *w = NULL, *gg = NULL, *r[3] = {NULL, NULL, NULL};
  bp_status_t st = BP_STATUS_OK;
  scratch_t sc = {.n = 0};
  int64_t v[3][2];
  const int64_t defs[3] = {1, 0, 1};
  bp_attr_t a[3];
  for (int i = 0; i < 3; ++i) {
    const bp_attr_t *src = &c->attrs[i];
    v[i][0] = defs[i];
    v[i][1] = src->count ? src->value.ints[0] : defs[i];
    a[i] = attr_ints(v[i], 2);
  }
  TRY(bp_tensor_unsqueeze(c->in[0], -2, NEW(&x)));
  K(x);
  TRY(bp_tensor_unsqueeze(c->in[1], 2, NEW(&w)));
  K(w);
  TRY(bp_tensor_unsqueeze(g[0], -2, NEW(&gg)));
  K(gg);
  TRY(conv2d_bw(gg, x, w, a[0], a[1], a[2], c->attrs[3].value.i, c->attrs[4].value.b, r));
  for (int i = 0; i < 3; ++i) K(r[i]);
  if (c->needs[0]) TRY(bp_tensor_squeeze_dims(r[0], 1, (int64_t[]){-2}, &gi[0]));
  if (c->needs[1]) TRY(bp_tensor_squeeze_dims(r[1], 1, (int64_t[]){2}, &gi[1]));
  if (c->needs[2] && c->attrs[5].value.b) gi[2] = bp_tensor_retain(r[2]);
done:
  scratch_free(&sc);
  return st;
}

/* conv_transpose2d is the adjoint of conv2d in x: its x gradient is a conv2d
 * of g, its weight gradient conv2d's weight gradient with the roles of x
 * and grad_output exchanged. */
static bp_status_t d_conv_transpose2d(const bp_grad_ctx_t *c, bp_tensor_t *const *g,
                                      bp_tensor_t **gi) {
  if (!g[0]) return BP_STATUS_OK;
  const bp_attr_t *at = c->attrs; /* stride, padding, output_padding, groups, dilation, has_bias */
  bp_status_t st = BP_STATUS_OK;
  scratch_t sc = {.n = 0};
  bp_tensor_t *r[3] = {NULL, NULL, NULL};
  if (c->needs[0]) {
    bp_attr_t a[BP_MAX_ATTRS];
    defaults(BP_OP_CONV2D, a);
    a[0] = at[0];
    a[1] = at[1];
    a[2] = at[4];
    a[3].value.i = at[3].value.i;
    a[5].value.b = false;
    bp_tensor_t *in[3] = {g[0], c->in[1], c->in[1]};
    TRY(run_op(BP_OP_CONV2D, 3, in, a, 1, &gi[0]));
  }
  if (c->needs[1]) {
    TRY(conv2d_bw(c->in[0], g[0], c->in[1], at[0], at[1], at[4], at[3].value.i, false, r));
    for (int i = 0; i < 3; ++i) K(r[i]);
    gi[1] = bp_tensor_retain(r[1]);
  }
  if (c->needs[2] && at[5].value.b) {
    int32_t nd = c->node->out_meta[0].ndim;
    int64_t dims[3] = {0, nd - 2, nd - 1};
    if (nd == 3) TRY(bp_sum(g[0], 2, dims + 1, 0, &gi[2]));
    else TRY(bp_sum(g[0], 3, dims, 0, &gi[2]));
  }
done:
  scratch_free(&sc);
  return st;
}

/* ---- pools ---- */

static bp_status_t d_max_pool2d(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!g[0] || !c->needs[0]) return BP_STATUS_OK;
  bp_tensor_t *in[3] = {g[0], c->in[0], c->out[1]};
  return run_op(BP_OP_MAX_POOL2D_BACKWARD, 3, in, c->attrs, 1, &gi[0]);
}

static bp_status_t d_avg_pool2d(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!g[0] || !c->needs[0]) return BP_STATUS_OK;
  bp_tensor_t *in[2] = {g[0], c->in[0]};
  return run_op(BP_OP_AVG_POOL2D_BACKWARD, 2, in, c->attrs, 1, &gi[0]);
}

static bp_status_t d_adaptive_avg_pool2d(const bp_grad_ctx_t *c, bp_tensor_t *const *g,
                                         bp_tensor_t **gi) {
  if (!g[0] || !c->needs[0]) return BP_STATUS_OK;
  bp_tensor_t *in[2] = {g[0], c->in[0]};
  return run_op(BP_OP_ADAPTIVE_AVG_POOL2D_BACKWARD, 2, in, NULL, 1, &gi[0]);
}

/* ---- norms ---- */

/* Hands the three results of a norm backward to x, weight, bias. */
static void take3(const bp_grad_ctx_t *c, bp_tensor_t **r, bool has_w, bool has_b,
                  bp_tensor_t **gi) {
  if (c->needs[0]) gi[0] = bp_tensor_retain(r[0]);
  if (c->needs[1] && has_w) gi[1] = bp_tensor_retain(r[1]);
  if (c->needs[2] && has_b) gi[2] = bp_tensor_retain(r[2]);
  for (int i = 0; i < 3; ++i) bp_tensor_release(r[i]);
}

static bp_status_t d_batch_norm(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!g[0]) return BP_STATUS_OK;
  bp_attr_t a[BP_MAX_ATTRS];
  defaults(BP_OP_BATCH_NORM_BACKWARD, a);
  a[0].value.b = c->attrs[0].value.b;
  a[1].value.b = c->attrs[3].value.b;
  bp_tensor_t *in[5] = {g[0], c->in[0], c->in[1], c->out[1], c->out[2]};
  bp_tensor_t *r[3] = {NULL, NULL, NULL};
  bp_status_t st = run_op(BP_OP_BATCH_NORM_BACKWARD, 5, in, a, 3, r);
  if (!st) take3(c, r, c->attrs[3].value.b, c->attrs[4].value.b, gi);
  return st;
}

static bp_status_t d_layer_norm(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!g[0]) return BP_STATUS_OK;
  bp_attr_t a[BP_MAX_ATTRS];
  defaults(BP_OP_LAYER_NORM_BACKWARD, a);
  a[0] = c->attrs[0];
  a[1].value.b = c->attrs[2].value.b;
  bp_tensor_t *in[5] = {g[0], c->in[0], c->out[1], c->out[2], c->in[1]};
  bp_tensor_t *r[3] = {NULL, NULL, NULL};
  bp_status_t st = run_op(BP_OP_LAYER_NORM_BACKWARD, 5, in, a, 3, r);
  if (!st) take3(c, r, c->attrs[2].value.b, c->attrs[3].value.b, gi);
  return st;
}

static bp_status_t d_group_norm(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!g[0]) return BP_STATUS_OK;
  bp_attr_t a[BP_MAX_ATTRS];
  defaults(BP_OP_GROUP_NORM_BACKWARD, a);
  a[0].value.i = c->attrs[0].value.i;
  a[1].value.b = c->attrs[2].value.b;
  bp_tensor_t *in[5] = {g[0], c->in[0], c->out[1], c->out[2], c->in[1]};
  bp_tensor_t *r[3] = {NULL, NULL, NULL};
  bp_status_t st = run_op(BP_OP_GROUP_NORM_BACKWARD, 5, in, a, 3, r);
  if (!st) take3(c, r, c->attrs[2].value.b, c->attrs[3].value.b, gi);
  return st;
}

/* rms_norm: y = x * rstd * w. With xhat = x * rstd and d = g * w:
 * gx = rstd * (d - xhat * mean(d * xhat)), gw = g * xhat (summed down). */
static bp_status_t d_rms_norm(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!g[0]) return BP_STATUS_OK;
  bool has_w = c->attrs[3].value.b;
  bp_tensor_t *x = c->in[0], *rstd = c->out[1], *xhat = NULL, *d = NULL, *dx = NULL, *m = NULL,
              *xm = NULL, *diff = NULL;
  bp_status_t st = BP_STATUS_OK;
  scratch_t sc = {.n = 0};
  TRY(bp_mul(x, rstd, NEW(&xhat)));
  K(xhat);
  if (c->needs[1] && has_w) TRY(bp_mul(g[0], xhat, &gi[1]));
  if (c->needs[0]) {
    if (has_w) {
      TRY(bp_mul(g[0], c->in[1], NEW(&d)));
      K(d);
    } else {
      d = g[0];
    }
    int32_t k = (int32_t)c->attrs[0].count;
    int64_t dims[BP_MAX_DIMS];
    for (int32_t i = 0; i < k; ++i) dims[i] = x->ndim - k + i;
    TRY(bp_mul(d, xhat, NEW(&dx)));
    K(dx);
    TRY(bp_mean(dx, (uint32_t)k, dims, 1, NEW(&m)));
    K(m);
    TRY(bp_mul(xhat, m, NEW(&xm)));
    K(xm);
    TRY(bp_sub(d, xm, NEW(&diff)));
    K(diff);
    TRY(bp_mul(diff, rstd, &gi[0]));
  }
done:
  scratch_free(&sc);
  return st;
}

/* ---- softmax, log_softmax, gelu and friends ---- */

static bp_status_t softmax_like_bw(uint32_t op, bp_tensor_t *g, bp_tensor_t *y, int64_t dim,
                                   bp_tensor_t **out) {
  bp_attr_t a[BP_MAX_ATTRS];
  defaults(op, a);
  a[0].value.i = dim;
  bp_tensor_t *in[2] = {g, y};
  return run_op(op, 2, in, a, 1, out);
}

static bp_status_t d_softmax(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!g[0] || !c->needs[0]) return BP_STATUS_OK;
  return softmax_like_bw(BP_OP_SOFTMAX_BACKWARD, g[0], c->out[0], c->attrs[0].value.i, &gi[0]);
}

static bp_status_t d_log_softmax(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!g[0] || !c->needs[0]) return BP_STATUS_OK;
  return softmax_like_bw(BP_OP_LOG_SOFTMAX_BACKWARD, g[0], c->out[0], c->attrs[0].value.i, &gi[0]);
}

/* gelu_backward takes bf16/f32/f64: f16 computes in f32 (the engine casts back). */
static bp_status_t d_gelu(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!g[0] || !c->needs[0]) return BP_STATUS_OK;
  bp_tensor_t *gg = NULL, *x = NULL;
  bp_status_t st = BP_STATUS_OK;
  scratch_t sc = {.n = 0};
  bool half = c->in[0]->dtype == BP_DTYPE_F16;
  if (half) {
    TRY(bp_tensor_cast(g[0], BP_DTYPE_F32, NEW(&gg)));
    K(gg);
    TRY(bp_tensor_cast(c->in[0], BP_DTYPE_F32, NEW(&x)));
    K(x);
  } else {
    gg = g[0];
    x = c->in[0];
  }
  bp_attr_t a[BP_MAX_ATTRS];
  defaults(BP_OP_GELU_BACKWARD, a);
  a[0].value.i = c->attrs[0].value.i;
  bp_tensor_t *in[2] = {gg, x};
  TRY(run_op(BP_OP_GELU_BACKWARD, 2, in, a, 1, &gi[0]));
done:
  scratch_free(&sc);
  return st;
}

/* silu: sigmoid(x) * (1 + x * (1 - sigmoid(x))). */
static bp_status_t d_silu(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!g[0] || !c->needs[0]) return BP_STATUS_OK;
  bp_tensor_t *s = NULL, *one = NULL, *om = NULL, *xo = NULL, *t = NULL, *d = NULL;
  bp_status_t st = BP_STATUS_OK;
  scratch_t sc = {.n = 0};
  TRY(bp_sigmoid(c->in[0], NEW(&s)));
  K(s);
  TRY(scalar(1.0, NEW(&one)));
  K(one);
  TRY(bp_sub(one, s, NEW(&om)));
  K(om);
  TRY(bp_mul(c->in[0], om, NEW(&xo)));
  K(xo);
  TRY(bp_add(one, xo, NEW(&t)));
  K(t);
  TRY(bp_mul(s, t, NEW(&d)));
  K(d);
  TRY(bp_mul(g[0], d, &gi[0]));
done:
  scratch_free(&sc);
  return st;
}

/* softplus: sigmoid(beta x) where beta x <= threshold, else 1. */
static bp_status_t d_softplus(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!g[0] || !c->needs[0]) return BP_STATUS_OK;
  double beta = c->attrs[0].value.f, threshold = c->attrs[1].value.f;
  bp_tensor_t *bx = NULL, *s = NULL, *th = NULL, *lin = NULL, *one = NULL, *d = NULL;
  bp_status_t st = BP_STATUS_OK;
  scratch_t sc = {.n = 0};
  TRY(scale(c->in[0], beta, NEW(&bx)));
  K(bx);
  TRY(bp_sigmoid(bx, NEW(&s)));
  K(s);
  TRY(scalar(threshold, NEW(&th)));
  K(th);
  TRY(bp_gt(bx, th, NEW(&lin)));
  K(lin);
  TRY(scalar(1.0, NEW(&one)));
  K(one);
  TRY(bp_where(lin, one, s, NEW(&d)));
  K(d);
  TRY(bp_mul(g[0], d, &gi[0]));
done:
  scratch_free(&sc);
  return st;
}

/* elu: 1 for x > 0, else out + alpha (= alpha e^x). */
static bp_status_t d_elu(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!g[0] || !c->needs[0]) return BP_STATUS_OK;
  bp_tensor_t *zero = NULL, *pos = NULL, *neg = NULL, *al = NULL, *one = NULL, *d = NULL;
  bp_status_t st = BP_STATUS_OK;
  scratch_t sc = {.n = 0};
  TRY(scalar(0.0, NEW(&zero)));
  K(zero);
  TRY(bp_gt(c->in[0], zero, NEW(&pos)));
  K(pos);
  TRY(scalar(c->attrs[0].value.f, NEW(&al)));
  K(al);
  TRY(bp_add(c->out[0], al, NEW(&neg)));
  K(neg);
  TRY(scalar(1.0, NEW(&one)));
  K(one);
  TRY(bp_where(pos, one, neg, NEW(&d)));
  K(d);
  TRY(bp_mul(g[0], d, &gi[0]));
done:
  scratch_free(&sc);
  return st;
}

/* leaky_relu: 1 for x > 0, else negative_slope. */
static bp_status_t d_leaky_relu(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!g[0] || !c->needs[0]) return BP_STATUS_OK;
  bp_tensor_t *zero = NULL, *pos = NULL, *sl = NULL, *one = NULL, *d = NULL;
  bp_status_t st = BP_STATUS_OK;
  scratch_t sc = {.n = 0};
  TRY(scalar(0.0, NEW(&zero)));
  K(zero);
  TRY(bp_gt(c->in[0], zero, NEW(&pos)));
  K(pos);
  TRY(scalar(c->attrs[0].value.f, NEW(&sl)));
  K(sl);
  TRY(scalar(1.0, NEW(&one)));
  K(one);
  TRY(bp_where(pos, one, sl, NEW(&d)));
  K(d);
  TRY(bp_mul(g[0], d, &gi[0]));
done:
  scratch_free(&sc);
  return st;
}

/* ---- embedding and indexing ---- */

static bp_status_t d_embedding(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!g[0] || !c->needs[0]) return BP_STATUS_OK;
  bp_attr_t a[BP_MAX_ATTRS];
  defaults(BP_OP_EMBEDDING_BACKWARD, a);
  a[0].value.i = c->node->in_meta[0].shape[0];
  a[1].value.i = c->attrs[0].value.i;
  a[2].value.b = c->attrs[1].value.b;
  bp_tensor_t *in[2] = {g[0], c->in[1]};
  return run_op(BP_OP_EMBEDDING_BACKWARD, 2, in, a, 1, &gi[0]);
}

/* gather: the gradient scattered back (added) where it was read. */
static bp_status_t d_gather(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!g[0] || !c->needs[0]) return BP_STATUS_OK;
  bp_tensor_t *z = NULL;
  bp_status_t st = zeros_meta(&c->node->in_meta[0], &z);
  if (!st) st = bp_scatter_add(z, c->attrs[0].value.i, c->in[1], g[0], &gi[0]);
  bp_tensor_release(z);
  return st;
}

/* scatter_add: self gets g; src gets g read at the index (zero where src
 * reaches past the index's extent). */
static bp_status_t d_scatter_add(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!g[0]) return BP_STATUS_OK;
  bp_status_t st = BP_STATUS_OK;
  scratch_t sc = {.n = 0};
  bp_tensor_t *gathered = NULL, *z = NULL, *view = NULL;
  if (c->needs[0]) gi[0] = bp_tensor_retain(g[0]);
  if (c->needs[2]) {
    const bp_tensor_t *idx = c->in[1];
    const bp_grad_tensor_meta_t *src = &c->node->in_meta[2];
    TRY(bp_gather(g[0], c->attrs[0].value.i, c->in[1], NEW(&gathered)));
    K(gathered);
    if (src->ndim == idx->ndim && !memcmp(src->shape, idx->shape, sizeof(int64_t) * (size_t)idx->ndim)) {
      gi[2] = bp_tensor_retain(gathered);
    } else {
      int64_t strides[BP_MAX_DIMS], s = 1;
      for (int32_t d = src->ndim - 1; d >= 0; --d) {
        strides[d] = s;
        s *= src->shape[d];
      }
      TRY(zeros_meta(src, NEW(&z)));
      K(z);
      TRY(bp_tensor_as_strided(z, idx->ndim, idx->shape, strides, 0, NEW(&view)));
      K(view);
      TRY(bp_copy(view, gathered));
      gi[2] = bp_tensor_retain(z);
    }
  }
done:
  scratch_free(&sc);
  return st;
}

/* index_select: the gradient added back at the selected positions: a
 * scatter_add with the index broadcast along the other dims. */
static bp_status_t d_index_select(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!g[0] || !c->needs[0]) return BP_STATUS_OK;
  const bp_grad_tensor_meta_t *xm = &c->node->in_meta[0];
  int64_t dim = c->attrs[0].value.i; /* as the caller gave it: may be negative */
  if (dim < 0) dim += xm->ndim;
  bp_status_t st = BP_STATUS_OK;
  scratch_t sc = {.n = 0};
  bp_tensor_t *idx = NULL, *shaped = NULL, *ex = NULL, *z = NULL;
  if (xm->ndim == 0) { /* a 0-d x: the one element, selected (or not) */
    TRY(bp_tensor_reshape(g[0], 0, NULL, &gi[0]));
    goto done;
  }
  TRY(bp_tensor_cast(c->in[1], BP_DTYPE_I64, NEW(&idx)));
  K(idx);
  int64_t shape[BP_MAX_DIMS];
  for (int32_t d = 0; d < xm->ndim; ++d) shape[d] = d == dim ? g[0]->shape[d] : 1;
  TRY(bp_tensor_reshape(idx, xm->ndim, shape, NEW(&shaped)));
  K(shaped);
  TRY(bp_tensor_expand(shaped, g[0]->ndim, g[0]->shape, NEW(&ex)));
  K(ex);
  TRY(zeros_meta(xm, NEW(&z)));
  K(z);
  TRY(bp_scatter_add(z, dim, ex, g[0], &gi[0]));
done:
  scratch_free(&sc);
  return st;
}

/* ---- losses ---- */

/* Moves a trailing class dim (one_hot's) to dim 1 when the input has 2+ dims. */
static bp_status_t class_last_to_1(bp_tensor_t *t, int32_t in_ndim, bp_tensor_t **out) {
  if (in_ndim < 2) return bp_tensor_reshape(t, t->ndim, t->shape, out);
  int32_t perm[BP_MAX_DIMS], n = 0;
  perm[n++] = 0;
  perm[n++] = t->ndim - 1;
  for (int32_t d = 1; d < t->ndim - 1; ++d) perm[n++] = d;
  return bp_tensor_permute(t, perm, out);
}

/* g (the loss's gradient: target-shaped, or 0-d when reduced) with a size-1
 * class dim, so it broadcasts over the input. */
static bp_status_t g_per_class(bp_tensor_t *g, int32_t in_ndim, bp_tensor_t **out) {
  if (g->ndim == 0 || in_ndim < 2) return bp_tensor_reshape(g, g->ndim, g->shape, out);
  return bp_tensor_unsqueeze(g, 1, out);
}

/* The class weight [C] shaped to broadcast along the input's class dim. */
static bp_status_t weight_per_class(bp_tensor_t *w, int32_t in_ndim, bp_tensor_t **out) {
  int64_t shape[BP_MAX_DIMS];
  int32_t n = 0;
  if (in_ndim >= 2) shape[n++] = 1;
  shape[n++] = w->shape[0];
  for (int32_t d = 2; d < in_ndim; ++d) shape[n++] = 1;
  return bp_tensor_reshape(w, n, shape, out);
}

/* For class-index targets: mask = target != ignore_index, safe = target with
 * ignored entries 0, wt = (w[target] or 1) * mask (input's dtype), onehot =
 * one_hot(safe) with the class dim where the input has it, in its dtype. */
typedef struct class_terms {
  bp_tensor_t *mask, *wt, *onehot;
} class_terms_t;

static bp_status_t class_terms(const bp_grad_ctx_t *c, int64_t ignore_index, bool has_w,
                               scratch_t *s, class_terms_t *out) {
  const bp_grad_tensor_meta_t *xm = &c->node->in_meta[0];
  bp_tensor_t *t = c->in[1], *ig = NULL, *zi = NULL, *safe = NULL, *oh = NULL, *ohf = NULL,
              *flat = NULL, *sel = NULL, *wsel = NULL, *maskf = NULL;
  int64_t classes = xm->shape[xm->ndim >= 2 ? 1 : 0];
  bp_status_t st;
  if ((st = bp_tensor_create_scalar_int(ignore_index, &ig))) return st;
  keep(s, ig);
  if ((st = bp_ne(t, ig, &out->mask))) return st;
  keep(s, out->mask);
  if ((st = bp_tensor_create_scalar_int(0, &zi))) return st;
  keep(s, zi);
  if ((st = bp_where(out->mask, t, zi, &safe))) return st;
  keep(s, safe);
  if ((st = bp_one_hot(safe, classes, &oh))) return st;
  keep(s, oh);
  if ((st = bp_tensor_cast(oh, xm->dtype, &ohf))) return st;
  keep(s, ohf);
  if ((st = class_last_to_1(ohf, xm->ndim, &out->onehot))) return st;
  keep(s, out->onehot);
  if ((st = bp_tensor_cast(out->mask, xm->dtype, &maskf))) return st;
  keep(s, maskf);
  if (!has_w) {
    out->wt = maskf;
    return BP_STATUS_OK;
  }
  int64_t n = numel_of(t->ndim, t->shape);
  if ((st = bp_tensor_reshape(safe, 1, &n, &flat))) return st;
  keep(s, flat);
  if ((st = bp_index_select(c->in[2], 0, flat, &sel))) return st;
  keep(s, sel);
  if ((st = bp_tensor_reshape(sel, t->ndim, t->shape, &wsel))) return st;
  keep(s, wsel);
  if ((st = bp_mul(wsel, maskf, &out->wt))) return st;
  keep(s, out->wt);
  return BP_STATUS_OK;
}

/* nll_loss: input[n, t_n] gets -w[t_n] * g_n (/ total_weight for the mean);
 * ignored targets get nothing. */
static bp_status_t d_nll_loss(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!g[0] || !c->needs[0]) return BP_STATUS_OK;
  int64_t reduction = c->attrs[0].value.i;
  int32_t in_ndim = c->node->in_meta[0].ndim;
  bp_status_t st = BP_STATUS_OK;
  scratch_t sc = {.n = 0};
  class_terms_t ct;
  bp_tensor_t *coef = NULL, *q = NULL, *zero = NULL, *safe = NULL, *gc = NULL;
  TRY(class_terms(c, c->attrs[1].value.i, c->attrs[2].value.b, &sc, &ct));
  TRY(bp_mul(ct.wt, g[0], NEW(&coef)));
  K(coef);
  TRY(scale(coef, -1.0, NEW(&q)));
  K(q);
  if (reduction == 1) {
    bp_tensor_t *dv = NULL;
    TRY(bp_div(q, c->out[1], NEW(&dv)));
    K(dv);
    /* an all-ignored mean divides 0 by 0: those entries get no gradient */
    TRY(scalar(0.0, NEW(&zero)));
    K(zero);
    TRY(bp_where(ct.mask, dv, zero, NEW(&safe)));
    K(safe);
    q = safe;
  }
  TRY(g_per_class(q, in_ndim, NEW(&gc)));
  K(gc);
  TRY(bp_mul(ct.onehot, gc, &gi[0]));
done:
  scratch_free(&sc);
  return st;
}

/* cross_entropy = nll_loss(log_softmax(input)) (class targets, with label
 * smoothing mixing in the mean over classes) or -sum(w * p * log_softmax)
 * (probability targets). The loss is linear in logp = log_softmax(input):
 * the formula builds d loss / d logp, then log_softmax_backward. */
static bp_status_t d_cross_entropy(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  bool prob_target = bp_dtype_is_float(c->in[1]->dtype);
  if (!g[0] || !(c->needs[0] || (prob_target && c->needs[1]))) return BP_STATUS_OK;
  const bp_grad_tensor_meta_t *xm = &c->node->in_meta[0];
  int64_t reduction = c->attrs[0].value.i, ignore = c->attrs[1].value.i;
  double eps = c->attrs[2].value.f;
  bool has_w = c->attrs[3].value.b, prob = bp_dtype_is_float(c->in[1]->dtype);
  int32_t nd = xm->ndim, cdim = nd >= 2 ? 1 : 0;
  int64_t classes = xm->shape[cdim];
  bp_status_t st = BP_STATUS_OK;
  scratch_t sc = {.n = 0};
  bp_tensor_t *logp = NULL, *gc = NULL, *wc = NULL, *glogp = NULL, *t1 = NULL, *t2 = NULL,
              *t3 = NULL, *denom = NULL, *one = NULL;
  TRY(bp_log_softmax(c->in[0], cdim, NEW(&logp)));
  K(logp);
  TRY(g_per_class(g[0], nd, NEW(&gc)));
  K(gc);
  if (has_w) {
    TRY(weight_per_class(c->in[2], nd, NEW(&wc)));
    K(wc);
  }
  if (prob) {
    /* d/dlogp = -w_c * p' * g / (N for the mean), p' = p (1 - eps) + eps / C */
    bp_tensor_t *p = c->in[1];
    if (eps > 0) {
      TRY(scale(p, 1.0 - eps, NEW(&t1)));
      K(t1);
      TRY(scalar(eps / (double)classes, NEW(&one)));
      K(one);
      TRY(bp_add(t1, one, NEW(&t2)));
      K(t2);
      p = t2;
    }
    double k = -1.0;
    if (reduction == 1) {
      int64_t n = classes ? numel_of(nd, xm->shape) / classes : 0;
      k = n ? -1.0 / (double)n : NAN;
    }
    if (c->needs[1]) {
      /* d/dp = -(1 - eps) w_c logp g (/ N for the mean), as torch */
      bp_tensor_t *l1 = NULL, *l2 = NULL;
      TRY(scale(logp, k * (1.0 - eps), NEW(&l1)));
      K(l1);
      l2 = l1;
      if (has_w) {
        TRY(bp_mul(l1, wc, NEW(&l2)));
        K(l2);
      }
      TRY(bp_mul(l2, gc, &gi[1]));
    }
    if (!c->needs[0]) goto done;
    TRY(scale(p, k, NEW(&t3)));
    K(t3);
    bp_tensor_t *pw = t3;
    if (has_w) {
      TRY(bp_mul(t3, wc, NEW(&pw)));
      K(pw);
    }
    TRY(bp_mul(pw, gc, NEW(&glogp)));
    K(glogp);
  } else {
    class_terms_t ct;
    TRY(class_terms(c, ignore, has_w, &sc, &ct));
    /* nll part: -(1 - eps) * wt * onehot; smoothing part: -eps/C * w_c * mask */
    bp_tensor_t *a = NULL, *b = NULL, *sum = NULL, *wtc = NULL, *maskc = NULL, *maskf = NULL;
    TRY(g_per_class(ct.wt, nd, NEW(&wtc)));
    K(wtc);
    TRY(bp_mul(ct.onehot, wtc, NEW(&a)));
    K(a);
    TRY(scale(a, -(1.0 - eps), NEW(&t1)));
    K(t1);
    sum = t1;
    if (eps > 0) {
      TRY(bp_tensor_cast(ct.mask, xm->dtype, NEW(&maskf)));
      K(maskf);
      TRY(g_per_class(maskf, nd, NEW(&maskc)));
      K(maskc);
      bp_tensor_t *mw = maskc;
      if (has_w) {
        TRY(bp_mul(maskc, wc, NEW(&mw)));
        K(mw);
      }
      TRY(scale(mw, -eps / (double)classes, NEW(&b)));
      K(b);
      TRY(bp_add(t1, b, NEW(&sum)));
      K(sum);
    }
    if (reduction == 1) { /* divided by the counted weight (or count) */
      bp_tensor_t *mb = NULL, *zero = NULL, *safe = NULL;
      TRY(bp_sum(ct.wt, 0, NULL, 0, NEW(&denom)));
      K(denom);
      TRY(bp_div(sum, denom, NEW(&t2)));
      K(t2);
      /* all targets ignored: 0 / 0; torch gives those entries no gradient */
      TRY(g_per_class(ct.mask, nd, NEW(&mb)));
      K(mb);
      TRY(scalar(0.0, NEW(&zero)));
      K(zero);
      TRY(bp_where(mb, t2, zero, NEW(&safe)));
      K(safe);
      sum = safe;
    }
    TRY(bp_mul(sum, gc, NEW(&glogp)));
    K(glogp);
  }
  TRY(softmax_like_bw(BP_OP_LOG_SOFTMAX_BACKWARD, glogp, logp, cdim, &gi[0]));
done:
  scratch_free(&sc);
  return st;
}

/* mse_loss: d/dinput = 2 (input - target) g (/ numel for the mean). */
static bp_status_t d_mse_loss(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!g[0]) return BP_STATUS_OK;
  bp_status_t st = BP_STATUS_OK;
  scratch_t sc = {.n = 0};
  bp_tensor_t *diff = NULL, *d = NULL, *gd = NULL;
  TRY(bp_sub(c->in[0], c->in[1], NEW(&diff)));
  K(diff);
  double k = 2.0;
  if (c->attrs[0].value.i == 1) {
    int64_t n = numel_of(diff->ndim, diff->shape);
    k = n ? 2.0 / (double)n : NAN;
  }
  TRY(scale(diff, k, NEW(&d)));
  K(d);
  TRY(bp_mul(d, g[0], NEW(&gd)));
  K(gd);
  if (c->needs[0]) gi[0] = bp_tensor_retain(gd);
  if (c->needs[1]) TRY(bp_neg(gd, &gi[1]));
done:
  scratch_free(&sc);
  return st;
}

/* binary_cross_entropy_with_logits, l = -w (pw t log s(x) + (1 - t) log(1 - s(x))):
 * dl/dx = w (s(x) (1 - t + pw t) - pw t), dl/dt = w (pw softplus(-x) - softplus(x)),
 * dl/dw = l / w, dl/dpw = w t softplus(-x). */
static bp_status_t d_bce_with_logits(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!g[0]) return BP_STATUS_OK;
  bool has_w = c->attrs[1].value.b, has_pw = c->attrs[2].value.b;
  bp_tensor_t *x = c->in[0], *t = c->in[1], *w = has_w ? c->in[2] : NULL, *pw = has_pw ? c->in[3] : NULL;
  bp_status_t st = BP_STATUS_OK;
  scratch_t sc = {.n = 0};
  bp_tensor_t *gs = NULL, *nx = NULL, *spn = NULL, *spp = NULL, *pwt = NULL, *one = NULL;
  double k = 1.0;
  if (c->attrs[0].value.i == 1) {
    int64_t n = numel_of(c->node->in_meta[0].ndim, c->node->in_meta[0].shape);
    k = n ? 1.0 / (double)n : NAN;
  }
  TRY(scale(g[0], k, NEW(&gs))); /* g with the mean's divisor */
  K(gs);
  TRY(bp_neg(x, NEW(&nx)));
  K(nx);
  TRY(bp_softplus(nx, 1.0, 20.0, NEW(&spn)));
  K(spn);
  TRY(bp_softplus(x, 1.0, 20.0, NEW(&spp)));
  K(spp);
  if (has_pw) {
    TRY(bp_mul(pw, t, NEW(&pwt)));
    K(pwt);
  } else {
    pwt = t;
  }
  TRY(scalar(1.0, NEW(&one)));
  K(one);
  /* gw_scale = gs * w (or gs) */
  bp_tensor_t *gw = gs;
  if (has_w) {
    TRY(bp_mul(gs, w, NEW(&gw)));
    K(gw);
  }
  if (c->needs[0]) {
    bp_tensor_t *s = NULL, *a = NULL, *b = NULL, *e = NULL, *f = NULL;
    TRY(bp_sigmoid(x, NEW(&s)));
    K(s);
    TRY(bp_sub(one, t, NEW(&a)));
    K(a);
    TRY(bp_add(a, pwt, NEW(&b))); /* 1 - t + pw t */
    K(b);
    TRY(bp_mul(s, b, NEW(&e)));
    K(e);
    TRY(bp_sub(e, pwt, NEW(&f)));
    K(f);
    TRY(bp_mul(f, gw, &gi[0]));
  }
  if (c->needs[1]) {
    bp_tensor_t *a = NULL, *b = NULL;
    if (has_pw) {
      TRY(bp_mul(pw, spn, NEW(&a)));
      K(a);
    } else {
      a = spn;
    }
    TRY(bp_sub(a, spp, NEW(&b)));
    K(b);
    TRY(bp_mul(b, gw, &gi[1]));
  }
  if ((c->needs[2] && has_w) || (c->needs[3] && has_pw)) {
    bp_tensor_t *a = NULL, *om = NULL, *b = NULL, *l = NULL;
    TRY(bp_mul(pwt, spn, NEW(&a))); /* pw t softplus(-x) */
    K(a);
    if (c->needs[2] && has_w) {
      TRY(bp_sub(one, t, NEW(&om)));
      K(om);
      TRY(bp_mul(om, spp, NEW(&b)));
      K(b);
      TRY(bp_add(a, b, NEW(&l)));
      K(l);
      TRY(bp_mul(l, gs, &gi[2]));
    }
    if (c->needs[3] && has_pw) {
      bp_tensor_t *ts = NULL;
      TRY(bp_mul(t, spn, NEW(&ts)));
      K(ts);
      TRY(bp_mul(ts, gw, &gi[3]));
    }
  }
done:
  scratch_free(&sc);
  return st;
}

/* ---- attention ---- */

/* sdpa: s = q k^T scale (+ mask), p = softmax(s), out = p v. Recomputes p:
 * gv = p^T g, gs = softmax_backward(g v^T, p), gq = gs k scale,
 * gk = gs^T q scale, a float mask gets gs. */
static bp_status_t d_sdpa(const bp_grad_ctx_t *c, bp_tensor_t *const *g, bp_tensor_t **gi) {
  if (!g[0]) return BP_STATUS_OK;
  bp_tensor_t *q = c->in[0], *k = c->in[1], *v = c->in[2], *m = c->in[3];
  bool causal = c->attrs[0].value.b, has_m = c->attrs[3].value.b;
  double sc_f = c->attrs[1].value.f; /* the recorded attrs are the caller's: 0 = 1/sqrt(E) */
  if (sc_f == 0.0) sc_f = 1.0 / sqrt((double)q->shape[q->ndim - 1]);
  bp_status_t st = BP_STATUS_OK;
  scratch_t sc = {.n = 0};
  bp_tensor_t *kt = NULL, *qk = NULL, *s = NULL, *p = NULL, *pt = NULL, *vt = NULL, *gp = NULL,
              *gs = NULL, *ninf = NULL, *zero = NULL;
  TRY(bp_tensor_transpose(k, -1, -2, NEW(&kt)));
  K(kt);
  TRY(bp_matmul(q, kt, NEW(&qk)));
  K(qk);
  TRY(scale(qk, sc_f, NEW(&s)));
  K(s);
  TRY(scalar(-INFINITY, NEW(&ninf)));
  K(ninf);
  if (causal) {
    int64_t L = q->shape[q->ndim - 2], S = k->shape[k->ndim - 2];
    bp_tensor_t *ones = NULL, *tri = NULL, *keep_m = NULL, *s2 = NULL;
    TRY(bp_tensor_create(bp_tensor_device(q), BP_DTYPE_BOOL, 2, (int64_t[]){L, S}, NEW(&ones)));
    K(ones);
    TRY(bp_fill(ones, 1.0));
    TRY(bp_tril(ones, 0, NEW(&tri)));
    K(tri);
    keep_m = tri;
    TRY(bp_where(keep_m, s, ninf, NEW(&s2)));
    K(s2);
    s = s2;
  }
  if (has_m) {
    bp_tensor_t *s2 = NULL;
    if (m->dtype == BP_DTYPE_BOOL) TRY(bp_where(m, s, ninf, NEW(&s2)));
    else TRY(bp_add(s, m, NEW(&s2)));
    K(s2);
    s = s2;
  }
  TRY(bp_softmax(s, -1, NEW(&p)));
  K(p);
  if (c->needs[2]) {
    TRY(bp_tensor_transpose(p, -1, -2, NEW(&pt)));
    K(pt);
    TRY(bp_matmul(pt, g[0], &gi[2]));
  }
  if (c->needs[0] || c->needs[1] || (c->needs[3] && has_m && m->dtype != BP_DTYPE_BOOL)) {
    TRY(bp_tensor_transpose(v, -1, -2, NEW(&vt)));
    K(vt);
    TRY(bp_matmul(g[0], vt, NEW(&gp)));
    K(gp);
    TRY(softmax_like_bw(BP_OP_SOFTMAX_BACKWARD, gp, p, p->ndim - 1, NEW(&gs)));
    K(gs);
    /* fully masked rows: softmax gives NaN, as torch's math path */
    (void)zero;
    if (c->needs[3] && has_m && m->dtype != BP_DTYPE_BOOL) gi[3] = bp_tensor_retain(gs);
    bp_tensor_t *gss = NULL;
    TRY(scale(gs, sc_f, NEW(&gss)));
    K(gss);
    if (c->needs[0]) TRY(bp_matmul(gss, k, &gi[0]));
    if (c->needs[1]) {
      bp_tensor_t *gst = NULL;
      TRY(bp_tensor_transpose(gss, -1, -2, NEW(&gst)));
      K(gst);
      TRY(bp_matmul(gst, q, &gi[1]));
    }
  }
done:
  scratch_free(&sc);
  return st;
}

/* ---- the table ---- */

#define IN(i) BP_DERIVATIVE_IN(i)
#define OUT(k) BP_DERIVATIVE_OUT(k)

const bp_named_derivative_t bp_derivatives_nn[] = {
    {BP_OP_LINEAR, {IN(0) | IN(1), 0, d_linear}},
    {BP_OP_BMM, {IN(0) | IN(1), 0, d_bmm}},
    {BP_OP_CONV1D, {IN(0) | IN(1), 0, d_conv1d}},
    {BP_OP_CONV2D, {IN(0) | IN(1), 0, d_conv2d}},
    {BP_OP_CONV_TRANSPOSE2D, {IN(0) | IN(1), 0, d_conv_transpose2d}},
    {BP_OP_MAX_POOL2D, {IN(0), OUT(1), d_max_pool2d}},
    {BP_OP_AVG_POOL2D, {IN(0), 0, d_avg_pool2d}},
    {BP_OP_ADAPTIVE_AVG_POOL2D, {IN(0), 0, d_adaptive_avg_pool2d}},
    {BP_OP_BATCH_NORM, {IN(0) | IN(1), OUT(1) | OUT(2), d_batch_norm}},
    {BP_OP_LAYER_NORM, {IN(0) | IN(1), OUT(1) | OUT(2), d_layer_norm}},
    {BP_OP_GROUP_NORM, {IN(0) | IN(1), OUT(1) | OUT(2), d_group_norm}},
    {BP_OP_RMS_NORM, {IN(0) | IN(1), OUT(1), d_rms_norm}},
    {BP_OP_SOFTMAX, {0, OUT(0), d_softmax}},
    {BP_OP_LOG_SOFTMAX, {0, OUT(0), d_log_softmax}},
    {BP_OP_GELU, {IN(0), 0, d_gelu}},
    {BP_OP_SILU, {IN(0), 0, d_silu}},
    {BP_OP_SOFTPLUS, {IN(0), 0, d_softplus}},
    {BP_OP_ELU, {IN(0), OUT(0), d_elu}},
    {BP_OP_LEAKY_RELU, {IN(0), 0, d_leaky_relu}},
    {BP_OP_EMBEDDING, {IN(1), 0, d_embedding}},
    {BP_OP_GATHER, {IN(1), 0, d_gather}},
    {BP_OP_SCATTER_ADD, {IN(1), 0, d_scatter_add}},
    {BP_OP_INDEX_SELECT, {IN(1), 0, d_index_select}},
    {BP_OP_NLL_LOSS, {IN(1) | IN(2), OUT(1), d_nll_loss}},
    {BP_OP_CROSS_ENTROPY, {IN(0) | IN(1) | IN(2), 0, d_cross_entropy}},
    {BP_OP_MSE_LOSS, {IN(0) | IN(1), 0, d_mse_loss}},
    {BP_OP_BCE_WITH_LOGITS, {IN(0) | IN(1) | IN(2) | IN(3), 0, d_bce_with_logits}},
    {BP_OP_SDPA, {IN(0) | IN(1) | IN(2) | IN(3), 0, d_sdpa}},
};
const size_t bp_derivatives_nn_count = sizeof(bp_derivatives_nn) / sizeof(bp_derivatives_nn[0]);
