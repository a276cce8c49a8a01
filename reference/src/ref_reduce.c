/* ref_reduce.c - the `sum` reduction.
 *
 * The output keeps every dim (size 1 where reduced); a dim d is reduced when
 * out.shape[d] == 1 and x.shape[d] != 1, so the kernel needs none of the
 * op's attributes. Floats accumulate in double with bounded error growth
 * (blocked pairwise, ref_reduce2_util.h), i64 in uint64_t with wraparound.
 * An empty reduction writes 0. */
#include <string.h>

#include "ref_dtype.h"
#include "ref_iter.h"
#include "ref_kernel.h"
#include "ref_reduce2_util.h"

typedef union ref_acc {
  ref_fsum_t f; /* floats: blocked pairwise sum in double */
  uint64_t u;   /* i64: wrapping sum */
} ref_acc_t;

/* Adds n elements starting at p, stride bytes apart, into *acc. */
typedef void (*ref_sum_row_fn)(ref_acc_t *acc, const char *p, int64_t n, int64_t stride);
/* Writes the accumulator to one output element. */
typedef void (*ref_sum_store_fn)(char *dst, const ref_acc_t *acc);

static void sum_row_i64(ref_acc_t *acc, const char *p, int64_t n, int64_t stride) {
  uint64_t s = 0;
  for (int64_t i = 0; i < n; ++i) {
    int64_t v;
    memcpy(&v, p + i * stride, sizeof v);
    s += (uint64_t)v;
  }
  acc->u += s;
}

/* Contiguous runs go in blocks of REF_FSUM_BLOCK (four partial sums each,
 * pushed as one block); short or strided runs element by element. */
#define REF_SUM_ROW(name, T, LOAD)                                               \
  static void name(ref_acc_t *acc, const char *p, int64_t n, int64_t stride) {   \
    if (stride == (int64_t)sizeof(T) && n >= 16) {                               \
      const T *q = (const T *)(const void *)p;                                   \
      for (int64_t b = 0; b < n; b += REF_FSUM_BLOCK) {                          \
        int64_t e = n - b < REF_FSUM_BLOCK ? n : b + REF_FSUM_BLOCK;             \
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;                                   \
        int64_t i = b;                                                           \
        for (; i + 4 <= e; i += 4) {                                             \
          s0 += LOAD(q[i]);                                                      \
          s1 += LOAD(q[i + 1]);                                                  \
          s2 += LOAD(q[i + 2]);                                                  \
          s3 += LOAD(q[i + 3]);                                                  \
        }                                                                        \
        for (; i < e; ++i) s0 += LOAD(q[i]);                                     \
        ref_fsum_push(&acc->f, (s0 + s1) + (s2 + s3));                           \
      }                                                                          \
    } else {                                                                     \
      for (int64_t i = 0; i < n; ++i)                                            \
        ref_fsum_add(&acc->f, LOAD(*(const T *)(const void *)(p + i * stride))); \
    }                                                                            \
  }

#define LOAD_F16(v) ((double)bp_ref_f16_to_f32(v))
#define LOAD_BF16(v) ((double)bp_ref_bf16_to_f32(v))
#define LOAD_F(v) ((double)(v))
REF_SUM_ROW(sum_row_f16, uint16_t, LOAD_F16)
REF_SUM_ROW(sum_row_bf16, uint16_t, LOAD_BF16)
REF_SUM_ROW(sum_row_f32, float, LOAD_F)
REF_SUM_ROW(sum_row_f64, double, LOAD_F)
#undef LOAD_F16
#undef LOAD_BF16
#undef LOAD_F
#undef REF_SUM_ROW

static void sum_store_i64(char *dst, const ref_acc_t *acc) {
  memcpy(dst, &acc->u, sizeof acc->u); /* the bits of the wrapped sum */
}
static void sum_store_f16(char *dst, const ref_acc_t *acc) {
  uint16_t h = bp_ref_f64_to_f16(ref_fsum_total(&acc->f));
  memcpy(dst, &h, sizeof h);
}
static void sum_store_bf16(char *dst, const ref_acc_t *acc) {
  uint16_t h = bp_ref_f64_to_bf16(ref_fsum_total(&acc->f));
  memcpy(dst, &h, sizeof h);
}
static void sum_store_f32(char *dst, const ref_acc_t *acc) {
  float f = (float)ref_fsum_total(&acc->f);
  memcpy(dst, &f, sizeof f);
}
static void sum_store_f64(char *dst, const ref_acc_t *acc) {
  double d = ref_fsum_total(&acc->f);
  memcpy(dst, &d, sizeof d);
}

typedef struct ref_sum_impl {
  bp_dtype_t dtype;
  bp_dtype_t sig[2];
  ref_sum_row_fn row;
  ref_sum_store_fn store;
} ref_sum_impl_t;

static const ref_sum_impl_t sum_impls[] = {
    {BP_DTYPE_I64, {BP_DTYPE_I64, BP_DTYPE_I64}, sum_row_i64, sum_store_i64},
    {BP_DTYPE_F16, {BP_DTYPE_F16, BP_DTYPE_F16}, sum_row_f16, sum_store_f16},
    {BP_DTYPE_BF16, {BP_DTYPE_BF16, BP_DTYPE_BF16}, sum_row_bf16, sum_store_bf16},
    {BP_DTYPE_F32, {BP_DTYPE_F32, BP_DTYPE_F32}, sum_row_f32, sum_store_f32},
    {BP_DTYPE_F64, {BP_DTYPE_F64, BP_DTYPE_F64}, sum_row_f64, sum_store_f64},
};

static bp_status_t ref_sum(const bp_kernel_call_t *call) {
  const ref_sum_impl_t *impl = call->kernel_data;
  if (impl == NULL)
    return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL, "ref sum: no kernel_data");
  bp_status_t status = bp_ref_check_call(call, "sum", 1, 1);
  if (status != BP_STATUS_OK) return status;
  const bp_tensor_desc_t *x = call->inputs[0];
  const bp_tensor_desc_t *out = call->outputs[0];
  if (x->dtype != impl->dtype || out->dtype != impl->dtype || x->ndim != out->ndim)
    return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL,
                       "ref sum: x and out do not match the kernel (dtype or rank)");

  /* inner_shape: x's extent on reduced dims, 1 elsewhere. */
  int64_t inner_shape[BP_REF_MAX_DIMS];
  for (int32_t d = 0; d < x->ndim; ++d) {
    if (out->shape[d] == x->shape[d]) {
      inner_shape[d] = 1;
    } else if (out->shape[d] == 1) {
      inner_shape[d] = x->shape[d];
    } else {
      return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL,
                         "ref sum: dim %d: out has %lld, x has %lld", (int)d,
                         (long long)out->shape[d], (long long)x->shape[d]);
    }
  }
  if (bp_ref_numel(out) == 0) return BP_STATUS_OK;
  size_t size = bp_abi_dtype_size(out->dtype);
  char *out_base = bp_ref_base(out);

  if (bp_ref_numel(x) == 0) { /* a reduced extent is 0: every sum is 0 */
    ref_acc_t zero;
    if (impl->dtype == BP_DTYPE_I64) zero.u = 0;
    else ref_fsum_init(&zero.f);
    bp_ref_iter_t it;
    bp_ref_iter_init(&it, out->ndim, out->shape, 1, &out_base, &out->strides, &size);
    do {
      for (int64_t i = 0; i < it.inner_size; ++i)
        impl->store(it.ptr[0] + i * it.inner_stride[0], &zero);
    } while (bp_ref_iter_next(&it));
    return BP_STATUS_OK;
  }

  /* outer walks out's elements with the matching start in x; inner walks the
   * reduced sub-tensor of x from there. */
  char *outer_base[2] = {out_base, bp_ref_base(x)};
  const int64_t *outer_strides[2] = {out->strides, x->strides};
  size_t sizes[2] = {size, size};
  bp_ref_iter_t outer, inner;
  bp_ref_iter_init(&outer, out->ndim, out->shape, 2, outer_base, outer_strides, sizes);
  bp_ref_iter_init(&inner, x->ndim, inner_shape, 1, &outer_base[1], &x->strides, &size);
  do {
    for (int64_t i = 0; i < outer.inner_size; ++i) {
      char *start = outer.ptr[1] + i * outer.inner_stride[1];
      ref_acc_t acc;
      if (impl->dtype == BP_DTYPE_I64) acc.u = 0;
      else ref_fsum_init(&acc.f);
      bp_ref_iter_reset(&inner, &start);
      do {
        impl->row(&acc, inner.ptr[0], inner.inner_size, inner.inner_stride[0]);
      } while (bp_ref_iter_next(&inner));
      impl->store(outer.ptr[0] + i * outer.inner_stride[0], &acc);
    }
  } while (bp_ref_iter_next(&outer));
  return BP_STATUS_OK;
}

bp_status_t bp_ref_reduce_register(const bp_host_api_t *host) {
  for (size_t i = 0; i < sizeof sum_impls / sizeof sum_impls[0]; ++i) {
    bp_status_t status = bp_ref_register(host, "sum", sum_impls[i].sig, 2, ref_sum, &sum_impls[i]);
    if (status != BP_STATUS_OK) return status;
  }
  return BP_STATUS_OK;
}
