/* ref_nn_backward.c - reference kernels of the backward ops of the
 * convolutions, pools and embedding (family BP_OPS_NN_BACKWARD), and the
 * family's registrar. Plain loops in double over contiguous copies
 * (ref_nn_backward.h); each output is rounded once. */
#include <math.h>
#include <string.h>

#include "ref_nn_backward.h"

/* A [N, C, H, W] view of a 3-D (unbatched) or 4-D shape. */
typedef struct dims4 {
  int64_t n, c, h, w;
} dims4_t;

static dims4_t dims_of(const bp_tensor_desc_t *t) {
  dims4_t r = {1, 1, 1, 1};
  int d = 0;
  if (t->ndim == 4) r.n = t->shape[d++];
  r.c = t->shape[d++];
  r.h = t->shape[d++];
  r.w = t->shape[d];
  return r;
}

/* ---- conv2d_backward ---- */

static bp_status_t ref_conv2d_backward(const bp_kernel_call_t *call) {
  bp_status_t st = bp_ref_check_call(call, "conv2d_backward", 3, 3);
  if (st) return st;
  const bp_tensor_desc_t *gt = call->inputs[0], *xt = call->inputs[1], *wt = call->inputs[2];
  dims4_t x = dims_of(xt), o = dims_of(gt);
  int64_t cout = wt->shape[0], cg = wt->shape[1], kh = wt->shape[2], kw = wt->shape[3];
  int64_t groups = call->attrs[3]->value.i, coutg = cout / groups;
  bool same = call->attrs[4]->value.b;
  int64_t s[2], p[2], d[2], k[2] = {kh, kw};
  for (int i = 0; i < 2; ++i) {
    s[i] = bp_ref_bw_attr2(call->attrs[0], i, 1);
    d[i] = bp_ref_bw_attr2(call->attrs[2], i, 1);
    p[i] = same ? d[i] * (k[i] - 1) / 2 : bp_ref_bw_attr2(call->attrs[1], i, 0);
  }
  double *g = bp_ref_bw_load(gt), *xv = bp_ref_bw_load(xt), *w = bp_ref_bw_load(wt);
  double *gx = bp_ref_bw_zeros(bp_ref_numel(xt)), *gw = bp_ref_bw_zeros(bp_ref_numel(wt));
  double *gb = bp_ref_bw_zeros(cout);
  if (!g || !xv || !w || !gx || !gw || !gb) {
    bp_ref_bw_free(g, xv, w, gx, gw, gb, NULL, NULL);
    return bp_ref_bw_oom(call);
  }
  for (int64_t n = 0; n < o.n; ++n)
    for (int64_t oc = 0; oc < cout; ++oc) {
      int64_t grp = oc / coutg;
      for (int64_t oh = 0; oh < o.h; ++oh)
        for (int64_t ow = 0; ow < o.w; ++ow) {
          double gv = g[((n * cout + oc) * o.h + oh) * o.w + ow];
          gb[oc] += gv;
          for (int64_t ci = 0; ci < cg; ++ci) {
            int64_t c = grp * cg + ci;
            for (int64_t a = 0; a < kh; ++a) {
              int64_t ih = oh * s[0] - p[0] + a * d[0];
              if (ih < 0 || ih >= x.h) continue;
              for (int64_t b = 0; b < kw; ++b) {
                int64_t iw = ow * s[1] - p[1] + b * d[1];
                if (iw < 0 || iw >= x.w) continue;
                int64_t xi = ((n * x.c + c) * x.h + ih) * x.w + iw;
                int64_t wi = ((oc * cg + ci) * kh + a) * kw + b;
                gx[xi] += gv * w[wi];
                gw[wi] += gv * xv[xi];
              }
            }
          }
        }
    }
  bp_ref_bw_store(call->outputs[0], gx);
  bp_ref_bw_store(call->outputs[1], gw);
  bp_ref_bw_store(call->outputs[2], gb);
  bp_ref_bw_free(g, xv, w, gx, gw, gb, NULL, NULL);
  return BP_STATUS_OK;
}

/* ---- max_pool2d_backward ---- */

static bp_status_t ref_max_pool2d_backward(const bp_kernel_call_t *call) {
  bp_status_t st = bp_ref_check_call(call, "max_pool2d_backward", 3, 1);
  if (st) return st;
  dims4_t x = dims_of(call->inputs[1]), o = dims_of(call->inputs[0]);
  double *g = bp_ref_bw_load(call->inputs[0]), *gx = bp_ref_bw_zeros(bp_ref_numel(call->inputs[1]));
  int64_t *idx = bp_ref_bw_load_index(call->inputs[2]);
  if (!g || !gx || !idx) {
    bp_ref_bw_free(g, gx, idx, NULL, NULL, NULL, NULL, NULL);
    return bp_ref_bw_oom(call);
  }
  int64_t plane = x.h * x.w, per = o.h * o.w;
  for (int64_t nc = 0; nc < o.n * o.c; ++nc)
    for (int64_t i = 0; i < per; ++i) {
      int64_t j = idx[nc * per + i];
      if (j < 0 || j >= plane) {
        bp_ref_bw_free(g, gx, idx, NULL, NULL, NULL, NULL, NULL);
        return bp_ref_fail(call->plugin_ctx, BP_STATUS_INVALID_ARGUMENT,
                           "bp_max_pool2d_backward: index %lld out of range for an input plane "
                           "of %lld elements", (long long)j, (long long)plane);
      }
      gx[nc * plane + j] += g[nc * per + i];
    }
  bp_ref_bw_store(call->outputs[0], gx);
  bp_ref_bw_free(g, gx, idx, NULL, NULL, NULL, NULL, NULL);
  return BP_STATUS_OK;
}

/* ---- avg_pool2d_backward ---- */

static bp_status_t ref_avg_pool2d_backward(const bp_kernel_call_t *call) {
  bp_status_t st = bp_ref_check_call(call, "avg_pool2d_backward", 2, 1);
  if (st) return st;
  dims4_t x = dims_of(call->inputs[1]), o = dims_of(call->inputs[0]);
  int64_t k[2], s[2], p[2];
  for (int i = 0; i < 2; ++i) {
    k[i] = bp_ref_bw_attr2(call->attrs[0], i, 1);
    s[i] = call->attrs[1]->count ? bp_ref_bw_attr2(call->attrs[1], i, 1) : k[i];
    p[i] = bp_ref_bw_attr2(call->attrs[2], i, 0);
  }
  bool include_pad = call->attrs[4]->value.b;
  int64_t override = call->attrs[5]->value.i;
  double *g = bp_ref_bw_load(call->inputs[0]), *gx = bp_ref_bw_zeros(bp_ref_numel(call->inputs[1]));
  if (!g || !gx) {
    bp_ref_bw_free(g, gx, NULL, NULL, NULL, NULL, NULL, NULL);
    return bp_ref_bw_oom(call);
  }
  for (int64_t nc = 0; nc < o.n * o.c; ++nc)
    for (int64_t oh = 0; oh < o.h; ++oh)
      for (int64_t ow = 0; ow < o.w; ++ow) {
        /* The window and divisor of the forward (torch's avg_pool2d). */
        int64_t h0 = oh * s[0] - p[0], w0 = ow * s[1] - p[1];
        int64_t h1 = h0 + k[0], w1 = w0 + k[1];
        if (h1 > x.h + p[0]) h1 = x.h + p[0];
        if (w1 > x.w + p[1]) w1 = x.w + p[1];
        int64_t pool_size = (h1 - h0) * (w1 - w0);
        if (h0 < 0) h0 = 0;
        if (w0 < 0) w0 = 0;
        if (h1 > x.h) h1 = x.h;
        if (w1 > x.w) w1 = x.w;
        int64_t divisor = override ? override : include_pad ? pool_size : (h1 - h0) * (w1 - w0);
        if (h0 >= h1 || w0 >= w1 || divisor <= 0) continue;
        double share = g[(nc * o.h + oh) * o.w + ow] / (double)divisor;
        for (int64_t ih = h0; ih < h1; ++ih)
          for (int64_t iw = w0; iw < w1; ++iw) gx[(nc * x.h + ih) * x.w + iw] += share;
      }
  bp_ref_bw_store(call->outputs[0], gx);
  bp_ref_bw_free(g, gx, NULL, NULL, NULL, NULL, NULL, NULL);
  return BP_STATUS_OK;
}

/* ---- adaptive_avg_pool2d_backward ---- */

static bp_status_t ref_adaptive_avg_pool2d_backward(const bp_kernel_call_t *call) {
  bp_status_t st = bp_ref_check_call(call, "adaptive_avg_pool2d_backward", 2, 1);
  if (st) return st;
  dims4_t x = dims_of(call->inputs[1]), o = dims_of(call->inputs[0]);
  double *g = bp_ref_bw_load(call->inputs[0]), *gx = bp_ref_bw_zeros(bp_ref_numel(call->inputs[1]));
  if (!g || !gx) {
    bp_ref_bw_free(g, gx, NULL, NULL, NULL, NULL, NULL, NULL);
    return bp_ref_bw_oom(call);
  }
  for (int64_t nc = 0; nc < o.n * o.c; ++nc)
    for (int64_t oh = 0; oh < o.h; ++oh) {
      int64_t h0 = oh * x.h / o.h, h1 = ((oh + 1) * x.h + o.h - 1) / o.h;
      for (int64_t ow = 0; ow < o.w; ++ow) {
        int64_t w0 = ow * x.w / o.w, w1 = ((ow + 1) * x.w + o.w - 1) / o.w;
        double share = g[(nc * o.h + oh) * o.w + ow] / (double)((h1 - h0) * (w1 - w0));
        for (int64_t ih = h0; ih < h1; ++ih)
          for (int64_t iw = w0; iw < w1; ++iw) gx[(nc * x.h + ih) * x.w + iw] += share;
      }
    }
  bp_ref_bw_store(call->outputs[0], gx);
  bp_ref_bw_free(g, gx, NULL, NULL, NULL, NULL, NULL, NULL);
  return BP_STATUS_OK;
}

/* ---- embedding_backward ---- */

static bp_status_t ref_embedding_backward(const bp_kernel_call_t *call) {
  bp_status_t st = bp_ref_check_call(call, "embedding_backward", 2, 1);
  if (st) return st;
  const bp_tensor_desc_t *gt = call->inputs[0], *out = call->outputs[0];
  int64_t v = out->shape[0], dim = out->shape[1];
  int64_t rows = bp_ref_numel(call->inputs[1]);
  bool has_pad = call->attrs[2]->value.b;
  int64_t pad = call->attrs[1]->value.i;
  double *g = bp_ref_bw_load(gt), *gw = bp_ref_bw_zeros(v * dim);
  int64_t *idx = bp_ref_bw_load_index(call->inputs[1]);
  if (!g || !gw || !idx) {
    bp_ref_bw_free(g, gw, idx, NULL, NULL, NULL, NULL, NULL);
    return bp_ref_bw_oom(call);
  }
  for (int64_t r = 0; r < rows; ++r) {
    int64_t j = idx[r];
    if (j < 0 || j >= v) {
      bp_ref_bw_free(g, gw, idx, NULL, NULL, NULL, NULL, NULL);
      return bp_ref_fail(call->plugin_ctx, BP_STATUS_INVALID_ARGUMENT,
                         "bp_embedding_backward: index %lld out of range (expected 0..%lld)",
                         (long long)j, (long long)v - 1);
    }
    if (has_pad && j == pad) continue;
    for (int64_t c = 0; c < dim; ++c) gw[j * dim + c] += g[r * dim + c];
  }
  bp_ref_bw_store(out, gw);
  bp_ref_bw_free(g, gw, idx, NULL, NULL, NULL, NULL, NULL);
  return BP_STATUS_OK;
}

/* ---- registration ---- */

static const bp_dtype_t f3[3] = {BP_DTYPE_BF16, BP_DTYPE_F32, BP_DTYPE_F64};

bp_status_t bp_ref_nn_backward_register(const bp_host_api_t *host) {
  static bp_dtype_t sig6[3][6], sig3[3][3], sig4[3][4], emb[4][2][3];
  static const bp_dtype_t f4[4] = {BP_DTYPE_F16, BP_DTYPE_BF16, BP_DTYPE_F32, BP_DTYPE_F64};
  bp_status_t st = BP_STATUS_OK;
  for (int i = 0; i < 3 && !st; ++i) {
    bp_dtype_t t = f3[i];
    for (int j = 0; j < 6; ++j) sig6[i][j] = t;
    for (int j = 0; j < 3; ++j) sig3[i][j] = t;
    sig4[i][0] = sig4[i][1] = sig4[i][3] = t;
    sig4[i][2] = BP_DTYPE_I64;
    st = bp_ref_register(host, "conv2d_backward", sig6[i], 6, ref_conv2d_backward, NULL);
    if (!st) st = bp_ref_register(host, "max_pool2d_backward", sig4[i], 4, ref_max_pool2d_backward, NULL);
    if (!st) st = bp_ref_register(host, "avg_pool2d_backward", sig3[i], 3, ref_avg_pool2d_backward, NULL);
    if (!st)
      st = bp_ref_register(host, "adaptive_avg_pool2d_backward", sig3[i], 3,
                           ref_adaptive_avg_pool2d_backward, NULL);
  }
  for (int i = 0; i < 4 && !st; ++i)
    for (int j = 0; j < 2 && !st; ++j) {
      emb[i][j][0] = emb[i][j][2] = f4[i];
      emb[i][j][1] = j ? BP_DTYPE_I64 : BP_DTYPE_I32;
      st = bp_ref_register(host, "embedding_backward", emb[i][j], 3, ref_embedding_backward, NULL);
    }
  if (!st) st = bp_ref_nn_backward_norm_register(host);
  return st;
}
