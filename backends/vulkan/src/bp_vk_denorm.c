/* bp_vk_denorm.c - asks the driver to keep subnormal floats.
 *
 * The reference computes with IEEE subnormals; GPU drivers flush them to
 * zero unless a shader declares the DenormPreserve execution mode
 * (SPV_KHR_float_controls), which a device may or may not support per
 * float width. The shaders are compiled once at build time, so the mode
 * is added here, per device: a copy of the module with
 *   OpCapability DenormPreserve              after the last OpCapability
 *   OpExecutionMode %main DenormPreserve W   after the last OpExecutionMode
 * for each width W the module computes in (32; 16 and 64 where it declares
 * Float16/Float64). No ids are added, so the header's bound stays. Only
 * modules that already declare SignedZeroInfNanPreserve (and with it the
 * float-controls extension) are changed; the others do no float math that
 * the conformance suite checks at subnormals. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bp_vk.h"

enum {
  OP_CAPABILITY = 17,
  OP_ENTRY_POINT = 15,
  OP_EXECUTION_MODE = 16,
  OP_FUNCTION = 54,
  CAP_FLOAT16 = 9,
  CAP_FLOAT64 = 10,
  CAP_DENORM_PRESERVE = 4464,
  CAP_SIGNED_ZERO_INF_NAN = 4466,
  MODE_DENORM_PRESERVE = 4459,
};

uint32_t *bpvk_spirv_keep_denormals(const bpvk_features_t *f, const uint32_t *w, size_t n, size_t *out_n) {
  if (n < 5) return NULL;
  bool f16 = false, f64 = false, szin = false;
  size_t cap_end = 0, mode_end = 0;
  uint32_t entry = 0;
  for (size_t i = 5; i < n;) {
    uint32_t count = w[i] >> 16, op = w[i] & 0xffffu;
    if (count == 0 || i + count > n) return NULL;
    if (op == OP_FUNCTION) break;
    if (op == OP_CAPABILITY && count >= 2) {
      cap_end = i + count;
      if (w[i + 1] == CAP_FLOAT16) f16 = true;
      if (w[i + 1] == CAP_FLOAT64) f64 = true;
      if (w[i + 1] == CAP_SIGNED_ZERO_INF_NAN) szin = true;
      if (w[i + 1] == CAP_DENORM_PRESERVE) return NULL; /* already there */
    }
    if (op == OP_ENTRY_POINT && count >= 3 && entry == 0) entry = w[i + 2];
    if (op == OP_EXECUTION_MODE) mode_end = i + count;
    i += count;
  }
  if (!szin || entry == 0 || cap_end == 0 || mode_end == 0) return NULL;
  /* The widths to preserve: all that the module computes in, or (where the
   * device ties the widths together) none unless it can do all of them. */
  uint32_t widths[3];
  int nw = 0;
  bool want[3] = {f16, true, f64}, can[3] = {f->denorm16, f->denorm32, f->denorm64};
  const uint32_t bits[3] = {16, 32, 64};
  for (int k = 0; k < 3; ++k) {
    if (!want[k]) continue;
    if (!can[k]) {
      if (!f->denorm_independent) return NULL;
      continue;
    }
    widths[nw++] = bits[k];
  }
  if (nw == 0) return NULL;
  size_t extra = 2 + 4 * (size_t)nw;
  uint32_t *o = malloc((n + extra) * sizeof *o);
  if (!o) {
    *out_n = SIZE_MAX;
    return NULL;
  }
  size_t j = 0;
  memcpy(o, w, cap_end * sizeof *o);
  j = cap_end;
  o[j++] = (2u << 16) | OP_CAPABILITY;
  o[j++] = CAP_DENORM_PRESERVE;
  memcpy(o + j, w + cap_end, (mode_end - cap_end) * sizeof *o);
  j += mode_end - cap_end;
  for (int k = 0; k < nw; ++k) {
    o[j++] = (4u << 16) | OP_EXECUTION_MODE;
    o[j++] = entry;
    o[j++] = MODE_DENORM_PRESERVE;
    o[j++] = widths[k];
  }
  memcpy(o + j, w + mode_end, (n - mode_end) * sizeof *o);
  *out_n = n + extra;
  return o;
}
