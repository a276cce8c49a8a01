/* bp_vk_ops_convbwt.c - f32 conv2d_backward on CPU devices as implicit
 * GEMMs reading texels (shaders/convbwt.comp), no atomics:
 * - grad_input: for stride 1, dilation 1, no groups and rows conv2d_rows
 *   takes, conv2d_rows on grad_output with the flipped, transposed weight
 *   (bp_vk_ops_conv.c); otherwise the weight repacked to [C][coutg * KH *
 *   KW] rows (a raw copy dispatch into scratch) and one GEMM per (image,
 *   group);
 * - grad_weight and grad_bias: split sums over the images and output
 *   positions into scratch partials (by row segments where rows are whole
 *   vec4s and the stride 1), then the sums over the splits in a fixed
 *   order (results do not depend on scheduling).
 * Calls it does not take (other devices, tensors past the texel views'
 * reach, grids past 65535) go to the gathers of bp_vk_ops_convbw.c. */
#include <stdio.h>
#include <string.h>

#include "bp_vk_kernel_util.h"
#include "bp_vk_ops_conv.h"

/* Parameter words of convbwt.comp (the comment at its top). */
enum { CB_GROUPS, CB_COUTG, CB_CG, CB_H, CB_W, CB_KH, CB_KW, CB_OH, CB_OW, CB_OHW, CB_SH, CB_SW, CB_PH, CB_PW,
       CB_DH, CB_DW, CB_XOFF, CB_XS, CB_GOFF = 21, CB_GS, CB_W0OFF = 26, CB_W0ROW, CB_GXOFF, CB_GXS,
       CB_N = 33, CB_HW, CB_KCHUNK, CB_R, CB_POFF, CB_GWOFF, CB_GWS, CB_GBOFF = 43, CB_GBS, CB_SPLITS, CB_R0,
       CB_WORDS = 48 };

/* Columns (ci, kh, kw) per invocation of grad_weight mode 1, and positions
 * per invocation of grad_input (CONV_TN in CMakeLists.txt). */
#define CBT_TN 8
/* Invocations the grad_weight dispatch aims at (both lavapipe threads
 * busy, few partials to add up). */
#define CBT_TARGET 512u

/* [N, C, H, W] strides of a 3-D or 4-D tensor into w[0..3]. */
static void nchw(const bp_tensor_desc_t *t, uint32_t *w) {
  int off = t->ndim == 4 ? 0 : 1;
  w[0] = 0;
  for (int32_t i = 0; i < t->ndim; ++i) w[i + off] = (uint32_t)t->strides[i];
}

typedef struct cbt_plan {
  uint32_t w[CB_WORDS];
  uint32_t nimg, cin, cout, r0pad, tmi, tmw;
  bool gv4, rowsw; /* rowsw: grad_weight by row segments (mode 3) */
  uint64_t w0_elems, part_elems;
} cbt_plan_t;

/* The parameter words and sizes of a call; false when this path does not
 * take it. */
static bool cbt_plan(const bp_kernel_call_t *call, const bpvk_device_t *d, cbt_plan_t *p) {
  if (!bpvk_conv_cpu(d) || !d->texel || call->num_inputs != 3 || call->num_outputs != 3) return false;
  const bp_tensor_desc_t *g = call->inputs[0], *x = call->inputs[1], *wt = call->inputs[2];
  const bp_tensor_desc_t *gx = call->outputs[0], *gw = call->outputs[1], *gb = call->outputs[2];
  for (int i = 0; i < 3; ++i)
    if (call->inputs[i]->dtype != BP_DTYPE_F32 || call->outputs[i]->dtype != BP_DTYPE_F32) return false;
  int off = x->ndim == 4 ? 0 : 1;
  int64_t N = off ? 1 : x->shape[0], C = x->shape[1 - off], H = x->shape[2 - off], W = x->shape[3 - off];
  int64_t OC = wt->shape[0], CG = wt->shape[1], KH = wt->shape[2], KW = wt->shape[3];
  int64_t OH = g->shape[2 - off], OW = g->shape[3 - off], groups = bpvk_attr_i(call, "groups", 1);
  if (groups < 1 || OC % groups || C != CG * groups || gb->ndim != 1 || gb->shape[0] != OC) return false;
  uint64_t limit = d->props.limits.maxTexelBufferElements;
  if (!bpvk_conv_texel_reach(x, limit) || !bpvk_conv_texel_reach(g, limit)) return false;
  int64_t coutg = OC / groups, R = CG * KH * KW, R0 = coutg * KH * KW, K = N * OH * OW;
  if (R0 > 0x3fffffff || R > 0x3fffffff || K > 0x3fffffff || C * ((R0 + 3) / 4 * 4) > 0x3fffffff) return false;
  memset(p, 0, sizeof *p);
  uint32_t *w = p->w;
  bool same = bpvk_attr_b(call, "padding_same", false);
  int64_t k[2] = {KH, KW};
  for (int i = 0; i < 2; ++i) {
    int64_t dil = bpvk_attr2(call, "dilation", i, 1), st = bpvk_attr2(call, "stride", i, 1);
    int64_t pad = same ? dil * (k[i] - 1) / 2 : bpvk_attr2(call, "padding", i, 0);
    if (st < 1 || dil < 1 || pad < 0 || st > 65535 || dil > 65535 || pad > 65535) return false;
    w[CB_SH + i] = (uint32_t)st;
    w[CB_PH + i] = (uint32_t)pad;
    w[CB_DH + i] = (uint32_t)dil;
  }
  w[CB_GROUPS] = (uint32_t)groups;
  w[CB_COUTG] = (uint32_t)coutg;
  w[CB_CG] = (uint32_t)CG;
  w[CB_H] = (uint32_t)H, w[CB_W] = (uint32_t)W, w[CB_KH] = (uint32_t)KH, w[CB_KW] = (uint32_t)KW;
  w[CB_OH] = (uint32_t)OH, w[CB_OW] = (uint32_t)OW, w[CB_OHW] = (uint32_t)(OH * OW);
  w[CB_XOFF] = bpvk_vt(x).offset;
  nchw(x, w + CB_XS);
  w[CB_GOFF] = bpvk_vt(g).offset;
  nchw(g, w + CB_GS);
  w[CB_GXOFF] = bpvk_vt(gx).offset;
  nchw(gx, w + CB_GXS);
  w[CB_GWOFF] = bpvk_vt(gw).offset;
  for (int i = 0; i < 4; ++i) w[CB_GWS + i] = (uint32_t)gw->strides[i];
  w[CB_GBOFF] = bpvk_vt(gb).offset;
  w[CB_GBS] = (uint32_t)gb->strides[0];
  w[CB_N] = (uint32_t)N;
  w[CB_HW] = (uint32_t)(H * W);
  w[CB_R] = (uint32_t)R;
  w[CB_R0] = (uint32_t)R0;
  p->r0pad = (uint32_t)((R0 + 3) / 4 * 4);
  w[CB_W0ROW] = p->r0pad;
  p->nimg = (uint32_t)N, p->cin = (uint32_t)C, p->cout = (uint32_t)OC;
  p->tmi = CG >= 12 ? 16 : 4;
  p->tmw = coutg >= 12 ? 16 : 8;
  /* g as vec4s of 4 positions: rows contiguous, everything in whole 4s. */
  p->gv4 = (OH * OW) % 4 == 0 && w[CB_GOFF] % 4 == 0 && w[CB_GS] % 4 == 0 && w[CB_GS + 1] % 4 == 0 &&
           w[CB_GS + 3] == 1 && w[CB_GS + 2] == (uint32_t)OW &&
           bpvk_conv_texel_reach(g, limit * 4); /* vec4 texels: 4 elements each */
  /* grad_weight by row segments (mode 3): stride 1, dilation 1, x and
   * grad_output rows in whole vec4s, output rows in whole 8s, input
   * channels per group in whole 4s, the columns within the 16 fetched. */
  const uint32_t *xs = w + CB_XS, *gs = w + CB_GS;
  p->rowsw = w[CB_SH] == 1 && w[CB_SW] == 1 && w[CB_DH] == 1 && w[CB_DW] == 1 && OW % 8 == 0 && W % 4 == 0 &&
             CG % 4 == 0 && w[CB_XOFF] % 4 == 0 && xs[0] % 4 == 0 && xs[1] % 4 == 0 && xs[2] % 4 == 0 &&
             xs[3] == 1 && w[CB_GOFF] % 4 == 0 && gs[0] % 4 == 0 && gs[1] % 4 == 0 && gs[2] % 4 == 0 &&
             gs[3] == 1 && w[CB_PW] <= 4 && KW <= w[CB_PW] + 5 && KW <= 9 && (CG / 4) * KH <= 65535;
  /* Splits of the sum for grad_weight: about CBT_TARGET invocations, at
   * least 64 terms (mode 3: 8 row segments) each, whole work groups. */
  uint32_t wg = 8;
  uint64_t tiles = (uint64_t)((R + CBT_TN - 1) / CBT_TN) * (uint64_t)((coutg + p->tmw - 1) / p->tmw) * groups;
  uint64_t items = (uint64_t)K, per = 64;
  if (p->rowsw) {
    tiles = (uint64_t)(CG / 4 * KH) * (uint64_t)((coutg + p->tmw - 1) / p->tmw) * groups;
    items = (uint64_t)(N * OH * (OW / 8));
    per = 8;
  }
  uint64_t splits = CBT_TARGET / tiles, most = (items + per - 1) / per;
  if (splits > most) splits = most;
  if (splits < 1) splits = 1;
  splits = (splits + wg - 1) / wg * wg;
  uint64_t chunk = (items + splits - 1) / splits;
  if (!p->rowsw) chunk = (chunk + 3) / 4 * 4;
  w[CB_KCHUNK] = (uint32_t)chunk;
  w[CB_SPLITS] = (uint32_t)splits;
  p->w0_elems = (uint64_t)C * p->r0pad;
  p->part_elems = splits * (uint64_t)(OC * R + OC);
  /* grids (at most 65535 work groups per dimension): grad_input x over
   * positions, y over channel tiles, z over N * groups; grad_weight x over
   * column tiles, y over channel tiles, z over groups * splits / 8 */
  if ((uint64_t)N * groups > 65535 || groups * splits / wg > 65535 || (H * W + 63) / 64 > 65535 ||
      (R + CBT_TN - 1) / CBT_TN > 65535 || (CG + p->tmi - 1) / p->tmi > 65535 || (coutg + p->tmw - 1) / p->tmw > 65535)
    return false;
  uint64_t scratch = (p->w0_elems + 3) / 4 * 4 + p->part_elems;
  return scratch < limit && scratch < 0x3fffffff;
}

/* grad_input of a stride-1, dilation-1, ungrouped call as a conv2d of
 * grad_output with the weight flipped and transposed ([C][Cout][KH-1-a]
 * [KW-1-b]: negative strides for the repack) and padding K - 1 - p, through
 * conv2d_rows.comp; false when that variant does not take it. */
static bool cbt_rows_words(const bp_kernel_call_t *call, const cbt_plan_t *p, uint32_t v[CV_WORDS]) {
  const uint32_t *w = p->w;
  if (w[CB_GROUPS] != 1 || w[CB_SH] != 1 || w[CB_SW] != 1 || w[CB_DH] != 1 || w[CB_DW] != 1 ||
      w[CB_PH] >= w[CB_KH] || w[CB_PW] >= w[CB_KW])
    return false;
  const bp_tensor_desc_t *wt = call->inputs[2];
  uint32_t wsn = (uint32_t)wt->strides[0], wsc = (uint32_t)wt->strides[1];
  uint32_t wsh = (uint32_t)wt->strides[2], wsw = (uint32_t)wt->strides[3];
  memset(v, 0, CV_WORDS * 4);
  v[CV_GROUPS] = 1;
  v[CV_COUTG] = p->cin;
  v[CV_CG] = p->cout;
  v[CV_H] = w[CB_OH], v[CV_W] = w[CB_OW], v[CV_KH] = w[CB_KH], v[CV_KW] = w[CB_KW];
  v[CV_OH] = w[CB_H], v[CV_OW] = w[CB_W], v[CV_OHW] = w[CB_HW];
  v[CV_SH] = v[CV_SW] = v[CV_DH] = v[CV_DW] = 1;
  v[CV_PH] = w[CB_KH] - 1 - w[CB_PH];
  v[CV_PW] = w[CB_KW] - 1 - w[CB_PW];
  v[CV_XOFF] = w[CB_GOFF];
  for (int i = 0; i < 4; ++i) v[CV_XSN + i] = w[CB_GS + i];
  v[CV_WOFF] = bpvk_vt(wt).offset + (w[CB_KH] - 1) * wsh + (w[CB_KW] - 1) * wsw;
  v[CV_WSN] = wsc;
  v[CV_WSC] = wsn;
  v[CV_WSH] = 0u - wsh;
  v[CV_WSW] = 0u - wsw;
  v[CV_OOFF] = w[CB_GXOFF];
  for (int i = 0; i < 4; ++i) v[CV_OSN + i] = w[CB_GXS + i];
  return bpvk_conv_rows_ok(v);
}

static int32_t cbt_variant(const char *fmt, uint32_t a, const char *suffix) {
  char name[40];
  snprintf(name, sizeof name, fmt, a, suffix);
  return bpvk_variant_find(name);
}

bool bpvk_convbw_texel(const bp_kernel_call_t *call, bp_status_t *status) {
  bpvk_ctx_t *ctx = call->plugin_ctx;
  if (call->device_index >= ctx->ndevices || !bpvk_kernel_supports(call)) return false;
  for (uint32_t i = 0; i < call->num_outputs; ++i)
    if (bpvk_numel(call->outputs[i]) == 0) return false;
  bpvk_device_t *d = &ctx->devices[call->device_index];
  cbt_plan_t p;
  if (!cbt_plan(call, d, &p)) return false;
  int32_t vi = cbt_variant("convbwt_i%u%s", p.tmi, "");
  int32_t vw = p.rowsw ? cbt_variant("convbwt_q%u%s", p.tmw, "")
                       : cbt_variant("convbwt_w%u%s", p.tmw, p.gv4 ? "v" : "");
  int32_t vr = bpvk_variant_find("convbwt_r"), vc = bpvk_variant_find("copy_4_4");
  if (!bpvk_variant_usable(d, vi) || !bpvk_variant_usable(d, vw) || !bpvk_variant_usable(d, vr) ||
      !bpvk_variant_usable(d, vc))
    return false;
  uint64_t pstart = (p.w0_elems + 3) / 4 * 4;
  void *scratch = NULL;
  if (bpvk_buffer_alloc(ctx, call->device_index, (pstart + p.part_elems) * 4u, &scratch)) return false;
  const bpvk_alloc_t *sa = scratch;
  if (sa->offset / 4 + pstart + p.part_elems >= d->props.limits.maxTexelBufferElements) {
    bpvk_buffer_free(ctx, call->device_index, scratch);
    return false;
  }
  uint32_t soff = (uint32_t)(sa->offset / 4);
  uint32_t *w = p.w;
  w[CB_W0OFF] = soff;
  w[CB_POFF] = soff + (uint32_t)pstart;
  const bp_tensor_desc_t *g = call->inputs[0], *x = call->inputs[1], *wt = call->inputs[2];
  VkBuffer gbuf = bpvk_vt(g).buffer, xbuf = bpvk_vt(x).buffer, sbuf = sa->block->buffer;
  VkBuffer gxbuf = bpvk_vt(call->outputs[0]).buffer, gwbuf = bpvk_vt(call->outputs[1]).buffer;
  VkBuffer gbbuf = bpvk_vt(call->outputs[2]).buffer;
  /* The repack: raw copy (shaders/elementwise.glsl words) of the weight
   * [groups][cg][coutg][KH][KW] into rows of r0pad. */
  uint32_t cp[BPVK_EW_WORDS];
  memset(cp, 0, sizeof cp);
  uint32_t groups = w[CB_GROUPS], cg = w[CB_CG], coutg = w[CB_COUTG], kh = w[CB_KH], kw = w[CB_KW];
  uint32_t shape[5] = {groups, cg, coutg, kh, kw};
  uint32_t ostr[5] = {cg * p.r0pad, p.r0pad, kh * kw, kw, 1};
  uint32_t istr[5] = {coutg * (uint32_t)wt->strides[0], (uint32_t)wt->strides[1], (uint32_t)wt->strides[0],
                      (uint32_t)wt->strides[2], (uint32_t)wt->strides[3]};
  uint64_t count = (uint64_t)p.cin * w[CB_R0];
  cp[BPVK_EW_NUMEL] = (uint32_t)count;
  cp[BPVK_EW_NDIM] = 5;
  for (int i = 0; i < 5; ++i) {
    cp[BPVK_EW_SHAPE + i] = shape[i];
    cp[BPVK_EW_OP0 + 1 + i] = ostr[i];
    cp[BPVK_EW_OP0 + BPVK_EW_OPSTRIDE + 1 + i] = istr[i];
  }
  cp[BPVK_EW_OP0] = soff;
  cp[BPVK_EW_OP0 + BPVK_EW_OPSTRIDE] = bpvk_vt(wt).offset;
  uint32_t cgx, cgy;
  bpvk_grid_1d(count, 256, &cgx, &cgy);
  VkBuffer cbufs[3] = {sbuf, bpvk_vt(wt).buffer, VK_NULL_HANDLE};
  /* grad_input */
  VkBuffer ti[3] = {sbuf, gbuf, VK_NULL_HANDLE};
  VkFormat fi[3] = {VK_FORMAT_R32G32B32A32_SFLOAT, VK_FORMAT_R32_SFLOAT, VK_FORMAT_R32_SFLOAT};
  VkBuffer oi[3] = {gxbuf, VK_NULL_HANDLE, VK_NULL_HANDLE};
  uint32_t unit = w[CB_SH] == 1 && w[CB_SW] == 1;
  uint32_t ix = (w[CB_HW] + 8 * CBT_TN - 1) / (8 * CBT_TN), iy = (cg + p.tmi - 1) / p.tmi;
  /* grad_weight and grad_bias partials */
  VkBuffer tw[3] = {gbuf, xbuf, VK_NULL_HANDLE};
  VkFormat fw[3] = {p.gv4 || p.rowsw ? VK_FORMAT_R32G32B32A32_SFLOAT : VK_FORMAT_R32_SFLOAT,
                    p.rowsw ? VK_FORMAT_R32G32B32A32_SFLOAT : VK_FORMAT_R32_SFLOAT, VK_FORMAT_R32_SFLOAT};
  VkBuffer ow[3] = {sbuf, VK_NULL_HANDLE, VK_NULL_HANDLE};
  uint32_t wx = p.rowsw ? cg / 4 * kh : (w[CB_R] + CBT_TN - 1) / CBT_TN, wy = (coutg + p.tmw - 1) / p.tmw;
  uint32_t wz = groups * w[CB_SPLITS] / 8, wspec = p.rowsw ? kw | w[CB_PW] << 8 : 0;
  /* the sums over the splits */
  VkBuffer tr[3] = {sbuf, VK_NULL_HANDLE, VK_NULL_HANDLE};
  VkFormat fr[3] = {VK_FORMAT_R32_SFLOAT, VK_FORMAT_R32_SFLOAT, VK_FORMAT_R32_SFLOAT};
  VkBuffer orr[3] = {gwbuf, gbbuf, VK_NULL_HANDLE};
  uint32_t rx, ry;
  bpvk_grid_1d((uint64_t)p.cout * w[CB_R] + p.cout, 8, &rx, &ry);
  /* grad_input through conv2d_rows where it applies (it locks d->mu) */
  uint32_t rv[CV_WORDS];
  int32_t vrows = bpvk_variant_find("conv2d_rows_8");
  VkBuffer rten[3] = {gxbuf, VK_NULL_HANDLE, VK_NULL_HANDLE}, rtex[3] = {gbuf, gbuf, bpvk_vt(wt).buffer};
  bool rows = cbt_rows_words(call, &p, rv) && bpvk_variant_usable(d, vrows) &&
              bpvk_conv_rows(ctx, d, call->device_index, rv, rten, rtex, p.nimg) == BP_STATUS_OK;
  pthread_mutex_lock(&d->mu);
  bp_status_t s = BP_STATUS_OK;
  if (!rows) s = bpvk_dispatch(d, vc, 0, cbufs, cp, BPVK_EW_WORDS, cgx, cgy, 1);
  if (!s && !rows) s = bpvk_dispatch_texel(d, vi, unit, oi, ti, fi, w, CB_WORDS, ix, iy, p.nimg * groups);
  if (!s) s = bpvk_dispatch_texel(d, vw, wspec, ow, tw, fw, w, CB_WORDS, wx, wy, wz);
  if (!s) s = bpvk_dispatch_texel(d, vr, 0, orr, tr, fr, w, CB_WORDS, rx, ry, 1);
  pthread_mutex_unlock(&d->mu);
  /* later writes to the scratch range queue after these dispatches */
  bpvk_buffer_free(ctx, call->device_index, scratch);
  *status = s;
  return true;
}
