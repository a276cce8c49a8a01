#version 450
// binary.comp - binary elementwise ops of one dtype (a, b, out alike), OP a
// specialization constant: 0 add, 1 sub, 2 mul, 3 div, 4 remainder, 5 pow,
// 6 maximum, 7 minimum, 8 atan2, 9 bitwise_and, 10 bitwise_or,
// 11 bitwise_xor. Inputs arrive broadcast to the output's shape. Integers
// wrap; f16/bf16 compute in f32 and round once; bool add/maximum are or,
// mul/minimum and. Extra words: [0..1] alpha (f32 bits, f64 bits or the i64
// alpha's low/high words), [2] div's rounding_mode (0 true, 1 trunc,
// 2 floor). f64 pow/atan2 are not registered (no f64 pow/atan in SPIR-V).
// An integer division by zero sets the dispatch's check word (the host
// reports INVALID_ARGUMENT at synchronize) and writes 0.
#define BP_PARAMS_CHECKED 1
#include "common.glsl"
#define DT_A DT_O
#define DT_B DT_O
#include "types.glsl"
#include "elementwise.glsl"
#if DT_O >= 6 && DT_O <= 8
#include "fmath.glsl"
#endif

#ifdef EW_VEC4
// The vec4 variant: the op in the low 8 bits, ewv4.glsl's mode above.
layout(constant_id = 0) const uint OP_MODE = 0;
const uint OP = OP_MODE & 255u;
#else
layout(constant_id = 0) const uint OP = 0;
#endif

#if DT_O >= 6
#if DT_O == 9
#define FT double
#define FBITS(v) unpackDouble2x32(v).y
#define FBUILD(hi, lo) packDouble2x32(uvec2(lo, hi))
#else
#define FT float
#endif
bool bp_signbit(FT v) {
#if DT_O == 9
  return (unpackDouble2x32(v).y >> 31) != 0u;
#else
  return (floatBitsToUint(v) >> 31) != 0u;
#endif
}
FT bp_copysign(FT m, FT s) { return bp_signbit(m) == bp_signbit(s) ? m : -m; }
// fmod, exact: the truncated quotient fixed up by one when x / y rounded
// across an integer (the fused x - q y is exact then): up when the rest has
// the wrong sign, down when it is a whole |y| or more (drivers whose
// division is not correctly rounded, e.g. NVIDIA's, give 2.9999998 for 3).
FT bp_fmod(FT x, FT y) {
  if (isnan(x) || isnan(y) || isinf(x) || y == FT(0)) return FT(uintBitsToFloat(0x7fc00000u));
  if (isinf(y)) return x;
  FT q = trunc(x / y);
  precise FT r = fma(-q, y, x);
  if (r != FT(0) && (r < FT(0)) != (x < FT(0))) r += (x < FT(0)) ? -abs(y) : abs(y);
  else if (abs(r) >= abs(y)) r -= (x < FT(0)) ? -abs(y) : abs(y);
  return r == FT(0) ? bp_copysign(FT(0), x) : r;
}
FT bp_div(FT x, FT y, uint mode) {
  if (mode == 1u) return trunc(x / y);
  if (mode != 2u || y == FT(0)) return x / y;
  FT mod = bp_fmod(x, y);
  precise FT q = (x - mod) / y;
  if (mod != FT(0) && (y < FT(0)) != (mod < FT(0))) q -= FT(1);
  if (q == FT(0)) return bp_copysign(FT(0), x / y);
  FT fl = floor(q);
  if (q - fl > FT(0.5)) fl += FT(1);
  return fl;
}
FT bp_rem(FT x, FT y) {
  FT mod = bp_fmod(x, y);
  if (mod != FT(0) && (y < FT(0)) != (mod < FT(0))) mod += y;
  return mod;
}
FT bp_max(FT x, FT y) { return isnan(x) ? x : isnan(y) ? y : (x < y ? y : x); }
FT bp_min(FT x, FT y) { return isnan(x) ? x : isnan(y) ? y : (y < x ? y : x); }
#if DT_O != 9
// pow with C's special cases (GLSL's pow leaves x < 0 and x = 0 undefined).
float bp_pow(float x, float y) {
  if (y == 0.0 || x == 1.0) return 1.0;
  if (isnan(x) || isnan(y)) return x + y;
  float ax = abs(x);
  bool yint = trunc(y) == y;
  bool yodd = yint && abs(y) < 16777216.0 && trunc(y * 0.5) * 2.0 != y;
  if (isinf(y)) return ax == 1.0 ? 1.0 : ((ax < 1.0) == (y < 0.0) ? uintBitsToFloat(0x7f800000u) : 0.0);
  if (x < 0.0 && !yint) return uintBitsToFloat(0x7fc00000u);
  float r;
  if (ax == 0.0) r = y > 0.0 ? 0.0 : uintBitsToFloat(0x7f800000u);
  else if (isinf(ax)) r = y > 0.0 ? uintBitsToFloat(0x7f800000u) : 0.0;
  else r = pow(ax, y);
  return (bp_signbit(x) && yodd) ? -r : r;
}
float bp_atan2(float y, float x) {
  if (isnan(x) || isnan(y)) return x + y;
  const float pi = 3.14159265358979323846, pi_2 = 1.57079632679489661923;
  float ay = abs(y), ax = abs(x), r;
  if (ay == 0.0 && ax == 0.0) r = bp_signbit(x) ? pi : 0.0;
  else if (isinf(ay) && isinf(ax)) r = bp_signbit(x) ? 2.35619449019234492885 : 0.78539816339744830962;
  else if (ax >= ay) { r = bp_atan(ay / ax); if (bp_signbit(x)) r = pi - r; }
  else { r = bp_atan(ax / ay); r = bp_signbit(x) ? pi_2 + r : pi_2 - r; }
  return bp_copysign(r, y);
}
#endif
#endif

#ifdef EW_VEC4
// f32 only: the vec4 variant (ewv4.glsl); div's rounding mode in bits
// 13..14 of OP_MODE (lavapipe runs both sides of a branch: a mode read
// from the parameters would cost every division the floor one's fmod).
const uint EWV_DIV_MODE = (OP_MODE >> 13) & 3u;
float bp_v1_op(float x, float y) {
  float al = uintBitsToFloat(P(BP_EW_EXTRA));
  precise float r;
  switch (OP) {
    case 0: r = x + al * y; break;
    case 1: r = x - al * y; break;
    case 2: r = x * y; break;
    case 3: r = bp_div(x, y, EWV_DIV_MODE); break;
    case 4: r = bp_rem(x, y); break;
    case 5: r = bp_pow(x, y); break;
    case 6: r = bp_max(x, y); break;
    case 7: r = bp_min(x, y); break;
    default: r = bp_atan2(x, y); break;
  }
  return r;
}
vec4 bp_v4_op(vec4 x, vec4 y) {
  return vec4(bp_v1_op(x.x, y.x), bp_v1_op(x.y, y.y), bp_v1_op(x.z, y.z), bp_v1_op(x.w, y.w));
}
#define EW_V4_NIN 2
#include "ewv4.glsl"
#else
void main() {
  uint idx = bp_linear_id();
  if (idx >= P(0)) return;
  uint o, a, b;
  bp_ew_offsets(idx, o, a, b);
#if DT_O == 9
  double x = dA[a], y = dB[b];
  double al = packDouble2x32(uvec2(P(BP_EW_EXTRA), P(BP_EW_EXTRA + 1)));
  precise double r;
  switch (OP) {
    case 0: r = x + al * y; break;
    case 1: r = x - al * y; break;
    case 2: r = x * y; break;
    case 3: r = bp_div(x, y, P(BP_EW_EXTRA + 2)); break;
    case 4: r = bp_rem(x, y); break;
    case 6: r = bp_max(x, y); break;
    default: r = bp_min(x, y); break;
  }
  dO[o] = r;
#elif DT_O >= 6
  float x = LOADF_A(a), y = LOADF_B(b);
  float al = uintBitsToFloat(P(BP_EW_EXTRA));
  precise float r;
  switch (OP) {
    case 0: r = x + al * y; break;
    case 1: r = x - al * y; break;
    case 2: r = x * y; break;
    case 3: r = bp_div(x, y, P(BP_EW_EXTRA + 2)); break;
    case 4: r = bp_rem(x, y); break;
    case 5: r = bp_pow(x, y); break;
    case 6: r = bp_max(x, y); break;
    case 7: r = bp_min(x, y); break;
    default: r = bp_atan2(x, y); break;
  }
  STOREF_O(o, r);
#elif DT_O == 1
  int x = LOADI_A(a), y = LOADI_B(b);
  STOREI_O(o, (OP == 2 || OP == 7 || OP == 9) ? (x & y) : OP == 11 ? (x ^ y) : (x | y));
#else
#if DT_O == 5
#define IT int64_t
#define UT uint64_t
  int64_t al = int64_t(packUint2x32(uvec2(P(BP_EW_EXTRA), P(BP_EW_EXTRA + 1))));
  int64_t x = dA[a], y = dB[b];
#else
#define IT int
#define UT uint
  int al = int(P(BP_EW_EXTRA));
  int x = LOADI_A(a), y = LOADI_B(b);
#endif
  IT r;
  switch (OP) {
    case 0: r = x + al * y; break;
    case 1: r = x - al * y; break;
    case 2: r = x * y; break;
    case 3:
    case 4: {
      if (y == IT(0)) {
        P_SET(BP_EW_CHECK, 1u);
        r = IT(0);
      } else if (y == IT(-1)) {
        r = OP == 3 ? -x : IT(0);
      } else {
        IT q = x / y, m = x - q * y;
        bool adjust = m != IT(0) && (m < IT(0)) != (y < IT(0));
        if (OP == 3) r = (adjust && P(BP_EW_EXTRA + 2) == 2u) ? q - IT(1) : q;
        else r = adjust ? m + y : m;
      }
      break;
    }
    case 5: {
      if (y < IT(0)) {
        r = x == IT(1) ? IT(1) : x == IT(-1) ? (((UT(y) & UT(1)) != UT(0)) ? IT(-1) : IT(1)) : IT(0);
      } else {
        UT base = UT(x), res = UT(1);
        for (UT e = UT(y); e != UT(0); e >>= 1) {
          if ((e & UT(1)) != UT(0)) res *= base;
          base *= base;
        }
        r = IT(res);
      }
      break;
    }
    case 6: r = x < y ? y : x; break;
    case 7: r = y < x ? y : x; break;
    case 9: r = x & y; break;
    case 10: r = x | y; break;
    default: r = x ^ y; break;
  }
#if DT_O == 5
  dO[o] = r;
#else
  STOREI_O(o, r);
#endif
#endif
}
#endif
