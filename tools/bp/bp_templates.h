/*
 * bp_templates.h - the files `bp new-backend` writes, embedded into bp at
 * build time from tools/bp/templates/ (embed_templates.cmake), so an
 * installed bp needs nothing from the source tree.
 *
 * Placeholders in a template: {{name}} the backend's name, {{NAME}} the same
 * upper-cased, {{bp_version}} and {{abi_version}} the SDK's versions.
 */
#ifndef BPCLI_BP_TEMPLATES_H_
#define BPCLI_BP_TEMPLATES_H_

#include <stddef.h>

typedef struct bpcli_template {
  const char *name; /* file name under tools/bp/templates/, e.g. "plugin.c.in" */
  const char *data; /* its bytes, NUL-terminated */
  size_t size;      /* without the NUL */
} bpcli_template_t;

extern const bpcli_template_t bpcli_templates[];
extern const size_t bpcli_template_count;

#endif /* BPCLI_BP_TEMPLATES_H_ */
