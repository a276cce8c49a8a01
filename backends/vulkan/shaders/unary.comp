#version 450
// unary.comp - the elementwise unary ops of one dtype (x and out alike),
// OP a specialization constant (src/bp_vk_kernels.c, UN_*). f16/bf16
// compute in f32 and round once; f64 only has the ops SPIR-V gives double
// math for (no exp/log/sin... in GLSL.std.450 for f64; those are declined).
// Integers compute in int (int64 for i64) and wrap to the dtype on store.
// Extra words (BP_EW_EXTRA + k): 0 a32, 1 b32, 2 min32, 3 max32, 4-5 a64,
// 6-7 b64, 8-9 min64, 10-11 max64, 12-13 imin, 14-15 imax, 16 mode,
// 17 flags (1 has_min, 2 has_max, 4 negative decimals), 18 10^|decimals|
// f32, 20-21 10^|decimals| f64.
#include "common.glsl"
#define DT_A DT_O
#include "types.glsl"
#include "elementwise.glsl"
#include "fmath.glsl"

#ifdef EW_VEC4
// The vec4 variant: the op in the low 8 bits, ewv4.glsl's mode above.
layout(constant_id = 0) const uint OP_MODE = 0;
const uint OP = OP_MODE & 255u;
#else
layout(constant_id = 0) const uint OP = 0;
#endif
#define E(k) P(BP_EW_EXTRA + (k))
#define F32(k) uintBitsToFloat(E(k))
#define F64(k) packDouble2x32(uvec2(E(k), E((k) + 1)))
#define I64(k) int64_t(packUint2x32(uvec2(E(k), E((k) + 1))))

// 0 neg, 1 abs, 2 sign, 3 exp, 4 log, 5 log1p, 6 expm1, 7 sqrt, 8 rsqrt,
// 9 reciprocal, 10 sin, 11 cos, 12 tanh, 13 sigmoid, 14 relu,
// 15 leaky_relu, 16 elu, 17 gelu, 18 silu, 19 softplus, 20 erf, 21 floor,
// 22 ceil, 23 round, 24 trunc, 25 clamp
#if DT_O >= 6 && DT_O <= 8
float f(float x) {
  switch (OP) {
    case 0: return -x;
    case 1: return abs(x);
    case 2: return float(int(x > 0.0) - int(x < 0.0));  // +0 for -0 and NaN
    case 3: return exp(x);
    case 4: return bp_log(x);
    case 5: return bp_log1p(x);
    case 6: return bp_expm1(x);
    case 7: return sqrt(x);
    case 8: { precise float r = 1.0 / sqrt(x); return r; }
    case 9: { precise float r = 1.0 / x; return r; }
    case 10: return bp_sin(x);
    case 11: return bp_cos(x);
    case 12: return tanh(x);
    case 13: { precise float r = 1.0 / (1.0 + exp(-x)); return r; }
    case 14: return x < 0.0 ? 0.0 : x;
    case 15: { precise float r = x * F32(0); return x > 0.0 ? x : r; }
    case 16: { precise float r = F32(0) * bp_expm1(x); return x > 0.0 ? x : r; }
    case 17: {
      if (E(16) == 0u) { precise float r = x * 0.5 * (1.0 + bp_erf(x * 0.70710678118654752440)); return r; }
      precise float inner = 0.79788456080286535588 * (x + 0.044715 * (x * x * x));
      precise float r = 0.5 * x * (1.0 + tanh(inner));
      return r;
    }
    case 18: { precise float r = x / (1.0 + exp(-x)); return r; }
    case 19: { precise float xb = x * F32(0); return xb > F32(1) ? x : bp_log1p(exp(xb)) / F32(0); }
    case 20: return bp_erf(x);
    case 21: return floor(x);
    case 22: return ceil(x);
    case 23: {
      if (E(16) == 0u) return roundEven(x);
      precise float p = F32(18);
      if ((E(17) & 4u) != 0u) { precise float r = roundEven(x / p) * p; return r; }
      precise float r = roundEven(x * p) / p;
      return r;
    }
    case 24: return trunc(x);
    default: {
      if ((E(17) & 1u) != 0u && x < F32(2)) x = F32(2);
      if ((E(17) & 2u) != 0u && x > F32(3)) x = F32(3);
      return x;
    }
  }
}
#elif DT_O == 9
double f(double x) {
  switch (OP) {
    case 0: return -x;
    case 1: return abs(x);
    case 2: return double(int(x > 0.0LF) - int(x < 0.0LF));
    case 7: return sqrt(x);
    case 8: { precise double r = 1.0LF / sqrt(x); return r; }
    case 9: { precise double r = 1.0LF / x; return r; }
    case 14: return x < 0.0 ? 0.0LF : x;
    case 15: { precise double r = x * F64(4); return x > 0.0 ? x : r; }
    case 21: return floor(x);
    case 22: return ceil(x);
    case 23: {
      if (E(16) == 0u) return roundEven(x);
      precise double p = F64(20);
      if ((E(17) & 4u) != 0u) { precise double r = roundEven(x / p) * p; return r; }
      precise double r = roundEven(x * p) / p;
      return r;
    }
    case 24: return trunc(x);
    case 25: {
      if ((E(17) & 1u) != 0u && x < F64(8)) x = F64(8);
      if ((E(17) & 2u) != 0u && x > F64(10)) x = F64(10);
      return x;
    }
    default: return x;  // not registered for f64 (transcendental)
  }
}
#else
#if DT_O == 5
#define IT int64_t
#define IMIN I64(12)
#define IMAX I64(14)
#else
#define IT int
#define IMIN int(E(12))
#define IMAX int(E(14))
#endif
IT f(IT x) {
  switch (OP) {
    case 0: return -x;
    case 1: return x < IT(0) ? -x : x;
    case 2: return x > IT(0) ? IT(1) : x < IT(0) ? IT(-1) : IT(0);
    case 14: return x < IT(0) ? IT(0) : x;
    case 25: {
      if ((E(17) & 1u) != 0u && x < IMIN) x = IMIN;
      if ((E(17) & 2u) != 0u && x > IMAX) x = IMAX;
      return x;
    }
    default: return x;  // floor, ceil, round, trunc of integers; sign of bool
  }
}
#endif

#ifdef EW_VEC4
// f32 only: the vec4 variant (ewv4.glsl).
float bp_v1_op(float x) { return f(x); }
vec4 bp_v4_op(vec4 x) { return vec4(f(x.x), f(x.y), f(x.z), f(x.w)); }
#define EW_V4_NIN 1
#include "ewv4.glsl"
#else
void main() {
  uint idx = bp_linear_id();
  if (idx >= P(0)) return;
  uint o, a, unused;
  bp_ew_offsets(idx, o, a, unused);
#if DT_O >= 6 && DT_O <= 8
  STOREF_O(o, f(LOADF_A(a)));
#elif DT_O == 9 || DT_O == 5
  dO[o] = f(dA[a]);
#else
  STOREI_O(o, f(LOADI_A(a)));
#endif
}
#endif
