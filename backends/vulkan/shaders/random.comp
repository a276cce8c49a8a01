#version 450
// random.comp - uniform (OPD 0: out only), dropout (OPD 1: x -> out) and
// normal (OPD 2: out only) of one float dtype, the reference's stream
// (reference/src/ref_random.h): element i is the i-th element in row-major
// order of out, which is the invocation index (dims are merged in order).
// uniform and dropout are bit-identical; normal is Box-Muller in f64 like
// ref_random.c (fmath64.glsl's log/sin/cos, within an ulp or two of libm's)
// rounded once to the dtype. Extra words: [0..1] seed, [2..3] offset,
// uniform: [4] from f32, [5] to f32, [6..7] from f64, [8..9] to f64;
// dropout: [4] train, [5] threshold (kept when u24 < it), [6] scale f32,
// [8..9] scale f64; normal: [6..7] mean f64, [8..9] std f64.
#include "common.glsl"
#if OPD == 1
#define DT_A DT_O
#endif
#include "types.glsl"
#include "elementwise.glsl"
#include "philox.glsl"
#if OPD == 2
#include "fmath64.glsl"
#endif

#define E(k) P(BP_EW_EXTRA + (k))

void main() {
  uint idx = bp_linear_id();
  if (idx >= P(0)) return;
  uint o, a, unused;
  bp_ew_offsets(idx, o, a, unused);
  uvec2 seed = uvec2(E(0), E(1)), offset = uvec2(E(2), E(3));
#if OPD == 2
  uvec4 w = bp_random_block(seed, offset, idx / 2u);
  double u1 = (double(w[0]) * 2097152.0LF + double(w[1] >> 11) + 1.0LF) * (1.0LF / 9007199254740992.0LF);
  double u2 = (double(w[2]) * 2097152.0LF + double(w[3] >> 11)) * (1.0LF / 9007199254740992.0LF);
  precise double radius = sqrt(-2.0LF * bp_log64(u1));
  precise double theta = 2.0LF * 3.141592653589793LF * u2;
  precise double z = radius * ((idx % 2u) == 0u ? bp_cos64(theta) : bp_sin64(theta));
  double mean = packDouble2x32(uvec2(E(6), E(7))), sd = packDouble2x32(uvec2(E(8), E(9)));
  precise double v = mean + sd * z;
#if DT_O == 9
  dO[o] = v;
#else
  STOREF_O(o, float(v));
#endif
#elif OPD == 0
#if DT_O == 9
  uvec4 w = bp_random_block(seed, offset, idx / 2u);
  uint j = (idx % 2u) * 2u;
  double u = (double(w[j]) * 2097152.0LF + double(w[j + 1u] >> 11)) * (1.0LF / 9007199254740992.0LF);
  double from = packDouble2x32(uvec2(E(6), E(7))), to = packDouble2x32(uvec2(E(8), E(9)));
  precise double v = from + (to - from) * u;
  dO[o] = v;
#else
  uvec4 w = bp_random_block(seed, offset, idx / 4u);
  float u = float(w[idx % 4u] >> 8) * (1.0 / 16777216.0);
  float from = uintBitsToFloat(E(4)), to = uintBitsToFloat(E(5));
  precise float v = from + (to - from) * u;
  STOREF_O(o, v);
#endif
#else
  bool keep = true;
  if (E(4) != 0u) {
    uvec4 w = bp_random_block(seed, offset, idx / 4u);
    keep = (w[idx % 4u] >> 8) < E(5);
  }
#if DT_O == 9
  double x = dA[a];
  if (E(4) != 0u) {
    precise double v = x * (keep ? packDouble2x32(uvec2(E(8), E(9))) : 0.0LF);
    x = v;
  }
  dO[o] = x;
#else
  float x = LOADF_A(a);
  if (E(4) != 0u) {
    precise float v = x * (keep ? uintBitsToFloat(E(6)) : 0.0);
    x = v;
  }
  STOREF_O(o, x);
#endif
#endif
}
