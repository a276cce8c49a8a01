/*
 * json.h - a tiny streaming JSON writer for the `bp` tool.
 *
 * Writes pretty-printed JSON (two-space indent) to a FILE as calls arrive;
 * commas, indentation and string escaping are handled here, so callers only
 * say what comes next. Nesting deeper than BPCLI_JSON_MAX_DEPTH is ignored
 * for indentation purposes but still written correctly.
 *
 *   bpcli_json_t j;
 *   bpcli_json_init(&j, stdout);
 *   bpcli_json_object_begin(&j);
 *   bpcli_json_key(&j, "name"); bpcli_json_string(&j, "ref:0");
 *   bpcli_json_object_end(&j);
 *   bpcli_json_finish(&j);       // final newline
 */
#ifndef BPCLI_JSON_H_
#define BPCLI_JSON_H_

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define BPCLI_JSON_MAX_DEPTH 32

typedef struct bpcli_json {
  FILE *out;
  int depth;
  bool after_key;                      /* a key was written; the value follows */
  bool has_items[BPCLI_JSON_MAX_DEPTH]; /* per open container: needs a comma */
} bpcli_json_t;

void bpcli_json_init(bpcli_json_t *j, FILE *out);
void bpcli_json_object_begin(bpcli_json_t *j);
void bpcli_json_object_end(bpcli_json_t *j);
void bpcli_json_array_begin(bpcli_json_t *j);
void bpcli_json_array_end(bpcli_json_t *j);
/* The key of the next member of the enclosing object. */
void bpcli_json_key(bpcli_json_t *j, const char *key);
/* Values. A NULL string is written as null. */
void bpcli_json_string(bpcli_json_t *j, const char *s);
void bpcli_json_uint(bpcli_json_t *j, uint64_t v);
void bpcli_json_int(bpcli_json_t *j, int64_t v);
void bpcli_json_double(bpcli_json_t *j, double v);
void bpcli_json_bool(bpcli_json_t *j, bool v);
void bpcli_json_null(bpcli_json_t *j);
/* key + value in one call, for the common case. */
void bpcli_json_kv_string(bpcli_json_t *j, const char *key, const char *s);
void bpcli_json_kv_uint(bpcli_json_t *j, const char *key, uint64_t v);
void bpcli_json_kv_double(bpcli_json_t *j, const char *key, double v);
void bpcli_json_kv_bool(bpcli_json_t *j, const char *key, bool v);
/* Ends the document with a newline. */
void bpcli_json_finish(bpcli_json_t *j);

#endif /* BPCLI_JSON_H_ */
