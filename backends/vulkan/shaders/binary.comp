#version 450
// binary.comp - add, sub, mul, div (OP: 0..3) for one dtype; inputs arrive
// broadcast to the output's shape. Integers wrap; f16/bf16 compute in f32
// and round once; bool add is or, bool mul is and. alpha is in the extra
// parameter words (f32 bits, f64 bits or the i64 alpha's low/high words).
#include "common.glsl"
#define DT_A DT_O
#define DT_B DT_O
#include "types.glsl"
#include "elementwise.glsl"

layout(constant_id = 0) const uint OP = 0;

void main() {
  uint idx = bp_linear_id();
  if (idx >= P(0)) return;
  uint o, a, b;
  bp_ew_offsets(idx, o, a, b);
#if DT_O == 9
  double x = dA[a], y = dB[b];
  double al = packDouble2x32(uvec2(P(BP_EW_EXTRA), P(BP_EW_EXTRA + 1)));
  double r = OP == 0 ? x + al * y : OP == 1 ? x - al * y : OP == 2 ? x * y : x / y;
  dO[o] = r;
#elif DT_O >= 6
  float x = LOADF_A(a), y = LOADF_B(b);
  float al = uintBitsToFloat(P(BP_EW_EXTRA));
  float r = OP == 0 ? x + al * y : OP == 1 ? x - al * y : OP == 2 ? x * y : x / y;
  STOREF_O(o, r);
#elif DT_O == 1
  int x = LOADI_A(a), y = LOADI_B(b);
  STOREI_O(o, OP == 2 ? (x & y) : (x | y));
#elif DT_O == 5
  int64_t x = dA[a], y = dB[b];
  int64_t al = int64_t(packUint2x32(uvec2(P(BP_EW_EXTRA), P(BP_EW_EXTRA + 1))));
  int64_t r = OP == 0 ? x + al * y : OP == 1 ? x - al * y : x * y;
  dO[o] = r;
#else
  int x = LOADI_A(a), y = LOADI_B(b);
  int al = int(P(BP_EW_EXTRA));
  int r = OP == 0 ? x + al * y : OP == 1 ? x - al * y : x * y;
  STOREI_O(o, r);
#endif
}
