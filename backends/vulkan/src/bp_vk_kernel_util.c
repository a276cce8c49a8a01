/* bp_vk_kernel_util.c - the host-side helpers every kernel file shares
 * (bp_vk_kernel_util.h). */
#include "bp_vk_kernel_util.h"

#include <string.h>

int64_t bpvk_numel(const bp_tensor_desc_t *t) {
  int64_t n = 1;
  for (int32_t i = 0; i < t->ndim; ++i) n *= t->shape[i];
  return n;
}

bool bpvk_tensor_ok(const bp_tensor_desc_t *t) {
  size_t es = bp_abi_dtype_size(t->dtype);
  if (es == 0 || t->ndim > BPVK_MAX_DIMS) return false;
  if (bpvk_numel(t) == 0) return true;
  const bpvk_alloc_t *a = t->data;
  if (a == NULL || (a->offset + t->byte_offset) % es) return false;
  uint64_t last = (a->offset + t->byte_offset) / es;
  for (int32_t i = 0; i < t->ndim; ++i) last += (uint64_t)(t->shape[i] - 1) * (uint64_t)t->strides[i];
  return last < 0x7fffffffu;
}

bpvk_vtensor_t bpvk_vt(const bp_tensor_desc_t *t) {
  const bpvk_alloc_t *a = t->data;
  return (bpvk_vtensor_t){a->block->buffer, (uint32_t)((a->offset + t->byte_offset) / bp_abi_dtype_size(t->dtype))};
}

bp_dtype_t bpvk_raw_dtype(bp_dtype_t dt) {
  switch (bp_abi_dtype_size(dt)) {
    case 1: return BP_DTYPE_U8;
    case 2: return BP_DTYPE_BF16;
    case 4: return BP_DTYPE_I32;
    default: return BP_DTYPE_I64;
  }
}

bool bpvk_kernel_supports(const bp_kernel_call_t *call) {
  const bpvk_kernel_t *k = call->kernel_data;
  bpvk_ctx_t *ctx = call->plugin_ctx;
  if (call->device_index >= ctx->ndevices || call->num_outputs < 1) return false;
  bpvk_device_t *d = &ctx->devices[call->device_index];
  if (!bpvk_variant_usable(d, k->variant(call, k))) return false;
  for (uint32_t i = 0; i < call->num_inputs; ++i)
    if (call->inputs[i] && !bpvk_tensor_ok(call->inputs[i])) return false;
  for (uint32_t i = 0; i < call->num_outputs; ++i)
    if (!bpvk_tensor_ok(call->outputs[i])) return false;
  return k->extra_ok == NULL || k->extra_ok(call, k);
}

bp_status_t bpvk_kernel_run(const bp_kernel_call_t *call, bpvk_record_fn record) {
  bpvk_ctx_t *ctx = call->plugin_ctx;
  if (!bpvk_kernel_supports(call))
    return bpvk_fail(ctx, BP_STATUS_UNSUPPORTED, "vulkan %s: this call is not supported on vulkan:%u", call->op_name,
                     call->device_index);
  for (uint32_t i = 0; i < call->num_outputs; ++i)
    if (bpvk_numel(call->outputs[i]) == 0) return BP_STATUS_OK;
  bpvk_device_t *d = &ctx->devices[call->device_index];
  const bpvk_kernel_t *k = call->kernel_data;
  int32_t variant = k->variant(call, k);
  pthread_mutex_lock(&d->mu);
  bp_status_t s = record(d, call, variant);
  pthread_mutex_unlock(&d->mu);
  return s;
}

/* True when some device can run the shader variant `name` and store every
 * dtype of the signature. */
static bool any_device(bpvk_ctx_t *ctx, const char *name, const bp_dtype_t *sig, uint32_t n) {
  int32_t v = bpvk_variant_find(name);
  for (uint32_t i = 0; i < ctx->ndevices; ++i) {
    bool ok = bpvk_variant_usable(&ctx->devices[i], v);
    for (uint32_t k = 0; k < n && ok; ++k) ok = (ctx->devices[i].dtype_mask & BP_DTYPE_BIT(sig[k])) != 0;
    if (ok) return true;
  }
  return false;
}

bp_status_t bpvk_kernel_reg(bpvk_ctx_t *ctx, const char *op, const char *variant, const bp_dtype_t *sig, uint32_t n,
                            bp_kernel_fn_t fn, const bpvk_kernel_t *k) {
  if (!any_device(ctx, variant, sig, n)) return BP_STATUS_OK;
  bp_kernel_reg_t r = {.struct_size = sizeof r, .num_dtypes = n, .op_name = op, .dtypes = sig, .fn = fn,
                       .supports = bpvk_kernel_supports, .kernel_data = (void *)k};
  return ctx->host->register_kernel(ctx->host->host_ctx, &r);
}

void bpvk_ewn_params(uint32_t *w, const bp_tensor_desc_t *const *ops, int nops) {
  memset(w, 0, BPVK_EWN_EXTRA * 4);
  const bp_tensor_desc_t *o = ops[0];
  int64_t shape[BPVK_MAX_DIMS], stride[BPVK_MAX_DIMS][BPVK_MAX_TENSORS];
  int n = 0;
  for (int32_t dd = 0; dd < o->ndim; ++dd) {
    if (o->shape[dd] == 1) continue;
    bool merge = n > 0;
    for (int k = 0; k < nops && merge; ++k) merge = stride[n - 1][k] == ops[k]->strides[dd] * o->shape[dd];
    if (merge) {
      shape[n - 1] *= o->shape[dd];
      for (int k = 0; k < nops; ++k) stride[n - 1][k] = ops[k]->strides[dd];
    } else {
      shape[n] = o->shape[dd];
      for (int k = 0; k < nops; ++k) stride[n][k] = ops[k]->strides[dd];
      ++n;
    }
  }
  if (n == 0) {
    shape[0] = 1;
    for (int k = 0; k < nops; ++k) stride[0][k] = 0;
    n = 1;
  }
  w[BPVK_EW_NUMEL] = (uint32_t)bpvk_numel(o);
  w[BPVK_EW_NDIM] = (uint32_t)n;
  for (int i = 0; i < n; ++i) {
    w[BPVK_EW_SHAPE + i] = (uint32_t)shape[i];
    for (int k = 0; k < nops; ++k) w[BPVK_EW_OP0 + BPVK_EW_OPSTRIDE * k + 1 + i] = (uint32_t)stride[i][k];
  }
  for (int k = 0; k < nops; ++k) w[BPVK_EW_OP0 + BPVK_EW_OPSTRIDE * k] = bpvk_vt(ops[k]).offset;
}

void bpvk_ew_params(uint32_t *w, const bp_tensor_desc_t *const *ops, int nops) {
  uint32_t all[BPVK_EWN_EXTRA];
  bpvk_ewn_params(all, ops, nops);
  memcpy(w, all, BPVK_EW_EXTRA * 4);
  memset(w + BPVK_EW_EXTRA, 0, (BPVK_EW_WORDS - BPVK_EW_EXTRA) * 4);
}

bp_status_t bpvk_record_tensors(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant, uint32_t spec,
                                const uint32_t *words, uint32_t nwords, uint32_t gx, uint32_t gy, uint32_t gz,
                                const char *check) {
  VkBuffer bufs[BPVK_MAX_TENSORS];
  uint32_t n = 0;
  for (uint32_t i = 0; i < call->num_inputs && n < BPVK_MAX_TENSORS; ++i)
    bufs[n++] = bpvk_numel(call->inputs[i]) ? bpvk_vt(call->inputs[i]).buffer : VK_NULL_HANDLE;
  for (uint32_t i = 0; i < call->num_outputs && n < BPVK_MAX_TENSORS; ++i)
    bufs[n++] = bpvk_numel(call->outputs[i]) ? bpvk_vt(call->outputs[i]).buffer : VK_NULL_HANDLE;
  return bpvk_dispatch_n(d, variant, spec, bufs, n, words, nwords, gx, gy, gz, check);
}

void bpvk_grid_1d(uint64_t items, uint32_t per_group, uint32_t *gx, uint32_t *gy) {
  uint64_t groups = (items + per_group - 1) / per_group;
  if (groups == 0) groups = 1;
  *gx = groups < 65535 ? (uint32_t)groups : 65535u;
  *gy = (uint32_t)((groups + *gx - 1) / *gx);
}

bp_status_t bpvk_record_ew(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant, uint32_t spec,
                           const uint32_t extra[BPVK_EW_NEXTRA], const char *check) {
  const bp_tensor_desc_t *ops[3] = {call->outputs[0], NULL, NULL};
  int nops = 1;
  for (uint32_t i = 0; i < call->num_inputs && i < 2; ++i) ops[nops++] = call->inputs[i];
  uint32_t w[BPVK_EW_WORDS];
  bpvk_ew_params(w, ops, nops);
  if (extra) memcpy(w + BPVK_EW_EXTRA, extra, BPVK_EW_NEXTRA * 4);
  VkBuffer bufs[3] = {VK_NULL_HANDLE, VK_NULL_HANDLE, VK_NULL_HANDLE};
  for (int k = 0; k < nops; ++k) bufs[k] = bpvk_vt(ops[k]).buffer;
  uint32_t gx, gy;
  bpvk_grid_1d(w[BPVK_EW_NUMEL], 256, &gx, &gy);
  if (w[BPVK_EW_NDIM] == 1) spec |= BPVK_SPEC_ONE_DIM; /* no dims loop in the shader */
  return bpvk_dispatch_checked(d, variant, spec, bufs, w, BPVK_EW_WORDS, gx, gy, 1, check);
}

void bpvk_put_f32(uint32_t *w, double v) {
  float f = (float)v;
  memcpy(w, &f, 4);
}
void bpvk_put_f64(uint32_t *w, double v) { memcpy(w, &v, 8); }
void bpvk_put_u64(uint32_t *w, uint64_t v) {
  w[0] = (uint32_t)v;
  w[1] = (uint32_t)(v >> 32);
}
double bpvk_attr_f(const bp_kernel_call_t *call, const char *name, double def) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  return a && a->type == BP_ATTR_FLOAT ? a->value.f : def;
}
int64_t bpvk_attr_i(const bp_kernel_call_t *call, const char *name, int64_t def) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  return a && a->type == BP_ATTR_INT ? a->value.i : def;
}
bool bpvk_attr_b(const bp_kernel_call_t *call, const char *name, bool def) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  return a && a->type == BP_ATTR_BOOL ? a->value.b : def;
}

int64_t bpvk_attr2(const bp_kernel_call_t *call, const char *name, int i, int64_t def) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  if (!a || a->type != BP_ATTR_INTS || a->count == 0) return def;
  return a->value.ints[a->count >= 2 ? i : 0];
}

void bpvk_nchw(const bp_tensor_desc_t *t, int64_t e[4], int64_t s[4]) {
  int off = t->ndim == 4 ? 0 : 1;
  e[0] = 1, s[0] = 0;
  for (int32_t i = 0; i < t->ndim; ++i) e[i + off] = t->shape[i], s[i + off] = t->strides[i];
}
