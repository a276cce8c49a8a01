/* conf_abi_checks.c - the ABI checks: entry point, version negotiation,
 * the plugin table, registrations, device properties. Each drives the
 * plugin directly through conf_host.c and cites its rule in docs/abi.md
 * (the case's `rule`; messages repeat it). */
#include <ctype.h>
#include <string.h>

#include "conf_host.h"

static bool open_or_fail(conf_session_t *s, const conf_target_t *t, conf_result_t *r) {
  char err[512];
  if (conf_session_open(s, t, err, sizeof(err))) {
    conf_fail(r, "cannot set the plugin up: %s", err);
    return false;
  }
  return true;
}

/* Loads and queries at host 1.0 without init. */
static const bp_plugin_api_t *query_1_0(conf_session_t *s, const conf_target_t *t,
                                        conf_result_t *r) {
  char err[512];
  if (conf_session_load(s, t, err, sizeof(err))) {
    conf_fail(r, "%s", err);
    return NULL;
  }
  conf_host_init(&s->host, BP_ABI_VERSION);
  conf_host_clear_error();
  const bp_plugin_api_t *api = NULL;
  bp_status_t st = s->query(&s->host.table.v1, BP_ABI_VERSION, &api);
  if (st != BP_STATUS_OK || !api) {
    conf_fail(r, "bp_plugin_query(host 1.0) returned %s%s (ABI-2)", bp_status_name(st),
              st == BP_STATUS_OK ? " but no table" : "");
    return NULL;
  }
  s->api = api;
  return api;
}

static void check_query_version(conf_session_t *s, const conf_target_t *t, uint32_t version,
                                conf_result_t *r) {
  char err[512];
  if (conf_session_load(s, t, err, sizeof(err))) {
    conf_fail(r, "%s", err);
    return;
  }
  unsigned major = BP_ABI_VERSION_GET_MAJOR(version), minor = BP_ABI_VERSION_GET_MINOR(version);
  conf_host_init(&s->host, version);
  const bp_plugin_api_t *api = NULL;
  conf_host_clear_error();
  bp_status_t st = s->query(&s->host.table.v1, version, &api);
  if (major == BP_ABI_VERSION_MAJOR) {
    if (st != BP_STATUS_OK || !api) {
      conf_fail(r, "host ABI %u.%u was refused with %s; a plugin accepts any minor of its major "
                   "(ABI-3)", major, minor, bp_status_name(st));
      return;
    }
    if (minor != BP_ABI_VERSION_MINOR) {
      /* A newer host's larger table must work through init too. */
      if (!conf_api_usable(api, err, sizeof(err))) {
        conf_fail(r, "%s", err);
        return;
      }
      s->api = api;
      s->host.in_init = true;
      st = api->init(&s->host.table.v1, &s->ctx);
      s->host.in_init = false;
      if (st != BP_STATUS_OK) {
        conf_fail(r, "init with a host table of ABI %u.%u (%u bytes) failed with %s: %s (ABI-3)",
                  major, minor, s->host.table.v1.struct_size, bp_status_name(st),
                  conf_host_error());
        return;
      }
      s->inited = true;
      conf_msg(r, "accepted host %u.%u with a %u-byte host table", major, minor,
               s->host.table.v1.struct_size);
    }
    r->outcome = CONF_PASS;
    return;
  }
  if (st == BP_STATUS_ABI_MISMATCH) {
    r->outcome = CONF_PASS;
  } else if (st == BP_STATUS_OK) {
    conf_fail(r, "host ABI %u.%u was accepted (returned OK); expected ABI_MISMATCH (ABI-3)", major,
              minor);
  } else {
    conf_fail(r, "host ABI %u.%u returned %s; expected ABI_MISMATCH (ABI-3)", major, minor,
              bp_status_name(st));
  }
}

static bool valid_name(const char *name) {
  if (!name || !islower((unsigned char)name[0])) return false;
  size_t n = 0;
  for (; name[n]; ++n) {
    unsigned char c = (unsigned char)name[n];
    if (n >= 31 || !(islower(c) || isdigit(c) || c == '_')) return false;
  }
  return true;
}

static bool fresh_props(conf_session_t *s, uint32_t d, bp_device_props_t *p, conf_result_t *r) {
  memset(p, 0, sizeof(*p));
  p->struct_size = sizeof(*p);
  conf_host_clear_error();
  bp_status_t st = s->api->device_props(s->ctx, d, p);
  if (st != BP_STATUS_OK) {
    conf_fail(r, "device_props(%u) returned %s: %s (ABI-16)", d, bp_status_name(st),
              conf_host_error());
    return false;
  }
  return true;
}

static void props_sanity(const bp_device_props_t *p, conf_result_t *r) {
  if (!memchr(p->name, '\0', sizeof(p->name))) conf_fail(r, "name is not NUL-terminated (ABI-16)");
  else if (!p->name[0]) conf_fail(r, "name is empty (ABI-16)");
  if (!memchr(p->vendor, '\0', sizeof(p->vendor)))
    conf_fail(r, "vendor is not NUL-terminated (ABI-16)");
  if (p->kind < BP_DEVICE_KIND_CPU || p->kind > BP_DEVICE_KIND_ACCELERATOR)
    conf_fail(r, "kind %u is not cpu, gpu or accelerator (ABI-16)", p->kind);
  if (p->total_memory == 0) conf_fail(r, "total_memory is 0 (ABI-16)");
  if (p->free_memory > p->total_memory)
    conf_fail(r, "free_memory %llu exceeds total_memory %llu (ABI-16)",
              (unsigned long long)p->free_memory, (unsigned long long)p->total_memory);
  if (p->max_alloc_size == 0) conf_fail(r, "max_alloc_size is 0 (ABI-16)");
  if (p->max_alloc_size > p->total_memory)
    conf_fail(r, "max_alloc_size %llu exceeds total_memory %llu: one buffer cannot be larger "
                 "than the memory (ABI-16)",
              (unsigned long long)p->max_alloc_size, (unsigned long long)p->total_memory);
  uint32_t known = 0;
  for (bp_dtype_t d = BP_DTYPE_BOOL; d < BP_DTYPE_COUNT_V1_0; ++d) known |= BP_DTYPE_BIT(d);
  if (p->dtype_mask == 0) conf_fail(r, "dtype_mask is empty (ABI-16)");
  if (p->dtype_mask & ~known) conf_fail(r, "dtype_mask 0x%x has bits of no ABI 1.0 dtype (ABI-16)",
                                        p->dtype_mask);
  if (p->max_dims == 0) conf_fail(r, "max_dims is 0 (ABI-16)");
}

/* device_props must not write past the struct_size the host set. */
static void props_struct_size(conf_session_t *s, uint32_t d, conf_result_t *r) {
  const size_t sizes[] = {BP_DEVICE_PROPS_SIZE_V1_0, offsetof(bp_device_props_t, name)};
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); ++i) {
    union {
      bp_device_props_t props;
      unsigned char bytes[1024];
    } buf;
    memset(&buf, 0xcd, sizeof(buf));
    buf.props.struct_size = (uint32_t)sizes[i];
    bp_status_t st = s->api->device_props(s->ctx, d, &buf.props);
    for (size_t b = sizes[i]; b < sizeof(buf.bytes); ++b) {
      if (buf.bytes[b] != 0xcd) {
        conf_fail(r, "with struct_size %zu, device_props wrote byte %zu (ABI-16)", sizes[i], b);
        return;
      }
    }
    if (i == 0 && st != BP_STATUS_OK)
      conf_fail(r, "device_props with struct_size %zu (the v1.0 size) returned %s (ABI-16)",
                sizes[i], bp_status_name(st));
  }
}

void conf_abi_check(conf_worker_ctx_t *w, const conf_case_t *c, conf_result_t *r) {
  const conf_target_t *t = w->target;
  conf_session_t s;
  memset(&s, 0, sizeof(s));
  char err[512];
  r->outcome = CONF_PASS;
  switch (c->check) {
    case CHK_ENTRY_SYMBOL:
      if (t->builtin) {
        r->outcome = CONF_SKIP;
        conf_msg(r, "built in: its entry point is bp_reference_plugin_query, linked into "
                    "libbackplane");
      } else if (conf_session_load(&s, t, err, sizeof(err))) {
        conf_fail(r, "%s", err);
      }
      break;
    case CHK_QUERY_1_0:
      query_1_0(&s, t, r);
      break;
    case CHK_QUERY_1_9:
      check_query_version(&s, t, BP_ABI_MAKE_VERSION(1, 9), r);
      break;
    case CHK_QUERY_2_0:
      check_query_version(&s, t, BP_ABI_MAKE_VERSION(2, 0), r);
      break;
    case CHK_QUERY_0_9:
      check_query_version(&s, t, BP_ABI_MAKE_VERSION(0, 9), r);
      break;
    case CHK_TABLE_VERSION: {
      const bp_plugin_api_t *api = query_1_0(&s, t, r);
      if (!api) break;
      if (api->struct_size < 8) {
        conf_fail(r, "struct_size %u does not even cover abi_version (ABI-4)", api->struct_size);
      } else if (BP_ABI_VERSION_GET_MAJOR(api->abi_version) != BP_ABI_VERSION_MAJOR) {
        conf_fail(r, "the table states ABI %u.%u; this host speaks %u.x (ABI-3)",
                  BP_ABI_VERSION_GET_MAJOR(api->abi_version),
                  BP_ABI_VERSION_GET_MINOR(api->abi_version), BP_ABI_VERSION_MAJOR);
      } else {
        conf_msg(r, "ABI %u.%u", BP_ABI_VERSION_GET_MAJOR(api->abi_version),
                 BP_ABI_VERSION_GET_MINOR(api->abi_version));
      }
      break;
    }
    case CHK_TABLE_SIZE: {
      const bp_plugin_api_t *api = query_1_0(&s, t, r);
      if (!api) break;
      if (api->struct_size < BP_PLUGIN_API_SIZE_V1_0)
        conf_fail(r, "bp_plugin_api_t struct_size is %u bytes; ABI 1.0 needs at least %zu (ABI-4)",
                  api->struct_size, (size_t)BP_PLUGIN_API_SIZE_V1_0);
      else
        conf_msg(r, "%u bytes (v1.0: %zu)", api->struct_size, (size_t)BP_PLUGIN_API_SIZE_V1_0);
      break;
    }
    case CHK_TABLE_ENTRIES: {
      const bp_plugin_api_t *api = query_1_0(&s, t, r);
      if (api && !conf_api_usable(api, err, sizeof(err))) conf_fail(r, "%s", err);
      break;
    }
    case CHK_TABLE_NAME: {
      const bp_plugin_api_t *api = query_1_0(&s, t, r);
      if (!api) break;
      if (api->struct_size < offsetof(bp_plugin_api_t, init)) {
        conf_fail(r, "struct_size %u does not cover name/version/vendor (ABI-4)", api->struct_size);
        break;
      }
      if (!valid_name(api->name))
        conf_fail(r, "name '%s' must match [a-z][a-z0-9_]* and be at most 31 characters (ABI-18)",
                  api->name ? api->name : "(null)");
      if (!api->version) conf_fail(r, "version is NULL (ABI-20)");
      if (!api->vendor) conf_fail(r, "vendor is NULL (ABI-20)");
      break;
    }
    case CHK_INIT_REGISTRATIONS:
      if (!open_or_fail(&s, t, r)) break;
      if (s.host.rejected)
        conf_fail(r, "%u registrations broke the rules; first: %s", s.host.rejected,
                  s.host.first_violation);
      else
        conf_msg(r, "%u kernels registered", s.host.num_kernels);
      break;
    case CHK_DTYPE_CLAIMS: {
      if (!open_or_fail(&s, t, r)) break;
      uint32_t count = 0, stored = 0;
      if (s.api->device_count(s.ctx, &count) != BP_STATUS_OK) {
        conf_fail(r, "device_count failed");
        break;
      }
      for (uint32_t d = 0; d < count; ++d) {
        bp_device_props_t p;
        if (fresh_props(&s, d, &p, r)) stored |= p.dtype_mask;
      }
      if (count == 0) break;
      for (uint32_t k = 0; k < s.host.num_kernels; ++k) {
        const conf_kernel_t *kr = &s.host.kernels[k];
        for (uint32_t i = 0; i < kr->num_dtypes; ++i)
          if (kr->dtypes[i] >= 32 || !(stored & BP_DTYPE_BIT(kr->dtypes[i]))) {
            conf_fail(r, "it registers a %s kernel for %s, which none of its devices can store "
                         "(dtype_mask) (ABI-15)", kr->op, conf_dtype_name(kr->dtypes[i]));
            k = s.host.num_kernels;
            break;
          }
      }
      break;
    }
    case CHK_DEVICE_COUNT: {
      if (!open_or_fail(&s, t, r)) break;
      uint32_t count = 0;
      bp_status_t st = s.api->device_count(s.ctx, &count);
      if (st != BP_STATUS_OK) conf_fail(r, "device_count returned %s", bp_status_name(st));
      else conf_msg(r, "%u devices%s", count, count ? "" : ": nothing more to test");
      break;
    }
    case CHK_REINIT: {
      if (!open_or_fail(&s, t, r)) break;
      if (!s.api->shutdown) {
        r->outcome = CONF_SKIP;
        conf_msg(r, "shutdown is NULL (optional in v1.0)");
        break;
      }
      s.api->shutdown(s.ctx);
      s.inited = false;
      conf_host_deinit(&s.host);
      conf_host_init(&s.host, BP_ABI_VERSION);
      s.host.in_init = true;
      s.ctx = NULL;
      bp_status_t st = s.api->init(&s.host.table.v1, &s.ctx);
      s.host.in_init = false;
      if (st != BP_STATUS_OK) {
        conf_fail(r, "init after shutdown returned %s: %s (ABI-23)", bp_status_name(st),
                  conf_host_error());
        break;
      }
      s.inited = true;
      uint32_t count = 0;
      if (s.api->device_count(s.ctx, &count) != BP_STATUS_OK) {
        conf_fail(r, "device_count failed on the second context (ABI-23)");
        break;
      }
      if (count) {
        void *buf = NULL;
        st = s.api->buffer_alloc(s.ctx, 0, 64, &buf);
        if (st != BP_STATUS_OK) conf_fail(r, "buffer_alloc on the second context returned %s",
                                          bp_status_name(st));
        else s.api->buffer_free(s.ctx, 0, buf);
      }
      break;
    }
    case CHK_PROPS: {
      if (!open_or_fail(&s, t, r)) break;
      bp_device_props_t p;
      if (fresh_props(&s, (uint32_t)c->device, &p, r)) {
        props_sanity(&p, r);
        if (r->outcome == CONF_PASS)
          conf_msg(r, "%s: %llu bytes, dtype_mask 0x%x, max_dims %u", p.name,
                   (unsigned long long)p.total_memory, p.dtype_mask, p.max_dims);
      }
      break;
    }
    case CHK_PROPS_STRUCT_SIZE:
      if (open_or_fail(&s, t, r)) props_struct_size(&s, (uint32_t)c->device, r);
      break;
    case CHK_DTYPES_BACKED: {
      /* dtype_mask says which dtypes the device stores (ABI-16): each must
       * survive a round trip through device memory at an odd offset. Kernels
       * need not exist for them (ops on such tensors fall back). */
      if (!open_or_fail(&s, t, r)) break;
      bp_device_props_t p;
      if (!fresh_props(&s, (uint32_t)c->device, &p, r)) break;
      uint32_t dev = (uint32_t)c->device;
      for (bp_dtype_t d = BP_DTYPE_BOOL; d < BP_DTYPE_COUNT_V1_0; ++d) {
        if (!(p.dtype_mask & BP_DTYPE_BIT(d))) continue;
        uint64_t esize = bp_abi_dtype_size(d), n = 5, off = esize * 3;
        unsigned char in[40], out[40];
        for (uint64_t i = 0; i < n * esize; ++i) in[i] = (unsigned char)(d == BP_DTYPE_BOOL ? (i & 1) : 17 * i + 3);
        void *buf = NULL;
        bp_status_t st = s.api->buffer_alloc(s.ctx, dev, off + n * esize, &buf);
        if (!st) st = s.api->copy_h2d(s.ctx, dev, buf, off, in, n * esize);
        if (!st) st = s.api->copy_d2h(s.ctx, dev, out, buf, off, n * esize);
        if (!st) st = s.api->synchronize(s.ctx, dev);
        if (buf) s.api->buffer_free(s.ctx, dev, buf);
        if (st)
          conf_fail(r, "dtype_mask claims %s but storing it failed with %s (ABI-16)",
                    conf_dtype_name(d), bp_status_name(st));
        else if (memcmp(in, out, n * esize))
          conf_fail(r, "dtype_mask claims %s but its data does not survive a round trip (ABI-16)",
                    conf_dtype_name(d));
      }
      break;
    }
    default:
      conf_fail(r, "internal: unknown ABI check %d", (int)c->check);
      break;
  }
  conf_session_close(&s);
}

void conf_direct_check(conf_worker_ctx_t *w, const conf_case_t *c, conf_result_t *r) {
  if (c->check >= CHK_MEM_ALLOC_ZERO && c->check <= CHK_ERR_OOM_MESSAGE)
    conf_memory_check(w, c, r);
  else
    conf_abi_check(w, c, r);
}
