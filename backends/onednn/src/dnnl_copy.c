/* dnnl_copy.c - `copy` (layout and float dtype changes) through oneDNN's
 * reorder primitive, and `fill` for f32.
 *
 * Reorder rounds f32 to bf16/f16 to nearest even, as the reference does. A
 * broadcast source (stride 0) is not a layout oneDNN's reorder reads; such
 * copies fall back. */
#include <string.h>

#include "dnnl_plugin.h"

typedef struct reorder_arg {
  dnnl_memory_desc_t src, dst;
} reorder_arg_t;

static dnnl_status_t reorder_make(bp_dnnl_ctx_t *ctx, const void *varg, dnnl_primitive_desc_t *pd) {
  const reorder_arg_t *r = varg;
  dnnl_primitive_attr_t attr = NULL;
  dnnl_status_t s = dnnl_primitive_attr_create(&attr);
  if (s) return s;
  s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
  if (!s) s = dnnl_reorder_primitive_desc_create(pd, &r->src, ctx->engine, &r->dst, ctx->engine, attr);
  dnnl_primitive_attr_destroy(attr);
  return s;
}

bp_status_t bp_dnnl_reorder_locked(bp_dnnl_ctx_t *ctx, const dnnl_memory_desc_t *src, void *src_ptr,
                                   const dnnl_memory_desc_t *dst, void *dst_ptr) {
  reorder_arg_t r = {*src, *dst};
  bp_dnnl_key_t key;
  bp_dnnl_key_init(&key, "reorder", 0);
  bp_dnnl_key_md(&key, src);
  bp_dnnl_key_md(&key, dst);
  bp_dnnl_args_t args = {0};
  bp_dnnl_args_add(&args, DNNL_ARG_FROM, &r.src, src_ptr);
  bp_dnnl_args_add(&args, DNNL_ARG_TO, &r.dst, dst_ptr);
  const bp_dnnl_prim_t *p = NULL;
  bp_status_t status = bp_dnnl_cache_get(ctx, &key, reorder_make, &r, 0, &p);
  if (!status) status = bp_dnnl_execute(ctx, p, &args, "reorder");
  return status;
}

static bool copy_supports(const bp_kernel_call_t *call) {
  return call->inputs[0]->ndim <= BP_DNNL_MAX_DIMS && !bp_dnnl_has_bcast(call->inputs[0]);
}

static bp_status_t copy_kernel(const bp_kernel_call_t *call) {
  bp_dnnl_ctx_t *ctx = call->plugin_ctx;
  const bp_tensor_desc_t *src = call->inputs[0], *dst = call->outputs[0];
  if (bp_dnnl_numel(dst) == 0) return BP_STATUS_OK;
  dnnl_memory_desc_t smd, dmd;
  if (!bp_dnnl_md(&smd, src, false) || !bp_dnnl_md(&dmd, dst, false))
    return bp_dnnl_fail(ctx, BP_STATUS_UNSUPPORTED, "onednn copy: no memory descriptor");
  bp_dnnl_lock_work(ctx, 2.0 * (double)bp_dnnl_numel(dst));
  bp_status_t status = bp_dnnl_reorder_locked(ctx, &smd, bp_dnnl_ptr(src), &dmd, bp_dnnl_ptr(dst));
  bp_dnnl_unlock(ctx);
  return status;
}

/* fill f32: value rounded to f32 once, written over out's elements. */
static bp_status_t fill_kernel(const bp_kernel_call_t *call) {
  const bp_tensor_desc_t *out = call->outputs[0];
  const bp_attr_t *v = bp_abi_find_attr(call, "value");
  const float value = (float)(v && v->type == BP_ATTR_FLOAT ? v->value.f : 0.0);
  const int64_t n = bp_dnnl_numel(out);
  float *base = bp_dnnl_ptr(out);
  int64_t idx[BP_DNNL_MAX_DIMS] = {0};
  const int32_t nd = out->ndim;
  if (nd > BP_DNNL_MAX_DIMS) return BP_STATUS_UNSUPPORTED;
  const int64_t inner = nd ? out->shape[nd - 1] : 1, sin = nd ? out->strides[nd - 1] : 1;
  for (int64_t done = 0; done < n; done += inner) {
    int64_t off = 0;
    for (int32_t d = 0; d < nd - 1; ++d) off += idx[d] * out->strides[d];
    float *row = base + off;
    for (int64_t i = 0; i < inner; ++i) row[i * sin] = value;
    for (int32_t d = nd - 2; d >= 0; --d) {
      if (++idx[d] < out->shape[d]) break;
      idx[d] = 0;
    }
  }
  return BP_STATUS_OK;
}

bp_status_t bp_dnnl_copy_register(bp_dnnl_ctx_t *ctx) {
  static const bp_dtype_t floats[3] = {BP_DTYPE_F32, BP_DTYPE_BF16, BP_DTYPE_F16};
  bp_dtype_t sigs[9][2]; /* the host copies each signature */
  int n = 0;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      if (!(ctx->dtype_mask & BP_DTYPE_BIT(floats[i])) || !(ctx->dtype_mask & BP_DTYPE_BIT(floats[j])))
        continue;
      sigs[n][0] = floats[i];
      sigs[n][1] = floats[j];
      bp_status_t s = bp_dnnl_register(ctx->host, "copy", sigs[n], 2, copy_kernel, copy_supports, NULL);
      if (s) return s;
      ++n;
    }
  /* bool -> f32 (masks turned into factors): a u8 -> f32 reorder, exact */
  static const bp_dtype_t bool_f32[2] = {BP_DTYPE_BOOL, BP_DTYPE_F32};
  bp_status_t s = bp_dnnl_register(ctx->host, "copy", bool_f32, 2, copy_kernel, copy_supports, NULL);
  if (s) return s;
  static const bp_dtype_t f32[1] = {BP_DTYPE_F32};
  return bp_dnnl_register(ctx->host, "fill", f32, 1, fill_kernel, NULL, NULL);
}
