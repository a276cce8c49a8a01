#version 450
// copy.comp - dst = src with casting (op `copy`), DT_A -> DT_O, with the
// reference's rules (reference/src/ref_dtype.h): floats to i32/i64 give
// the minimum for NaN and out of range, u8/i8 go through i32 and keep the
// low byte, bool is v != 0 (NaN -> 1), halves round once (round to odd first).
#include "common.glsl"
#include "types.glsl"
#include "elementwise.glsl"

#define IS_FLOAT(dt) ((dt) >= 6)

float bp_f64_to_f32_odd(double d) {
  float f = float(d);
  if (isnan(d) || double(f) == d) return f;
  uint x = floatBitsToUint(f);
  if (abs(double(f)) > abs(d)) --x;
  return uintBitsToFloat(x | 1u);
}
#if DT_A == 5 || DT_O == 5
#define ITYPE int64_t
#define UTYPE uint64_t
#else
#define ITYPE int
#define UTYPE uint
#endif
float bp_int_to_f32_odd(ITYPE v) {
  UTYPE u = v < ITYPE(0) ? UTYPE(0) - UTYPE(v) : UTYPE(v);
  int shift = 0;
  while ((u >> shift) >= UTYPE(16777216)) ++shift;
  UTYPE kept = u >> shift;
  if (shift > 0 && (u & ((UTYPE(1) << shift) - UTYPE(1))) != UTYPE(0)) kept |= UTYPE(1);
  float f = ldexp(float(uint(kept)), shift);
  return v < ITYPE(0) ? -f : f;
}

#ifdef EW_VEC4
// 4-byte raw copies only (DT_A == DT_O == 4): the vec4 variant (ewv4.glsl)
// moving uvec4s through R32G32B32A32_UINT / R32_UINT views, bits unchanged.
layout(constant_id = 0) const uint OP_MODE = 0;
#define EWV_VT uvec4
#define EWV_ST uint
#define EWV_SAMPLER usamplerBuffer
uvec4 bp_v4_op(uvec4 x) { return x; }
uint bp_v1_op(uint x) { return x; }
#define EW_V4_NIN 1
#include "ewv4.glsl"
#else
void main() {
  uint idx = bp_linear_id();
  if (idx >= P(0)) return;
  uint o, a, unused;
  bp_ew_offsets(idx, o, a, unused);
#if DT_A == DT_O
  dO[o] = dA[a];
#elif IS_FLOAT(DT_A)
#if DT_A == 9
  double v = dA[a];
#else
  float v = LOADF_A(a);
#endif
#if DT_O == 9
  dO[o] = double(v);
#elif DT_O == 8
  dO[o] = float(v);
#elif DT_O == 6 || DT_O == 7
#if DT_A == 9
  STOREF_O(o, bp_f64_to_f32_odd(v));
#else
  STOREF_O(o, v);
#endif
#elif DT_O == 1
  dO[o] = uint8_t(!(v == 0.0) ? 1u : 0u);
#elif DT_O == 5
  dO[o] = (v >= -9223372036854775808.0 && v < 9223372036854775808.0) ? int64_t(v) : int64_t(0x8000000000000000ul);
#else
  int i32 = (v > -2147483649.0 && v < 2147483648.0) ? int(v) : int(0x80000000u);
  STOREI_O(o, i32);
#endif
#else
  ITYPE v = ITYPE(LOADI_A(a));
#if DT_O == 9
  dO[o] = double(v);
#elif DT_O == 8
  dO[o] = float(v);
#elif DT_O == 6 || DT_O == 7
  STOREF_O(o, bp_int_to_f32_odd(v));
#else
  STOREI_O(o, v);
#endif
#endif
}
#endif
