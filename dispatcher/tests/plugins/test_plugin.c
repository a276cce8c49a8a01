/*
 * test_plugin.c - one plugin source, built many times with one define each
 * (as the Vulkan loader tests build their test ICDs). Without defines it is
 * "toy": a well-behaved plugin with one host-memory device and a single
 * kernel, add for f32, so every other op falls back to ref:0. Each
 * BP_TEST_* define breaks exactly one rule of docs/abi.md.
 *
 * The toy add kernel has three test hooks keyed on alpha:
 *   alpha == 666: fails at once with DEVICE_ERROR and a message;
 *   alpha == 13:  succeeds but records an asynchronous error that the next
 *                 synchronize returns;
 *   ndim > 4:     its supports() predicate declines (the dispatcher falls
 *                 back).
 * It compiles against abi/ only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backplane/bp_abi.h"

#ifndef BP_TEST_NAME
#define BP_TEST_NAME "toy"
#endif

#define TOY_MEMORY (1ull << 30)

typedef struct toy_ctx {
  const bp_host_api_t *host;
  bp_status_t pending; /* asynchronous error for the next synchronize */
} toy_ctx_t;

static const bp_host_api_t *g_host;

static bp_status_t fail(bp_status_t s, const char *msg) {
  if (g_host) g_host->set_error(g_host->host_ctx, msg);
  return s;
}

static bool toy_add_supports(const bp_kernel_call_t *call) {
  return call->outputs[0]->ndim <= 4;
}

static bp_status_t toy_add(const bp_kernel_call_t *call) {
  toy_ctx_t *ctx = call->plugin_ctx;
  const bp_attr_t *alpha_attr = bp_abi_find_attr(call, "alpha");
  double alpha = alpha_attr ? alpha_attr->value.f : 1.0;
  if (alpha == 666.0) return fail(BP_STATUS_DEVICE_ERROR, "toy add: the device caught fire");
  const bp_tensor_desc_t *a = call->inputs[0], *b = call->inputs[1], *o = call->outputs[0];
  int64_t idx[64] = {0};
  int64_t numel = 1;
  for (int32_t d = 0; d < o->ndim; ++d) numel *= o->shape[d];
  for (int64_t n = 0; n < numel; ++n) {
    int64_t oa = 0, ob = 0, oo = 0;
    for (int32_t d = 0; d < o->ndim; ++d) {
      oa += idx[d] * a->strides[d];
      ob += idx[d] * b->strides[d];
      oo += idx[d] * o->strides[d];
    }
    const float *pa = (const float *)((const char *)a->data + a->byte_offset) + oa;
    const float *pb = (const float *)((const char *)b->data + b->byte_offset) + ob;
    float *po = (float *)((char *)o->data + o->byte_offset) + oo;
    *po = (float)(*pa + alpha * *pb);
    for (int32_t d = o->ndim - 1; d >= 0; --d) {
      if (++idx[d] < o->shape[d]) break;
      idx[d] = 0;
    }
  }
  if (alpha == 13.0) ctx->pending = BP_STATUS_DEVICE_ERROR;
  return BP_STATUS_OK;
}

static bp_status_t reg(const bp_host_api_t *host, const char *op, const bp_dtype_t *dtypes,
                       uint32_t n, bp_kernel_supports_fn_t supports) {
  bp_kernel_reg_t r = {.struct_size = sizeof(r), .num_dtypes = n, .op_name = op,
                       .dtypes = dtypes, .fn = toy_add, .supports = supports};
  return host->register_kernel(host->host_ctx, &r);
}

static bp_status_t toy_init(const bp_host_api_t *host, void **out_ctx) {
  g_host = host;
#ifdef BP_TEST_INIT_FAIL
  return fail(BP_STATUS_UNAVAILABLE, "no frobnicator hardware found");
#endif
  static const bp_dtype_t f32x3[3] = {BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32};
  bp_status_t s = reg(host, "add", f32x3, 3, toy_add_supports);
#ifdef BP_TEST_DUP_KERNEL
  if (!s) s = reg(host, "add", f32x3, 3, NULL);
#endif
#ifdef BP_TEST_UNKNOWN_OP
  if (!s) s = reg(host, "frobnicate", f32x3, 3, NULL);
#endif
#ifdef BP_TEST_BAD_DTYPE
  static const bp_dtype_t f64x3[3] = {BP_DTYPE_F64, BP_DTYPE_F64, BP_DTYPE_F64};
  if (!s) s = reg(host, "add", f64x3, 3, NULL);
#endif
#ifdef BP_TEST_BAD_SIGNATURE
  static const bp_dtype_t boolx3[3] = {BP_DTYPE_BOOL, BP_DTYPE_BOOL, BP_DTYPE_BOOL};
  if (!s) s = reg(host, "matmul", boolx3, 3, NULL);
#endif
  if (s) return s;
  toy_ctx_t *ctx = calloc(1, sizeof(*ctx));
  if (!ctx) return BP_STATUS_OUT_OF_MEMORY;
  ctx->host = host;
  *out_ctx = ctx;
  return BP_STATUS_OK;
}

static void toy_shutdown(void *ctx) { free(ctx); }

static bp_status_t toy_device_count(void *ctx, uint32_t *out) {
  (void)ctx;
  *out = 1;
  return BP_STATUS_OK;
}

static bp_status_t toy_device_props(void *ctx, uint32_t device, bp_device_props_t *p) {
  (void)ctx;
  if (device != 0) return fail(BP_STATUS_INVALID_ARGUMENT, "toy device_props: no such device");
  if (p->struct_size < BP_DEVICE_PROPS_SIZE_V1_0) return BP_STATUS_INVALID_ARGUMENT;
  p->kind = BP_DEVICE_KIND_CPU;
#ifdef BP_TEST_BAD_PROPS
  p->name[0] = '\0';
#else
  snprintf(p->name, sizeof(p->name), "Toy test device");
#endif
  snprintf(p->vendor, sizeof(p->vendor), "Backplane tests");
  p->total_memory = TOY_MEMORY;
  p->free_memory = TOY_MEMORY;
  p->max_alloc_size = TOY_MEMORY;
  p->dtype_mask = BP_DTYPE_BIT(BP_DTYPE_F32) | BP_DTYPE_BIT(BP_DTYPE_I32) |
                  BP_DTYPE_BIT(BP_DTYPE_I64) | BP_DTYPE_BIT(BP_DTYPE_BOOL);
  p->max_dims = 8;
  p->host_addressable = false;
  return BP_STATUS_OK;
}

static bp_status_t toy_alloc(void *ctx, uint32_t device, uint64_t size, void **out) {
  (void)ctx; (void)device;
  if (size > TOY_MEMORY) return fail(BP_STATUS_OUT_OF_MEMORY, "toy: larger than the device");
  *out = size ? malloc(size) : NULL;
  return size && !*out ? BP_STATUS_OUT_OF_MEMORY : BP_STATUS_OK;
}
static void toy_free(void *ctx, uint32_t device, void *buffer) {
  (void)ctx; (void)device;
  free(buffer);
}
static bp_status_t toy_h2d(void *ctx, uint32_t device, void *dst, uint64_t off, const void *src,
                           uint64_t size) {
  (void)ctx; (void)device;
  memcpy((char *)dst + off, src, size);
  return BP_STATUS_OK;
}
__attribute__((unused)) static bp_status_t toy_d2h(void *ctx, uint32_t device, void *dst, const void *src, uint64_t off,
                           uint64_t size) {
  (void)ctx; (void)device;
  memcpy(dst, (const char *)src + off, size);
  return BP_STATUS_OK;
}
static bp_status_t toy_d2d(void *ctx, uint32_t device, void *dst, uint64_t doff, const void *src,
                           uint64_t soff, uint64_t size) {
  (void)ctx; (void)device;
  memmove((char *)dst + doff, (const char *)src + soff, size);
  return BP_STATUS_OK;
}
static bp_status_t toy_fill(void *ctx, uint32_t device, void *dst, uint64_t off, uint64_t size,
                            const void *pattern, uint32_t psize) {
  (void)ctx; (void)device;
  if (!psize || size % psize) return BP_STATUS_INVALID_ARGUMENT;
  for (uint64_t i = 0; i < size; i += psize) memcpy((char *)dst + off + i, pattern, psize);
  return BP_STATUS_OK;
}
static bp_status_t toy_sync(void *vctx, uint32_t device) {
  (void)device;
  toy_ctx_t *ctx = vctx;
  bp_status_t s = ctx->pending;
  ctx->pending = BP_STATUS_OK;
  return s ? fail(s, "toy: an earlier kernel faulted asynchronously") : BP_STATUS_OK;
}

/* A newer-minor plugin's table: v1.0 members first, then members this host
 * does not know yet. */
typedef struct toy_api_next {
  bp_plugin_api_t v1;
  void *future_entry_a;
  void *future_entry_b;
} toy_api_next_t;

static const toy_api_next_t toy_api = {
    .v1 = {
#if defined(BP_TEST_SMALL_STRUCT)
        .struct_size = (uint32_t)offsetof(bp_plugin_api_t, copy_d2h),
#elif defined(BP_TEST_NEWER_MINOR)
        .struct_size = sizeof(toy_api_next_t),
#else
        .struct_size = sizeof(bp_plugin_api_t),
#endif
#if defined(BP_TEST_WRONG_MAJOR)
        .abi_version = BP_ABI_MAKE_VERSION(2, 0),
#elif defined(BP_TEST_NEWER_MINOR)
        .abi_version = BP_ABI_MAKE_VERSION(BP_ABI_VERSION_MAJOR, 7),
#else
        .abi_version = BP_ABI_VERSION,
#endif
        .name = BP_TEST_NAME,
        .version = "0.0.1",
        .vendor = "Backplane tests",
        .init = toy_init,
        .shutdown = toy_shutdown,
        .device_count = toy_device_count,
        .device_props = toy_device_props,
        .buffer_alloc = toy_alloc,
        .buffer_free = toy_free,
        .copy_h2d = toy_h2d,
#ifndef BP_TEST_NULL_ENTRY
        .copy_d2h = toy_d2h,
#endif
        .copy_d2d = toy_d2d,
        .fill = toy_fill,
        .synchronize = toy_sync,
    },
};

#ifdef BP_TEST_NO_ENTRY
#define ENTRY_NAME bp_plugin_query_misspelled
#else
#define ENTRY_NAME bp_plugin_query
#endif

BP_PLUGIN_EXPORT bp_status_t ENTRY_NAME(const bp_host_api_t *host, uint32_t host_abi_version,
                                        const bp_plugin_api_t **out_api) {
  g_host = host;
#ifdef BP_TEST_REFUSE_HOST
  (void)host_abi_version;
  (void)out_api;
  (void)toy_api;
  return fail(BP_STATUS_ABI_MISMATCH, "this plugin needs host ABI 3.x");
#else
  if (BP_ABI_VERSION_GET_MAJOR(host_abi_version) != BP_ABI_VERSION_MAJOR)
    return BP_STATUS_ABI_MISMATCH;
  *out_api = &toy_api.v1;
  return BP_STATUS_OK;
#endif
}
