/* conf_registry.c - the flat list of cases, from the targets' claims.
 *
 * Plugin-level checks come first, then per device: ABI, memory, errors,
 * ops. The op cases are every (registered kernel) x (variant of its
 * family for the tier) + determinism + threads + a capability verdict; a
 * registered op the suite has no generator for gets one "no_generator"
 * case (a coverage gap, never a pass). */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "conf_ops.h"

typedef struct check_def {
  conf_check_t check;
  const char *name;
  const char *rule;
  const char *what;
} check_def_t;

static const check_def_t plugin_checks[] = {
    {CHK_ENTRY_SYMBOL, "abi/entry_symbol", "ABI-1", "the library exports bp_plugin_query"},
    {CHK_QUERY_1_0, "abi/query/host_1_0", "ABI-2", "query at host ABI 1.0 returns OK and a table"},
    {CHK_QUERY_1_9, "abi/query/host_1_9", "ABI-3",
     "query at a newer host minor (1.9, larger host table) is accepted"},
    {CHK_QUERY_2_0, "abi/query/host_2_0", "ABI-3", "query at host ABI 2.0 returns ABI_MISMATCH"},
    {CHK_QUERY_0_9, "abi/query/host_0_9", "ABI-3", "query at host ABI 0.9 returns ABI_MISMATCH"},
    {CHK_TABLE_VERSION, "abi/table/version", "ABI-3", "the table states an ABI of major 1"},
    {CHK_TABLE_SIZE, "abi/table/struct_size", "ABI-4",
     "the table's struct_size is at least the v1.0 size"},
    {CHK_TABLE_ENTRIES, "abi/table/required_entries", "ABI-18",
     "every entry up to synchronize is non-NULL"},
    {CHK_TABLE_NAME, "abi/table/name", "ABI-18",
     "name matches [a-z][a-z0-9_]*, at most 31 chars; version and vendor are strings"},
    {CHK_INIT_REGISTRATIONS, "abi/init/registrations", "ABI-12",
     "init succeeds and every registration is a catalog op with a valid, unique signature"},
    {CHK_DTYPE_CLAIMS, "abi/init/dtype_claims", "ABI-15",
     "every dtype of every registered signature is in some device's dtype_mask"},
    {CHK_DEVICE_COUNT, "abi/devices/count", "ABI-16", "device_count succeeds"},
    {CHK_REINIT, "abi/lifecycle/reinit", "ABI-23",
     "init, shutdown, init again: the second context works"},
};

static const check_def_t device_checks[] = {
    {CHK_PROPS, "abi/device/props", "ABI-16",
     "properties are sane: name, kind, memory figures, dtype_mask, max_dims"},
    {CHK_PROPS_STRUCT_SIZE, "abi/device/props_struct_size", "ABI-16",
     "device_props writes nothing past the struct_size the host set"},
    {CHK_DTYPES_BACKED, "abi/device/dtypes_backed", "ABI-16",
     "every dtype in dtype_mask survives a round trip through device memory"},
    {CHK_MEM_ALLOC_ZERO, "memory/alloc_zero", "ABI-19", "a 0-byte allocation succeeds and frees"},
    {CHK_MEM_ALLOC_SIZES, "memory/alloc_sizes", "ABI-19",
     "1, 3, 4097 and 1 MiB+7 byte buffers hold what is written"},
    {CHK_MEM_ALLOC_LARGE, "memory/alloc_large", "ABI-19",
     "a large buffer (64 MiB quick, 512 MiB full, capped by the device) works at both ends"},
    {CHK_MEM_TOO_LARGE, "memory/alloc_too_large", "ABI-19",
     "an allocation above the device's memory returns OUT_OF_MEMORY, not a crash"},
    {CHK_MEM_FREE_NULL, "memory/free_null", "ABI-19", "buffer_free accepts NULL"},
    {CHK_MEM_ROUNDTRIP, "memory/roundtrip_offsets", "ABI-14",
     "host<->device copies at odd offsets and sizes are exact and stay in bounds"},
    {CHK_MEM_D2D, "memory/copy_d2d", "ABI-14", "device-to-device copies at odd offsets"},
    {CHK_MEM_FILL, "memory/fill", "ABI-19",
     "fill with 1, 2, 4 and 8-byte patterns at odd offsets, neighbours untouched"},
    {CHK_MEM_ORDERING, "memory/ordering", "ABI-14",
     "copy_d2h sees queued fill/copy_d2d; copy_h2d has read its source on return"},
    {CHK_MEM_THREADS, "memory/threads", "ABI-24", "alloc/copy/free from two threads at once"},
    {CHK_MEM_LEAK, "memory/leak", "ABI-19",
     "freed memory comes back (free_memory, and alloc/free cycles beyond the device size)"},
    {CHK_ERR_BAD_DEVICE, "errors/bad_device_index", "ABI-5",
     "a device index past device_count is INVALID_ARGUMENT (or NOT_FOUND) with a message"},
    {CHK_ERR_OOM_MESSAGE, "errors/out_of_memory", "ABI-5",
     "a too-large allocation is OUT_OF_MEMORY with a non-empty message (set_error)"},
};

bool conf_filter_match(const char *filter, const char *name) {
  if (!filter || !*filter) return true;
  char buf[1024];
  snprintf(buf, sizeof(buf), "%s", filter);
  for (char *save = NULL, *g = strtok_r(buf, ",", &save); g; g = strtok_r(NULL, ",", &save))
    if (!fnmatch(g, name, 0)) return true;
  return false;
}

void conf_sig_name(char *buf, size_t size, const char *op, const bp_dtype_t *sig, uint32_t n) {
  const conf_op_info_t *info = conf_op_lookup(op);
  bool same = true;
  for (uint32_t i = 1; i < n; ++i) same = same && sig[i] == sig[0];
  if (same || n == 0) {
    snprintf(buf, size, "%s", n ? conf_dtype_name(sig[0]) : "none");
    return;
  }
  uint32_t nin = info ? info->num_inputs : n - 1;
  size_t used = 0;
  buf[0] = '\0';
  for (uint32_t i = 0; i < n && used < size; ++i)
    used += (size_t)snprintf(buf + used, size - used, "%s%s",
                             i == 0 ? "" : (i == nin ? "_to_" : "_"), conf_dtype_name(sig[i]));
}

static conf_case_t *add_case(conf_suite_t *s, const char *name) {
  if (!conf_filter_match(s->opts.filter, name)) return NULL;
  if (s->num_cases == s->cap_cases) {
    size_t cap = s->cap_cases ? s->cap_cases * 2 : 256;
    conf_case_t *grown = realloc(s->cases, sizeof(*grown) * cap);
    if (!grown) return NULL;
    s->cases = grown;
    s->cap_cases = cap;
  }
  conf_case_t *c = &s->cases[s->num_cases++];
  memset(c, 0, sizeof(*c));
  snprintf(c->name, sizeof(c->name), "%s", name);
  c->family = -1;
  return c;
}

static void add_check(conf_suite_t *s, int target, int device, const check_def_t *d) {
  conf_case_t *c = add_case(s, d->name);
  if (!c) return;
  c->target = target;
  c->device = device;
  c->group = CONF_GROUP_DIRECT;
  c->check = d->check;
  c->rule = d->rule;
  c->what = d->what;
}

static bool sig_on_device(const conf_kernel_t *k, const bp_device_props_t *p) {
  for (uint32_t i = 0; i < k->num_dtypes; ++i)
    if (k->dtypes[i] >= 32 || !(p->dtype_mask & BP_DTYPE_BIT(k->dtypes[i]))) return false;
  return true;
}

static void add_op_case(conf_suite_t *s, int t, int d, const conf_kernel_t *k, const char *sig,
                        const char *suffix, conf_group_t group, conf_check_t check, int family,
                        int variant, const char *what) {
  char name[160];
  snprintf(name, sizeof(name), "ops/%s/%s/%s", k->op, sig, suffix);
  conf_case_t *c = add_case(s, name);
  if (!c) return;
  c->target = t;
  c->device = d;
  c->group = group;
  c->check = check;
  c->family = family;
  c->variant = variant;
  c->num_sig = k->num_dtypes;
  memcpy(c->sig, k->dtypes, sizeof(c->sig));
  snprintf(c->kernel_key, sizeof(c->kernel_key), "%s/%s", k->op, sig);
  c->what = what;
}

static void add_op_cases(conf_suite_t *s, int t, int d) {
  const conf_target_t *tg = &s->targets[t];
  for (uint32_t i = 0; i < tg->num_kernels; ++i) {
    const conf_kernel_t *k = &tg->kernels[i];
    if (!sig_on_device(k, &tg->props[d])) continue;
    char sig[64];
    conf_sig_name(sig, sizeof(sig), k->op, k->dtypes, k->num_dtypes);
    const conf_op_info_t *info = conf_op_lookup(k->op);
    size_t nv = info && info->family != FAM_COUNT ? conf_op_num_variants(info) : 0;
    int first = -1;
    for (size_t v = 0; v < nv; ++v) {
      const conf_variant_t *var = conf_op_variant(info, v);
      if (!(var->tiers & (unsigned)s->opts.tier)) continue;
      if (!conf_variant_applies(info, k->dtypes, var)) continue;
      if (first < 0) first = (int)v;
      add_op_case(s, t, d, k, sig, var->name, CONF_GROUP_RUNTIME, CHK_OP_VARIANT,
                  (int)info->family, (int)v, "matches the reference backend");
    }
    if (first < 0) {
      add_op_case(s, t, d, k, sig, "no_generator", CONF_GROUP_PARENT, CHK_OP_NO_GENERATOR, -1, -1,
                  "the suite has no case generator for this op (coverage gap)");
      continue;
    }
    /* deterministic: the large case (else the first); threads: the odd one */
    int large = conf_variant_find(info, "large"), odd = conf_variant_find(info, "odd");
    if (info->family == FAM_REDUCE) odd = conf_variant_find(info, "dim1");
    if (large < 0 || !conf_variant_applies(info, k->dtypes, conf_op_variant(info, (size_t)large)))
      large = first;
    if (odd < 0 || !conf_variant_applies(info, k->dtypes, conf_op_variant(info, (size_t)odd)))
      odd = first;
    add_op_case(s, t, d, k, sig, "deterministic", CONF_GROUP_RUNTIME, CHK_OP_DETERMINISM,
                (int)info->family, large, "the same inputs twice give the same bits");
    add_op_case(s, t, d, k, sig, "threads", CONF_GROUP_RUNTIME, CHK_OP_THREADS,
                (int)info->family, odd,
                "the op issued from two threads at once gives correct results");
    add_op_case(s, t, d, k, sig, "capability", CONF_GROUP_PARENT, CHK_OP_CAPABILITY,
                (int)info->family, -1,
                "a registered kernel runs natively on at least one case (not only fallback)");
  }
}

/* 5. Gradients: not checked yet, because autograd does not exist. When it
 * does, add "grad/<op>/<signature>/<variant>" cases here, one per
 * differentiable op and float signature, reusing the op variants, and
 * check them in conf_op_checks.c by central finite differences in f64 on
 * ref:0 against the device's backward (PyTorch's gradcheck). The case
 * names, tolerance rows and docs/conformance.md section are reserved. */

int conf_registry_build(conf_suite_t *s) {
  for (int t = 0; t < s->num_targets; ++t) {
    const conf_target_t *tg = &s->targets[t];
    for (size_t i = 0; i < sizeof(plugin_checks) / sizeof(plugin_checks[0]); ++i)
      add_check(s, t, -1, &plugin_checks[i]);
    if (!tg->discovered) continue; /* the plugin-level cases say why */
    for (uint32_t d = 0; d < tg->device_count; ++d) {
      if (!tg->device_selected[d]) continue;
      for (size_t i = 0; i < sizeof(device_checks) / sizeof(device_checks[0]); ++i)
        add_check(s, t, (int)d, &device_checks[i]);
      add_op_cases(s, t, (int)d);
    }
  }
  for (size_t i = 0; i < s->num_cases; ++i) s->cases[i].result.index = (int32_t)i;
  return 0;
}
