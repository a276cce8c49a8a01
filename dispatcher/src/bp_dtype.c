/* bp_dtype.c - dtype sizes, names and PyTorch's type promotion. */
#include <string.h>

#include "bp_internal.h"

static const char *const dtype_names[BP_DTYPE_COUNT_V1_0] = {
    [BP_DTYPE_INVALID] = "invalid", [BP_DTYPE_BOOL] = "bool",
    [BP_DTYPE_U8] = "u8",           [BP_DTYPE_I8] = "i8",
    [BP_DTYPE_I32] = "i32",         [BP_DTYPE_I64] = "i64",
    [BP_DTYPE_F16] = "f16",         [BP_DTYPE_BF16] = "bf16",
    [BP_DTYPE_F32] = "f32",         [BP_DTYPE_F64] = "f64",
};

size_t bp_dtype_size(bp_dtype_t dtype) { return bp_abi_dtype_size(dtype); }

const char *bp_dtype_name(bp_dtype_t dtype) {
  return dtype < BP_DTYPE_COUNT_V1_0 ? dtype_names[dtype] : "invalid";
}

bp_status_t bp_dtype_from_name(const char *name, bp_dtype_t *out_dtype) {
  if (!name) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_dtype_from_name: name is NULL");
  if (!out_dtype)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_dtype_from_name: out_dtype is NULL");
  for (bp_dtype_t d = BP_DTYPE_BOOL; d < BP_DTYPE_COUNT_V1_0; ++d) {
    if (!strcmp(name, dtype_names[d])) {
      *out_dtype = d;
      return BP_STATUS_OK;
    }
  }
  return bp_fail(BP_STATUS_NOT_FOUND,
                 "bp_dtype_from_name: unknown dtype '%s' (expected one of bool, "
                 "u8, i8, i32, i64, f16, bf16, f32, f64)", name);
}

static bool is_float(bp_dtype_t d) {
  return d == BP_DTYPE_F16 || d == BP_DTYPE_BF16 || d == BP_DTYPE_F32 || d == BP_DTYPE_F64;
}

bp_dtype_t bp_dtype_promote(bp_dtype_t a, bp_dtype_t b) {
  if (a == BP_DTYPE_INVALID || b == BP_DTYPE_INVALID || a >= BP_DTYPE_COUNT_V1_0 ||
      b >= BP_DTYPE_COUNT_V1_0)
    return BP_DTYPE_INVALID;
  if (a == b) return a;
  if (a == BP_DTYPE_BOOL) return b;
  if (b == BP_DTYPE_BOOL) return a;
  bool fa = is_float(a), fb = is_float(b);
  if (fa != fb) return fa ? a : b;
  if (fa) {
    /* f16 with bf16: neither holds the other, as in PyTorch -> f32. */
    if ((a == BP_DTYPE_F16 && b == BP_DTYPE_BF16) || (a == BP_DTYPE_BF16 && b == BP_DTYPE_F16))
      return BP_DTYPE_F32;
    return bp_dtype_size(a) >= bp_dtype_size(b) ? a : b;
  }
  /* u8 with i8: PyTorch gives i16, which Backplane lacks; i32 holds both. */
  if ((a == BP_DTYPE_U8 && b == BP_DTYPE_I8) || (a == BP_DTYPE_I8 && b == BP_DTYPE_U8))
    return BP_DTYPE_I32;
  return bp_dtype_size(a) >= bp_dtype_size(b) ? a : b;
}

const char *bp_version_string(void) { return BP_VERSION_STRING; }
uint32_t bp_abi_version(void) { return BP_ABI_VERSION; }

static int category(bp_dtype_t d) {
  if (d == BP_DTYPE_BOOL) return 1;
  if (is_float(d)) return 3;
  return d == BP_DTYPE_INVALID ? 0 : 2;
}

/* torch's combine_categories(higher, lower) for real dtypes. */
static bp_dtype_t combine_categories(bp_dtype_t higher, bp_dtype_t lower) {
  if (is_float(higher)) return higher;
  if (higher == BP_DTYPE_BOOL || is_float(lower)) {
    if (higher == BP_DTYPE_INVALID) return lower;
    if (lower == BP_DTYPE_INVALID) return higher;
    return bp_dtype_promote(higher, lower);
  }
  return higher != BP_DTYPE_INVALID ? higher : lower;
}

static bp_dtype_t promote_skip_invalid(bp_dtype_t a, bp_dtype_t b) {
  if (a == BP_DTYPE_INVALID) return b;
  if (b == BP_DTYPE_INVALID) return a;
  return bp_dtype_promote(a, b);
}

bp_dtype_t bp_result_type(int count, bp_tensor_t *const *tensors) {
  bp_dtype_t dim = BP_DTYPE_INVALID, zero = BP_DTYPE_INVALID, wrapped = BP_DTYPE_INVALID;
  for (int i = 0; i < count; ++i) {
    const bp_tensor_t *t = tensors[i];
    if (!t) continue;
    bp_dtype_t d = t->dtype;
    if (t->wrapped_number) {
      if (category(d) == 3) d = BP_DTYPE_F32;
      else if (category(d) == 2) d = BP_DTYPE_I64;
      wrapped = promote_skip_invalid(wrapped, d);
    } else if (t->ndim == 0) {
      zero = promote_skip_invalid(zero, d);
    } else {
      dim = promote_skip_invalid(dim, d);
    }
  }
  return combine_categories(dim, combine_categories(zero, wrapped));
}
