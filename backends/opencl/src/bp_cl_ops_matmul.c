/* bp_cl_ops_matmul.c - matmul (kernels/bp_matmul.cl): a [B..., M, K] @
 * b [B..., K, N] -> out [B..., M, N], the kernel form of docs/ops.md, any
 * strides; batch dims merged where contiguous in all three. */
#include <stdio.h>
#include <string.h>

#include "bp_cl_internal.h"

#define BP_CL_MM_TS 32
#define BP_CL_MM_RTS 4 /* BP_TS / BP_WPT of the kernel */

typedef struct bp_cl_mm_geom {
  cl_long m, n, k, batch, batch_nd;
  cl_long sam, sak, sbk, sbn, som, son;
  cl_long a_offset, b_offset, o_offset;
  cl_long batch_shape[BP_CL_MAX_DIMS];
  cl_long batch_sa[BP_CL_MAX_DIMS], batch_sb[BP_CL_MAX_DIMS], batch_so[BP_CL_MAX_DIMS];
} bp_cl_mm_geom_t;

typedef struct mm_impl {
  bp_dtype_t dtype;
  char defines[512];
} mm_impl_t;

static mm_impl_t g_mm[8];

static bool mm_geom(bp_cl_mm_geom_t *g, const bp_tensor_desc_t *a, const bp_tensor_desc_t *b,
                    const bp_tensor_desc_t *o) {
  memset(g, 0, sizeof *g);
  int32_t nd = o->ndim;
  size_t size = bp_abi_dtype_size(o->dtype);
  if (nd < 2 || a->ndim != nd || b->ndim != nd || size == 0) return false;
  if (a->byte_offset % size || b->byte_offset % size || o->byte_offset % size) return false;
  g->a_offset = (cl_long)(a->byte_offset / size);
  g->b_offset = (cl_long)(b->byte_offset / size);
  g->o_offset = (cl_long)(o->byte_offset / size);
  g->m = o->shape[nd - 2];
  g->n = o->shape[nd - 1];
  g->k = a->shape[nd - 1];
  if (a->shape[nd - 2] != g->m || b->shape[nd - 1] != g->n || b->shape[nd - 2] != g->k) return false;
  g->sam = a->strides[nd - 2];
  g->sak = a->strides[nd - 1];
  g->sbk = b->strides[nd - 2];
  g->sbn = b->strides[nd - 1];
  g->som = o->strides[nd - 2];
  g->son = o->strides[nd - 1];
  g->batch = 1;
  for (int32_t d = 0; d < nd - 2; ++d) {
    int64_t e = o->shape[d];
    if (a->shape[d] != e || b->shape[d] != e) return false;
    g->batch *= e;
    if (e == 1) continue;
    cl_long j = g->batch_nd;
    if (j > 0 && g->batch_sa[j - 1] == a->strides[d] * e && g->batch_sb[j - 1] == b->strides[d] * e &&
        g->batch_so[j - 1] == o->strides[d] * e) {
      g->batch_shape[j - 1] *= e;
      g->batch_sa[j - 1] = a->strides[d];
      g->batch_sb[j - 1] = b->strides[d];
      g->batch_so[j - 1] = o->strides[d];
      continue;
    }
    if (j == BP_CL_MAX_DIMS) return false;
    g->batch_shape[j] = e;
    g->batch_sa[j] = a->strides[d];
    g->batch_sb[j] = b->strides[d];
    g->batch_so[j] = o->strides[d];
    g->batch_nd = j + 1;
  }
  return true;
}

static bool mm_supports(const bp_kernel_call_t *call) {
  const mm_impl_t *impl = call->kernel_data;
  if (!bp_cl_device_takes(call, impl->dtype) || call->num_inputs != 2 || call->num_outputs != 1)
    return false;
  const bp_cl_ctx_t *ctx = call->plugin_ctx;
  if (ctx->devices[call->device_index].max_wg < BP_CL_MM_TS * BP_CL_MM_RTS) return false;
  bp_cl_mm_geom_t g;
  return mm_geom(&g, call->inputs[0], call->inputs[1], call->outputs[0]);
}

static bp_status_t mm_kernel(const bp_kernel_call_t *call) {
  bp_cl_ctx_t *ctx = call->plugin_ctx;
  const mm_impl_t *impl = call->kernel_data;
  const bp_tensor_desc_t *a = call->inputs[0], *b = call->inputs[1], *o = call->outputs[0];
  bp_cl_mm_geom_t g;
  if (!mm_geom(&g, a, b, o))
    return bp_cl_fail(ctx, BP_STATUS_UNSUPPORTED, "opencl matmul: layout not supported");
  if (g.m == 0 || g.n == 0 || g.batch == 0) return BP_STATUS_OK;
  bp_cl_device_t *dev = NULL;
  bp_status_t s = bp_cl_device_get(ctx, call->device_index, &dev);
  if (s != BP_STATUS_OK) return s;
  size_t local[3] = {BP_CL_MM_TS, BP_CL_MM_RTS, 1};
  size_t global[3] = {(size_t)((g.n + BP_CL_MM_TS - 1) / BP_CL_MM_TS) * BP_CL_MM_TS,
                      (size_t)((g.m + BP_CL_MM_TS - 1) / BP_CL_MM_TS) * BP_CL_MM_RTS,
                      (size_t)(g.batch < 65535 ? g.batch : 65535)};
  cl_mem am = (cl_mem)a->data, bm = (cl_mem)b->data, om = (cl_mem)o->data;
  pthread_mutex_lock(&dev->lock);
  cl_kernel k = NULL;
  s = bp_cl_program_kernel(ctx, dev, impl->defines, bp_cl_src_matmul, "bp_matmul", &k);
  if (s == BP_STATUS_OK) {
    cl_int err = clSetKernelArg(k, 0, sizeof om, &om);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 1, sizeof am, &am);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 2, sizeof bm, &bm);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 3, sizeof g, &g);
    if (err == CL_SUCCESS)
      err = clEnqueueNDRangeKernel(dev->queue, k, 3, NULL, global, local, 0, NULL, NULL);
    s = bp_cl_check(ctx, err, "clEnqueueNDRangeKernel", "matmul");
  }
  pthread_mutex_unlock(&dev->lock);
  return s;
}

bp_status_t bp_cl_register_matmul(bp_cl_ctx_t *ctx) {
  static const bp_dtype_t dtypes[8] = {BP_DTYPE_U8,  BP_DTYPE_I8,   BP_DTYPE_I32, BP_DTYPE_I64,
                                       BP_DTYPE_F16, BP_DTYPE_BF16, BP_DTYPE_F32, BP_DTYPE_F64};
  for (int i = 0; i < 8; ++i) {
    bp_dtype_t t = dtypes[i];
    if (t == BP_DTYPE_F64 && !ctx->any_fp64) continue;
    mm_impl_t *impl = &g_mm[i];
    impl->dtype = t;
    const char *tag = bp_cl_dtype_tag(t);
    bool is_float = bp_cl_dtype_is_float(t);
    if (!is_float)
      snprintf(impl->defines, sizeof impl->defines,
               "#define BP_T %s\n#define BP_ACC ulong\n#define BP_LD(p, i) ((ulong)bp_ld_%s(p, i))\n"
               "#define BP_STORE(p, i, v) bp_sti_%s(p, i, (long)(v))\n",
               bp_cl_storage_type(t), tag, tag);
    else
      snprintf(impl->defines, sizeof impl->defines,
               "#define BP_T %s\n#define BP_ACC %s\n#define BP_LD(p, i) bp_ld_%s(p, i)\n"
               "#define BP_STORE(p, i, v) bp_st%c_%s(p, i, v)\n",
               bp_cl_storage_type(t), t == BP_DTYPE_F64 ? "double" : "float", tag,
               t == BP_DTYPE_F64 ? 'd' : 'f', tag);
    bp_dtype_t sig[3] = {t, t, t};
    bp_status_t s = bp_cl_register(ctx, "matmul", sig, 3, mm_kernel, mm_supports, impl);
    if (s != BP_STATUS_OK) return s;
  }
  return BP_STATUS_OK;
}
