/* conf_known_failures.c - conformance/known-failures/<backend>.txt.
 *
 * One entry per line: a glob, white space, then the reason (required):
 *
 *   # comments and blank lines are ignored
 *   ops/div/f16/edge_values   flushes f16 denormals to zero (vendor bug 1234)
 *   opencl:1/memory/leak      the driver caches freed buffers
 *
 * The glob matches a case name, or "<device>/<case name>" to restrict it to
 * one device, or "<product name>/<case name>" (the name the device reports,
 * spaces written as '?' since an entry is one token, e.g.
 * "NVIDIA?H100?80GB?HBM3/ops/neg/f32/edge_values") to restrict it to one
 * model: what a driver gets wrong often depends on the model. Listed cases are reported apart and never count as passes;
 * with --run-known-failures they run, and one that passes is flagged
 * "unexpected pass" so the entry can be removed. */
#define _GNU_SOURCE
#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "conf_internal.h"

#ifndef BP_CONFORMANCE_KNOWN_FAILURES_DIR
#define BP_CONFORMANCE_KNOWN_FAILURES_DIR "known-failures"
#endif

static void apply_file(conf_suite_t *s, int target, const char *path, bool must_exist) {
  FILE *f = fopen(path, "r");
  if (!f) {
    if (must_exist) fprintf(stderr, "bp conformance: cannot read known failures %s\n", path);
    return;
  }
  char line[1024];
  int lineno = 0;
  while (fgets(line, sizeof(line), f)) {
    ++lineno;
    char *p = line;
    while (isspace((unsigned char)*p)) ++p;
    if (!*p || *p == '#') continue;
    char *glob = p;
    while (*p && !isspace((unsigned char)*p)) ++p;
    if (*p) *p++ = '\0';
    while (isspace((unsigned char)*p)) ++p;
    char *reason = p;
    reason[strcspn(reason, "\r\n")] = '\0';
    if (!*reason) {
      fprintf(stderr, "bp conformance: %s:%d: '%s' has no reason; entry ignored (every known "
              "failure says why)\n", path, lineno, glob);
      continue;
    }
    for (size_t i = 0; i < s->num_cases; ++i) {
      conf_case_t *c = &s->cases[i];
      if (c->target != target || c->known) continue;
      char dev[96], full[256], model[512];
      conf_case_device_name(s, c, dev, sizeof(dev));
      snprintf(full, sizeof(full), "%s/%s", dev, c->name);
      const conf_target_t *t = &s->targets[c->target];
      bool by_model = false;
      if (c->device >= 0 && (uint32_t)c->device < t->device_count && t->props[c->device].name[0]) {
        snprintf(model, sizeof(model), "%s/%s", t->props[c->device].name, c->name);
        by_model = !fnmatch(glob, model, 0);
      }
      if (!fnmatch(glob, c->name, 0) || !fnmatch(glob, full, 0) || by_model) {
        c->known = true;
        snprintf(c->known_reason, sizeof(c->known_reason), "%s", reason);
      }
    }
  }
  fclose(f);
}

int conf_known_failures_apply(conf_suite_t *s) {
  for (int t = 0; t < s->num_targets; ++t) {
    if (s->opts.known_failures_path) {
      apply_file(s, t, s->opts.known_failures_path, true);
    } else if (s->targets[t].name[0]) {
      char path[PATH_MAX];
      const char *dir = getenv("BP_CONFORMANCE_KNOWN_FAILURES");
      snprintf(path, sizeof(path), "%s/%s.txt", dir && *dir ? dir : BP_CONFORMANCE_KNOWN_FAILURES_DIR,
               s->targets[t].name);
      apply_file(s, t, path, false);
    }
  }
  return 0;
}

void conf_known_failures_finalize(conf_suite_t *s) {
  for (size_t i = 0; i < s->num_cases; ++i) {
    conf_case_t *c = &s->cases[i];
    if (!c->known) continue;
    conf_result_t *r = &c->result;
    char was[sizeof(r->message)];
    snprintf(was, sizeof(was), "%s", r->message);
    if (r->outcome == CONF_PENDING) {
      r->outcome = CONF_KNOWN;
      snprintf(r->message, sizeof(r->message), "known failure, not run: %s", c->known_reason);
    } else if (r->outcome == CONF_FAIL) {
      r->outcome = CONF_KNOWN;
      snprintf(r->message, sizeof(r->message), "known failure (%.200s): %.1200s", c->known_reason,
               was);
    } else if (r->outcome == CONF_PASS) {
      r->outcome = CONF_XPASS;
      snprintf(r->message, sizeof(r->message),
               "listed as a known failure (%.200s) but passed: remove it from the list", c->known_reason);
    }
  }
}
