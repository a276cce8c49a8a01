/* bp_cl_convert.h - host-side scalar conversions (bp_cl_convert.c). */
#ifndef BACKPLANE_BACKENDS_OPENCL_BP_CL_CONVERT_H_
#define BACKPLANE_BACKENDS_OPENCL_BP_CL_CONVERT_H_

#include <stdint.h>

#include "backplane/bp_abi.h"

/* The bits of v stored as dtype (low bytes of the result), as the
 * reference's float-class store: floats round once to nearest even,
 * integers truncate (x86-64 results out of range), bool is v != 0. */
uint64_t bp_cl_float_bits(bp_dtype_t dtype, double v);
/* The same from an integer-class value: integers wrap. */
uint64_t bp_cl_int_bits(bp_dtype_t dtype, int64_t v);
/* v truncated to int64, INT64_MIN out of range or NaN (as x86-64). */
int64_t bp_cl_f64_to_i64(double v);

#endif /* BACKPLANE_BACKENDS_OPENCL_BP_CL_CONVERT_H_ */
