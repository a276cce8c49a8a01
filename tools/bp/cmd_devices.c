/*
 * cmd_devices.c - `bp devices`: every plugin the runtime has seen and every
 * usable device, as text or JSON.
 */
#include <stdio.h>
#include <string.h>

#include "bp_cli.h"
#include "json.h"

static const char usage[] =
    "usage: bp devices [--json]\n"
    "\n"
    "Lists every plugin the runtime has seen: loaded ones with their name,\n"
    "version, vendor, plugin ABI version, file (or \"built in\") and device count;\n"
    "rejected or unloaded ones with the reason. Then every usable device with\n"
    "its properties, and the default device.\n"
    "\n"
    "options:\n"
    "  --json      print one JSON object instead of text\n"
    "  -h, --help  show this help\n"
    "\n"
    "Plugins are searched in BP_PLUGIN_PATH (colon-separated folders), then in\n"
    "the install's plugin folder; BP_DEVICE picks the default device.\n"
    "Exit status: 0 (also when a plugin was rejected), 1 when the runtime fails\n"
    "to start, 2 on a usage error.\n";

static const char *state_name(bp_plugin_state_t state) {
  switch (state) {
    case BP_PLUGIN_LOADED: return "loaded";
    case BP_PLUGIN_REJECTED: return "rejected";
    case BP_PLUGIN_UNLOADED: return "unloaded";
    default: return "unknown";
  }
}

/* Plugin info, or false (with the error printed) when it cannot be read. */
static bool query_plugin(size_t i, bp_plugin_info_t *info) {
  memset(info, 0, sizeof(*info));
  info->struct_size = sizeof(*info);
  bp_plugin_t *plugin = bp_plugin_at(i);
  bp_status_t status = plugin ? bp_plugin_query_info(plugin, info) : BP_STATUS_NOT_FOUND;
  if (status) {
    fprintf(stderr, "bp: plugin %zu: %s\n", i, bp_last_error());
    return false;
  }
  return true;
}

static bool query_device(size_t i, bp_device_t **out_device, bp_device_props_t *props) {
  memset(props, 0, sizeof(*props));
  props->struct_size = sizeof(*props);
  bp_device_t *device = bp_device_at(i);
  bp_status_t status = device ? bp_device_query_props(device, props) : BP_STATUS_NOT_FOUND;
  if (status) {
    fprintf(stderr, "bp: device %zu (%s): %s\n", i, device ? bp_device_name(device) : "?",
            bp_last_error());
    return false;
  }
  *out_device = device;
  return true;
}

/* The default device's name, or NULL with *out_error set. */
static const char *default_device_name(const char **out_error) {
  bp_device_t *device = NULL;
  if (bp_device_get_default(&device)) {
    *out_error = bp_last_error();
    return NULL;
  }
  return bp_device_name(device);
}

static const char *or_dash(const char *s) { return s && s[0] ? s : "-"; }

static void print_text(void) {
  char buf[512], abi[32];
  size_t num_plugins = bp_plugin_count();
  printf("Backplane %s, plugin ABI %u.%u\n\n", BP_VERSION_STRING, (unsigned)BP_ABI_VERSION_MAJOR,
         (unsigned)BP_ABI_VERSION_MINOR);
  printf("Plugins (%zu):\n", num_plugins);
  int width = 8; /* of the name column */
  for (size_t i = 0; i < num_plugins; ++i) {
    bp_plugin_info_t info;
    if (query_plugin(i, &info) && (int)strlen(info.name) > width) width = (int)strlen(info.name);
  }
  for (size_t i = 0; i < num_plugins; ++i) {
    bp_plugin_info_t info;
    if (!query_plugin(i, &info)) continue;
    const char *where = info.builtin ? "built in" : or_dash(info.path);
    if (info.state == BP_PLUGIN_LOADED) {
      printf("  %-*s  loaded    version %s, vendor %s, ABI %s, %u device%s\n", width,
             or_dash(info.name), or_dash(info.version), or_dash(info.vendor),
             bpcli_format_abi(abi, sizeof(abi), info.abi_version), (unsigned)info.device_count,
             info.device_count == 1 ? "" : "s");
      printf("  %-*s            %s\n", width, "", where);
      if (info.device_count == 0 && info.reason && info.reason[0])
        printf("  %-*s            no devices: %s (bp doctor %s)\n", width, "", info.reason,
               info.name);
    } else {
      printf("  %-*s  %-8s  %s\n", width, or_dash(info.name), state_name(info.state), where);
      printf("  %-*s            reason: %s\n", width, "", or_dash(info.reason));
    }
  }

  size_t num_devices = bp_device_count();
  printf("\nDevices (%zu):\n", num_devices);
  for (size_t i = 0; i < num_devices; ++i) {
    bp_device_t *device;
    bp_device_props_t p;
    if (!query_device(i, &device, &p)) continue;
    char total[32], free_mem[32], max_alloc[32], kind[32];
    printf("  %s  %s  %s\n", bp_device_name(device), bpcli_device_kind_name(kind, sizeof(kind), p.kind),
           p.name);
    printf("      vendor            %s\n", or_dash(p.vendor));
    printf("      memory            %s total, %s free\n",
           bpcli_format_bytes(total, sizeof(total), p.total_memory),
           p.free_memory ? bpcli_format_bytes(free_mem, sizeof(free_mem), p.free_memory) : "unknown");
    printf("      max alloc         %s\n", bpcli_format_bytes(max_alloc, sizeof(max_alloc), p.max_alloc_size));
    printf("      host-addressable  %s\n", p.host_addressable ? "yes" : "no");
    printf("      max dims          %u\n", (unsigned)p.max_dims);
    printf("      dtypes            %s\n", bpcli_format_dtype_mask(buf, sizeof(buf), p.dtype_mask));
  }

  const char *error = NULL;
  const char *def = default_device_name(&error);
  if (def) printf("\nDefault device: %s\n", def);
  else printf("\nDefault device: none (%s)\n", error);
}

static void print_json(void) {
  char buf[512], abi[32];
  bpcli_json_t j;
  bpcli_json_init(&j, stdout);
  bpcli_json_object_begin(&j);
  bpcli_json_kv_string(&j, "version", BP_VERSION_STRING);
  bpcli_json_kv_string(&j, "abi_version", bpcli_format_abi(abi, sizeof(abi), BP_ABI_VERSION));
  const char *error = NULL;
  const char *def = default_device_name(&error);
  bpcli_json_kv_string(&j, "default_device", def); /* null when there is none */
  if (!def) bpcli_json_kv_string(&j, "default_device_error", error);

  bpcli_json_key(&j, "plugins");
  bpcli_json_array_begin(&j);
  for (size_t i = 0; i < bp_plugin_count(); ++i) {
    bp_plugin_info_t info;
    if (!query_plugin(i, &info)) continue;
    bpcli_json_object_begin(&j);
    bpcli_json_kv_string(&j, "name", info.name);
    bpcli_json_kv_string(&j, "state", state_name(info.state));
    bpcli_json_kv_bool(&j, "builtin", info.builtin != 0);
    bpcli_json_kv_string(&j, "path", info.path);
    bpcli_json_kv_string(&j, "version", info.version);
    bpcli_json_kv_string(&j, "vendor", info.vendor);
    bpcli_json_key(&j, "abi_version");
    if (info.abi_version) bpcli_json_string(&j, bpcli_format_abi(abi, sizeof(abi), info.abi_version));
    else bpcli_json_null(&j);
    bpcli_json_kv_uint(&j, "device_count", info.device_count);
    bpcli_json_kv_string(&j, "reason", info.reason);
    bpcli_json_object_end(&j);
  }
  bpcli_json_array_end(&j);

  bpcli_json_key(&j, "devices");
  bpcli_json_array_begin(&j);
  for (size_t i = 0; i < bp_device_count(); ++i) {
    bp_device_t *device;
    bp_device_props_t p;
    if (!query_device(i, &device, &p)) continue;
    char kind[32];
    bp_plugin_info_t info;
    memset(&info, 0, sizeof(info));
    info.struct_size = sizeof(info);
    bp_plugin_t *plugin = bp_device_plugin(device);
    bool have_plugin = plugin && bp_plugin_query_info(plugin, &info) == BP_STATUS_OK;
    bpcli_json_object_begin(&j);
    bpcli_json_kv_string(&j, "name", bp_device_name(device));
    bpcli_json_kv_string(&j, "plugin", have_plugin ? info.name : NULL);
    bpcli_json_kv_string(&j, "kind", bpcli_device_kind_name(kind, sizeof(kind), p.kind));
    bpcli_json_kv_string(&j, "device_name", p.name);
    bpcli_json_kv_string(&j, "vendor", p.vendor);
    bpcli_json_kv_uint(&j, "total_memory", p.total_memory);
    bpcli_json_kv_uint(&j, "free_memory", p.free_memory);
    bpcli_json_kv_uint(&j, "max_alloc_size", p.max_alloc_size);
    bpcli_json_kv_bool(&j, "host_addressable", p.host_addressable);
    bpcli_json_kv_uint(&j, "max_dims", p.max_dims);
    bpcli_json_key(&j, "dtypes");
    bpcli_json_array_begin(&j);
    for (bp_dtype_t d = 1; d < 32; ++d)
      if (p.dtype_mask & BP_DTYPE_BIT(d)) bpcli_json_string(&j, bpcli_dtype_label(buf, sizeof(buf), d));
    bpcli_json_array_end(&j);
    bpcli_json_object_end(&j);
  }
  bpcli_json_array_end(&j);
  bpcli_json_object_end(&j);
  bpcli_json_finish(&j);
}

int bpcli_cmd_devices(int argc, char **argv) {
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (bpcli_is_help(argv[i])) {
      fputs(usage, stdout);
      return BPCLI_EXIT_OK;
    }
    if (!strcmp(argv[i], "--json")) json = true;
    else return bpcli_usage_error(usage, "devices: %s '%s'",
                                  argv[i][0] == '-' ? "unknown option" : "unexpected argument", argv[i]);
  }
  if (!bpcli_runtime_start()) return BPCLI_EXIT_FAILURE;
  if (json) print_json();
  else print_text();
  return BPCLI_EXIT_OK;
}
