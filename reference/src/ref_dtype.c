/* ref_dtype.c - scalar dtype conversions; the rules are in ref_dtype.h. */
#include "ref_dtype.h"

#include <math.h>
#include <string.h>

static uint32_t float_bits(float f) {
  uint32_t x;
  memcpy(&x, &f, sizeof x);
  return x;
}

static float bits_float(uint32_t x) {
  float f;
  memcpy(&f, &x, sizeof f);
  return f;
}

/* Rounds the 32-bit value `v` right by `shift` bits, to nearest even. */
static uint32_t shift_round_even(uint32_t v, uint32_t shift) {
  uint32_t kept = v >> shift;
  uint32_t rest = v & ((1u << shift) - 1u);
  uint32_t half = 1u << (shift - 1u);
  if (rest > half || (rest == half && (kept & 1u))) ++kept;
  return kept;
}

uint16_t bp_ref_f32_to_f16(float value) {
  uint32_t x = float_bits(value);
  uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
  uint32_t a = x & 0x7fffffffu;
  if (a > 0x7f800000u) /* NaN: quiet it, keep the top payload bits */
    return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
  if (a >= 0x477ff000u) /* >= 65520 (and inf) rounds to inf */
    return (uint16_t)(sign | 0x7c00u);
  if (a >= 0x38800000u) { /* f16 normal: rebias the exponent 127 -> 15 */
    uint32_t h = shift_round_even(a, 13) - ((127u - 15u) << 10);
    return (uint16_t)(sign | h); /* a carry into the exponent is right */
  }
  if (a < 0x33000000u) /* below 2^-25: rounds to zero */
    return sign;
  /* f16 subnormal: the result is m * 2^-24. The input is
   * mant * 2^(biased - 150), so m = mant * 2^(biased - 126), i.e. mant shifted
   * right by 126 - biased (14..24 here), rounded. */
  uint32_t mant = (a & 0x7fffffu) | 0x800000u;
  uint32_t m = shift_round_even(mant, 126u - (a >> 23));
  return (uint16_t)(sign | m); /* m == 1024 encodes the smallest normal */
}

float bp_ref_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t e = (h >> 10) & 0x1fu;
  uint32_t m = h & 0x3ffu;
  if (e == 0x1fu) return bits_float(sign | 0x7f800000u | (m << 13));
  if (e != 0) return bits_float(sign | ((e + 112u) << 23) | (m << 13));
  /* zero or subnormal: m * 2^-24 is exact in float */
  return bits_float(sign | float_bits((float)m * 0x1p-24f));
}

uint16_t bp_ref_f32_to_bf16(float value) {
  uint32_t x = float_bits(value);
  if ((x & 0x7fffffffu) > 0x7f800000u) /* NaN: quiet it, keep sign/payload */
    return (uint16_t)((x >> 16) | 0x40u);
  return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

float bp_ref_bf16_to_f32(uint16_t bits) {
  return bits_float((uint32_t)bits << 16);
}

/* d rounded to float with round-to-odd: exact when d is a float, else the
 * neighbour of d whose last mantissa bit is 1 (truncate, then set the bit).
 * NaN stays NaN; overflow gives FLT_MAX, whose last bit is already 1. */
static float f64_to_f32_odd(double d) {
  float f = (float)d;
  if (d != d || (double)f == d) return f;
  uint32_t x = float_bits(f);
  if (fabs((double)f) > fabs(d)) --x; /* (float)d rounded away from zero */
  return bits_float(x | 1u);
}

uint16_t bp_ref_f64_to_f16(double value) { return bp_ref_f32_to_f16(f64_to_f32_odd(value)); }
uint16_t bp_ref_f64_to_bf16(double value) { return bp_ref_f32_to_bf16(f64_to_f32_odd(value)); }

/* v rounded to float with round-to-odd (see f64_to_f32_odd). */
static float i64_to_f32_odd(int64_t v) {
  uint64_t u = v < 0 ? 0u - (uint64_t)v : (uint64_t)v;
  int shift = 0;
  while ((u >> shift) >= (1u << 24)) ++shift;
  uint64_t kept = u >> shift;
  if (shift > 0 && (u & ((UINT64_C(1) << shift) - 1u)) != 0) kept |= 1u;
  float f = ldexpf((float)kept, shift); /* kept < 2^24: exact */
  return v < 0 ? -f : f;
}

uint16_t bp_ref_i64_to_f16(int64_t value) { return bp_ref_f32_to_f16(i64_to_f32_odd(value)); }
uint16_t bp_ref_i64_to_bf16(int64_t value) { return bp_ref_f32_to_bf16(i64_to_f32_odd(value)); }

/* The comparisons are written so that NaN falls through to 0, and bounds are
 * chosen so that every value that reaches the C cast is in range. */
/* What x86-64's truncating conversions give, which is what PyTorch's CPU
 * casts produce there: out of range or NaN is the "integer indefinite"
 * value (the type's minimum); 8-bit targets go through int32 and keep its
 * low byte (so they wrap). */
static int32_t f64_to_i32_x86(double v) {
  if (!(v > -2147483649.0 && v < 2147483648.0)) return INT32_MIN;
  return (int32_t)v;
}

uint8_t bp_ref_f64_to_u8(double v) { return (uint8_t)(uint32_t)f64_to_i32_x86(v); }

int8_t bp_ref_f64_to_i8(double v) {
  uint8_t low = (uint8_t)(uint32_t)f64_to_i32_x86(v);
  return (int8_t)(low >= 128 ? (int)low - 256 : (int)low);
}

int32_t bp_ref_f64_to_i32(double v) { return f64_to_i32_x86(v); }

int64_t bp_ref_f64_to_i64(double v) {
  if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0)) return INT64_MIN;
  return (int64_t)v;
}

/* ---- generic element accessors ---- */

#define REF_LOAD(name, T, R) \
  static R name(const void *src) { T v; memcpy(&v, src, sizeof v); return (R)v; }
REF_LOAD(load_u8, uint8_t, int64_t)
REF_LOAD(load_i8, int8_t, int64_t)
REF_LOAD(load_i32, int32_t, int64_t)
REF_LOAD(load_i64, int64_t, int64_t)
REF_LOAD(load_f32, float, double)
REF_LOAD(load_f64, double, double)
#undef REF_LOAD

static int64_t load_bool(const void *src) { return *(const uint8_t *)src != 0; }
static double load_f16(const void *src) {
  uint16_t h;
  memcpy(&h, src, sizeof h);
  return bp_ref_f16_to_f32(h);
}
static double load_bf16(const void *src) {
  uint16_t h;
  memcpy(&h, src, sizeof h);
  return bp_ref_bf16_to_f32(h);
}

/* Integer stores wrap: convert through the unsigned type of the width. */
#define REF_STORE_INT(name, UT) \
  static void name(void *dst, int64_t v) { UT u = (UT)(uint64_t)v; memcpy(dst, &u, sizeof u); }
REF_STORE_INT(store_i_u8, uint8_t)
REF_STORE_INT(store_i_i32, uint32_t)
REF_STORE_INT(store_i_i64, uint64_t)
#undef REF_STORE_INT
static void store_i_bool(void *dst, int64_t v) { *(uint8_t *)dst = v != 0; }
static void store_i_f16(void *dst, int64_t v) {
  uint16_t h = bp_ref_i64_to_f16(v);
  memcpy(dst, &h, sizeof h);
}
static void store_i_bf16(void *dst, int64_t v) {
  uint16_t h = bp_ref_i64_to_bf16(v);
  memcpy(dst, &h, sizeof h);
}
static void store_i_f32(void *dst, int64_t v) { float f = (float)v; memcpy(dst, &f, sizeof f); }
static void store_i_f64(void *dst, int64_t v) { double f = (double)v; memcpy(dst, &f, sizeof f); }

static void store_f_bool(void *dst, double v) { *(uint8_t *)dst = v != 0.0; }
static void store_f_u8(void *dst, double v) { *(uint8_t *)dst = bp_ref_f64_to_u8(v); }
static void store_f_i8(void *dst, double v) { int8_t i = bp_ref_f64_to_i8(v); memcpy(dst, &i, 1); }
static void store_f_i32(void *dst, double v) { int32_t i = bp_ref_f64_to_i32(v); memcpy(dst, &i, sizeof i); }
static void store_f_i64(void *dst, double v) { int64_t i = bp_ref_f64_to_i64(v); memcpy(dst, &i, sizeof i); }
static void store_f_f16(void *dst, double v) {
  uint16_t h = bp_ref_f64_to_f16(v);
  memcpy(dst, &h, sizeof h);
}
static void store_f_bf16(void *dst, double v) {
  uint16_t h = bp_ref_f64_to_bf16(v);
  memcpy(dst, &h, sizeof h);
}
static void store_f_f32(void *dst, double v) { float f = (float)v; memcpy(dst, &f, sizeof f); }
static void store_f_f64(void *dst, double v) { memcpy(dst, &v, sizeof v); }

bp_ref_load_i64_fn bp_ref_loader_i64(bp_dtype_t dtype) {
  switch (dtype) {
    case BP_DTYPE_BOOL: return load_bool;
    case BP_DTYPE_U8: return load_u8;
    case BP_DTYPE_I8: return load_i8;
    case BP_DTYPE_I32: return load_i32;
    case BP_DTYPE_I64: return load_i64;
    default: return NULL;
  }
}

bp_ref_load_f64_fn bp_ref_loader_f64(bp_dtype_t dtype) {
  switch (dtype) {
    case BP_DTYPE_F16: return load_f16;
    case BP_DTYPE_BF16: return load_bf16;
    case BP_DTYPE_F32: return load_f32;
    case BP_DTYPE_F64: return load_f64;
    default: return NULL;
  }
}

bp_ref_store_i64_fn bp_ref_storer_i64(bp_dtype_t dtype) {
  switch (dtype) {
    case BP_DTYPE_BOOL: return store_i_bool;
    case BP_DTYPE_U8: case BP_DTYPE_I8: return store_i_u8;
    case BP_DTYPE_I32: return store_i_i32;
    case BP_DTYPE_I64: return store_i_i64;
    case BP_DTYPE_F16: return store_i_f16;
    case BP_DTYPE_BF16: return store_i_bf16;
    case BP_DTYPE_F32: return store_i_f32;
    case BP_DTYPE_F64: return store_i_f64;
    default: return NULL;
  }
}

bp_ref_store_f64_fn bp_ref_storer_f64(bp_dtype_t dtype) {
  switch (dtype) {
    case BP_DTYPE_BOOL: return store_f_bool;
    case BP_DTYPE_U8: return store_f_u8;
    case BP_DTYPE_I8: return store_f_i8;
    case BP_DTYPE_I32: return store_f_i32;
    case BP_DTYPE_I64: return store_f_i64;
    case BP_DTYPE_F16: return store_f_f16;
    case BP_DTYPE_BF16: return store_f_bf16;
    case BP_DTYPE_F32: return store_f_f32;
    case BP_DTYPE_F64: return store_f_f64;
    default: return NULL;
  }
}
