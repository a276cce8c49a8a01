/* bp_vk_ops_nn.c - the as_is nn ops a training step needs: linear (the
 * matmul record path, then the bias added by the binary shader), softmax
 * and log_softmax with their backward ops, cross_entropy, one_hot,
 * nll_loss, max_pool2d, avg_pool2d and adaptive_avg_pool2d with their backward ops.
 * Semantics: reference/src/ref_nn*.c. Float
 * math in f32 (f16/bf16 rounded once); the ops that need exp or log are
 * declined for f64 (GLSL.std.450 has no f64 exp/log). */
#include <stdio.h>
#include <string.h>

#include "bp_vk_kernel_util.h"
#include "bp_vk_ops_pool.h"

enum { NN_SOFTMAX, NN_LOG_SOFTMAX, NN_SOFTMAX_BW, NN_LOG_SOFTMAX_BW, NN_XENT, NN_ONE_HOT, NN_MAXPOOL,
       NN_MAXPOOL_BW, NN_LINEAR, NN_AVGPOOL, NN_ADAPTIVE, NN_AVGPOOL_BW, NN_ADAPTIVE_BW, NN_NLL };

static int32_t variant_nn(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  char name[32];
  bp_dtype_t dt = call->inputs[0]->dtype;
  switch (k->op) {
    case NN_SOFTMAX: case NN_LOG_SOFTMAX: case NN_SOFTMAX_BW: case NN_LOG_SOFTMAX_BW:
      snprintf(name, sizeof name, "sm_%u_%u", dt, k->op);
      break;
    case NN_XENT: snprintf(name, sizeof name, "xent_%u_%u", dt, call->inputs[1]->dtype != BP_DTYPE_I64); break;
    case NN_NLL: snprintf(name, sizeof name, "xent_%u_2", dt); break;
    case NN_ONE_HOT: snprintf(name, sizeof name, "onehot"); break;
    case NN_MAXPOOL: snprintf(name, sizeof name, "mp_%u_0", dt); break;
    case NN_MAXPOOL_BW: { /* f32: the sum in f64 where the device can (the reference's rounding) */
      bpvk_ctx_t *ctx = call->plugin_ctx;
      int32_t v64 = bpvk_variant_find("mp_8_1d");
      if (dt == BP_DTYPE_F32 && bpvk_variant_usable(&ctx->devices[call->device_index], v64)) return v64;
      snprintf(name, sizeof name, "mp_%u_1", dt);
      break;
    }
    case NN_AVGPOOL: case NN_ADAPTIVE: case NN_AVGPOOL_BW: case NN_ADAPTIVE_BW:
      snprintf(name, sizeof name, "ap_%u_%u", dt, k->op - NN_AVGPOOL);
      break;
    default: snprintf(name, sizeof name, "binary_%u", call->outputs[0]->dtype); break; /* linear's bias */
  }
  return bpvk_variant_find(name);
}

static bool nn_ok(const bp_kernel_call_t *call, const bpvk_kernel_t *k);
#define NN(op) {variant_nn, nn_ok, op, 0}
static const bpvk_kernel_t kNN[] = {NN(NN_SOFTMAX), NN(NN_LOG_SOFTMAX), NN(NN_SOFTMAX_BW), NN(NN_LOG_SOFTMAX_BW),
                                    NN(NN_XENT), NN(NN_ONE_HOT), NN(NN_MAXPOOL), NN(NN_MAXPOOL_BW), NN(NN_LINEAR),
                                    NN(NN_AVGPOOL), NN(NN_ADAPTIVE), NN(NN_AVGPOOL_BW), NN(NN_ADAPTIVE_BW),
                                    NN(NN_NLL)};
#undef NN

/* ---- linear: out = x @ weight^T (+ bias) ---- */

/* x [..., K] as matmul's a [B..., M, K], weight [N, K] as b [B..., K, N]
 * (batch strides 0), out [..., N] as [B..., M, N]; a 1-D x is [1, K]. */
typedef struct linear_views { bp_tensor_desc_t a, b, o; int64_t sa[BPVK_MAX_DIMS], ea[BPVK_MAX_DIMS],
                              sb[BPVK_MAX_DIMS], eb[BPVK_MAX_DIMS], so[BPVK_MAX_DIMS], eo[BPVK_MAX_DIMS]; }
    linear_views_t;

static bool linear_views(const bp_kernel_call_t *call, linear_views_t *v) {
  const bp_tensor_desc_t *x = call->inputs[0], *w = call->inputs[1], *o = call->outputs[0];
  if (w->ndim != 2 || x->ndim < 1 || o->ndim != x->ndim) return false;
  int32_t nd = x->ndim < 2 ? 2 : x->ndim;
  if (nd > BPVK_MAX_DIMS) return false;
  v->a = *x;
  v->b = *w;
  v->o = *o;
  if (x->ndim == 1) {
    v->ea[0] = 1, v->sa[0] = 0, v->ea[1] = x->shape[0], v->sa[1] = x->strides[0];
    v->eo[0] = 1, v->so[0] = 0, v->eo[1] = o->shape[0], v->so[1] = o->strides[0];
  } else {
    memcpy(v->ea, x->shape, sizeof(int64_t) * (size_t)nd);
    memcpy(v->sa, x->strides, sizeof(int64_t) * (size_t)nd);
    memcpy(v->eo, o->shape, sizeof(int64_t) * (size_t)nd);
    memcpy(v->so, o->strides, sizeof(int64_t) * (size_t)nd);
  }
  for (int32_t i = 0; i < nd - 2; ++i) v->eb[i] = v->ea[i], v->sb[i] = 0;
  v->eb[nd - 2] = w->shape[1], v->sb[nd - 2] = w->strides[1];
  v->eb[nd - 1] = w->shape[0], v->sb[nd - 1] = w->strides[0];
  v->a.ndim = v->b.ndim = v->o.ndim = nd;
  v->a.shape = v->ea, v->a.strides = v->sa;
  v->b.shape = v->eb, v->b.strides = v->sb;
  v->o.shape = v->eo, v->o.strides = v->so;
  return true;
}

static bp_status_t rec_linear(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  linear_views_t v;
  linear_views(call, &v);
  bp_status_t s = bpvk_record_matmul(d, &v.a, &v.b, &v.o);
  if (s || !bpvk_attr_b(call, "has_bias", true)) return s;
  /* out += bias: the binary add shader (op 0) on (out, out, bias expanded) */
  const bp_tensor_desc_t *o = call->outputs[0], *bias = call->inputs[2];
  int64_t bs[BPVK_MAX_DIMS] = {0};
  bs[o->ndim - 1] = bias->strides[0];
  bp_tensor_desc_t be = *bias;
  be.ndim = o->ndim;
  be.shape = o->shape;
  be.strides = bs;
  const bp_tensor_desc_t *ops[3] = {o, o, &be};
  uint32_t w[BPVK_EW_WORDS];
  bpvk_ew_params(w, ops, 3);
  bp_dtype_t dt = o->dtype; /* alpha = 1 in the dtype's word form (rec_binary) */
  if (dt == BP_DTYPE_F64) bpvk_put_f64(w + BPVK_EW_EXTRA, 1.0);
  else if (dt >= BP_DTYPE_F16) bpvk_put_f32(w + BPVK_EW_EXTRA, 1.0);
  else bpvk_put_u64(w + BPVK_EW_EXTRA, 1);
  VkBuffer bufs[3] = {bpvk_vt(o).buffer, bpvk_vt(o).buffer, bpvk_vt(bias).buffer};
  uint32_t gx, gy;
  bpvk_grid_1d(w[BPVK_EW_NUMEL], 256, &gx, &gy);
  return bpvk_dispatch_checked(d, variant, 0, bufs, w, BPVK_EW_WORDS, gx, gy, 1, NULL);
}

/* ---- softmax family: rows along dim (shaders/rows.glsl) ---- */

enum { ROW_WORDS = 48 };

/* Words for tensors t[0..n) of one shape, rows along `dim`. */
static void row_params(uint32_t *w, const bp_tensor_desc_t *const *t, int n, int32_t dim) {
  memset(w, 0, ROW_WORDS * 4);
  const bp_tensor_desc_t *x = t[0];
  uint32_t kn = 0;
  uint64_t rows = 1;
  for (int32_t i = 0; i < x->ndim; ++i) {
    if (i == dim || x->shape[i] == 1) continue;
    w[3 + kn] = (uint32_t)x->shape[i];
    for (int k = 0; k < n; ++k) w[11 + 8 * k + kn] = (uint32_t)t[k]->strides[i];
    rows *= (uint64_t)x->shape[i];
    ++kn;
  }
  w[0] = (uint32_t)rows;
  w[1] = x->ndim ? (uint32_t)x->shape[dim] : 1u;
  w[2] = kn;
  for (int k = 0; k < n; ++k) {
    w[35 + k] = bpvk_vt(t[k]).offset;
    w[38 + k] = x->ndim ? (uint32_t)t[k]->strides[dim] : 0u;
  }
}

static bp_status_t rec_softmax(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  const bp_tensor_desc_t *t[3] = {call->inputs[0], call->num_inputs > 1 ? call->inputs[1] : call->outputs[0],
                                  call->outputs[0]};
  int n = call->num_inputs > 1 ? 3 : 2;
  int32_t dim = (int32_t)bpvk_attr_i(call, "dim", -1);
  if (call->inputs[0]->ndim == 0) dim = 0;
  uint32_t w[ROW_WORDS];
  row_params(w, t, n, dim);
  uint32_t gx, gy;
  bpvk_grid_1d(w[0], 1, &gx, &gy);
  return bpvk_record_tensors(d, call, variant, 0, w, ROW_WORDS, gx, gy, 1, NULL);
}

/* ---- cross_entropy and nll_loss (shaders/xent.comp) ---- */

enum { XE_WORDS = 52 };

static bp_status_t rec_xent(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  const bpvk_kernel_t *k = call->kernel_data;
  const bp_tensor_desc_t *x = call->inputs[0], *t = call->inputs[1], *wt = call->inputs[2], *o = call->outputs[0];
  bool probs = t->dtype != BP_DTYPE_I64, nll = k->op == NN_NLL;
  int64_t reduction = bpvk_attr_i(call, "reduction", 1);
  uint32_t w[XE_WORDS];
  memset(w, 0, sizeof w);
  int32_t cdim = x->ndim == 1 ? 0 : 1;
  uint64_t count = 1;
  uint32_t sn = 0;
  for (int32_t i = 0; i < x->ndim; ++i) {
    if (i == cdim) continue;
    w[5 + sn] = (uint32_t)x->shape[i];
    w[13 + sn] = (uint32_t)x->strides[i];
    /* class targets have the loss shape (x without dim 1); probabilities x's */
    w[21 + sn] = (uint32_t)(probs ? t->strides[i] : t->strides[sn]);
    if (reduction == 0) w[34 + sn] = (uint32_t)o->strides[sn];
    count *= (uint64_t)x->shape[i];
    ++sn;
  }
  if (count == 0 || x->shape[cdim] == 0) return BP_STATUS_UNSUPPORTED; /* excluded by xent_ok */
  w[0] = (uint32_t)count;
  w[1] = (uint32_t)x->shape[cdim];
  w[2] = (uint32_t)x->strides[cdim];
  w[3] = bpvk_vt(x).offset;
  w[4] = sn;
  w[29] = bpvk_vt(t).offset;
  w[30] = probs ? (uint32_t)t->strides[cdim] : 0u;
  bool has_w = bpvk_attr_b(call, "has_weight", false);
  w[31] = has_w ? bpvk_vt(wt).offset : 0u;
  w[32] = has_w ? (uint32_t)wt->strides[0] : 0u;
  w[33] = bpvk_vt(o).offset;
  w[42] = (uint32_t)reduction;
  bpvk_put_u64(w + 43, (uint64_t)bpvk_attr_i(call, "ignore_index", -100));
  bpvk_put_f32(w + 45, bpvk_attr_f(call, "label_smoothing", 0.0));
  w[46] = has_w ? 1u : 0u;
  if (nll) w[48] = bpvk_vt(call->outputs[1]).offset;
  uint32_t gx = 1, gy = 1;
  if (reduction == 0 && !nll) bpvk_grid_1d(count, 256, &gx, &gy); /* nll_loss: one group adds total_weight */
  return bpvk_record_tensors(d, call, variant, 0, w, XE_WORDS, gx, gy, 1,
                             probs ? NULL
                             : nll ? "nll_loss: a target is out of bounds (expected 0..C-1 or ignore_index)"
                                   : "cross_entropy: a target is out of bounds (expected 0..C-1 or ignore_index)");
}

/* ---- one_hot ---- */

static bp_status_t rec_one_hot(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  const bp_tensor_desc_t *x = call->inputs[0], *o = call->outputs[0];
  uint32_t w[32];
  memset(w, 0, sizeof w);
  w[0] = (uint32_t)bpvk_numel(o);
  w[1] = (uint32_t)o->shape[o->ndim - 1];
  w[2] = (uint32_t)x->ndim;
  for (int32_t i = 0; i < x->ndim; ++i) {
    w[3 + i] = (uint32_t)x->shape[i];
    w[11 + i] = (uint32_t)x->strides[i];
    w[20 + i] = (uint32_t)o->strides[i];
  }
  w[19] = bpvk_vt(x).offset;
  w[28] = (uint32_t)o->strides[o->ndim - 1];
  w[29] = bpvk_vt(o).offset;
  uint32_t gx, gy;
  bpvk_grid_1d(w[0], 256, &gx, &gy);
  return bpvk_record_tensors(d, call, variant, 0, w, 32, gx, gy, 1,
                             "one_hot: a class value is outside [0, num_classes)");
}

/* ---- max_pool2d and its backward (shaders/maxpool.comp) ---- */

enum { MP_WORDS = 36 };

/* The words shaders/maxpool.comp and avgpool.comp share: x's [N, C, H, W]
 * sizes (1..4), strides (5..8) and offset (9); the output plane (10, 11);
 * v's strides (12..15) and offset (16); kernel size, stride and padding
 * (22..27). v is the pooled tensor (the output, or grad_output). */
static void pool_words(const bp_kernel_call_t *call, const bp_tensor_desc_t *x, const bp_tensor_desc_t *v,
                       uint32_t w[MP_WORDS]) {
  int64_t xe[4], xs[4], ve[4], vs[4];
  bpvk_nchw(x, xe, xs);
  bpvk_nchw(v, ve, vs);
  memset(w, 0, MP_WORDS * sizeof *w);
  for (int i = 0; i < 4; ++i) {
    w[1 + i] = (uint32_t)xe[i];
    w[5 + i] = (uint32_t)xs[i];
    w[12 + i] = (uint32_t)vs[i];
  }
  w[9] = bpvk_numel(x) ? bpvk_vt(x).offset : 0u;
  w[10] = (uint32_t)ve[2];
  w[11] = (uint32_t)ve[3];
  w[16] = bpvk_numel(v) ? bpvk_vt(v).offset : 0u;
  for (int i = 0; i < 2; ++i) {
    int64_t ks = bpvk_attr2(call, "kernel_size", i, 1);
    w[22 + i] = (uint32_t)ks;
    w[24 + i] = (uint32_t)bpvk_attr2(call, "stride", i, ks);
    w[26 + i] = (uint32_t)bpvk_attr2(call, "padding", i, 0);
  }
}

static bp_status_t rec_maxpool(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  const bpvk_kernel_t *k = call->kernel_data;
  bool bw = k->op == NN_MAXPOOL_BW;
  { /* CPU devices (the backward: non-overlapping windows): bp_vk_ops_pool.c */
    bool done;
    bp_status_t st = bw ? bpvk_maxpool_bw_cpu(d, call, &done) : bpvk_maxpool_cpu(d, call, &done);
    if (done) return st;
  }
  const bp_tensor_desc_t *x = bw ? call->inputs[1] : call->inputs[0];
  const bp_tensor_desc_t *v = bw ? call->inputs[0] : call->outputs[0];
  const bp_tensor_desc_t *ix = bw ? call->inputs[2] : call->outputs[1];
  int64_t ie[4], is[4], ge[4], gs[4];
  uint32_t w[MP_WORDS];
  pool_words(call, x, v, w);
  bpvk_nchw(ix, ie, is);
  for (int i = 0; i < 4; ++i) w[17 + i] = (uint32_t)is[i];
  w[21] = bpvk_numel(ix) ? bpvk_vt(ix).offset : 0u;
  for (int i = 0; i < 2; ++i) w[28 + i] = (uint32_t)bpvk_attr2(call, "dilation", i, 1);
  uint64_t items = (uint64_t)bpvk_numel(v);
  if (bw) {
    const bp_tensor_desc_t *g = call->outputs[0];
    bpvk_nchw(g, ge, gs);
    for (int i = 0; i < 4; ++i) w[30 + i] = (uint32_t)gs[i];
    w[34] = bpvk_vt(g).offset;
    if ((uint64_t)bpvk_numel(g) > items) items = (uint64_t)bpvk_numel(g);
  }
  w[0] = (uint32_t)items;
  uint32_t gx, gy;
  bpvk_grid_1d(items, 256, &gx, &gy);
  return bpvk_record_tensors(d, call, variant, 0, w, MP_WORDS, gx, gy, 1,
                             bw ? "max_pool2d_backward: an index is not in its pooling window "
                                  "(out of range for the input plane, or not from max_pool2d)"
                                : NULL);
}

/* ---- avg_pool2d, adaptive_avg_pool2d and their backward (shaders/avgpool.comp) ---- */

static bp_status_t rec_avgpool(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  const bpvk_kernel_t *k = call->kernel_data;
  bool bw = k->op == NN_AVGPOOL_BW || k->op == NN_ADAPTIVE_BW;
  if (k->op == NN_AVGPOOL || k->op == NN_AVGPOOL_BW) { /* CPU devices: bp_vk_ops_pool.c */
    bool done;
    bp_status_t st = bpvk_avgpool_cpu(d, call, bw, &done);
    if (done) return st;
  }
  const bp_tensor_desc_t *x = bw ? call->inputs[1] : call->inputs[0];
  const bp_tensor_desc_t *v = bw ? call->inputs[0] : call->outputs[0];
  int64_t ge[4], gs[4];
  uint32_t w[MP_WORDS];
  pool_words(call, x, v, w);
  w[28] = bpvk_attr_b(call, "count_include_pad", true) ? 1u : 0u;
  w[29] = (uint32_t)(int32_t)bpvk_attr_i(call, "divisor_override", 0);
  uint64_t items = (uint64_t)bpvk_numel(v);
  VkBuffer bufs[3] = {bpvk_numel(v) ? bpvk_vt(v).buffer : VK_NULL_HANDLE, VK_NULL_HANDLE, VK_NULL_HANDLE};
  if (bw) {
    const bp_tensor_desc_t *g = call->outputs[0];
    bpvk_nchw(g, ge, gs);
    for (int i = 0; i < 4; ++i) w[30 + i] = (uint32_t)gs[i];
    w[34] = bpvk_vt(g).offset;
    items = (uint64_t)bpvk_numel(g);
    bufs[2] = bpvk_vt(g).buffer;
  } else {
    bufs[0] = bpvk_vt(x).buffer;
    bufs[1] = bpvk_vt(v).buffer;
  }
  w[0] = (uint32_t)items;
  uint32_t gx, gy;
  bpvk_grid_1d(items, 256, &gx, &gy);
  return bpvk_dispatch_n(d, variant, 0, bufs, 3, w, MP_WORDS, gx, gy, 1, NULL);
}

/* ---- checks and entry points ---- */

static bool nn_ok(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  bpvk_ctx_t *ctx = call->plugin_ctx;
  switch (k->op) {
    case NN_LINEAR: {
      linear_views_t v;
      if (!linear_views(call, &v)) return false;
      if (bpvk_attr_b(call, "has_bias", true) && call->inputs[2]->ndim != 1) return false;
      return bpvk_matmul_usable(&ctx->devices[call->device_index], &v.a, &v.b, &v.o);
    }
    case NN_XENT: case NN_NLL: {
      const bp_tensor_desc_t *x = call->inputs[0];
      if (x->ndim < 1 || x->ndim > BPVK_MAX_DIMS) return false;
      if (bpvk_numel(x) == 0) return false; /* the reference's empty-batch cases */
      return !bpvk_attr_b(call, "has_weight", false) || call->inputs[2]->ndim == 1;
    }
    case NN_ONE_HOT: /* no classes but some values: the reference's error */
      return call->outputs[0]->ndim >= 1 &&
             (call->outputs[0]->shape[call->outputs[0]->ndim - 1] > 0 || bpvk_numel(call->inputs[0]) == 0);
    case NN_MAXPOOL: case NN_MAXPOOL_BW: case NN_AVGPOOL: case NN_ADAPTIVE: case NN_AVGPOOL_BW:
    case NN_ADAPTIVE_BW: {
      bool fwd = k->op == NN_MAXPOOL || k->op == NN_AVGPOOL || k->op == NN_ADAPTIVE;
      const bp_tensor_desc_t *x = fwd ? call->inputs[0] : call->inputs[1];
      return x->ndim == 3 || x->ndim == 4;
    }
    default: return true;
  }
}

static bp_status_t k_linear(const bp_kernel_call_t *c) { return bpvk_kernel_run(c, rec_linear); }
static bp_status_t k_softmax(const bp_kernel_call_t *c) {
  const bpvk_kernel_t *k = c->kernel_data;
  if (k->op <= NN_LOG_SOFTMAX_BW) { /* f32 rows on CPU devices, where they fit (same order) */
    bp_status_t s = bpvk_softmax_texel(c, k->op - NN_SOFTMAX);
    if (s != BP_STATUS_UNSUPPORTED) return s;
  }
  return bpvk_kernel_run(c, rec_softmax);
}
static bp_status_t k_xent(const bp_kernel_call_t *c) { return bpvk_kernel_run(c, rec_xent); }
static bp_status_t k_one_hot(const bp_kernel_call_t *c) { return bpvk_kernel_run(c, rec_one_hot); }
static bp_status_t k_maxpool(const bp_kernel_call_t *c) { return bpvk_kernel_run(c, rec_maxpool); }
static bp_status_t k_avgpool(const bp_kernel_call_t *c) { return bpvk_kernel_run(c, rec_avgpool); }

bp_status_t bpvk_ops_nn_register(bpvk_ctx_t *ctx) {
  static const char *const sm_ops[] = {"softmax", "log_softmax", "softmax_backward", "log_softmax_backward"};
  bp_dtype_t i64[2] = {BP_DTYPE_I64, BP_DTYPE_I64};
  bp_status_t s = bpvk_kernel_reg(ctx, "one_hot", "onehot", i64, 2, k_one_hot, &kNN[NN_ONE_HOT]);
  char name[32];
  for (bp_dtype_t t = BP_DTYPE_U8; t <= BP_DTYPE_F64 && !s; ++t) {
    bp_dtype_t s4[4] = {t, t, t, t};
    snprintf(name, sizeof name, "binary_%u", t);
    s = bpvk_kernel_reg(ctx, "linear", name, s4, 4, k_linear, &kNN[NN_LINEAR]);
  }
  for (bp_dtype_t t = BP_DTYPE_F16; t <= BP_DTYPE_F64 && !s; ++t) {
    bp_dtype_t s2[2] = {t, t}, s3[3] = {t, t, t}, mp[3] = {t, t, BP_DTYPE_I64}, mpb[4] = {t, t, BP_DTYPE_I64, t};
    bp_dtype_t xc[4] = {t, BP_DTYPE_I64, t, t}, xp[4] = {t, t, t, t};
    for (uint32_t op = NN_SOFTMAX; op <= NN_LOG_SOFTMAX_BW && !s; ++op) {
      snprintf(name, sizeof name, "sm_%u_%u", t, op);
      s = bpvk_kernel_reg(ctx, sm_ops[op], name, op >= NN_SOFTMAX_BW ? s3 : s2, op >= NN_SOFTMAX_BW ? 3 : 2,
                          k_softmax, &kNN[op]);
    }
    snprintf(name, sizeof name, "xent_%u_0", t);
    if (!s) s = bpvk_kernel_reg(ctx, "cross_entropy", name, xc, 4, k_xent, &kNN[NN_XENT]);
    snprintf(name, sizeof name, "xent_%u_1", t);
    if (!s) s = bpvk_kernel_reg(ctx, "cross_entropy", name, xp, 4, k_xent, &kNN[NN_XENT]);
    bp_dtype_t nl[5] = {t, BP_DTYPE_I64, t, t, t};
    snprintf(name, sizeof name, "xent_%u_2", t);
    if (!s) s = bpvk_kernel_reg(ctx, "nll_loss", name, nl, 5, k_xent, &kNN[NN_NLL]);
    snprintf(name, sizeof name, "mp_%u_0", t);
    if (!s) s = bpvk_kernel_reg(ctx, "max_pool2d", name, mp, 3, k_maxpool, &kNN[NN_MAXPOOL]);
    snprintf(name, sizeof name, "mp_%u_1", t);
    if (!s) s = bpvk_kernel_reg(ctx, "max_pool2d_backward", name, mpb, 4, k_maxpool, &kNN[NN_MAXPOOL_BW]);
    static const char *const ap_ops[] = {"avg_pool2d", "adaptive_avg_pool2d", "avg_pool2d_backward",
                                         "adaptive_avg_pool2d_backward"};
    for (uint32_t op = NN_AVGPOOL; op <= NN_ADAPTIVE_BW && !s; ++op) {
      snprintf(name, sizeof name, "ap_%u_%u", t, op - NN_AVGPOOL);
      bool bw = op >= NN_AVGPOOL_BW;
      s = bpvk_kernel_reg(ctx, ap_ops[op - NN_AVGPOOL], name, bw ? s3 : s2, bw ? 3 : 2, k_avgpool, &kNN[op]);
    }
  }
  bp_dtype_t i64s[2] = {BP_DTYPE_I64, BP_DTYPE_I64};
  if (!s) s = bpvk_kernel_reg(ctx, "avg_pool2d", "ap_5_0", i64s, 2, k_avgpool, &kNN[NN_AVGPOOL]);
  return s;
}
