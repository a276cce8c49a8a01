/* bp_cl_ops_bernoulli.c - bernoulli (kernels/bp_random.cl) on Backplane's
 * Philox stream, bit-identical to the reference (reference/src/ref_random.c):
 * p f32 or f64 (broadcast to out), out any dtype, element i is 1 when word
 * i % 4 of block i / 4, shifted right by 8, is below p * 2^24.
 *
 * A p outside [0, 1] (or NaN) must fail the call with INVALID_ARGUMENT
 * before anything is written. So a first kernel finds the smallest bad
 * index (atomic_min into a small buffer) and the host reads it back: this
 * op waits for the queue. Only then is the output written. The output
 * program stores 1 as out's bits (a parameter), so one program per (p
 * dtype, element size) serves every out dtype. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "bp_cl_convert.h"
#include "bp_cl_internal.h"

typedef struct bern_impl {
  bp_dtype_t sig[2];
  char defines[300];
} bern_impl_t;

static bern_impl_t g_impls[2][9];

static const bp_attr_t *find(const bp_kernel_call_t *call, const char *name, bp_attr_type_t type) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  return a != NULL && a->type == type ? a : NULL;
}

static bool bern_supports(const bp_kernel_call_t *call) {
  const bern_impl_t *impl = call->kernel_data;
  if (!bp_cl_device_takes(call, impl->sig[0]) || !bp_cl_device_takes(call, impl->sig[1]))
    return false;
  if (call->num_inputs != 1 || call->num_outputs != 1 || !find(call, "seed", BP_ATTR_INT) ||
      !find(call, "offset", BP_ATTR_INT))
    return false;
  const bp_tensor_desc_t *t[2] = {call->outputs[0], call->inputs[0]};
  bp_cl_geom_t g;
  return bp_cl_geom_init(&g, t, 2);
}

/* Element offset of logical index i in operand k of g. */
static int64_t geom_offset(const bp_cl_geom_t *g, int k, int64_t i) {
  int64_t off = g->offset[k];
  for (int d = (int)g->ndim - 1; d >= 0; --d) {
    off += (i % g->shape[d]) * g->stride[k][d];
    i /= g->shape[d];
  }
  return off;
}

static bp_status_t bern_kernel(const bp_kernel_call_t *call) {
  bp_cl_ctx_t *ctx = call->plugin_ctx;
  const bern_impl_t *impl = call->kernel_data;
  if (!bern_supports(call))
    return bp_cl_fail(ctx, BP_STATUS_UNSUPPORTED, "opencl bernoulli: call not supported");
  const bp_tensor_desc_t *t[2] = {call->outputs[0], call->inputs[0]};
  bp_cl_geom_t g;
  bp_cl_geom_init(&g, t, 2);
  if (g.numel == 0) return BP_STATUS_OK;
  cl_ulong seed = (cl_ulong)find(call, "seed", BP_ATTR_INT)->value.i;
  cl_ulong offset = (cl_ulong)find(call, "offset", BP_ATTR_INT)->value.i;
  cl_ulong one = bp_cl_int_bits(impl->sig[1], 1), zero = 0;
  cl_int train = 0;
  const bool p64 = impl->sig[0] == BP_DTYPE_F64;
  bp_cl_device_t *dev = NULL;
  bp_status_t s = bp_cl_device_get(ctx, call->device_index, &dev);
  if (s != BP_STATUS_OK) return s;
  size_t global = 0, local = 0;
  bp_cl_launch_size(dev, g.numel, &global, &local);
  cl_mem om = (cl_mem)t[0]->data, pm = (cl_mem)t[1]->data, bad = NULL;
  cl_int first_bad = INT_MAX;
  pthread_mutex_lock(&dev->lock);
  cl_int err = CL_SUCCESS;
  bad = clCreateBuffer(dev->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof first_bad,
                       &first_bad, &err);
  s = bp_cl_check(ctx, err, "clCreateBuffer", "bernoulli check");
  cl_kernel k = NULL;
  if (s == BP_STATUS_OK)
    s = bp_cl_program_kernel(ctx, dev, impl->defines, bp_cl_src_random, "bp_bernoulli_check", &k);
  if (s == BP_STATUS_OK) {
    err = clSetKernelArg(k, 0, sizeof pm, &pm);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 1, sizeof g, &g);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 2, sizeof bad, &bad);
    if (err == CL_SUCCESS)
      err = clEnqueueNDRangeKernel(dev->queue, k, 1, NULL, &global, &local, 0, NULL, NULL);
    if (err == CL_SUCCESS)
      err = clEnqueueReadBuffer(dev->queue, bad, CL_TRUE, 0, sizeof first_bad, &first_bad, 0,
                                NULL, NULL);
    s = bp_cl_check(ctx, err, "clEnqueueReadBuffer", "bernoulli check");
  }
  if (s == BP_STATUS_OK && first_bad != INT_MAX) {
    double p = 0.0;
    size_t es = p64 ? 8 : 4;
    unsigned char bits[8] = {0};
    err = clEnqueueReadBuffer(dev->queue, pm, CL_TRUE,
                              (size_t)geom_offset(&g, 1, first_bad) * es, es, bits, 0, NULL, NULL);
    if (p64) {
      memcpy(&p, bits, 8);
    } else {
      float f;
      memcpy(&f, bits, 4);
      p = f;
    }
    s = err != CL_SUCCESS ? bp_cl_check(ctx, err, "clEnqueueReadBuffer", "bernoulli p")
                          : bp_cl_fail(ctx, BP_STATUS_INVALID_ARGUMENT,
                                       "bernoulli: p must be in [0, 1], got %g at element %d", p,
                                       (int)first_bad);
  }
  if (s == BP_STATUS_OK)
    s = bp_cl_program_kernel(ctx, dev, impl->defines, bp_cl_src_random, "bp_random", &k);
  if (s == BP_STATUS_OK) {
    cl_uint a = 0;
    err = clSetKernelArg(k, a++, sizeof om, &om);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, a++, sizeof pm, &pm);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, a++, sizeof g, &g);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, a++, sizeof seed, &seed);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, a++, sizeof offset, &offset);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, a++, sizeof one, &one);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, a++, sizeof zero, &zero);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, a++, sizeof train, &train);
    if (err == CL_SUCCESS)
      err = clEnqueueNDRangeKernel(dev->queue, k, 1, NULL, &global, &local, 0, NULL, NULL);
    s = bp_cl_check(ctx, err, "clEnqueueNDRangeKernel", "bernoulli");
  }
  if (bad != NULL) clReleaseMemObject(bad);
  pthread_mutex_unlock(&dev->lock);
  return s;
}

bp_status_t bp_cl_register_bernoulli(bp_cl_ctx_t *ctx) {
  static const bp_dtype_t outs[9] = {BP_DTYPE_BOOL, BP_DTYPE_U8,   BP_DTYPE_I8,
                                     BP_DTYPE_I32,  BP_DTYPE_I64,  BP_DTYPE_F16,
                                     BP_DTYPE_BF16, BP_DTYPE_F32,  BP_DTYPE_F64};
  static const char *const by_size[9] = {NULL, "uchar", "ushort", NULL, "uint",
                                         NULL, NULL,    NULL,     "ulong"};
  for (int pi = 0; pi < 2; ++pi) {
    const bp_dtype_t pt = pi ? BP_DTYPE_F64 : BP_DTYPE_F32;
    if (pt == BP_DTYPE_F64 && !ctx->any_fp64) continue;
    for (int i = 0; i < 9; ++i) {
      if (outs[i] == BP_DTYPE_F64 && !ctx->any_fp64) continue;
      bern_impl_t *impl = &g_impls[pi][i];
      impl->sig[0] = pt;
      impl->sig[1] = outs[i];
      snprintf(impl->defines, sizeof impl->defines,
               "#define BP_OP_BERNOULLI 1\n#define BP_T %s\n#define BP_TP %s\n",
               by_size[bp_abi_dtype_size(outs[i])], pi ? "double" : "float");
      bp_status_t s = bp_cl_register(ctx, "bernoulli", impl->sig, 2, bern_kernel, bern_supports,
                                     impl);
      if (s != BP_STATUS_OK) return s;
    }
  }
  return BP_STATUS_OK;
}
