#version 450
// fill.comp - writes one element pattern (its bits built on the host) to
// every element of a strided output. DT_O is a raw type of the element size.
#include "common.glsl"
#include "types.glsl"
#include "elementwise.glsl"

void main() {
  uint idx = bp_linear_id();
  if (idx >= P(0)) return;
  uint o, u1, u2;
  bp_ew_offsets(idx, o, u1, u2);
#if DT_O == 2
  dO[o] = uint8_t(P(BP_EW_EXTRA));
#elif DT_O == 7
  dO[o] = uint16_t(P(BP_EW_EXTRA));
#elif DT_O == 4
  dO[o] = int(P(BP_EW_EXTRA));
#else
  dO[o] = int64_t(packUint2x32(uvec2(P(BP_EW_EXTRA), P(BP_EW_EXTRA + 1))));
#endif
}
