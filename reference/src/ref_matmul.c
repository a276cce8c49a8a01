/* ref_matmul.c - the `matmul` op: out[..., M, N] = a[..., M, K] @ b[..., K, N].
 *
 * Batch dims arrive broadcast (stride 0 where broadcast). f32 goes through
 * the shared cache-blocked GEMM (ref_nn_gemm.h; f32 accumulation, as torch).
 * The other dtypes compute each matrix in i-k-j order into a row of N
 * accumulators (one heap buffer per call): double for f64, f16 and bf16 (the
 * result is rounded once), uint64_t with wraparound for the integers. K == 0
 * gives zeros. bmm (3-D only) runs the same kernels. */
#include <stdlib.h>
#include <string.h>

#include "ref_dtype.h"
#include "ref_iter.h"
#include "ref_kernel.h"
#include "ref_nn_gemm.h"

/* Sizes and element strides of one matrix product. */
typedef struct ref_mm_dims {
  int64_t m, n, k;
  int64_t sam, sak; /* a[i, k] */
  int64_t sbk, sbn; /* b[k, j] */
  int64_t som, son; /* out[i, j] */
} ref_mm_dims_t;

typedef bool (*ref_mm_fn)(char *o, const char *a, const char *b,
                          const ref_mm_dims_t *d, void *acc_row);

#define REF_MM(name, T, ACC_T, LOAD, STORE)                                    \
  static bool name(char *o, const char *a, const char *b,                     \
                   const ref_mm_dims_t *d, void *acc_row) {                   \
    const T *pa = (const T *)(const void *)a;                                 \
    const T *pb = (const T *)(const void *)b;                                 \
    T *po = (T *)(void *)o;                                                   \
    ACC_T *restrict acc = acc_row;                                            \
    for (int64_t i = 0; i < d->m; ++i) {                                      \
      for (int64_t j = 0; j < d->n; ++j) acc[j] = 0;                          \
      for (int64_t kk = 0; kk < d->k; ++kk) {                                 \
        const ACC_T av = LOAD(pa[i * d->sam + kk * d->sak]);                  \
        const T *rb = pb + kk * d->sbk;                                       \
        if (d->sbn == 1) {                                                    \
          for (int64_t j = 0; j < d->n; ++j) acc[j] += av * LOAD(rb[j]);      \
        } else {                                                              \
          for (int64_t j = 0; j < d->n; ++j) acc[j] += av * LOAD(rb[j * d->sbn]); \
        }                                                                     \
      }                                                                       \
      for (int64_t j = 0; j < d->n; ++j) po[i * d->som + j * d->son] = STORE(acc[j]); \
    }                                                                         \
    return true;                                                              \
  }

#define LOAD_I(v) ((uint64_t)(v))
#define LOAD_F(v) ((double)(v))
#define LOAD_F16(v) ((double)bp_ref_f16_to_f32(v))
#define LOAD_BF16(v) ((double)bp_ref_bf16_to_f32(v))
#define STORE_U8(v) ((uint8_t)(v))
#define STORE_I8(v) ((int8_t)(uint8_t)(v))
#define STORE_I32(v) ((int32_t)(uint32_t)(v))
#define STORE_I64(v) ((int64_t)(v))
#define STORE_F16(v) bp_ref_f64_to_f16(v)
#define STORE_BF16(v) bp_ref_f64_to_bf16(v)
#define STORE_F32(v) ((float)(v))
#define STORE_F64(v) (v)
REF_MM(mm_u8, uint8_t, uint64_t, LOAD_I, STORE_U8)
REF_MM(mm_i8, int8_t, uint64_t, LOAD_I, STORE_I8)
REF_MM(mm_i32, int32_t, uint64_t, LOAD_I, STORE_I32)
REF_MM(mm_i64, int64_t, uint64_t, LOAD_I, STORE_I64)
REF_MM(mm_f16, uint16_t, double, LOAD_F16, STORE_F16)
REF_MM(mm_bf16, uint16_t, double, LOAD_BF16, STORE_BF16)
REF_MM(mm_f64, double, double, LOAD_F, STORE_F64)
#undef REF_MM

static bool mm_f32(char *o, const char *a, const char *b, const ref_mm_dims_t *d,
                   void *acc_row) {
  (void)acc_row;
  const bp_ref_gemm_dims_t g = {.m = d->m, .n = d->n, .k = d->k, .sam = d->sam, .sak = d->sak,
                                .sbk = d->sbk, .sbn = d->sbn, .scm = d->som, .scn = d->son};
  return bp_ref_gemm_f32(&g, (const float *)(const void *)a, (const float *)(const void *)b,
                         (float *)(void *)o);
}

typedef struct ref_mm_impl {
  bp_dtype_t dtype;
  bp_dtype_t sig[3];
  ref_mm_fn fn;
} ref_mm_impl_t;

#define REF_IMPL(t, fn) {t, {t, t, t}, fn}
static const ref_mm_impl_t mm_impls[] = {
    REF_IMPL(BP_DTYPE_U8, mm_u8),     REF_IMPL(BP_DTYPE_I8, mm_i8),
    REF_IMPL(BP_DTYPE_I32, mm_i32),   REF_IMPL(BP_DTYPE_I64, mm_i64),
    REF_IMPL(BP_DTYPE_F16, mm_f16),   REF_IMPL(BP_DTYPE_BF16, mm_bf16),
    REF_IMPL(BP_DTYPE_F32, mm_f32),   REF_IMPL(BP_DTYPE_F64, mm_f64),
};
#undef REF_IMPL

/* Writes zero (all-zero bytes, for every dtype) to every element of t. */
static void zero_tensor(const bp_tensor_desc_t *t) {
  size_t size = bp_abi_dtype_size(t->dtype);
  char *base = bp_ref_base(t);
  bp_ref_iter_t it;
  bp_ref_iter_init(&it, t->ndim, t->shape, 1, &base, &t->strides, &size);
  do {
    for (int64_t i = 0; i < it.inner_size; ++i)
      memset(it.ptr[0] + i * it.inner_stride[0], 0, size);
  } while (bp_ref_iter_next(&it));
}

static bp_status_t ref_matmul(const bp_kernel_call_t *call) {
  const ref_mm_impl_t *impl = call->kernel_data;
  if (impl == NULL)
    return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL, "ref matmul: no kernel_data");
  bp_status_t status = bp_ref_check_call(call, "matmul", 2, 1);
  if (status != BP_STATUS_OK) return status;
  const bp_tensor_desc_t *a = call->inputs[0];
  const bp_tensor_desc_t *b = call->inputs[1];
  const bp_tensor_desc_t *out = call->outputs[0];
  const int32_t nd = out->ndim;
  bool ok = nd >= 2 && a->ndim == nd && b->ndim == nd && a->dtype == impl->dtype &&
            b->dtype == impl->dtype && out->dtype == impl->dtype;
  for (int32_t d = 0; ok && d < nd - 2; ++d)
    ok = a->shape[d] == out->shape[d] && b->shape[d] == out->shape[d];
  ok = ok && a->shape[nd - 2] == out->shape[nd - 2] && b->shape[nd - 1] == out->shape[nd - 1] &&
       a->shape[nd - 1] == b->shape[nd - 2];
  if (!ok)
    return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL,
                       "ref matmul: operands are not [B..., M, K], [B..., K, N], [B..., M, N] "
                       "of the kernel's dtype");

  if (bp_ref_numel(out) == 0) return BP_STATUS_OK;
  ref_mm_dims_t dims = {
      .m = out->shape[nd - 2], .n = out->shape[nd - 1], .k = a->shape[nd - 1],
      .sam = a->strides[nd - 2], .sak = a->strides[nd - 1],
      .sbk = b->strides[nd - 2], .sbn = b->strides[nd - 1],
      .som = out->strides[nd - 2], .son = out->strides[nd - 1],
  };
  if (dims.k == 0) { /* a and b are empty (maybe NULL): out = 0 */
    zero_tensor(out);
    return BP_STATUS_OK;
  }

  void *acc_row = malloc((size_t)dims.n * sizeof(double)); /* double, uint64_t: 8 bytes */
  if (acc_row == NULL)
    return bp_ref_fail(call->plugin_ctx, BP_STATUS_OUT_OF_MEMORY,
                       "ref matmul: no memory for a row of %lld accumulators",
                       (long long)dims.n);
  size_t size = bp_abi_dtype_size(out->dtype);
  char *base[3] = {bp_ref_base(out), bp_ref_base(a), bp_ref_base(b)};
  const int64_t *strides[3] = {out->strides, a->strides, b->strides};
  size_t sizes[3] = {size, size, size};
  bp_ref_iter_t it; /* over the batch dims */
  bp_ref_iter_init(&it, nd - 2, out->shape, 3, base, strides, sizes);
  bool ok_all = true;
  do {
    for (int64_t i = 0; i < it.inner_size && ok_all; ++i)
      ok_all = impl->fn(it.ptr[0] + i * it.inner_stride[0], it.ptr[1] + i * it.inner_stride[1],
                        it.ptr[2] + i * it.inner_stride[2], &dims, acc_row);
  } while (ok_all && bp_ref_iter_next(&it));
  free(acc_row);
  if (!ok_all)
    return bp_ref_fail(call->plugin_ctx, BP_STATUS_OUT_OF_MEMORY,
                       "ref %s: no memory for the GEMM packing buffers", call->op_name);
  return BP_STATUS_OK;
}

bp_status_t bp_ref_matmul_register(const bp_host_api_t *host) {
  for (size_t i = 0; i < sizeof mm_impls / sizeof mm_impls[0]; ++i) {
    bp_status_t status = bp_ref_register(host, "matmul", mm_impls[i].sig, 3, ref_matmul, &mm_impls[i]);
    if (status == BP_STATUS_OK)
      status = bp_ref_register(host, "bmm", mm_impls[i].sig, 3, ref_matmul, &mm_impls[i]);
    if (status != BP_STATUS_OK) return status;
  }
  return BP_STATUS_OK;
}
