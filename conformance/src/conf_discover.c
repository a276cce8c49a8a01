/* conf_discover.c - which plugins to test, and what each one claims.
 *
 * Both steps run in child processes, so the parent never starts the
 * Backplane runtime (it forks workers later) and a plugin that crashes in
 * init cannot take the suite down:
 *   - listing: the child starts the runtime and lists every plugin it saw
 *     (loaded or rejected), for --backend NAME and for the no-argument run;
 *   - direct discovery: the child drives the plugin through the raw ABI
 *     (conf_host.c) and reports its table, registrations and device
 *     properties. Cases are generated from these claims; none is trusted. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf_host.h"

#define DISCOVERY_TIMEOUT_S 60

typedef void (*child_fn_t)(int fd, void *arg);

static void out_line(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_line(int fd, const char *fmt, ...) {
  char buf[8192];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if (n < 0) return;
  size_t len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
  const char *p = buf;
  while (len) {
    ssize_t w = write(fd, p, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    len -= (size_t)w;
  }
}

/* Runs fn in a child; returns what it wrote (malloc'd, NUL-terminated) or
 * NULL with a reason in err. */
static char *capture_child(child_fn_t fn, void *arg, char *err, size_t n) {
  int fds[2];
  if (pipe(fds)) {
    snprintf(err, n, "pipe: %s", strerror(errno));
    return NULL;
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(err, n, "fork: %s", strerror(errno));
    close(fds[0]);
    close(fds[1]);
    return NULL;
  }
  if (pid == 0) {
    close(fds[0]);
    setenv("BP_LOG", "error", 1);
    fn(fds[1], arg);
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  double deadline = conf_now() + DISCOVERY_TIMEOUT_S;
  bool timed_out = false;
  for (;;) {
    int left_ms = (int)((deadline - conf_now()) * 1000);
    if (left_ms <= 0) {
      timed_out = true;
      break;
    }
    struct pollfd p = {.fd = fds[0], .events = POLLIN};
    int pr = poll(&p, 1, left_ms);
    if (pr < 0 && errno == EINTR) continue;
    if (pr == 0) continue;
    if (len + 4096 > cap) {
      char *grown = realloc(buf, cap *= 2);
      if (!grown) break;
      buf = grown;
    }
    ssize_t r = read(fds[0], buf + len, cap - len - 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    len += (size_t)r;
  }
  close(fds[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  buf[len] = '\0';
  if (timed_out) {
    snprintf(err, n, "timed out after %d s", DISCOVERY_TIMEOUT_S);
  } else if (WIFSIGNALED(status)) {
    snprintf(err, n, "crashed (signal %d, %s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
  } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    snprintf(err, n, "exited with status %d", WEXITSTATUS(status));
  } else {
    err[0] = '\0';
  }
  return buf;
}

/* ---- listing through the runtime ---- */

static void list_child(int fd, void *arg) {
  (void)arg;
  if (bp_init() != BP_STATUS_OK) {
    out_line(fd, "E\t%s\n", bp_last_error());
    return;
  }
  for (size_t i = 0; i < bp_plugin_count(); ++i) {
    bp_plugin_info_t info = {.struct_size = sizeof(info)};
    if (bp_plugin_query_info(bp_plugin_at(i), &info) != BP_STATUS_OK) continue;
    const char *state = info.state == BP_PLUGIN_LOADED     ? "loaded"
                        : info.state == BP_PLUGIN_REJECTED ? "rejected"
                                                           : "unloaded";
    out_line(fd, "P\t%s\t%d\t%s\t%s\t%s\n", state, info.builtin, info.name, info.path,
             info.reason);
  }
}

/* ---- direct discovery ---- */

static void hex(char *out, const void *p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  const unsigned char *b = p;
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[b[i] >> 4];
    out[2 * i + 1] = digits[b[i] & 15];
  }
  out[2 * n] = '\0';
}

static void unhex(void *p, const char *s, size_t n) {
  unsigned char *b = p;
  for (size_t i = 0; i < n && s[2 * i] && s[2 * i + 1]; ++i) {
    char two[3] = {s[2 * i], s[2 * i + 1], 0};
    b[i] = (unsigned char)strtoul(two, NULL, 16);
  }
}

static void direct_child(int fd, void *arg) {
  const conf_target_t *t = arg;
  conf_session_t s;
  char err[512] = "";
  if (conf_session_load(&s, t, err, sizeof(err))) {
    out_line(fd, "E\t%s\n", err);
    return;
  }
  conf_host_init(&s.host, BP_ABI_VERSION);
  bp_status_t st = s.query(&s.host.table.v1, BP_ABI_VERSION, &s.api);
  if (st != BP_STATUS_OK || !s.api) {
    out_line(fd, "E\tbp_plugin_query(host 1.0) returned %s (ABI-2)\n", bp_status_name(st));
    return;
  }
  const bp_plugin_api_t *api = s.api;
  out_line(fd, "V\t%u\t%u\n", api->abi_version, api->struct_size);
  if (api->struct_size >= offsetof(bp_plugin_api_t, init))
    out_line(fd, "N\t%s\t%s\t%s\n", api->name ? api->name : "", api->version ? api->version : "",
             api->vendor ? api->vendor : "");
  if (!conf_api_usable(api, err, sizeof(err))) {
    out_line(fd, "E\t%s\n", err);
    return;
  }
  s.host.in_init = true;
  st = api->init(&s.host.table.v1, &s.ctx);
  s.host.in_init = false;
  if (st != BP_STATUS_OK) {
    out_line(fd, "E\tinit returned %s: %s\n", bp_status_name(st), conf_host_error());
    return;
  }
  s.inited = true;
  for (uint32_t i = 0; i < s.host.num_kernels; ++i) {
    const conf_kernel_t *k = &s.host.kernels[i];
    char dts[8 * CONF_MAX_SIG] = "";
    for (uint32_t j = 0; j < CONF_MAX_SIG; ++j)
      snprintf(dts + strlen(dts), sizeof(dts) - strlen(dts), "%s%u", j ? "," : "", k->dtypes[j]);
    out_line(fd, "K\t%s\t%u\t%s\t%d\n", k->op, k->num_dtypes, dts, k->has_supports);
  }
  uint32_t count = 0;
  st = api->device_count(s.ctx, &count);
  if (st != BP_STATUS_OK) {
    out_line(fd, "E\tdevice_count returned %s\n", bp_status_name(st));
    conf_session_close(&s);
    return;
  }
  out_line(fd, "C\t%u\n", count);
  for (uint32_t d = 0; d < count && d < CONF_MAX_DEVICES; ++d) {
    bp_device_props_t props;
    memset(&props, 0, sizeof(props));
    props.struct_size = sizeof(props);
    if (api->device_props(s.ctx, d, &props) != BP_STATUS_OK) memset(&props, 0, sizeof(props));
    props.name[sizeof(props.name) - 1] = '\0';
    props.vendor[sizeof(props.vendor) - 1] = '\0';
    char h[2 * sizeof(props) + 1];
    hex(h, &props, sizeof(props));
    out_line(fd, "D\t%u\t%s\n", d, h);
  }
  conf_session_close(&s);
}

/* Splits a tab-separated line in place; returns the field count. */
static int split(char *line, char **f, int max) {
  int n = 0;
  f[n++] = line;
  for (char *p = line; *p && n < max; ++p)
    if (*p == '\t') {
      *p = '\0';
      f[n++] = p + 1;
    }
  return n;
}

static void discover_direct(conf_target_t *t) {
  char err[512];
  char *text = capture_child(direct_child, t, err, sizeof(err));
  if (!text) {
    snprintf(t->discover_error, sizeof(t->discover_error), "%s", err);
    return;
  }
  bool saw_error = false;
  for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    char *f[10];
    int n = split(line, f, 10);
    if (!strcmp(f[0], "E") && n >= 2) {
      snprintf(t->discover_error, sizeof(t->discover_error), "%s", f[1]);
      saw_error = true;
    } else if (!strcmp(f[0], "V") && n >= 3) {
      t->abi_version = (uint32_t)strtoul(f[1], NULL, 10);
      t->struct_size = (uint32_t)strtoul(f[2], NULL, 10);
    } else if (!strcmp(f[0], "N") && n >= 4) {
      if (f[1][0]) snprintf(t->name, sizeof(t->name), "%s", f[1]);
      snprintf(t->version, sizeof(t->version), "%s", f[2]);
      snprintf(t->vendor, sizeof(t->vendor), "%s", f[3]);
    } else if (!strcmp(f[0], "K") && n >= 5) {
      conf_kernel_t *grown = realloc(t->kernels, sizeof(*grown) * (t->num_kernels + 1));
      if (!grown) continue;
      t->kernels = grown;
      conf_kernel_t *k = &t->kernels[t->num_kernels++];
      memset(k, 0, sizeof(*k));
      snprintf(k->op, sizeof(k->op), "%s", f[1]);
      k->num_dtypes = (uint32_t)strtoul(f[2], NULL, 10);
      char *p = f[3];
      for (int i = 0; i < CONF_MAX_SIG && *p; ++i) {
        k->dtypes[i] = (bp_dtype_t)strtoul(p, &p, 10);
        if (*p == ',') ++p;
      }
      k->has_supports = atoi(f[4]) != 0;
    } else if (!strcmp(f[0], "C") && n >= 2) {
      t->device_count = (uint32_t)strtoul(f[1], NULL, 10);
      if (t->device_count > CONF_MAX_DEVICES) t->device_count = CONF_MAX_DEVICES;
    } else if (!strcmp(f[0], "D") && n >= 3) {
      uint32_t d = (uint32_t)strtoul(f[1], NULL, 10);
      if (d < CONF_MAX_DEVICES) unhex(&t->props[d], f[2], sizeof(t->props[d]));
    }
  }
  free(text);
  if (!saw_error && err[0])
    snprintf(t->discover_error, sizeof(t->discover_error), "discovery %s", err);
  t->discovered = !t->discover_error[0];
  if (!t->name[0]) {
    /* Name the target after its file: libbp_<name>.so. */
    const char *base = strrchr(t->path, '/');
    base = base ? base + 1 : t->path;
    if (!strncmp(base, "libbp_", 6)) base += 6;
    snprintf(t->name, sizeof(t->name), "%.*s", (int)strcspn(base, "."), base);
  }
}

/* ---- choosing targets ---- */

static conf_target_t *add_target(conf_suite_t *s) {
  if (s->num_targets >= CONF_MAX_TARGETS) return NULL;
  conf_target_t *t = &s->targets[s->num_targets++];
  memset(t, 0, sizeof(*t));
  return t;
}

int conf_discover(conf_suite_t *s) {
  const conf_options_t *o = &s->opts;
  char dev_name[64] = "";
  int dev_index = -1;
  if (o->device && conf_parse_device(o->device, dev_name, sizeof(dev_name), &dev_index)) {
    fprintf(stderr, "bp conformance: --device %s: expected NAME:INDEX or INDEX\n", o->device);
    return 2;
  }
  const char *want = o->backend ? o->backend : (dev_name[0] ? dev_name : NULL);
  if (o->plugin) {
    conf_target_t *t = add_target(s);
    if (!realpath(o->plugin, t->path)) snprintf(t->path, sizeof(t->path), "%s", o->plugin);
  } else if (want && !strcmp(want, "ref")) {
    conf_target_t *t = add_target(s);
    t->builtin = true;
    snprintf(t->name, sizeof(t->name), "ref");
    snprintf(t->loader_state, sizeof(t->loader_state), "loaded");
  } else {
    char err[512];
    char *text = capture_child(list_child, NULL, err, sizeof(err));
    if (!text || err[0]) {
      fprintf(stderr, "bp conformance: listing plugins failed: %s\n", text ? err : err);
      free(text);
      return 2;
    }
    char seen[2048] = "";
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
      char *f[8];
      int n = split(line, f, 8);
      if (strcmp(f[0], "P") || n < 6) continue;
      const char *state = f[1], *name = f[3], *path = f[4], *reason = f[5];
      bool builtin = atoi(f[2]) != 0;
      size_t used = strlen(seen);
      snprintf(seen + used, sizeof(seen) - used, "%s%s%s", used ? ", " : "",
               name[0] ? name : path, strcmp(state, "loaded") ? " (rejected)" : "");
      if (want && strcmp(name, want)) continue;
      if (!builtin && !path[0]) continue;
      bool dup = false;
      for (int i = 0; i < s->num_targets; ++i)
        dup = dup || (builtin ? s->targets[i].builtin : !strcmp(s->targets[i].path, path));
      if (dup) continue;
      conf_target_t *t = add_target(s);
      if (!t) break;
      t->builtin = builtin;
      snprintf(t->name, sizeof(t->name), "%s", name);
      snprintf(t->path, sizeof(t->path), "%s", path);
      snprintf(t->loader_state, sizeof(t->loader_state), "%s", state);
      snprintf(t->loader_reason, sizeof(t->loader_reason), "%s", reason);
    }
    free(text);
    if (!s->num_targets) {
      fprintf(stderr,
              "bp conformance: no plugin named '%s' (searched BP_PLUGIN_PATH and the install's "
              "plugin folder; seen: %s)\n",
              want ? want : "*", seen[0] ? seen : "none");
      return 2;
    }
  }
  for (int i = 0; i < s->num_targets; ++i) {
    conf_target_t *t = &s->targets[i];
    discover_direct(t);
    for (uint32_t d = 0; d < t->device_count; ++d)
      t->device_selected[d] = dev_index < 0 || (int)d == dev_index;
    if (dev_index >= 0 && t->discovered && (uint32_t)dev_index >= t->device_count) {
      fprintf(stderr, "bp conformance: %s has %u devices; there is no device %d\n", t->name,
              t->device_count, dev_index);
      return 2;
    }
  }
  return 0;
}
