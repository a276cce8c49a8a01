#version 450
// bernoulli.comp - out = (u24 < p * 2^24) for p of dtype DT_A (f32, f64),
// out stored as a raw type of its size (DT_O 2, 7, 4, 5) with the bits of
// one in extra words [4..5] (zero is all zero bits in every dtype). A p
// outside [0, 1] sets the dispatch's check word (the host reports it at
// synchronize). Extra words: [0..1] seed, [2..3] offset.
#define BP_PARAMS_CHECKED 1
#include "common.glsl"
#include "types.glsl"
#include "elementwise.glsl"
#include "philox.glsl"

#define E(k) P(BP_EW_EXTRA + (k))

void main() {
  uint idx = bp_linear_id();
  if (idx >= P(0)) return;
  uint o, a, unused;
  bp_ew_offsets(idx, o, a, unused);
  uvec4 w = bp_random_block(uvec2(E(0), E(1)), uvec2(E(2), E(3)), idx / 4u);
  uint u24 = w[idx % 4u] >> 8;
  STYPE_A p = dA[a];
  if (!(p >= STYPE_A(0) && p <= STYPE_A(1))) P_SET(BP_EW_CHECK, 1u);
  bool one = STYPE_A(u24) < p * STYPE_A(16777216.0);
#if DT_O == 5
  dO[o] = one ? int64_t(packUint2x32(uvec2(E(4), E(5)))) : int64_t(0);
#else
  dO[o] = STYPE_O(one ? E(4) : 0u);
#endif
}
