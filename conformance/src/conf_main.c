/* conf_main.c - bp_conformance_main: options, discovery, cases, run,
 * verdicts, reports, exit status. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf_internal.h"

static void free_suite(conf_suite_t *s) {
  for (int t = 0; t < s->num_targets; ++t) free(s->targets[t].kernels);
  free(s->cases);
  free(s);
}

int bp_conformance_main(int argc, char **argv) {
  conf_suite_t *s = calloc(1, sizeof(*s));
  if (!s) return 2;
  int rc = conf_options_parse(argc, argv, &s->opts);
  if (rc) {
    free_suite(s);
    return rc == 1 ? 0 : 2;
  }
  size_t used = (size_t)snprintf(s->command, sizeof(s->command), "bp");
  for (int i = 0; i < argc && used < sizeof(s->command); ++i)
    used += (size_t)snprintf(s->command + used, sizeof(s->command) - used, " %s", argv[i]);
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(s->started_at, sizeof(s->started_at), "%Y-%m-%dT%H:%M:%SZ", &tm);
  double t0 = conf_now();

  if ((rc = conf_discover(s)) != 0) {
    free_suite(s);
    return rc;
  }
  conf_registry_build(s);
  conf_known_failures_apply(s);
  if (s->opts.list_only) {
    for (size_t i = 0; i < s->num_cases; ++i) {
      const conf_case_t *c = &s->cases[i];
      char dev[96];
      conf_case_device_name(s, c, dev, sizeof(dev));
      if (c->known) printf("%s %s  [known failure: %s]\n", dev, c->name, c->known_reason);
      else printf("%s %s\n", dev, c->name);
    }
    free_suite(s);
    return 0;
  }
  for (int t = 0; t < s->num_targets; ++t) {
    const conf_target_t *tg = &s->targets[t];
    printf("plugin %s %s (%s)%s%s\n", tg->name, tg->version, tg->builtin ? "built in" : tg->path,
           tg->discover_error[0] ? ": cannot be set up: " : "", tg->discover_error);
    if (tg->loader_reason[0]) printf("  libbackplane rejected it: %s\n", tg->loader_reason);
  }
  printf("running %zu cases (tier %s, seed %llu, %d job%s, timeout %.3g s)\n", s->num_cases,
         s->opts.tier == CONF_TIER_FULL ? "full" : "quick", (unsigned long long)s->opts.seed,
         s->opts.jobs, s->opts.jobs == 1 ? "" : "s", s->opts.timeout_s);
  fflush(stdout);
  conf_runner_run(s);
  conf_parent_checks(s);
  conf_known_failures_finalize(s);
  s->wall_seconds = conf_now() - t0;

  conf_summary_print(s, stdout);
  int failed = 0;
  for (size_t i = 0; i < s->num_cases; ++i) failed += s->cases[i].result.outcome == CONF_FAIL;
  if (s->opts.json_path && conf_report_json(s, s->opts.json_path)) failed = failed ? failed : -1;
  if (s->opts.junit_path && conf_report_junit(s, s->opts.junit_path)) failed = failed ? failed : -1;
  free_suite(s);
  if (failed < 0) return 2;
  return failed ? 1 : 0;
}
