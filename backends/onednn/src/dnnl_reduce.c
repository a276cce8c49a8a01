/* dnnl_reduce.c - sum, mean, amax, amin and norm (p = 1, 2) through
 * oneDNN's reduction primitive. amax/amin return UNSUPPORTED (the host
 * falls back to ref:0) when x holds NaN: oneDNN's max/min drop NaN where
 * torch propagates it.
 *
 * Kernel form: x as it is, out in keepdim form (size 1 on reduced dims),
 * which is exactly oneDNN's src/dst pair. oneDNN accumulates in f32 (bf16
 * and f16 too). A sum over an empty input is zeros. A broadcast input
 * (stride 0) falls back: a size-1 dim would change the count of terms. */
#include <string.h>

#include "dnnl_plugin.h"

typedef enum { R_SUM, R_MEAN, R_MINMAX, R_NORM } red_kind_t;

typedef struct red_op {
  const char *name;
  dnnl_alg_kind_t alg;
  red_kind_t kind;
} red_op_t;

static const red_op_t red_ops[] = {
    {"sum", dnnl_reduction_sum, R_SUM},
    {"mean", dnnl_reduction_mean, R_MEAN},
    {"amax", dnnl_reduction_max, R_MINMAX},
    {"amin", dnnl_reduction_min, R_MINMAX},
    {"norm", dnnl_reduction_norm_lp_sum, R_NORM},
};

typedef struct red_arg {
  dnnl_memory_desc_t src, dst;
  dnnl_alg_kind_t alg;
  float p;
} red_arg_t;

static dnnl_status_t red_make(bp_dnnl_ctx_t *ctx, const void *varg, dnnl_primitive_desc_t *pd) {
  const red_arg_t *r = varg;
  dnnl_reduction_desc_t desc;
  dnnl_status_t s = dnnl_reduction_desc_init(&desc, r->alg, &r->src, &r->dst, r->p, 0.0f);
  if (s) return s;
  dnnl_primitive_attr_t attr = NULL;
  if ((s = dnnl_primitive_attr_create(&attr))) return s;
  s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
  if (!s) s = dnnl_primitive_desc_create(pd, &desc, attr, ctx->engine, NULL);
  dnnl_primitive_attr_destroy(attr);
  return s;
}

/* mean of nothing is NaN, amax/amin of nothing an error: those fall back.
 * norm: p = 1 and p = 2 (oneDNN's lp_sum); inf, -inf, 0 and other orders
 * fall back. */
static bool red_supports(const bp_kernel_call_t *call) {
  const red_op_t *op = call->kernel_data;
  const bp_tensor_desc_t *x = call->inputs[0];
  if (x->ndim > BP_DNNL_MAX_DIMS || bp_dnnl_has_bcast(x)) return false;
  if (op->kind != R_SUM && bp_dnnl_numel(x) == 0) return false;
  if (op->kind == R_NORM) {
    const double p = bp_dnnl_attr_f64(call, "p", 2.0);
    /* oneDNN rejects a reduction that reduces nothing (|x| would do) */
    const bp_tensor_desc_t *o = call->outputs[0];
    bool reduces = false;
    for (int32_t d = 0; d < x->ndim; ++d) reduces |= x->shape[d] != o->shape[d];
    return reduces && (p == 1.0 || p == 2.0);
  }
  return true;
}

static bp_status_t red_kernel(const bp_kernel_call_t *call) {
  bp_dnnl_ctx_t *ctx = call->plugin_ctx;
  const red_op_t *op = call->kernel_data;
  const bp_tensor_desc_t *x = call->inputs[0], *out = call->outputs[0];
  if (bp_dnnl_numel(out) == 0) return BP_STATUS_OK;
  if (bp_dnnl_numel(x) == 0) {
    bp_dnnl_zero(out);
    return BP_STATUS_OK;
  }
  if (op->kind == R_MINMAX && bp_dnnl_has_nan(x, false))
    return bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED,
                        "onednn %s: x holds NaN, which oneDNN's max/min does not propagate", op->name);
  red_arg_t r = {.alg = op->alg, .p = op->kind == R_NORM ? (float)bp_dnnl_attr_f64(call, "p", 2.0) : 0.0f};
  if (!bp_dnnl_md(&r.src, x, false) || !bp_dnnl_md(&r.dst, out, false))
    return bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED, "onednn %s: no memory descriptor", op->name);
  bp_dnnl_args_t args = {0};
  bp_dnnl_args_add(&args, DNNL_ARG_SRC, &r.src, bp_dnnl_ptr(x));
  bp_dnnl_args_add(&args, DNNL_ARG_DST, &r.dst, bp_dnnl_ptr(out));
  bp_status_t status = BP_STATUS_OK;
  bp_dnnl_lock_work(ctx, (double)bp_dnnl_numel(x));
  if (bp_dnnl_same_layout(&r.src, &r.dst) && op->kind != R_NORM) { /* nothing reduced: a copy */
    status = bp_dnnl_reorder_locked(ctx, &r.src, bp_dnnl_ptr(x), &r.dst, bp_dnnl_ptr(out));
  } else {
    bp_dnnl_key_t key;
    bp_dnnl_key_init(&key, "reduction", (uint32_t)op->alg);
    bp_dnnl_key_f64(&key, r.p);
    bp_dnnl_key_md(&key, &r.src);
    bp_dnnl_key_md(&key, &r.dst);
    const bp_dnnl_prim_t *p = NULL;
    status = bp_dnnl_cache_get(ctx, &key, red_make, &r, 0, &p);
    if (!status) status = bp_dnnl_execute(ctx, p, &args, op->name);
  }
  bp_dnnl_unlock(ctx);
  return status;
}

bp_status_t bp_dnnl_reduce_register(bp_dnnl_ctx_t *ctx) {
  static const bp_dtype_t sigs[3][2] = {{BP_DTYPE_F32, BP_DTYPE_F32},
                                        {BP_DTYPE_BF16, BP_DTYPE_BF16},
                                        {BP_DTYPE_F16, BP_DTYPE_F16}};
  for (size_t o = 0; o < sizeof red_ops / sizeof red_ops[0]; ++o)
    for (int i = 0; i < 3; ++i) {
      if (!(ctx->dtype_mask & BP_DTYPE_BIT(sigs[i][0]))) continue;
      bp_status_t s = bp_dnnl_register(ctx->host, red_ops[o].name, sigs[i], 2, red_kernel,
                                       red_supports, &red_ops[o]);
      if (s) return s;
    }
  return BP_STATUS_OK;
}
