/* dnnl_minmax.c - maximum and minimum (f32) as plain loops.
 *
 * oneDNN's binary max/min do not propagate NaN (torch's maximum/minimum
 * do), so instead of its primitive the plugin runs the reference's
 * definition (reference/src/ref_binary2.c: NaN in x wins, then NaN in y,
 * else x < y ? y : x), bit for bit. Kernel form elementwise: the inputs
 * arrive broadcast to out's shape (stride 0); out must be row-major, the
 * inputs may have any strides. */
#include "dnnl_plugin.h"

static bool row_major(const bp_tensor_desc_t *t) {
  int64_t expect = 1;
  for (int32_t d = t->ndim - 1; d >= 0; --d) {
    if (t->shape[d] == 1) continue;
    if (t->strides[d] != expect) return false;
    expect *= t->shape[d];
  }
  return true;
}

static bool minmax_supports(const bp_kernel_call_t *call) {
  return call->outputs[0]->ndim <= BP_DNNL_MAX_DIMS && row_major(call->outputs[0]);
}

static inline float max_f(float x, float y) {
  if (x != x) return x;
  if (y != y) return y;
  return x < y ? y : x;
}
static inline float min_f(float x, float y) {
  if (x != x) return x;
  if (y != y) return y;
  return y < x ? y : x;
}

/* One row of n: contiguous operands get the loop the compiler vectorizes. */
__attribute__((optimize("O3"))) static void row(bool is_max, const float *a, int64_t sa,
                                               const float *b, int64_t sb, float *o, int64_t n) {
  if (sa == 1 && sb == 1) {
    if (is_max) for (int64_t i = 0; i < n; ++i) o[i] = max_f(a[i], b[i]);
    else for (int64_t i = 0; i < n; ++i) o[i] = min_f(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const float y = b[0];
    if (is_max) for (int64_t i = 0; i < n; ++i) o[i] = max_f(a[i], y);
    else for (int64_t i = 0; i < n; ++i) o[i] = min_f(a[i], y);
  } else {
    for (int64_t i = 0; i < n; ++i)
      o[i] = is_max ? max_f(a[i * sa], b[i * sb]) : min_f(a[i * sa], b[i * sb]);
  }
}

static bp_status_t minmax_kernel(const bp_kernel_call_t *call) {
  const bool is_max = call->kernel_data != NULL;
  const bp_tensor_desc_t *a = call->inputs[0], *b = call->inputs[1], *o = call->outputs[0];
  const int64_t n = bp_dnnl_numel(o);
  if (n == 0) return BP_STATUS_OK;
  const float *pa = bp_dnnl_ptr(a), *pb = bp_dnnl_ptr(b);
  float *po = bp_dnnl_ptr(o);
  const int32_t nd = o->ndim;
  if (nd == 0) {
    po[0] = is_max ? max_f(pa[0], pb[0]) : min_f(pa[0], pb[0]);
    return BP_STATUS_OK;
  }
  const int64_t inner = o->shape[nd - 1];
  const int64_t sa = a->shape[nd - 1] == 1 ? 0 : a->strides[nd - 1];
  const int64_t sb = b->shape[nd - 1] == 1 ? 0 : b->strides[nd - 1];
  int64_t idx[BP_DNNL_MAX_DIMS] = {0};
  for (int64_t done = 0; done < n; done += inner) {
    int64_t oa = 0, ob = 0;
    for (int32_t d = 0; d < nd - 1; ++d) {
      oa += idx[d] * a->strides[d];
      ob += idx[d] * b->strides[d];
    }
    row(is_max, pa + oa, sa, pb + ob, sb, po + done, inner);
    for (int32_t d = nd - 2; d >= 0; --d) {
      if (++idx[d] < o->shape[d]) break;
      idx[d] = 0;
    }
  }
  return BP_STATUS_OK;
}

bp_status_t bp_dnnl_minmax_register(bp_dnnl_ctx_t *ctx) {
  static const bp_dtype_t sig[3] = {BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32};
  static const int is_max = 1;
  bp_status_t s = bp_dnnl_register(ctx->host, "maximum", sig, 3, minmax_kernel, minmax_supports, &is_max);
  if (!s) s = bp_dnnl_register(ctx->host, "minimum", sig, 3, minmax_kernel, minmax_supports, NULL);
  return s;
}
