/* dnnl_matmul.c - `matmul`, `bmm` and `linear` through oneDNN's matmul primitive.
 *
 * Kernel form: a [B..., M, K] @ b [B..., K, N] -> out [B..., M, N]; batch
 * dims broadcast with stride 0 become size-1 dims (oneDNN's matmul
 * broadcasts those). Strides go to the memory descriptors as they are, so
 * transposed operands need no copy. K == 0 writes zeros. */
#include <string.h>

#include "dnnl_plugin.h"

/* The work of out = a @ b for bp_dnnl_lock_work: 2 * out's elements * K
 * flops, over 64. */
static double mm_work(const bp_tensor_desc_t *a, const bp_tensor_desc_t *out) {
  return 2.0 * (double)bp_dnnl_numel(out) * (double)a->shape[a->ndim - 1] / 64.0;
}

typedef struct mm_arg {
  dnnl_memory_desc_t a, b, bias, out;
  bool has_bias;
} mm_arg_t;

static dnnl_status_t mm_make(bp_dnnl_ctx_t *ctx, const void *varg, dnnl_primitive_desc_t *pd) {
  const mm_arg_t *m = varg;
  dnnl_matmul_desc_t desc;
  dnnl_status_t s = dnnl_matmul_desc_init(&desc, &m->a, &m->b, m->has_bias ? &m->bias : NULL, &m->out);
  if (s) return s;
  dnnl_primitive_attr_t attr = NULL;
  if ((s = dnnl_primitive_attr_create(&attr))) return s;
  s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
  if (!s) s = dnnl_primitive_desc_create(pd, &desc, attr, ctx->engine, NULL);
  dnnl_primitive_attr_destroy(attr);
  return s;
}

/* A matrix dim (the last two) may not be broadcast: oneDNN would read it as
 * size 1. Such calls (rare: an expanded matrix) fall back. */
static bool mm_supports(const bp_kernel_call_t *call) {
  for (uint32_t i = 0; i < 3; ++i) {
    const bp_tensor_desc_t *t = i < 2 ? call->inputs[i] : call->outputs[0];
    if (t->ndim < 2 || t->ndim > BP_DNNL_MAX_DIMS) return false;
    for (int32_t d = t->ndim - 2; d < t->ndim; ++d)
      if (t->shape[d] > 1 && t->strides[d] == 0) return false;
  }
  return true;
}

void bp_dnnl_zero(const bp_tensor_desc_t *t) {
  const size_t size = bp_abi_dtype_size(t->dtype);
  int64_t idx[BP_DNNL_MAX_DIMS] = {0};
  const int64_t n = bp_dnnl_numel(t);
  char *base = bp_dnnl_ptr(t);
  for (int64_t i = 0; i < n; ++i) {
    int64_t off = 0;
    for (int32_t d = 0; d < t->ndim; ++d) off += idx[d] * t->strides[d];
    memset(base + off * (int64_t)size, 0, size);
    for (int32_t d = t->ndim - 1; d >= 0; --d) {
      if (++idx[d] < t->shape[d]) break;
      idx[d] = 0;
    }
  }
}

static bp_status_t mm_kernel(const bp_kernel_call_t *call) {
  bp_dnnl_ctx_t *ctx = call->plugin_ctx;
  const bp_tensor_desc_t *a = call->inputs[0], *b = call->inputs[1], *out = call->outputs[0];
  if (bp_dnnl_numel(out) == 0) return BP_STATUS_OK;
  if (a->shape[a->ndim - 1] == 0) {
    bp_dnnl_zero(out);
    return BP_STATUS_OK;
  }
  mm_arg_t m = {.has_bias = false};
  if (!bp_dnnl_md(&m.a, a, true) || !bp_dnnl_md(&m.b, b, true) || !bp_dnnl_md(&m.out, out, false))
    return bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED, "onednn matmul: no memory descriptor for these operands");
  bp_dnnl_key_t key;
  bp_dnnl_key_init(&key, "matmul", 0);
  bp_dnnl_key_md(&key, &m.a);
  bp_dnnl_key_md(&key, &m.b);
  bp_dnnl_key_md(&key, &m.out);
  bp_dnnl_args_t args = {0};
  bp_dnnl_args_add(&args, DNNL_ARG_SRC, &m.a, bp_dnnl_ptr(a));
  bp_dnnl_args_add(&args, DNNL_ARG_WEIGHTS, &m.b, bp_dnnl_ptr(b));
  bp_dnnl_args_add(&args, DNNL_ARG_DST, &m.out, bp_dnnl_ptr(out));
  const bp_dnnl_prim_t *p = NULL;
  bp_dnnl_lock_work(ctx, mm_work(a, out));
  bp_status_t status = bp_dnnl_cache_get(ctx, &key, mm_make, &m, 0, &p);
  if (!status) status = bp_dnnl_execute(ctx, p, &args, "matmul");
  bp_dnnl_unlock(ctx);
  return status;
}

/* ---- linear: x [..., K] @ weight[N, K]^T + bias[N] -> out [..., N] ----
 * One matmul primitive: weight as a [1..., K, N] view (strides swapped, no
 * copy), the bias as [1..., 1, N]; a 1-D x is a [1, K] matrix. */

static bool linear_supports(const bp_kernel_call_t *call) {
  const bp_tensor_desc_t *x = call->inputs[0], *w = call->inputs[1], *o = call->outputs[0];
  if (x->ndim < 1 || x->ndim > BP_DNNL_MAX_DIMS || w->ndim != 2 || o->ndim != x->ndim) return false;
  if (bp_dnnl_has_bcast(x) || bp_dnnl_has_bcast(w) || bp_dnnl_has_bcast(o)) return false;
  if (bp_dnnl_attr_bool(call, "has_bias", true)) {
    const bp_tensor_desc_t *b = call->inputs[2];
    if (b->ndim != 1 || bp_dnnl_has_bcast(b)) return false;
  }
  return w->shape[1] > 0; /* K == 0 (out = bias) falls back */
}

static bp_status_t linear_kernel(const bp_kernel_call_t *call) {
  bp_dnnl_ctx_t *ctx = call->plugin_ctx;
  const bp_tensor_desc_t *x = call->inputs[0], *w = call->inputs[1], *b = call->inputs[2];
  const bp_tensor_desc_t *out = call->outputs[0];
  if (bp_dnnl_numel(out) == 0) return BP_STATUS_OK;
  mm_arg_t m = {.has_bias = bp_dnnl_attr_bool(call, "has_bias", true)};
  const int nd = x->ndim < 2 ? 2 : x->ndim;
  const int64_t k = w->shape[1], n = w->shape[0];
  int64_t wd[BP_DNNL_MAX_DIMS], wst[BP_DNNL_MAX_DIMS], bd[BP_DNNL_MAX_DIMS], bst[BP_DNNL_MAX_DIMS];
  for (int i = 0; i < nd; ++i) wd[i] = bd[i] = 1, wst[i] = bst[i] = 0;
  wd[nd - 2] = k; wst[nd - 2] = w->strides[1];
  wd[nd - 1] = n; wst[nd - 1] = w->strides[0];
  bd[nd - 1] = n; bst[nd - 1] = m.has_bias ? b->strides[0] : 1;
  bool ok = bp_dnnl_md_raw(&m.b, nd, wd, wst, w->dtype);
  if (m.has_bias) ok = ok && bp_dnnl_md_raw(&m.bias, nd, bd, bst, b->dtype);
  if (x->ndim == 1) {
    const int64_t xd[2] = {1, k}, xs[2] = {k * x->strides[0], x->strides[0]};
    const int64_t od[2] = {1, n}, os[2] = {n * out->strides[0], out->strides[0]};
    ok = ok && bp_dnnl_md_raw(&m.a, 2, xd, xs, x->dtype) && bp_dnnl_md_raw(&m.out, 2, od, os, out->dtype);
  } else {
    ok = ok && bp_dnnl_md(&m.a, x, false) && bp_dnnl_md(&m.out, out, false);
  }
  if (!ok) return bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED, "onednn linear: no memory descriptor");
  bp_dnnl_key_t key;
  bp_dnnl_key_init(&key, "matmul", 1);
  bp_dnnl_key_md(&key, &m.a);
  bp_dnnl_key_md(&key, &m.b);
  bp_dnnl_key_u64(&key, m.has_bias);
  if (m.has_bias) bp_dnnl_key_md(&key, &m.bias);
  bp_dnnl_key_md(&key, &m.out);
  bp_dnnl_args_t args = {0};
  bp_dnnl_args_add(&args, DNNL_ARG_SRC, &m.a, bp_dnnl_ptr(x));
  bp_dnnl_args_add(&args, DNNL_ARG_WEIGHTS, &m.b, bp_dnnl_ptr(w));
  if (m.has_bias) bp_dnnl_args_add(&args, DNNL_ARG_BIAS, &m.bias, bp_dnnl_ptr(b));
  bp_dnnl_args_add(&args, DNNL_ARG_DST, &m.out, bp_dnnl_ptr(out));
  const bp_dnnl_prim_t *p = NULL;
  bp_dnnl_lock_work(ctx, mm_work(x, out));
  bp_status_t status = bp_dnnl_cache_get(ctx, &key, mm_make, &m, 0, &p);
  if (!status) status = bp_dnnl_execute(ctx, p, &args, "linear");
  bp_dnnl_unlock(ctx);
  return status;
}

bp_status_t bp_dnnl_matmul_register(bp_dnnl_ctx_t *ctx) {
  static const bp_dtype_t sigs[3][4] = {{BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32},
                                        {BP_DTYPE_BF16, BP_DTYPE_BF16, BP_DTYPE_BF16, BP_DTYPE_BF16},
                                        {BP_DTYPE_F16, BP_DTYPE_F16, BP_DTYPE_F16, BP_DTYPE_F16}};
  for (int i = 0; i < 3; ++i) {
    if (!(ctx->dtype_mask & BP_DTYPE_BIT(sigs[i][0]))) continue;
    bp_status_t s = bp_dnnl_register(ctx->host, "matmul", sigs[i], 3, mm_kernel, mm_supports, NULL);
    if (!s) s = bp_dnnl_register(ctx->host, "bmm", sigs[i], 3, mm_kernel, mm_supports, NULL);
    if (!s) s = bp_dnnl_register(ctx->host, "linear", sigs[i], 4, linear_kernel, linear_supports, NULL);
    if (s) return s;
  }
  return BP_STATUS_OK;
}
