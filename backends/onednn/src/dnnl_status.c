/* dnnl_status.c - the one place oneDNN statuses become bp_status_t, and the
 * plugin's message and log helpers. */
#include <stdarg.h>
#include <stdio.h>

#include "dnnl_plugin.h"

bp_status_t bp_dnnl_fail(const bp_dnnl_ctx_t *ctx, bp_status_t status, const char *fmt, ...) {
  if (ctx == NULL || ctx->host == NULL || ctx->host->set_error == NULL) return status;
  char message[512];
  va_list args;
  va_start(args, fmt);
  vsnprintf(message, sizeof message, fmt, args);
  va_end(args);
  ctx->host->set_error(ctx->host->host_ctx, message);
  return status;
}

void bp_dnnl_log(const bp_dnnl_ctx_t *ctx, bp_log_level_t level, const char *fmt, ...) {
  if (ctx == NULL || ctx->host == NULL || ctx->host->log == NULL) return;
  char message[512];
  va_list args;
  va_start(args, fmt);
  vsnprintf(message, sizeof message, fmt, args);
  va_end(args);
  ctx->host->log(ctx->host->host_ctx, level, message);
}

static const char *dnnl_status_name(dnnl_status_t s) {
  switch (s) {
    case dnnl_success: return "dnnl_success";
    case dnnl_out_of_memory: return "dnnl_out_of_memory";
    case dnnl_invalid_arguments: return "dnnl_invalid_arguments";
    case dnnl_unimplemented: return "dnnl_unimplemented";
    case dnnl_iterator_ends: return "dnnl_iterator_ends";
    case dnnl_runtime_error: return "dnnl_runtime_error";
    case dnnl_not_required: return "dnnl_not_required";
    default: return "an unknown dnnl_status_t";
  }
}

bp_status_t bp_dnnl_status(const bp_dnnl_ctx_t *ctx, dnnl_status_t s, const char *call,
                           const char *what) {
  bp_status_t status;
  switch (s) {
    case dnnl_success: return BP_STATUS_OK;
    case dnnl_out_of_memory: status = BP_STATUS_OUT_OF_MEMORY; break;
    case dnnl_unimplemented: status = BP_STATUS_UNSUPPORTED; break;
    case dnnl_invalid_arguments: status = BP_STATUS_INVALID_ARGUMENT; break;
    default: status = BP_STATUS_DEVICE_ERROR; break;
  }
  return bp_dnnl_fail(ctx, status, "onednn %s: %s returned %s (%d)", what ? what : "", call,
                      dnnl_status_name(s), (int)s);
}
