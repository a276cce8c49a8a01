/* conf_report_json.c - the JSON report: everything needed to reproduce a
 * run (suite version, seed, tier, filter, command) and to judge it (plugin,
 * ABI version, device properties, every case with its outcome, max error
 * and tolerance). docs/conformance.md documents the schema. */
#include <math.h>
#include <string.h>

#include "conf_internal.h"

static void jstr(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; ++p) {
    switch (*p) {
      case '"': fputs("\\\"", f); break;
      case '\\': fputs("\\\\", f); break;
      case '\n': fputs("\\n", f); break;
      case '\r': fputs("\\r", f); break;
      case '\t': fputs("\\t", f); break;
      default:
        if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
  }
  fputc('"', f);
}

static void jnum(FILE *f, double v) {
  if (isfinite(v)) fprintf(f, "%.17g", v);
  else fputs("null", f);
}

static const char *kind_name(bp_device_kind_t k) {
  return k == BP_DEVICE_KIND_CPU ? "cpu" : k == BP_DEVICE_KIND_GPU ? "gpu"
         : k == BP_DEVICE_KIND_ACCELERATOR ? "accelerator" : "unknown";
}

static void props_json(FILE *f, const bp_device_props_t *p) {
  fprintf(f, "{\"kind\": ");
  jstr(f, kind_name(p->kind));
  fprintf(f, ", \"name\": ");
  jstr(f, p->name);
  fprintf(f, ", \"vendor\": ");
  jstr(f, p->vendor);
  fprintf(f, ", \"total_memory\": %llu, \"free_memory\": %llu, \"max_alloc_size\": %llu, "
             "\"max_dims\": %u, \"host_addressable\": %s, \"dtypes\": [",
          (unsigned long long)p->total_memory, (unsigned long long)p->free_memory,
          (unsigned long long)p->max_alloc_size, p->max_dims, p->host_addressable ? "true" : "false");
  bool first = true;
  for (bp_dtype_t d = BP_DTYPE_BOOL; d < BP_DTYPE_COUNT_V1_0; ++d)
    if (p->dtype_mask & BP_DTYPE_BIT(d)) {
      fprintf(f, "%s", first ? "" : ", ");
      jstr(f, conf_dtype_name(d));
      first = false;
    }
  fprintf(f, "]}");
}

int conf_report_json(const conf_suite_t *s, const char *path) {
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "bp conformance: cannot write %s\n", path);
    return -1;
  }
  int by[CONF_NOGEN + 1] = {0};
  for (size_t i = 0; i < s->num_cases; ++i) by[s->cases[i].result.outcome]++;
  fprintf(f, "{\n  \"suite\": \"backplane-conformance\",\n  \"suite_version\": ");
  jstr(f, BP_CONFORMANCE_VERSION);
  fprintf(f, ",\n  \"backplane_version\": ");
  jstr(f, BP_VERSION_STRING);
  fprintf(f, ",\n  \"host_abi_version\": \"%u.%u\",\n  \"seed\": %llu,\n  \"tier\": \"%s\",\n",
          BP_ABI_VERSION_MAJOR, BP_ABI_VERSION_MINOR, (unsigned long long)s->opts.seed,
          s->opts.tier == CONF_TIER_FULL ? "full" : "quick");
  fprintf(f, "  \"filter\": ");
  jstr(f, s->opts.filter ? s->opts.filter : "");
  fprintf(f, ",\n  \"timeout_s\": ");
  jnum(f, s->opts.timeout_s);
  fprintf(f, ",\n  \"run_known_failures\": %s,\n  \"command\": ",
          s->opts.run_known_failures ? "true" : "false");
  jstr(f, s->command);
  fprintf(f, ",\n  \"started_at\": ");
  jstr(f, s->started_at);
  fprintf(f, ",\n  \"wall_seconds\": ");
  jnum(f, s->wall_seconds);
  fprintf(f, ",\n  \"summary\": {\"cases\": %zu, \"passed\": %d, \"failed\": %d, \"skipped\": %d, "
             "\"fallback\": %d, \"known_failures\": %d, \"unexpected_passes\": %d, "
             "\"no_generator\": %d},\n",
          s->num_cases, by[CONF_PASS], by[CONF_FAIL], by[CONF_SKIP], by[CONF_FALLBACK],
          by[CONF_KNOWN], by[CONF_XPASS], by[CONF_NOGEN]);
  fprintf(f, "  \"plugins\": [");
  for (int t = 0; t < s->num_targets; ++t) {
    const conf_target_t *tg = &s->targets[t];
    fprintf(f, "%s\n    {\"name\": ", t ? "," : "");
    jstr(f, tg->name);
    fprintf(f, ", \"version\": ");
    jstr(f, tg->version);
    fprintf(f, ", \"vendor\": ");
    jstr(f, tg->vendor);
    fprintf(f, ", \"path\": ");
    jstr(f, tg->path);
    fprintf(f, ", \"builtin\": %s, \"abi_version\": \"%u.%u\", \"table_size\": %u, "
               "\"kernels\": %u,\n     \"loader_state\": ",
            tg->builtin ? "true" : "false", BP_ABI_VERSION_GET_MAJOR(tg->abi_version),
            BP_ABI_VERSION_GET_MINOR(tg->abi_version), tg->struct_size, tg->num_kernels);
    jstr(f, tg->loader_state);
    fprintf(f, ", \"loader_reason\": ");
    jstr(f, tg->loader_reason);
    fprintf(f, ", \"discovery_error\": ");
    jstr(f, tg->discover_error);
    fprintf(f, ",\n     \"devices\": [");
    bool first = true;
    for (uint32_t d = 0; d < tg->device_count; ++d) {
      if (!tg->device_selected[d]) continue;
      fprintf(f, "%s\n       {\"device\": \"%s:%u\", \"properties\": ", first ? "" : ",", tg->name, d);
      props_json(f, &tg->props[d]);
      fprintf(f, "}");
      first = false;
    }
    fprintf(f, "]}");
  }
  fprintf(f, "\n  ],\n  \"cases\": [");
  for (size_t i = 0; i < s->num_cases; ++i) {
    const conf_case_t *c = &s->cases[i];
    const conf_result_t *r = &c->result;
    char dev[96];
    conf_case_device_name(s, c, dev, sizeof(dev));
    fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
    jstr(f, c->name);
    fprintf(f, ", \"device\": ");
    jstr(f, dev);
    fprintf(f, ", \"plugin\": ");
    jstr(f, s->targets[c->target].name);
    fprintf(f, ", \"status\": \"%s\", \"rule\": ", conf_outcome_name(r->outcome));
    if (c->rule) jstr(f, c->rule);
    else fputs("null", f);
    fprintf(f, ", \"checks\": ");
    jstr(f, c->what);
    fprintf(f, ", \"seconds\": ");
    jnum(f, r->seconds);
    if (r->compared) {
      fprintf(f, ", \"max_error\": ");
      jnum(f, r->max_error);
      fprintf(f, ", \"error_ratio\": ");
      jnum(f, r->error_ratio);
      if (r->exact) fprintf(f, ", \"tolerance\": {\"exact\": true}");
      else {
        fprintf(f, ", \"tolerance\": {\"exact\": false, \"rtol\": ");
        jnum(f, r->rtol);
        fprintf(f, ", \"atol\": ");
        jnum(f, r->atol);
        fprintf(f, "}");
      }
      fprintf(f, ", \"native\": %s", r->native ? "true" : "false");
    }
    fprintf(f, ", \"message\": ");
    jstr(f, r->message);
    if (c->known) {
      fprintf(f, ", \"known_failure\": ");
      jstr(f, c->known_reason);
    }
    if (c->stderr_tail[0]) {
      fprintf(f, ", \"worker_output\": ");
      jstr(f, c->stderr_tail);
    }
    fprintf(f, "}");
  }
  fprintf(f, "\n  ]\n}\n");
  int bad = ferror(f);
  if (fclose(f) || bad) {
    fprintf(stderr, "bp conformance: writing %s failed\n", path);
    return -1;
  }
  return 0;
}
