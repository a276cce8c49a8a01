/*
 * bp_vk_convert.h - host-side scalar conversions the kernels need for their
 * parameters (a fill value's bits, an integer alpha), with the reference's
 * rules (reference/src/ref_dtype.h): halves round once to nearest even
 * (double goes to float with round-to-odd first), float to integer
 * truncates with x86 results for NaN and out-of-range values.
 */
#ifndef BACKPLANE_BACKENDS_VULKAN_BP_VK_CONVERT_H_
#define BACKPLANE_BACKENDS_VULKAN_BP_VK_CONVERT_H_

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "backplane/bp_abi.h"

static inline uint32_t bpvk_fbits(float f) { uint32_t x; memcpy(&x, &f, 4); return x; }
static inline float bpvk_bitsf(uint32_t x) { float f; memcpy(&f, &x, 4); return f; }

static inline uint32_t bpvk_shift_round_even(uint32_t v, uint32_t shift) {
  uint32_t kept = v >> shift, rest = v & ((1u << shift) - 1u), half = 1u << (shift - 1u);
  if (rest > half || (rest == half && (kept & 1u))) ++kept;
  return kept;
}

static inline uint16_t bpvk_f32_to_f16(float value) {
  uint32_t x = bpvk_fbits(value), a = x & 0x7fffffffu;
  uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
  if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
  if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);
  if (a >= 0x38800000u) return (uint16_t)(sign | (bpvk_shift_round_even(a, 13) - ((127u - 15u) << 10)));
  if (a < 0x33000000u) return sign;
  return (uint16_t)(sign | bpvk_shift_round_even((a & 0x7fffffu) | 0x800000u, 126u - (a >> 23)));
}

static inline uint16_t bpvk_f32_to_bf16(float value) {
  uint32_t x = bpvk_fbits(value);
  if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40u);
  return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

static inline float bpvk_f64_to_f32_odd(double d) {
  float f = (float)d;
  if (d != d || (double)f == d) return f;
  uint32_t x = bpvk_fbits(f);
  if (fabs((double)f) > fabs(d)) --x;
  return bpvk_bitsf(x | 1u);
}

static inline int64_t bpvk_f64_to_i64(double v) {
  if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0)) return INT64_MIN;
  return (int64_t)v;
}

static inline int32_t bpvk_f64_to_i32(double v) {
  if (!(v > -2147483649.0 && v < 2147483648.0)) return INT32_MIN;
  return (int32_t)v;
}

/* The bits of one element of dtype for fill: value for floats and bool,
 * value_int for the integers (wrapping). */
static inline uint64_t bpvk_element_bits(bp_dtype_t dt, double value, int64_t value_int) {
  switch (dt) {
    case BP_DTYPE_BOOL: return value != 0.0; /* NaN != 0 */
    case BP_DTYPE_U8: case BP_DTYPE_I8: return (uint64_t)value_int & 0xffu;
    case BP_DTYPE_I32: return (uint64_t)value_int & 0xffffffffu;
    case BP_DTYPE_I64: return (uint64_t)value_int;
    case BP_DTYPE_F16: return bpvk_f32_to_f16(bpvk_f64_to_f32_odd(value));
    case BP_DTYPE_BF16: return bpvk_f32_to_bf16(bpvk_f64_to_f32_odd(value));
    case BP_DTYPE_F32: return bpvk_fbits((float)value);
    default: { uint64_t u; memcpy(&u, &value, 8); return u; }
  }
}

#endif /* BACKPLANE_BACKENDS_VULKAN_BP_VK_CONVERT_H_ */
