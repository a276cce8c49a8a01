/* conf_host.c - the suite's own ABI host (see conf_host.h). */
#define _GNU_SOURCE
#include "conf_host.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "backplane/bp_reference.h"
#include "conf_ops.h"

static _Thread_local char host_error[512];

const char *conf_host_error(void) { return host_error; }
void conf_host_clear_error(void) { host_error[0] = '\0'; }

static void violation(conf_host_t *h, const char *fmt, const char *a, const char *b) {
  ++h->rejected;
  if (!h->first_violation[0]) snprintf(h->first_violation, sizeof(h->first_violation), fmt, a, b);
}

static bp_status_t host_register(void *host_ctx, const bp_kernel_reg_t *reg) {
  conf_host_t *h = host_ctx;
  if (!reg) {
    violation(h, "register_kernel called with NULL%s%s", "", "");
    return BP_STATUS_INVALID_ARGUMENT;
  }
  const char *op = reg->op_name ? reg->op_name : "(null)";
  if (!h->in_init) {
    violation(h, "register_kernel for %s called outside init%s (ABI-12)", op, "");
    return BP_STATUS_FAILED_PRECONDITION;
  }
  if (reg->struct_size < BP_KERNEL_REG_SIZE_V1_0) {
    violation(h, "bp_kernel_reg_t for %s has a struct_size below the v1.0 size%s (ABI-4)", op, "");
    return BP_STATUS_INVALID_ARGUMENT;
  }
  if (!reg->op_name || !reg->fn || (reg->num_dtypes && !reg->dtypes)) {
    violation(h, "kernel for %s has a NULL op_name, fn or dtypes%s (ABI-12)", op, "");
    return BP_STATUS_INVALID_ARGUMENT;
  }
  uint32_t op_id;
  if (bp_op_find(reg->op_name, &op_id) != BP_STATUS_OK) {
    violation(h, "kernel for unknown op '%s'%s (ABI-12)", op, "");
    return BP_STATUS_INVALID_ARGUMENT;
  }
  const conf_op_info_t *info = conf_op_lookup(reg->op_name);
  if (!info) {
    violation(h, "kernel for %s, a view or composite op that takes no kernels%s (ABI-12)", op, "");
    return BP_STATUS_INVALID_ARGUMENT;
  }
  {
    if (reg->num_dtypes != info->num_inputs + info->num_outputs) {
      violation(h, "kernel for %s has a signature of the wrong length%s (ABI-12)", op, "");
      return BP_STATUS_INVALID_ARGUMENT;
    }
    if (info->sig_ok && !info->sig_ok(reg->dtypes)) {
      violation(h, "kernel for %s has a signature the op cannot take%s (ABI-12)", op, "");
      return BP_STATUS_INVALID_ARGUMENT;
    }
  }
  if (reg->num_dtypes > CONF_MAX_SIG) {
    violation(h, "kernel for %s has more than 8 dtypes%s", op, "");
    return BP_STATUS_INVALID_ARGUMENT;
  }
  for (uint32_t i = 0; i < h->num_kernels; ++i) {
    const conf_kernel_t *k = &h->kernels[i];
    if (!strcmp(k->op, reg->op_name) && k->num_dtypes == reg->num_dtypes &&
        !memcmp(k->dtypes, reg->dtypes, sizeof(bp_dtype_t) * reg->num_dtypes)) {
      violation(h, "duplicate kernel for %s%s (ABI-12)", op, "");
      return BP_STATUS_INVALID_ARGUMENT;
    }
  }
  if (h->num_kernels == h->cap_kernels) {
    uint32_t cap = h->cap_kernels ? h->cap_kernels * 2 : 64;
    conf_kernel_t *grown = realloc(h->kernels, sizeof(*grown) * cap);
    if (!grown) return BP_STATUS_OUT_OF_MEMORY;
    h->kernels = grown;
    h->cap_kernels = cap;
  }
  conf_kernel_t *k = &h->kernels[h->num_kernels++];
  memset(k, 0, sizeof(*k));
  snprintf(k->op, sizeof(k->op), "%s", reg->op_name);
  k->num_dtypes = reg->num_dtypes;
  memcpy(k->dtypes, reg->dtypes, sizeof(bp_dtype_t) * reg->num_dtypes);
  k->has_supports = reg->supports != NULL;
  return BP_STATUS_OK;
}

static void host_log(void *host_ctx, bp_log_level_t level, const char *message) {
  (void)host_ctx;
  if (level >= BP_LOG_WARN && message) fprintf(stderr, "plugin log: %s\n", message);
}

static void host_set_error(void *host_ctx, const char *message) {
  (void)host_ctx;
  snprintf(host_error, sizeof(host_error), "%s", message ? message : "");
}

static bp_status_t host_query_option(void *host_ctx, const char *key, const char **out_value) {
  (void)host_ctx;
  (void)key;
  if (!out_value) return BP_STATUS_INVALID_ARGUMENT;
  *out_value = NULL;
  return BP_STATUS_OK;
}

void conf_host_init(conf_host_t *h, uint32_t version) {
  memset(h, 0, sizeof(*h));
  bp_host_api_t *t = &h->table.v1;
  bool newer = BP_ABI_VERSION_GET_MAJOR(version) == BP_ABI_VERSION_MAJOR &&
               BP_ABI_VERSION_GET_MINOR(version) > BP_ABI_VERSION_MINOR;
  t->struct_size = newer ? (uint32_t)sizeof(conf_host_next_t) : (uint32_t)sizeof(bp_host_api_t);
  t->abi_version = version;
  t->abi_version_min = BP_ABI_MAKE_VERSION(BP_ABI_VERSION_GET_MAJOR(version), 0);
  t->host_ctx = h;
  t->register_kernel = host_register;
  t->log = host_log;
  t->set_error = host_set_error;
  t->query_option = host_query_option;
}

void conf_host_deinit(conf_host_t *h) {
  free(h->kernels);
  h->kernels = NULL;
  h->num_kernels = h->cap_kernels = 0;
}

int conf_session_load(conf_session_t *s, const conf_target_t *t, char *err, size_t n) {
  memset(s, 0, sizeof(*s));
  if (t->builtin) {
    s->query = bp_reference_plugin_query;
    return 0;
  }
  dlerror();
  s->dl = dlopen(t->path, RTLD_NOW | RTLD_LOCAL);
  if (!s->dl) {
    const char *why = dlerror();
    snprintf(err, n, "dlopen(%s) failed: %s", t->path, why ? why : "?");
    return -1;
  }
  void *sym = dlsym(s->dl, BP_PLUGIN_ENTRY_SYMBOL);
  if (!sym) {
    snprintf(err, n, "entry symbol %s not found (ABI-1)", BP_PLUGIN_ENTRY_SYMBOL);
    return -1;
  }
  memcpy(&s->query, &sym, sizeof(s->query));
  return 0;
}

bool conf_api_usable(const bp_plugin_api_t *api, char *err, size_t n) {
  if (api->struct_size < BP_PLUGIN_API_SIZE_V1_0) {
    snprintf(err, n, "bp_plugin_api_t struct_size is %u; ABI 1.0 needs at least %zu (ABI-4)",
             api->struct_size, (size_t)BP_PLUGIN_API_SIZE_V1_0);
    return false;
  }
  if (BP_ABI_VERSION_GET_MAJOR(api->abi_version) != BP_ABI_VERSION_MAJOR) {
    snprintf(err, n, "the table says ABI %u.%u; this host speaks %u.x (ABI-3)",
             BP_ABI_VERSION_GET_MAJOR(api->abi_version), BP_ABI_VERSION_GET_MINOR(api->abi_version),
             BP_ABI_VERSION_MAJOR);
    return false;
  }
#define REQUIRE(m)                                                            \
  if (!api->m) {                                                              \
    snprintf(err, n, "required entry '%s' is NULL (ABI-18)", #m);             \
    return false;                                                             \
  }
  REQUIRE(init) REQUIRE(device_count) REQUIRE(device_props) REQUIRE(buffer_alloc)
  REQUIRE(buffer_free) REQUIRE(copy_h2d) REQUIRE(copy_d2h) REQUIRE(copy_d2d) REQUIRE(fill)
  REQUIRE(synchronize)
#undef REQUIRE
  return true;
}

int conf_session_open(conf_session_t *s, const conf_target_t *t, char *err, size_t n) {
  if (conf_session_load(s, t, err, n)) return -1;
  conf_host_init(&s->host, BP_ABI_VERSION);
  conf_host_clear_error();
  bp_status_t st = s->query(&s->host.table.v1, BP_ABI_VERSION, &s->api);
  if (st != BP_STATUS_OK || !s->api) {
    snprintf(err, n, "bp_plugin_query(host 1.0) returned %s%s%s (ABI-2)", bp_status_name(st),
             *conf_host_error() ? ": " : "", conf_host_error());
    s->api = NULL;
    return -1;
  }
  if (!conf_api_usable(s->api, err, n)) return -1;
  s->host.in_init = true;
  conf_host_clear_error();
  st = s->api->init(&s->host.table.v1, &s->ctx);
  s->host.in_init = false;
  if (st != BP_STATUS_OK) {
    snprintf(err, n, "init returned %s%s%s", bp_status_name(st), *conf_host_error() ? ": " : "",
             conf_host_error());
    return -1;
  }
  s->inited = true;
  return 0;
}

void conf_session_close(conf_session_t *s) {
  if (s->inited && s->api && CONF_API_HAS(s->api, shutdown) && s->api->shutdown)
    s->api->shutdown(s->ctx);
  s->inited = false;
  conf_host_deinit(&s->host);
  /* The library stays loaded: the worker process exits soon anyway, and
   * unloading a plugin that left threads behind would crash the suite. */
}
