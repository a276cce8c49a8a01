/* dnnl_eltwise.c - unary elementwise ops through oneDNN's eltwise primitive.
 *
 * oneDNN's eltwise takes one memory descriptor for src and dst, so when
 * out's strides differ from x's, x is first reordered into out (one pass)
 * and the eltwise runs in place there. A broadcast x (stride 0) falls back.
 *
 * Semantics are oneDNN's: its exp, tanh, gelu, ... are vectorized
 * approximations within a few ulp; exp(NaN) is +inf (listed in
 * conformance/known-failures/onednn.txt). Declined (left to ref:0) because
 * oneDNN's results differ from torch's beyond the suite's tolerances: log
 * (~1.4e-6 absolute near 1, log(1) != 0), elu (a few 1e-7 relative), relu
 * (-0 for negative inputs, NaN -> 0), clamp (signed zeros, NaN, min > max
 * rejected); neg, abs and round in bf16/f16 (denormals flushed to zero). neg is
 * -1 * x + (-0), so that neg(0) is -0 as in torch. */
#include <math.h>
#include <string.h>

#include "dnnl_plugin.h"

typedef enum { A_NONE, A_SLOPE, A_ALPHA, A_GELU, A_CLAMP, A_ROUND } attr_kind_t;

typedef struct elt_op {
  const char *name;
  dnnl_alg_kind_t alg;
  float alpha, beta;
  attr_kind_t attrs;
  bool f32_only; /* bf16/f16: oneDNN flushes denormal results to zero */
} elt_op_t;

static const elt_op_t elt_ops[] = {
    {"neg", dnnl_eltwise_linear, -1.0f, -0.0f, A_NONE, true},
    {"abs", dnnl_eltwise_abs, 0.0f, 0.0f, A_NONE, true},
    {"exp", dnnl_eltwise_exp, 0.0f, 0.0f, A_NONE, false},
    {"sqrt", dnnl_eltwise_sqrt, 0.0f, 0.0f, A_NONE, false},
    {"tanh", dnnl_eltwise_tanh, 0.0f, 0.0f, A_NONE, false},
    {"sigmoid", dnnl_eltwise_logistic, 0.0f, 0.0f, A_NONE, false},
    {"leaky_relu", dnnl_eltwise_relu, 0.0f, 0.0f, A_SLOPE, false},
    {"gelu", dnnl_eltwise_gelu_erf, 0.0f, 0.0f, A_GELU, false},
    {"silu", dnnl_eltwise_swish, 1.0f, 0.0f, A_NONE, false},
    {"round", dnnl_eltwise_round, 0.0f, 0.0f, A_ROUND, true},
};

static double attr_f(const bp_kernel_call_t *call, const char *name, double dflt) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  return a && a->type == BP_ATTR_FLOAT ? a->value.f : dflt;
}
static int64_t attr_i(const bp_kernel_call_t *call, const char *name, int64_t dflt) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  return a && a->type == BP_ATTR_INT ? a->value.i : dflt;
}
static bool attr_b(const bp_kernel_call_t *call, const char *name) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  return a && a->type == BP_ATTR_BOOL && a->value.b;
}

/* The primitive's algorithm and parameters for this call. */
static void elt_params(const bp_kernel_call_t *call, const elt_op_t *op, dnnl_alg_kind_t *alg,
                       float *alpha, float *beta) {
  *alg = op->alg;
  *alpha = op->alpha;
  *beta = op->beta;
  switch (op->attrs) {
    case A_SLOPE: *alpha = (float)attr_f(call, "negative_slope", 0.01); break;
    case A_ALPHA: *alpha = (float)attr_f(call, "alpha", 1.0); break;
    case A_GELU:
      if (attr_i(call, "approximate", 0) == 1) *alg = dnnl_eltwise_gelu_tanh;
      break;
    case A_CLAMP:
      *alpha = attr_b(call, "has_min") ? (float)attr_f(call, "min", 0) : -INFINITY;
      *beta = attr_b(call, "has_max") ? (float)attr_f(call, "max", 0) : INFINITY;
      break;
    default: break;
  }
}

static bool elt_supports(const bp_kernel_call_t *call) {
  const elt_op_t *op = call->kernel_data;
  const bp_tensor_desc_t *x = call->inputs[0];
  if (x->ndim > BP_DNNL_MAX_DIMS || bp_dnnl_has_bcast(x)) return false;
  if (op->attrs == A_ROUND && attr_i(call, "decimals", 0) != 0) return false;
  if (op->attrs == A_GELU) {
    int64_t ap = attr_i(call, "approximate", 0);
    if (ap != 0 && ap != 1) return false;
  }
  return true;
}

bool bp_dnnl_same_layout(const dnnl_memory_desc_t *a, const dnnl_memory_desc_t *b) {
  if (a->ndims != b->ndims) return false;
  for (int i = 0; i < a->ndims; ++i)
    if (a->dims[i] != b->dims[i] ||
        (a->dims[i] != 1 && a->format_desc.blocking.strides[i] != b->format_desc.blocking.strides[i]))
      return false;
  return true;
}

typedef struct elt_arg {
  dnnl_memory_desc_t md;
  dnnl_alg_kind_t alg;
  float alpha, beta;
} elt_arg_t;

static dnnl_status_t elt_make(bp_dnnl_ctx_t *ctx, const void *varg, dnnl_primitive_desc_t *pd) {
  const elt_arg_t *e = varg;
  dnnl_eltwise_desc_t desc;
  dnnl_status_t s = dnnl_eltwise_forward_desc_init(&desc, dnnl_forward_inference, e->alg, &e->md,
                                                   e->alpha, e->beta);
  if (s) return s;
  dnnl_primitive_attr_t attr = NULL;
  if ((s = dnnl_primitive_attr_create(&attr))) return s;
  s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
  if (!s) s = dnnl_primitive_desc_create(pd, &desc, attr, ctx->engine, NULL);
  dnnl_primitive_attr_destroy(attr);
  return s;
}

static bp_status_t elt_kernel(const bp_kernel_call_t *call) {
  bp_dnnl_ctx_t *ctx = call->plugin_ctx;
  const elt_op_t *op = call->kernel_data;
  const bp_tensor_desc_t *x = call->inputs[0], *out = call->outputs[0];
  if (bp_dnnl_numel(out) == 0) return BP_STATUS_OK;
  elt_arg_t e;
  dnnl_memory_desc_t xmd;
  elt_params(call, op, &e.alg, &e.alpha, &e.beta);
  if (!bp_dnnl_md(&xmd, x, false) || !bp_dnnl_md(&e.md, out, false))
    return bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED, "onednn %s: no memory descriptor", op->name);
  const bool direct = bp_dnnl_same_layout(&xmd, &e.md);
  bp_dnnl_key_t key;
  bp_dnnl_key_init(&key, "eltwise", (uint32_t)e.alg);
  bp_dnnl_key_f64(&key, e.alpha);
  bp_dnnl_key_f64(&key, e.beta);
  bp_dnnl_key_md(&key, &e.md);
  bp_dnnl_args_t args = {0};
  void *src = direct ? bp_dnnl_ptr(x) : bp_dnnl_ptr(out);
  bp_dnnl_args_add(&args, DNNL_ARG_SRC, &e.md, src);
  bp_dnnl_args_add(&args, DNNL_ARG_DST, &e.md, bp_dnnl_ptr(out));
  const bp_dnnl_prim_t *p = NULL;
  bp_status_t status = BP_STATUS_OK;
  bp_dnnl_lock_work(ctx, 2.0 * (double)bp_dnnl_numel(out));
  if (!direct) status = bp_dnnl_reorder_locked(ctx, &xmd, bp_dnnl_ptr(x), &e.md, bp_dnnl_ptr(out));
  if (!status) status = bp_dnnl_cache_get(ctx, &key, elt_make, &e, 0, &p);
  if (!status) status = bp_dnnl_execute(ctx, p, &args, op->name);
  bp_dnnl_unlock(ctx);
  return status;
}

bp_status_t bp_dnnl_eltwise_register(bp_dnnl_ctx_t *ctx) {
  static const bp_dtype_t sigs[3][2] = {{BP_DTYPE_F32, BP_DTYPE_F32},
                                        {BP_DTYPE_BF16, BP_DTYPE_BF16},
                                        {BP_DTYPE_F16, BP_DTYPE_F16}};
  for (size_t o = 0; o < sizeof elt_ops / sizeof elt_ops[0]; ++o)
    for (int i = 0; i < 3; ++i) {
      if (!(ctx->dtype_mask & BP_DTYPE_BIT(sigs[i][0]))) continue;
      if (elt_ops[o].f32_only && i > 0) continue;
      bp_status_t s = bp_dnnl_register(ctx->host, elt_ops[o].name, sigs[i], 2, elt_kernel,
                                       elt_supports, &elt_ops[o]);
      if (s) return s;
    }
  return BP_STATUS_OK;
}
