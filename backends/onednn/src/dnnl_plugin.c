/* dnnl_plugin.c - the plugin table, init/shutdown, the one CPU device and
 * the dtype probe. */
#define _DEFAULT_SOURCE /* sysconf(_SC_PHYS_PAGES), _SC_AVPHYS_PAGES */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <omp.h>

#include "dnnl_plugin.h"

#define BP_DNNL_DEFAULT_CACHE_CAPACITY 1024

static uint64_t phys_memory(int which) {
  long pages = sysconf(which);
  long page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
}

static void read_cpu_name(char *out, size_t size) {
  snprintf(out, size, "CPU");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (f == NULL) return;
  char line[256];
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "model name", 10) != 0) continue;
    const char *v = strchr(line, ':');
    if (v == NULL) break;
    v++;
    while (*v == ' ' || *v == '\t') v++;
    snprintf(out, size, "%s", v);
    out[strcspn(out, "\n")] = '\0';
    break;
  }
  fclose(f);
}

bp_status_t bp_dnnl_register(const bp_host_api_t *host, const char *op, const bp_dtype_t *dtypes,
                             uint32_t n, bp_kernel_fn_t fn, bp_kernel_supports_fn_t supports,
                             const void *kernel_data) {
  bp_kernel_reg_t reg = {
      .struct_size = sizeof reg,
      .num_dtypes = n,
      .op_name = op,
      .dtypes = dtypes,
      .fn = fn,
      .supports = supports,
      .kernel_data = (void *)(uintptr_t)kernel_data,
  };
  return host->register_kernel(host->host_ctx, &reg);
}

uint32_t bp_dnnl_float_mask(const bp_dnnl_ctx_t *ctx) {
  return ctx->dtype_mask & (BP_DTYPE_BIT(BP_DTYPE_F32) | BP_DTYPE_BIT(BP_DTYPE_BF16) |
                            BP_DTYPE_BIT(BP_DTYPE_F16));
}

/* Can this CPU run the kernels for dtype? oneDNN answers dnnl_unimplemented
 * when the ISA lacks it (f16 before AVX512-FP16, bf16 without AVX512). The
 * probe creates and runs a small matmul and binary and checks 2x2 results. */
static bool probe_dtype(bp_dnnl_ctx_t *ctx, dnnl_data_type_t dt) {
  bool ok = false;
  dnnl_memory_desc_t md;
  dnnl_dims_t dims = {2, 2}, strides = {2, 1};
  dnnl_primitive_desc_t pd_mm = NULL, pd_bin = NULL, pd_elt = NULL;
  dnnl_primitive_t mm = NULL;
  dnnl_memory_t m[3] = {NULL};
  if (dnnl_memory_desc_init_by_strides(&md, 2, dims, dt, strides)) return false;
  dnnl_matmul_desc_t mmd;
  dnnl_binary_desc_t bd;
  dnnl_eltwise_desc_t ed;
  if (dnnl_matmul_desc_init(&mmd, &md, &md, NULL, &md) ||
      dnnl_primitive_desc_create(&pd_mm, &mmd, NULL, ctx->engine, NULL) ||
      dnnl_binary_desc_init(&bd, dnnl_binary_add, &md, &md, &md) ||
      dnnl_primitive_desc_create(&pd_bin, &bd, NULL, ctx->engine, NULL) ||
      dnnl_eltwise_forward_desc_init(&ed, dnnl_forward_inference, dnnl_eltwise_relu, &md, 0, 0) ||
      dnnl_primitive_desc_create(&pd_elt, &ed, NULL, ctx->engine, NULL) ||
      dnnl_primitive_create(&mm, pd_mm))
    goto done;
  /* 1, 2, 3, 4 and 1, 0, 0, 1 in bf16 and f16 bits (exact in both). */
  uint16_t a[4], b[4], c[4] = {0};
  const uint16_t bf[5] = {0x0000, 0x3f80, 0x4000, 0x4040, 0x4080};
  const uint16_t hf[5] = {0x0000, 0x3c00, 0x4000, 0x4200, 0x4400};
  const uint16_t *t = dt == dnnl_bf16 ? bf : hf;
  for (int i = 0; i < 4; ++i) a[i] = t[i + 1];
  b[0] = b[3] = t[1];
  b[1] = b[2] = t[0];
  void *ptrs[3] = {a, b, c};
  for (int i = 0; i < 3; ++i)
    if (dnnl_memory_create(&m[i], &md, ctx->engine, ptrs[i])) goto done;
  dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, m[0]}, {DNNL_ARG_WEIGHTS, m[1]}, {DNNL_ARG_DST, m[2]}};
  if (dnnl_primitive_execute(mm, ctx->stream, 3, args) || dnnl_stream_wait(ctx->stream)) goto done;
  ok = memcmp(a, c, sizeof a) == 0;
done:
  for (int i = 0; i < 3; ++i) dnnl_memory_destroy(m[i]);
  dnnl_primitive_destroy(mm);
  dnnl_primitive_desc_destroy(pd_mm);
  dnnl_primitive_desc_destroy(pd_bin);
  dnnl_primitive_desc_destroy(pd_elt);
  return ok;
}

const char *bp_dnnl_isa_name(dnnl_cpu_isa_t isa) {
  static const struct {
    dnnl_cpu_isa_t isa;
    const char *name;
  } isas[] = {
      {dnnl_cpu_isa_avx512_core_amx, "avx512_core_amx"},
      {dnnl_cpu_isa_avx512_core_bf16, "avx512_core_bf16"},
      {dnnl_cpu_isa_avx512_core_vnni, "avx512_core_vnni"},
      {dnnl_cpu_isa_avx512_core, "avx512_core"},
      {dnnl_cpu_isa_avx2_vnni, "avx2_vnni"},
      {dnnl_cpu_isa_avx2, "avx2"},
      {dnnl_cpu_isa_avx, "avx"},
      {dnnl_cpu_isa_sse41, "sse41"},
  };
  for (size_t i = 0; i < sizeof isas / sizeof isas[0]; ++i)
    if ((isa & isas[i].isa) == isas[i].isa) return isas[i].name;
  return "no SIMD ISA";
}

static long option_long(const bp_host_api_t *host, const char *key, long fallback) {
  const char *v = NULL;
  if (host->query_option == NULL || host->query_option(host->host_ctx, key, &v) || v == NULL ||
      *v == '\0')
    return fallback;
  char *end = NULL;
  long n = strtol(v, &end, 10);
  return (end && *end == '\0' && n >= 0) ? n : fallback;
}

static void dnnl_shutdown(void *vctx) {
  bp_dnnl_ctx_t *ctx = vctx;
  if (ctx == NULL) return;
  bp_dnnl_cache_destroy(ctx->cache);
  bp_dnnl_buf_release(ctx);
  pthread_mutex_destroy(&ctx->pool_lock);
  if (ctx->stream) dnnl_stream_destroy(ctx->stream);
  if (ctx->engine) dnnl_engine_destroy(ctx->engine);
  free(ctx->scratch);
  free(ctx->work);
  pthread_mutex_destroy(&ctx->lock);
  free(ctx);
}

static bp_status_t dnnl_init(const bp_host_api_t *host, void **out_ctx) {
  if (host == NULL || out_ctx == NULL) return BP_STATUS_INVALID_ARGUMENT;
  bp_dnnl_ctx_t tmp = {.host = host};
  if (host->struct_size < BP_HOST_API_SIZE_V1_0 || host->register_kernel == NULL)
    return bp_dnnl_fail(&tmp, BP_STATUS_INVALID_ARGUMENT, "onednn init: host table too small");
  bp_dnnl_ctx_t *ctx = calloc(1, sizeof *ctx);
  if (ctx == NULL) return bp_dnnl_fail(&tmp, BP_STATUS_OUT_OF_MEMORY, "onednn init: out of memory");
  ctx->host = host;
  pthread_mutex_init(&ctx->lock, NULL);
  pthread_mutex_init(&ctx->pool_lock, NULL);
  bp_status_t status = BP_STATUS_OK;
  ctx->total_memory = phys_memory(_SC_PHYS_PAGES);
  if (ctx->total_memory == 0) ctx->total_memory = 1ull << 32;
  read_cpu_name(ctx->cpu_name, sizeof ctx->cpu_name);
  ctx->num_threads = (int)option_long(host, "num_threads", 0);
  long capacity = option_long(host, "primitive_cache_capacity", BP_DNNL_DEFAULT_CACHE_CAPACITY);
  /* Freed buffers kept for reuse: 1/8 of the memory, at most 1 GiB, by
   * default; none in sanitized builds (reuse would hide a use after free). */
  long pool_default = (long)(ctx->total_memory >> 23);
  long pool_mb = option_long(host, "buffer_pool_mb", pool_default < 1024 ? pool_default : 1024);
#if defined(__SANITIZE_ADDRESS__)
  pool_mb = 0;
#endif
  ctx->pool_cap = (size_t)pool_mb << 20;

  dnnl_status_t s = dnnl_engine_create(&ctx->engine, dnnl_cpu, 0);
  if (s != dnnl_success) {
    bp_dnnl_status(ctx, s, "dnnl_engine_create(dnnl_cpu, 0)", "init");
    status = BP_STATUS_UNAVAILABLE; /* keep the message, report the device as missing */
    goto done;
  }
  BP_DNNL_TRY(ctx, dnnl_stream_create(&ctx->stream, ctx->engine, dnnl_stream_default_flags), "init");
  if ((status = bp_dnnl_cache_create((size_t)capacity, &ctx->cache)))
    goto done;

  ctx->isa = dnnl_get_effective_cpu_isa();
  ctx->isa_avx2 = (ctx->isa & dnnl_cpu_isa_avx2) == dnnl_cpu_isa_avx2;
  ctx->isa_avx512 = (ctx->isa & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core;
  bp_dnnl_lock(ctx); /* the thread count also applies to the probe */
  ctx->dtype_mask = BP_DTYPE_BIT(BP_DTYPE_F32);
  if (probe_dtype(ctx, dnnl_bf16)) ctx->dtype_mask |= BP_DTYPE_BIT(BP_DTYPE_BF16);
  if (probe_dtype(ctx, dnnl_f16)) ctx->dtype_mask |= BP_DTYPE_BIT(BP_DTYPE_F16);
  bp_dnnl_unlock(ctx);
  const dnnl_version_t *v = dnnl_version();
  bp_dnnl_log(ctx, BP_LOG_DEBUG,
              "oneDNN %d.%d.%d (%s) on %s, ISA %s: f32%s%s, %d threads (0: OpenMP's %d), cache "
              "of %ld, buffer pool %ld MB",
              v->major, v->minor, v->patch, v->hash, ctx->cpu_name, bp_dnnl_isa_name(ctx->isa),
              ctx->dtype_mask & BP_DTYPE_BIT(BP_DTYPE_BF16) ? ", bf16" : "",
              ctx->dtype_mask & BP_DTYPE_BIT(BP_DTYPE_F16) ? ", f16" : "", ctx->num_threads,
              omp_get_max_threads(), capacity, pool_mb);

  bp_status_t (*const registrars[])(bp_dnnl_ctx_t *) = {
      bp_dnnl_matmul_register, bp_dnnl_binary_register, bp_dnnl_eltwise_register,
      bp_dnnl_reduce_register, bp_dnnl_copy_register,   bp_dnnl_nn_register,
      bp_dnnl_conv_register,   bp_dnnl_pool_register,   bp_dnnl_norm_register,
      bp_dnnl_backward_register, bp_dnnl_relu_register, bp_dnnl_optim_register,
      bp_dnnl_minmax_register,
  };
  for (size_t i = 0; i < sizeof registrars / sizeof registrars[0] && !status; ++i)
    status = registrars[i](ctx);
done:
  if (status) {
    dnnl_shutdown(ctx);
    return status;
  }
  *out_ctx = ctx;
  return BP_STATUS_OK;
}

static bp_status_t dnnl_device_count(void *ctx, uint32_t *out_count) {
  if (out_count == NULL)
    return bp_dnnl_fail(ctx, BP_STATUS_INVALID_ARGUMENT, "onednn device_count: out_count is NULL");
  *out_count = 1;
  return BP_STATUS_OK;
}

#define PROPS_HAS(props, member) \
  (offsetof(bp_device_props_t, member) + sizeof(((bp_device_props_t *)0)->member) <= (props)->struct_size)

static bp_status_t dnnl_device_props(void *vctx, uint32_t device, bp_device_props_t *props) {
  bp_dnnl_ctx_t *ctx = vctx;
  if (device != 0)
    return bp_dnnl_fail(ctx, BP_STATUS_INVALID_ARGUMENT,
                        "onednn device_props: no device %u (the plugin has 1)", device);
  if (props == NULL)
    return bp_dnnl_fail(ctx, BP_STATUS_INVALID_ARGUMENT, "onednn device_props: props is NULL");
  uint64_t free_bytes = phys_memory(_SC_AVPHYS_PAGES);
  if (free_bytes > ctx->total_memory) free_bytes = ctx->total_memory;
  const dnnl_version_t *v = dnnl_version();
  if (PROPS_HAS(props, kind)) props->kind = BP_DEVICE_KIND_CPU;
  /* The name says what props cannot: the ISA oneDNN runs and the dtypes
   * its kernels take here (the dtype mask is what the device stores). */
  if (PROPS_HAS(props, name))
    snprintf(props->name, sizeof props->name, "oneDNN %d.%d CPU (%s; kernels f32%s%s): %s",
             v->major, v->minor, bp_dnnl_isa_name(ctx->isa),
             ctx->dtype_mask & BP_DTYPE_BIT(BP_DTYPE_BF16) ? ", bf16" : "",
             ctx->dtype_mask & BP_DTYPE_BIT(BP_DTYPE_F16) ? ", f16" : "", ctx->cpu_name);
  if (PROPS_HAS(props, vendor)) snprintf(props->vendor, sizeof props->vendor, "%s", "oneDNN (UXL Foundation)");
  if (PROPS_HAS(props, total_memory)) props->total_memory = ctx->total_memory;
  if (PROPS_HAS(props, free_memory)) props->free_memory = free_bytes;
  if (PROPS_HAS(props, max_alloc_size)) props->max_alloc_size = ctx->total_memory;
  /* Memory is host memory, so every dtype can be stored (and ops on any
   * dtype fall back to ref:0 instead of failing to allocate); kernels exist
   * only for ctx->dtype_mask (f32, and bf16/f16 where this CPU runs them). */
  if (PROPS_HAS(props, dtype_mask)) {
    uint32_t all = 0;
    for (bp_dtype_t d = BP_DTYPE_BOOL; d < BP_DTYPE_COUNT_V1_0; ++d) all |= BP_DTYPE_BIT(d);
    props->dtype_mask = all;
  }
  if (PROPS_HAS(props, max_dims)) props->max_dims = BP_DNNL_MAX_DIMS;
  if (PROPS_HAS(props, host_addressable)) props->host_addressable = true;
  return BP_STATUS_OK;
}

static const bp_plugin_api_t dnnl_api = {
    .struct_size = sizeof(bp_plugin_api_t),
    .abi_version = BP_ABI_VERSION,
    .name = "onednn",
    .version = "0.1.0",
    .vendor = "Backplane (oneDNN)",
    .init = dnnl_init,
    .shutdown = dnnl_shutdown,
    .device_count = dnnl_device_count,
    .device_props = dnnl_device_props,
    .buffer_alloc = bp_dnnl_buffer_alloc,
    .buffer_free = bp_dnnl_buffer_free,
    .copy_h2d = bp_dnnl_copy_h2d,
    .copy_d2h = bp_dnnl_copy_d2h,
    .copy_d2d = bp_dnnl_copy_d2d,
    .fill = bp_dnnl_fill_bytes,
    .synchronize = bp_dnnl_synchronize,
};

BP_PLUGIN_EXPORT bp_status_t bp_plugin_query(const bp_host_api_t *host, uint32_t host_abi_version,
                                             const bp_plugin_api_t **out_api) {
  (void)host;
  if (BP_ABI_VERSION_GET_MAJOR(host_abi_version) != BP_ABI_VERSION_MAJOR)
    return BP_STATUS_ABI_MISMATCH;
  if (out_api == NULL) return BP_STATUS_INVALID_ARGUMENT;
  *out_api = &dnnl_api;
  return BP_STATUS_OK;
}
