/* bp_cl_convert.c - the host side of dtype conversions: the bytes of a
 * `fill` value in the output dtype, with the reference's rounding
 * (reference/src/ref_dtype.h): nearest even, rounded once from double. */
#include <math.h>
#include <string.h>

#include "bp_cl_convert.h"

static uint32_t fbits(float f) { uint32_t x; memcpy(&x, &f, 4); return x; }
static float bitsf(uint32_t x) { float f; memcpy(&f, &x, 4); return f; }

static uint32_t round_even(uint32_t v, uint32_t shift) {
  uint32_t kept = v >> shift, rest = v & ((1u << shift) - 1u), half = 1u << (shift - 1u);
  if (rest > half || (rest == half && (kept & 1u))) ++kept;
  return kept;
}

static uint16_t f32_to_f16(float value) {
  uint32_t x = fbits(value);
  uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
  uint32_t a = x & 0x7fffffffu;
  if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
  if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);
  if (a >= 0x38800000u) return (uint16_t)(sign | (round_even(a, 13) - ((127u - 15u) << 10)));
  if (a < 0x33000000u) return sign;
  uint32_t mant = (a & 0x7fffffu) | 0x800000u;
  return (uint16_t)(sign | round_even(mant, 126u - (a >> 23)));
}

static uint16_t f32_to_bf16(float value) {
  uint32_t x = fbits(value);
  if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40u);
  return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

static float f64_to_f32_odd(double d) {
  float f = (float)d;
  if (d != d || (double)f == d) return f;
  uint32_t x = fbits(f);
  if (fabs((double)f) > fabs(d)) --x;
  return bitsf(x | 1u);
}

static int32_t f64_to_i32(double v) {
  if (!(v > -2147483649.0 && v < 2147483648.0)) return INT32_MIN;
  return (int32_t)v;
}

static int64_t f64_to_i64(double v) {
  if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0)) return INT64_MIN;
  return (int64_t)v;
}

int64_t bp_cl_f64_to_i64(double v) { return f64_to_i64(v); }

uint64_t bp_cl_float_bits(bp_dtype_t dtype, double v) {
  switch (dtype) {
    case BP_DTYPE_BOOL: return v != 0.0;
    case BP_DTYPE_U8: return (uint8_t)(uint32_t)f64_to_i32(v);
    case BP_DTYPE_I8: return (uint8_t)(uint32_t)f64_to_i32(v);
    case BP_DTYPE_I32: return (uint32_t)f64_to_i32(v);
    case BP_DTYPE_I64: return (uint64_t)f64_to_i64(v);
    case BP_DTYPE_F16: return f32_to_f16(f64_to_f32_odd(v));
    case BP_DTYPE_BF16: return f32_to_bf16(f64_to_f32_odd(v));
    case BP_DTYPE_F32: return fbits((float)v);
    default: { uint64_t u; memcpy(&u, &v, 8); return u; }
  }
}

/* v rounded to float with round-to-odd (exact when it fits in 24 bits). */
static float i64_to_f32_odd(int64_t v) {
  uint64_t u = v < 0 ? 0u - (uint64_t)v : (uint64_t)v;
  int shift = 0;
  while ((u >> shift) >= (1u << 24)) ++shift;
  uint64_t kept = u >> shift;
  if (shift > 0 && (u & ((UINT64_C(1) << shift) - 1u)) != 0) kept |= 1u;
  float f = ldexpf((float)kept, shift);
  return v < 0 ? -f : f;
}

uint64_t bp_cl_int_bits(bp_dtype_t dtype, int64_t v) {
  switch (dtype) {
    case BP_DTYPE_BOOL: return v != 0;
    case BP_DTYPE_U8: case BP_DTYPE_I8: return (uint8_t)(uint64_t)v;
    case BP_DTYPE_I32: return (uint32_t)(uint64_t)v;
    case BP_DTYPE_I64: return (uint64_t)v;
    case BP_DTYPE_F16: return f32_to_f16(i64_to_f32_odd(v));
    case BP_DTYPE_BF16: return f32_to_bf16(i64_to_f32_odd(v));
    case BP_DTYPE_F32: return fbits((float)v);
    default: { double d = (double)v; uint64_t u; memcpy(&u, &d, 8); return u; }
  }
}
