#define _DEFAULT_SOURCE /* M_SQRT2, M_2_SQRTPI, M_SQRT1_2 */
/* ref_nn_backward_norm.c - reference kernels of the backward ops of the
 * normalizations, softmax, log_softmax and gelu. Double over contiguous
 * copies (ref_nn_backward.h); outputs rounded once.
 *
 * The norms share one identity: with xhat = (x - mean) * rstd and
 * dxhat = grad_output * weight, over the m elements a statistic covers,
 *   grad_input = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
 * (batch_norm in eval: the statistics are constants, grad_input =
 * dxhat * invstd). */
#include <math.h>
#include <string.h>

#include "ref_nn_backward.h"

/* ---- softmax_backward, log_softmax_backward ---- */

/* outer x size x inner around dim d. */
static void split_dim(const bp_tensor_desc_t *t, int64_t d, int64_t *outer, int64_t *size,
                      int64_t *inner) {
  *outer = *inner = 1;
  *size = t->ndim ? t->shape[d] : 1;
  for (int32_t i = 0; i < t->ndim; ++i) {
    if (i < d) *outer *= t->shape[i];
    if (i > d) *inner *= t->shape[i];
  }
}

static bp_status_t softmax_bw(const bp_kernel_call_t *call, bool log) {
  bp_status_t st = bp_ref_check_call(call, call->op_name, 2, 1);
  if (st) return st;
  int64_t outer, size, inner;
  split_dim(call->inputs[0], call->attrs[0]->value.i, &outer, &size, &inner);
  double *g = bp_ref_bw_load(call->inputs[0]), *y = bp_ref_bw_load(call->inputs[1]);
  double *gx = bp_ref_bw_zeros(bp_ref_numel(call->inputs[0]));
  if (!g || !y || !gx) {
    bp_ref_bw_free(g, y, gx, NULL, NULL, NULL, NULL, NULL);
    return bp_ref_bw_oom(call);
  }
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t base = o * size * inner + i;
      double sum = 0.0;
      for (int64_t j = 0; j < size; ++j) {
        int64_t e = base + j * inner;
        sum += log ? g[e] : g[e] * y[e];
      }
      for (int64_t j = 0; j < size; ++j) {
        int64_t e = base + j * inner;
        gx[e] = log ? g[e] - exp(y[e]) * sum : y[e] * (g[e] - sum);
      }
    }
  bp_ref_bw_store(call->outputs[0], gx);
  bp_ref_bw_free(g, y, gx, NULL, NULL, NULL, NULL, NULL);
  return BP_STATUS_OK;
}
static bp_status_t ref_softmax_backward(const bp_kernel_call_t *call) { return softmax_bw(call, false); }
static bp_status_t ref_log_softmax_backward(const bp_kernel_call_t *call) { return softmax_bw(call, true); }

/* ---- gelu_backward ---- */

static bp_status_t ref_gelu_backward(const bp_kernel_call_t *call) {
  bp_status_t st = bp_ref_check_call(call, "gelu_backward", 2, 1);
  if (st) return st;
  bool tanh_approx = call->attrs[0]->value.i == 1;
  int64_t n = bp_ref_numel(call->inputs[0]);
  double *g = bp_ref_bw_load(call->inputs[0]), *x = bp_ref_bw_load(call->inputs[1]);
  if (!g || !x) {
    bp_ref_bw_free(g, x, NULL, NULL, NULL, NULL, NULL, NULL);
    return bp_ref_bw_oom(call);
  }
  const double beta = M_SQRT2 * M_2_SQRTPI * 0.5, kappa = 0.044715;
  for (int64_t i = 0; i < n; ++i) {
    double v = x[i], d;
    if (tanh_approx) { /* torch's GeluBackward, tanh branch */
      double t = tanh(beta * (v + kappa * v * v * v));
      d = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * beta * (1.0 + 3.0 * kappa * v * v);
    } else {
      double cdf = 0.5 * (1.0 + erf(v * M_SQRT1_2));
      double pdf = exp(-0.5 * v * v) * M_2_SQRTPI * M_SQRT1_2 * 0.5;
      d = cdf + v * pdf;
    }
    g[i] *= d;
  }
  bp_ref_bw_store(call->outputs[0], g);
  bp_ref_bw_free(g, x, NULL, NULL, NULL, NULL, NULL, NULL);
  return BP_STATUS_OK;
}

/* ---- the norms ---- */

/* One statistic's elements: element e of the group is at
 * base + (e / inner) * stride + e % inner, its weight index chan(e). */
typedef struct norm_group {
  int64_t m;          /* elements */
  int64_t base, inner, stride;
  int64_t chan0, chan_div, chan_mod; /* weight index: chan0 + (e / chan_div) % chan_mod */
} norm_group_t;

static int64_t at(const norm_group_t *q, int64_t e) {
  return q->base + (e / q->inner) * q->stride + e % q->inner;
}
static int64_t chan(const norm_group_t *q, int64_t e) {
  return q->chan0 + (e / q->chan_div) % q->chan_mod;
}

/* Accumulates gw/gb and, unless gx is NULL, writes gx for one group. */
static void norm_group_bw(const norm_group_t *q, const double *g, const double *x, double mean,
                          double rstd, const double *w, bool train, double *gx, double *gw,
                          double *gb) {
  double sum_d = 0.0, sum_dx = 0.0;
  for (int64_t e = 0; e < q->m; ++e) {
    int64_t i = at(q, e), c = chan(q, e);
    double xhat = (x[i] - mean) * rstd, dxhat = g[i] * (w ? w[c] : 1.0);
    gw[c] += g[i] * xhat;
    gb[c] += g[i];
    sum_d += dxhat;
    sum_dx += dxhat * xhat;
  }
  if (!gx) return;
  double md = q->m ? sum_d / (double)q->m : 0.0, mdx = q->m ? sum_dx / (double)q->m : 0.0;
  for (int64_t e = 0; e < q->m; ++e) {
    int64_t i = at(q, e), c = chan(q, e);
    double xhat = (x[i] - mean) * rstd, dxhat = g[i] * (w ? w[c] : 1.0);
    gx[i] = train ? rstd * (dxhat - md - xhat * mdx) : dxhat * rstd;
  }
}

/* Loads inputs 0..4, runs `body`, stores outputs 0..2. */
typedef void (*norm_body_fn)(const bp_kernel_call_t *call, double *const *in, double *const *out);

static bp_status_t norm_bw(const bp_kernel_call_t *call, bool has_weight, int weight_slot,
                           norm_body_fn body) {
  bp_status_t st = bp_ref_check_call(call, call->op_name, 5, 3);
  if (st) return st;
  double *in[5] = {NULL}, *out[3] = {NULL};
  bool ok = true;
  for (int i = 0; i < 5; ++i) {
    if (i == weight_slot && !has_weight) continue;
    ok = ok && (in[i] = bp_ref_bw_load(call->inputs[i])) != NULL;
  }
  for (int k = 0; k < 3; ++k) ok = ok && (out[k] = bp_ref_bw_zeros(bp_ref_numel(call->outputs[k]))) != NULL;
  if (ok) {
    body(call, in, out);
    for (int k = 0; k < 3; ++k) bp_ref_bw_store(call->outputs[k], out[k]);
  }
  bp_ref_bw_free(in[0], in[1], in[2], in[3], in[4], out[0], out[1], out[2]);
  return ok ? BP_STATUS_OK : bp_ref_bw_oom(call);
}

/* layer_norm_backward: inputs g, x, mean, rstd, weight. */
static void layer_norm_body(const bp_kernel_call_t *call, double *const *in, double *const *out) {
  const bp_tensor_desc_t *x = call->inputs[1];
  int32_t k = (int32_t)call->attrs[0]->count;
  int64_t cols = 1;
  for (int32_t d = x->ndim - k; d < x->ndim; ++d) cols *= x->shape[d];
  int64_t rows = cols ? bp_ref_numel(x) / cols : 0;
  for (int64_t r = 0; r < rows; ++r) {
    norm_group_t q = {cols, r * cols, cols, 0, 0, 1, cols ? cols : 1};
    norm_group_bw(&q, in[0], in[1], in[2][r], in[3][r], in[4], true, out[0], out[1], out[2]);
  }
}
static bp_status_t ref_layer_norm_backward(const bp_kernel_call_t *call) {
  return norm_bw(call, call->attrs[1]->value.b, 4, layer_norm_body);
}

/* group_norm_backward: inputs g, x, mean [N, G], rstd, weight [C]. */
static void group_norm_body(const bp_kernel_call_t *call, double *const *in, double *const *out) {
  const bp_tensor_desc_t *x = call->inputs[1];
  int64_t n = x->shape[0], c = x->shape[1], groups = call->attrs[0]->value.i, cg = c / groups;
  int64_t hw = 1;
  for (int32_t d = 2; d < x->ndim; ++d) hw *= x->shape[d];
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < groups; ++j) {
      /* the group's channels are contiguous: cg * hw elements */
      norm_group_t q = {cg * hw, (i * c + j * cg) * hw, cg * hw, 0, j * cg, hw ? hw : 1, cg};
      norm_group_bw(&q, in[0], in[1], in[2][i * groups + j], in[3][i * groups + j], in[4], true,
                    out[0], out[1], out[2]);
    }
}
static bp_status_t ref_group_norm_backward(const bp_kernel_call_t *call) {
  return norm_bw(call, call->attrs[1]->value.b, 4, group_norm_body);
}

/* batch_norm_backward: inputs g, x, weight [C], save_mean [C], save_invstd [C]. */
static void batch_norm_body(const bp_kernel_call_t *call, double *const *in, double *const *out) {
  const bp_tensor_desc_t *x = call->inputs[1];
  int64_t n = x->shape[0], c = x->shape[1], hw = 1;
  for (int32_t d = 2; d < x->ndim; ++d) hw *= x->shape[d];
  bool train = call->attrs[0]->value.b;
  for (int64_t j = 0; j < c; ++j) {
    /* channel j: n runs of hw elements, c * hw apart */
    norm_group_t q = {n * hw, j * hw, hw ? hw : 1, c * hw, j, 1, 1};
    norm_group_bw(&q, in[0], in[1], in[3][j], in[4][j], in[2], train, out[0], out[1], out[2]);
  }
}
static bp_status_t ref_batch_norm_backward(const bp_kernel_call_t *call) {
  return norm_bw(call, call->attrs[1]->value.b, 2, batch_norm_body);
}

/* ---- registration ---- */

bp_status_t bp_ref_nn_backward_norm_register(const bp_host_api_t *host) {
  static const bp_dtype_t f3[3] = {BP_DTYPE_BF16, BP_DTYPE_F32, BP_DTYPE_F64};
  static bp_dtype_t sig3[3][3], sig8[3][8];
  bp_status_t st = BP_STATUS_OK;
  for (int i = 0; i < 3 && !st; ++i) {
    for (int j = 0; j < 3; ++j) sig3[i][j] = f3[i];
    for (int j = 0; j < 8; ++j) sig8[i][j] = f3[i];
    st = bp_ref_register(host, "softmax_backward", sig3[i], 3, ref_softmax_backward, NULL);
    if (!st) st = bp_ref_register(host, "log_softmax_backward", sig3[i], 3, ref_log_softmax_backward, NULL);
    if (!st) st = bp_ref_register(host, "gelu_backward", sig3[i], 3, ref_gelu_backward, NULL);
    if (!st) st = bp_ref_register(host, "layer_norm_backward", sig8[i], 8, ref_layer_norm_backward, NULL);
    if (!st) st = bp_ref_register(host, "group_norm_backward", sig8[i], 8, ref_group_norm_backward, NULL);
    if (!st) st = bp_ref_register(host, "batch_norm_backward", sig8[i], 8, ref_batch_norm_backward, NULL);
  }
  return st;
}
