/* bp_status.c - thread-local error messages, status names and logging. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bp_internal.h"

#define BP_ERROR_MAX 1024

static _Thread_local char last_error[BP_ERROR_MAX];
static _Thread_local char plugin_error[BP_ERROR_MAX];

const char *bp_last_error(void) { return last_error; }

void bp_clear_error(void) { last_error[0] = '\0'; }

bp_status_t bp_fail(bp_status_t status, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vsnprintf(last_error, sizeof(last_error), fmt, args);
  va_end(args);
  return status;
}

bp_status_t bp_fail_context(bp_status_t status, const char *fmt, ...) {
  char prefix[BP_ERROR_MAX];
  char previous[BP_ERROR_MAX];
  va_list args;
  va_start(args, fmt);
  vsnprintf(prefix, sizeof(prefix), fmt, args);
  va_end(args);
  memcpy(previous, last_error, sizeof(previous));
  snprintf(last_error, sizeof(last_error), "%s: %s", prefix, previous);
  return status;
}

const char *bp_plugin_error_take(void) {
  static _Thread_local char taken[BP_ERROR_MAX];
  memcpy(taken, plugin_error, sizeof(taken));
  plugin_error[0] = '\0';
  return taken;
}

void bp_plugin_error_set(const char *message) {
  snprintf(plugin_error, sizeof(plugin_error), "%s", message ? message : "");
}

const char *bp_status_name(bp_status_t status) {
  switch (status) {
    case BP_STATUS_OK: return "OK";
    case BP_STATUS_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case BP_STATUS_UNSUPPORTED: return "UNSUPPORTED";
    case BP_STATUS_OUT_OF_MEMORY: return "OUT_OF_MEMORY";
    case BP_STATUS_DEVICE_ERROR: return "DEVICE_ERROR";
    case BP_STATUS_INTERNAL: return "INTERNAL";
    case BP_STATUS_NOT_FOUND: return "NOT_FOUND";
    case BP_STATUS_UNAVAILABLE: return "UNAVAILABLE";
    case BP_STATUS_FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case BP_STATUS_ABI_MISMATCH: return "ABI_MISMATCH";
    default: return "UNKNOWN";
  }
}

const char *bp_format_shape(char *buf, size_t size, int32_t ndim,
                            const int64_t *shape) {
  size_t used = 0;
  used += (size_t)snprintf(buf, size, "[");
  for (int32_t i = 0; i < ndim && used < size; ++i)
    used += (size_t)snprintf(buf + used, size - used, i ? ",%lld" : "%lld",
                             (long long)shape[i]);
  if (used < size) snprintf(buf + used, size - used, "]");
  return buf;
}

static int log_threshold(void) {
  static atomic_int cached = -1;
  int level = atomic_load_explicit(&cached, memory_order_relaxed);
  if (level >= 0) return level;
  level = BP_LOG_WARN;
  const char *env = getenv("BP_LOG");
  if (env) {
    if (!strcasecmp(env, "debug")) level = BP_LOG_DEBUG;
    else if (!strcasecmp(env, "info")) level = BP_LOG_INFO;
    else if (!strcasecmp(env, "warn")) level = BP_LOG_WARN;
    else if (!strcasecmp(env, "error")) level = BP_LOG_ERROR;
    else if (!strcasecmp(env, "off")) level = BP_LOG_ERROR + 1;
  }
  atomic_store_explicit(&cached, level, memory_order_relaxed);
  return level;
}

void bp_log(bp_log_level_t level, const char *fmt, ...) {
  if ((int)level < log_threshold()) return;
  static const char *const names[] = {"debug", "info", "warning", "error"};
  char line[BP_ERROR_MAX];
  va_list args;
  va_start(args, fmt);
  vsnprintf(line, sizeof(line), fmt, args);
  va_end(args);
  fprintf(stderr, "backplane: %s: %s\n", names[level <= BP_LOG_ERROR ? level : BP_LOG_ERROR], line);
}
