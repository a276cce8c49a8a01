/*
 * conf_host.h - a minimal ABI host of the suite's own, so a plugin can be
 * driven through bp_abi.h directly (no libbackplane in between): it records
 * every registration and every set_error message, and validates what it
 * records against the rules of docs/abi.md.
 */
#ifndef BACKPLANE_CONFORMANCE_CONF_HOST_H_
#define BACKPLANE_CONFORMANCE_CONF_HOST_H_

#include "conf_internal.h"

/* True when the plugin table reported `member` within its struct_size. */
#define CONF_API_HAS(api, member)                                        \
  (offsetof(bp_plugin_api_t, member) + sizeof(((bp_plugin_api_t *)0)->member) <= \
   (api)->struct_size)

/* A host table of a newer minor: v1.0 members, then members a v1.0 plugin
 * does not know (ABI-3, ABI-4). */
typedef struct conf_host_next {
  bp_host_api_t v1;
  void *future[4];
} conf_host_next_t;

typedef struct conf_host {
  conf_host_next_t table;     /* what the plugin sees (table.v1) */
  bool in_init;               /* registration is open (ABI-12) */
  uint32_t num_kernels, cap_kernels;
  conf_kernel_t *kernels;
  uint32_t rejected;          /* registrations that broke ABI-12 */
  char first_violation[512];
} conf_host_t;

/* Sets up the table with abi_version = version (and struct_size of the
 * newer table when the minor is above ours). */
void conf_host_init(conf_host_t *h, uint32_t version);
void conf_host_deinit(conf_host_t *h);

/* The message the plugin attached with set_error on this thread since the
 * last conf_host_clear_error; "" if none. */
const char *conf_host_error(void);
void conf_host_clear_error(void);

/* A plugin driven directly: loaded, queried and (optionally) initialized. */
typedef struct conf_session {
  conf_host_t host;
  void *dl;
  bp_plugin_query_fn_t query;
  const bp_plugin_api_t *api;
  void *ctx;
  bool inited;
} conf_session_t;

/* Finds the entry point (dlopen + dlsym, or the built-in reference's). */
int conf_session_load(conf_session_t *s, const conf_target_t *t, char *err, size_t n);
/* load + query at host 1.0 + table checks needed to call it safely + init.
 * Returns 0, or nonzero with a reason in err. */
int conf_session_open(conf_session_t *s, const conf_target_t *t, char *err, size_t n);
/* True when the table is big enough and every required entry is set. */
bool conf_api_usable(const bp_plugin_api_t *api, char *err, size_t n);
void conf_session_close(conf_session_t *s);

/* The direct group's checks, by family (conf_abi_checks.c,
 * conf_memory_checks.c); conf_direct_check picks one. */
void conf_abi_check(conf_worker_ctx_t *w, const conf_case_t *c, conf_result_t *r);
void conf_memory_check(conf_worker_ctx_t *w, const conf_case_t *c, conf_result_t *r);

#endif /* BACKPLANE_CONFORMANCE_CONF_HOST_H_ */
