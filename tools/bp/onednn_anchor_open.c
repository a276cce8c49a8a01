/* onednn_anchor_open.c - finds and opens libbp_onednn_anchor.so for
 * `bp bench ops --device onednn:0` (see onednn_anchor.h). */
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "onednn_anchor.h"

#ifndef BPCLI_INSTALL_LIBDIR
#define BPCLI_INSTALL_LIBDIR "lib"
#endif
#define ANCHOR_FILE "libbp_onednn_anchor.so"

static bool load_sym(void *dl, const char *name, void *fn_storage, char *err, size_t err_size) {
  void *sym = dlsym(dl, name);
  if (!sym) {
    snprintf(err, err_size, "%s lacks %s", ANCHOR_FILE, name);
    return false;
  }
  memcpy(fn_storage, &sym, sizeof(sym));
  return true;
}

bool bpcli_onednn_anchor_open(bpcli_onednn_anchor_t *anchor, char *err, size_t err_size) {
  char dir[4096], path[4200];
  ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
  char *slash = n > 0 ? (dir[n] = '\0', strrchr(dir, '/')) : NULL;
  if (!slash) {
    snprintf(err, err_size, "cannot find the bp executable's folder");
    return false;
  }
  *slash = '\0';
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
    snprintf(err, err_size, "%s",
             why[0] ? why : "module " ANCHOR_FILE " not found next to bp (built with the oneDNN backend)");
    return false;
  }
  bpcli_onednn_anchor_t a;
  if (!load_sym(dl, "bpcli_onednn_version", &a.version, err, err_size) ||
      !load_sym(dl, "bpcli_onednn_threads", &a.threads, err, err_size) ||
      !load_sym(dl, "bpcli_onednn_matmul", &a.matmul, err, err_size) ||
      !load_sym(dl, "bpcli_onednn_conv2d", &a.conv2d, err, err_size) ||
      !load_sym(dl, "bpcli_onednn_softmax", &a.softmax, err, err_size) ||
      !load_sym(dl, "bpcli_onednn_layer_norm", &a.layer_norm, err, err_size))
    return false; /* stays open: oneDNN's threads outlive a dlclose */
  *anchor = a;
  return true;
}
