/* ref_binary.c - the elementwise ops add, sub and mul (div, with its
 * rounding modes, is in ref_binary2.c).
 *
 * Inputs arrive broadcast to the output's shape (stride 0 where broadcast).
 * Integers compute in uint64_t and truncate to their width, so overflow wraps
 * (as PyTorch) without signed-overflow UB; f16/bf16 compute in float and round
 * once; bool add is `or`, bool mul is `and`. */
#include <string.h>

#include "ref_dtype.h"
#include "ref_iter.h"
#include "ref_kernel.h"

/* alpha of add/sub in each form a row function may need. */
typedef struct ref_alpha {
  float f32;
  double f64;
  uint64_t u; /* the integer alpha, as uint64_t for wrapping arithmetic */
} ref_alpha_t;

/* out[i] = f(a[i], b[i]) for n elements; strides in bytes. */
typedef void (*ref_row_fn)(char *o, const char *a, const char *b, int64_t n,
                           int64_t so, int64_t sa, int64_t sb,
                           const ref_alpha_t *al);

typedef struct ref_binary_impl {
  const char *op;
  bp_dtype_t dtype;
  bool uses_alpha;
  ref_row_fn row;
} ref_binary_impl_t;

/* One row function: a contiguous loop, a contiguous loop with b broadcast,
 * and the general strided loop. EXPR computes the result from x, y, al. */
#define REF_ROW(name, T, EXPR)                                                  \
  static void name(char *o, const char *a, const char *b, int64_t n,           \
                   int64_t so, int64_t sa, int64_t sb, const ref_alpha_t *al) { \
    (void)al;                                                                   \
    const int64_t sz = (int64_t)sizeof(T);                                      \
    if (so == sz && sa == sz && (sb == sz || sb == 0)) {                        \
      T *po = (T *)(void *)o;                                                   \
      const T *pa = (const T *)(const void *)a;                                 \
      const T *pb = (const T *)(const void *)b;                                 \
      if (sb == 0) {                                                            \
        const T y = pb[0];                                                      \
        for (int64_t i = 0; i < n; ++i) { const T x = pa[i]; po[i] = (EXPR); }  \
      } else {                                                                  \
        for (int64_t i = 0; i < n; ++i) {                                       \
          const T x = pa[i], y = pb[i];                                         \
          po[i] = (EXPR);                                                       \
        }                                                                       \
      }                                                                         \
      return;                                                                   \
    }                                                                           \
    for (int64_t i = 0; i < n; ++i) {                                           \
      const T x = *(const T *)(const void *)(a + i * sa);                       \
      const T y = *(const T *)(const void *)(b + i * sb);                       \
      *(T *)(void *)(o + i * so) = (EXPR);                                      \
    }                                                                           \
  }

#define F16(v) bp_ref_f16_to_f32(v)
#define BF16(v) bp_ref_bf16_to_f32(v)
#define WRAP(T, UT, e) ((T)(UT)(e))

/* add */
REF_ROW(add_bool, uint8_t, (uint8_t)((x != 0) | (y != 0)))
REF_ROW(add_u8, uint8_t, WRAP(uint8_t, uint8_t, (uint64_t)x + al->u * (uint64_t)y))
REF_ROW(add_i8, int8_t, WRAP(int8_t, uint8_t, (uint64_t)x + al->u * (uint64_t)y))
REF_ROW(add_i32, int32_t, WRAP(int32_t, uint32_t, (uint64_t)x + al->u * (uint64_t)y))
REF_ROW(add_i64, int64_t, WRAP(int64_t, uint64_t, (uint64_t)x + al->u * (uint64_t)y))
REF_ROW(add_f16, uint16_t, bp_ref_f32_to_f16(F16(x) + al->f32 * F16(y)))
REF_ROW(add_bf16, uint16_t, bp_ref_f32_to_bf16(BF16(x) + al->f32 * BF16(y)))
REF_ROW(add_f32, float, x + al->f32 * y)
REF_ROW(add_f64, double, x + al->f64 * y)
/* sub */
REF_ROW(sub_u8, uint8_t, WRAP(uint8_t, uint8_t, (uint64_t)x - al->u * (uint64_t)y))
REF_ROW(sub_i8, int8_t, WRAP(int8_t, uint8_t, (uint64_t)x - al->u * (uint64_t)y))
REF_ROW(sub_i32, int32_t, WRAP(int32_t, uint32_t, (uint64_t)x - al->u * (uint64_t)y))
REF_ROW(sub_i64, int64_t, WRAP(int64_t, uint64_t, (uint64_t)x - al->u * (uint64_t)y))
REF_ROW(sub_f16, uint16_t, bp_ref_f32_to_f16(F16(x) - al->f32 * F16(y)))
REF_ROW(sub_bf16, uint16_t, bp_ref_f32_to_bf16(BF16(x) - al->f32 * BF16(y)))
REF_ROW(sub_f32, float, x - al->f32 * y)
REF_ROW(sub_f64, double, x - al->f64 * y)
/* mul */
REF_ROW(mul_bool, uint8_t, (uint8_t)((x != 0) & (y != 0)))
REF_ROW(mul_u8, uint8_t, WRAP(uint8_t, uint8_t, (uint64_t)x * (uint64_t)y))
REF_ROW(mul_i8, int8_t, WRAP(int8_t, uint8_t, (uint64_t)x * (uint64_t)y))
REF_ROW(mul_i32, int32_t, WRAP(int32_t, uint32_t, (uint64_t)x * (uint64_t)y))
REF_ROW(mul_i64, int64_t, WRAP(int64_t, uint64_t, (uint64_t)x * (uint64_t)y))
REF_ROW(mul_f16, uint16_t, bp_ref_f32_to_f16(F16(x) * F16(y)))
REF_ROW(mul_bf16, uint16_t, bp_ref_f32_to_bf16(BF16(x) * BF16(y)))
REF_ROW(mul_f32, float, x * y)
REF_ROW(mul_f64, double, x * y)

#undef F16
#undef BF16
#undef WRAP
#undef REF_ROW

static const ref_binary_impl_t binary_impls[] = {
    {"add", BP_DTYPE_BOOL, true, add_bool}, {"add", BP_DTYPE_U8, true, add_u8},
    {"add", BP_DTYPE_I8, true, add_i8},     {"add", BP_DTYPE_I32, true, add_i32},
    {"add", BP_DTYPE_I64, true, add_i64},   {"add", BP_DTYPE_F16, true, add_f16},
    {"add", BP_DTYPE_BF16, true, add_bf16}, {"add", BP_DTYPE_F32, true, add_f32},
    {"add", BP_DTYPE_F64, true, add_f64},
    {"sub", BP_DTYPE_U8, true, sub_u8},     {"sub", BP_DTYPE_I8, true, sub_i8},
    {"sub", BP_DTYPE_I32, true, sub_i32},   {"sub", BP_DTYPE_I64, true, sub_i64},
    {"sub", BP_DTYPE_F16, true, sub_f16},   {"sub", BP_DTYPE_BF16, true, sub_bf16},
    {"sub", BP_DTYPE_F32, true, sub_f32},   {"sub", BP_DTYPE_F64, true, sub_f64},
    {"mul", BP_DTYPE_BOOL, false, mul_bool}, {"mul", BP_DTYPE_U8, false, mul_u8},
    {"mul", BP_DTYPE_I8, false, mul_i8},     {"mul", BP_DTYPE_I32, false, mul_i32},
    {"mul", BP_DTYPE_I64, false, mul_i64},   {"mul", BP_DTYPE_F16, false, mul_f16},
    {"mul", BP_DTYPE_BF16, false, mul_bf16}, {"mul", BP_DTYPE_F32, false, mul_f32},
    {"mul", BP_DTYPE_F64, false, mul_f64},
};

/* (T, T, T) for each dtype, indexed by dtype. */
#define REF_SIG(t) [t] = {t, t, t}
static const bp_dtype_t sig3[BP_DTYPE_COUNT_V1_0][3] = {
    REF_SIG(BP_DTYPE_BOOL), REF_SIG(BP_DTYPE_U8),  REF_SIG(BP_DTYPE_I8),
    REF_SIG(BP_DTYPE_I32),  REF_SIG(BP_DTYPE_I64), REF_SIG(BP_DTYPE_F16),
    REF_SIG(BP_DTYPE_BF16), REF_SIG(BP_DTYPE_F32), REF_SIG(BP_DTYPE_F64),
};
#undef REF_SIG

/* Runs row over every inner run of out = f(a, b). Out of line so that the
 * one-element path of ref_binary keeps a small stack frame. */
static void binary_walk(ref_row_fn row, const bp_tensor_desc_t *out,
                        const bp_tensor_desc_t *a, const bp_tensor_desc_t *b,
                        const ref_alpha_t *al) {
  size_t size = bp_abi_dtype_size(out->dtype);
  char *base[3] = {bp_ref_base(out), bp_ref_base(a), bp_ref_base(b)};
  const int64_t *strides[3] = {out->strides, a->strides, b->strides};
  size_t sizes[3] = {size, size, size};
  bp_ref_iter_t it;
  bp_ref_iter_init(&it, out->ndim, out->shape, 3, base, strides, sizes);
  do {
    row(it.ptr[0], it.ptr[1], it.ptr[2], it.inner_size, it.inner_stride[0],
        it.inner_stride[1], it.inner_stride[2], al);
  } while (bp_ref_iter_next(&it));
}

/* The failure path of ref_binary, kept out of line: it runs only on a host
 * bug and would otherwise slow the hot path. */
static bp_status_t binary_bad_call(const bp_kernel_call_t *call,
                                   const ref_binary_impl_t *impl) {
  if (impl == NULL)
    return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL, "ref binary: no kernel_data");
  bp_status_t status = bp_ref_check_call(call, impl->op, 2, 1);
  if (status != BP_STATUS_OK) return status;
  return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL,
                     "ref %s: operands do not match the kernel's dtype or out's shape",
                     impl->op);
}

static bp_status_t ref_binary(const bp_kernel_call_t *call) {
  const ref_binary_impl_t *impl = call->kernel_data;
  if (impl == NULL || call->num_inputs != 2 || call->num_outputs != 1)
    return binary_bad_call(call, impl);
  const bp_tensor_desc_t *a = call->inputs[0];
  const bp_tensor_desc_t *b = call->inputs[1];
  const bp_tensor_desc_t *out = call->outputs[0];
  const int32_t nd = out->ndim;
  if (a->dtype != impl->dtype || b->dtype != impl->dtype || out->dtype != impl->dtype ||
      a->ndim != nd || b->ndim != nd || nd < 0 || nd > BP_REF_MAX_DIMS)
    return binary_bad_call(call, impl);
  int64_t n = 1;
  for (int32_t d = 0; d < nd; ++d) {
    const int64_t extent = out->shape[d];
    if (a->shape[d] != extent || b->shape[d] != extent) return binary_bad_call(call, impl);
    n *= extent;
  }

  ref_alpha_t al = {1.0f, 1.0, 1u};
  if (impl->uses_alpha) {
    const bp_attr_t *attr = bp_abi_find_attr(call, "alpha");
    if (attr != NULL && attr->type == BP_ATTR_FLOAT && attr->value.f != 1.0) {
      al.f64 = attr->value.f;
      al.f32 = (float)al.f64;
      al.u = (uint64_t)bp_ref_f64_to_i64(al.f64);
    }
  }

  if (n == 0) return BP_STATUS_OK;
  if (n == 1) { /* the dispatch-cost benchmark's case: no iterator */
    const int64_t size = (int64_t)bp_abi_dtype_size(out->dtype);
    impl->row(bp_ref_base(out), bp_ref_base(a), bp_ref_base(b), 1, size, size, size, &al);
    return BP_STATUS_OK;
  }
  binary_walk(impl->row, out, a, b, &al);
  return BP_STATUS_OK;
}

bp_status_t bp_ref_binary_register(const bp_host_api_t *host) {
  for (size_t i = 0; i < sizeof binary_impls / sizeof binary_impls[0]; ++i) {
    const ref_binary_impl_t *impl = &binary_impls[i];
    bp_status_t status =
        bp_ref_register(host, impl->op, sig3[impl->dtype], 3, ref_binary, impl);
    if (status != BP_STATUS_OK) return status;
  }
  return BP_STATUS_OK;
}
