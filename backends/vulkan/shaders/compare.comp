#version 450
// compare.comp - eq, ne, lt, le, gt, ge, logical_and, logical_or,
// logical_xor (OP 0..8): a and b of dtype DT_A, bool out. Halves compare as
// f32 (exact); NaN compares false except ne, and counts as true.
#include "common.glsl"
#define DT_O 1
#define DT_B DT_A
#include "types.glsl"
#include "elementwise.glsl"

#ifdef EW_VEC4
// f32 only: the vec4 variant (ewv4.glsl), 4 bools stored as one uint.
layout(constant_id = 0) const uint OP_MODE = 0;
const uint OP = OP_MODE & 255u;
uint8_t bp_v1_op(float x, float y) {
  bool r;
  switch (OP) {
    case 0: r = x == y; break;
    case 1: r = x != y; break;
    case 2: r = x < y; break;
    case 3: r = x <= y; break;
    case 4: r = x > y; break;
    case 5: r = x >= y; break;
    case 6: r = x != 0.0 && y != 0.0; break;
    case 7: r = x != 0.0 || y != 0.0; break;
    default: r = (x != 0.0) != (y != 0.0); break;
  }
  return uint8_t(r ? 1u : 0u);
}
uint bp_v4_op(vec4 x, vec4 y) {
  return uint(bp_v1_op(x.x, y.x)) | (uint(bp_v1_op(x.y, y.y)) << 8) | (uint(bp_v1_op(x.z, y.z)) << 16) |
         (uint(bp_v1_op(x.w, y.w)) << 24);
}
#define EWV_OVT uint
#define EWV_OST uint8_t
#define EW_V4_NIN 2
#include "ewv4.glsl"
#else
layout(constant_id = 0) const uint OP = 0;

void main() {
  uint idx = bp_linear_id();
  if (idx >= P(0)) return;
  uint o, a, b;
  bp_ew_offsets(idx, o, a, b);
#if DT_A == 9 || DT_A == 5
#define CT STYPE_A
  CT x = dA[a], y = dB[b];
#elif DT_A >= 6
#define CT float
  CT x = LOADF_A(a), y = LOADF_B(b);
#else
#define CT int
  CT x = LOADI_A(a), y = LOADI_B(b);
#endif
  bool r;
  switch (OP) {
    case 0: r = x == y; break;
    case 1: r = x != y; break;
    case 2: r = x < y; break;
    case 3: r = x <= y; break;
    case 4: r = x > y; break;
    case 5: r = x >= y; break;
    case 6: r = x != CT(0) && y != CT(0); break;
    case 7: r = x != CT(0) || y != CT(0); break;
    default: r = (x != CT(0)) != (y != CT(0)); break;
  }
  dO[o] = uint8_t(r ? 1u : 0u);
}
#endif
