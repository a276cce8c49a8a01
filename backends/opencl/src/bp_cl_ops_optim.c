/* bp_cl_ops_optim.c - sgd_step, adamw_step (elementwise form, updating in
 * place when the outputs are the inputs) and gelu_backward
 * (kernels/bp_optim.cl), f16, bf16, f32 and f64 where the device has fp64.
 * Computed in double where the device has fp64, as the reference. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bp_cl_nn.h"

typedef struct optim_impl {
  bp_dtype_t dtype;
  int nin, nout;
} optim_impl_t;

static optim_impl_t g_sgd[4], g_adamw[4], g_gelu[3];

/* A scalar argument in the kernel's BP_ACC (double or float). */
typedef struct acc_arg {
  cl_double d;
  cl_float f;
} acc_arg_t;

static bp_cl_arg_t acc(acc_arg_t *a, bool dbl, double v) {
  a->d = v;
  a->f = (cl_float)v;
  return dbl ? (bp_cl_arg_t){sizeof a->d, &a->d} : (bp_cl_arg_t){sizeof a->f, &a->f};
}

static int gather_tensors(const bp_kernel_call_t *call, const bp_tensor_desc_t **t, bool out_first) {
  int n = 0;
  if (out_first) t[n++] = call->outputs[0];
  for (uint32_t i = 0; i < call->num_inputs; ++i) t[n++] = call->inputs[i];
  if (!out_first)
    for (uint32_t i = 0; i < call->num_outputs; ++i) t[n++] = call->outputs[i];
  return n;
}

static bool optim_supports(const bp_kernel_call_t *call) {
  const optim_impl_t *impl = call->kernel_data;
  if (!bp_cl_device_takes(call, impl->dtype) || call->num_inputs != (uint32_t)impl->nin ||
      call->num_outputs != (uint32_t)impl->nout)
    return false;
  if (impl->nout == 3 && bp_cl_attr_b(call, "amsgrad", false)) return false;
  const bp_tensor_desc_t *t[BP_CL_MGEOM_OPS];
  int n = gather_tensors(call, t, impl->nout == 1);
  bp_cl_mgeom_t g;
  return bp_cl_mgeom_init(&g, t, n);
}

static bp_status_t optim_kernel(const bp_kernel_call_t *call) {
  bp_cl_ctx_t *ctx = call->plugin_ctx;
  const optim_impl_t *impl = call->kernel_data;
  const bp_tensor_desc_t *t[BP_CL_MGEOM_OPS];
  int n = gather_tensors(call, t, impl->nout == 1);
  bp_cl_mgeom_t g;
  if (!bp_cl_mgeom_init(&g, t, n))
    return bp_cl_fail(ctx, BP_STATUS_UNSUPPORTED, "opencl %s: layout not supported", call->op_name);
  if (g.numel == 0) return BP_STATUS_OK;
  bp_cl_device_t *dev = NULL;
  bp_status_t s = bp_cl_device_get(ctx, call->device_index, &dev);
  if (s != BP_STATUS_OK) return s;
  const bool dbl = impl->dtype == BP_DTYPE_F64 || dev->has_fp64;
  char defines[600];
  bp_cl_nn_type_defines(defines, sizeof defines, dev, impl->dtype, true);
  cl_mem m[BP_CL_MGEOM_OPS];
  bp_cl_arg_t args[20];
  int na = 0;
  for (int i = 0; i < n; ++i) {
    m[i] = (cl_mem)t[i]->data;
    args[na++] = BP_CL_ARG(m[i]);
  }
  args[na++] = BP_CL_ARG(g);
  acc_arg_t sc[8];
  cl_int flags[3];
  const char *kname;
  if (impl->nout == 2) { /* sgd_step */
    kname = "bp_sgd";
    args[na++] = acc(&sc[0], dbl, bp_cl_attr_f(call, "lr", 0.001));
    args[na++] = acc(&sc[1], dbl, bp_cl_attr_f(call, "momentum", 0.0));
    args[na++] = acc(&sc[2], dbl, bp_cl_attr_f(call, "dampening", 0.0));
    args[na++] = acc(&sc[3], dbl, bp_cl_attr_f(call, "weight_decay", 0.0));
    flags[0] = bp_cl_attr_b(call, "nesterov", false);
    flags[1] = bp_cl_attr_b(call, "maximize", false);
    flags[2] = bp_cl_attr_i(call, "step", 1) <= 1;
    for (int i = 0; i < 3; ++i) args[na++] = BP_CL_ARG(flags[i]);
  } else if (impl->nout == 3) { /* adamw_step */
    kname = "bp_adamw";
    const double lr = bp_cl_attr_f(call, "lr", 0.001), b1 = bp_cl_attr_f(call, "beta1", 0.9);
    const double b2 = bp_cl_attr_f(call, "beta2", 0.999);
    const double step = (double)bp_cl_attr_i(call, "step", 1);
    args[na++] = acc(&sc[0], dbl, 1.0 - lr * bp_cl_attr_f(call, "weight_decay", 0.01));
    args[na++] = acc(&sc[1], dbl, b1);
    args[na++] = acc(&sc[2], dbl, b2);
    args[na++] = acc(&sc[3], dbl, bp_cl_attr_f(call, "eps", 1e-8));
    args[na++] = acc(&sc[4], dbl, lr / (1.0 - pow(b1, step)));
    args[na++] = acc(&sc[5], dbl, sqrt(1.0 - pow(b2, step)));
    flags[0] = bp_cl_attr_b(call, "maximize", false);
    args[na++] = BP_CL_ARG(flags[0]);
  } else { /* gelu_backward */
    kname = "bp_gelu_bwd";
    flags[0] = bp_cl_attr_i(call, "approximate", 0) == 1;
    args[na++] = BP_CL_ARG(flags[0]);
  }
  pthread_mutex_lock(&dev->lock);
  s = bp_cl_nn_launch(ctx, dev, defines, bp_cl_src_optim, kname, args, na, g.numel, NULL, NULL);
  pthread_mutex_unlock(&dev->lock);
  return s;
}

bp_status_t bp_cl_register_optim(bp_cl_ctx_t *ctx) {
  static const bp_dtype_t types[4] = {BP_DTYPE_F16, BP_DTYPE_BF16, BP_DTYPE_F32, BP_DTYPE_F64};
  for (int i = 0; i < 4; ++i) {
    bp_dtype_t t = types[i];
    if (t == BP_DTYPE_F64 && !ctx->any_fp64) continue;
    bp_dtype_t sig[7] = {t, t, t, t, t, t, t};
    g_sgd[i] = (optim_impl_t){t, 3, 2};
    g_adamw[i] = (optim_impl_t){t, 4, 3};
    bp_status_t s = bp_cl_register(ctx, "sgd_step", sig, 5, optim_kernel, optim_supports, &g_sgd[i]);
    if (s == BP_STATUS_OK)
      s = bp_cl_register(ctx, "adamw_step", sig, 7, optim_kernel, optim_supports, &g_adamw[i]);
    if (s == BP_STATUS_OK && i > 0) {
      g_gelu[i - 1] = (optim_impl_t){t, 2, 1};
      s = bp_cl_register(ctx, "gelu_backward", sig, 3, optim_kernel, optim_supports, &g_gelu[i - 1]);
    }
    if (s != BP_STATUS_OK) return s;
  }
  return BP_STATUS_OK;
}
