#version 450
// predicate.comp - logical_not, isnan, isinf (OP 0..2): any dtype DT_A in,
// bool out.
#include "common.glsl"
#define DT_O 1
#include "types.glsl"
#include "elementwise.glsl"

#ifdef EW_VEC4
// f32 only: the vec4 variant (ewv4.glsl), 4 bools stored as one uint.
layout(constant_id = 0) const uint OP_MODE = 0;
const uint OP = OP_MODE & 255u;
uint8_t bp_v1_op(float x) {
  bool r = OP == 0u ? x == 0.0 : OP == 1u ? isnan(x) : isinf(x);
  return uint8_t(r ? 1u : 0u);
}
uint bp_v4_op(vec4 x) {
  return uint(bp_v1_op(x.x)) | (uint(bp_v1_op(x.y)) << 8) | (uint(bp_v1_op(x.z)) << 16) |
         (uint(bp_v1_op(x.w)) << 24);
}
#define EWV_OVT uint
#define EWV_OST uint8_t
#define EW_V4_NIN 1
#include "ewv4.glsl"
#else
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
#endif
