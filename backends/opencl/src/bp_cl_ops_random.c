/* bp_cl_ops_random.c - uniform, normal and dropout (kernels/bp_random.cl)
 * on Backplane's Philox stream (reference/src/ref_random.h), bit-identical
 * to the reference. normal computes in f64 (log, sqrt, cos, sin), so it is
 * registered only when a device has cl_khr_fp64 and declined on the
 * others. bernoulli (same program template) is in bp_cl_ops_bernoulli.c:
 * its p must be checked before anything is written, so it waits for the
 * queue. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bp_cl_convert.h"
#include "bp_cl_internal.h"

typedef enum { RND_UNIFORM, RND_NORMAL, RND_DROPOUT } rnd_op_t;

typedef struct rnd_impl {
  rnd_op_t op;
  bp_dtype_t dtype;
  char defines[512];
} rnd_impl_t;

static rnd_impl_t g_rnd[3][4];

static const bp_attr_t *attr(const bp_kernel_call_t *call, const char *name, bp_attr_type_t type) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  return a != NULL && a->type == type ? a : NULL;
}

static bool rnd_attrs_ok(const bp_kernel_call_t *call, const rnd_impl_t *impl) {
  if (!attr(call, "seed", BP_ATTR_INT) || !attr(call, "offset", BP_ATTR_INT)) return false;
  switch (impl->op) {
    case RND_UNIFORM: return attr(call, "from", BP_ATTR_FLOAT) && attr(call, "to", BP_ATTR_FLOAT);
    case RND_NORMAL: return attr(call, "mean", BP_ATTR_FLOAT) && attr(call, "std", BP_ATTR_FLOAT);
    default: return attr(call, "p", BP_ATTR_FLOAT) && attr(call, "train", BP_ATTR_BOOL);
  }
}

static bool rnd_supports(const bp_kernel_call_t *call) {
  const rnd_impl_t *impl = call->kernel_data;
  const bp_cl_ctx_t *ctx = call->plugin_ctx;
  if (call->device_index >= ctx->device_count) return false;
  const bp_cl_device_t *dev = &ctx->devices[call->device_index];
  if ((impl->dtype == BP_DTYPE_F64 || impl->op == RND_NORMAL) && !dev->has_fp64) return false;
  uint32_t nin = impl->op == RND_DROPOUT ? 1 : 0;
  if (call->num_inputs != nin || call->num_outputs != 1 || !rnd_attrs_ok(call, impl)) return false;
  const bp_tensor_desc_t *t[2] = {call->outputs[0], nin ? call->inputs[0] : NULL};
  bp_cl_geom_t g;
  return bp_cl_geom_init(&g, t, (int)nin + 1);
}

static cl_ulong f32_bits(double v) { return bp_cl_float_bits(BP_DTYPE_F32, v); }
static cl_ulong f64_bits(double v) { return bp_cl_float_bits(BP_DTYPE_F64, v); }

static bp_status_t rnd_kernel(const bp_kernel_call_t *call) {
  bp_cl_ctx_t *ctx = call->plugin_ctx;
  const rnd_impl_t *impl = call->kernel_data;
  if (!rnd_supports(call))
    return bp_cl_fail(ctx, BP_STATUS_UNSUPPORTED, "opencl %s: call not supported", call->op_name);
  const int nin = impl->op == RND_DROPOUT ? 1 : 0;
  const bp_tensor_desc_t *t[2] = {call->outputs[0], nin ? call->inputs[0] : NULL};
  bp_cl_geom_t g;
  bp_cl_geom_init(&g, t, nin + 1);
  if (g.numel == 0) return BP_STATUS_OK;
  cl_ulong seed = (cl_ulong)attr(call, "seed", BP_ATTR_INT)->value.i;
  cl_ulong offset = (cl_ulong)attr(call, "offset", BP_ATTR_INT)->value.i;
  cl_ulong fa = 0, fb = 0;
  cl_int train = 0;
  const bool f64 = impl->dtype == BP_DTYPE_F64;
  if (impl->op == RND_UNIFORM) {
    double from = attr(call, "from", BP_ATTR_FLOAT)->value.f, to = attr(call, "to", BP_ATTR_FLOAT)->value.f;
    fa = f64 ? f64_bits(from) : f32_bits(from);
    fb = f64 ? f64_bits(to) : f32_bits(to);
  } else if (impl->op == RND_NORMAL) {
    fa = f64_bits(attr(call, "mean", BP_ATTR_FLOAT)->value.f);
    fb = f64_bits(attr(call, "std", BP_ATTR_FLOAT)->value.f);
  } else {
    double keep = 1.0 - attr(call, "p", BP_ATTR_FLOAT)->value.f;
    double scale = keep == 0.0 ? 0.0 : 1.0 / keep;
    train = attr(call, "train", BP_ATTR_BOOL)->value.b ? 1 : 0;
    fa = f64 ? f64_bits(scale) : f32_bits((double)(float)scale);
    double threshold = keep * 16777216.0; /* kept when u24 < threshold */
    fb = threshold <= 0.0 ? 0 : threshold >= 16777216.0 ? 16777216u : (cl_ulong)ceil(threshold);
  }
  bp_cl_device_t *dev = NULL;
  bp_status_t s = bp_cl_device_get(ctx, call->device_index, &dev);
  if (s != BP_STATUS_OK) return s;
  size_t global = 0, local = 0;
  bp_cl_launch_size(dev, g.numel, &global, &local);
  pthread_mutex_lock(&dev->lock);
  cl_kernel k = NULL;
  s = bp_cl_program_kernel(ctx, dev, impl->defines, bp_cl_src_random, "bp_random", &k);
  if (s == BP_STATUS_OK) {
    cl_uint arg = 0;
    cl_mem om = (cl_mem)t[0]->data;
    cl_int err = clSetKernelArg(k, arg++, sizeof om, &om);
    if (nin && err == CL_SUCCESS) {
      cl_mem xm = (cl_mem)t[1]->data;
      err = clSetKernelArg(k, arg++, sizeof xm, &xm);
    }
    if (err == CL_SUCCESS) err = clSetKernelArg(k, arg++, sizeof g, &g);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, arg++, sizeof seed, &seed);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, arg++, sizeof offset, &offset);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, arg++, sizeof fa, &fa);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, arg++, sizeof fb, &fb);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, arg++, sizeof train, &train);
    if (err == CL_SUCCESS)
      err = clEnqueueNDRangeKernel(dev->queue, k, 1, NULL, &global, &local, 0, NULL, NULL);
    s = bp_cl_check(ctx, err, "clEnqueueNDRangeKernel", call->op_name);
  }
  pthread_mutex_unlock(&dev->lock);
  return s;
}

bp_status_t bp_cl_register_random(bp_cl_ctx_t *ctx) {
  static const bp_dtype_t dtypes[4] = {BP_DTYPE_F16, BP_DTYPE_BF16, BP_DTYPE_F32, BP_DTYPE_F64};
  static const char *const names[3] = {"uniform", "normal", "dropout"};
  static const char *const op_defs[3] = {"#define BP_OP_UNIFORM 1\n", "#define BP_OP_NORMAL 1\n",
                                         "#define BP_OP_DROPOUT 1\n"};
  for (int op = 0; op < 3; ++op)
    for (int i = 0; i < 4; ++i) {
      bp_dtype_t t = dtypes[i];
      if ((t == BP_DTYPE_F64 || op == RND_NORMAL) && !ctx->any_fp64) continue;
      rnd_impl_t *impl = &g_rnd[op][i];
      impl->op = (rnd_op_t)op;
      impl->dtype = t;
      const char *tag = bp_cl_dtype_tag(t);
      snprintf(impl->defines, sizeof impl->defines,
               "%s#define BP_T %s\n#define BP_STORE_F(p, i, v) bp_stf_%s(p, i, v)\n"
               "#define BP_STORE_D(p, i, v) bp_std_%s(p, i, v)\n#define BP_LD(p, i) bp_ld_%s(p, i)\n%s",
               op_defs[op], bp_cl_storage_type(t), tag, tag, tag,
               t == BP_DTYPE_F64 ? "#define BP_F64 1\n" : "");
      bp_dtype_t sig[2] = {t, t};
      bp_status_t s = bp_cl_register(ctx, names[op], sig, op == RND_DROPOUT ? 2 : 1, rnd_kernel,
                                     rnd_supports, impl);
      if (s != BP_STATUS_OK) return s;
    }
  return BP_STATUS_OK;
}
