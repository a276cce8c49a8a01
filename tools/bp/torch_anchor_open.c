/* torch_anchor_open.c - finds and opens libbp_torch_anchor.so for
 * `bp bench` (see torch_anchor.h). */
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "torch_anchor.h"

#ifndef BPCLI_INSTALL_LIBDIR
#define BPCLI_INSTALL_LIBDIR "lib"
#endif
#define ANCHOR_FILE "libbp_torch_anchor.so"

/* The folder of the running executable, or false. */
static bool exe_dir(char *buf, size_t size) {
  ssize_t n = readlink("/proc/self/exe", buf, size - 1);
  if (n <= 0) return false;
  buf[n] = '\0';
  char *slash = strrchr(buf, '/');
  if (!slash) return false;
  *slash = '\0';
  return true;
}

/* Stores dlsym's answer in a function pointer (POSIX: same representation;
 * memcpy keeps it clear of the aliasing rules). */
static bool load_sym(void *dl, const char *name, void *fn_storage, char *err, size_t err_size) {
  void *sym = dlsym(dl, name);
  if (!sym) {
    snprintf(err, err_size, "%s lacks %s", ANCHOR_FILE, name);
    return false;
  }
  memcpy(fn_storage, &sym, sizeof(sym));
  return true;
}

bool bpcli_torch_anchor_open(bpcli_torch_anchor_t *anchor, char *err, size_t err_size) {
  char dir[4096], path[4200];
  if (!exe_dir(dir, sizeof(dir))) {
    snprintf(err, err_size, "cannot find the bp executable's folder");
    return false;
  }
  /* The build tree keeps lib/; an install uses its libdir (lib64, ...). */
  static const char *const libdirs[] = {"lib", BPCLI_INSTALL_LIBDIR};
  void *dl = NULL;
  const char *why = "";
  for (size_t i = 0; i < sizeof(libdirs) / sizeof(libdirs[0]) && !dl; ++i) {
    snprintf(path, sizeof(path), "%s/../%s/backplane/%s", dir, libdirs[i], ANCHOR_FILE);
    if (access(path, F_OK) != 0) continue;
    dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) why = dlerror();
  }
  if (!dl) {
    snprintf(err, err_size, "%s%s", why[0] ? "" : "module " ANCHOR_FILE " not found next to bp",
             why);
    return false;
  }
  bpcli_torch_anchor_t a;
  if (!load_sym(dl, "bpcli_torch_version", &a.version, err, err_size) ||
      !load_sym(dl, "bpcli_torch_create", &a.create, err, err_size) ||
      !load_sym(dl, "bpcli_torch_free", &a.free, err, err_size) ||
      !load_sym(dl, "bpcli_torch_add_loop", &a.add_loop, err, err_size) ||
      !load_sym(dl, "bpcli_torch_add_out_loop", &a.add_out_loop, err, err_size))
    return false; /* dl stays open: closing libtorch is not safe */
  a.dl = dl;
  *anchor = a;
  return true;
}
