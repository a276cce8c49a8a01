/* bp_plugin.c - what the host gives a plugin (the host table) and how a
 * plugin record is brought up: negotiation, validation, init, devices.
 * Every rule checked here is numbered in docs/abi.md. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp_op_catalog.h"

/* ---- the host table ---- */

uint64_t bp_signature_key(const bp_dtype_t *dtypes, uint32_t count) {
  uint64_t key = 0;
  for (uint32_t i = 0; i < count; ++i) key |= (uint64_t)(dtypes[i] & 0xff) << (8 * i);
  return key;
}

static void format_signature(char *buf, size_t size, const bp_op_def_t *def,
                             const bp_dtype_t *dtypes, uint32_t count) {
  size_t used = (size_t)snprintf(buf, size, "%s(", def->name);
  for (uint32_t i = 0; i < count && used < size; ++i) {
    const char *sep = i == 0 ? "" : (i == def->num_inputs ? ") -> (" : ", ");
    used += (size_t)snprintf(buf + used, size - used, "%s%s", sep, bp_dtype_name(dtypes[i]));
  }
  if (used < size) snprintf(buf + used, size - used, ")");
}

static bp_status_t registration_error(bp_plugin_t *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bp_status_t registration_error(bp_plugin_t *p, const char *fmt, ...) {
  char msg[512];
  va_list args;
  va_start(args, fmt);
  vsnprintf(msg, sizeof(msg), fmt, args);
  va_end(args);
  if (p->registration_status == BP_STATUS_OK) {
    p->registration_status = BP_STATUS_INVALID_ARGUMENT;
    snprintf(p->registration_error, sizeof(p->registration_error), "%s", msg);
  }
  bp_plugin_error_set(msg);
  return BP_STATUS_INVALID_ARGUMENT;
}

static bp_status_t host_register_kernel(void *host_ctx, const bp_kernel_reg_t *reg) {
  bp_plugin_t *p = host_ctx;
  if (!p) return BP_STATUS_INVALID_ARGUMENT;
  if (!p->registration_open)
    return registration_error(p, "register_kernel called outside init (ABI-12)");
  if (!reg) return registration_error(p, "register_kernel: reg is NULL");
  if (reg->struct_size < BP_KERNEL_REG_SIZE_V1_0)
    return registration_error(p, "register_kernel: reg->struct_size is %u, ABI 1.0 needs >= %zu",
                              reg->struct_size, BP_KERNEL_REG_SIZE_V1_0);
  if (!reg->op_name) return registration_error(p, "register_kernel: op_name is NULL");
  uint32_t op_id = 0;
  for (op_id = 0; op_id < BP_OP_COUNT; ++op_id)
    if (!strcmp(bp_op_def(op_id)->name, reg->op_name)) break;
  if (op_id == BP_OP_COUNT)
    return registration_error(p, "register_kernel: unknown op '%.64s' (not in the catalog; see "
                                 "`bp ops`) (ABI-12)", reg->op_name);
  const bp_op_def_t *def = bp_op_def(op_id);
  uint32_t slots = (uint32_t)def->num_inputs + def->num_outputs;
  if (reg->num_dtypes != slots || !reg->dtypes)
    return registration_error(p,
                              "register_kernel: %s takes %u dtypes (inputs then outputs), got %u "
                              "(ABI-12)", def->name, slots, reg->num_dtypes);
  for (uint32_t i = 0; i < slots; ++i)
    if (reg->dtypes[i] <= BP_DTYPE_INVALID || reg->dtypes[i] >= BP_DTYPE_COUNT_V1_0)
      return registration_error(p, "register_kernel: %s dtype %u is not a dtype of ABI 1.0",
                                def->name, (unsigned)reg->dtypes[i]);
  char sig[256];
  format_signature(sig, sizeof(sig), def, reg->dtypes, slots);
  if (!def->signature_ok(reg->dtypes))
    return registration_error(p, "register_kernel: op %s cannot take the signature %s (dtype "
                                 "rule: %s) (ABI-12)", def->name, sig, def->dtype_rule);
  if (!reg->fn) return registration_error(p, "register_kernel: %s: fn is NULL", sig);
  uint64_t key = bp_signature_key(reg->dtypes, slots);
  bp_kernel_list_t *list = &p->kernels[op_id];
  if (bp_plugin_find_kernel(p, op_id, key))
    return registration_error(p, "register_kernel: duplicate kernel for %s (ABI-12)", sig);
  if (list->count == list->capacity) {
    uint32_t cap = list->capacity ? list->capacity * 2 : 4;
    bp_kernel_entry_t *grown = realloc(list->entries, sizeof(*grown) * cap);
    if (!grown) return registration_error(p, "register_kernel: out of host memory");
    list->entries = grown;
    list->capacity = cap;
  }
  bool has_supports = reg->struct_size >= offsetof(bp_kernel_reg_t, supports) + sizeof(void *);
  list->entries[list->count++] = (bp_kernel_entry_t){
      .key = key,
      .num_dtypes = slots,
      .fn = reg->fn,
      .supports = has_supports ? reg->supports : NULL,
      .kernel_data = reg->kernel_data,
  };
  return BP_STATUS_OK;
}

static void host_log(void *host_ctx, bp_log_level_t level, const char *message) {
  bp_plugin_t *p = host_ctx;
  if (level > BP_LOG_ERROR) level = BP_LOG_ERROR;
  /* While loading (one thread, before the plugin is published) keep the
   * last lines, whatever BP_LOG says, for the "no devices" reason. */
  if (p && p->state != BP_PLUGIN_LOADED) {
    snprintf(p->load_log[p->load_log_count % BP_PLUGIN_LOAD_LOG_LINES], sizeof(p->load_log[0]),
             "%s", message ? message : "");
    p->load_log_count++;
  }
  bp_log(level, "plugin %s: %s", p && p->name[0] ? p->name : "?", message ? message : "");
}

static void host_set_error(void *host_ctx, const char *message) {
  (void)host_ctx;
  bp_plugin_error_set(message);
}

static bp_status_t host_query_option(void *host_ctx, const char *key, const char **out_value) {
  bp_plugin_t *p = host_ctx;
  if (!p || !key || !out_value) return BP_STATUS_INVALID_ARGUMENT;
  *out_value = NULL;
  char var[160];
  const char *value = NULL;
  for (int pass = 0; pass < 2 && !value; ++pass) {
    int n = pass == 0 ? snprintf(var, sizeof(var), "BP_%s_%s", p->name, key)
                      : snprintf(var, sizeof(var), "BP_%s", key);
    if (n < 0 || (size_t)n >= sizeof(var)) return BP_STATUS_INVALID_ARGUMENT;
    for (char *c = var; *c; ++c) *c = (char)toupper((unsigned char)*c);
    value = getenv(var);
  }
  if (!value) return BP_STATUS_OK;
  /* Keep a copy the plugin may hold until shutdown. */
  char **grown = realloc(p->options, sizeof(char *) * (p->option_count + 1));
  if (!grown) return BP_STATUS_OUT_OF_MEMORY;
  p->options = grown;
  char *copy = strdup(value);
  if (!copy) return BP_STATUS_OUT_OF_MEMORY;
  p->options[p->option_count++] = copy;
  *out_value = copy;
  return BP_STATUS_OK;
}

/* ---- activation ---- */

static bp_status_t reject(bp_plugin_t *p, bp_status_t status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bp_status_t reject(bp_plugin_t *p, bp_status_t status, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vsnprintf(p->reason, sizeof(p->reason), fmt, args);
  va_end(args);
  p->state = BP_PLUGIN_REJECTED;
  return bp_fail(status, "plugin %s rejected: %s", p->path && p->path[0] ? p->path : p->name,
                 p->reason);
}

static bool valid_plugin_name(const char *name) {
  if (!name || !islower((unsigned char)name[0])) return false;
  size_t n = 0;
  for (; name[n]; ++n) {
    if (n >= sizeof(((bp_plugin_t *)0)->name) - 1) return false;
    unsigned char c = (unsigned char)name[n];
    if (!(islower(c) || isdigit(c) || c == '_')) return false;
  }
  return true;
}

static const char *required_entry_missing(const bp_plugin_api_t *api) {
  if (!api->init) return "init";
  if (!api->device_count) return "device_count";
  if (!api->device_props) return "device_props";
  if (!api->buffer_alloc) return "buffer_alloc";
  if (!api->buffer_free) return "buffer_free";
  if (!api->copy_h2d) return "copy_h2d";
  if (!api->copy_d2h) return "copy_d2h";
  if (!api->copy_d2d) return "copy_d2d";
  if (!api->fill) return "fill";
  if (!api->synchronize) return "synchronize";
  return NULL;
}

/* Checks one device's properties (ABI-16); NULL when sane. */
static const char *props_problem(const bp_device_props_t *pr) {
  if (memchr(pr->name, '\0', sizeof(pr->name)) == NULL) return "name is not NUL-terminated";
  if (!pr->name[0]) return "name is empty";
  if (memchr(pr->vendor, '\0', sizeof(pr->vendor)) == NULL) return "vendor is not NUL-terminated";
  if (pr->kind < BP_DEVICE_KIND_CPU || pr->kind > BP_DEVICE_KIND_ACCELERATOR)
    return "kind is not cpu, gpu or accelerator";
  if (pr->total_memory == 0) return "total_memory is 0";
  if (pr->free_memory > pr->total_memory) return "free_memory exceeds total_memory";
  if (pr->max_alloc_size == 0) return "max_alloc_size is 0";
  if (pr->dtype_mask == 0) return "dtype_mask is empty";
  uint32_t known = 0;
  for (bp_dtype_t d = BP_DTYPE_BOOL; d < BP_DTYPE_COUNT_V1_0; ++d) known |= BP_DTYPE_BIT(d);
  if (pr->dtype_mask & ~known) return "dtype_mask has bits of no ABI 1.0 dtype";
  if (pr->max_dims == 0) return "max_dims is 0";
  return NULL;
}

bp_status_t bp_plugin_activate(bp_plugin_t *p, bp_plugin_query_fn_t query) {
  p->host_api = (bp_host_api_t){
      .struct_size = sizeof(bp_host_api_t),
      .abi_version = BP_ABI_VERSION,
      .abi_version_min = BP_ABI_MAKE_VERSION(BP_ABI_VERSION_MAJOR, 0),
      .host_ctx = p,
      .register_kernel = host_register_kernel,
      .log = host_log,
      .set_error = host_set_error,
      .query_option = host_query_option,
  };
  const bp_plugin_api_t *api = NULL;
  bp_plugin_error_take();
  bp_status_t status = query(&p->host_api, BP_ABI_VERSION, &api);
  if (status == BP_STATUS_ABI_MISMATCH) {
    const char *msg = bp_plugin_error_take();
    return reject(p, BP_STATUS_ABI_MISMATCH,
                  "it refuses host ABI %u.%u (ABI-3)%s%s", BP_ABI_VERSION_MAJOR,
                  BP_ABI_VERSION_MINOR, *msg ? ": " : "", msg);
  }
  if (status != BP_STATUS_OK) {
    const char *msg = bp_plugin_error_take();
    return reject(p, BP_STATUS_UNAVAILABLE, "bp_plugin_query returned %s%s%s",
                  bp_status_name(status), *msg ? ": " : "", msg);
  }
  if (!api) return reject(p, BP_STATUS_INVALID_ARGUMENT, "bp_plugin_query returned no table (ABI-2)");
  if (api->struct_size < BP_PLUGIN_API_SIZE_V1_0)
    return reject(p, BP_STATUS_INVALID_ARGUMENT,
                  "its bp_plugin_api_t is %u bytes; ABI 1.0 needs at least %zu (ABI-4)",
                  api->struct_size, (size_t)BP_PLUGIN_API_SIZE_V1_0);
  p->abi_version = api->abi_version;
  if (BP_ABI_VERSION_GET_MAJOR(api->abi_version) != BP_ABI_VERSION_MAJOR)
    return reject(p, BP_STATUS_ABI_MISMATCH,
                  "it implements ABI %u.%u but this host speaks %u.0 to %u.%u (majors must "
                  "match) (ABI-3)",
                  BP_ABI_VERSION_GET_MAJOR(api->abi_version),
                  BP_ABI_VERSION_GET_MINOR(api->abi_version), BP_ABI_VERSION_MAJOR,
                  BP_ABI_VERSION_MAJOR, BP_ABI_VERSION_MINOR);
  if (!valid_plugin_name(api->name))
    return reject(p, BP_STATUS_INVALID_ARGUMENT,
                  "its name must match [a-z][a-z0-9_]* and be at most 31 characters (ABI-18)");
  snprintf(p->name, sizeof(p->name), "%s", api->name);
  const char *missing = required_entry_missing(api);
  if (missing)
    return reject(p, BP_STATUS_INVALID_ARGUMENT, "required entry '%s' is NULL (ABI-18)", missing);
  p->version = strdup(api->version ? api->version : "");
  p->vendor = strdup(api->vendor ? api->vendor : "");
  p->kernels = calloc(BP_OP_COUNT, sizeof(bp_kernel_list_t));
  if (!p->version || !p->vendor || !p->kernels)
    return reject(p, BP_STATUS_OUT_OF_MEMORY, "out of host memory");
  p->api = api;
  p->api_size = api->struct_size < sizeof(bp_plugin_api_t) ? api->struct_size
                                                           : (uint32_t)sizeof(bp_plugin_api_t);

  p->registration_open = true;
  p->registration_status = BP_STATUS_OK;
  void *ctx = NULL;
  bp_plugin_error_take();
  status = api->init(&p->host_api, &ctx);
  p->registration_open = false;
  if (status != BP_STATUS_OK) {
    const char *msg = bp_plugin_error_take();
    p->api = NULL;
    if (p->registration_status != BP_STATUS_OK) /* the first rule it broke */
      return reject(p, p->registration_status, "%s", p->registration_error);
    return reject(p, BP_STATUS_UNAVAILABLE, "init failed with %s%s%s", bp_status_name(status),
                  *msg ? ": " : "", msg);
  }
  p->ctx = ctx;
  if (p->registration_status != BP_STATUS_OK) {
    bp_plugin_deactivate(p);
    return reject(p, p->registration_status, "%s", p->registration_error);
  }

  uint32_t count = 0;
  status = api->device_count(ctx, &count);
  if (status != BP_STATUS_OK) {
    const char *msg = bp_plugin_error_take();
    bp_plugin_deactivate(p);
    return reject(p, BP_STATUS_UNAVAILABLE, "device_count failed with %s%s%s",
                  bp_status_name(status), *msg ? ": " : "", msg);
  }
  if (count > 1024) {
    bp_plugin_deactivate(p);
    return reject(p, BP_STATUS_INVALID_ARGUMENT, "device_count says %u devices (limit 1024)", count);
  }
  p->devices = calloc(count ? count : 1, sizeof(bp_device_t));
  if (!p->devices) {
    bp_plugin_deactivate(p);
    return reject(p, BP_STATUS_OUT_OF_MEMORY, "out of host memory");
  }
  uint32_t stored_dtypes = 0;
  for (uint32_t i = 0; i < count; ++i) {
    bp_device_t *d = &p->devices[i];
    d->plugin = p;
    d->index = i;
    atomic_init(&d->live_storages, 0);
    snprintf(d->name, sizeof(d->name), "%s:%u", p->name, i);
    memset(&d->props, 0, sizeof(d->props));
    d->props.struct_size = sizeof(d->props);
    status = api->device_props(ctx, i, &d->props);
    if (status != BP_STATUS_OK) {
      const char *msg = bp_plugin_error_take();
      bp_plugin_deactivate(p);
      return reject(p, BP_STATUS_UNAVAILABLE, "device_props(%u) failed with %s%s%s", i,
                    bp_status_name(status), *msg ? ": " : "", msg);
    }
    d->props.struct_size = sizeof(d->props);
    const char *problem = props_problem(&d->props);
    if (problem) {
      bp_plugin_deactivate(p);
      return reject(p, BP_STATUS_INVALID_ARGUMENT, "device %u properties: %s (ABI-16)", i,
                    problem);
    }
    stored_dtypes |= d->props.dtype_mask;
  }
  /* A kernel for a dtype that none of its devices can store is a false
   * claim (ABI-15). */
  for (uint32_t op = 0; op < BP_OP_COUNT && count > 0; ++op) {
    const bp_kernel_list_t *list = &p->kernels[op];
    for (uint32_t k = 0; k < list->count; ++k) {
      for (uint32_t s = 0; s < list->entries[k].num_dtypes; ++s) {
        bp_dtype_t dt = (bp_dtype_t)((list->entries[k].key >> (8 * s)) & 0xff);
        if (!(stored_dtypes & BP_DTYPE_BIT(dt))) {
          bp_plugin_deactivate(p);
          return reject(p, BP_STATUS_INVALID_ARGUMENT,
                        "it registers a %s kernel for %s, which none of its devices can store "
                        "(dtype_mask) (ABI-15)", bp_op_def(op)->name, bp_dtype_name(dt));
        }
      }
    }
  }
  for (uint32_t i = 0; i < count; ++i) p->devices[i].alive = true;
  p->device_count = count;
  p->state = BP_PLUGIN_LOADED;
  if (count == 0) {
    /* Loaded, but nothing will appear: keep the plugin's own words. */
    size_t used = (size_t)snprintf(p->reason, sizeof(p->reason), "it reports no devices");
    uint32_t first = p->load_log_count > BP_PLUGIN_LOAD_LOG_LINES
                         ? p->load_log_count - BP_PLUGIN_LOAD_LOG_LINES : 0;
    for (uint32_t i = first; i < p->load_log_count && used < sizeof(p->reason); ++i)
      used += (size_t)snprintf(p->reason + used, sizeof(p->reason) - used, "%s\"%s\"",
                               i == first ? "; it logged: " : ", ",
                               p->load_log[i % BP_PLUGIN_LOAD_LOG_LINES]);
    if (p->load_log_count == 0 && used < sizeof(p->reason))
      snprintf(p->reason + used, sizeof(p->reason) - used,
               " and logged no reason (a plugin should host->log why)");
    bp_log(BP_LOG_INFO, "plugin %s loaded with no devices: %s", p->name, p->reason);
  }
  return BP_STATUS_OK;
}

void bp_plugin_deactivate(bp_plugin_t *p) {
  for (uint32_t i = 0; i < p->device_count; ++i) p->devices[i].alive = false;
  if (p->api && p->api_size >= offsetof(bp_plugin_api_t, shutdown) + sizeof(void *) &&
      p->api->shutdown)
    p->api->shutdown(p->ctx);
  p->api = NULL;
  p->ctx = NULL;
}

void bp_plugin_free(bp_plugin_t *p) {
  if (!p) return;
  if (p->kernels) {
    for (uint32_t i = 0; i < BP_OP_COUNT; ++i) free(p->kernels[i].entries);
    free(p->kernels);
  }
  for (uint32_t i = 0; i < p->option_count; ++i) free(p->options[i]);
  free(p->options);
  free(p->devices);
  free(p->path);
  free(p->version);
  free(p->vendor);
  free(p);
}
