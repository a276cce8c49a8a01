/* ref_plugin.c - the plugin table, init/shutdown and the one CPU device. */
#define _DEFAULT_SOURCE /* sysconf(_SC_PHYS_PAGES), _SC_AVPHYS_PAGES */

#include "backplane/bp_reference.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ref_plugin.h"

bp_status_t bp_ref_fail(const void *plugin_ctx, bp_status_t status,
                        const char *fmt, ...) {
  const bp_ref_ctx_t *ctx = plugin_ctx;
  if (ctx == NULL || ctx->host == NULL || ctx->host->set_error == NULL) return status;
  char message[256];
  va_list args;
  va_start(args, fmt);
  vsnprintf(message, sizeof message, fmt, args);
  va_end(args);
  ctx->host->set_error(ctx->host->host_ctx, message);
  return status;
}

uint64_t bp_ref_total_memory(void) {
  long pages = sysconf(_SC_PHYS_PAGES);
  long page_size = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return 1;
  return (uint64_t)pages * (uint64_t)page_size;
}

uint64_t bp_ref_free_memory(void) {
  long pages = sysconf(_SC_AVPHYS_PAGES);
  long page_size = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return 0;
  return (uint64_t)pages * (uint64_t)page_size;
}

bp_status_t bp_ref_register(const bp_host_api_t *host, const char *op_name,
                            const bp_dtype_t *dtypes, uint32_t num_dtypes,
                            bp_kernel_fn_t fn, const void *kernel_data) {
  bp_kernel_reg_t reg = {
      .struct_size = sizeof(bp_kernel_reg_t),
      .num_dtypes = num_dtypes,
      .op_name = op_name,
      .dtypes = dtypes,
      .fn = fn,
      .supports = NULL,
      .kernel_data = (void *)(uintptr_t)kernel_data,
  };
  return host->register_kernel(host->host_ctx, &reg);
}

static bp_status_t ref_init(const bp_host_api_t *host, void **out_plugin_ctx) {
  if (host == NULL || out_plugin_ctx == NULL) return BP_STATUS_INVALID_ARGUMENT;
  bp_ref_ctx_t tmp = {.host = host};
  if (host->struct_size < BP_HOST_API_SIZE_V1_0 || host->register_kernel == NULL)
    return bp_ref_fail(&tmp, BP_STATUS_INVALID_ARGUMENT,
                       "ref init: host table too small (%u bytes) or without register_kernel",
                       host->struct_size);
  bp_ref_ctx_t *ctx = malloc(sizeof *ctx);
  if (ctx == NULL)
    return bp_ref_fail(&tmp, BP_STATUS_OUT_OF_MEMORY, "ref init: out of memory");
  ctx->host = host;
  ctx->total_memory = bp_ref_total_memory();

  bp_status_t (*const registrars[])(const bp_host_api_t *) = {
      bp_ref_fill_register,   bp_ref_copy_register,    bp_ref_binary_register,
      bp_ref_reduce_register, bp_ref_matmul_register,  bp_ref_shape_register,
      bp_ref_unary_register,  bp_ref_binary2_register, bp_ref_reduce2_register,
      bp_ref_nn_register,     bp_ref_nn2_register,     bp_ref_random_register,
      bp_ref_nn_backward_register,
      bp_ref_train_register,
  };
  for (size_t i = 0; i < sizeof registrars / sizeof registrars[0]; ++i) {
    bp_status_t status = registrars[i](host);
    if (status != BP_STATUS_OK) {
      free(ctx);
      return status;
    }
  }
  *out_plugin_ctx = ctx;
  return BP_STATUS_OK;
}

static void ref_shutdown(void *plugin_ctx) { free(plugin_ctx); }

static bp_status_t ref_device_count(void *plugin_ctx, uint32_t *out_count) {
  if (out_count == NULL)
    return bp_ref_fail(plugin_ctx, BP_STATUS_INVALID_ARGUMENT,
                       "ref device_count: out_count is NULL");
  *out_count = 1;
  return BP_STATUS_OK;
}

/* True when `member` of bp_device_props_t ends within props->struct_size. */
#define REF_PROPS_HAS(props, member)                   \
  (offsetof(bp_device_props_t, member) +               \
       sizeof(((bp_device_props_t *)0)->member) <=     \
   (props)->struct_size)

static bp_status_t ref_device_props(void *plugin_ctx, uint32_t device,
                                    bp_device_props_t *props) {
  if (device != 0)
    return bp_ref_fail(plugin_ctx, BP_STATUS_INVALID_ARGUMENT,
                       "ref device_props: no device %u (the reference plugin has 1)",
                       device);
  if (props == NULL)
    return bp_ref_fail(plugin_ctx, BP_STATUS_INVALID_ARGUMENT,
                       "ref device_props: props is NULL");
  uint64_t total = bp_ref_total_memory();
  uint64_t free_bytes = bp_ref_free_memory();
  if (free_bytes > total) free_bytes = total;
  if (REF_PROPS_HAS(props, kind)) props->kind = BP_DEVICE_KIND_CPU;
  if (REF_PROPS_HAS(props, name))
    snprintf(props->name, sizeof props->name, "%s", "Backplane reference CPU");
  if (REF_PROPS_HAS(props, vendor))
    snprintf(props->vendor, sizeof props->vendor, "%s", "Backplane");
  if (REF_PROPS_HAS(props, total_memory)) props->total_memory = total;
  if (REF_PROPS_HAS(props, free_memory)) props->free_memory = free_bytes;
  if (REF_PROPS_HAS(props, max_alloc_size)) props->max_alloc_size = total;
  if (REF_PROPS_HAS(props, dtype_mask)) {
    uint32_t mask = 0;
    for (bp_dtype_t d = BP_DTYPE_BOOL; d <= BP_DTYPE_F64; ++d) mask |= BP_DTYPE_BIT(d);
    props->dtype_mask = mask;
  }
  if (REF_PROPS_HAS(props, max_dims)) props->max_dims = BP_REF_MAX_DIMS;
  if (REF_PROPS_HAS(props, host_addressable)) props->host_addressable = true;
  return BP_STATUS_OK;
}

static const bp_plugin_api_t ref_api = {
    .struct_size = sizeof(bp_plugin_api_t),
    .abi_version = BP_ABI_VERSION,
    .name = "ref",
    .version = "1.0.0",
    .vendor = "Backplane",
    .init = ref_init,
    .shutdown = ref_shutdown,
    .device_count = ref_device_count,
    .device_props = ref_device_props,
    .buffer_alloc = bp_ref_buffer_alloc,
    .buffer_free = bp_ref_buffer_free,
    .copy_h2d = bp_ref_copy_h2d,
    .copy_d2h = bp_ref_copy_d2h,
    .copy_d2d = bp_ref_copy_d2d,
    .fill = bp_ref_fill_bytes,
    .synchronize = bp_ref_synchronize,
};

BP_PLUGIN_EXPORT bp_status_t bp_reference_plugin_query(
    const bp_host_api_t *host, uint32_t host_abi_version,
    const bp_plugin_api_t **out_api) {
  (void)host;
  if (BP_ABI_VERSION_GET_MAJOR(host_abi_version) != BP_ABI_VERSION_MAJOR)
    return BP_STATUS_ABI_MISMATCH;
  if (out_api == NULL) return BP_STATUS_INVALID_ARGUMENT;
  *out_api = &ref_api;
  return BP_STATUS_OK;
}
