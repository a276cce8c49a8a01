/* bp_cl_ops_reduce.c - the `sum` reduction (kernels/bp_reduce.cl).
 *
 * The output arrives in keepdim form: dim d is reduced when out has 1 there
 * and x does not. Kept dims and reduced dims are each stripped of size-1
 * dims and merged where x (and out) are contiguous across them. */
#include <stdio.h>
#include <string.h>

#include "bp_cl_internal.h"

typedef struct bp_cl_red_geom {
  cl_long n_out, n_red, out_nd, red_nd;
  cl_long x_offset, o_offset;
  cl_long out_shape[BP_CL_MAX_DIMS];
  cl_long out_stride_x[BP_CL_MAX_DIMS];
  cl_long out_stride_o[BP_CL_MAX_DIMS];
  cl_long red_shape[BP_CL_MAX_DIMS];
  cl_long red_stride_x[BP_CL_MAX_DIMS];
} bp_cl_red_geom_t;

typedef struct sum_impl {
  bp_dtype_t dtype;
  char defines[512];
} sum_impl_t;

static sum_impl_t g_sum[5];

/* Adds a dim (outermost first) to a list, merging with the previous one
 * when contiguous in every stride array given. */
static bool push_dim(cl_long *shape, cl_long *s1, cl_long *s2, cl_long *nd, int64_t extent,
                     int64_t st1, int64_t st2) {
  if (extent == 1) return true;
  if (*nd > 0 && s1[*nd - 1] == st1 * extent && (s2 == NULL || s2[*nd - 1] == st2 * extent)) {
    shape[*nd - 1] *= extent;
    s1[*nd - 1] = st1;
    if (s2) s2[*nd - 1] = st2;
    return true;
  }
  if (*nd == BP_CL_MAX_DIMS) return false;
  shape[*nd] = extent;
  s1[*nd] = st1;
  if (s2) s2[*nd] = st2;
  ++*nd;
  return true;
}

static bool red_geom(bp_cl_red_geom_t *g, const bp_tensor_desc_t *x, const bp_tensor_desc_t *o) {
  memset(g, 0, sizeof *g);
  size_t size = bp_abi_dtype_size(x->dtype);
  if (x->ndim != o->ndim || size == 0 || x->byte_offset % size || o->byte_offset % size)
    return false;
  g->x_offset = (cl_long)(x->byte_offset / size);
  g->o_offset = (cl_long)(o->byte_offset / size);
  g->n_out = bp_cl_numel(o);
  g->n_red = 1;
  for (int32_t d = 0; d < x->ndim; ++d) {
    bool reduced = o->shape[d] == 1 && x->shape[d] != 1;
    if (!reduced && o->shape[d] != x->shape[d]) return false;
    if (reduced) {
      g->n_red *= x->shape[d];
      if (!push_dim(g->red_shape, g->red_stride_x, NULL, &g->red_nd, x->shape[d], x->strides[d], 0))
        return false;
    } else if (!push_dim(g->out_shape, g->out_stride_x, g->out_stride_o, &g->out_nd, o->shape[d],
                         x->strides[d], o->strides[d])) {
      return false;
    }
  }
  return true;
}

static bool sum_supports(const bp_kernel_call_t *call) {
  const sum_impl_t *impl = call->kernel_data;
  if (!bp_cl_device_takes(call, impl->dtype) || call->num_inputs != 1 || call->num_outputs != 1)
    return false;
  bp_cl_red_geom_t g;
  return red_geom(&g, call->inputs[0], call->outputs[0]);
}

/* Parts per output: enough work items for the device (a few per core on
 * CPU devices, thousands on GPUs), each part at least ~4096 elements. */
static cl_long sum_parts(const bp_cl_device_t *dev, const bp_cl_red_geom_t *g) {
  const cl_long target = dev->kind == BP_DEVICE_KIND_GPU ? 16384 : 64;
  cl_long p = (target + g->n_out - 1) / g->n_out;
  cl_long most = g->n_red / 4096;
  if (p > most) p = most;
  if (p > 65536) p = 65536;
  return p < 1 ? 1 : p;
}

static bp_status_t sum_kernel(const bp_kernel_call_t *call) {
  bp_cl_ctx_t *ctx = call->plugin_ctx;
  const sum_impl_t *impl = call->kernel_data;
  const bp_tensor_desc_t *x = call->inputs[0], *o = call->outputs[0];
  bp_cl_red_geom_t g;
  if (!red_geom(&g, x, o))
    return bp_cl_fail(ctx, BP_STATUS_UNSUPPORTED, "opencl sum: layout not supported");
  if (g.n_out == 0) return BP_STATUS_OK;
  bp_cl_device_t *dev = NULL;
  bp_status_t s = bp_cl_device_get(ctx, call->device_index, &dev);
  if (s != BP_STATUS_OK) return s;
  const bool gpu = dev->kind == BP_DEVICE_KIND_GPU;
  const cl_long parts = sum_parts(dev, &g);
  char defines[700];
  snprintf(defines, sizeof defines, "%s%s", impl->defines,
           gpu ? "#define BP_STRIDED 1\n"
               : impl->dtype == BP_DTYPE_F32 ? "#define BP_VEC16 1\n" : "");
  const size_t acc_size = impl->dtype == BP_DTYPE_F16 || impl->dtype == BP_DTYPE_BF16 ||
                                  impl->dtype == BP_DTYPE_F32 ? 4 : 8;
  cl_mem xm = (cl_mem)x->data, om = (cl_mem)o->data, pm = NULL;
  pthread_mutex_lock(&dev->lock);
  cl_int err = CL_SUCCESS;
  if (parts > 1) {
    pm = clCreateBuffer(dev->context, CL_MEM_READ_WRITE, (size_t)(g.n_out * parts) * acc_size, NULL,
                        &err);
    s = bp_cl_check(ctx, err, "clCreateBuffer", "sum partials");
  }
  cl_kernel k = NULL;
  if (s == BP_STATUS_OK)
    s = bp_cl_program_kernel(ctx, dev, defines, bp_cl_src_reduce, "bp_sum_part", &k);
  if (s == BP_STATUS_OK) {
    size_t global[2] = {(size_t)parts, (size_t)g.n_out};
    err = clSetKernelArg(k, 0, sizeof om, &om);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 1, sizeof xm, &xm);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 2, sizeof g, &g);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 3, sizeof parts, &parts);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 4, sizeof pm, &pm);
    if (err == CL_SUCCESS)
      err = clEnqueueNDRangeKernel(dev->queue, k, 2, NULL, global, NULL, 0, NULL, NULL);
    s = bp_cl_check(ctx, err, "clEnqueueNDRangeKernel", "sum");
  }
  if (s == BP_STATUS_OK && parts > 1)
    s = bp_cl_program_kernel(ctx, dev, defines, bp_cl_src_reduce, "bp_sum_final", &k);
  if (s == BP_STATUS_OK && parts > 1) {
    size_t global = (size_t)g.n_out;
    err = clSetKernelArg(k, 0, sizeof om, &om);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 1, sizeof pm, &pm);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 2, sizeof g, &g);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 3, sizeof parts, &parts);
    if (err == CL_SUCCESS)
      err = clEnqueueNDRangeKernel(dev->queue, k, 1, NULL, &global, NULL, 0, NULL, NULL);
    s = bp_cl_check(ctx, err, "clEnqueueNDRangeKernel", "sum (final)");
  }
  if (pm != NULL) clReleaseMemObject(pm); /* freed once the queued kernels are done */
  pthread_mutex_unlock(&dev->lock);
  return s;
}

bp_status_t bp_cl_register_reduce(bp_cl_ctx_t *ctx) {
  static const bp_dtype_t dtypes[5] = {BP_DTYPE_I64, BP_DTYPE_F16, BP_DTYPE_BF16, BP_DTYPE_F32,
                                       BP_DTYPE_F64};
  for (int i = 0; i < 5; ++i) {
    bp_dtype_t t = dtypes[i];
    if (t == BP_DTYPE_F64 && !ctx->any_fp64) continue;
    sum_impl_t *impl = &g_sum[i];
    impl->dtype = t;
    const char *tag = bp_cl_dtype_tag(t);
    if (t == BP_DTYPE_I64)
      snprintf(impl->defines, sizeof impl->defines,
               "#define BP_T long\n#define BP_ACC ulong\n#define BP_LD(p, i) ((ulong)(p)[i])\n"
               "#define BP_STORE(p, i, v) ((p)[i] = (long)(v))\n");
    else
      snprintf(impl->defines, sizeof impl->defines,
               "#define BP_T %s\n#define BP_ACC %s\n#define BP_LD(p, i) bp_ld_%s(p, i)\n"
               "#define BP_STORE(p, i, v) bp_st%c_%s(p, i, v)\n",
               bp_cl_storage_type(t), t == BP_DTYPE_F64 ? "double" : "float", tag,
               t == BP_DTYPE_F64 ? 'd' : 'f', tag);
    bp_dtype_t sig[2] = {t, t};
    bp_status_t s = bp_cl_register(ctx, "sum", sig, 2, sum_kernel, sum_supports, impl);
    if (s != BP_STATUS_OK) return s;
  }
  return BP_STATUS_OK;
}
