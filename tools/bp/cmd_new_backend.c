/*
 * cmd_new_backend.c - `bp new-backend NAME [DIR]`: writes a complete
 * out-of-tree plugin project (CMakeLists.txt that finds the installed SDK,
 * a host-memory plugin with every required entry and one kernel, a README
 * of next steps, a known-failures file) from the templates embedded in bp
 * (bp_templates.h). Nothing is read from the source tree at run time.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bp_cli.h"
#include "bp_templates.h"

static const char usage[] =
    "usage: bp new-backend NAME [DIR] [--force]\n"
    "\n"
    "Writes a new out-of-tree backend project for a plugin called NAME into DIR\n"
    "(default: ./NAME): CMakeLists.txt (finds the installed SDK with\n"
    "find_package(Backplane)), src/NAME.c (a working host-memory device with\n"
    "every required ABI entry and an example add kernel for f32; every other op\n"
    "falls back to ref:0), README.md (what to do next) and\n"
    "known-failures/NAME.txt. It builds, loads and passes `bp conformance` as\n"
    "generated.\n"
    "\n"
    "NAME is the plugin's name: [a-z][a-z0-9_]*, at most 31 characters (its\n"
    "devices are NAME:0, ...; the library libbp_NAME.so).\n"
    "\n"
    "options:\n"
    "  --force     overwrite files that already exist in DIR\n"
    "  -h, --help  show this help\n"
    "\n"
    "Then: cmake -S DIR -B DIR/build -DCMAKE_PREFIX_PATH=<Backplane prefix>\n"
    "      cmake --build DIR/build && BP_PLUGIN_PATH=DIR/build bp devices\n"
    "Exit status: 0 written, 1 a file could not be written, 2 usage error\n"
    "(a bad NAME included).\n";

/* Output file of each template; "%s" is the backend's name. */
static const struct {
  const char *template_name;
  const char *path;
} outputs[] = {
    {"CMakeLists.txt.in", "CMakeLists.txt"},
    {"plugin.c.in", "src/%s.c"},
    {"README.md.in", "README.md"},
    {"known-failures.txt.in", "known-failures/%s.txt"},
    {"gitignore.in", ".gitignore"},
};
#define NUM_OUTPUTS (sizeof(outputs) / sizeof(outputs[0]))

/* NULL when NAME is a valid plugin name (ABI-18), else why not. */
static const char *name_problem(const char *name, char *buf, size_t size) {
  size_t n = strlen(name);
  if (n == 0) return "it is empty";
  if (n > 31) {
    snprintf(buf, size, "it has %zu characters; at most 31", n);
    return buf;
  }
  if (!islower((unsigned char)name[0])) {
    snprintf(buf, size, "it must start with a lower-case letter a-z, not '%c'", name[0]);
    return buf;
  }
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = (unsigned char)name[i];
    if (!(islower(c) || isdigit(c) || c == '_')) {
      snprintf(buf, size, "character %zu ('%c') is not a-z, 0-9 or _", i + 1, c);
      return buf;
    }
  }
  if (!strcmp(name, "ref")) return "'ref' is the built-in reference backend";
  return NULL;
}

static const bpcli_template_t *find_template(const char *name) {
  for (size_t i = 0; i < bpcli_template_count; ++i)
    if (!strcmp(bpcli_templates[i].name, name)) return &bpcli_templates[i];
  return NULL;
}

/* Creates every folder of path (like mkdir -p); false with errno set. */
static bool make_dirs(const char *path) {
  char buf[4096];
  if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
    errno = ENAMETOOLONG;
    return false;
  }
  for (char *p = buf + 1; *p; ++p) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) return false;
    *p = '/';
  }
  return mkdir(buf, 0777) == 0 || errno == EEXIST;
}

/* Writes the template with its placeholders substituted. */
static bool write_template(FILE *out, const bpcli_template_t *t, const char *name,
                           const char *upper) {
  char abi[16];
  snprintf(abi, sizeof(abi), "%u.%u", (unsigned)BP_ABI_VERSION_MAJOR,
           (unsigned)BP_ABI_VERSION_MINOR);
  const struct { const char *key; const char *value; } vars[] = {
      {"{{name}}", name}, {"{{NAME}}", upper},
      {"{{bp_version}}", BP_VERSION_STRING}, {"{{abi_version}}", abi}};
  const char *p = t->data, *end = t->data + t->size;
  while (p < end) {
    size_t i = 0;
    for (; i < sizeof(vars) / sizeof(vars[0]); ++i) {
      size_t klen = strlen(vars[i].key);
      if ((size_t)(end - p) >= klen && !memcmp(p, vars[i].key, klen)) {
        fputs(vars[i].value, out);
        p += klen;
        break;
      }
    }
    if (i == sizeof(vars) / sizeof(vars[0])) fputc(*p++, out);
  }
  return !ferror(out);
}

int bpcli_cmd_new_backend(int argc, char **argv) {
  const char *name = NULL, *dir = NULL;
  bool force = false;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (bpcli_is_help(a)) {
      fputs(usage, stdout);
      return BPCLI_EXIT_OK;
    }
    if (!strcmp(a, "--force")) force = true;
    else if (a[0] == '-' && a[1]) return bpcli_usage_error(usage, "new-backend: unknown option '%s'", a);
    else if (!name) name = a;
    else if (!dir) dir = a;
    else return bpcli_usage_error(usage, "new-backend: unexpected argument '%s'", a);
  }
  if (!name) return bpcli_usage_error(usage, "new-backend: which NAME? (e.g. bp new-backend acme)");
  char why[128];
  const char *problem = name_problem(name, why, sizeof(why));
  if (problem)
    return bpcli_usage_error(usage,
                             "new-backend: '%s' cannot be a plugin name: %s. Use [a-z][a-z0-9_]*, "
                             "at most 31 characters, e.g. 'acme' or 'acme_npu'",
                             name, problem);
  if (!dir) dir = name;
  char upper[32];
  size_t n = strlen(name);
  for (size_t i = 0; i <= n; ++i) upper[i] = (char)toupper((unsigned char)name[i]);

  /* Refuse to overwrite anything unless asked, before writing anything. */
  char paths[NUM_OUTPUTS][4096];
  for (size_t i = 0; i < NUM_OUTPUTS; ++i) {
    char rel[256];
    snprintf(rel, sizeof(rel), outputs[i].path, name);
    if (snprintf(paths[i], sizeof(paths[i]), "%s/%s", dir, rel) >= (int)sizeof(paths[i])) {
      fprintf(stderr, "bp new-backend: the path %s/%s is too long\n", dir, rel);
      return BPCLI_EXIT_FAILURE;
    }
    struct stat st;
    if (!force && stat(paths[i], &st) == 0) {
      fprintf(stderr, "bp new-backend: %s already exists; choose another DIR or pass --force\n",
              paths[i]);
      return BPCLI_EXIT_FAILURE;
    }
  }
  for (size_t i = 0; i < NUM_OUTPUTS; ++i) {
    const bpcli_template_t *t = find_template(outputs[i].template_name);
    if (!t) {
      fprintf(stderr, "bp new-backend: template %s is missing from this bp build\n",
              outputs[i].template_name);
      return BPCLI_EXIT_FAILURE;
    }
    char folder[4096];
    snprintf(folder, sizeof(folder), "%s", paths[i]);
    char *slash = strrchr(folder, '/');
    if (slash) *slash = '\0';
    if (!make_dirs(folder)) {
      fprintf(stderr, "bp new-backend: cannot create the folder %s: %s\n", folder, strerror(errno));
      return BPCLI_EXIT_FAILURE;
    }
    FILE *out = fopen(paths[i], "w");
    if (!out) {
      fprintf(stderr, "bp new-backend: cannot write %s: %s\n", paths[i], strerror(errno));
      return BPCLI_EXIT_FAILURE;
    }
    bool ok = write_template(out, t, name, upper);
    if (fclose(out) != 0 || !ok) {
      fprintf(stderr, "bp new-backend: writing %s failed: %s\n", paths[i], strerror(errno));
      return BPCLI_EXIT_FAILURE;
    }
  }
  printf("Wrote the %s backend to %s/:\n", name, dir);
  for (size_t i = 0; i < NUM_OUTPUTS; ++i) printf("  %s\n", paths[i]);
  printf("\nNext:\n"
         "  cmake -S %s -B %s/build -DCMAKE_PREFIX_PATH=<Backplane install prefix>\n"
         "  cmake --build %s/build\n"
         "  BP_PLUGIN_PATH=%s/build bp devices       # lists %s:0\n"
         "  BP_PLUGIN_PATH=%s/build bp doctor %s     # why not, if it does not\n"
         "  bp conformance --plugin %s/build/libbp_%s.so --known-failures %s/known-failures/%s.txt\n"
         "then read %s/README.md.\n",
         dir, dir, dir, dir, name, dir, name, dir, name, dir, name, dir);
  return BPCLI_EXIT_OK;
}
