/* dnnl_binary.c - add, sub, mul, div and the comparisons (gt, ge, lt, le,
 * eq, ne; f32 -> bool, written as oneDNN u8 0/1) through oneDNN's binary
 * primitive.
 *
 * Kernel form: inputs already broadcast to out's shape with stride 0; those
 * dims become size-1 dims, which oneDNN's binary broadcasts. oneDNN's fast
 * kernels broadcast only src1, so when only `a` is broadcast and the op
 * allows it, the operands swap: b + alpha*a via scales, and a - alpha*b as
 * -(alpha*b - a) via a linear post-op, and a comparison turns around
 * (a > b as b < a). alpha is a src1 scale. */
#include <string.h>

#include "dnnl_plugin.h"

typedef struct bin_op {
  const char *name;
  dnnl_alg_kind_t alg;
  bool uses_alpha;
  bool swappable; /* commutative, sub with its negating post-op, a comparison */
  bool cmp;       /* a comparison: f32, f32 -> bool */
  dnnl_alg_kind_t swapped; /* the algorithm with the operands swapped */
} bin_op_t;

static const bin_op_t bin_ops[] = {
    {"add", dnnl_binary_add, true, true, false, dnnl_binary_add},
    {"sub", dnnl_binary_sub, true, true, false, dnnl_binary_sub},
    {"mul", dnnl_binary_mul, false, true, false, dnnl_binary_mul},
    {"div", dnnl_binary_div, false, false, false, dnnl_binary_div},
    {"gt", dnnl_binary_gt, false, true, true, dnnl_binary_lt},
    {"ge", dnnl_binary_ge, false, true, true, dnnl_binary_le},
    {"lt", dnnl_binary_lt, false, true, true, dnnl_binary_gt},
    {"le", dnnl_binary_le, false, true, true, dnnl_binary_ge},
    {"eq", dnnl_binary_eq, false, true, true, dnnl_binary_eq},
    {"ne", dnnl_binary_ne, false, true, true, dnnl_binary_ne},
};

typedef struct bin_arg {
  dnnl_memory_desc_t src0, src1, dst;
  dnnl_alg_kind_t alg;
  float scale0, scale1;
  bool negate;
} bin_arg_t;

static dnnl_status_t bin_make(bp_dnnl_ctx_t *ctx, const void *varg, dnnl_primitive_desc_t *pd) {
  const bin_arg_t *b = varg;
  dnnl_binary_desc_t desc;
  dnnl_status_t s = dnnl_binary_desc_init(&desc, b->alg, &b->src0, &b->src1, &b->dst);
  if (s) return s;
  dnnl_primitive_attr_t attr = NULL;
  dnnl_post_ops_t po = NULL;
  if ((s = dnnl_primitive_attr_create(&attr))) return s;
  s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
  if (!s && b->scale0 != 1.0f) s = dnnl_primitive_attr_set_scales(attr, DNNL_ARG_SRC_0, 1, 0, &b->scale0);
  if (!s && b->scale1 != 1.0f) s = dnnl_primitive_attr_set_scales(attr, DNNL_ARG_SRC_1, 1, 0, &b->scale1);
  if (!s && b->negate) {
    s = dnnl_post_ops_create(&po);
    if (!s) s = dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_linear, -1.0f, 0.0f);
    if (!s) s = dnnl_primitive_attr_set_post_ops(attr, po);
  }
  if (!s) s = dnnl_primitive_desc_create(pd, &desc, attr, ctx->engine, NULL);
  if (po) dnnl_post_ops_destroy(po);
  dnnl_primitive_attr_destroy(attr);
  return s;
}

static bool row_major(const bp_tensor_desc_t *t) {
  int64_t expect = 1;
  for (int32_t d = t->ndim - 1; d >= 0; --d) {
    if (t->shape[d] == 1) continue;
    if (t->strides[d] != expect) return false;
    expect *= t->shape[d];
  }
  return true;
}

/* div's rounding_mode (when the catalog has it) must be 0, true division. */
static bool bin_supports(const bp_kernel_call_t *call) {
  if (call->outputs[0]->ndim > BP_DNNL_MAX_DIMS) return false;
  const bp_attr_t *rm = bp_abi_find_attr(call, "rounding_mode");
  if (rm && rm->type == BP_ATTR_INT && rm->value.i != 0) return false;
  /* oneDNN broadcasts src1 only: a broadcast `a` needs a full `b` to swap with */
  const bin_op_t *op = call->kernel_data;
  /* u8 results in another layout than row-major come out wrong (oneDNN 2.6) */
  if (op->cmp && !row_major(call->outputs[0])) return false;
  if (bp_dnnl_has_bcast(call->inputs[0]) && (!op->swappable || bp_dnnl_has_bcast(call->inputs[1])))
    return false;
  return true;
}

static bp_status_t bin_kernel(const bp_kernel_call_t *call) {
  bp_dnnl_ctx_t *ctx = call->plugin_ctx;
  const bin_op_t *op = call->kernel_data;
  const bp_tensor_desc_t *a = call->inputs[0], *b = call->inputs[1], *out = call->outputs[0];
  if (bp_dnnl_numel(out) == 0) return BP_STATUS_OK;
  float alpha = 1.0f;
  if (op->uses_alpha) {
    const bp_attr_t *at = bp_abi_find_attr(call, "alpha");
    if (at && at->type == BP_ATTR_FLOAT) alpha = (float)at->value.f;
  }
  bin_arg_t m = {.alg = op->alg, .scale0 = 1.0f, .scale1 = alpha};
  const bool swap = op->swappable && bp_dnnl_has_bcast(a) && !bp_dnnl_has_bcast(b);
  const bp_tensor_desc_t *s0 = swap ? b : a, *s1 = swap ? a : b;
  if (swap) {
    m.alg = op->swapped;
    m.scale0 = alpha;
    m.scale1 = 1.0f;
    m.negate = op->alg == dnnl_binary_sub;
  }
  if (!bp_dnnl_md(&m.src0, s0, true) || !bp_dnnl_md(&m.src1, s1, true) ||
      !bp_dnnl_md(&m.dst, out, false))
    return bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED, "onednn %s: no memory descriptor for these operands",
                        op->name);
  bp_dnnl_key_t key;
  bp_dnnl_key_init(&key, "binary", (uint32_t)m.alg);
  bp_dnnl_key_f64(&key, m.scale0);
  bp_dnnl_key_f64(&key, m.scale1);
  bp_dnnl_key_u64(&key, m.negate);
  bp_dnnl_key_md(&key, &m.src0);
  bp_dnnl_key_md(&key, &m.src1);
  bp_dnnl_key_md(&key, &m.dst);
  bp_dnnl_args_t args = {0};
  bp_dnnl_args_add(&args, DNNL_ARG_SRC_0, &m.src0, bp_dnnl_ptr(s0));
  bp_dnnl_args_add(&args, DNNL_ARG_SRC_1, &m.src1, bp_dnnl_ptr(s1));
  bp_dnnl_args_add(&args, DNNL_ARG_DST, &m.dst, bp_dnnl_ptr(out));
  const bp_dnnl_prim_t *p = NULL;
  bp_dnnl_lock_work(ctx, 3.0 * (double)bp_dnnl_numel(out));
  bp_status_t status = bp_dnnl_cache_get(ctx, &key, bin_make, &m, 0, &p);
  if (!status) status = bp_dnnl_execute(ctx, p, &args, op->name);
  bp_dnnl_unlock(ctx);
  return status;
}

bp_status_t bp_dnnl_binary_register(bp_dnnl_ctx_t *ctx) {
  static const bp_dtype_t sigs[3][3] = {{BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32},
                                        {BP_DTYPE_BF16, BP_DTYPE_BF16, BP_DTYPE_BF16},
                                        {BP_DTYPE_F16, BP_DTYPE_F16, BP_DTYPE_F16}};
  static const bp_dtype_t cmp_sig[3] = {BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_BOOL};
  for (size_t o = 0; o < sizeof bin_ops / sizeof bin_ops[0]; ++o) {
    if (bin_ops[o].cmp) {
      bp_status_t s = bp_dnnl_register(ctx->host, bin_ops[o].name, cmp_sig, 3, bin_kernel,
                                       bin_supports, &bin_ops[o]);
      if (s) return s;
      continue;
    }
    for (int i = 0; i < 3; ++i) {
      if (!(ctx->dtype_mask & BP_DTYPE_BIT(sigs[i][0]))) continue;
      bp_status_t s = bp_dnnl_register(ctx->host, bin_ops[o].name, sigs[i], 3, bin_kernel,
                                       bin_supports, &bin_ops[o]);
      if (s) return s;
    }
  }
  return BP_STATUS_OK;
}
