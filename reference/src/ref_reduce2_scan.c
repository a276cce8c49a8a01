/* ref_reduce2_scan.c - reference kernels of cumsum and cumprod (AS_IS form:
 * x and out of one shape, any strides; the dim attribute non-negative).
 *
 * Each line along dim is scanned in order. Floats accumulate in double and
 * every output rounds once; cumsum compensates its running sum (Neumaier),
 * so the error does not grow with the line's length. i64 wraps. */
#include <math.h>
#include <string.h>

#include "ref_dtype.h"
#include "ref_iter.h"
#include "ref_kernel.h"
#include "ref_reduce2_util.h"

typedef struct scan_op {
  const char *name;
  bool is_prod;
} scan_op_t;

static bp_status_t ref_scan(const bp_kernel_call_t *call) {
  const scan_op_t *op = call->kernel_data;
  if (op == NULL)
    return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL, "ref scan: no kernel_data");
  bp_status_t status = bp_ref_check_call(call, op->name, 1, 1);
  if (status != BP_STATUS_OK) return status;
  const bp_tensor_desc_t *x = call->inputs[0], *out = call->outputs[0];
  const bp_attr_t *a = bp_abi_find_attr(call, "dim");
  int64_t dim = a && a->type == BP_ATTR_INT ? a->value.i : 0;
  if (x->dtype != out->dtype || !bp_ref_same_shape(x, out) ||
      (x->ndim > 0 && (dim < 0 || dim >= x->ndim)) || (x->ndim == 0 && dim != 0))
    return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL,
                       "ref %s: x and out differ in dtype or shape, or dim %lld is out of range",
                       op->name, (long long)dim);
  if (bp_ref_numel(x) == 0) return BP_STATUS_OK;
  size_t size = bp_abi_dtype_size(x->dtype);
  int64_t len = x->ndim > 0 ? x->shape[dim] : 1;
  int64_t xs = x->ndim > 0 ? x->strides[dim] * (int64_t)size : 0;
  int64_t os = out->ndim > 0 ? out->strides[dim] * (int64_t)size : 0;
  /* lines: every dim but `dim` */
  int64_t shape[BP_REF_MAX_DIMS];
  for (int32_t d = 0; d < x->ndim; ++d) shape[d] = d == dim ? 1 : x->shape[d];
  char *base[2] = {bp_ref_base(out), bp_ref_base(x)};
  const int64_t *strides[2] = {out->strides, x->strides};
  size_t sizes[2] = {size, size};
  bp_ref_iter_t it;
  bp_ref_iter_init(&it, x->ndim, shape, 2, base, strides, sizes);
  bool is_float = bp_ref_dtype_is_float(x->dtype);
  bp_ref_load_f64_fn ldf = is_float ? bp_ref_loader_f64(x->dtype) : NULL;
  bp_ref_store_f64_fn stf = bp_ref_storer_f64(x->dtype);
  do {
    for (int64_t i = 0; i < it.inner_size; ++i) {
      char *o = it.ptr[0] + i * it.inner_stride[0];
      const char *p = it.ptr[1] + i * it.inner_stride[1];
      if (!is_float) { /* i64 */
        uint64_t acc = op->is_prod ? 1 : 0;
        for (int64_t k = 0; k < len; ++k) {
          int64_t v;
          memcpy(&v, p + k * xs, sizeof v);
          acc = op->is_prod ? acc * (uint64_t)v : acc + (uint64_t)v;
          memcpy(o + k * os, &acc, sizeof acc);
        }
      } else if (op->is_prod) {
        double acc = 1.0;
        for (int64_t k = 0; k < len; ++k) {
          acc *= ldf(p + k * xs);
          stf(o + k * os, acc);
        }
      } else {
        double s = 0.0, c = 0.0; /* Neumaier: s + c is the running sum */
        for (int64_t k = 0; k < len; ++k) {
          double v = ldf(p + k * xs), t = s + v;
          if (isfinite(t))
            c += fabs(s) >= fabs(v) ? (s - t) + v : (v - t) + s;
          else
            c = 0.0; /* inf or NaN from here on: nothing to compensate */
          s = t;
          stf(o + k * os, isfinite(s) ? s + c : s);
        }
      }
    }
  } while (bp_ref_iter_next(&it));
  return BP_STATUS_OK;
}

static const scan_op_t CUMSUM = {"cumsum", false}, CUMPROD = {"cumprod", true};
static const bp_dtype_t SIGS[][2] = {{BP_DTYPE_I64, BP_DTYPE_I64},
                                     {BP_DTYPE_F16, BP_DTYPE_F16},
                                     {BP_DTYPE_BF16, BP_DTYPE_BF16},
                                     {BP_DTYPE_F32, BP_DTYPE_F32},
                                     {BP_DTYPE_F64, BP_DTYPE_F64}};

bp_status_t bp_ref_reduce2_scan_register(const bp_host_api_t *host) {
  for (size_t i = 0; i < sizeof SIGS / sizeof SIGS[0]; ++i) {
    bp_status_t s = bp_ref_register(host, "cumsum", SIGS[i], 2, ref_scan, &CUMSUM);
    if (s == BP_STATUS_OK) s = bp_ref_register(host, "cumprod", SIGS[i], 2, ref_scan, &CUMPROD);
    if (s != BP_STATUS_OK) return s;
  }
  return BP_STATUS_OK;
}
