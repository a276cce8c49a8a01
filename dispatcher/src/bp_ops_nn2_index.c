/* bp_ops_nn2_index.c - catalog entries of the indexing ops: embedding,
 * gather, scatter_add, index_select, one_hot. Index values are checked by
 * the kernels (infer never reads tensor data): an index out of range is
 * INVALID_ARGUMENT naming the op, the value and the allowed range. */
#include <string.h>

#include "bp_op_util.h"
#include "bp_op_util_nn2.h"

#define CHECK(expr)                 \
  do {                              \
    bp_status_t s_ = (expr);        \
    if (s_) return s_;              \
  } while (0)

#define INDEX_DTYPES (BP_DTYPE_BIT(BP_DTYPE_I32) | BP_DTYPE_BIT(BP_DTYPE_I64))

static bool sig_valid(const bp_dtype_t *d, int n) {
  for (int i = 0; i < n; ++i)
    if (!bp_dtype_is_valid(d[i])) return false;
  return true;
}

/* ---- embedding ---- */

static bp_status_t infer_embedding(const bp_op_def_t *def, bp_tensor_t *const *in,
                                   bp_attr_t *attrs, bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def; (void)out;
  const bp_tensor_t *w = in[0], *idx = in[1];
  if (w->ndim != 2)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_embedding: weight is %d-d (expected 2-d [num_embeddings, embedding_dim])", w->ndim);
  CHECK(bp_nn2_check_dtype("embedding", "indices", idx, INDEX_DTYPES, "i32 or i64"));
  if (idx->ndim + 1 > BP_MAX_DIMS)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_embedding: indices has %d dims (at most %d)", idx->ndim, BP_MAX_DIMS - 1);
  if (attrs[1].value.b) {
    int64_t p = attrs[0].value.i, v = w->shape[0];
    if (p < -v || p >= v)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_embedding: padding_idx %lld must be within num_embeddings (%lld..%lld)",
                     (long long)p, (long long)-v, (long long)v - 1);
    if (p < 0) attrs[0].value.i = p + v;
  }
  plan->input_dtypes[0] = plan->output_dtypes[0] = w->dtype;
  plan->input_dtypes[1] = idx->dtype;
  plan->output_ndim[0] = idx->ndim + 1;
  memcpy(plan->output_shape[0], idx->shape, sizeof(int64_t) * (size_t)idx->ndim);
  plan->output_shape[0][idx->ndim] = w->shape[1];
  return BP_STATUS_OK;
}
static bool sig_embedding(const bp_dtype_t *d) {
  return sig_valid(d, 3) && d[0] == d[2] && (d[1] == BP_DTYPE_I32 || d[1] == BP_DTYPE_I64);
}

const bp_op_def_t bp_op_def_embedding = {
    .name = "embedding",
    .summary = "Rows of weight [V, D] picked by indices: out = indices.shape + [D] "
               "(torch.nn.functional.embedding). padding_idx only affects the gradient; "
               "max_norm is not supported.",
    .dtype_rule = "weight any dtype (out the same); indices i32 or i64",
    .num_inputs = 2, .num_outputs = 1, .differentiable = true, .form = BP_FORM_AS_IS,
    .slot_names = {"weight", "indices", "out"},
    .num_attrs = 2,
    .attrs = {{"padding_idx", BP_ATTR_INT, 0.0, 0, false, 0,
               "row whose gradient is zero (negative counts from the end; infer makes it positive)"},
              {"has_padding_idx", BP_ATTR_BOOL, 0.0, 0, false, 0, "padding_idx is given"}},
    .infer = infer_embedding, .signature_ok = sig_embedding};

/* ---- gather ---- */

static bp_status_t infer_gather(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                                bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def; (void)out;
  const bp_tensor_t *x = in[0], *idx = in[1];
  int64_t dim;
  CHECK(bp_nn2_wrap_dim("gather", "dim", attrs[0].value.i, x->ndim, &dim));
  attrs[0].value.i = dim;
  CHECK(bp_nn2_check_dtype("gather", "index", idx, BP_DTYPE_BIT(BP_DTYPE_I64), "i64"));
  int32_t xr = x->ndim ? x->ndim : 1, ir = idx->ndim ? idx->ndim : 1;
  if (xr != ir)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_gather: index has %d dims but x has %d (expected the same number)", idx->ndim, x->ndim);
  for (int32_t d = 0; d < idx->ndim && x->ndim; ++d)
    if (d != dim && idx->shape[d] > x->shape[d])
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_gather: index size %lld at dim %d exceeds x's %lld (expected <= outside dim %lld)",
                     (long long)idx->shape[d], (int)d, (long long)x->shape[d], (long long)dim);
  plan->input_dtypes[0] = plan->output_dtypes[0] = x->dtype;
  plan->input_dtypes[1] = BP_DTYPE_I64;
  bp_nn2_same_shape(plan, 0, idx);
  return BP_STATUS_OK;
}
static bool sig_gather(const bp_dtype_t *d) {
  return sig_valid(d, 3) && d[0] == d[2] && d[1] == BP_DTYPE_I64;
}

const bp_op_def_t bp_op_def_gather = {
    .name = "gather",
    .summary = "out[i][j][k] = x[index[i][j][k]][j][k] for dim 0, and so on (torch.gather).",
    .dtype_rule = "x any dtype (out the same); index i64",
    .num_inputs = 2, .num_outputs = 1, .differentiable = true, .form = BP_FORM_AS_IS,
    .slot_names = {"x", "index", "out"},
    .num_attrs = 1,
    .attrs = {{"dim", BP_ATTR_INT, 0.0, 0, false, 0, "the indexed dim (negative counts from the end)"}},
    .infer = infer_gather, .signature_ok = sig_gather};

/* ---- scatter_add ---- */

static bp_status_t infer_scatter_add(const bp_op_def_t *def, bp_tensor_t *const *in,
                                     bp_attr_t *attrs, bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def; (void)out;
  const bp_tensor_t *x = in[0], *idx = in[1], *src = in[2];
  int64_t dim;
  CHECK(bp_nn2_wrap_dim("scatter_add", "dim", attrs[0].value.i, x->ndim, &dim));
  attrs[0].value.i = dim;
  CHECK(bp_nn2_check_dtype("scatter_add", "index", idx, BP_DTYPE_BIT(BP_DTYPE_I64), "i64"));
  if (src->dtype != x->dtype)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_scatter_add: src is %s but self is %s (expected the same dtype)",
                   bp_dtype_name(src->dtype), bp_dtype_name(x->dtype));
  int32_t xr = x->ndim ? x->ndim : 1, ir = idx->ndim ? idx->ndim : 1, sr = src->ndim ? src->ndim : 1;
  bool empty_index = idx->numel == 0;
  if (!empty_index && (xr != ir || sr != ir))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_scatter_add: index has %d dims, self %d, src %d (expected the same number)",
                   idx->ndim, x->ndim, src->ndim);
  for (int32_t d = 0; !empty_index && d < idx->ndim; ++d) {
    int64_t xs = x->ndim ? x->shape[d] : 1, ss = src->ndim ? src->shape[d] : 1;
    if (idx->shape[d] > ss || (d != dim && idx->shape[d] > xs))
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_scatter_add: index size %lld at dim %d exceeds src's %lld or self's %lld "
                     "(expected <= src everywhere and <= self outside dim %lld)",
                     (long long)idx->shape[d], (int)d, (long long)ss, (long long)xs, (long long)dim);
  }
  for (int i = 0; i < 3; ++i) plan->input_dtypes[i] = in[i]->dtype;
  plan->output_dtypes[0] = x->dtype;
  bp_nn2_same_shape(plan, 0, x);
  return BP_STATUS_OK;
}
static bool sig_scatter_add(const bp_dtype_t *d) {
  return sig_valid(d, 4) && d[0] == d[2] && d[0] == d[3] && d[1] == BP_DTYPE_I64;
}

const bp_op_def_t bp_op_def_scatter_add = {
    .name = "scatter_add",
    .summary = "out = a copy of self, then out[index[i][j]][j] += src[i][j] for dim 0, and so on "
               "(torch.scatter_add). Integers wrap; bool adds as logical or.",
    .dtype_rule = "self and src the same dtype, any (out the same); index i64",
    .num_inputs = 3, .num_outputs = 1, .differentiable = true, .form = BP_FORM_AS_IS,
    .slot_names = {"self", "index", "src", "out"},
    .num_attrs = 1,
    .attrs = {{"dim", BP_ATTR_INT, 0.0, 0, false, 0, "the indexed dim (negative counts from the end)"}},
    .infer = infer_scatter_add, .signature_ok = sig_scatter_add};

/* ---- index_select ---- */

static bp_status_t infer_index_select(const bp_op_def_t *def, bp_tensor_t *const *in,
                                      bp_attr_t *attrs, bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def; (void)out;
  const bp_tensor_t *x = in[0], *idx = in[1];
  int64_t dim;
  CHECK(bp_nn2_wrap_dim("index_select", "dim", attrs[0].value.i, x->ndim, &dim));
  attrs[0].value.i = dim;
  CHECK(bp_nn2_check_dtype("index_select", "index", idx, INDEX_DTYPES, "i32 or i64"));
  if (idx->ndim > 1)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_index_select: index is %d-d (expected 0-d or 1-d)", idx->ndim);
  plan->input_dtypes[0] = plan->output_dtypes[0] = x->dtype;
  plan->input_dtypes[1] = idx->dtype;
  bp_nn2_same_shape(plan, 0, x);
  if (x->ndim) plan->output_shape[0][dim] = idx->numel;
  return BP_STATUS_OK;
}
static bool sig_index_select(const bp_dtype_t *d) {
  return sig_valid(d, 3) && d[0] == d[2] && (d[1] == BP_DTYPE_I32 || d[1] == BP_DTYPE_I64);
}

const bp_op_def_t bp_op_def_index_select = {
    .name = "index_select",
    .summary = "Entries of x along dim at the positions in index (torch.index_select).",
    .dtype_rule = "x any dtype (out the same); index i32 or i64, 0-d or 1-d",
    .num_inputs = 2, .num_outputs = 1, .differentiable = true, .form = BP_FORM_AS_IS,
    .slot_names = {"x", "index", "out"},
    .num_attrs = 1,
    .attrs = {{"dim", BP_ATTR_INT, 0.0, 0, false, 0, "the indexed dim (negative counts from the end)"}},
    .infer = infer_index_select, .signature_ok = sig_index_select};

/* ---- one_hot ---- */

static bp_status_t infer_one_hot(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                                 bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def; (void)out;
  const bp_tensor_t *x = in[0];
  int64_t n = attrs[0].value.i;
  CHECK(bp_nn2_check_dtype("one_hot", "x", x, BP_DTYPE_BIT(BP_DTYPE_I64), "i64 (an index tensor)"));
  if (n < 0)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_one_hot: num_classes %lld; the op needs num_classes >= 0 (-1, max + 1, is "
                   "resolved by the typed entry point bp_one_hot, which reads x)", (long long)n);
  if (x->ndim + 1 > BP_MAX_DIMS)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_one_hot: x has %d dims (at most %d)", x->ndim, BP_MAX_DIMS - 1);
  plan->input_dtypes[0] = plan->output_dtypes[0] = BP_DTYPE_I64;
  plan->output_ndim[0] = x->ndim + 1;
  memcpy(plan->output_shape[0], x->shape, sizeof(int64_t) * (size_t)x->ndim);
  plan->output_shape[0][x->ndim] = n;
  return BP_STATUS_OK;
}
static bool sig_one_hot(const bp_dtype_t *d) { return d[0] == BP_DTYPE_I64 && d[1] == BP_DTYPE_I64; }

const bp_op_def_t bp_op_def_one_hot = {
    .name = "one_hot",
    .summary = "out[..., c] = 1 where x[...] == c, else 0 (torch.nn.functional.one_hot). Values "
               "outside [0, num_classes) are an error. The op takes num_classes >= 0; "
               "bp_one_hot also takes -1 (max(x) + 1, read from the data).",
    .dtype_rule = "x i64; out i64",
    .num_inputs = 1, .num_outputs = 1, .differentiable = false, .form = BP_FORM_AS_IS,
    .slot_names = {"x", "out"},
    .num_attrs = 1,
    .attrs = {{"num_classes", BP_ATTR_INT, 0.0, -1, false, 0,
               "size of the last dim (>= 0; -1 only through bp_one_hot)"}},
    .infer = infer_one_hot, .signature_ok = sig_one_hot};
