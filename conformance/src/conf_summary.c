/* conf_summary.c - the table printed at the end: per plugin and device,
 * the cases by outcome and the op coverage. */
#include <stdlib.h>
#include <string.h>

#include "conf_internal.h"

void conf_case_device_name(const conf_suite_t *s, const conf_case_t *c, char *buf, size_t n) {
  const conf_target_t *t = &s->targets[c->target];
  if (c->device < 0) snprintf(buf, n, "%s", t->name[0] ? t->name : t->path);
  else snprintf(buf, n, "%s:%d", t->name, c->device);
}

typedef struct counts {
  int by[CONF_NOGEN + 1];
  int kernels, kernels_native, ops_native;
  int ops_registered; /* kernel ops with at least one kernel on the device */
} counts_t;

/* Catalog ops a kernel can be registered for (not view or composite ops). */
static uint32_t kernel_ops(void) {
  uint32_t n = 0;
  for (uint32_t op = 0; op < bp_op_count(); ++op) {
    bp_op_info_t info = {.struct_size = sizeof(info)};
    if (bp_op_query_info(op, &info) == BP_STATUS_OK && strcmp(info.form, "view") &&
        strcmp(info.form, "composite"))
      ++n;
  }
  return n;
}

static void count_row(const conf_suite_t *s, int t, int d, counts_t *k) {
  memset(k, 0, sizeof(*k));
  /* kernels: distinct kernel keys; native: one passing native case. The
   * cases of one kernel are adjacent, so the last one seen is tried first. */
  const char **seen = calloc(s->num_cases + 1, sizeof(*seen));
  bool *native = calloc(s->num_cases + 1, sizeof(*native));
  if (!seen || !native) {
    free(seen);
    free(native);
    return;
  }
  int nseen = 0;
  for (size_t i = 0; i < s->num_cases; ++i) {
    const conf_case_t *c = &s->cases[i];
    if (c->target != t || c->device != d) continue;
    k->by[c->result.outcome]++;
    if (!c->kernel_key[0]) continue;
    int j = nseen - 1;
    if (j < 0 || strcmp(seen[j], c->kernel_key)) {
      j = 0;
      while (j < nseen && strcmp(seen[j], c->kernel_key)) ++j;
    }
    if (j == nseen) {
      seen[nseen] = c->kernel_key;
      native[nseen++] = false;
    }
    if (c->group == CONF_GROUP_RUNTIME && c->result.outcome == CONF_PASS && c->result.native)
      native[j] = true;
  }
  k->kernels = nseen;
  for (int j = 0; j < nseen; ++j) k->kernels_native += native[j];
  for (uint32_t op = 0; op < bp_op_count(); ++op) {
    const char *name = bp_op_name(op);
    size_t len = strlen(name);
    bool covered = false, registered = false;
    for (int j = 0; j < nseen && !covered; ++j) {
      bool same_op = !strncmp(seen[j], name, len) && seen[j][len] == '/';
      registered = registered || same_op;
      covered = native[j] && same_op;
    }
    k->ops_native += covered;
    k->ops_registered += registered;
  }
  free(seen);
  free(native);
}

void conf_summary_print(const conf_suite_t *s, FILE *f) {
  fprintf(f, "\nBackplane conformance %s, tier %s, seed %llu\n", BP_CONFORMANCE_VERSION,
          s->opts.tier == CONF_TIER_FULL ? "full" : "quick", (unsigned long long)s->opts.seed);
  fprintf(f, "%-22s %7s %7s %7s %8s %6s %6s  %s\n", "device", "passed", "failed", "skipped",
          "fallback", "known", "xpass", "coverage (native passes)");
  int failed = 0, xpass = 0;
  char fallback_lines[CONF_MAX_TARGETS * 4][192];
  int num_fallback_lines = 0;
  for (int t = 0; t < s->num_targets; ++t) {
    const conf_target_t *tg = &s->targets[t];
    for (int d = -1; d < (int)tg->device_count; ++d) {
      if (d >= 0 && !tg->device_selected[d]) continue;
      counts_t k;
      count_row(s, t, d, &k);
      char dev[96];
      if (d < 0) snprintf(dev, sizeof(dev), "%s (plugin)", tg->name[0] ? tg->name : "?");
      else snprintf(dev, sizeof(dev), "%s:%d", tg->name, d);
      char cov[96] = "-";
      if (d >= 0)
        snprintf(cov, sizeof(cov), "ops %d/%u, kernels %d/%d", k.ops_native, kernel_ops(),
                 k.kernels_native, k.kernels);
      fprintf(f, "%-22s %7d %7d %7d %8d %6d %6d  %s\n", dev, k.by[CONF_PASS], k.by[CONF_FAIL],
              k.by[CONF_SKIP] + k.by[CONF_NOGEN], k.by[CONF_FALLBACK], k.by[CONF_KNOWN],
              k.by[CONF_XPASS], cov);
      failed += k.by[CONF_FAIL];
      xpass += k.by[CONF_XPASS];
      /* Ops without a kernel here run on ref:0 (the fallback policy): say
       * so, so a new backend's run reads as "works, by falling back". */
      uint32_t total = kernel_ops();
      if (d >= 0 && !tg->builtin && k.ops_registered < (int)total &&
          num_fallback_lines < (int)(sizeof(fallback_lines) / sizeof(fallback_lines[0])))
        snprintf(fallback_lines[num_fallback_lines++], sizeof(fallback_lines[0]),
                 "FALLBACK %s: %u of %u ops have no kernel here and fall back to ref:0 "
                 "(BP_FALLBACK; `bp ops` shows which)",
                 dev, total - (uint32_t)k.ops_registered, total);
    }
  }
  for (int i = 0; i < num_fallback_lines; ++i) fprintf(f, "%s\n", fallback_lines[i]);
  /* Unexpected passes one per line; untested kernels one line per device
   * and op, in first-seen order (the JSON report lists each case). */
  enum { MAX_GROUPS = 1024 };
  static struct { char dev[96]; char op[96]; int count; } groups[MAX_GROUPS];
  int num_groups = 0;
  for (size_t i = 0; i < s->num_cases; ++i) {
    const conf_case_t *c = &s->cases[i];
    char dev[96];
    if (c->result.outcome == CONF_XPASS) {
      conf_case_device_name(s, c, dev, sizeof(dev));
      fprintf(f, "UNEXPECTED PASS %s %s: %s\n", dev, c->name, c->result.message);
      continue;
    }
    if (c->result.outcome != CONF_NOGEN) continue;
    conf_case_device_name(s, c, dev, sizeof(dev));
    const char *start = strncmp(c->name, "ops/", 4) ? c->name : c->name + 4;
    int len = (int)strcspn(start, "/");
    int g = 0;
    while (g < num_groups && (strcmp(groups[g].dev, dev) || strncmp(groups[g].op, start, (size_t)len) ||
                              groups[g].op[len] != '\0'))
      ++g;
    if (g == num_groups) {
      if (num_groups == MAX_GROUPS) continue;
      snprintf(groups[g].dev, sizeof(groups[g].dev), "%s", dev);
      snprintf(groups[g].op, sizeof(groups[g].op), "%.*s", len, start);
      groups[g].count = 0;
      ++num_groups;
    }
    ++groups[g].count;
  }
  for (int g = 0; g < num_groups; ++g)
    fprintf(f, "NOT TESTED %s ops/%s: %d kernel%s registered, but the suite has no case generator "
               "for this op yet\n", groups[g].dev, groups[g].op, groups[g].count,
            groups[g].count == 1 ? "" : "s");
  fprintf(f, "%s: %d failed case%s, %zu cases in %.1f s\n", failed ? "FAILED" : "PASSED", failed,
          failed == 1 ? "" : "s", s->num_cases, s->wall_seconds);
  (void)xpass;
}
