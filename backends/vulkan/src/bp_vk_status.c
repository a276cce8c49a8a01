/* bp_vk_status.c - the one place VkResult becomes bp_status_t, and the
 * plugin's error and log helpers. */
#include <stdarg.h>
#include <stdio.h>

#include "bp_vk.h"

const char *bpvk_result_name(VkResult r) {
  switch (r) {
#define BPVK_NAME(x) case x: return #x;
    BPVK_NAME(VK_SUCCESS) BPVK_NAME(VK_NOT_READY) BPVK_NAME(VK_TIMEOUT)
    BPVK_NAME(VK_INCOMPLETE) BPVK_NAME(VK_ERROR_OUT_OF_HOST_MEMORY)
    BPVK_NAME(VK_ERROR_OUT_OF_DEVICE_MEMORY) BPVK_NAME(VK_ERROR_INITIALIZATION_FAILED)
    BPVK_NAME(VK_ERROR_DEVICE_LOST) BPVK_NAME(VK_ERROR_MEMORY_MAP_FAILED)
    BPVK_NAME(VK_ERROR_LAYER_NOT_PRESENT) BPVK_NAME(VK_ERROR_EXTENSION_NOT_PRESENT)
    BPVK_NAME(VK_ERROR_FEATURE_NOT_PRESENT) BPVK_NAME(VK_ERROR_INCOMPATIBLE_DRIVER)
    BPVK_NAME(VK_ERROR_TOO_MANY_OBJECTS) BPVK_NAME(VK_ERROR_FORMAT_NOT_SUPPORTED)
    BPVK_NAME(VK_ERROR_FRAGMENTED_POOL) BPVK_NAME(VK_ERROR_OUT_OF_POOL_MEMORY)
    BPVK_NAME(VK_ERROR_UNKNOWN)
#undef BPVK_NAME
    default: return "VkResult (unknown)";
  }
}

static bp_status_t map_result(VkResult r) {
  switch (r) {
    case VK_SUCCESS: return BP_STATUS_OK;
    case VK_ERROR_OUT_OF_HOST_MEMORY:
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
    case VK_ERROR_TOO_MANY_OBJECTS:
    case VK_ERROR_OUT_OF_POOL_MEMORY:
    case VK_ERROR_FRAGMENTED_POOL: return BP_STATUS_OUT_OF_MEMORY;
    case VK_ERROR_INITIALIZATION_FAILED:
    case VK_ERROR_LAYER_NOT_PRESENT:
    case VK_ERROR_EXTENSION_NOT_PRESENT:
    case VK_ERROR_FEATURE_NOT_PRESENT:
    case VK_ERROR_INCOMPATIBLE_DRIVER: return BP_STATUS_UNAVAILABLE;
    case VK_ERROR_DEVICE_LOST:
    case VK_TIMEOUT:
    default: return BP_STATUS_DEVICE_ERROR;
  }
}

bp_status_t bpvk_check(const bpvk_ctx_t *ctx, VkResult r, const char *call) {
  bp_status_t s = map_result(r);
  if (s != BP_STATUS_OK) bpvk_fail(ctx, s, "vulkan %s: %s (%d)", call, bpvk_result_name(r), (int)r);
  return s;
}

bp_status_t bpvk_fail(const bpvk_ctx_t *ctx, bp_status_t status, const char *fmt, ...) {
  if (ctx == NULL || ctx->host == NULL || ctx->host->set_error == NULL) return status;
  char msg[320];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  ctx->host->set_error(ctx->host->host_ctx, msg);
  return status;
}

void bpvk_log(const bpvk_ctx_t *ctx, bp_log_level_t level, const char *fmt, ...) {
  if (ctx == NULL || ctx->host == NULL || ctx->host->log == NULL) return;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  ctx->host->log(ctx->host->host_ctx, level, msg);
}

void bpvk_set_pending(bpvk_device_t *d, bp_status_t status, const char *fmt, ...) {
  if (d->pending != BP_STATUS_OK) return;
  d->pending = status;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d->pending_msg, sizeof d->pending_msg, fmt, ap);
  va_end(ap);
}
