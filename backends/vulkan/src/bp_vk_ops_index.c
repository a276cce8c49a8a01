/* bp_vk_ops_index.c - embedding, gather, index_select (one gather shader,
 * shaders/igather.comp), scatter_add (shaders/scatter.comp) and
 * embedding_backward (shaders/embbw.comp). Semantics of
 * reference/src/ref_nn2_index.c and ref_nn_backward.c; an index out of
 * range sets the dispatch's check word: the next synchronize returns
 * INVALID_ARGUMENT naming the op, and nothing is read or written out of
 * bounds. */
#include <stdio.h>
#include <string.h>

#include "bp_vk_kernel_util.h"

enum { IX_EMBEDDING, IX_GATHER, IX_INDEX_SELECT, IX_SCATTER_ADD, IX_EMBEDDING_BW };

static int32_t variant_ix(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  char name[32];
  switch (k->op) {
    case IX_SCATTER_ADD: snprintf(name, sizeof name, "scatter_%u", call->outputs[0]->dtype); break;
    case IX_EMBEDDING_BW:
      snprintf(name, sizeof name, "embbw_%u_%u", call->outputs[0]->dtype, call->inputs[1]->dtype);
      break;
    default:
      snprintf(name, sizeof name, "igather_%u_%u", bpvk_raw_dtype(call->outputs[0]->dtype), call->inputs[1]->dtype);
  }
  return bpvk_variant_find(name);
}

static bool ix_ok(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  const bp_tensor_desc_t *x = call->inputs[0], *o = call->outputs[0];
  switch (k->op) {
    case IX_EMBEDDING: return x->ndim == 2 && o->ndim >= 1;
    case IX_INDEX_SELECT: return call->inputs[1]->ndim <= 1;
    case IX_EMBEDDING_BW: return o->ndim == 2 && call->inputs[1]->ndim <= BPVK_MAX_DIMS;
    default: return true;
  }
}

#define K(op) {variant_ix, ix_ok, op, 0}
static const bpvk_kernel_t kIx[] = {K(IX_EMBEDDING), K(IX_GATHER), K(IX_INDEX_SELECT), K(IX_SCATTER_ADD),
                                    K(IX_EMBEDDING_BW)};
#undef K

static const char *const kIxCheck[] = {
    "embedding: an index is out of range (expected 0..V-1)",
    "gather: an index is out of range of x's indexed dim",
    "index_select: an index is out of range of x's indexed dim",
    "scatter_add: an index is out of range of self's indexed dim",
    "embedding_backward: an index is out of range (expected 0..num_weights-1)",
};

/* ---- embedding, gather, index_select ---- */

static bp_status_t rec_gather(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  const bpvk_kernel_t *k = call->kernel_data;
  const bp_tensor_desc_t *x = call->inputs[0], *ix = call->inputs[1], *o = call->outputs[0];
  uint32_t w[40];
  memset(w, 0, sizeof w);
  int32_t n = o->ndim, dim = (int32_t)bpvk_attr_i(call, "dim", 0);
  w[0] = (uint32_t)bpvk_numel(o);
  w[1] = (uint32_t)n;
  for (int32_t i = 0; i < n; ++i) {
    w[2 + i] = (uint32_t)o->shape[i];
    w[10 + i] = (uint32_t)o->strides[i];
  }
  switch (k->op) {
    case IX_EMBEDDING: /* out [idx..., D]: index dims, then x's dim 1 */
      for (int32_t i = 0; i < n - 1; ++i) w[26 + i] = (uint32_t)ix->strides[i];
      w[18 + n - 1] = (uint32_t)x->strides[1];
      w[34] = (uint32_t)x->strides[0];
      w[35] = (uint32_t)x->shape[0];
      break;
    case IX_GATHER: /* index has out's shape */
      for (int32_t i = 0; i < n; ++i) {
        w[26 + i] = (uint32_t)ix->strides[i];
        if (i != dim) w[18 + i] = (uint32_t)x->strides[i];
      }
      w[34] = x->ndim ? (uint32_t)x->strides[dim] : 0u;
      w[35] = x->ndim ? (uint32_t)x->shape[dim] : 1u;
      break;
    default: /* index_select: out's dim walks the index */
      for (int32_t i = 0; i < n; ++i)
        if (i != dim) w[18 + i] = (uint32_t)x->strides[i];
      if (n) w[26 + dim] = ix->ndim ? (uint32_t)ix->strides[0] : 0u;
      w[34] = x->ndim ? (uint32_t)x->strides[dim] : 0u;
      w[35] = x->ndim ? (uint32_t)x->shape[dim] : 1u;
      break;
  }
  bool empty_x = bpvk_numel(x) == 0;
  w[36] = bpvk_vt(o).offset;
  w[37] = empty_x ? 0u : bpvk_vt(x).offset;
  w[38] = bpvk_vt(ix).offset;
  /* An empty x: every index is out of range; bind out in its place. */
  VkBuffer bufs[3] = {empty_x ? bpvk_vt(o).buffer : bpvk_vt(x).buffer, bpvk_vt(ix).buffer, bpvk_vt(o).buffer};
  uint32_t gx, gy;
  bpvk_grid_1d(w[0], 256, &gx, &gy);
  return bpvk_dispatch_n(d, variant, 0, bufs, 3, w, 40, gx, gy, 1, kIxCheck[k->op]);
}

/* ---- scatter_add ---- */

static bp_status_t rec_scatter(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  const bp_tensor_desc_t *x = call->inputs[0], *ix = call->inputs[1], *src = call->inputs[2], *o = call->outputs[0];
  uint32_t w[64];
  memset(w, 0, sizeof w);
  int32_t n = o->ndim, dim = (int32_t)bpvk_attr_i(call, "dim", 0);
  if (n == 0) dim = 0;
  for (int32_t i = 0; i < n; ++i) {
    w[2 + i] = (uint32_t)o->shape[i];
    w[10 + i] = (uint32_t)o->strides[i];
    w[18 + i] = (uint32_t)x->strides[i];
    w[26 + i] = src->ndim ? (uint32_t)src->strides[i] : 0u;
    w[34 + i] = ix->ndim ? (uint32_t)ix->shape[i] : 1u;
    w[42 + i] = ix->ndim ? (uint32_t)ix->strides[i] : 0u;
  }
  if (n == 0) w[34] = 1; /* a 0-d index: one element */
  uint64_t nout = (uint64_t)bpvk_numel(o), nix = (uint64_t)bpvk_numel(ix);
  w[0] = (uint32_t)(nout > nix ? nout : nix);
  w[1] = (uint32_t)(n ? n : 1);
  if (n == 0) w[2] = 1;
  w[50] = (uint32_t)dim;
  w[51] = bpvk_vt(o).offset;
  w[52] = bpvk_vt(x).offset;
  w[53] = nix ? bpvk_vt(src).offset : 0u;
  w[54] = nix ? bpvk_vt(ix).offset : 0u;
  w[55] = (uint32_t)nout;
  w[56] = (uint32_t)nix;
  w[57] = n ? (uint32_t)x->shape[dim] : 1u;
  VkBuffer bufs[4] = {bpvk_vt(o).buffer, bpvk_vt(x).buffer, nix ? bpvk_vt(src).buffer : bpvk_vt(o).buffer,
                      nix ? bpvk_vt(ix).buffer : bpvk_vt(o).buffer};
  uint32_t gx, gy;
  bpvk_grid_1d(w[0], 256, &gx, &gy);
  return bpvk_dispatch_n(d, variant, 0, bufs, 4, w, 64, gx, gy, 1, kIxCheck[IX_SCATTER_ADD]);
}

/* ---- embedding_backward ---- */

static bp_status_t rec_embbw(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  const bp_tensor_desc_t *g = call->inputs[0], *ix = call->inputs[1], *o = call->outputs[0];
  uint32_t w[40];
  memset(w, 0, sizeof w);
  uint64_t rows = (uint64_t)bpvk_numel(ix), V = (uint64_t)o->shape[0], D = (uint64_t)o->shape[1];
  w[0] = (uint32_t)(rows > V * D ? rows : V * D);
  w[1] = (uint32_t)rows;
  w[2] = (uint32_t)V;
  w[3] = (uint32_t)D;
  w[4] = (uint32_t)ix->ndim;
  for (int32_t i = 0; i < ix->ndim; ++i) {
    w[5 + i] = (uint32_t)ix->shape[i];
    w[13 + i] = (uint32_t)ix->strides[i];
    w[21 + i] = (uint32_t)g->strides[i];
  }
  w[29] = (uint32_t)g->strides[g->ndim - 1];
  w[30] = rows ? bpvk_vt(g).offset : 0u;
  w[31] = rows ? bpvk_vt(ix).offset : 0u;
  w[32] = bpvk_vt(o).offset;
  w[33] = (uint32_t)o->strides[0];
  w[34] = (uint32_t)o->strides[1];
  int64_t pad = bpvk_attr_i(call, "padding_idx", 0);
  if (pad < 0) pad += (int64_t)V;
  w[35] = bpvk_attr_b(call, "has_padding_idx", false) && pad >= 0 ? (uint32_t)pad : 0xffffffffu;
  VkBuffer bufs[3] = {rows ? bpvk_vt(g).buffer : bpvk_vt(o).buffer, rows ? bpvk_vt(ix).buffer : bpvk_vt(o).buffer,
                      bpvk_vt(o).buffer};
  uint32_t gx, gy;
  bpvk_grid_1d(w[0], 256, &gx, &gy);
  return bpvk_dispatch_n(d, variant, 0, bufs, 3, w, 40, gx, gy, 1, kIxCheck[IX_EMBEDDING_BW]);
}

static bp_status_t k_gather(const bp_kernel_call_t *c) { return bpvk_kernel_run(c, rec_gather); }
static bp_status_t k_scatter(const bp_kernel_call_t *c) { return bpvk_kernel_run(c, rec_scatter); }
static bp_status_t k_embbw(const bp_kernel_call_t *c) { return bpvk_kernel_run(c, rec_embbw); }

bp_status_t bpvk_ops_index_register(bpvk_ctx_t *ctx) {
  bp_status_t s = BP_STATUS_OK;
  char name[32];
  for (bp_dtype_t t = BP_DTYPE_BOOL; t <= BP_DTYPE_F64 && !s; ++t) {
    for (bp_dtype_t it = BP_DTYPE_I32; it <= BP_DTYPE_I64 && !s; ++it) {
      bp_dtype_t sig[3] = {t, it, t};
      snprintf(name, sizeof name, "igather_%u_%u", bpvk_raw_dtype(t), it);
      s = bpvk_kernel_reg(ctx, "embedding", name, sig, 3, k_gather, &kIx[IX_EMBEDDING]);
      if (!s) s = bpvk_kernel_reg(ctx, "index_select", name, sig, 3, k_gather, &kIx[IX_INDEX_SELECT]);
      if (!s && it == BP_DTYPE_I64) s = bpvk_kernel_reg(ctx, "gather", name, sig, 3, k_gather, &kIx[IX_GATHER]);
      if (!s && t >= BP_DTYPE_F16) {
        bp_dtype_t sb[3] = {t, it, t};
        snprintf(name, sizeof name, "embbw_%u_%u", t, it);
        s = bpvk_kernel_reg(ctx, "embedding_backward", name, sb, 3, k_embbw, &kIx[IX_EMBEDDING_BW]);
      }
    }
    bp_dtype_t ss[4] = {t, BP_DTYPE_I64, t, t};
    snprintf(name, sizeof name, "scatter_%u", t);
    if (!s) s = bpvk_kernel_reg(ctx, "scatter_add", name, ss, 4, k_scatter, &kIx[IX_SCATTER_ADD]);
  }
  return s;
}
