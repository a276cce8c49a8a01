/* bp_vk_ops_norm.c - layer_norm, rms_norm, group_norm and batch_norm
 * through shaders/norm.comp, and the backward of layer_norm, group_norm
 * and batch_norm through shaders/normbw.comp (two passes: grad_input per
 * statistic group, then grad_weight and grad_bias per weight element). The
 * forward: each op is described as statistic
 * groups (group dims) of elements (element dims), every dim with its
 * strides in x, y, weight, bias, the saved statistics and the running
 * stats. Semantics of reference/src/ref_nn2_norm.c. */
#include <stdio.h>
#include <string.h>

#include "bp_vk_kernel_util.h"

enum { NM_LAYER, NM_RMS, NM_GROUP, NM_BATCH };
enum { T_X, T_Y, T_W, T_B, T_MEAN, T_RSTD, T_RM, T_RV, T_COUNT };
enum { NW_WORDS = 132, F_W = 1, F_B = 2, F_RMS = 4, F_MEAN = 8, F_RSTD = 16, F_EVAL = 32, F_UPDATE = 64 };

static int32_t variant_norm(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  (void)k;
  char name[32];
  snprintf(name, sizeof name, "norm_%u", call->inputs[0]->dtype);
  return bpvk_variant_find(name);
}

static bool norm_ok(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  const bp_tensor_desc_t *x = call->inputs[0];
  switch (k->op) {
    case NM_LAYER: case NM_RMS: {
      const bp_attr_t *a = bp_abi_find_attr(call, "normalized_shape");
      return a && a->type == BP_ATTR_INTS && (int32_t)a->count <= x->ndim;
    }
    case NM_GROUP: {
      int64_t g = bpvk_attr_i(call, "num_groups", 0);
      return x->ndim >= 2 && x->ndim <= 7 && g > 0 && x->shape[1] % g == 0;
    }
    default: /* eval needs the running stats */
      return x->ndim >= 2 && (bpvk_attr_b(call, "training", false) || bpvk_attr_b(call, "has_running_stats", false));
  }
}

#define K(op) {variant_norm, norm_ok, op, 0}
static const bpvk_kernel_t kNorm[] = {K(NM_LAYER), K(NM_RMS), K(NM_GROUP), K(NM_BATCH)};
#undef K

typedef struct norm_desc {
  uint32_t w[NW_WORDS];
  uint32_t gn, en;
  uint64_t groups, elems;
} norm_desc_t;

/* Adds a group dim of extent n with strides s[T_COUNT]. */
static void gdim(norm_desc_t *q, int64_t n, const int64_t *s) {
  if (n == 1) return;
  q->w[3 + q->gn] = (uint32_t)n;
  for (int t = 0; t < T_COUNT; ++t) q->w[20 + 8 * t + q->gn] = (uint32_t)s[t];
  q->groups *= (uint64_t)n;
  ++q->gn;
}
static void edim(norm_desc_t *q, int64_t n, const int64_t *s) {
  if (n == 1) return;
  q->w[12 + q->en] = (uint32_t)n;
  for (int t = 0; t < 4; ++t) q->w[84 + 8 * t + q->en] = (uint32_t)s[t];
  q->elems *= (uint64_t)n;
  ++q->en;
}

static bp_status_t rec_norm(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  const bpvk_kernel_t *k = call->kernel_data;
  const bp_tensor_desc_t *x = call->inputs[0];
  /* the tensors by role; NULL where the op has none */
  const bp_tensor_desc_t *t[T_COUNT] = {x, call->outputs[0], NULL, NULL, NULL, NULL, NULL, NULL};
  uint32_t flags = 0;
  bool f64 = x->dtype == BP_DTYPE_F64;
  norm_desc_t q;
  memset(&q, 0, sizeof q);
  q.groups = q.elems = 1;
  int64_t s[T_COUNT];
  if (k->op == NM_LAYER || k->op == NM_RMS) {
    bool rms = k->op == NM_RMS;
    t[T_W] = call->inputs[1];
    t[T_B] = rms ? NULL : call->inputs[2];
    t[T_MEAN] = rms ? NULL : call->outputs[1];
    t[T_RSTD] = call->outputs[rms ? 1 : 2];
    flags = F_RSTD | (rms ? F_RMS : F_MEAN);
    if (bpvk_attr_b(call, "has_weight", false)) flags |= F_W;
    if (!rms && bpvk_attr_b(call, "has_bias", false)) flags |= F_B;
    int32_t kd = (int32_t)bp_abi_find_attr(call, "normalized_shape")->count, lead = x->ndim - kd;
    for (int32_t i = 0; i < lead; ++i) {
      memset(s, 0, sizeof s);
      s[T_X] = x->strides[i];
      s[T_Y] = t[T_Y]->strides[i];
      if (t[T_MEAN]) s[T_MEAN] = t[T_MEAN]->ndim > i ? t[T_MEAN]->strides[i] : 0;
      s[T_RSTD] = t[T_RSTD]->ndim > i ? t[T_RSTD]->strides[i] : 0;
      gdim(&q, x->shape[i], s);
    }
    for (int32_t i = lead; i < x->ndim; ++i) {
      memset(s, 0, sizeof s);
      s[T_X] = x->strides[i];
      s[T_Y] = t[T_Y]->strides[i];
      if (flags & F_W) s[T_W] = t[T_W]->strides[i - lead];
      if (flags & F_B) s[T_B] = t[T_B]->strides[i - lead];
      edim(&q, x->shape[i], s);
    }
  } else {
    bool group = k->op == NM_GROUP;
    t[T_W] = call->inputs[1];
    t[T_B] = call->inputs[2];
    t[T_MEAN] = call->outputs[1];
    t[T_RSTD] = call->outputs[2];
    flags = F_MEAN | F_RSTD;
    if (bpvk_attr_b(call, "has_weight", false)) flags |= F_W;
    if (bpvk_attr_b(call, "has_bias", false)) flags |= F_B;
    int64_t ws = (flags & F_W) ? t[T_W]->strides[0] : 0, bs = (flags & F_B) ? t[T_B]->strides[0] : 0;
    const bp_tensor_desc_t *y = t[T_Y];
    if (group) {
      int64_t g = bpvk_attr_i(call, "num_groups", 1), cg = x->shape[1] / g;
      memset(s, 0, sizeof s);
      s[T_X] = x->strides[0], s[T_Y] = y->strides[0];
      s[T_MEAN] = t[T_MEAN]->strides[0], s[T_RSTD] = t[T_RSTD]->strides[0];
      gdim(&q, x->shape[0], s);
      memset(s, 0, sizeof s);
      s[T_X] = cg * x->strides[1], s[T_Y] = cg * y->strides[1], s[T_W] = cg * ws, s[T_B] = cg * bs;
      s[T_MEAN] = t[T_MEAN]->strides[1], s[T_RSTD] = t[T_RSTD]->strides[1];
      gdim(&q, g, s);
      memset(s, 0, sizeof s);
      s[T_X] = x->strides[1], s[T_Y] = y->strides[1], s[T_W] = ws, s[T_B] = bs;
      edim(&q, cg, s);
    } else {
      bool train = bpvk_attr_b(call, "training", false), has_rs = bpvk_attr_b(call, "has_running_stats", false);
      t[T_RM] = has_rs ? call->inputs[3] : NULL;
      t[T_RV] = has_rs ? call->inputs[4] : NULL;
      if (!train) flags |= F_EVAL;
      else if (has_rs) flags |= F_UPDATE;
      memset(s, 0, sizeof s);
      s[T_X] = x->strides[1], s[T_Y] = y->strides[1], s[T_W] = ws, s[T_B] = bs;
      s[T_MEAN] = t[T_MEAN]->strides[0], s[T_RSTD] = t[T_RSTD]->strides[0];
      if (has_rs) s[T_RM] = t[T_RM]->strides[0], s[T_RV] = t[T_RV]->strides[0];
      gdim(&q, x->shape[1], s);
      memset(s, 0, sizeof s);
      s[T_X] = x->strides[0], s[T_Y] = y->strides[0];
      edim(&q, x->shape[0], s);
    }
    for (int32_t i = 2; i < x->ndim; ++i) {
      memset(s, 0, sizeof s);
      s[T_X] = x->strides[i], s[T_Y] = y->strides[i];
      edim(&q, x->shape[i], s);
    }
  }
  /* an extent of 0 among the elements: no terms (mean NaN, as the reference) */
  for (int32_t i = 0; i < x->ndim; ++i)
    if (x->shape[i] == 0) q.elems = 0;
  uint32_t *w = q.w;
  w[0] = (uint32_t)q.groups;
  w[1] = (uint32_t)q.elems;
  w[2] = q.gn;
  w[11] = q.en;
  VkBuffer bufs[T_COUNT];
  for (int i = 0; i < T_COUNT; ++i) {
    bool live = t[i] && bpvk_numel(t[i]) > 0;
    w[116 + i] = live ? bpvk_vt(t[i]).offset : 0u;
    bufs[i] = live ? bpvk_vt(t[i]).buffer : VK_NULL_HANDLE;
  }
  /* binding order of the shader: x, w, b, y, mean, rstd, rm, rv */
  VkBuffer order[T_COUNT] = {bufs[T_X], bufs[T_W], bufs[T_B], bufs[T_Y], bufs[T_MEAN], bufs[T_RSTD], bufs[T_RM],
                             bufs[T_RV]};
  double eps = bpvk_attr_f(call, "eps", 1e-5), mom = bpvk_attr_f(call, "momentum", 0.1);
  if (f64) {
    bpvk_put_f64(w + 124, eps);
    bpvk_put_f64(w + 126, mom);
  } else {
    bpvk_put_f32(w + 124, eps);
    bpvk_put_f32(w + 126, mom);
  }
  w[128] = flags;
  uint32_t gx, gy;
  bpvk_grid_1d(q.groups, 1, &gx, &gy);
  return bpvk_dispatch_n(d, variant, 0, order, T_COUNT, w, NW_WORDS, gx, gy, 1, NULL);
}

static bp_status_t k_norm(const bp_kernel_call_t *c) {
  const bpvk_kernel_t *k = c->kernel_data;
  if (k->op == NM_LAYER || k->op == NM_RMS) { /* f32 rows on CPU devices, where they fit */
    bp_status_t s = bpvk_norm_texel(c, k->op == NM_RMS);
    if (s != BP_STATUS_UNSUPPORTED) return s;
  }
  return bpvk_kernel_run(c, rec_norm);
}

/* ---- backward (shaders/normbw.comp) ---- */

enum { NB_LAYER, NB_GROUP, NB_BATCH };
enum { B_G, B_X, B_M, B_R, B_W, B_GX, B_GW, B_GB, B_COUNT };
enum { BW_WORDS = 160, BF_W = 1, BF_TRAIN = 2, BF_PASS_B = 4 };

static int32_t variant_normbw(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  (void)k;
  char name[32];
  snprintf(name, sizeof name, "normbw_%u", call->inputs[0]->dtype);
  return bpvk_variant_find(name);
}

static bool normbw_ok(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  const bp_tensor_desc_t *x = call->inputs[1];
  if (bpvk_numel(x) == 0) return false; /* zero gradients of the weight: left to the reference */
  switch (k->op) {
    case NB_LAYER: {
      const bp_attr_t *a = bp_abi_find_attr(call, "normalized_shape");
      return a && a->type == BP_ATTR_INTS && (int32_t)a->count <= x->ndim;
    }
    case NB_GROUP: {
      int64_t g = bpvk_attr_i(call, "num_groups", 0);
      return x->ndim >= 2 && x->ndim <= 7 && g > 0 && x->shape[1] % g == 0;
    }
    default: return x->ndim >= 2;
  }
}

static const bpvk_kernel_t kNormBw[] = {{variant_normbw, normbw_ok, NB_LAYER, 0},
                                        {variant_normbw, normbw_ok, NB_GROUP, 0},
                                        {variant_normbw, normbw_ok, NB_BATCH, 0}};

typedef struct bw_desc {
  uint32_t w[BW_WORDS];
  uint32_t gn, en;
  uint64_t groups, elems;
} bw_desc_t;

static void bw_g(bw_desc_t *q, int64_t n, const int64_t *s) {
  if (n == 1) return;
  q->w[3 + q->gn] = (uint32_t)n;
  for (int t = 0; t < B_COUNT; ++t) q->w[20 + 8 * t + q->gn] = (uint32_t)s[t];
  q->groups *= (uint64_t)n;
  ++q->gn;
}
static void bw_e(bw_desc_t *q, int64_t n, const int64_t *s) {
  if (n == 1) return;
  q->w[12 + q->en] = (uint32_t)n;
  for (int t = 0; t < B_COUNT; ++t) q->w[84 + 8 * t + q->en] = (uint32_t)s[t];
  q->elems *= (uint64_t)n;
  ++q->en;
}
#define S8(...) (const int64_t[B_COUNT]){__VA_ARGS__}

static bp_status_t rec_normbw(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  const bpvk_kernel_t *k = call->kernel_data;
  const bp_tensor_desc_t *g = call->inputs[0], *x = call->inputs[1];
  bool batch = k->op == NB_BATCH, has_w = bpvk_attr_b(call, "has_weight", false);
  const bp_tensor_desc_t *t[B_COUNT] = {g, x, call->inputs[batch ? 3 : 2], call->inputs[batch ? 4 : 3],
                                        has_w ? call->inputs[batch ? 2 : 4] : NULL, call->outputs[0],
                                        call->outputs[1], call->outputs[2]};
  const bp_tensor_desc_t *gx = t[B_GX], *gw = t[B_GW], *gb = t[B_GB], *m = t[B_M], *r = t[B_R];
  int64_t ws = has_w ? t[B_W]->strides[0] : 0;
  bw_desc_t q[2];
  memset(q, 0, sizeof q);
  q[0].groups = q[0].elems = q[1].groups = q[1].elems = 1;
  int32_t first_rest = 2;
  if (k->op == NB_LAYER) {
    int32_t kd = (int32_t)bp_abi_find_attr(call, "normalized_shape")->count, lead = x->ndim - kd;
    for (int32_t i = 0; i < x->ndim; ++i) {
      int64_t n = x->shape[i];
      if (i < lead) {
        int64_t ms = m->ndim > i ? m->strides[i] : 0, rs = r->ndim > i ? r->strides[i] : 0;
        bw_g(&q[0], n, S8(g->strides[i], x->strides[i], ms, rs, 0, gx->strides[i], 0, 0));
        bw_e(&q[1], n, S8(g->strides[i], x->strides[i], ms, rs, 0, 0, 0, 0));
      } else {
        int64_t wi = has_w ? t[B_W]->strides[i - lead] : 0;
        bw_e(&q[0], n, S8(g->strides[i], x->strides[i], 0, 0, wi, gx->strides[i], 0, 0));
        bw_g(&q[1], n, S8(g->strides[i], x->strides[i], 0, 0, wi, 0, gw->strides[i - lead], gb->strides[i - lead]));
      }
    }
    first_rest = x->ndim;
  } else if (k->op == NB_GROUP) {
    int64_t G = bpvk_attr_i(call, "num_groups", 1), cg = x->shape[1] / G;
    bw_g(&q[0], x->shape[0], S8(g->strides[0], x->strides[0], m->strides[0], r->strides[0], 0, gx->strides[0], 0, 0));
    bw_g(&q[0], G, S8(cg * g->strides[1], cg * x->strides[1], m->strides[1], r->strides[1], cg * ws,
                      cg * gx->strides[1], 0, 0));
    bw_e(&q[0], cg, S8(g->strides[1], x->strides[1], 0, 0, ws, gx->strides[1], 0, 0));
    bw_g(&q[1], G, S8(cg * g->strides[1], cg * x->strides[1], m->strides[1], r->strides[1], cg * ws, 0,
                      cg * gw->strides[0], cg * gb->strides[0]));
    bw_g(&q[1], cg, S8(g->strides[1], x->strides[1], 0, 0, ws, 0, gw->strides[0], gb->strides[0]));
    bw_e(&q[1], x->shape[0], S8(g->strides[0], x->strides[0], m->strides[0], r->strides[0], 0, 0, 0, 0));
  } else {
    bw_g(&q[0], x->shape[1], S8(g->strides[1], x->strides[1], m->strides[0], r->strides[0], ws, gx->strides[1], 0, 0));
    bw_e(&q[0], x->shape[0], S8(g->strides[0], x->strides[0], 0, 0, 0, gx->strides[0], 0, 0));
    bw_g(&q[1], x->shape[1], S8(g->strides[1], x->strides[1], m->strides[0], r->strides[0], ws, 0, gw->strides[0],
                                gb->strides[0]));
    bw_e(&q[1], x->shape[0], S8(g->strides[0], x->strides[0], 0, 0, 0, 0, 0, 0));
  }
  for (int32_t i = first_rest; i < x->ndim; ++i) {
    bw_e(&q[0], x->shape[i], S8(g->strides[i], x->strides[i], 0, 0, 0, gx->strides[i], 0, 0));
    bw_e(&q[1], x->shape[i], S8(g->strides[i], x->strides[i], 0, 0, 0, 0, 0, 0));
  }
  VkBuffer bufs[B_COUNT];
  uint32_t offs[B_COUNT];
  for (int i = 0; i < B_COUNT; ++i) {
    bool live = t[i] && bpvk_numel(t[i]) > 0;
    offs[i] = live ? bpvk_vt(t[i]).offset : 0u;
    bufs[i] = live ? bpvk_vt(t[i]).buffer : VK_NULL_HANDLE;
  }
  uint32_t flags = (has_w ? BF_W : 0u) | (!batch || bpvk_attr_b(call, "training", false) ? BF_TRAIN : 0u);
  bp_status_t s = BP_STATUS_OK;
  for (int p = 0; p < 2 && !s; ++p) {
    uint32_t *w = q[p].w;
    w[0] = (uint32_t)q[p].groups;
    w[1] = (uint32_t)q[p].elems;
    w[2] = q[p].gn;
    w[11] = q[p].en;
    memcpy(w + 148, offs, sizeof offs);
    w[156] = flags | (p ? BF_PASS_B : 0u);
    uint32_t gx_, gy_;
    bpvk_grid_1d(q[p].groups, 1, &gx_, &gy_);
    s = bpvk_dispatch_n(d, variant, 0, bufs, B_COUNT, w, BW_WORDS, gx_, gy_, 1, NULL);
  }
  return s;
}
#undef S8

static bp_status_t k_normbw(const bp_kernel_call_t *c) { return bpvk_kernel_run(c, rec_normbw); }

bp_status_t bpvk_ops_norm_register(bpvk_ctx_t *ctx) {
  bp_status_t s = BP_STATUS_OK;
  char name[32];
  for (bp_dtype_t t = BP_DTYPE_BF16; t <= BP_DTYPE_F64 && !s; ++t) {
    bp_dtype_t s4[4] = {t, t, t, t}, s6[6] = {t, t, t, t, t, t}, s8[8] = {t, t, t, t, t, t, t, t};
    snprintf(name, sizeof name, "norm_%u", t);
    s = bpvk_kernel_reg(ctx, "layer_norm", name, s6, 6, k_norm, &kNorm[NM_LAYER]);
    if (!s) s = bpvk_kernel_reg(ctx, "rms_norm", name, s4, 4, k_norm, &kNorm[NM_RMS]);
    if (!s) s = bpvk_kernel_reg(ctx, "group_norm", name, s6, 6, k_norm, &kNorm[NM_GROUP]);
    if (!s) s = bpvk_kernel_reg(ctx, "batch_norm", name, s8, 8, k_norm, &kNorm[NM_BATCH]);
    bp_dtype_t s8b[8] = {t, t, t, t, t, t, t, t};
    snprintf(name, sizeof name, "normbw_%u", t);
    if (!s) s = bpvk_kernel_reg(ctx, "layer_norm_backward", name, s8b, 8, k_normbw, &kNormBw[NB_LAYER]);
    if (!s) s = bpvk_kernel_reg(ctx, "group_norm_backward", name, s8b, 8, k_normbw, &kNormBw[NB_GROUP]);
    if (!s) s = bpvk_kernel_reg(ctx, "batch_norm_backward", name, s8b, 8, k_normbw, &kNormBw[NB_BATCH]);
  }
  return s;
}
