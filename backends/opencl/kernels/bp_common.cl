/* bp_common.cl - prepended to every Backplane OpenCL program.
 *
 * Dtype storage: bool/u8 uchar, i8 char, i32 int, i64 long, f16 and bf16
 * ushort (their bits; converted in software, so no cl_khr_fp16 is needed),
 * f32 float, f64 double (only with BP_HAS_FP64, i.e. cl_khr_fp64).
 * The conversions below give exactly what the reference gives
 * (reference/src/ref_dtype.h): round to nearest even, NaN kept quiet,
 * float to integer truncating with x86-64 results out of range. */
#ifdef BP_HAS_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif
/* No contraction into fma: results must round as the reference's do. */
#pragma OPENCL FP_CONTRACT OFF

#define BP_MAX_DIMS 8
#define BP_MAX_OPERANDS 4

/* Must match bp_cl_geom_t (bp_cl_internal.h): 64-bit members only. */
typedef struct bp_geom {
  long numel;
  long ndim;
  long shape[BP_MAX_DIMS];
  long stride[BP_MAX_OPERANDS][BP_MAX_DIMS];
  long offset[BP_MAX_OPERANDS];
} bp_geom_t;

/* Element offset of logical (row-major) index i in operand k. */
#define BP_GEOM_OFFSET(g, k, i, out)                      \
  do {                                                    \
    long r_ = (i);                                        \
    long o_ = (g).offset[k];                              \
    if ((g).ndim == 1) {                                  \
      (out) = o_ + r_ * (g).stride[k][0];                 \
      break;                                              \
    }                                                     \
    for (int d_ = (int)(g).ndim - 1; d_ > 0; --d_) {      \
      long c_ = r_ % (g).shape[d_];                       \
      r_ /= (g).shape[d_];                                \
      o_ += c_ * (g).stride[k][d_];                       \
    }                                                     \
    if ((g).ndim > 0) o_ += r_ * (g).stride[k][0];        \
    (out) = o_;                                           \
  } while (0)

static inline uint bp_shift_round_even(uint v, uint shift) {
  uint kept = v >> shift;
  uint rest = v & ((1u << shift) - 1u);
  uint halfway = 1u << (shift - 1u);
  if (rest > halfway || (rest == halfway && (kept & 1u))) ++kept;
  return kept;
}

static inline ushort bp_f32_to_f16(float value) {
  uint x = as_uint(value);
  uint sign = (x >> 16) & 0x8000u;
  uint a = x & 0x7fffffffu;
  if (a > 0x7f800000u) return (ushort)(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
  if (a >= 0x477ff000u) return (ushort)(sign | 0x7c00u);
  if (a >= 0x38800000u) return (ushort)(sign | (bp_shift_round_even(a, 13) - ((127u - 15u) << 10)));
  if (a < 0x33000000u) return (ushort)sign;
  uint mant = (a & 0x7fffffu) | 0x800000u;
  return (ushort)(sign | bp_shift_round_even(mant, 126u - (a >> 23)));
}

static inline float bp_f16_to_f32(ushort h) {
  uint sign = (uint)(h & 0x8000u) << 16;
  uint e = (h >> 10) & 0x1fu;
  uint m = h & 0x3ffu;
  if (e == 0x1fu) return as_float(sign | 0x7f800000u | (m << 13));
  if (e != 0) return as_float(sign | ((e + 112u) << 23) | (m << 13));
  return as_float(sign | as_uint((float)m * 0x1p-24f));
}

static inline ushort bp_f32_to_bf16(float value) {
  uint x = as_uint(value);
  if ((x & 0x7fffffffu) > 0x7f800000u) return (ushort)((x >> 16) | 0x40u);
  return (ushort)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

static inline float bp_bf16_to_f32(ushort b) { return as_float((uint)b << 16); }

/* v rounded to float with round-to-odd (exact, or the odd neighbour). */
static inline float bp_i64_to_f32_odd(long v) {
  ulong u = v < 0 ? (ulong)0 - (ulong)v : (ulong)v;
  int shift = 0;
  while ((u >> shift) >= (1ul << 24)) ++shift;
  ulong kept = u >> shift;
  if (shift > 0 && (u & ((1ul << shift) - 1ul)) != 0) kept |= 1ul;
  float f = ldexp((float)kept, shift);
  return v < 0 ? -f : f;
}

/* Float to integer as x86-64 (and the reference): truncate; out of range
 * or NaN gives the minimum; 8-bit targets keep the low byte of the i32. */
static inline int bp_f32_to_i32(float v) {
  return (v >= -2147483648.0f && v < 2147483648.0f) ? (int)v : (int)0x80000000u;
}
static inline long bp_f32_to_i64(float v) {
  return (v >= -9223372036854775808.0f && v < 9223372036854775808.0f) ? (long)v
                                                                       : (long)0x8000000000000000ul;
}

#ifdef BP_HAS_FP64
static inline float bp_f64_to_f32_odd(double d) {
  float f = (float)d;
  if (d != d || (double)f == d) return f;
  uint x = as_uint(f);
  if (fabs((double)f) > fabs(d)) --x;
  return as_float(x | 1u);
}
static inline int bp_f64_to_i32(double v) {
  return (v > -2147483649.0 && v < 2147483648.0) ? (int)v : (int)0x80000000u;
}
static inline long bp_f64_to_i64(double v) {
  return (v >= -9223372036854775808.0 && v < 9223372036854775808.0) ? (long)v
                                                                     : (long)0x8000000000000000ul;
}
#endif

/* Stores from an integer-class value (long): integers wrap, bool is != 0. */
#define bp_sti_bool(p, i, v) ((p)[i] = (uchar)((v) != 0))
#define bp_sti_u8(p, i, v) ((p)[i] = (uchar)(ulong)(v))
#define bp_sti_i8(p, i, v) ((p)[i] = (char)(uchar)(ulong)(v))
#define bp_sti_i32(p, i, v) ((p)[i] = (int)(uint)(ulong)(v))
#define bp_sti_i64(p, i, v) ((p)[i] = (long)(v))
#define bp_sti_f16(p, i, v) ((p)[i] = bp_f32_to_f16(bp_i64_to_f32_odd(v)))
#define bp_sti_bf16(p, i, v) ((p)[i] = bp_f32_to_bf16(bp_i64_to_f32_odd(v)))
#define bp_sti_f32(p, i, v) ((p)[i] = (float)(long)(v))
#define bp_sti_f64(p, i, v) ((p)[i] = (double)(long)(v))

/* Stores from a float value (float): floats round to nearest, integers
 * truncate as above, bool is != 0 (NaN gives 1). */
#define bp_stf_bool(p, i, v) ((p)[i] = (uchar)((v) != 0.0f))
#define bp_stf_u8(p, i, v) ((p)[i] = (uchar)(uint)bp_f32_to_i32(v))
#define bp_stf_i8(p, i, v) ((p)[i] = (char)(uchar)(uint)bp_f32_to_i32(v))
#define bp_stf_i32(p, i, v) ((p)[i] = bp_f32_to_i32(v))
#define bp_stf_i64(p, i, v) ((p)[i] = bp_f32_to_i64(v))
#define bp_stf_f16(p, i, v) ((p)[i] = bp_f32_to_f16(v))
#define bp_stf_bf16(p, i, v) ((p)[i] = bp_f32_to_bf16(v))
#define bp_stf_f32(p, i, v) ((p)[i] = (v))
#define bp_stf_f64(p, i, v) ((p)[i] = (double)(v))

/* Stores from a double value. */
#define bp_std_bool(p, i, v) ((p)[i] = (uchar)((v) != 0.0))
#define bp_std_u8(p, i, v) ((p)[i] = (uchar)(uint)bp_f64_to_i32(v))
#define bp_std_i8(p, i, v) ((p)[i] = (char)(uchar)(uint)bp_f64_to_i32(v))
#define bp_std_i32(p, i, v) ((p)[i] = bp_f64_to_i32(v))
#define bp_std_i64(p, i, v) ((p)[i] = bp_f64_to_i64(v))
#define bp_std_f16(p, i, v) ((p)[i] = bp_f32_to_f16(bp_f64_to_f32_odd(v)))
#define bp_std_bf16(p, i, v) ((p)[i] = bp_f32_to_bf16(bp_f64_to_f32_odd(v)))
#define bp_std_f32(p, i, v) ((p)[i] = (float)(v))
#define bp_std_f64(p, i, v) ((p)[i] = (v))

/* Loads into the class value: long for integers/bool, float for
 * f16/bf16/f32, double for f64. */
#define bp_ld_bool(p, i) ((long)((p)[i] != 0))
#define bp_ld_u8(p, i) ((long)(p)[i])
#define bp_ld_i8(p, i) ((long)(p)[i])
#define bp_ld_i32(p, i) ((long)(p)[i])
#define bp_ld_i64(p, i) ((p)[i])
#define bp_ld_f16(p, i) bp_f16_to_f32((p)[i])
#define bp_ld_bf16(p, i) bp_bf16_to_f32((p)[i])
#define bp_ld_f32(p, i) ((p)[i])
#define bp_ld_f64(p, i) ((p)[i])

/* tanh that is exactly +-1 where it rounds to it (|v| > 20 in f32 and f64):
 * some implementations give an inexact value at +-inf. */
/* CT is the compute type of the kernel using it. */
#define bp_tanh_sat(v) (fabs(v) > 20 ? ((v) > 0 ? (CT)1 : (CT)-1) : tanh(v))
