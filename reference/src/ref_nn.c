/* ref_nn.c - reference kernels of linear, the convolutions and pooling.
 *
 * linear and conv1d/conv2d go through the shared GEMM (ref_nn_gemm.h): the
 * operands are gathered into contiguous buffers of the compute type (float
 * for f16/bf16/f32, double for f64, wrapping uint64_t for the integers),
 * convolutions through im2col per (image, group); the result gets the bias
 * and is rounded once into the output. conv_transpose2d and the pools are
 * plain loops that gather each output element (double for float dtypes,
 * uint64_t for i64). Every tensor may have any strides. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref_dtype.h"
#include "ref_kernel.h"
#include "ref_nn_gemm.h"

/* Value i of an int-or-tuple attribute over n spatial dims (see
 * bp_ops_nn.c); `def` when the list is empty. */
static int64_t attr_at(const bp_attr_t *a, int n, int i, int64_t def) {
  if (a->count == 0) return def;
  return a->value.ints[a->count == 1 ? 0 : (a->count == (uint32_t)n ? i : 0)];
}

static bp_status_t oom(const bp_kernel_call_t *call) {
  return bp_ref_fail(call->plugin_ctx, BP_STATUS_OUT_OF_MEMORY, "ref %s: out of memory",
                     call->op_name);
}

/* A tensor seen as [N, C, H, W] (element strides): missing batch = 1, a
 * missing H (1-D ops) = 1 with stride 0. */
typedef struct nchw {
  int64_t n, c, h, w;
  int64_t sn, sc, sh, sw;
} nchw_t;

static nchw_t as_nchw(const bp_tensor_desc_t *t, int nsp, bool batched) {
  nchw_t r = {1, 1, 1, 1, 0, 0, 0, 0};
  int d = 0;
  if (batched) { r.n = t->shape[d]; r.sn = t->strides[d]; ++d; }
  r.c = t->shape[d]; r.sc = t->strides[d]; ++d;
  if (nsp == 2) { r.h = t->shape[d]; r.sh = t->strides[d]; ++d; }
  r.w = t->shape[d]; r.sw = t->strides[d];
  return r;
}

/* ---- linear ---- */

static bp_status_t ref_linear(const bp_kernel_call_t *call) {
  bp_status_t st = bp_ref_check_call(call, "linear", 3, 1);
  if (st) return st;
  const bp_tensor_desc_t *x = call->inputs[0], *w = call->inputs[1], *b = call->inputs[2];
  const bp_tensor_desc_t *out = call->outputs[0];
  bool has_bias = call->attrs[0]->value.b;
  bp_ref_ct_t ct = bp_ref_ct_of(out->dtype);
  size_t es = bp_ref_ct_size(ct);
  int64_t k = w->shape[1], n = w->shape[0], m = n ? bp_ref_numel(out) / n : 0;
  if (m == 0 || n == 0) return BP_STATUS_OK;
  char *xb = malloc(es * (size_t)(m * k + 1)), *wb = malloc(es * (size_t)(n * k + 1));
  char *ob = malloc(es * (size_t)(m * n)), *bb = malloc(es * (size_t)n);
  if (!xb || !wb || !ob || !bb) {
    free(xb); free(wb); free(ob); free(bb);
    return oom(call);
  }
  bp_ref_ct_gather(ct, x, xb);
  bp_ref_ct_gather(ct, w, wb);
  if (has_bias) bp_ref_ct_gather(ct, b, bb);
  bp_ref_gemm_dims_t g = {.m = m, .n = n, .k = k, .sam = k, .sak = 1, .sbk = 1, .sbn = k,
                          .scm = n, .scn = 1};
  bool ok = bp_ref_gemm(ct, &g, xb, wb, ob);
  if (ok && has_bias)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) bp_ref_ct_add(ct, ob, i * n + j, bb, j);
  if (ok) bp_ref_ct_scatter(ct, out, ob);
  free(xb); free(wb); free(ob); free(bb);
  return ok ? BP_STATUS_OK : oom(call);
}

/* ---- conv1d, conv2d: im2col + GEMM ---- */

typedef struct conv_geom {
  nchw_t x, w, o;
  int64_t groups, cg, coutg, kdim, ohw;
  int64_t stride[2], pad[2], dil[2]; /* [0] = H, [1] = W */
} conv_geom_t;

/* col[r, oh*OW + ow], r = (ci*KH + kh)*KW + kw, for image n and group g. */
static void im2col(const conv_geom_t *q, bp_ref_ct_t ct, bp_dtype_t dt, const char *xbase,
                   int64_t n, int64_t g, void *col) {
  size_t es = bp_abi_dtype_size(dt);
  const bool fast = ct == BP_REF_CT_F32 && dt == BP_DTYPE_F32;
  float *colf = col;
  int64_t r = 0;
  for (int64_t ci = 0; ci < q->cg; ++ci)
    for (int64_t kh = 0; kh < q->w.h; ++kh)
      for (int64_t kw = 0; kw < q->w.w; ++kw, ++r) {
        int64_t idx = r * q->ohw;
        const char *plane =
            xbase + (int64_t)es * (n * q->x.sn + (g * q->cg + ci) * q->x.sc);
        for (int64_t oh = 0; oh < q->o.h; ++oh) {
          int64_t ih = oh * q->stride[0] - q->pad[0] + kh * q->dil[0];
          bool row_in = ih >= 0 && ih < q->x.h;
          for (int64_t ow = 0; ow < q->o.w; ++ow, ++idx) {
            int64_t iw = ow * q->stride[1] - q->pad[1] + kw * q->dil[1];
            if (!row_in || iw < 0 || iw >= q->x.w) {
              bp_ref_ct_zero(ct, col, idx);
              continue;
            }
            const char *p = plane + (int64_t)es * (ih * q->x.sh + iw * q->x.sw);
            if (fast)
              colf[idx] = *(const float *)(const void *)p;
            else
              bp_ref_ct_load(ct, dt, p, col, idx);
          }
        }
      }
}

static bp_status_t ref_conv(const bp_kernel_call_t *call, int nsp) {
  bp_status_t st = bp_ref_check_call(call, call->op_name, 3, 1);
  if (st) return st;
  const bp_tensor_desc_t *x = call->inputs[0], *w = call->inputs[1], *b = call->inputs[2];
  const bp_tensor_desc_t *out = call->outputs[0];
  bool batched = x->ndim == nsp + 2, same = call->attrs[4]->value.b;
  bool has_bias = call->attrs[5]->value.b;
  conv_geom_t q;
  q.x = as_nchw(x, nsp, batched);
  q.w = as_nchw(w, nsp, true);
  q.o = as_nchw(out, nsp, batched);
  q.groups = call->attrs[3]->value.i;
  q.cg = q.w.c;
  q.coutg = q.w.n / q.groups;
  q.kdim = q.cg * q.w.h * q.w.w;
  q.ohw = q.o.h * q.o.w;
  for (int i = 0; i < 2; ++i) {
    if (nsp == 1 && i == 0) {
      q.stride[0] = q.dil[0] = 1;
      q.pad[0] = 0;
      continue;
    }
    int j = nsp == 1 ? 0 : i;
    q.stride[i] = attr_at(call->attrs[0], nsp, j, 1);
    q.dil[i] = attr_at(call->attrs[2], nsp, j, 1);
    int64_t k = i == 0 ? q.w.h : q.w.w;
    q.pad[i] = same ? q.dil[i] * (k - 1) / 2 : attr_at(call->attrs[1], nsp, j, 0);
  }
  if (bp_ref_numel(out) == 0) return BP_STATUS_OK;
  bp_ref_ct_t ct = bp_ref_ct_of(out->dtype);
  size_t es = bp_ref_ct_size(ct);
  char *wb = malloc(es * (size_t)(bp_ref_numel(w) + 1));
  char *col = malloc(es * (size_t)(q.kdim * q.ohw + 1));
  char *ob = malloc(es * (size_t)(q.coutg * q.ohw));
  char *bb = malloc(es * (size_t)q.w.n);
  if (!wb || !col || !ob || !bb) {
    free(wb); free(col); free(ob); free(bb);
    return oom(call);
  }
  bp_ref_ct_gather(ct, w, wb); /* [Cout, Cg*KH*KW], row-major */
  if (has_bias) bp_ref_ct_gather(ct, b, bb);
  const char *xbase = q.kdim ? bp_ref_base(x) : NULL;
  char *obase = bp_ref_base(out);
  size_t oes = bp_abi_dtype_size(out->dtype);
  bool ok = true;
  for (int64_t n = 0; n < q.x.n && ok; ++n)
    for (int64_t g = 0; g < q.groups && ok; ++g) {
      if (q.kdim) im2col(&q, ct, x->dtype, xbase, n, g, col);
      bp_ref_gemm_dims_t gd = {.m = q.coutg, .n = q.ohw, .k = q.kdim, .sam = q.kdim, .sak = 1,
                               .sbk = q.ohw, .sbn = 1, .scm = q.ohw, .scn = 1};
      ok = bp_ref_gemm(ct, &gd, wb + es * (size_t)(g * q.coutg * q.kdim), col, ob);
      for (int64_t co = 0; co < q.coutg && ok; ++co) {
        int64_t c = g * q.coutg + co;
        for (int64_t oh = 0; oh < q.o.h; ++oh)
          for (int64_t ow = 0; ow < q.o.w; ++ow) {
            int64_t i = co * q.ohw + oh * q.o.w + ow;
            if (has_bias) bp_ref_ct_add(ct, ob, i, bb, c);
            char *p = obase + (int64_t)oes * (n * q.o.sn + c * q.o.sc + oh * q.o.sh + ow * q.o.sw);
            bp_ref_ct_store(ct, out->dtype, p, ob, i);
          }
      }
    }
  free(wb); free(col); free(ob); free(bb);
  return ok ? BP_STATUS_OK : oom(call);
}

static bp_status_t ref_conv1d(const bp_kernel_call_t *call) { return ref_conv(call, 1); }
static bp_status_t ref_conv2d(const bp_kernel_call_t *call) { return ref_conv(call, 2); }

/* ---- conv_transpose2d: each output gathers its inputs ---- */

static bp_status_t ref_conv_transpose2d(const bp_kernel_call_t *call) {
  bp_status_t st = bp_ref_check_call(call, "conv_transpose2d", 3, 1);
  if (st) return st;
  const bp_tensor_desc_t *x = call->inputs[0], *w = call->inputs[1], *b = call->inputs[2];
  const bp_tensor_desc_t *out = call->outputs[0];
  bool batched = x->ndim == 4, has_bias = call->attrs[5]->value.b;
  nchw_t xq = as_nchw(x, 2, batched), wq = as_nchw(w, 2, true), oq = as_nchw(out, 2, batched);
  int64_t groups = call->attrs[3]->value.i, s[2], p[2], d[2];
  for (int i = 0; i < 2; ++i) {
    s[i] = attr_at(call->attrs[0], 2, i, 1);
    p[i] = attr_at(call->attrs[1], 2, i, 0);
    d[i] = attr_at(call->attrs[4], 2, i, 1);
  }
  if (bp_ref_numel(out) == 0) return BP_STATUS_OK;
  const bool is_float = bp_ref_dtype_is_float(out->dtype);
  const bp_ref_load_f64_fn lf = bp_ref_loader_f64(out->dtype);
  const bp_ref_load_i64_fn li = bp_ref_loader_i64(out->dtype);
  const bp_ref_store_f64_fn sf = bp_ref_storer_f64(out->dtype);
  const bp_ref_store_i64_fn si = bp_ref_storer_i64(out->dtype);
  const size_t es = bp_abi_dtype_size(out->dtype);
  const int64_t cing = xq.c / groups, coutg = wq.c;
  const char *xb = bp_ref_numel(x) ? bp_ref_base(x) : NULL;
  const char *wbp = bp_ref_numel(w) ? bp_ref_base(w) : NULL;
  for (int64_t n = 0; n < oq.n; ++n)
    for (int64_t co = 0; co < oq.c; ++co) {
      const int64_t g = co / coutg, cw = co % coutg;
      for (int64_t oh = 0; oh < oq.h; ++oh)
        for (int64_t ow = 0; ow < oq.w; ++ow) {
          double accf = 0.0;
          uint64_t acci = 0;
          if (has_bias) {
            const char *bp = bp_ref_base(b) + (int64_t)es * co * b->strides[0];
            if (is_float) accf = lf(bp); else acci = (uint64_t)li(bp);
          }
          for (int64_t kh = 0; kh < wq.h; ++kh) {
            int64_t th = oh + p[0] - kh * d[0];
            if (th < 0 || th % s[0]) continue;
            int64_t ih = th / s[0];
            if (ih >= xq.h) continue;
            for (int64_t kw = 0; kw < wq.w; ++kw) {
              int64_t tw = ow + p[1] - kw * d[1];
              if (tw < 0 || tw % s[1]) continue;
              int64_t iw = tw / s[1];
              if (iw >= xq.w) continue;
              for (int64_t ci = g * cing; ci < (g + 1) * cing; ++ci) {
                const char *xp = xb + (int64_t)es * (n * xq.sn + ci * xq.sc + ih * xq.sh + iw * xq.sw);
                const char *wp = wbp + (int64_t)es * (ci * wq.sn + cw * wq.sc + kh * wq.sh + kw * wq.sw);
                if (is_float)
                  accf += lf(xp) * lf(wp);
                else
                  acci += (uint64_t)li(xp) * (uint64_t)li(wp);
              }
            }
          }
          char *op = bp_ref_base(out) + (int64_t)es * (n * oq.sn + co * oq.sc + oh * oq.sh + ow * oq.sw);
          if (is_float) sf(op, accf); else si(op, (int64_t)acci);
        }
    }
  return BP_STATUS_OK;
}

/* ---- pooling ---- */

typedef struct pool_geom {
  nchw_t x, o;
  int64_t k[2], s[2], p[2], d[2];
} pool_geom_t;

static pool_geom_t pool_geom(const bp_kernel_call_t *call, const bp_tensor_desc_t *x,
                             const bp_tensor_desc_t *out, const bp_attr_t *dil) {
  pool_geom_t q;
  bool batched = x->ndim == 4;
  q.x = as_nchw(x, 2, batched);
  q.o = as_nchw(out, 2, batched);
  for (int i = 0; i < 2; ++i) {
    q.k[i] = attr_at(call->attrs[0], 2, i, 1);
    q.s[i] = attr_at(call->attrs[1], 2, i, q.k[i]);
    q.p[i] = attr_at(call->attrs[2], 2, i, 0);
    q.d[i] = dil ? attr_at(dil, 2, i, 1) : 1;
  }
  return q;
}

static bp_status_t ref_max_pool2d(const bp_kernel_call_t *call) {
  bp_status_t st = bp_ref_check_call(call, "max_pool2d", 1, 2);
  if (st) return st;
  const bp_tensor_desc_t *x = call->inputs[0], *vo = call->outputs[0], *io = call->outputs[1];
  pool_geom_t q = pool_geom(call, x, vo, call->attrs[3]);
  nchw_t iq = as_nchw(io, 2, x->ndim == 4);
  if (bp_ref_numel(vo) == 0) return BP_STATUS_OK;
  const bp_ref_load_f64_fn lf = bp_ref_loader_f64(x->dtype);
  const bp_ref_store_f64_fn sf = bp_ref_storer_f64(x->dtype);
  const size_t es = bp_abi_dtype_size(x->dtype);
  for (int64_t n = 0; n < q.o.n; ++n)
    for (int64_t c = 0; c < q.o.c; ++c) {
      const char *plane = bp_ref_base(x) + (int64_t)es * (n * q.x.sn + c * q.x.sc);
      for (int64_t oh = 0; oh < q.o.h; ++oh)
        for (int64_t ow = 0; ow < q.o.w; ++ow) {
          /* torch's loop: the first in-bounds element is the default index;
           * a larger value or a NaN replaces the running max. */
          int64_t h0 = oh * q.s[0] - q.p[0], w0 = ow * q.s[1] - q.p[1];
          int64_t h1 = h0 + (q.k[0] - 1) * q.d[0] + 1, w1 = w0 + (q.k[1] - 1) * q.d[1] + 1;
          if (h1 > q.x.h) h1 = q.x.h;
          if (w1 > q.x.w) w1 = q.x.w;
          while (h0 < 0) h0 += q.d[0];
          while (w0 < 0) w0 += q.d[1];
          double best = -INFINITY;
          int64_t arg = h0 * q.x.w + w0;
          for (int64_t ih = h0; ih < h1; ih += q.d[0])
            for (int64_t iw = w0; iw < w1; iw += q.d[1]) {
              double v = lf(plane + (int64_t)es * (ih * q.x.sh + iw * q.x.sw));
              if (v > best || isnan(v)) {
                best = v;
                arg = ih * q.x.w + iw;
              }
            }
          sf(bp_ref_base(vo) + (int64_t)es * (n * q.o.sn + c * q.o.sc + oh * q.o.sh + ow * q.o.sw), best);
          int64_t *ip = (int64_t *)(void *)bp_ref_base(io) + n * iq.sn + c * iq.sc + oh * iq.sh + ow * iq.sw;
          *ip = arg;
        }
    }
  return BP_STATUS_OK;
}

static bp_status_t ref_avg_pool2d(const bp_kernel_call_t *call) {
  bp_status_t st = bp_ref_check_call(call, "avg_pool2d", 1, 1);
  if (st) return st;
  const bp_tensor_desc_t *x = call->inputs[0], *out = call->outputs[0];
  pool_geom_t q = pool_geom(call, x, out, NULL);
  bool include_pad = call->attrs[4]->value.b;
  int64_t override = call->attrs[5]->value.i;
  if (bp_ref_numel(out) == 0) return BP_STATUS_OK;
  const bool is_float = bp_ref_dtype_is_float(x->dtype);
  const bp_ref_load_f64_fn lf = bp_ref_loader_f64(x->dtype);
  const bp_ref_store_f64_fn sf = bp_ref_storer_f64(x->dtype);
  const size_t es = bp_abi_dtype_size(x->dtype);
  for (int64_t n = 0; n < q.o.n; ++n)
    for (int64_t c = 0; c < q.o.c; ++c) {
      const char *plane = bp_ref_base(x) + (int64_t)es * (n * q.x.sn + c * q.x.sc);
      for (int64_t oh = 0; oh < q.o.h; ++oh)
        for (int64_t ow = 0; ow < q.o.w; ++ow) {
          /* torch's avg_pool2d: the window clipped to the padded input gives
           * the count with padding, clipped to the input the one without. */
          int64_t h0 = oh * q.s[0] - q.p[0], w0 = ow * q.s[1] - q.p[1];
          int64_t h1 = h0 + q.k[0], w1 = w0 + q.k[1];
          if (h1 > q.x.h + q.p[0]) h1 = q.x.h + q.p[0];
          if (w1 > q.x.w + q.p[1]) w1 = q.x.w + q.p[1];
          int64_t pool_size = (h1 - h0) * (w1 - w0);
          if (h0 < 0) h0 = 0;
          if (w0 < 0) w0 = 0;
          if (h1 > q.x.h) h1 = q.x.h;
          if (w1 > q.x.w) w1 = q.x.w;
          char *op = bp_ref_base(out) + (int64_t)es * (n * q.o.sn + c * q.o.sc + oh * q.o.sh + ow * q.o.sw);
          int64_t divisor = override ? override : include_pad ? pool_size : (h1 - h0) * (w1 - w0);
          double sumf = 0.0;
          uint64_t sumi = 0;
          for (int64_t ih = h0; ih < h1; ++ih)
            for (int64_t iw = w0; iw < w1; ++iw) {
              const char *p = plane + (int64_t)es * (ih * q.x.sh + iw * q.x.sw);
              if (is_float) sumf += lf(p); else sumi += (uint64_t) * (const int64_t *)(const void *)p;
            }
          if (h0 >= h1 || w0 >= w1 || divisor <= 0) {
            if (is_float) sf(op, 0.0); else *(int64_t *)(void *)op = 0;
          } else if (is_float) {
            sf(op, sumf / (double)divisor);
          } else {
            *(int64_t *)(void *)op = (int64_t)sumi / divisor;
          }
        }
    }
  return BP_STATUS_OK;
}

static bp_status_t ref_adaptive_avg_pool2d(const bp_kernel_call_t *call) {
  bp_status_t st = bp_ref_check_call(call, "adaptive_avg_pool2d", 1, 1);
  if (st) return st;
  const bp_tensor_desc_t *x = call->inputs[0], *out = call->outputs[0];
  bool batched = x->ndim == 4;
  nchw_t xq = as_nchw(x, 2, batched), oq = as_nchw(out, 2, batched);
  if (bp_ref_numel(out) == 0) return BP_STATUS_OK;
  const bp_ref_load_f64_fn lf = bp_ref_loader_f64(x->dtype);
  const bp_ref_store_f64_fn sf = bp_ref_storer_f64(x->dtype);
  const size_t es = bp_abi_dtype_size(x->dtype);
  for (int64_t n = 0; n < oq.n; ++n)
    for (int64_t c = 0; c < oq.c; ++c) {
      const char *plane = bp_ref_base(x) + (int64_t)es * (n * xq.sn + c * xq.sc);
      for (int64_t oh = 0; oh < oq.h; ++oh) {
        int64_t h0 = oh * xq.h / oq.h, h1 = ((oh + 1) * xq.h + oq.h - 1) / oq.h;
        for (int64_t ow = 0; ow < oq.w; ++ow) {
          int64_t w0 = ow * xq.w / oq.w, w1 = ((ow + 1) * xq.w + oq.w - 1) / oq.w;
          double sum = 0.0;
          for (int64_t ih = h0; ih < h1; ++ih)
            for (int64_t iw = w0; iw < w1; ++iw)
              sum += lf(plane + (int64_t)es * (ih * xq.sh + iw * xq.sw));
          sf(bp_ref_base(out) + (int64_t)es * (n * oq.sn + c * oq.sc + oh * oq.sh + ow * oq.sw),
             sum / (double)((h1 - h0) * (w1 - w0)));
        }
      }
    }
  return BP_STATUS_OK;
}

/* ---- registration ---- */

#define SIG4(t) {t, t, t, t}
static const bp_dtype_t sig4[][4] = {
    SIG4(BP_DTYPE_U8),  SIG4(BP_DTYPE_I8),   SIG4(BP_DTYPE_I32), SIG4(BP_DTYPE_I64),
    SIG4(BP_DTYPE_F16), SIG4(BP_DTYPE_BF16), SIG4(BP_DTYPE_F32), SIG4(BP_DTYPE_F64)};
#undef SIG4
/* sig4 rows 3.. : i64 and the floats. */
static const bp_dtype_t max_pool_sigs[][3] = {
    {BP_DTYPE_F16, BP_DTYPE_F16, BP_DTYPE_I64}, {BP_DTYPE_BF16, BP_DTYPE_BF16, BP_DTYPE_I64},
    {BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_I64}, {BP_DTYPE_F64, BP_DTYPE_F64, BP_DTYPE_I64}};

bp_status_t bp_ref_nn_register(const bp_host_api_t *host) {
  bp_status_t st = BP_STATUS_OK;
  for (size_t i = 0; i < 8 && !st; ++i) {
    st = bp_ref_register(host, "linear", sig4[i], 4, ref_linear, NULL);
    if (!st) st = bp_ref_register(host, "conv1d", sig4[i], 4, ref_conv1d, NULL);
    if (!st) st = bp_ref_register(host, "conv2d", sig4[i], 4, ref_conv2d, NULL);
  }
  for (size_t i = 3; i < 8 && !st; ++i) {
    st = bp_ref_register(host, "conv_transpose2d", sig4[i], 4, ref_conv_transpose2d, NULL);
    if (!st) st = bp_ref_register(host, "avg_pool2d", sig4[i], 2, ref_avg_pool2d, NULL);
  }
  for (size_t i = 4; i < 8 && !st; ++i)
    st = bp_ref_register(host, "adaptive_avg_pool2d", sig4[i], 2, ref_adaptive_avg_pool2d, NULL);
  for (size_t i = 0; i < 4 && !st; ++i)
    st = bp_ref_register(host, "max_pool2d", max_pool_sigs[i], 3, ref_max_pool2d, NULL);
  return st;
}
