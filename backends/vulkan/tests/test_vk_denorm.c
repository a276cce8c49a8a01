/* test_vk_denorm.c - bpvk_spirv_keep_denormals adds DenormPreserve to the
 * build's own SPIR-V modules only for the float widths a module computes in
 * and the device supports, and leaves a well-formed module (every
 * instruction's word count adds up; one capability and one execution mode
 * per width added; nothing else changed). No Vulkan device needed. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bp_vk.h"

static const bpvk_spirv_t *module(const char *name) {
  for (uint32_t i = 0; i < bpvk_spirv_count; ++i)
    if (strcmp(bpvk_spirv[i].name, name) == 0) return &bpvk_spirv[i];
  cr_assert_fail("no shader variant %s", name);
  return NULL;
}

/* Instructions with this opcode and first operand (or, for execution
 * modes, second operand = mode and third = width); -1 if malformed. */
static int count(const uint32_t *w, size_t n, uint32_t op, uint32_t a, uint32_t b) {
  int c = 0;
  size_t i = 5;
  while (i < n) {
    uint32_t wc = w[i] >> 16;
    if (wc == 0 || i + wc > n) return -1;
    if ((w[i] & 0xffffu) == op) {
      if (op == 17 && wc >= 2 && w[i + 1] == a) ++c;
      if (op == 16 && wc >= 4 && w[i + 2] == a && w[i + 3] == b) ++c;
    }
    i += wc;
  }
  return i == n ? c : -1;
}

Test(vulkan_denorm, f32_module_gets_mode_32) {
  const bpvk_spirv_t *m = module("unary_8");
  size_t n = m->size / 4, pn = 0;
  bpvk_features_t f = {.denorm32 = true, .denorm_independent = true};
  uint32_t *p = bpvk_spirv_keep_denormals(&f, m->code, n, &pn);
  cr_assert_not_null(p);
  cr_assert_eq(pn, n + 6);
  cr_assert_eq(memcmp(p, m->code, 5 * 4), 0, "header changed");
  cr_assert_eq(count(m->code, n, 17, 4464, 0), 0);
  cr_assert_eq(count(p, pn, 17, 4464, 0), 1);
  cr_assert_eq(count(p, pn, 16, 4459, 32), 1);
  cr_assert_eq(count(p, pn, 16, 4459, 64), 0);
  /* patching again changes nothing */
  size_t qn = 0;
  cr_assert_null(bpvk_spirv_keep_denormals(&f, p, pn, &qn));
  free(p);
}

Test(vulkan_denorm, nothing_without_device_support) {
  const bpvk_spirv_t *m = module("unary_8");
  size_t pn = 0;
  bpvk_features_t none = {.denorm_independent = true};
  cr_assert_null(bpvk_spirv_keep_denormals(&none, m->code, m->size / 4, &pn));
  cr_assert_eq(pn, 0);
}

Test(vulkan_denorm, f64_module_widths) {
  const bpvk_spirv_t *m = module("unary_9");
  size_t n = m->size / 4, pn = 0;
  /* widths tied together and 64 not preservable: no change at all */
  bpvk_features_t tied = {.denorm32 = true};
  cr_assert_null(bpvk_spirv_keep_denormals(&tied, m->code, n, &pn));
  /* independent widths: 32 only */
  bpvk_features_t ind = {.denorm32 = true, .denorm_independent = true};
  uint32_t *p = bpvk_spirv_keep_denormals(&ind, m->code, n, &pn);
  cr_assert_not_null(p);
  cr_assert_eq(count(p, pn, 16, 4459, 32), 1);
  cr_assert_eq(count(p, pn, 16, 4459, 64), 0);
  free(p);
  /* both supported: 32 and 64 */
  bpvk_features_t both = {.denorm32 = true, .denorm64 = true};
  p = bpvk_spirv_keep_denormals(&both, m->code, n, &pn);
  cr_assert_not_null(p);
  cr_assert_eq(pn, n + 10);
  cr_assert_eq(count(p, pn, 16, 4459, 32), 1);
  cr_assert_eq(count(p, pn, 16, 4459, 64), 1);
  free(p);
}
