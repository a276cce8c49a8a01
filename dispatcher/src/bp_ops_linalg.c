/* bp_ops_linalg.c - catalog entries of the linear-algebra ops. */
#include <string.h>

#include "bp_op_catalog.h"
#include "bp_op_util.h"

/* ---- matmul ---- */

static bp_status_t infer_matmul(const bp_op_def_t *def, bp_tensor_t *const *in,
                                bp_attr_t *attrs, bp_tensor_t *const *out,
                                bp_op_plan_t *plan) {
  (void)def; (void)attrs; (void)out;
  const bp_tensor_t *a = in[0], *b = in[1];
  char bufa[256], bufb[256];
  if (a->ndim < 1 || b->ndim < 1)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_matmul: both arguments need at least 1 dim, got %d-d and %d-d", a->ndim,
                   b->ndim);
  if (a->dtype != b->dtype)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_matmul: a is %s but b is %s (expected the same dtype)",
                   bp_dtype_name(a->dtype), bp_dtype_name(b->dtype));
  if (a->dtype == BP_DTYPE_BOOL)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_matmul: bool tensors are not supported");
  plan->a_is_vector = a->ndim == 1;
  plan->b_is_vector = b->ndim == 1;
  plan->m = plan->a_is_vector ? 1 : a->shape[a->ndim - 2];
  plan->k = a->shape[a->ndim - 1];
  int64_t kb = plan->b_is_vector ? b->shape[0] : b->shape[b->ndim - 2];
  plan->n = plan->b_is_vector ? 1 : b->shape[b->ndim - 1];
  if (plan->k != kb)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_matmul: shapes %s and %s cannot be multiplied (%lld vs %lld)",
                   bp_format_shape(bufa, sizeof(bufa), a->ndim, a->shape),
                   bp_format_shape(bufb, sizeof(bufb), b->ndim, b->shape),
                   (long long)plan->k, (long long)kb);
  int32_t a_batch = a->ndim > 2 ? a->ndim - 2 : 0;
  int32_t b_batch = b->ndim > 2 ? b->ndim - 2 : 0;
  int32_t nb = a_batch > b_batch ? a_batch : b_batch;
  for (int32_t i = 0; i < nb; ++i) {
    int32_t ia = a_batch - nb + i, ib = b_batch - nb + i;
    int64_t sa = ia >= 0 ? a->shape[ia] : 1, sb = ib >= 0 ? b->shape[ib] : 1;
    if (sa != sb && sa != 1 && sb != 1)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_matmul: batch dims of %s and %s cannot broadcast (%lld vs %lld)",
                     bp_format_shape(bufa, sizeof(bufa), a->ndim, a->shape),
                     bp_format_shape(bufb, sizeof(bufb), b->ndim, b->shape), (long long)sa,
                     (long long)sb);
    plan->batch_shape[i] = sa == 1 ? sb : sa;
  }
  plan->batch_ndim = nb;
  int32_t n = 0;
  for (int32_t i = 0; i < nb; ++i) plan->output_shape[0][n++] = plan->batch_shape[i];
  if (!plan->a_is_vector) plan->output_shape[0][n++] = plan->m;
  if (!plan->b_is_vector) plan->output_shape[0][n++] = plan->n;
  plan->output_ndim[0] = n;
  plan->input_dtypes[0] = plan->input_dtypes[1] = plan->output_dtypes[0] = a->dtype;
  return BP_STATUS_OK;
}
static bool sig_matmul(const bp_dtype_t *d) {
  return bp_dtype_is_valid(d[0]) && d[0] != BP_DTYPE_BOOL && bp_dtypes_all_same(d, 3);
}


const bp_op_def_t bp_op_def_matmul = {
    .name = "matmul", .summary = "Matrix product with broadcast batch dims (torch.matmul).",
    .dtype_rule = "a and b the same dtype, not bool", .num_inputs = 2, .num_outputs = 1,
    .differentiable = true, .form = BP_FORM_MATMUL, .slot_names = {"a", "b", "out"},
    .num_attrs = 0, .infer = infer_matmul, .signature_ok = sig_matmul};

/* ---- bmm ---- */

static bp_status_t infer_bmm(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                             bp_tensor_t *const *out, bp_op_plan_t *plan) {
  const bp_tensor_t *a = in[0], *b = in[1];
  char bufa[256], bufb[256];
  if (a->ndim != 3 || b->ndim != 3)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_bmm: a and b must be 3-D, got %s and %s",
                   bp_format_shape(bufa, sizeof(bufa), a->ndim, a->shape),
                   bp_format_shape(bufb, sizeof(bufb), b->ndim, b->shape));
  if (a->shape[0] != b->shape[0] || a->shape[2] != b->shape[1])
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_bmm: shapes %s and %s do not match (expected [B, M, K] and [B, K, N], "
                   "no broadcasting)",
                   bp_format_shape(bufa, sizeof(bufa), a->ndim, a->shape),
                   bp_format_shape(bufb, sizeof(bufb), b->ndim, b->shape));
  bp_status_t st = infer_matmul(def, in, attrs, out, plan);
  if (st == BP_STATUS_OK) return st;
  /* infer_matmul names matmul; say bmm. */
  return bp_fail(st, "bp_bmm: a is %s and b is %s (expected the same dtype, not bool)",
                 bp_dtype_name(a->dtype), bp_dtype_name(b->dtype));
}

const bp_op_def_t bp_op_def_bmm = {
    .name = "bmm", .summary = "Batched matrix product of 3-D tensors, no broadcasting (torch.bmm).",
    .dtype_rule = "a and b the same dtype, not bool", .num_inputs = 2, .num_outputs = 1,
    .differentiable = true, .form = BP_FORM_MATMUL, .slot_names = {"a", "b", "out"},
    .num_attrs = 0, .infer = infer_bmm, .signature_ok = sig_matmul};
