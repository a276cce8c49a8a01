/* bp_cl_ops_convbwd.c - conv2d_backward and conv_transpose2d
 * (kernels/bp_convbwd.cl): direct gathering kernels; conv2d_backward's
 * grad_input, grad_weight (split over the images into parts summed in
 * order when there are few weights) and grad_bias, bf16, f32, f64;
 * conv_transpose2d one work item per output, i64 and the floats. A first
 * version: a matmul formulation (im2col with bp_cl_matmul_enqueue) is the
 * faster path to take later. */
#include <stdio.h>
#include <string.h>

#include "bp_cl_nn.h"

/* Must match bp_cbw_geom_t (kernels/bp_convbwd.cl). */
typedef struct bp_cl_cbw_geom {
  cl_long n, c, h, w, cout, cg, coutg, kh, kw, oh, ow;
  cl_long s[2], p[2], d[2];
  cl_long gs[4], xs[4], ws[4], gis[4], gws[4], gbs;
  cl_long g_off, x_off, w_off, gi_off, gw_off, gb_off;
} bp_cl_cbw_geom_t;

typedef struct cbw_impl {
  bp_dtype_t dtype;
} cbw_impl_t;

static cbw_impl_t g_impls[3], g_convt[5];

/* [N, C, H, W] view of a 3-D or 4-D tensor (batch 1, stride 0 when 3-D). */
static bool nchw(const bp_tensor_desc_t *t, cl_long dims[4], cl_long st[4], cl_long *off, bool batched) {
  if (t->ndim != (batched ? 4 : 3)) return false;
  size_t es = bp_abi_dtype_size(t->dtype);
  if (es == 0 || t->byte_offset % es) return false;
  *off = (cl_long)(t->byte_offset / es);
  int s = batched ? 0 : 1;
  dims[0] = 1;
  st[0] = 0;
  for (int d = 0; d < t->ndim; ++d) {
    dims[d + s] = t->shape[d];
    st[d + s] = t->strides[d];
  }
  return true;
}

static bool cbw_geom(const bp_kernel_call_t *call, bp_cl_cbw_geom_t *q) {
  memset(q, 0, sizeof *q);
  const bp_tensor_desc_t *g = call->inputs[0], *x = call->inputs[1], *w = call->inputs[2];
  const bp_tensor_desc_t *gi = call->outputs[0], *gw = call->outputs[1], *gb = call->outputs[2];
  if (call->num_inputs != 3 || call->num_outputs != 3) return false;
  const bool batched = x->ndim == 4;
  cl_long gd[4], xd[4], wd[4], t[4];
  if (!nchw(g, gd, q->gs, &q->g_off, batched) || !nchw(x, xd, q->xs, &q->x_off, batched) ||
      !nchw(w, wd, q->ws, &q->w_off, true) || !nchw(gi, t, q->gis, &q->gi_off, batched) ||
      !nchw(gw, t, q->gws, &q->gw_off, true))
    return false;
  size_t es = bp_abi_dtype_size(gb->dtype);
  if (gb->ndim != 1 || gb->byte_offset % es) return false;
  q->gb_off = (cl_long)(gb->byte_offset / es);
  q->gbs = gb->strides[0];
  const int64_t groups = bp_cl_attr_i(call, "groups", 1);
  q->n = xd[0]; q->c = xd[1]; q->h = xd[2]; q->w = xd[3];
  q->cout = wd[0]; q->cg = wd[1]; q->kh = wd[2]; q->kw = wd[3];
  q->oh = gd[2]; q->ow = gd[3];
  if (groups < 1 || q->cout % groups || q->cg * groups != q->c || gd[1] != q->cout ||
      gd[0] != q->n || gb->shape[0] != q->cout)
    return false;
  q->coutg = q->cout / groups;
  const bool same = bp_cl_attr_b(call, "padding_same", false);
  const cl_long k[2] = {q->kh, q->kw};
  for (int i = 0; i < 2; ++i) {
    q->s[i] = bp_cl_attr_2d(call, "stride", i, 1);
    q->d[i] = bp_cl_attr_2d(call, "dilation", i, 1);
    q->p[i] = same ? q->d[i] * (k[i] - 1) / 2 : bp_cl_attr_2d(call, "padding", i, 0);
    if (q->s[i] < 1 || q->d[i] < 1 || q->p[i] < 0) return false;
  }
  return true;
}

static bool cbw_supports(const bp_kernel_call_t *call) {
  const cbw_impl_t *impl = call->kernel_data;
  bp_cl_cbw_geom_t q;
  return bp_cl_device_takes(call, impl->dtype) && cbw_geom(call, &q);
}

static bp_status_t cbw_kernel(const bp_kernel_call_t *call) {
  bp_cl_ctx_t *ctx = call->plugin_ctx;
  const cbw_impl_t *impl = call->kernel_data;
  bp_cl_cbw_geom_t q;
  if (!cbw_geom(call, &q))
    return bp_cl_fail(ctx, BP_STATUS_UNSUPPORTED, "opencl conv2d_backward: layout not supported");
  bp_cl_device_t *dev = NULL;
  bp_status_t s = bp_cl_device_get(ctx, call->device_index, &dev);
  if (s != BP_STATUS_OK) return s;
  char defines[800];
  bp_cl_nn_type_defines(defines, sizeof defines, dev, impl->dtype, false);
  strncat(defines, "#define BP_K_CONVBWD 1\n", sizeof defines - strlen(defines) - 1);
  const size_t acc_size = impl->dtype == BP_DTYPE_F64 ? 8 : 4;
  cl_mem gm = (cl_mem)call->inputs[0]->data, xm = (cl_mem)call->inputs[1]->data;
  cl_mem wm = (cl_mem)call->inputs[2]->data, gim = (cl_mem)call->outputs[0]->data;
  cl_mem gwm = (cl_mem)call->outputs[1]->data, gbm = (cl_mem)call->outputs[2]->data;
  const int64_t n_gi = q.n * q.c * q.h * q.w, n_gw = q.cout * q.cg * q.kh * q.kw;
  /* parts over the images: enough work items for the device */
  const cl_long target = bp_cl_nn_gpu_paths(dev) ? 16384 : 256;
  cl_long parts = n_gw > 0 ? (target + n_gw - 1) / n_gw : 1;
  if (parts > q.n) parts = q.n;
  if (parts < 1) parts = 1;
  pthread_mutex_lock(&dev->lock);
  cl_mem part = NULL;
  if (n_gi > 0) {
    bp_cl_arg_t a[] = {BP_CL_ARG(gm), BP_CL_ARG(wm), BP_CL_ARG(gim), BP_CL_ARG(q)};
    s = bp_cl_nn_launch(ctx, dev, defines, bp_cl_src_convbwd, "bp_conv_bwd_input", a, 4, n_gi, NULL, NULL);
  }
  if (s == BP_STATUS_OK && n_gw > 0) {
    cl_int err = CL_SUCCESS;
    if (parts > 1) {
      part = clCreateBuffer(dev->context, CL_MEM_READ_WRITE, acc_size * (size_t)(n_gw * parts), NULL, &err);
      s = bp_cl_check(ctx, err, "clCreateBuffer", "conv2d_backward partial sums");
    }
    if (s == BP_STATUS_OK) {
      size_t wg = dev->max_wg < 64 ? dev->max_wg : 64;
      size_t global[3] = {(size_t)((n_gw + (int64_t)wg - 1) / (int64_t)wg) * wg, (size_t)parts, 0};
      size_t local[3] = {wg, 1, 0};
      bp_cl_arg_t a[] = {BP_CL_ARG(gm), BP_CL_ARG(xm), BP_CL_ARG(gwm), BP_CL_ARG(q),
                         BP_CL_ARG(parts), BP_CL_ARG(part)};
      s = bp_cl_nn_launch(ctx, dev, defines, bp_cl_src_convbwd, "bp_conv_bwd_weight", a, 6, -1,
                          global, local);
    }
    if (s == BP_STATUS_OK && parts > 1) {
      bp_cl_arg_t a[] = {BP_CL_ARG(gwm), BP_CL_ARG(q), BP_CL_ARG(parts), BP_CL_ARG(part)};
      s = bp_cl_nn_launch(ctx, dev, defines, bp_cl_src_convbwd, "bp_conv_bwd_final", a, 4, n_gw,
                          NULL, NULL);
    }
  }
  if (s == BP_STATUS_OK && q.cout > 0) {
    bp_cl_arg_t a[] = {BP_CL_ARG(gm), BP_CL_ARG(gbm), BP_CL_ARG(q)};
    s = bp_cl_nn_launch(ctx, dev, defines, bp_cl_src_convbwd, "bp_conv_bwd_bias", a, 3, q.cout,
                        NULL, NULL);
  }
  if (part != NULL) clReleaseMemObject(part);
  pthread_mutex_unlock(&dev->lock);
  return s;
}

/* conv_transpose2d: x [N, C_in, H, W] (or unbatched), weight
 * [C_in, C_out/groups, KH, KW], bias [C_out], out [N, C_out, OH, OW]; the
 * geometry reuses bp_cl_cbw_geom_t (x: xs, weight: ws, out: gis, bias: gbs). */
static bool convt_geom(const bp_kernel_call_t *call, bp_cl_cbw_geom_t *q) {
  memset(q, 0, sizeof *q);
  if (call->num_inputs != 3 || call->num_outputs != 1) return false;
  const bp_tensor_desc_t *x = call->inputs[0], *w = call->inputs[1], *b = call->inputs[2];
  const bp_tensor_desc_t *o = call->outputs[0];
  const bool batched = x->ndim == 4;
  cl_long xd[4], wd[4], od[4];
  if (!nchw(x, xd, q->xs, &q->x_off, batched) || !nchw(w, wd, q->ws, &q->w_off, true) ||
      !nchw(o, od, q->gis, &q->gi_off, batched))
    return false;
  const int64_t groups = bp_cl_attr_i(call, "groups", 1);
  q->n = xd[0]; q->c = xd[1]; q->h = xd[2]; q->w = xd[3];
  q->cout = od[1]; q->coutg = wd[1]; q->kh = wd[2]; q->kw = wd[3];
  q->oh = od[2]; q->ow = od[3];
  if (groups < 1 || q->c % groups || wd[0] != q->c || q->coutg * groups != q->cout || od[0] != q->n)
    return false;
  if (bp_cl_attr_b(call, "has_bias", true)) {
    size_t es = bp_abi_dtype_size(b->dtype);
    if (b->ndim != 1 || b->shape[0] != q->cout || b->byte_offset % es) return false;
    q->gb_off = (cl_long)(b->byte_offset / es);
    q->gbs = b->strides[0];
  }
  for (int i = 0; i < 2; ++i) {
    q->s[i] = bp_cl_attr_2d(call, "stride", i, 1);
    q->p[i] = bp_cl_attr_2d(call, "padding", i, 0);
    q->d[i] = bp_cl_attr_2d(call, "dilation", i, 1);
    if (q->s[i] < 1 || q->d[i] < 1) return false;
  }
  return true;
}

static bool convt_supports(const bp_kernel_call_t *call) {
  const cbw_impl_t *impl = call->kernel_data;
  bp_cl_cbw_geom_t q;
  return bp_cl_device_takes(call, impl->dtype) && convt_geom(call, &q);
}

static bp_status_t convt_kernel(const bp_kernel_call_t *call) {
  bp_cl_ctx_t *ctx = call->plugin_ctx;
  const cbw_impl_t *impl = call->kernel_data;
  bp_cl_cbw_geom_t q;
  if (!convt_geom(call, &q))
    return bp_cl_fail(ctx, BP_STATUS_UNSUPPORTED, "opencl conv_transpose2d: layout not supported");
  const int64_t n = q.n * q.cout * q.oh * q.ow;
  if (n == 0) return BP_STATUS_OK;
  bp_cl_device_t *dev = NULL;
  bp_status_t s = bp_cl_device_get(ctx, call->device_index, &dev);
  if (s != BP_STATUS_OK) return s;
  char defines[800];
  bp_cl_nn_type_defines(defines, sizeof defines, dev, impl->dtype, false);
  strncat(defines, impl->dtype == BP_DTYPE_I64 ? "#define BP_K_CONVT 1\n#define BP_INTEGER 1\n"
                                               : "#define BP_K_CONVT 1\n",
          sizeof defines - strlen(defines) - 1);
  cl_mem xm = (cl_mem)call->inputs[0]->data, wm = (cl_mem)call->inputs[1]->data;
  cl_mem bm = (cl_mem)call->inputs[2]->data, om = (cl_mem)call->outputs[0]->data;
  cl_int has_bias = bp_cl_attr_b(call, "has_bias", true);
  bp_cl_arg_t a[] = {BP_CL_ARG(xm), BP_CL_ARG(wm), BP_CL_ARG(bm), BP_CL_ARG(om), BP_CL_ARG(q),
                     BP_CL_ARG(has_bias)};
  pthread_mutex_lock(&dev->lock);
  s = bp_cl_nn_launch(ctx, dev, defines, bp_cl_src_convbwd, "bp_conv_transpose", a, 6, n, NULL, NULL);
  pthread_mutex_unlock(&dev->lock);
  return s;
}

bp_status_t bp_cl_register_conv_backward(bp_cl_ctx_t *ctx) {
  static const bp_dtype_t ttypes[5] = {BP_DTYPE_I64, BP_DTYPE_F16, BP_DTYPE_BF16, BP_DTYPE_F32,
                                       BP_DTYPE_F64};
  for (int i = 0; i < 5; ++i) {
    bp_dtype_t t = ttypes[i];
    if (t == BP_DTYPE_F64 && !ctx->any_fp64) continue;
    g_convt[i].dtype = t;
    bp_dtype_t sig[4] = {t, t, t, t};
    bp_status_t s = bp_cl_register(ctx, "conv_transpose2d", sig, 4, convt_kernel, convt_supports,
                                   &g_convt[i]);
    if (s != BP_STATUS_OK) return s;
  }
  static const bp_dtype_t types[3] = {BP_DTYPE_BF16, BP_DTYPE_F32, BP_DTYPE_F64};
  for (int i = 0; i < 3; ++i) {
    bp_dtype_t t = types[i];
    if (t == BP_DTYPE_F64 && !ctx->any_fp64) continue;
    g_impls[i].dtype = t;
    bp_dtype_t sig[6] = {t, t, t, t, t, t};
    bp_status_t s = bp_cl_register(ctx, "conv2d_backward", sig, 6, cbw_kernel, cbw_supports, &g_impls[i]);
    if (s != BP_STATUS_OK) return s;
  }
  return BP_STATUS_OK;
}
