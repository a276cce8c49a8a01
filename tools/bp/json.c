/* json.c - the tiny streaming JSON writer (see json.h). */
#include "json.h"

#include <inttypes.h>
#include <math.h>

static void indent(bpcli_json_t *j) {
  fputc('\n', j->out);
  for (int i = 0; i < j->depth; ++i) fputs("  ", j->out);
}

/* Separator and indentation before any value or key. */
static void before_item(bpcli_json_t *j) {
  if (j->after_key) {
    j->after_key = false;
    return;
  }
  if (j->depth == 0) return;
  int d = j->depth < BPCLI_JSON_MAX_DEPTH ? j->depth : BPCLI_JSON_MAX_DEPTH - 1;
  if (j->has_items[d]) fputc(',', j->out);
  j->has_items[d] = true;
  indent(j);
}

static void container_open(bpcli_json_t *j, char c) {
  before_item(j);
  fputc(c, j->out);
  ++j->depth;
  if (j->depth < BPCLI_JSON_MAX_DEPTH) j->has_items[j->depth] = false;
}

static void container_close(bpcli_json_t *j, char c) {
  bool had = j->depth < BPCLI_JSON_MAX_DEPTH ? j->has_items[j->depth] : true;
  --j->depth;
  if (had) indent(j);
  fputc(c, j->out);
}

static void write_escaped(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; ++p) {
    switch (*p) {
      case '"': fputs("\\\"", out); break;
      case '\\': fputs("\\\\", out); break;
      case '\b': fputs("\\b", out); break;
      case '\f': fputs("\\f", out); break;
      case '\n': fputs("\\n", out); break;
      case '\r': fputs("\\r", out); break;
      case '\t': fputs("\\t", out); break;
      default:
        /* Control characters must be escaped; bytes >= 0x80 pass through
         * (UTF-8 from plugins is kept as is). */
        if (*p < 0x20) fprintf(out, "\\u%04x", (unsigned)*p);
        else fputc(*p, out);
    }
  }
  fputc('"', out);
}

void bpcli_json_init(bpcli_json_t *j, FILE *out) {
  j->out = out;
  j->depth = 0;
  j->after_key = false;
  j->has_items[0] = false;
}

void bpcli_json_object_begin(bpcli_json_t *j) { container_open(j, '{'); }
void bpcli_json_object_end(bpcli_json_t *j) { container_close(j, '}'); }
void bpcli_json_array_begin(bpcli_json_t *j) { container_open(j, '['); }
void bpcli_json_array_end(bpcli_json_t *j) { container_close(j, ']'); }

void bpcli_json_key(bpcli_json_t *j, const char *key) {
  before_item(j);
  write_escaped(j->out, key);
  fputs(": ", j->out);
  j->after_key = true;
}

void bpcli_json_string(bpcli_json_t *j, const char *s) {
  before_item(j);
  if (s) write_escaped(j->out, s);
  else fputs("null", j->out);
}

void bpcli_json_uint(bpcli_json_t *j, uint64_t v) {
  before_item(j);
  fprintf(j->out, "%" PRIu64, v);
}

void bpcli_json_int(bpcli_json_t *j, int64_t v) {
  before_item(j);
  fprintf(j->out, "%" PRId64, v);
}

void bpcli_json_double(bpcli_json_t *j, double v) {
  before_item(j);
  /* JSON has no NaN or infinity. */
  if (isfinite(v)) fprintf(j->out, "%.10g", v);
  else fputs("null", j->out);
}

void bpcli_json_bool(bpcli_json_t *j, bool v) {
  before_item(j);
  fputs(v ? "true" : "false", j->out);
}

void bpcli_json_null(bpcli_json_t *j) {
  before_item(j);
  fputs("null", j->out);
}

void bpcli_json_kv_string(bpcli_json_t *j, const char *key, const char *s) {
  bpcli_json_key(j, key);
  bpcli_json_string(j, s);
}

void bpcli_json_kv_uint(bpcli_json_t *j, const char *key, uint64_t v) {
  bpcli_json_key(j, key);
  bpcli_json_uint(j, v);
}

void bpcli_json_kv_double(bpcli_json_t *j, const char *key, double v) {
  bpcli_json_key(j, key);
  bpcli_json_double(j, v);
}

void bpcli_json_kv_bool(bpcli_json_t *j, const char *key, bool v) {
  bpcli_json_key(j, key);
  bpcli_json_bool(j, v);
}

void bpcli_json_finish(bpcli_json_t *j) { fputc('\n', j->out); }
