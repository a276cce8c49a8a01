/* conf_options.c - the command line of `bp conformance`. */
#include <stdlib.h>
#include <string.h>

#include "conf_internal.h"

void conf_options_usage(FILE *f) {
  fprintf(f,
          "usage: bp conformance [--backend NAME | --plugin PATH] [--device DEV]\n"
          "                      [--filter GLOB[,GLOB...]] [--tier quick|full] [--seed N]\n"
          "                      [--json FILE] [--junit FILE] [--jobs N] [--timeout SEC]\n"
          "                      [--run-known-failures] [--known-failures FILE]\n"
          "                      [--list] [--verbose]\n"
          "\n"
          "Checks a Backplane plugin against the ABI rules (docs/abi.md) and the\n"
          "reference backend. With no --backend/--plugin it checks every plugin the\n"
          "runtime finds (BP_PLUGIN_PATH, then the install's plugin folder), ref included.\n"
          "\n"
          "  --backend NAME         a plugin the runtime finds by name (\"ref\" for the reference)\n"
          "  --plugin PATH          a plugin file, loaded explicitly\n"
          "  --device DEV           one device: \"NAME:INDEX\" or, with --backend/--plugin, INDEX\n"
          "  --filter GLOB,...      run only cases whose name matches one glob (e.g. 'ops/add/*')\n"
          "  --tier quick|full      quick (default) is what CI runs; full is for certification\n"
          "  --seed N               seed of the generated inputs (default 1); reports record it\n"
          "  --json FILE            write the JSON report\n"
          "  --junit FILE           write a JUnit XML report\n"
          "  --jobs N               run N worker processes at once (default 1)\n"
          "  --timeout SEC          per-case timeout (default 10 quick, 60 full)\n"
          "  --run-known-failures   also run cases listed in known-failures/<backend>.txt;\n"
          "                         one that passes is flagged \"unexpected pass\"\n"
          "  --known-failures FILE  use this list instead of the tree's\n"
          "  --list                 print the cases that would run, and exit\n"
          "  --verbose              print every case, not only failures\n"
          "  --help                 this text\n"
          "\n"
          "Exit status: 0 when no case failed, 1 when one did, 2 on a usage error or when\n"
          "no plugin matched. Guide: docs/conformance.md.\n");
}

static int need(int argc, char **argv, int i) {
  if (i + 1 >= argc) {
    fprintf(stderr, "bp conformance: %s needs a value (see --help)\n", argv[i]);
    return 0;
  }
  return 1;
}

int conf_options_parse(int argc, char **argv, conf_options_t *o) {
  memset(o, 0, sizeof(*o));
  o->tier = CONF_TIER_QUICK;
  o->seed = 1;
  o->jobs = 1;
  o->timeout_s = 0;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    /* --opt=value is accepted too */
    char opt[64];
    const char *val = NULL;
    const char *eq = strchr(a, '=');
    if (!strncmp(a, "--", 2) && eq && (size_t)(eq - a) < sizeof(opt)) {
      snprintf(opt, sizeof(opt), "%.*s", (int)(eq - a), a);
      val = eq + 1;
      a = opt;
    }
#define VALUE() (val ? val : (need(argc, argv, i) ? argv[++i] : NULL))
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      conf_options_usage(stdout);
      return 1;
    } else if (!strcmp(a, "--backend")) {
      if (!(o->backend = VALUE())) return 2;
    } else if (!strcmp(a, "--plugin")) {
      if (!(o->plugin = VALUE())) return 2;
    } else if (!strcmp(a, "--device")) {
      if (!(o->device = VALUE())) return 2;
    } else if (!strcmp(a, "--filter")) {
      if (!(o->filter = VALUE())) return 2;
    } else if (!strcmp(a, "--json")) {
      if (!(o->json_path = VALUE())) return 2;
    } else if (!strcmp(a, "--junit")) {
      if (!(o->junit_path = VALUE())) return 2;
    } else if (!strcmp(a, "--known-failures")) {
      if (!(o->known_failures_path = VALUE())) return 2;
    } else if (!strcmp(a, "--tier")) {
      const char *v = VALUE();
      if (!v) return 2;
      if (!strcmp(v, "quick")) o->tier = CONF_TIER_QUICK;
      else if (!strcmp(v, "full")) o->tier = CONF_TIER_FULL;
      else {
        fprintf(stderr, "bp conformance: --tier %s: expected quick or full\n", v);
        return 2;
      }
    } else if (!strcmp(a, "--seed")) {
      const char *v = VALUE();
      char *end = NULL;
      if (!v) return 2;
      o->seed = strtoull(v, &end, 0);
      if (!*v || *end) {
        fprintf(stderr, "bp conformance: --seed %s: expected a number\n", v);
        return 2;
      }
    } else if (!strcmp(a, "--jobs") || !strcmp(a, "-j")) {
      const char *v = VALUE();
      char *end = NULL;
      if (!v) return 2;
      long n = strtol(v, &end, 10);
      if (!*v || *end || n < 1 || n > 256) {
        fprintf(stderr, "bp conformance: --jobs %s: expected 1..256\n", v);
        return 2;
      }
      o->jobs = (int)n;
    } else if (!strcmp(a, "--timeout")) {
      const char *v = VALUE();
      char *end = NULL;
      if (!v) return 2;
      o->timeout_s = strtod(v, &end);
      if (!*v || *end || o->timeout_s <= 0) {
        fprintf(stderr, "bp conformance: --timeout %s: expected seconds > 0\n", v);
        return 2;
      }
    } else if (!strcmp(a, "--run-known-failures")) {
      o->run_known_failures = true;
    } else if (!strcmp(a, "--list")) {
      o->list_only = true;
    } else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
      o->verbose = true;
    } else {
      fprintf(stderr, "bp conformance: unknown argument '%s' (see --help)\n", argv[i]);
      return 2;
    }
#undef VALUE
  }
  if (o->backend && o->plugin) {
    fprintf(stderr, "bp conformance: give --backend or --plugin, not both\n");
    return 2;
  }
  if (o->timeout_s == 0) o->timeout_s = o->tier == CONF_TIER_FULL ? 60 : 10;
  return 0;
}
