/* dnnl_nn.c - softmax and log_softmax (softmax v2); the convolutions are
 * in dnnl_conv.c, pools and normalizations in dnnl_pool.c, dnnl_norm.c.
 *
 * Kernel form as_is: real tensors, any strides. Strides go to oneDNN's
 * memory descriptors as they are. */
#include <string.h>

#include "dnnl_plugin.h"

static const bp_dtype_t sig_f32[4] = {BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32};
static const bp_dtype_t sig_bf16[4] = {BP_DTYPE_BF16, BP_DTYPE_BF16, BP_DTYPE_BF16, BP_DTYPE_BF16};

static dnnl_status_t attr_user_scratch(dnnl_primitive_attr_t *attr) {
  dnnl_status_t s = dnnl_primitive_attr_create(attr);
  if (!s) s = dnnl_primitive_attr_set_scratchpad_mode(*attr, dnnl_scratchpad_mode_user);
  return s;
}


/* ---- softmax, log_softmax ---- */

typedef struct sm_arg {
  dnnl_memory_desc_t src, dst;
  dnnl_alg_kind_t alg;
  int axis;
} sm_arg_t;

static dnnl_status_t sm_make(bp_dnnl_ctx_t *ctx, const void *varg, dnnl_primitive_desc_t *pd) {
  const sm_arg_t *m = varg;
  dnnl_softmax_v2_desc_t desc;
  dnnl_status_t s = dnnl_softmax_v2_forward_desc_init(&desc, dnnl_forward_inference, m->alg,
                                                      &m->src, &m->dst, m->axis);
  dnnl_primitive_attr_t attr = NULL;
  if (!s) s = attr_user_scratch(&attr);
  if (!s) s = dnnl_primitive_desc_create(pd, &desc, attr, ctx->engine, NULL);
  dnnl_primitive_attr_destroy(attr);
  return s;
}

static bool sm_supports(const bp_kernel_call_t *call) {
  const bp_tensor_desc_t *x = call->inputs[0];
  if (x->ndim > BP_DNNL_MAX_DIMS || bp_dnnl_has_bcast(x)) return false;
  if (call->kernel_data == NULL) return true;
  /* log_softmax over one element is log(1): oneDNN's log gives ~1.4e-6 */
  int64_t dim = bp_dnnl_attr_int(call, "dim", -1);
  if (dim < 0) dim += x->ndim;
  return x->ndim > 0 && x->shape[dim] > 1;
}

static bp_status_t sm_kernel(const bp_kernel_call_t *call) {
  bp_dnnl_ctx_t *ctx = call->plugin_ctx;
  const bp_tensor_desc_t *x = call->inputs[0], *o = call->outputs[0];
  if (bp_dnnl_numel(o) == 0) return BP_STATUS_OK;
  sm_arg_t m = {.alg = call->kernel_data ? dnnl_softmax_log : dnnl_softmax_accurate};
  int64_t dim = bp_dnnl_attr_int(call, "dim", -1);
  if (x->ndim == 0) dim = 0;
  else if (dim < 0) dim += x->ndim;
  m.axis = (int)dim;
  if (!bp_dnnl_md(&m.src, x, false) || !bp_dnnl_md(&m.dst, o, false))
    return bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED, "onednn softmax: no memory descriptor");
  bp_dnnl_key_t key;
  bp_dnnl_key_init(&key, "softmax", (uint32_t)m.alg);
  bp_dnnl_key_u64(&key, (uint64_t)m.axis);
  bp_dnnl_key_md(&key, &m.src);
  bp_dnnl_key_md(&key, &m.dst);
  bp_dnnl_args_t args = {0};
  bp_dnnl_args_add(&args, DNNL_ARG_SRC, &m.src, bp_dnnl_ptr(x));
  bp_dnnl_args_add(&args, DNNL_ARG_DST, &m.dst, bp_dnnl_ptr(o));
  const bp_dnnl_prim_t *p = NULL;
  bp_dnnl_lock_work(ctx, 2.0 * (double)bp_dnnl_numel(o));
  bp_status_t status = bp_dnnl_cache_get(ctx, &key, sm_make, &m, 0, &p);
  if (!status) status = bp_dnnl_execute(ctx, p, &args, call->op_name);
  bp_dnnl_unlock(ctx);
  return status;
}

bp_status_t bp_dnnl_nn_register(bp_dnnl_ctx_t *ctx) {
  static const int log_tag = 1;
  const bp_dtype_t *sigs[2] = {sig_f32, sig_bf16};
  bp_status_t s = BP_STATUS_OK;
  for (int i = 0; i < 2 && !s; ++i) {
    if (!(ctx->dtype_mask & BP_DTYPE_BIT(sigs[i][0]))) continue;
    s = bp_dnnl_register(ctx->host, "softmax", sigs[i], 2, sm_kernel, sm_supports, NULL);
    if (!s) s = bp_dnnl_register(ctx->host, "log_softmax", sigs[i], 2, sm_kernel, sm_supports, &log_tag);
  }
  return s;
}
