/* bp_runtime.c - the process-wide runtime: start-up, the plugin list,
 * device lookup, statistics and shutdown. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backplane/bp_reference.h"
#include "bp_op_catalog.h"

static bp_runtime_t runtime;
static pthread_once_t runtime_once = PTHREAD_ONCE_INIT;
static bp_status_t runtime_status = BP_STATUS_INTERNAL;
static char runtime_error[1024];
static atomic_bool runtime_down;

static int read_fallback_policy(void) {
  const char *env = getenv("BP_FALLBACK");
  if (!env || !*env || !strcasecmp(env, "warn")) return BP_FALLBACK_WARN;
  if (!strcasecmp(env, "allow")) return BP_FALLBACK_ALLOW;
  if (!strcasecmp(env, "error")) return BP_FALLBACK_ERROR;
  bp_log(BP_LOG_WARN, "BP_FALLBACK=%s is not allow, warn or error; using warn", env);
  return BP_FALLBACK_WARN;
}

bp_status_t bp_runtime_add_plugin_locked(bp_runtime_t *rt, bp_plugin_t *plugin) {
  if (rt->plugin_count == rt->plugin_capacity) {
    size_t cap = rt->plugin_capacity ? rt->plugin_capacity * 2 : 8;
    bp_plugin_t **grown = realloc(rt->plugins, sizeof(*grown) * cap);
    if (!grown) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "out of host memory for the plugin list");
    rt->plugins = grown;
    rt->plugin_capacity = cap;
  }
  rt->plugins[rt->plugin_count++] = plugin;
  return BP_STATUS_OK;
}

static void runtime_start(void) {
  bp_runtime_t *rt = &runtime;
  pthread_mutex_init(&rt->lock, NULL);
  rt->fallback_policy = read_fallback_policy();
  rt->fallback_warned = calloc(BP_OP_COUNT, sizeof(atomic_uchar));
  bp_plugin_t *ref = calloc(1, sizeof(*ref));
  if (ref) ref->path = strdup("");
  if (!rt->fallback_warned || !ref || !ref->path) {
    bp_plugin_free(ref);
    runtime_status = BP_STATUS_OUT_OF_MEMORY;
    snprintf(runtime_error, sizeof(runtime_error), "bp_init: out of host memory");
    return;
  }
  ref->builtin = true;
  bp_status_t status = bp_plugin_activate(ref, bp_reference_plugin_query);
  if (status == BP_STATUS_OK && ref->device_count < 1)
    status = bp_fail(BP_STATUS_INTERNAL, "the reference plugin has no device");
  if (status != BP_STATUS_OK) {
    runtime_status = status;
    snprintf(runtime_error, sizeof(runtime_error), "bp_init: reference backend failed: %s",
             bp_last_error());
    bp_plugin_free(ref);
    return;
  }
  rt->ref = ref;
  rt->ref_device = &ref->devices[0];
  if (bp_runtime_add_plugin_locked(rt, ref) != BP_STATUS_OK) {
    runtime_status = BP_STATUS_OUT_OF_MEMORY;
    snprintf(runtime_error, sizeof(runtime_error), "bp_init: out of host memory");
    bp_plugin_deactivate(ref);
    bp_plugin_free(ref);
    return;
  }
  bp_loader_scan(rt);
  bp_clear_error();
  runtime_status = BP_STATUS_OK;
}

bp_runtime_t *bp_runtime_get(void) {
  pthread_once(&runtime_once, runtime_start);
  if (runtime_status != BP_STATUS_OK) {
    bp_fail(runtime_status, "%s", runtime_error);
    return NULL;
  }
  if (atomic_load_explicit(&runtime_down, memory_order_relaxed)) {
    bp_fail(BP_STATUS_FAILED_PRECONDITION, "the Backplane runtime was shut down");
    return NULL;
  }
  return &runtime;
}

bp_status_t bp_init(void) {
  if (bp_runtime_get()) return BP_STATUS_OK;
  return runtime_status != BP_STATUS_OK ? runtime_status : BP_STATUS_FAILED_PRECONDITION;
}

void bp_shutdown(void) {
  bp_runtime_t *rt = bp_runtime_get();
  if (!rt) return;
  atomic_store(&runtime_down, true);
  for (size_t i = rt->plugin_count; i-- > 0;) {
    bp_plugin_t *p = rt->plugins[i];
    if (p->state == BP_PLUGIN_LOADED) bp_plugin_deactivate(p);
    if (p->dl_handle) dlclose(p->dl_handle);
    bp_plugin_free(p);
  }
  free(rt->plugins);
  free(rt->fallback_warned);
  rt->plugins = NULL;
  rt->plugin_count = 0;
}

/* ---- devices ---- */

size_t bp_device_count(void) {
  bp_runtime_t *rt = bp_runtime_get();
  if (!rt) return 0;
  size_t n = 0;
  pthread_mutex_lock(&rt->lock);
  for (size_t i = 0; i < rt->plugin_count; ++i)
    if (rt->plugins[i]->state == BP_PLUGIN_LOADED) n += rt->plugins[i]->device_count;
  pthread_mutex_unlock(&rt->lock);
  return n;
}

bp_device_t *bp_device_at(size_t index) {
  bp_runtime_t *rt = bp_runtime_get();
  if (!rt) return NULL;
  bp_device_t *found = NULL;
  pthread_mutex_lock(&rt->lock);
  for (size_t i = 0; i < rt->plugin_count && !found; ++i) {
    bp_plugin_t *p = rt->plugins[i];
    if (p->state != BP_PLUGIN_LOADED) continue;
    if (index < p->device_count) found = &p->devices[index];
    else index -= p->device_count;
  }
  pthread_mutex_unlock(&rt->lock);
  return found;
}

bp_status_t bp_device_get(const char *name, bp_device_t **out_device) {
  static const char fn[] = "bp_device_get";
  if (!name) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: name is NULL", fn);
  if (!out_device) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: out_device is NULL", fn);
  bp_runtime_t *rt = bp_runtime_get();
  if (!rt) return BP_STATUS_FAILED_PRECONDITION;
  const char *colon = strchr(name, ':');
  size_t name_len = colon ? (size_t)(colon - name) : strlen(name);
  unsigned long index = 0;
  if (colon) {
    char *end = NULL;
    if (!colon[1] || colon[1] == '-' || colon[1] == '+')
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "%s: '%s' is not a device name (expected <plugin>:<index>, e.g. ref:0)", fn,
                     name);
    index = strtoul(colon + 1, &end, 10);
    if (*end)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "%s: '%s' is not a device name (expected <plugin>:<index>, e.g. ref:0)", fn,
                     name);
  }
  bp_device_t *found = NULL;
  bool plugin_found = false;
  uint32_t plugin_devices = 0;
  pthread_mutex_lock(&rt->lock);
  for (size_t i = 0; i < rt->plugin_count; ++i) {
    bp_plugin_t *p = rt->plugins[i];
    if (p->state != BP_PLUGIN_LOADED || strlen(p->name) != name_len ||
        strncmp(p->name, name, name_len))
      continue;
    plugin_found = true;
    plugin_devices = p->device_count;
    if (index < p->device_count) found = &p->devices[index];
  }
  pthread_mutex_unlock(&rt->lock);
  if (found) {
    *out_device = found;
    return BP_STATUS_OK;
  }
  if (plugin_found)
    return bp_fail(BP_STATUS_NOT_FOUND, "%s: plugin '%.*s' has %u devices; there is no %s", fn,
                   (int)name_len, name, plugin_devices, name);
  return bp_fail(BP_STATUS_NOT_FOUND,
                 "%s: no loaded plugin is named '%.*s' (`bp devices` lists the plugins found, "
                 "loaded or rejected with the reason)", fn, (int)name_len, name);
}

static int kind_rank(const bp_device_t *d) {
  if (d->plugin->builtin) return 0;
  switch (d->props.kind) {
    case BP_DEVICE_KIND_GPU: return 3;
    case BP_DEVICE_KIND_ACCELERATOR: return 2;
    default: return 1;
  }
}

bp_status_t bp_device_get_default(bp_device_t **out_device) {
  if (!out_device)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_device_get_default: out_device is NULL");
  bp_runtime_t *rt = bp_runtime_get();
  if (!rt) return BP_STATUS_FAILED_PRECONDITION;
  const char *env = getenv("BP_DEVICE");
  if (env && *env) {
    bp_status_t status = bp_device_get(env, out_device);
    if (status) return bp_fail_context(status, "BP_DEVICE=%s", env);
    return BP_STATUS_OK;
  }
  bp_device_t *best = rt->ref_device;
  size_t n = bp_device_count();
  for (size_t i = 0; i < n; ++i) {
    bp_device_t *d = bp_device_at(i);
    if (d && kind_rank(d) > kind_rank(best)) best = d;
  }
  *out_device = best;
  return BP_STATUS_OK;
}

const char *bp_device_name(const bp_device_t *device) { return device ? device->name : ""; }
bp_plugin_t *bp_device_plugin(const bp_device_t *device) { return device ? device->plugin : NULL; }

bp_status_t bp_device_query_props(const bp_device_t *device, bp_device_props_t *props) {
  if (!device) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_device_query_props: device is NULL");
  if (!props) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_device_query_props: props is NULL");
  if (props->struct_size < BP_DEVICE_PROPS_SIZE_V1_0)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_device_query_props: props->struct_size is %u (expected >= %zu; set it to "
                   "sizeof(bp_device_props_t))", props->struct_size, BP_DEVICE_PROPS_SIZE_V1_0);
  uint32_t size = props->struct_size < sizeof(*props) ? props->struct_size : sizeof(*props);
  memcpy((char *)props + sizeof(uint32_t), (const char *)&device->props + sizeof(uint32_t),
         size - sizeof(uint32_t));
  return BP_STATUS_OK;
}

bp_status_t bp_device_synchronize(bp_device_t *device) {
  if (!device) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_device_synchronize: device is NULL");
  if (!device->alive)
    return bp_fail(BP_STATUS_FAILED_PRECONDITION,
                   "bp_device_synchronize: device %s belongs to an unloaded plugin", device->name);
  bp_plugin_t *p = device->plugin;
  bp_status_t status = p->api->synchronize(p->ctx, device->index);
  if (status != BP_STATUS_OK) {
    const char *msg = bp_plugin_error_take();
    return bp_fail(status, "bp_device_synchronize: %s reported %s%s%s", device->name,
                   bp_status_name(status), *msg ? ": " : "", msg);
  }
  return BP_STATUS_OK;
}

/* ---- plugins ---- */

size_t bp_plugin_count(void) {
  bp_runtime_t *rt = bp_runtime_get();
  if (!rt) return 0;
  pthread_mutex_lock(&rt->lock);
  size_t n = rt->plugin_count;
  pthread_mutex_unlock(&rt->lock);
  return n;
}

bp_plugin_t *bp_plugin_at(size_t index) {
  bp_runtime_t *rt = bp_runtime_get();
  if (!rt) return NULL;
  pthread_mutex_lock(&rt->lock);
  bp_plugin_t *p = index < rt->plugin_count ? rt->plugins[index] : NULL;
  pthread_mutex_unlock(&rt->lock);
  return p;
}

bp_status_t bp_plugin_query_info(const bp_plugin_t *plugin, bp_plugin_info_t *out_info) {
  if (!plugin) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_plugin_query_info: plugin is NULL");
  if (!out_info || out_info->struct_size < sizeof(bp_plugin_info_t))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_plugin_query_info: out_info is NULL or its struct_size is not "
                   "sizeof(bp_plugin_info_t)");
  *out_info = (bp_plugin_info_t){
      .struct_size = sizeof(bp_plugin_info_t),
      .state = plugin->state,
      .name = plugin->name,
      .path = plugin->path ? plugin->path : "",
      .version = plugin->version ? plugin->version : "",
      .vendor = plugin->vendor ? plugin->vendor : "",
      .reason = plugin->reason,
      .abi_version = plugin->abi_version,
      .device_count = plugin->state == BP_PLUGIN_LOADED ? plugin->device_count : 0,
      .builtin = plugin->builtin,
  };
  return BP_STATUS_OK;
}

bp_status_t bp_plugin_load(const char *path, bp_plugin_t **out_plugin) {
  if (!path) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_plugin_load: path is NULL");
  bp_runtime_t *rt = bp_runtime_get();
  if (!rt) return BP_STATUS_FAILED_PRECONDITION;
  return bp_loader_load_file(rt, path, out_plugin);
}

bp_status_t bp_plugin_unload(bp_plugin_t *plugin) {
  static const char fn[] = "bp_plugin_unload";
  if (!plugin) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: plugin is NULL", fn);
  bp_runtime_t *rt = bp_runtime_get();
  if (!rt) return BP_STATUS_FAILED_PRECONDITION;
  if (plugin->builtin)
    return bp_fail(BP_STATUS_FAILED_PRECONDITION,
                   "%s: the reference plugin is built in and cannot be unloaded", fn);
  pthread_mutex_lock(&rt->lock);
  bp_status_t status = BP_STATUS_OK;
  if (plugin->state != BP_PLUGIN_LOADED) {
    status = bp_fail(BP_STATUS_FAILED_PRECONDITION, "%s: plugin %s is not loaded", fn,
                     plugin->name[0] ? plugin->name : plugin->path);
  } else {
    for (uint32_t i = 0; i < plugin->device_count; ++i) {
      long live = atomic_load(&plugin->devices[i].live_storages);
      if (live > 0) {
        status = bp_fail(BP_STATUS_FAILED_PRECONDITION,
                         "%s: %ld tensor storages are still alive on %s; release them first", fn,
                         live, plugin->devices[i].name);
        break;
      }
    }
  }
  if (status == BP_STATUS_OK) {
    for (uint32_t i = 0; i < plugin->device_count; ++i)
      plugin->api->synchronize(plugin->ctx, i);
    bp_plugin_deactivate(plugin);
    plugin->state = BP_PLUGIN_UNLOADED;
    snprintf(plugin->reason, sizeof(plugin->reason), "unloaded by bp_plugin_unload");
    /* The library stays mapped until bp_shutdown: a caller may still hold
     * function pointers or strings of it (devices' names, for one). */
  }
  pthread_mutex_unlock(&rt->lock);
  return status;
}

uint32_t bp_plugin_kernel_count(const bp_plugin_t *plugin, uint32_t op_id) {
  if (!plugin || plugin->state != BP_PLUGIN_LOADED || op_id >= BP_OP_COUNT) return 0;
  return plugin->kernels[op_id].count;
}

bp_status_t bp_plugin_kernel_signature(const bp_plugin_t *plugin, uint32_t op_id, uint32_t k,
                                       bp_dtype_t *out_dtypes, uint32_t capacity,
                                       uint32_t *out_count) {
  static const char fn[] = "bp_plugin_kernel_signature";
  if (!plugin) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: plugin is NULL", fn);
  if (!out_dtypes || !out_count)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: out_dtypes or out_count is NULL", fn);
  if (k >= bp_plugin_kernel_count(plugin, op_id))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: no kernel %u for op %u in plugin %s", fn, k,
                   op_id, plugin->name);
  const bp_kernel_entry_t *e = &plugin->kernels[op_id].entries[k];
  if (capacity < e->num_dtypes)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: capacity %u is below the %u dtypes", fn,
                   capacity, e->num_dtypes);
  for (uint32_t i = 0; i < e->num_dtypes; ++i)
    out_dtypes[i] = (bp_dtype_t)((e->key >> (8 * i)) & 0xff);
  *out_count = e->num_dtypes;
  return BP_STATUS_OK;
}

/* ---- statistics ---- */

void bp_stats_get(bp_stats_t *out_stats) {
  if (!out_stats) return;
  bp_runtime_t *rt = bp_runtime_get();
  if (!rt) {
    memset(out_stats, 0, sizeof(*out_stats));
    return;
  }
  out_stats->fallbacks = atomic_load(&rt->fallbacks);
  out_stats->cross_device_copies = atomic_load(&rt->cross_device_copies);
}

void bp_stats_reset(void) {
  bp_runtime_t *rt = bp_runtime_get();
  if (!rt) return;
  atomic_store(&rt->fallbacks, 0);
  atomic_store(&rt->cross_device_copies, 0);
}
