/* conf_report_junit.c - a JUnit XML report for CI dashboards: one
 * <testsuite> per plugin (plugin-level cases) and per device, one
 * <testcase> per case. Failures carry the message; fallback, skipped,
 * known failures and untested kernels are <skipped> with the reason. */
#include <math.h>
#include <string.h>

#include "conf_internal.h"

static void xstr(FILE *f, const char *s) {
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; ++p) {
    switch (*p) {
      case '&': fputs("&amp;", f); break;
      case '<': fputs("&lt;", f); break;
      case '>': fputs("&gt;", f); break;
      case '"': fputs("&quot;", f); break;
      default:
        if (*p < 0x20 && *p != '\n' && *p != '\t') fputc('?', f);
        else fputc(*p, f);
    }
  }
}

static void row(FILE *f, const conf_suite_t *s, int t, int d) {
  const conf_target_t *tg = &s->targets[t];
  int tests = 0, failures = 0, skipped = 0;
  double time = 0;
  for (size_t i = 0; i < s->num_cases; ++i) {
    const conf_case_t *c = &s->cases[i];
    if (c->target != t || c->device != d) continue;
    ++tests;
    conf_outcome_t o = c->result.outcome;
    failures += o == CONF_FAIL;
    skipped += o == CONF_SKIP || o == CONF_FALLBACK || o == CONF_KNOWN || o == CONF_NOGEN;
    time += c->result.seconds;
  }
  if (!tests) return;
  char dev[96];
  if (d < 0) snprintf(dev, sizeof(dev), "%s", tg->name);
  else snprintf(dev, sizeof(dev), "%s:%d", tg->name, d);
  fprintf(f, "  <testsuite name=\"");
  xstr(f, dev);
  fprintf(f, "\" tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"%.3f\">\n", tests,
          failures, skipped, time);
  fprintf(f, "    <properties>\n");
  fprintf(f, "      <property name=\"suite_version\" value=\"%s\"/>\n", BP_CONFORMANCE_VERSION);
  fprintf(f, "      <property name=\"seed\" value=\"%llu\"/>\n", (unsigned long long)s->opts.seed);
  fprintf(f, "      <property name=\"tier\" value=\"%s\"/>\n",
          s->opts.tier == CONF_TIER_FULL ? "full" : "quick");
  fprintf(f, "      <property name=\"plugin\" value=\"");
  xstr(f, tg->name);
  fprintf(f, " ");
  xstr(f, tg->version);
  fprintf(f, "\"/>\n      <property name=\"abi_version\" value=\"%u.%u\"/>\n",
          BP_ABI_VERSION_GET_MAJOR(tg->abi_version), BP_ABI_VERSION_GET_MINOR(tg->abi_version));
  if (d >= 0) {
    fprintf(f, "      <property name=\"device_name\" value=\"");
    xstr(f, tg->props[d].name);
    fprintf(f, "\"/>\n");
  }
  fprintf(f, "    </properties>\n");
  for (size_t i = 0; i < s->num_cases; ++i) {
    const conf_case_t *c = &s->cases[i];
    if (c->target != t || c->device != d) continue;
    const conf_result_t *r = &c->result;
    /* classname "ref:0.ops.add.f32", name "odd" */
    const char *slash = strrchr(c->name, '/');
    char cls[256];
    snprintf(cls, sizeof(cls), "%s.%.*s", dev, slash ? (int)(slash - c->name) : 0, c->name);
    for (char *p = cls + strlen(dev); *p; ++p)
      if (*p == '/') *p = '.';
    fprintf(f, "    <testcase classname=\"");
    xstr(f, cls);
    fprintf(f, "\" name=\"");
    xstr(f, slash ? slash + 1 : c->name);
    fprintf(f, "\" time=\"%.4f\"", isfinite(r->seconds) ? r->seconds : 0.0);
    const char *tag = NULL;
    char msg[2048];
    snprintf(msg, sizeof(msg), "%s", r->message);
    switch (r->outcome) {
      case CONF_FAIL: tag = "failure"; break;
      case CONF_SKIP: case CONF_NOGEN: tag = "skipped"; break;
      case CONF_FALLBACK: tag = "skipped"; snprintf(msg, sizeof(msg), "fallback: %s", r->message); break;
      case CONF_KNOWN: tag = "skipped"; snprintf(msg, sizeof(msg), "known failure: %s", r->message); break;
      default: break;
    }
    if (!tag && r->outcome != CONF_XPASS) {
      fprintf(f, "/>\n");
      continue;
    }
    fprintf(f, ">\n");
    if (tag) {
      fprintf(f, "      <%s message=\"", tag);
      xstr(f, msg);
      if (r->outcome == CONF_FAIL) {
        fprintf(f, "\">");
        if (c->rule) fprintf(f, "rule %s: ", c->rule);
        xstr(f, c->what);
        if (r->compared)
          fprintf(f, "\nmax error %g, error/allowed %g", r->max_error, r->error_ratio);
        if (c->stderr_tail[0]) {
          fprintf(f, "\nworker output:\n");
          xstr(f, c->stderr_tail);
        }
        fprintf(f, "</%s>\n", tag);
      } else {
        fprintf(f, "\"/>\n");
      }
    } else {
      fprintf(f, "      <system-out>");
      xstr(f, r->message);
      fprintf(f, "</system-out>\n");
    }
    fprintf(f, "    </testcase>\n");
  }
  fprintf(f, "  </testsuite>\n");
}

int conf_report_junit(const conf_suite_t *s, const char *path) {
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "bp conformance: cannot write %s\n", path);
    return -1;
  }
  int tests = 0, failures = 0;
  for (size_t i = 0; i < s->num_cases; ++i) {
    ++tests;
    failures += s->cases[i].result.outcome == CONF_FAIL;
  }
  fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  fprintf(f, "<testsuites name=\"backplane-conformance\" tests=\"%d\" failures=\"%d\" time=\"%.3f\">\n",
          tests, failures, s->wall_seconds);
  for (int t = 0; t < s->num_targets; ++t)
    for (int d = -1; d < (int)s->targets[t].device_count; ++d) row(f, s, t, d);
  fprintf(f, "</testsuites>\n");
  int bad = ferror(f);
  if (fclose(f) || bad) {
    fprintf(stderr, "bp conformance: writing %s failed\n", path);
    return -1;
  }
  return 0;
}
