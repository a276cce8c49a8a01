/* bp_loader.c - finding plugin files and loading them with dlopen.
 *
 * Search order (docs/devices.md): every folder of BP_PLUGIN_PATH
 * (colon-separated, empty entries ignored, so the current directory is
 * never searched implicitly), then the install's plugin folder: the folder
 * "backplane/plugins" beside libbackplane itself, which works in the build
 * tree and in any install prefix. A plugin file is named libbp_<name>.so;
 * files are loaded in name order per folder. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bp_internal.h"

static bp_plugin_t *new_record(const char *path) {
  bp_plugin_t *p = calloc(1, sizeof(*p));
  if (!p) return NULL;
  p->path = strdup(path);
  if (!p->path) {
    free(p);
    return NULL;
  }
  p->state = BP_PLUGIN_REJECTED;
  return p;
}

/* A library cut short (an interrupted copy) would make dlopen map pages
 * past the end of the file, and the first touch of them kills the process
 * with SIGBUS. Checks that every loadable segment of a native ELF file lies
 * within it; true (with why) when it does not. Other files go to dlopen,
 * which explains them. */
static bool elf_truncated(const char *path, uint64_t file_size, char *why, size_t why_size) {
  FILE *f = fopen(path, "rb");
  if (!f) return false;
  Elf64_Ehdr eh;
  bool truncated = false;
  uint64_t need = 0;
  if (fread(&eh, 1, sizeof(eh), f) == sizeof(eh) && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
      eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr)) {
    need = eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr);
    for (uint16_t i = 0; i < eh.e_phnum && need <= file_size; ++i) {
      Elf64_Phdr ph;
      if (fseek(f, (long)(eh.e_phoff + (uint64_t)i * sizeof(ph)), SEEK_SET) != 0 ||
          fread(&ph, 1, sizeof(ph), f) != sizeof(ph))
        break;
      if (ph.p_type == PT_LOAD && ph.p_offset + ph.p_filesz > need) need = ph.p_offset + ph.p_filesz;
    }
    truncated = need > file_size;
  }
  fclose(f);
  if (truncated)
    snprintf(why, why_size, "not a shared library: truncated (the file has %llu bytes, its "
             "segments need %llu)", (unsigned long long)file_size, (unsigned long long)need);
  return truncated;
}

bp_status_t bp_loader_load_file(bp_runtime_t *rt, const char *path, bp_plugin_t **out_plugin) {
  bp_plugin_t *p = new_record(path);
  if (!p) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "bp_plugin_load: out of host memory");
  bp_status_t status = BP_STATUS_OK;
  struct stat st;
  if (stat(path, &st) != 0) {
    snprintf(p->reason, sizeof(p->reason), "file not found");
    status = bp_fail(BP_STATUS_NOT_FOUND, "plugin %s rejected: file not found", path);
  } else if (!S_ISREG(st.st_mode)) {
    snprintf(p->reason, sizeof(p->reason), "not a regular file");
    status = bp_fail(BP_STATUS_INVALID_ARGUMENT, "plugin %s rejected: not a regular file", path);
  }
  if (status == BP_STATUS_OK && elf_truncated(path, (uint64_t)st.st_size, p->reason,
                                               sizeof(p->reason)))
    status = bp_fail(BP_STATUS_INVALID_ARGUMENT, "plugin %s rejected: %s", path, p->reason);
  if (status == BP_STATUS_OK) {
    dlerror();
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char *why = dlerror();
      snprintf(p->reason, sizeof(p->reason), "dlopen failed: %s", why ? why : "unknown error");
      status = bp_fail(BP_STATUS_UNAVAILABLE, "plugin %s rejected: %s", path, p->reason);
    } else {
      p->dl_handle = handle;
      dlerror();
      void *sym = dlsym(handle, BP_PLUGIN_ENTRY_SYMBOL);
      if (!sym) {
        snprintf(p->reason, sizeof(p->reason),
                 "entry symbol %s not found (export it with BP_PLUGIN_EXPORT) (ABI-1)",
                 BP_PLUGIN_ENTRY_SYMBOL);
        status = bp_fail(BP_STATUS_NOT_FOUND, "plugin %s rejected: %s", path, p->reason);
      } else {
        bp_plugin_query_fn_t query;
        memcpy(&query, &sym, sizeof(query));
        status = bp_plugin_activate(p, query);
      }
    }
  }
  /* One plugin per name: a second file with the same name is refused. The
   * check and the listing happen under one lock, so two threads loading the
   * same plugin cannot both win. */
  pthread_mutex_lock(&rt->lock);
  if (status == BP_STATUS_OK) {
    for (size_t i = 0; i < rt->plugin_count; ++i) {
      const bp_plugin_t *other = rt->plugins[i];
      if (other->state == BP_PLUGIN_LOADED && !strcmp(other->name, p->name)) {
        snprintf(p->reason, sizeof(p->reason), "a plugin named '%s' is already loaded from %s",
                 p->name, other->builtin ? "(built in)" : other->path);
        status = bp_fail(BP_STATUS_FAILED_PRECONDITION, "plugin %s rejected: %s", path,
                         p->reason);
        break;
      }
    }
    if (status != BP_STATUS_OK) {
      bp_plugin_deactivate(p);
      p->device_count = 0;
      p->state = BP_PLUGIN_REJECTED;
    }
  }
  /* Keep the record (loaded or rejected) so `bp devices` can show it. */
  bp_status_t add = bp_runtime_add_plugin_locked(rt, p);
  pthread_mutex_unlock(&rt->lock);
  if (status != BP_STATUS_OK) {
    if (p->dl_handle) {
      dlclose(p->dl_handle);
      p->dl_handle = NULL;
    }
    bp_log(BP_LOG_WARN, "%s", bp_last_error());
  } else {
    bp_log(BP_LOG_INFO, "loaded plugin %s from %s (%u devices)", p->name, path, p->device_count);
  }
  char saved[1024];
  snprintf(saved, sizeof(saved), "%s", bp_last_error());
  if (add != BP_STATUS_OK) {
    if (status == BP_STATUS_OK) bp_plugin_deactivate(p);
    if (p->dl_handle) dlclose(p->dl_handle);
    bp_plugin_free(p);
    return add;
  }
  if (status != BP_STATUS_OK) return bp_fail(status, "%s", saved);
  if (out_plugin) *out_plugin = p;
  return BP_STATUS_OK;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool is_plugin_file_name(const char *name) {
  size_t n = strlen(name);
  return n > strlen("libbp_.so") && !strncmp(name, "libbp_", 6) && !strcmp(name + n - 3, ".so");
}

/* BP_PLUGINS filters the plugins found in folders (not bp_plugin_load):
 * unset or empty loads all; "none" loads none; otherwise a comma-separated
 * list of names to load, or of "-name" entries to skip (docs/devices.md). */
static bool plugin_allowed(const char *file_name) {
  const char *filter = getenv("BP_PLUGINS");
  if (!filter || !*filter) return true;
  if (!strcmp(filter, "none")) return false;
  char name[64];
  size_t n = strlen(file_name) - strlen("libbp_") - strlen(".so");
  snprintf(name, sizeof(name), "%.*s", (int)n, file_name + strlen("libbp_"));
  bool any_allow = false, allowed = false;
  const char *p = filter;
  while (*p) {
    size_t len = strcspn(p, ",");
    bool deny = *p == '-';
    const char *entry = deny ? p + 1 : p;
    size_t elen = deny ? len - 1 : len;
    bool match = elen == strlen(name) && !strncmp(entry, name, elen);
    if (deny && match) return false;
    if (!deny) {
      any_allow = true;
      allowed = allowed || match;
    }
    p += len;
    if (*p == ',') ++p;
  }
  return !any_allow || allowed;
}

static void scan_folder(bp_runtime_t *rt, const char *folder) {
  DIR *dir = opendir(folder);
  if (!dir) {
    bp_log(BP_LOG_DEBUG, "plugin folder %s: cannot open", folder);
    return;
  }
  char **names = NULL;
  size_t count = 0, capacity = 0;
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL) {
    if (!is_plugin_file_name(entry->d_name)) continue;
    if (!plugin_allowed(entry->d_name)) {
      bp_log(BP_LOG_INFO, "plugin %s/%s skipped: BP_PLUGINS=%s", folder, entry->d_name,
             getenv("BP_PLUGINS"));
      continue;
    }
    if (count == capacity) {
      capacity = capacity ? capacity * 2 : 8;
      char **grown = realloc(names, sizeof(char *) * capacity);
      if (!grown) break;
      names = grown;
    }
    names[count] = strdup(entry->d_name);
    if (names[count]) ++count;
  }
  closedir(dir);
  if (count) qsort(names, count, sizeof(char *), compare_names);
  for (size_t i = 0; i < count; ++i) {
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/%s", folder, names[i]) < (int)sizeof(path))
      bp_loader_load_file(rt, path, NULL);
    free(names[i]);
  }
  free(names);
  bp_clear_error();
}

/* The folder holding libbackplane itself, found through dladdr. */
static bool library_folder(char *out, size_t size) {
  Dl_info info;
  if (!dladdr((void *)&bp_loader_scan, &info) || !info.dli_fname) return false;
  char copy[PATH_MAX];
  if (!realpath(info.dli_fname, copy)) return false;
  snprintf(out, size, "%s", dirname(copy));
  return true;
}

void bp_loader_scan(bp_runtime_t *rt) {
  const char *env = getenv("BP_PLUGIN_PATH");
  if (env && *env) {
    char *copy = strdup(env);
    char *save = NULL;
    for (char *folder = copy ? strtok_r(copy, ":", &save) : NULL; folder;
         folder = strtok_r(NULL, ":", &save))
      scan_folder(rt, folder);
    free(copy);
  }
  char lib[PATH_MAX - 32];
  if (library_folder(lib, sizeof(lib))) {
    char folder[PATH_MAX];
    snprintf(folder, sizeof(folder), "%s/backplane/plugins", lib);
    scan_folder(rt, folder);
  }
}
