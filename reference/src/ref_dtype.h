/*
 * ref_dtype.h - scalar conversions between the nine v1.0 dtypes.
 *
 * Half types: f16 is IEEE binary16, bf16 the top 16 bits of an f32. Narrowing
 * rounds to nearest, ties to even; overflow gives inf; a NaN stays a NaN
 * (quieted, sign and top payload bits kept). Widening is exact.
 *
 * Double (and i64) to a half type is rounded once, correctly: it first goes
 * to float with round-to-odd (exact, or the odd neighbour when inexact), and
 * float keeps 24 bits >= p + 2, so the final round to nearest even is the
 * correct one. Plain (float)d would round twice: 1 + 2^-11 + 2^-40 would
 * become 1.0 in f16 instead of 1 + 2^-10.
 *
 * Float to integer truncates toward zero and is defined for every input
 * (C leaves it undefined). It gives what PyTorch's CPU casts give on x86-64:
 * i32 and i64 take NaN and out-of-range values to their minimum (the
 * "integer indefinite" of cvttsd2si); u8 and i8 go through i32 and keep the
 * low byte, so they wrap (-3.7 -> u8 gives 253, 300.0 -> i8 gives 44) and
 * NaN gives 0.
 *
 * The generic accessors below move one element through an "integer class"
 * value (int64_t, for BOOL and the integer dtypes) or a "float class" value
 * (double, for the float dtypes); they are the slow, obviously right path of
 * copy. Pointers may be unaligned.
 */
#ifndef BACKPLANE_REFERENCE_REF_DTYPE_H_
#define BACKPLANE_REFERENCE_REF_DTYPE_H_

#include <stdbool.h>
#include <stdint.h>

#include "backplane/bp_abi.h"

uint16_t bp_ref_f32_to_f16(float value);
float bp_ref_f16_to_f32(uint16_t bits);
uint16_t bp_ref_f32_to_bf16(float value);
float bp_ref_bf16_to_f32(uint16_t bits);
uint16_t bp_ref_f64_to_f16(double value);
uint16_t bp_ref_f64_to_bf16(double value);
uint16_t bp_ref_i64_to_f16(int64_t value);
uint16_t bp_ref_i64_to_bf16(int64_t value);

/* Float -> integer casts with PyTorch-on-x86 results (see above). */
uint8_t bp_ref_f64_to_u8(double value);
int8_t bp_ref_f64_to_i8(double value);
int32_t bp_ref_f64_to_i32(double value);
int64_t bp_ref_f64_to_i64(double value);

/* True for F16, BF16, F32, F64. */
static inline bool bp_ref_dtype_is_float(bp_dtype_t dtype) {
  return dtype == BP_DTYPE_F16 || dtype == BP_DTYPE_BF16 ||
         dtype == BP_DTYPE_F32 || dtype == BP_DTYPE_F64;
}

/* Reads an element of an integer-class dtype (BOOL gives 0 or 1). */
typedef int64_t (*bp_ref_load_i64_fn)(const void *src);
/* Reads an element of a float-class dtype, exactly. */
typedef double (*bp_ref_load_f64_fn)(const void *src);
/* Writes v converted to the dtype: integers wrap, BOOL is v != 0, floats
 * round to nearest. */
typedef void (*bp_ref_store_i64_fn)(void *dst, int64_t v);
/* Writes v converted to the dtype: integers truncate (out of range as
 * described above), BOOL is v != 0 (NaN -> 1), floats round to nearest. */
typedef void (*bp_ref_store_f64_fn)(void *dst, double v);

/* The accessor for a dtype, or NULL for a dtype of the wrong class or an
 * unknown one. */
bp_ref_load_i64_fn bp_ref_loader_i64(bp_dtype_t dtype);
bp_ref_load_f64_fn bp_ref_loader_f64(bp_dtype_t dtype);
/* Defined for every v1.0 dtype. */
bp_ref_store_i64_fn bp_ref_storer_i64(bp_dtype_t dtype);
bp_ref_store_f64_fn bp_ref_storer_f64(bp_dtype_t dtype);

#endif /* BACKPLANE_REFERENCE_REF_DTYPE_H_ */
