/* ref_binary2.c - reference kernels of the binary elementwise ops beyond
 * add/sub/mul: div (true, trunc and floor), remainder, pow, maximum,
 * minimum, atan2, the comparisons, the logical and the bitwise ops.
 *
 * Inputs arrive broadcast to the output's shape (stride 0 where broadcast),
 * both in the kernel's input dtype. Each op is one element function per
 * dtype class, written as PyTorch's CPU kernels define the result:
 *  - integers never hit C's undefined behaviour: INT_MIN / -1 wraps to
 *    INT_MIN (and INT_MIN % -1 is 0), powers wrap (computed in uint64_t);
 *    an integer division by zero stops the kernel with INVALID_ARGUMENT;
 *  - f16/bf16 compute in f32 and round once;
 *  - maximum/minimum propagate NaN; comparisons with NaN are false except
 *    ne; logical ops take any nonzero value (NaN too) as true.
 */
#include <math.h>
#include <stdint.h>

#include "ref_dtype.h"
#include "ref_iter.h"
#include "ref_kernel.h"

/* div's rounding_mode attribute (bp_ops_binary.c documents it). */
enum { MODE_TRUE = 0, MODE_TRUNC = 1, MODE_FLOOR = 2 };

/* out[i] = f(a[i], b[i]) over n elements (strides in bytes). Returns false
 * when an integer division by zero was met (the rest of the row is done
 * with 0 results). */
typedef bool (*b2_row_fn)(char *o, const char *a, const char *b, int64_t n, int64_t so,
                          int64_t sa, int64_t sb, int mode);

typedef struct b2_impl {
  const char *op;
  bp_dtype_t dtype;     /* both inputs */
  bp_dtype_t out_dtype; /* dtype, or BOOL for comparisons and logical ops */
  bool uses_mode;       /* div: reads rounding_mode */
  b2_row_fn row;
} b2_impl_t;

/* One row function from an element function ELEM(x, y, mode, &zero). */
#define B2_ROW(name, T, OT, ELEM)                                                         \
  static bool name(char *o, const char *a, const char *b, int64_t n, int64_t so,          \
                   int64_t sa, int64_t sb, int mode) {                                    \
    bool zero = false;                                                                    \
    for (int64_t i = 0; i < n; ++i) {                                                     \
      const T x = *(const T *)(const void *)(a + i * sa);                                 \
      const T y = *(const T *)(const void *)(b + i * sb);                                 \
      *(OT *)(void *)(o + i * so) = ELEM(x, y, mode, &zero);                              \
    }                                                                                     \
    return !zero;                                                                         \
  }

/* ---- element functions: floats (float and double) ---- */

#define FLOAT_ELEMS(S, T, FMOD, FLOOR, TRUNC, POW, ATAN2, COPYSIGN)                        \
  static inline T div_##S(T x, T y, int mode, bool *z) {                                   \
    (void)z;                                                                               \
    if (mode == MODE_TRUNC) return TRUNC(x / y);                                           \
    if (mode != MODE_FLOOR || y == 0) return x / y;                                        \
    /* torch's div_floor_floating: exact quotient of x - fmod(x, y), then      \
     * floor, with the sign of a zero result from x / y. */                    \
    T mod = FMOD(x, y);                                                                    \
    T q = (x - mod) / y;                                                                   \
    if (mod != 0 && (y < 0) != (mod < 0)) q -= (T)1;                                       \
    if (q == 0) return COPYSIGN((T)0, x / y);                                              \
    T f = FLOOR(q);                                                                        \
    if (q - f > (T)0.5) f += (T)1;                                                         \
    return f;                                                                              \
  }                                                                                        \
  static inline T rem_##S(T x, T y, int mode, bool *z) {                                   \
    (void)mode, (void)z;                                                                   \
    T mod = FMOD(x, y);                                                                    \
    if (mod != 0 && (y < 0) != (mod < 0)) mod += y;                                        \
    return mod;                                                                            \
  }                                                                                        \
  static inline T pow_##S(T x, T y, int mode, bool *z) {                                   \
    (void)mode, (void)z;                                                                   \
    return POW(x, y);                                                                      \
  }                                                                                        \
  static inline T atan2_##S(T x, T y, int mode, bool *z) {                                 \
    (void)mode, (void)z;                                                                   \
    return ATAN2(x, y);                                                                    \
  }                                                                                        \
  static inline T max_##S(T x, T y, int mode, bool *z) {                                   \
    (void)mode, (void)z;                                                                   \
    if (x != x) return x;                                                                  \
    if (y != y) return y;                                                                  \
    return x < y ? y : x;                                                                  \
  }                                                                                        \
  static inline T min_##S(T x, T y, int mode, bool *z) {                                   \
    (void)mode, (void)z;                                                                   \
    if (x != x) return x;                                                                  \
    if (y != y) return y;                                                                  \
    return y < x ? y : x;                                                                  \
  }

FLOAT_ELEMS(f32, float, fmodf, floorf, truncf, powf, atan2f, copysignf)
FLOAT_ELEMS(f64, double, fmod, floor, trunc, pow, atan2, copysign)

/* ---- element functions: integers (T signed or not, UT its unsigned) ---- */

/* v < 0 for any integer type, without "always false" warnings for u8. */
static inline bool is_neg(int64_t v) { return v < 0; }

#define INT_ELEMS(S, T, UT, SIGNED)                                                        \
  static inline T div_##S(T x, T y, int mode, bool *z) {                                   \
    if (y == 0) {                                                                          \
      *z = true;                                                                           \
      return 0;                                                                            \
    }                                                                                      \
    /* x / -1 is -x, which wraps for the minimum (C leaves it undefined). */   \
    if (SIGNED && y == (T)-1) return (T)(UT)(0u - (UT)x);                                  \
    T q = (T)(x / y);                                                                      \
    if (mode == MODE_FLOOR && SIGNED) {                                                    \
      T r = (T)(x % y);                                                                    \
      if (r != 0 && is_neg(r) != is_neg(y)) q = (T)(q - 1);                                    \
    }                                                                                      \
    return q;                                                                              \
  }                                                                                        \
  static inline T rem_##S(T x, T y, int mode, bool *z) {                                   \
    (void)mode;                                                                            \
    if (y == 0) {                                                                          \
      *z = true;                                                                           \
      return 0;                                                                            \
    }                                                                                      \
    if (SIGNED && y == (T)-1) return 0;                                                    \
    T r = (T)(x % y);                                                                      \
    /* r and y have opposite signs here: r + y cannot overflow. */             \
    if (r != 0 && is_neg(r) != is_neg(y)) r = (T)(r + y);                                      \
    return r;                                                                              \
  }                                                                                        \
  static inline T pow_##S(T x, T y, int mode, bool *z) {                                   \
    (void)mode, (void)z;                                                                   \
    if (is_neg(y)) /* torch's powi: only 1 and -1 have nonzero negative powers */ \
      return x == 1 ? (T)1 : x == (T)-1 ? (T)(((UT)y & 1u) ? -1 : 1) : (T)0;               \
    uint64_t base = (uint64_t)(UT)x, result = 1;                                           \
    for (UT e = (UT)y; e; e >>= 1) {                                                       \
      if (e & 1u) result *= base;                                                          \
      base *= base;                                                                        \
    }                                                                                      \
    return (T)(UT)result;                                                                  \
  }                                                                                        \
  static inline T max_##S(T x, T y, int mode, bool *z) {                                   \
    (void)mode, (void)z;                                                                   \
    return x < y ? y : x;                                                                  \
  }                                                                                        \
  static inline T min_##S(T x, T y, int mode, bool *z) {                                   \
    (void)mode, (void)z;                                                                   \
    return y < x ? y : x;                                                                  \
  }                                                                                        \
  static inline T band_##S(T x, T y, int mode, bool *z) {                                  \
    (void)mode, (void)z;                                                                   \
    return (T)(x & y);                                                                     \
  }                                                                                        \
  static inline T bor_##S(T x, T y, int mode, bool *z) {                                   \
    (void)mode, (void)z;                                                                   \
    return (T)(x | y);                                                                     \
  }                                                                                        \
  static inline T bxor_##S(T x, T y, int mode, bool *z) {                                  \
    (void)mode, (void)z;                                                                   \
    return (T)(x ^ y);                                                                     \
  }

INT_ELEMS(u8, uint8_t, uint8_t, 0)
INT_ELEMS(i8, int8_t, uint8_t, 1)
INT_ELEMS(i32, int32_t, uint32_t, 1)
INT_ELEMS(i64, int64_t, uint64_t, 1)

/* ---- element functions: bool (stored as one byte, 0 or 1) ---- */

#define BOOL_ELEM(name, EXPR)                                          \
  static inline uint8_t name(uint8_t x8, uint8_t y8, int mode, bool *z) { \
    (void)mode, (void)z;                                               \
    const bool x = x8 != 0, y = y8 != 0;                               \
    return (uint8_t)(EXPR);                                            \
  }
BOOL_ELEM(max_b8, x || y)
BOOL_ELEM(min_b8, x && y)
BOOL_ELEM(band_b8, x && y)
BOOL_ELEM(bor_b8, x || y)
BOOL_ELEM(bxor_b8, x != y)
#undef BOOL_ELEM

/* ---- comparisons and logical ops: any dtype to bool ---- */

/* The value of an element as the type it compares in (bool as 0/1, halves
 * widened exactly to float). */
#define LOAD_PLAIN(v) (v)
#define LOAD_BOOL(v) ((v) != 0)
#define LOAD_F16(v) bp_ref_f16_to_f32(v)
#define LOAD_BF16(v) bp_ref_bf16_to_f32(v)

#define CMP_ELEMS(S, T, LOAD)                                                     \
  static inline uint8_t eq_##S(T x, T y, int m, bool *z) {                        \
    (void)m, (void)z;                                                             \
    return LOAD(x) == LOAD(y);                                                    \
  }                                                                               \
  static inline uint8_t ne_##S(T x, T y, int m, bool *z) {                        \
    (void)m, (void)z;                                                             \
    return LOAD(x) != LOAD(y);                                                    \
  }                                                                               \
  static inline uint8_t lt_##S(T x, T y, int m, bool *z) {                        \
    (void)m, (void)z;                                                             \
    return LOAD(x) < LOAD(y);                                                     \
  }                                                                               \
  static inline uint8_t le_##S(T x, T y, int m, bool *z) {                        \
    (void)m, (void)z;                                                             \
    return LOAD(x) <= LOAD(y);                                                    \
  }                                                                               \
  static inline uint8_t gt_##S(T x, T y, int m, bool *z) {                        \
    (void)m, (void)z;                                                             \
    return LOAD(x) > LOAD(y);                                                     \
  }                                                                               \
  static inline uint8_t ge_##S(T x, T y, int m, bool *z) {                        \
    (void)m, (void)z;                                                             \
    return LOAD(x) >= LOAD(y);                                                    \
  }                                                                               \
  static inline uint8_t land_##S(T x, T y, int m, bool *z) {                      \
    (void)m, (void)z;                                                             \
    return LOAD(x) != 0 && LOAD(y) != 0;                                          \
  }                                                                               \
  static inline uint8_t lor_##S(T x, T y, int m, bool *z) {                       \
    (void)m, (void)z;                                                             \
    return LOAD(x) != 0 || LOAD(y) != 0;                                          \
  }                                                                               \
  static inline uint8_t lxor_##S(T x, T y, int m, bool *z) {                      \
    (void)m, (void)z;                                                             \
    return (LOAD(x) != 0) != (LOAD(y) != 0);                                      \
  }

CMP_ELEMS(b8, uint8_t, LOAD_BOOL)
CMP_ELEMS(u8, uint8_t, LOAD_PLAIN)
CMP_ELEMS(i8, int8_t, LOAD_PLAIN)
CMP_ELEMS(i32, int32_t, LOAD_PLAIN)
CMP_ELEMS(i64, int64_t, LOAD_PLAIN)
CMP_ELEMS(f16, uint16_t, LOAD_F16)
CMP_ELEMS(bf16, uint16_t, LOAD_BF16)
CMP_ELEMS(f32, float, LOAD_PLAIN)
CMP_ELEMS(f64, double, LOAD_PLAIN)

/* ---- f16/bf16 arithmetic: in f32, rounded once ---- */

#define HALF_ELEM(name, FN, TO, FROM)                                             \
  static inline uint16_t name(uint16_t x, uint16_t y, int mode, bool *z) {        \
    return TO(FN(FROM(x), FROM(y), mode, z));                                     \
  }
#define HALF_ELEMS(S, TO, FROM)                 \
  HALF_ELEM(div_##S, div_f32, TO, FROM)         \
  HALF_ELEM(rem_##S, rem_f32, TO, FROM)         \
  HALF_ELEM(pow_##S, pow_f32, TO, FROM)         \
  HALF_ELEM(atan2_##S, atan2_f32, TO, FROM)     \
  HALF_ELEM(max_##S, max_f32, TO, FROM)         \
  HALF_ELEM(min_##S, min_f32, TO, FROM)
HALF_ELEMS(f16, bp_ref_f32_to_f16, bp_ref_f16_to_f32)
HALF_ELEMS(bf16, bp_ref_f32_to_bf16, bp_ref_bf16_to_f32)

/* ---- rows ---- */

#define ARITH_ROWS(S, T) /* div, remainder, pow, maximum, minimum */ \
  B2_ROW(row_div_##S, T, T, div_##S)                                \
  B2_ROW(row_rem_##S, T, T, rem_##S)                                \
  B2_ROW(row_pow_##S, T, T, pow_##S)                                \
  B2_ROW(row_max_##S, T, T, max_##S)                                \
  B2_ROW(row_min_##S, T, T, min_##S)
#define CMP_ROWS(S, T)                          \
  B2_ROW(row_eq_##S, T, uint8_t, eq_##S)        \
  B2_ROW(row_ne_##S, T, uint8_t, ne_##S)        \
  B2_ROW(row_lt_##S, T, uint8_t, lt_##S)        \
  B2_ROW(row_le_##S, T, uint8_t, le_##S)        \
  B2_ROW(row_gt_##S, T, uint8_t, gt_##S)        \
  B2_ROW(row_ge_##S, T, uint8_t, ge_##S)        \
  B2_ROW(row_land_##S, T, uint8_t, land_##S)    \
  B2_ROW(row_lor_##S, T, uint8_t, lor_##S)      \
  B2_ROW(row_lxor_##S, T, uint8_t, lxor_##S)
#define BIT_ROWS(S, T)                          \
  B2_ROW(row_band_##S, T, T, band_##S)          \
  B2_ROW(row_bor_##S, T, T, bor_##S)            \
  B2_ROW(row_bxor_##S, T, T, bxor_##S)

ARITH_ROWS(u8, uint8_t)
ARITH_ROWS(i8, int8_t)
ARITH_ROWS(i32, int32_t)
ARITH_ROWS(i64, int64_t)
ARITH_ROWS(f16, uint16_t)
ARITH_ROWS(bf16, uint16_t)
ARITH_ROWS(f32, float)
ARITH_ROWS(f64, double)
B2_ROW(row_atan2_f16, uint16_t, uint16_t, atan2_f16)
B2_ROW(row_atan2_bf16, uint16_t, uint16_t, atan2_bf16)
B2_ROW(row_atan2_f32, float, float, atan2_f32)
B2_ROW(row_atan2_f64, double, double, atan2_f64)
B2_ROW(row_max_b8, uint8_t, uint8_t, max_b8)
B2_ROW(row_min_b8, uint8_t, uint8_t, min_b8)
CMP_ROWS(b8, uint8_t)
CMP_ROWS(u8, uint8_t)
CMP_ROWS(i8, int8_t)
CMP_ROWS(i32, int32_t)
CMP_ROWS(i64, int64_t)
CMP_ROWS(f16, uint16_t)
CMP_ROWS(bf16, uint16_t)
CMP_ROWS(f32, float)
CMP_ROWS(f64, double)
BIT_ROWS(b8, uint8_t)
BIT_ROWS(u8, uint8_t)
BIT_ROWS(i8, int8_t)
BIT_ROWS(i32, int32_t)
BIT_ROWS(i64, int64_t)

/* ---- the table ---- */

#define D_BOOL BP_DTYPE_BOOL
#define IMPL(op, S, D, OD, mode, row) {op, D, OD, mode, row_##row##_##S}
/* Ops on every numeric dtype (div's integer kernels serve trunc/floor). */
#define NUMERIC(S, D)                                                              \
  IMPL("div", S, D, D, true, div), IMPL("remainder", S, D, D, false, rem),        \
  IMPL("pow", S, D, D, false, pow), IMPL("maximum", S, D, D, false, max),         \
  IMPL("minimum", S, D, D, false, min)
#define TO_BOOL(S, D)                                                              \
  IMPL("eq", S, D, D_BOOL, false, eq), IMPL("ne", S, D, D_BOOL, false, ne),       \
  IMPL("lt", S, D, D_BOOL, false, lt), IMPL("le", S, D, D_BOOL, false, le),       \
  IMPL("gt", S, D, D_BOOL, false, gt), IMPL("ge", S, D, D_BOOL, false, ge),       \
  IMPL("logical_and", S, D, D_BOOL, false, land),                                  \
  IMPL("logical_or", S, D, D_BOOL, false, lor),                                    \
  IMPL("logical_xor", S, D, D_BOOL, false, lxor)
#define BITWISE(S, D)                                                              \
  IMPL("bitwise_and", S, D, D, false, band), IMPL("bitwise_or", S, D, D, false, bor), \
  IMPL("bitwise_xor", S, D, D, false, bxor)

static const b2_impl_t b2_impls[] = {
    NUMERIC(u8, BP_DTYPE_U8),     NUMERIC(i8, BP_DTYPE_I8),
    NUMERIC(i32, BP_DTYPE_I32),   NUMERIC(i64, BP_DTYPE_I64),
    NUMERIC(f16, BP_DTYPE_F16),   NUMERIC(bf16, BP_DTYPE_BF16),
    NUMERIC(f32, BP_DTYPE_F32),   NUMERIC(f64, BP_DTYPE_F64),
    IMPL("maximum", b8, D_BOOL, D_BOOL, false, max),
    IMPL("minimum", b8, D_BOOL, D_BOOL, false, min),
    IMPL("atan2", f16, BP_DTYPE_F16, BP_DTYPE_F16, false, atan2),
    IMPL("atan2", bf16, BP_DTYPE_BF16, BP_DTYPE_BF16, false, atan2),
    IMPL("atan2", f32, BP_DTYPE_F32, BP_DTYPE_F32, false, atan2),
    IMPL("atan2", f64, BP_DTYPE_F64, BP_DTYPE_F64, false, atan2),
    TO_BOOL(b8, D_BOOL),        TO_BOOL(u8, BP_DTYPE_U8),
    TO_BOOL(i8, BP_DTYPE_I8),     TO_BOOL(i32, BP_DTYPE_I32),
    TO_BOOL(i64, BP_DTYPE_I64),   TO_BOOL(f16, BP_DTYPE_F16),
    TO_BOOL(bf16, BP_DTYPE_BF16), TO_BOOL(f32, BP_DTYPE_F32),
    TO_BOOL(f64, BP_DTYPE_F64),
    BITWISE(b8, D_BOOL),        BITWISE(u8, BP_DTYPE_U8),
    BITWISE(i8, BP_DTYPE_I8),     BITWISE(i32, BP_DTYPE_I32),
    BITWISE(i64, BP_DTYPE_I64),
};

/* Signatures (T, T, T) and (T, T, bool), indexed by T. */
#define SIG_SAME(t) [t] = {t, t, t}
#define SIG_BOOL(t) [t] = {t, t, BP_DTYPE_BOOL}
static const bp_dtype_t sig_same[BP_DTYPE_COUNT_V1_0][3] = {
    SIG_SAME(BP_DTYPE_BOOL), SIG_SAME(BP_DTYPE_U8),   SIG_SAME(BP_DTYPE_I8),
    SIG_SAME(BP_DTYPE_I32),  SIG_SAME(BP_DTYPE_I64),  SIG_SAME(BP_DTYPE_F16),
    SIG_SAME(BP_DTYPE_BF16), SIG_SAME(BP_DTYPE_F32),  SIG_SAME(BP_DTYPE_F64),
};
static const bp_dtype_t sig_to_bool[BP_DTYPE_COUNT_V1_0][3] = {
    SIG_BOOL(BP_DTYPE_BOOL), SIG_BOOL(BP_DTYPE_U8),   SIG_BOOL(BP_DTYPE_I8),
    SIG_BOOL(BP_DTYPE_I32),  SIG_BOOL(BP_DTYPE_I64),  SIG_BOOL(BP_DTYPE_F16),
    SIG_BOOL(BP_DTYPE_BF16), SIG_BOOL(BP_DTYPE_F32),  SIG_BOOL(BP_DTYPE_F64),
};

/* ---- the kernel ---- */

static bp_status_t ref_binary2(const bp_kernel_call_t *call) {
  const b2_impl_t *impl = call->kernel_data;
  if (impl == NULL) return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL, "ref binary2: no kernel_data");
  bp_status_t status = bp_ref_check_call(call, impl->op, 2, 1);
  if (status != BP_STATUS_OK) return status;
  const bp_tensor_desc_t *a = call->inputs[0], *b = call->inputs[1], *out = call->outputs[0];
  if (a->dtype != impl->dtype || b->dtype != impl->dtype || out->dtype != impl->out_dtype ||
      !bp_ref_same_shape(a, out) || !bp_ref_same_shape(b, out))
    return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL,
                       "ref %s: operands do not match the kernel's dtypes or out's shape", impl->op);
  int mode = MODE_TRUE;
  if (impl->uses_mode) {
    const bp_attr_t *attr = bp_abi_find_attr(call, "rounding_mode");
    if (attr != NULL && attr->type == BP_ATTR_INT) mode = (int)attr->value.i;
    if (mode < MODE_TRUE || mode > MODE_FLOOR ||
        (mode == MODE_TRUE && !bp_ref_dtype_is_float(impl->dtype)))
      return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL,
                         "ref div: rounding_mode %d with dtype %u (true division of integers "
                         "is planned in f32)", mode, (unsigned)impl->dtype);
  }
  if (bp_ref_numel(out) == 0) return BP_STATUS_OK;

  char *base[3] = {bp_ref_base(out), bp_ref_base(a), bp_ref_base(b)};
  const int64_t *strides[3] = {out->strides, a->strides, b->strides};
  const size_t in_size = bp_abi_dtype_size(a->dtype);
  const size_t sizes[3] = {bp_abi_dtype_size(out->dtype), in_size, in_size};
  bp_ref_iter_t it;
  bp_ref_iter_init(&it, out->ndim, out->shape, 3, base, strides, sizes);
  bool ok = true;
  do {
    ok = impl->row(it.ptr[0], it.ptr[1], it.ptr[2], it.inner_size, it.inner_stride[0],
                   it.inner_stride[1], it.inner_stride[2], mode) && ok;
  } while (ok && bp_ref_iter_next(&it));
  if (!ok)
    return bp_ref_fail(call->plugin_ctx, BP_STATUS_INVALID_ARGUMENT,
                       "bp_%s: integer division by zero", impl->op);
  return BP_STATUS_OK;
}

bp_status_t bp_ref_binary2_register(const bp_host_api_t *host) {
  for (size_t i = 0; i < sizeof b2_impls / sizeof b2_impls[0]; ++i) {
    const b2_impl_t *impl = &b2_impls[i];
    const bp_dtype_t *sig =
        impl->out_dtype == impl->dtype ? sig_same[impl->dtype] : sig_to_bool[impl->dtype];
    bp_status_t status = bp_ref_register(host, impl->op, sig, 3, ref_binary2, impl);
    if (status != BP_STATUS_OK) return status;
  }
  return BP_STATUS_OK;
}
