/* cli_util.c - helpers shared by the `bp` subcommands (see bp_cli.h). */
#define _POSIX_C_SOURCE 200809L /* setenv */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp_cli.h"

bool bpcli_is_help(const char *arg) {
  return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

int bpcli_usage_error(const char *usage, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("bp: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputs("\n\n", stderr);
  va_end(ap);
  fputs(usage, stderr);
  return BPCLI_EXIT_USAGE;
}

bool bpcli_runtime_start(void) {
  /* The OpenMP runtime a plugin loads (oneDNN's libgomp) reads this once,
   * when the plugin is loaded by bp_init: its threads sleep while they wait
   * instead of spinning, unless the user chose otherwise. On cores shared
   * with other jobs, spinning threads made onednn:0 5-70x slower
   * (docs/devices.md). */
  setenv("OMP_WAIT_POLICY", "passive", 0);
  bp_status_t status = bp_init();
  if (status == BP_STATUS_OK) return true;
  fprintf(stderr, "bp: the runtime failed to start: %s (%s)\n", bp_last_error(),
          bp_status_name(status));
  return false;
}

const char *bpcli_format_bytes(char *buf, size_t size, uint64_t bytes) {
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) {
    snprintf(buf, size, "%llu B", (unsigned long long)bytes);
    return buf;
  }
  double v = (double)bytes;
  size_t u = 0;
  while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
    v /= 1024.0;
    ++u;
  }
  snprintf(buf, size, "%.1f %s", v, units[u]);
  return buf;
}

const char *bpcli_format_abi(char *buf, size_t size, uint32_t version) {
  if (version == 0) snprintf(buf, size, "unknown");
  else snprintf(buf, size, "%u.%u", (unsigned)BP_ABI_VERSION_GET_MAJOR(version),
                (unsigned)BP_ABI_VERSION_GET_MINOR(version));
  return buf;
}

const char *bpcli_device_kind_name(char *buf, size_t size, bp_device_kind_t kind) {
  switch (kind) {
    case BP_DEVICE_KIND_CPU: return "cpu";
    case BP_DEVICE_KIND_GPU: return "gpu";
    case BP_DEVICE_KIND_ACCELERATOR: return "accelerator";
    default: snprintf(buf, size, "kind %u", (unsigned)kind); return buf;
  }
}

const char *bpcli_dtype_label(char *buf, size_t size, bp_dtype_t dtype) {
  const char *name = bp_dtype_name(dtype);
  if (strcmp(name, "invalid")) return name;
  snprintf(buf, size, "dtype%u", (unsigned)dtype);
  return buf;
}

const char *bpcli_format_dtype_mask(char *buf, size_t size, uint32_t mask) {
  size_t used = 0;
  buf[0] = '\0';
  for (bp_dtype_t d = 1; d < 32 && used < size; ++d) {
    if (!(mask & BP_DTYPE_BIT(d))) continue;
    char label[32];
    int n = snprintf(buf + used, size - used, "%s%s", used ? "," : "",
                     bpcli_dtype_label(label, sizeof(label), d));
    if (n < 0) break;
    used += (size_t)n;
  }
  if (used == 0) snprintf(buf, size, "none");
  return buf;
}
