#version 450
// predicate.comp - logical_not, isnan, isinf (OP 0..2): any dtype DT_A in,
// bool out.
#include "common.glsl"
#define DT_O 1
#include "types.glsl"
#include "elementwise.glsl"

layout(constant_id = 0) const uint OP = 0;

void main() {
  uint idx = bp_linear_id();
  if (idx >= P(0)) return;
  uint o, a, unused;
  bp_ew_offsets(idx, o, a, unused);
  bool r;
#if DT_A == 9
  double x = dA[a];
  r = OP == 0 ? x == 0.0LF : OP == 1 ? isnan(x) : isinf(x);
#elif DT_A >= 6
  float x = LOADF_A(a);
  r = OP == 0 ? x == 0.0 : OP == 1 ? isnan(x) : isinf(x);
#elif DT_A == 5
  r = OP == 0 ? dA[a] == int64_t(0) : false;
#else
  r = OP == 0 ? LOADI_A(a) == 0 : false;
#endif
  dO[o] = uint8_t(r ? 1u : 0u);
}
