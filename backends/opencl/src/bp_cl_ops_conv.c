/* bp_cl_ops_conv.c - conv1d and conv2d as im2col + the matmul kernel
 * (kernels/bp_matmul.cl), natively on the device.
 *
 * For a chunk of images, bp_im2col writes col[n, g, (ci*KH + kh)*KW + kw,
 * oh*OW + ow] into the device's scratch buffer (contiguous, the input's
 * storage type; kept between calls: bp_cl_scratch_get), then one batched matmul over (n, g) multiplies weight[g] (viewed
 * [Cout/G, Cg*KH*KW], broadcast over n) by col[n, g] into out[n, g*Cout/G..,
 * oh*OW + ow] and adds the bias. Accumulation is that of matmul: f32 for
 * f16/bf16/f32, f64 for f64, wrapping 64-bit for the integers. A weight
 * whose (Cg, KH, KW) dims are not one strided run (sliced) is first packed
 * into the scratch buffer, after the columns. Declined (the dispatcher
 * falls back): an output whose (OH, OW) dims are not one strided run. */
#include <stdio.h>
#include <string.h>

#include "bp_cl_internal.h"

/* Scratch for im2col: at most this many bytes per chunk of images (at
 * least one image). On CPU devices the chunk stays small enough that the
 * matmul reads the columns im2col has just written from the cache (one
 * image of the benchmark's conv2d: 7 MiB; 1.6x faster than 256 MiB
 * chunks on PoCL). */
#define BP_CL_CONV_SCRATCH (256u << 20)
#define BP_CL_CONV_SCRATCH_CPU (8u << 20)

/* Must match bp_im2col_geom_t (kernels/bp_matmul.cl). */
typedef struct bp_cl_im2col_geom {
  cl_long n0, nimg, groups, cg, kh, kw, oh, ow, h, w;
  cl_long sn, sc, sh, sw, x_offset;
  cl_long stride_h, stride_w, pad_h, pad_w, dil_h, dil_w;
} bp_cl_im2col_geom_t;

/* Must match bp_pack_geom_t (kernels/bp_matmul.cl). */
typedef struct bp_cl_pack_geom {
  cl_long cout, cg, kh, kw, sn, sc, sh, sw, w_offset, dst_offset;
} bp_cl_pack_geom_t;

typedef struct conv_impl {
  bp_dtype_t dtype;
  int nsp; /* spatial dims: 1 or 2 */
} conv_impl_t;

static conv_impl_t g_conv[2][8];

/* A tensor as [N, C, H, W]: missing batch 1, missing H (1-D) 1 with
 * stride 0. */
typedef struct nchw {
  int64_t n, c, h, w, sn, sc, sh, sw;
} nchw_t;

static nchw_t as_nchw(const bp_tensor_desc_t *t, int nsp, bool batched) {
  nchw_t r = {1, 1, 1, 1, 0, 0, 0, 0};
  int d = 0;
  if (batched) r.n = t->shape[d], r.sn = t->strides[d], ++d;
  r.c = t->shape[d], r.sc = t->strides[d], ++d;
  if (nsp == 2) r.h = t->shape[d], r.sh = t->strides[d], ++d;
  r.w = t->shape[d], r.sw = t->strides[d];
  return r;
}

static int64_t attr_at(const bp_attr_t *a, int n, int i, int64_t def) {
  if (a == NULL || a->count == 0) return def;
  return a->value.ints[a->count == 1 ? 0 : (a->count == (uint32_t)n ? i : 0)];
}

/* True when dims (outermost first) of the given extents and strides are
 * one run of stride *step once size-1 dims are dropped. */
static bool one_run(const int64_t *shape, const int64_t *stride, int n, int64_t *step) {
  int64_t expect = 0;
  bool any = false;
  *step = 1;
  for (int d = n - 1; d >= 0; --d) {
    if (shape[d] == 1) continue;
    if (!any) {
      *step = stride[d];
      any = true;
    } else if (stride[d] != expect) {
      return false;
    }
    expect = stride[d] * shape[d];
  }
  return true;
}

typedef struct conv_plan {
  bp_cl_im2col_geom_t ig;
  bp_cl_mm_geom_t mg;
  int64_t kdim, ohw;
  bool has_bias;
  bool pack_w;             /* the weight is packed into the scratch first */
  bp_cl_pack_geom_t pg;    /* pack_w: its geometry (dst_offset set per call) */
} conv_plan_t;

/* Fills the plan; false when the layout is one the kernels do not take. */
static bool conv_plan(const bp_kernel_call_t *call, int nsp, conv_plan_t *p) {
  memset(p, 0, sizeof *p);
  if (call->num_inputs != 3 || call->num_outputs != 1 || call->num_attrs < 6) return false;
  const bp_tensor_desc_t *x = call->inputs[0], *w = call->inputs[1], *b = call->inputs[2];
  const bp_tensor_desc_t *o = call->outputs[0];
  size_t es = bp_abi_dtype_size(x->dtype);
  if (es == 0 || x->byte_offset % es || w->byte_offset % es || b->byte_offset % es ||
      o->byte_offset % es)
    return false;
  bool batched = x->ndim == nsp + 2, same = call->attrs[4]->value.b;
  p->has_bias = call->attrs[5]->value.b;
  nchw_t xq = as_nchw(x, nsp, batched), wq = as_nchw(w, nsp, true), oq = as_nchw(o, nsp, batched);
  int64_t groups = call->attrs[3]->value.i;
  if (groups < 1) return false;
  int64_t st[2] = {1, 1}, pad[2] = {0, 0}, dil[2] = {1, 1};
  for (int i = nsp == 1 ? 1 : 0; i < 2; ++i) {
    int j = nsp == 1 ? 0 : i;
    st[i] = attr_at(call->attrs[0], nsp, j, 1);
    dil[i] = attr_at(call->attrs[2], nsp, j, 1);
    int64_t k = i == 0 ? wq.h : wq.w;
    pad[i] = same ? dil[i] * (k - 1) / 2 : attr_at(call->attrs[1], nsp, j, 0);
  }
  const int64_t cg = wq.c, coutg = wq.n / groups;
  p->kdim = cg * wq.h * wq.w;
  p->ohw = oq.h * oq.w;
  if (p->kdim == 0 || wq.n == 0) return false;
  /* weight [G*Coutg, Cg, KH, KW]: (Cg, KH, KW) must be one strided run,
   * and so must out's (OH, OW). */
  int64_t wsk = 0, osp = 0;
  if (!one_run((const int64_t[2]){oq.h, oq.w}, (const int64_t[2]){oq.sh, oq.sw}, 2, &osp))
    return false;
  p->pack_w =
      !one_run((const int64_t[3]){cg, wq.h, wq.w}, (const int64_t[3]){wq.sc, wq.sh, wq.sw}, 3, &wsk);
  if (p->pack_w) {
    bp_cl_pack_geom_t *pg = &p->pg;
    pg->cout = wq.n, pg->cg = cg, pg->kh = wq.h, pg->kw = wq.w;
    pg->sn = wq.sn, pg->sc = wq.sc, pg->sh = wq.sh, pg->sw = wq.sw;
    pg->w_offset = (cl_long)(w->byte_offset / es);
  }

  bp_cl_im2col_geom_t *ig = &p->ig;
  ig->nimg = xq.n, ig->groups = groups, ig->cg = cg, ig->kh = wq.h, ig->kw = wq.w;
  ig->oh = oq.h, ig->ow = oq.w, ig->h = xq.h, ig->w = xq.w;
  ig->sn = xq.sn, ig->sc = xq.sc, ig->sh = xq.sh, ig->sw = xq.sw;
  ig->x_offset = (cl_long)(x->byte_offset / es);
  ig->stride_h = st[0], ig->stride_w = st[1], ig->pad_h = pad[0], ig->pad_w = pad[1];
  ig->dil_h = dil[0], ig->dil_w = dil[1];

  bp_cl_mm_geom_t *g = &p->mg;
  g->m = coutg, g->n = p->ohw, g->k = p->kdim;
  g->sam = p->pack_w ? p->kdim : wq.sn, g->sak = p->pack_w ? 1 : wsk;
  g->sbk = p->ohw, g->sbn = 1;
  g->som = oq.sc, g->son = osp;
  g->a_offset = p->pack_w ? 0 : (cl_long)(w->byte_offset / es); /* pack_w: set per call */
  g->b_offset = 0;
  g->o_offset = (cl_long)(o->byte_offset / es);
  /* batch dims (n, g); n set per chunk */
  g->batch_nd = 2;
  g->batch_shape[0] = xq.n, g->batch_shape[1] = groups;
  g->batch_sa[0] = 0, g->batch_sa[1] = coutg * g->sam;
  g->batch_sb[0] = groups * p->kdim * p->ohw, g->batch_sb[1] = p->kdim * p->ohw;
  g->batch_so[0] = oq.sn, g->batch_so[1] = coutg * oq.sc;
  if (p->has_bias) {
    if (b->ndim != 1) return false;
    g->bias_offset = (cl_long)(b->byte_offset / es);
    g->sbias_m = b->strides[0];
    g->batch_sbias[0] = 0, g->batch_sbias[1] = coutg * b->strides[0];
  }
  return true;
}

static bool conv_supports(const bp_kernel_call_t *call) {
  const conv_impl_t *impl = call->kernel_data;
  const bp_cl_ctx_t *ctx = call->plugin_ctx;
  if (!bp_cl_device_takes(call, impl->dtype) ||
      !bp_cl_matmul_takes(&ctx->devices[call->device_index], impl->dtype))
    return false;
  conv_plan_t p;
  return conv_plan(call, impl->nsp, &p);
}

static bp_status_t conv_kernel(const bp_kernel_call_t *call) {
  bp_cl_ctx_t *ctx = call->plugin_ctx;
  const conv_impl_t *impl = call->kernel_data;
  conv_plan_t p;
  if (!conv_plan(call, impl->nsp, &p))
    return bp_cl_fail(ctx, BP_STATUS_UNSUPPORTED, "opencl %s: layout not supported",
                      call->op_name);
  const bp_tensor_desc_t *x = call->inputs[0], *w = call->inputs[1], *b = call->inputs[2];
  const bp_tensor_desc_t *o = call->outputs[0];
  const int64_t nimg = p.ig.nimg;
  if (nimg == 0 || p.mg.m == 0 || p.ohw == 0) return BP_STATUS_OK;
  size_t es = bp_abi_dtype_size(x->dtype);
  bp_cl_device_t *dev = NULL;
  bp_status_t s = bp_cl_device_get(ctx, call->device_index, &dev);
  if (s != BP_STATUS_OK) return s;
  /* images per chunk: the scratch stays within the limit and max_alloc */
  uint64_t per_img = (uint64_t)p.ig.groups * (uint64_t)p.kdim * (uint64_t)p.ohw * es;
  const uint64_t wpack_bytes = p.pack_w ? (uint64_t)p.pg.cout * (uint64_t)p.kdim * es : 0;
  uint64_t lim = dev->kind == BP_DEVICE_KIND_GPU ? BP_CL_CONV_SCRATCH : BP_CL_CONV_SCRATCH_CPU;
  uint64_t room = dev->max_alloc > wpack_bytes ? dev->max_alloc - wpack_bytes : 0;
  uint64_t cap = lim < room ? lim : room;
  int64_t chunk = per_img ? (int64_t)(cap / per_img) : nimg;
  if (chunk < 1) chunk = 1;
  if (chunk > nimg) chunk = nimg;
  const char *mm_defs = bp_cl_matmul_defines(impl->dtype);
  if (mm_defs == NULL) return bp_cl_fail(ctx, BP_STATUS_UNSUPPORTED, "opencl conv: no kernel");
  char defs[600];
  snprintf(defs, sizeof defs, "%s#define BP_K_IM2COL 1\n", mm_defs);
  cl_mem xm = (cl_mem)x->data, wm = (cl_mem)w->data, om = (cl_mem)o->data;
  cl_mem bm = p.has_bias ? (cl_mem)b->data : NULL;
  pthread_mutex_lock(&dev->lock);
  cl_int err = CL_SUCCESS;
  /* scratch: the columns of a chunk, then the packed weight (pack_w) */
  const uint64_t col_bytes = per_img * (uint64_t)chunk;
  s = bp_cl_scratch_get(ctx, dev, col_bytes + wpack_bytes);
  cl_mem col = dev->scratch;
  if (p.pack_w) {
    p.pg.dst_offset = (cl_long)(col_bytes / es);
    p.mg.a_offset = p.pg.dst_offset;
    wm = col;
  }
  cl_kernel k = NULL;
  if (s == BP_STATUS_OK) s = bp_cl_program_kernel(ctx, dev, defs, bp_cl_src_matmul, "bp_im2col", &k);
  if (s == BP_STATUS_OK && p.pack_w) {
    cl_kernel pk = NULL;
    s = bp_cl_program_kernel(ctx, dev, defs, bp_cl_src_matmul, "bp_pack_weight", &pk);
    cl_mem wsrc = (cl_mem)w->data;
    if (s == BP_STATUS_OK) {
      size_t global[2] = {(size_t)p.kdim, (size_t)p.pg.cout};
      err = clSetKernelArg(pk, 0, sizeof col, &col);
      if (err == CL_SUCCESS) err = clSetKernelArg(pk, 1, sizeof wsrc, &wsrc);
      if (err == CL_SUCCESS) err = clSetKernelArg(pk, 2, sizeof p.pg, &p.pg);
      if (err == CL_SUCCESS)
        err = clEnqueueNDRangeKernel(dev->queue, pk, 2, NULL, global, NULL, 0, NULL, NULL);
      s = bp_cl_check(ctx, err, "clEnqueueNDRangeKernel", "conv weight pack");
    }
  }
  for (int64_t n0 = 0; n0 < nimg && s == BP_STATUS_OK; n0 += chunk) {
    int64_t cnt = nimg - n0 < chunk ? nimg - n0 : chunk;
    bp_cl_im2col_geom_t ig = p.ig;
    ig.n0 = n0, ig.nimg = cnt;
    size_t local[2] = {8, 1};
    size_t global[2] = {(size_t)(p.kdim + 7) / 8 * 8, (size_t)(cnt * p.ig.groups)};
    err = clSetKernelArg(k, 0, sizeof col, &col);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 1, sizeof xm, &xm);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 2, sizeof ig, &ig);
    if (err == CL_SUCCESS)
      err = clEnqueueNDRangeKernel(dev->queue, k, 2, NULL, global, local, 0, NULL, NULL);
    s = bp_cl_check(ctx, err, "clEnqueueNDRangeKernel", "im2col");
    if (s != BP_STATUS_OK) break;
    bp_cl_mm_geom_t g = p.mg;
    g.batch_shape[0] = cnt;
    g.batch = cnt * p.ig.groups;
    g.o_offset += n0 * g.batch_so[0];
    s = bp_cl_matmul_enqueue(ctx, dev, impl->dtype, &g, om, wm, col, bm);
  }
  pthread_mutex_unlock(&dev->lock);
  return s;
}

bp_status_t bp_cl_register_conv(bp_cl_ctx_t *ctx) {
  static const bp_dtype_t dtypes[8] = {BP_DTYPE_U8,  BP_DTYPE_I8,   BP_DTYPE_I32, BP_DTYPE_I64,
                                       BP_DTYPE_F16, BP_DTYPE_BF16, BP_DTYPE_F32, BP_DTYPE_F64};
  static const char *const names[2] = {"conv1d", "conv2d"};
  for (int v = 0; v < 2; ++v)
    for (int i = 0; i < 8; ++i) {
      bp_dtype_t t = dtypes[i];
      if (t == BP_DTYPE_F64 && !ctx->any_fp64) continue;
      conv_impl_t *impl = &g_conv[v][i];
      impl->dtype = t;
      impl->nsp = v + 1;
      bp_dtype_t sig[4] = {t, t, t, t};
      bp_status_t s = bp_cl_register(ctx, names[v], sig, 4, conv_kernel, conv_supports, impl);
      if (s != BP_STATUS_OK) return s;
    }
  return BP_STATUS_OK;
}
