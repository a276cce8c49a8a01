/*
 * cmd_doctor.c - `bp doctor [PLUGIN]`: why a plugin does not load or a
 * device does not appear, in words a vendor can act on.
 *
 * It prints the environment variables that steer plugin loading and device
 * selection (docs/devices.md), the folders searched in order with every
 * file in them, and for each plugin one verdict: OK, or a PROBLEM line
 * naming the cause (file not found, not a shared library, missing
 * dependency, entry symbol missing, ABI version mismatch, init error, zero
 * devices, filtered out by BP_PLUGINS, ...) followed by what to do. The
 * causes come from its own checks of the file (stat, the ELF header) and
 * from the loader's reason for the rejection (bp_plugin_query_info).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bp_cli.h"

static const char usage[] =
    "usage: bp doctor [PLUGIN]\n"
    "\n"
    "Explains why a plugin does not load or a device does not appear. Without\n"
    "PLUGIN it checks every file in the plugin folders and every plugin the\n"
    "runtime sees; with PLUGIN (a name such as acme, or a path to\n"
    "libbp_acme.so) it diagnoses that one, loading it if the search did not.\n"
    "It lists the environment variables that steer loading (BP_DEVICE,\n"
    "BP_PLUGIN_PATH, BP_PLUGINS, BP_FALLBACK, BP_LOG) with their values, and the\n"
    "folders searched, in order.\n"
    "\n"
    "Each problem is one line, 'PROBLEM <cause>: ...', then what to do:\n"
    "file not found, not a shared library, missing dependency, unresolved\n"
    "symbol, entry symbol missing, ABI version mismatch, init error, zero\n"
    "devices, filtered out (BP_PLUGINS), name already taken, ABI rule broken.\n"
    "\n"
    "options:\n"
    "  -h, --help  show this help\n"
    "\n"
    "Exit status: 0 when everything found loads with devices, 1 when something\n"
    "is wrong, 2 on a usage error.\n";

/* The variables of docs/devices.md, in the order they are printed. */
static const struct {
  const char *name;
  const char *meaning;
} env_vars[] = {
    {"BP_DEVICE", "the default device (bp_device_get_default)"},
    {"BP_PLUGIN_PATH", "colon-separated folders searched for plugins, before the install's"},
    {"BP_PLUGINS", "which plugins the search loads: names, -names to skip, or none"},
    {"BP_FALLBACK", "allow|warn|error: an op a device has no kernel for"},
    {"BP_LOG", "debug|info|warn|error|off: what the runtime writes to stderr"},
    {"LD_LIBRARY_PATH", "where the system looks for a plugin's own dependencies"},
};

#define MAX_FOLDERS 64

typedef struct doctor {
  char *folders[MAX_FOLDERS];
  int num_folders;
  int problems;
} doctor_t;

static void problem(doctor_t *d, const char *cause, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void problem(doctor_t *d, const char *cause, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("    PROBLEM %s: ", cause);
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  d->problems++;
}

/* "    fix: ..." lines under a problem. */
static void fix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fix(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("      fix: ");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
}

/* ---- the search, as bp_loader.c does it ---- */

static bool library_folder(char *out, size_t size) {
  Dl_info info;
  if (!dladdr((void *)&bp_init, &info) || !info.dli_fname) return false;
  char copy[PATH_MAX];
  if (!realpath(info.dli_fname, copy)) return false;
  snprintf(out, size, "%s", dirname(copy));
  return true;
}

static void collect_folders(doctor_t *d) {
  const char *env = getenv("BP_PLUGIN_PATH");
  if (env && *env) {
    char *copy = strdup(env);
    char *save = NULL;
    for (char *f = copy ? strtok_r(copy, ":", &save) : NULL; f && d->num_folders < MAX_FOLDERS - 1;
         f = strtok_r(NULL, ":", &save))
      d->folders[d->num_folders++] = strdup(f);
    free(copy);
  }
  char lib[PATH_MAX - 32];
  if (library_folder(lib, sizeof(lib))) {
    char folder[PATH_MAX];
    snprintf(folder, sizeof(folder), "%s/backplane/plugins", lib);
    d->folders[d->num_folders++] = strdup(folder);
  }
}

static bool is_plugin_file_name(const char *name) {
  size_t n = strlen(name);
  return n > strlen("libbp_.so") && !strncmp(name, "libbp_", 6) && !strcmp(name + n - 3, ".so");
}

/* The plugin name of libbp_<name>.so. */
static void name_of_file(const char *file, char *out, size_t size) {
  const char *base = strrchr(file, '/');
  base = base ? base + 1 : file;
  if (!is_plugin_file_name(base)) {
    snprintf(out, size, "%s", base);
    return;
  }
  snprintf(out, size, "%.*s", (int)(strlen(base) - strlen("libbp_") - strlen(".so")), base + 6);
}

/* BP_PLUGINS (docs/devices.md; bp_loader.c's plugin_allowed): NULL when the
 * name passes the filter, else why not. */
static const char *filtered_out(const char *name, char *buf, size_t size) {
  const char *filter = getenv("BP_PLUGINS");
  if (!filter || !*filter) return NULL;
  if (!strcmp(filter, "none")) {
    snprintf(buf, size, "BP_PLUGINS=none loads no plugin from the folders");
    return buf;
  }
  bool any_allow = false, allowed = false;
  for (const char *p = filter; *p;) {
    size_t len = strcspn(p, ",");
    bool deny = *p == '-';
    const char *entry = deny ? p + 1 : p;
    size_t elen = deny ? len - 1 : len;
    bool match = elen == strlen(name) && !strncmp(entry, name, elen);
    if (deny && match) {
      snprintf(buf, size, "BP_PLUGINS=%s skips it (-%s)", filter, name);
      return buf;
    }
    if (!deny) {
      any_allow = true;
      allowed = allowed || match;
    }
    p += len;
    if (*p == ',') ++p;
  }
  if (any_allow && !allowed) {
    snprintf(buf, size, "BP_PLUGINS=%s does not list %s", filter, name);
    return buf;
  }
  return NULL;
}

/* ---- one plugin ---- */

/* The runtime's record of the file at path (same real path), or NULL. */
static bp_plugin_t *record_of(const char *path) {
  char want[PATH_MAX];
  if (!realpath(path, want)) snprintf(want, sizeof(want), "%s", path);
  for (size_t i = bp_plugin_count(); i-- > 0;) {
    bp_plugin_t *p = bp_plugin_at(i);
    bp_plugin_info_t info = {.struct_size = sizeof(info)};
    if (!p || bp_plugin_query_info(p, &info) || info.builtin) continue;
    char have[PATH_MAX];
    if (!realpath(info.path, have)) snprintf(have, sizeof(have), "%s", info.path);
    if (!strcmp(have, want)) return p;
  }
  return NULL;
}

/* Checks the file itself: false (with the problem printed) when it cannot
 * be a plugin. */
static bool check_file(doctor_t *d, const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    problem(d, "file not found", "%s does not exist", path);
    fix("check the path; a CMake build puts the plugin in its build folder "
        "(LIBRARY_OUTPUT_DIRECTORY)");
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    problem(d, "not a shared library", "%s is not a regular file (a folder?)", path);
    fix("name the plugin file itself, libbp_<name>.so, or put its folder in BP_PLUGIN_PATH");
    return false;
  }
  unsigned char head[20] = {0};
  FILE *f = fopen(path, "rb");
  size_t n = f ? fread(head, 1, sizeof(head), f) : 0;
  if (f) fclose(f);
  if (!f) {
    problem(d, "file not readable", "%s cannot be opened for reading", path);
    fix("check its permissions (ls -l %s)", path);
    return false;
  }
  if (n < 4 || memcmp(head, "\177ELF", 4) != 0) {
    const char *what = n >= 7 && !memcmp(head, "!<arch>", 7) ? "a static library (ar archive)"
                       : n == 0                              ? "an empty file"
                                                             : "not an ELF file";
    problem(d, "not a shared library", "%s is %s (%zu bytes read)", path, what, n);
    fix("build the plugin as a shared module: add_library(bp_<name> MODULE ...) "
        "or gcc -shared -fPIC; check the copy was not truncated");
    return false;
  }
  /* e_type at byte 16, in the file's byte order (byte 5: 1 little, 2 big). */
  unsigned type = head[5] == 2 ? (unsigned)(head[16] << 8 | head[17])
                               : (unsigned)(head[17] << 8 | head[16]);
  if (n >= 18 && type != 3 /* ET_DYN */) {
    problem(d, "not a shared library", "%s is an ELF %s, not a shared library", path,
            type == 1 ? "object file (.o)" : type == 2 ? "executable" : "file of another type");
    fix("link it with -shared (CMake: add_library(bp_<name> MODULE ...))");
    return false;
  }
  return true;
}

/* The library named in a dlerror "X: cannot open shared object file". */
static bool missing_library(const char *reason, const char *path, char *out, size_t size) {
  const char *end = strstr(reason, ": cannot open shared object file");
  if (!end) return false;
  const char *start = end;
  while (start > reason && !(start[-1] == ' ' && start - 1 > reason && start[-2] == ':')) --start;
  snprintf(out, size, "%.*s", (int)(end - start), start);
  return strcmp(out, path) != 0;
}

/* Turns the loader's reason for a rejection into a cause and a fix. */
static void explain_rejection(doctor_t *d, const char *path, const char *reason) {
  char lib[256];
  const char *sym;
  if (!strncmp(reason, "dlopen failed: ", 15) && missing_library(reason, path, lib, sizeof(lib))) {
    problem(d, "missing dependency", "%s needs %s, which the dynamic loader cannot find", path,
            lib);
    printf("      dlopen said: %s\n", reason + 15);
    fix("install %s, or add the folder that holds it to LD_LIBRARY_PATH "
        "(or to the plugin's RUNPATH when linking: -Wl,-rpath,<folder>)", lib);
    fix("`ldd %s | grep 'not found'` lists every library it cannot find", path);
  } else if (!strncmp(reason, "dlopen failed: ", 15) && (sym = strstr(reason, "undefined symbol: "))) {
    problem(d, "unresolved symbol", "%s uses %s, which no loaded library defines", path,
            sym + strlen("undefined symbol: "));
    fix("link the library that defines it into the plugin (plugins never link "
        "libbackplane: host functions come through bp_host_api_t)");
  } else if (!strncmp(reason, "not a shared library: ", 22)) {
    problem(d, "not a shared library", "%s is %s", path, reason + 22);
    fix("rebuild it, or copy it again (a partial download or copy cuts it short)");
  } else if (!strncmp(reason, "dlopen failed: ", 15) &&
             (strstr(reason, "file too short") || strstr(reason, "cannot read file data") ||
              strstr(reason, "invalid ELF header") || strstr(reason, "ELF load command"))) {
    problem(d, "not a shared library", "%s is damaged or truncated: %s", path, reason + 15);
    fix("rebuild it, or copy it again (a partial download or copy cuts it short)");
  } else if (!strncmp(reason, "dlopen failed: ", 15) && strstr(reason, "wrong ELF class")) {
    problem(d, "not a shared library", "%s was built for another word size: %s", path,
            reason + 15);
    fix("build it for this machine (64-bit: no -m32)");
  } else if (!strncmp(reason, "dlopen failed: ", 15)) {
    problem(d, "not loadable", "the dynamic loader refuses %s: %s", path, reason + 15);
    fix("check it was built for this machine (file %s) and loads alone "
        "(python3 -c 'import ctypes; ctypes.CDLL(\"%s\")')", path, path);
  } else if (strstr(reason, "entry symbol")) {
    problem(d, "entry symbol missing", "%s does not export %s (ABI-1)", path,
            BP_PLUGIN_ENTRY_SYMBOL);
    fix("define it as `BP_PLUGIN_EXPORT bp_status_t bp_plugin_query(...)` (extern \"C\" in "
        "C++); with -fvisibility=hidden the macro is what exports it");
    fix("`nm -D --defined-only %s | grep bp_plugin_query` must show it", path);
  } else if (strstr(reason, "(ABI-3)")) {
    problem(d, "ABI version mismatch", "%s", reason);
    fix("rebuild the plugin against this SDK's backplane/bp_abi.h (ABI %u.%u): "
        "find_package(Backplane) from the prefix of this bp",
        (unsigned)BP_ABI_VERSION_MAJOR, (unsigned)BP_ABI_VERSION_MINOR);
  } else if (!strncmp(reason, "init failed", 11)) {
    problem(d, "init error", "the plugin's init failed: %s", reason + strlen("init failed with "));
    fix("the message is the plugin's own (host->set_error in its init); fix what it "
        "names (driver, hardware, options BP_<NAME>_<KEY>)");
  } else if (strstr(reason, "already loaded")) {
    problem(d, "name already taken", "%s", reason);
    fix("two files give the same plugin name; the first one found wins. Remove the "
        "other, reorder BP_PLUGIN_PATH, or skip one with BP_PLUGINS");
  } else if (!strncmp(reason, "bp_plugin_query returned", 24)) {
    problem(d, "query failed", "%s", reason);
    fix("bp_plugin_query must return OK and its table (ABI-2); it must not touch the device");
  } else {
    problem(d, "ABI rule broken", "%s", reason);
    fix("`bp conformance --plugin %s` checks every rule and says which one fails "
        "(docs/abi.md)", path);
  }
}

/* The verdict on one plugin the runtime has a record of. */
static void explain_record(doctor_t *d, bp_plugin_t *plugin) {
  bp_plugin_info_t info = {.struct_size = sizeof(info)};
  if (bp_plugin_query_info(plugin, &info)) {
    problem(d, "unreadable record", "%s", bp_last_error());
    return;
  }
  const char *path = info.builtin ? "(built in)" : info.path;
  if (info.state == BP_PLUGIN_REJECTED) {
    explain_rejection(d, path, info.reason);
    return;
  }
  if (info.state == BP_PLUGIN_UNLOADED) {
    problem(d, "unloaded", "%s: %s", path, info.reason);
    return;
  }
  char abi[32];
  if (info.device_count == 0) {
    problem(d, "zero devices", "plugin %s loaded but %s", info.name,
            info.reason[0] ? info.reason : "it reports no devices");
    char upper[32];
    size_t n = 0;
    for (; info.name[n] && n < sizeof(upper) - 1; ++n)
      upper[n] = (char)(info.name[n] >= 'a' && info.name[n] <= 'z' ? info.name[n] - 32 : info.name[n]);
    upper[n] = '\0';
    fix("its device_count returned 0; what it logged says why (driver not running, no "
        "hardware, an option BP_%s_<KEY>); BP_LOG=debug shows every line it logs",
        upper);
    return;
  }
  printf("    OK loaded %s %s (vendor %s, ABI %s), %u device%s:", info.name, info.version,
         info.vendor[0] ? info.vendor : "-", bpcli_format_abi(abi, sizeof(abi), info.abi_version),
         (unsigned)info.device_count, info.device_count == 1 ? "" : "s");
  for (size_t i = 0; i < bp_device_count(); ++i) {
    bp_device_t *dev = bp_device_at(i);
    if (dev && bp_device_plugin(dev) == plugin) printf(" %s", bp_device_name(dev));
  }
  printf("\n");
}

/* Diagnoses the plugin file at path: the runtime's record if the search
 * found it, else loads it now. */
static void diagnose_path(doctor_t *d, const char *path) {
  if (!check_file(d, path)) return;
  bp_plugin_t *plugin = record_of(path);
  if (!plugin) {
    size_t before = bp_plugin_count();
    bp_plugin_load(path, &plugin); /* rejections leave a record too */
    if (!plugin && bp_plugin_count() > before) plugin = bp_plugin_at(bp_plugin_count() - 1);
  }
  if (!plugin) {
    problem(d, "not loadable", "%s", bp_last_error());
    return;
  }
  explain_record(d, plugin);
}

/* ---- the report ---- */

static void print_environment(const doctor_t *d) {
  printf("Environment (docs/devices.md):\n");
  for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); ++i) {
    const char *v = getenv(env_vars[i].name);
    printf("  %-16s %-24s %s\n", env_vars[i].name, v ? v : "(unset)", env_vars[i].meaning);
  }
  printf("\nPlugin folders, searched in this order:\n");
  for (int i = 0; i < d->num_folders; ++i) {
    struct stat st;
    bool ok = stat(d->folders[i], &st) == 0 && S_ISDIR(st.st_mode);
    printf("  %d. %s%s%s\n", i + 1, d->folders[i],
           i == d->num_folders - 1 ? "  (the install's plugin folder)" : "  (BP_PLUGIN_PATH)",
           ok ? "" : "  -- does not exist");
  }
  printf("\n");
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every file in one folder: plugins get a verdict, others a note. */
static void walk_folder(doctor_t *d, const char *folder) {
  DIR *dir = opendir(folder);
  if (!dir) return;
  char *names[1024];
  size_t count = 0;
  struct dirent *e;
  while ((e = readdir(dir)) != NULL && count < 1024)
    if (e->d_name[0] != '.') names[count++] = strdup(e->d_name);
  closedir(dir);
  qsort(names, count, sizeof(names[0]), compare_names);
  printf("%s:\n", folder);
  if (!count) printf("  (empty)\n");
  size_t others = 0;
  for (size_t i = 0; i < count; ++i) {
    char path[PATH_MAX], name[256], why[256];
    snprintf(path, sizeof(path), "%s/%s", folder, names[i]);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
      ++others; /* sub-folders are not searched */
    } else if (!is_plugin_file_name(names[i])) {
      /* Only what looks like a try at a plugin; the rest is counted. */
      if (strstr(names[i], ".so") || !strncmp(names[i], "libbp", 5) || !strncmp(names[i], "bp_", 3))
        printf("  %s  (ignored: not named libbp_<name>.so)\n", names[i]);
      else
        ++others;
    } else if (name_of_file(names[i], name, sizeof(name)), filtered_out(name, why, sizeof(why))) {
      printf("  %s  (skipped: %s)\n", names[i], why);
    } else {
      printf("  %s\n", names[i]);
      bp_plugin_t *plugin = record_of(path);
      if (plugin) explain_record(d, plugin);
      else diagnose_path(d, path);
    }
    free(names[i]);
  }
  if (others)
    printf("  (%zu other file%s and folders: not plugins, not searched)\n", others,
           others == 1 ? "" : "s");
  printf("\n");
}

/* PLUGIN given by name: where would the search find it? */
static void diagnose_name(doctor_t *d, const char *name) {
  char why[256];
  printf("%s:\n", name);
  bool found = false;
  for (int i = 0; i < d->num_folders && !found; ++i) {
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/libbp_%s.so", d->folders[i], name);
    struct stat st;
    if (stat(path, &st) != 0) continue;
    found = true;
    printf("  %s\n", path);
    if (filtered_out(name, why, sizeof(why))) {
      problem(d, "filtered out", "%s, so the search does not load it", why);
      fix("unset BP_PLUGINS, or add %s to it (BP_PLUGINS=%s,...)", name, name);
      printf("    (checking the file anyway)\n");
    }
    diagnose_path(d, path);
  }
  if (found) return;
  /* Built in, or loaded some other way. */
  for (size_t i = 0; i < bp_plugin_count(); ++i) {
    bp_plugin_info_t info = {.struct_size = sizeof(info)};
    if (!bp_plugin_query_info(bp_plugin_at(i), &info) && !strcmp(info.name, name)) {
      printf("  %s\n", info.builtin ? "(built in)" : info.path);
      explain_record(d, bp_plugin_at(i));
      return;
    }
  }
  problem(d, "file not found", "no libbp_%s.so in any plugin folder (listed above)", name);
  fix("put the folder that holds libbp_%s.so in BP_PLUGIN_PATH (colon-separated), "
      "or install it into the install's plugin folder; or run bp doctor PATH", name);
}

static void check_default_device(doctor_t *d) {
  bp_device_t *dev = NULL;
  printf("Default device: ");
  if (bp_device_get_default(&dev) == BP_STATUS_OK) {
    printf("%s%s\n", bp_device_name(dev), getenv("BP_DEVICE") ? " (BP_DEVICE)" : "");
    return;
  }
  printf("none\n");
  problem(d, "bad BP_DEVICE", "%s", bp_last_error());
  fix("set BP_DEVICE to one of the devices `bp devices` lists (NAME:INDEX), or unset it");
}

int bpcli_cmd_doctor(int argc, char **argv) {
  const char *target = NULL;
  for (int i = 1; i < argc; ++i) {
    if (bpcli_is_help(argv[i])) {
      fputs(usage, stdout);
      return BPCLI_EXIT_OK;
    }
    if (argv[i][0] == '-') return bpcli_usage_error(usage, "doctor: unknown option '%s'", argv[i]);
    if (target) return bpcli_usage_error(usage, "doctor: unexpected argument '%s'", argv[i]);
    target = argv[i];
  }
  doctor_t d = {0};
  collect_folders(&d);
  printf("Backplane %s, plugin ABI %u.%u\n\n", BP_VERSION_STRING, (unsigned)BP_ABI_VERSION_MAJOR,
         (unsigned)BP_ABI_VERSION_MINOR);
  print_environment(&d);
  fflush(stdout);
  /* Every rejection is explained below; the runtime's own warnings would
   * only repeat them. */
  if (!getenv("BP_LOG")) setenv("BP_LOG", "error", 1);
  if (!bpcli_runtime_start()) return BPCLI_EXIT_FAILURE;
  if (!target) {
    for (int i = 0; i < d.num_folders; ++i) walk_folder(&d, d.folders[i]);
  } else if (strchr(target, '/') || strstr(target, ".so")) {
    printf("%s:\n", target);
    diagnose_path(&d, target);
    printf("\n");
  } else {
    diagnose_name(&d, target);
    printf("\n");
  }
  check_default_device(&d);
  if (d.problems)
    printf("\n%d problem%s found.\n", d.problems, d.problems == 1 ? "" : "s");
  else
    printf("\nNo problems found.\n");
  for (int i = 0; i < d.num_folders; ++i) free(d.folders[i]);
  return d.problems ? BPCLI_EXIT_FAILURE : BPCLI_EXIT_OK;
}
