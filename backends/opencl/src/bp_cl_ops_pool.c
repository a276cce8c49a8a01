/* bp_cl_ops_pool.c - max_pool2d, avg_pool2d, adaptive_avg_pool2d and their
 * backward ops (kernels/bp_pool.cl). Tensors [N, C, H, W] or [C, H, W],
 * any strides; the attrs are read as the reference reads them. The
 * backward kernels gather (one work item per grad_input element), so they
 * need no atomics and give the same bits every run. */
#include <stdio.h>
#include <string.h>

#include "bp_cl_nn.h"

/* Must match bp_pool_geom_t (kernels/bp_pool.cl). */
typedef struct bp_cl_pool_geom {
  cl_long n, c, h, w, oh, ow;
  cl_long xs[4], os[4], is[4];
  cl_long x_off, o_off, i_off, g_off;
  cl_long gs[4];
  cl_long k[2], s[2], p[2], d[2];
  cl_long include_pad, divisor;
} bp_cl_pool_geom_t;

typedef enum pool_kind {
  POOL_MAX,
  POOL_AVG,
  POOL_ADAPTIVE,
  POOL_MAX_BWD,
  POOL_AVG_BWD,
  POOL_ADAPTIVE_BWD,
} pool_kind_t;

typedef struct pool_impl {
  pool_kind_t kind;
  bp_dtype_t dtype;
} pool_impl_t;

static pool_impl_t g_impls[6][5];

/* Dims and strides of a 3-D or 4-D tensor as [N, C, H, W]; false on other
 * ranks or a misaligned offset. */
static bool nchw(const bp_tensor_desc_t *t, cl_long dims[4], cl_long st[4], cl_long *off) {
  if (t->ndim != 3 && t->ndim != 4) return false;
  size_t es = bp_abi_dtype_size(t->dtype);
  if (es == 0 || t->byte_offset % es) return false;
  *off = (cl_long)(t->byte_offset / es);
  int s = t->ndim == 4 ? 0 : 1;
  dims[0] = 1;
  st[0] = 0;
  for (int d = 0; d < t->ndim; ++d) {
    dims[d + s] = t->shape[d];
    st[d + s] = t->strides[d];
  }
  return true;
}

/* Fills g from the call; false when a layout is not supported. */
static bool pool_geom(const bp_kernel_call_t *call, pool_kind_t kind, bp_cl_pool_geom_t *g) {
  memset(g, 0, sizeof *g);
  const bool bwd = kind >= POOL_MAX_BWD;
  const bp_tensor_desc_t *x = bwd ? call->inputs[1] : call->inputs[0];
  const bp_tensor_desc_t *o = bwd ? call->inputs[0] : call->outputs[0];
  cl_long xd[4], od[4], tmp[4];
  if (!nchw(x, xd, g->xs, &g->x_off) || !nchw(o, od, g->os, &g->o_off)) return false;
  if (x->ndim != o->ndim || xd[0] != od[0] || xd[1] != od[1]) return false;
  g->n = xd[0];
  g->c = xd[1];
  g->h = xd[2];
  g->w = xd[3];
  g->oh = od[2];
  g->ow = od[3];
  if (kind == POOL_MAX && !nchw(call->outputs[1], tmp, g->is, &g->i_off)) return false;
  if (kind == POOL_MAX_BWD && !nchw(call->inputs[2], tmp, g->is, &g->i_off)) return false;
  if (bwd) {
    if (!nchw(call->outputs[0], tmp, g->gs, &g->g_off)) return false;
    for (int i = 0; i < 4; ++i)
      if (tmp[i] != xd[i]) return false;
  }
  for (int i = 0; i < 2; ++i) {
    g->k[i] = bp_cl_attr_2d(call, "kernel_size", i, 1);
    g->s[i] = bp_cl_attr_2d(call, "stride", i, g->k[i]);
    g->p[i] = bp_cl_attr_2d(call, "padding", i, 0);
    g->d[i] = bp_cl_attr_2d(call, "dilation", i, 1);
    if (kind != POOL_ADAPTIVE && kind != POOL_ADAPTIVE_BWD &&
        (g->k[i] < 1 || g->s[i] < 1 || g->d[i] < 1 || g->p[i] < 0))
      return false;
  }
  g->include_pad = bp_cl_attr_b(call, "count_include_pad", true);
  g->divisor = bp_cl_attr_i(call, "divisor_override", 0);
  return true;
}

static bool pool_supports(const bp_kernel_call_t *call) {
  const pool_impl_t *impl = call->kernel_data;
  if (!bp_cl_device_takes(call, impl->dtype)) return false;
  bp_cl_pool_geom_t g;
  return pool_geom(call, impl->kind, &g);
}

static bp_status_t pool_kernel(const bp_kernel_call_t *call) {
  bp_cl_ctx_t *ctx = call->plugin_ctx;
  const pool_impl_t *impl = call->kernel_data;
  bp_cl_pool_geom_t g;
  if (!pool_geom(call, impl->kind, &g))
    return bp_cl_fail(ctx, BP_STATUS_UNSUPPORTED, "opencl %s: layout not supported", call->op_name);
  const bool bwd = impl->kind >= POOL_MAX_BWD;
  const int64_t n = bwd ? g.n * g.c * g.h * g.w : g.n * g.c * g.oh * g.ow;
  if (n == 0) return BP_STATUS_OK;
  bp_cl_device_t *dev = NULL;
  bp_status_t s = bp_cl_device_get(ctx, call->device_index, &dev);
  if (s != BP_STATUS_OK) return s;
  char defines[700];
  bp_cl_nn_type_defines(defines, sizeof defines, dev, impl->dtype, false);
  if (impl->dtype == BP_DTYPE_I64) strncat(defines, "#define BP_INT 1\n", sizeof defines - strlen(defines) - 1);
  cl_mem m0 = (cl_mem)call->inputs[0]->data, m1 = (cl_mem)call->outputs[0]->data, m2 = NULL;
  bp_cl_arg_t args[4];
  int na = 0;
  const char *kname = NULL;
  switch (impl->kind) {
    case POOL_MAX:
      m2 = (cl_mem)call->outputs[1]->data;
      kname = "bp_max_pool";
      break;
    case POOL_AVG: kname = "bp_avg_pool"; break;
    case POOL_ADAPTIVE: kname = "bp_adaptive_pool"; break;
    case POOL_MAX_BWD:
      m1 = (cl_mem)call->inputs[2]->data; /* indices */
      m2 = (cl_mem)call->outputs[0]->data;
      kname = "bp_max_pool_bwd";
      break;
    case POOL_AVG_BWD: kname = "bp_avg_pool_bwd"; break;
    case POOL_ADAPTIVE_BWD: kname = "bp_adaptive_pool_bwd"; break;
  }
  args[na++] = BP_CL_ARG(m0);
  args[na++] = BP_CL_ARG(m1);
  if (m2 != NULL) args[na++] = BP_CL_ARG(m2);
  args[na++] = BP_CL_ARG(g);
  pthread_mutex_lock(&dev->lock);
  if (impl->kind == POOL_MAX_BWD)
    s = bp_cl_check_indices(ctx, dev, call->inputs[2], g.h * g.w, false, 0, "max_pool2d_backward",
                            "index");
  if (s == BP_STATUS_OK)
    s = bp_cl_nn_launch(ctx, dev, defines, bp_cl_src_pool, kname, args, na, n, NULL, NULL);
  pthread_mutex_unlock(&dev->lock);
  return s;
}

bp_status_t bp_cl_register_pool(bp_cl_ctx_t *ctx) {
  static const bp_dtype_t types[5] = {BP_DTYPE_I64, BP_DTYPE_F16, BP_DTYPE_BF16, BP_DTYPE_F32,
                                      BP_DTYPE_F64};
  static const char *const ops[6] = {"max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
                                     "max_pool2d_backward", "avg_pool2d_backward",
                                     "adaptive_avg_pool2d_backward"};
  for (int k = 0; k < 6; ++k)
    for (int i = 0; i < 5; ++i) {
      bp_dtype_t t = types[i];
      if (t == BP_DTYPE_F64 && !ctx->any_fp64) continue;
      if (t == BP_DTYPE_I64 && k != POOL_AVG) continue;
      if (t == BP_DTYPE_F16 && k >= POOL_MAX_BWD) continue;
      pool_impl_t *impl = &g_impls[k][i];
      impl->kind = (pool_kind_t)k;
      impl->dtype = t;
      bp_dtype_t sig[4] = {t, t, t, t};
      uint32_t n = 2;
      if (k == POOL_MAX) {
        sig[2] = BP_DTYPE_I64;
        n = 3;
      } else if (k == POOL_MAX_BWD) {
        sig[2] = BP_DTYPE_I64;
        n = 4;
      } else if (k >= POOL_AVG_BWD) {
        n = 3;
      }
      bp_status_t s = bp_cl_register(ctx, ops[k], sig, n, pool_kernel, pool_supports, impl);
      if (s != BP_STATUS_OK) return s;
    }
  return BP_STATUS_OK;
}
