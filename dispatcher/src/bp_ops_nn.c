/* bp_ops_nn.c - catalog entries of the convolutions, pooling and linear.
 *
 * Optional bias: torch's `bias=None` becomes the bool attribute has_bias
 * (default true). With has_bias false the bias input is not read (any
 * tensor of the op's dtype on the same device: the typed entry points pass
 * the weight). Spatial int-list attributes take 0 values (torch's default),
 * 1 value (both dims) or one per spatial dim, as torch's int-or-tuple
 * arguments do; kernels receive them as given. */
#include <string.h>

#include "bp_op_catalog.h"
#include "bp_op_util.h"

/* ---- shared checks ---- */

/* The value of an int-or-tuple attribute for each of `n` spatial dims. */
static bp_status_t spatial(const char *op, const bp_attr_t *a, const char *name, int n,
                           int64_t def, int64_t min, int64_t *out) {
  if (a->count != 0 && a->count != 1 && a->count != (uint32_t)n)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: %s has %u values (expected 1 or %d, or none for the default)", op,
                   name, a->count, n);
  for (int i = 0; i < n; ++i) {
    out[i] = a->count == 0 ? def : a->value.ints[a->count == 1 ? 0 : i];
    if (out[i] < min)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: %s must be >= %lld, got %lld", op, name,
                     (long long)min, (long long)out[i]);
  }
  return BP_STATUS_OK;
}

static bp_status_t same_dtype(const char *op, const bp_tensor_t *x, const bp_tensor_t *t,
                              const char *name) {
  if (t->dtype != x->dtype)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: %s is %s but x is %s (expected the same dtype)", op, name,
                   bp_dtype_name(t->dtype), bp_dtype_name(x->dtype));
  return BP_STATUS_OK;
}

static bool is_float_or_int(bp_dtype_t d) { return bp_dtype_is_float(d) || bp_dtype_is_integer(d); }

static bp_status_t check_dtype(const char *op, bp_dtype_t d, bool (*ok)(bp_dtype_t),
                               const char *expected) {
  if (!ok(d))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: x is %s (expected %s)", op,
                   bp_dtype_name(d), expected);
  return BP_STATUS_OK;
}

static bool is_i64_or_float(bp_dtype_t d) { return bp_dtype_is_float(d) || d == BP_DTYPE_I64; }

/* ---- linear ---- */

static bp_status_t infer_linear(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                                bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def; (void)out;
  const bp_tensor_t *x = in[0], *w = in[1], *b = in[2];
  bool has_bias = attrs[0].value.b;
  char s1[256], s2[256];
  bp_status_t st = check_dtype("linear", x->dtype, is_float_or_int, "an integer or float dtype");
  if (!st) st = same_dtype("linear", x, w, "weight");
  if (!st && has_bias) st = same_dtype("linear", x, b, "bias");
  if (st) return st;
  if (x->ndim < 1)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_linear: x must have at least 1 dim, got 0-d");
  if (w->ndim != 2)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_linear: weight must be 2-D [out_features, in_features], got %s",
                   bp_format_shape(s1, sizeof(s1), w->ndim, w->shape));
  if (x->shape[x->ndim - 1] != w->shape[1])
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_linear: x %s and weight %s do not match (last dim of x %lld vs "
                   "in_features %lld)",
                   bp_format_shape(s1, sizeof(s1), x->ndim, x->shape),
                   bp_format_shape(s2, sizeof(s2), w->ndim, w->shape),
                   (long long)x->shape[x->ndim - 1], (long long)w->shape[1]);
  if (has_bias && !(b->ndim == 1 && b->shape[0] == w->shape[0]))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_linear: bias has shape %s (expected [%lld])",
                   bp_format_shape(s1, sizeof(s1), b->ndim, b->shape), (long long)w->shape[0]);
  plan->output_ndim[0] = x->ndim;
  for (int32_t d = 0; d < x->ndim - 1; ++d) plan->output_shape[0][d] = x->shape[d];
  plan->output_shape[0][x->ndim - 1] = w->shape[0];
  plan->input_dtypes[0] = plan->input_dtypes[1] = plan->output_dtypes[0] = x->dtype;
  plan->input_dtypes[2] = x->dtype; /* a has_bias=false placeholder is cast if need be */
  return BP_STATUS_OK;
}
static bool sig_same4_float_or_int(const bp_dtype_t *d) {
  return is_float_or_int(d[0]) && bp_dtypes_all_same(d, 4);
}

#define HAS_BIAS_ATTR                                                                  \
  {"has_bias", BP_ATTR_BOOL, 0.0, 0, true, 0,                                          \
   "false: no bias (torch's bias=None); the bias input is then not read (pass any "    \
   "tensor of x's dtype, e.g. the weight)"}

const bp_op_def_t bp_op_def_linear = {
    .name = "linear", .summary = "out = x @ weight^T + bias (torch.nn.functional.linear).",
    .dtype_rule = "x, weight (and bias) the same integer or float dtype", .num_inputs = 3,
    .num_outputs = 1, .differentiable = true, .form = BP_FORM_AS_IS,
    .slot_names = {"x", "weight", "bias", "out"}, .num_attrs = 1, .attrs = {HAS_BIAS_ATTR},
    .infer = infer_linear, .signature_ok = sig_same4_float_or_int};

/* ---- conv1d, conv2d ---- */

/* nsp spatial dims (1 or 2). */
static bp_status_t infer_conv(const char *op, int nsp, bp_tensor_t *const *in, bp_attr_t *attrs,
                              bp_op_plan_t *plan) {
  const bp_tensor_t *x = in[0], *w = in[1], *b = in[2];
  int64_t stride[2] = {1, 1}, pad[2] = {0, 0}, dil[2] = {1, 1};
  int64_t groups = attrs[3].value.i;
  bool same = attrs[4].value.b, has_bias = attrs[5].value.b;
  char s1[256], s2[256];
  bp_status_t st = check_dtype(op, x->dtype, is_float_or_int, "an integer or float dtype");
  if (!st) st = same_dtype(op, x, w, "weight");
  if (!st && has_bias) st = same_dtype(op, x, b, "bias");
  if (!st) st = spatial(op, &attrs[0], "stride", nsp, 1, 1, stride);
  if (!st) st = spatial(op, &attrs[1], "padding", nsp, 0, 0, pad);
  if (!st) st = spatial(op, &attrs[2], "dilation", nsp, 1, 1, dil);
  if (st) return st;
  if (groups < 1)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: groups must be >= 1, got %lld", op,
                   (long long)groups);
  /* torch's CPU convolution has no u8/i8/i32 kernel for dilation > 1. */
  for (int i = 0; i < nsp; ++i)
    if (dil[i] > 1 && bp_dtype_is_integer(x->dtype) && x->dtype != BP_DTYPE_I64)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_%s: dilation > 1 is not supported for %s (as in torch; use i64 or a "
                     "float dtype)", op, bp_dtype_name(x->dtype));
  if (x->ndim != nsp + 1 && x->ndim != nsp + 2)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: x must be %d-D (unbatched) or %d-D (batched), got %s", op, nsp + 1,
                   nsp + 2, bp_format_shape(s1, sizeof(s1), x->ndim, x->shape));
  if (w->ndim != nsp + 2)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: weight must be %d-D [out_channels, in_channels/groups, kernel...], "
                   "got %s",
                   op, nsp + 2, bp_format_shape(s1, sizeof(s1), w->ndim, w->shape));
  bool batched = x->ndim == nsp + 2;
  int64_t cin = x->shape[batched ? 1 : 0], cout = w->shape[0];
  if (cout % groups != 0)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: out_channels (weight dim 0) %lld is not divisible by groups %lld", op,
                   (long long)cout, (long long)groups);
  if (cin != w->shape[1] * groups)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: x %s has %lld channels but weight %s with groups %lld expects %lld",
                   op, bp_format_shape(s1, sizeof(s1), x->ndim, x->shape), (long long)cin,
                   bp_format_shape(s2, sizeof(s2), w->ndim, w->shape), (long long)groups,
                   (long long)(w->shape[1] * groups));
  if (has_bias && !(b->ndim == 1 && b->shape[0] == cout))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: bias has shape %s (expected [%lld])", op,
                   bp_format_shape(s1, sizeof(s1), b->ndim, b->shape), (long long)cout);
  if (same) {
    for (int i = 0; i < nsp; ++i)
      if (stride[i] != 1)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                       "bp_%s: padding_same (padding='same') needs stride 1, got %lld", op,
                       (long long)stride[i]);
  }
  int32_t n = 0;
  if (batched) plan->output_shape[0][n++] = x->shape[0];
  plan->output_shape[0][n++] = cout;
  for (int i = 0; i < nsp; ++i) {
    int64_t size = x->shape[x->ndim - nsp + i], k = w->shape[2 + i];
    int64_t eff = dil[i] * (k - 1) + 1;
    int64_t padded = same ? size + eff - 1 : size + 2 * pad[i];
    if (padded < eff)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_%s: padded input size %lld of spatial dim %d is smaller than the "
                     "dilated kernel size %lld (kernel size can't be greater than the input)",
                     op, (long long)padded, i, (long long)eff);
    plan->output_shape[0][n++] = same ? size : (padded - eff) / stride[i] + 1;
  }
  plan->output_ndim[0] = n;
  plan->input_dtypes[0] = plan->input_dtypes[1] = plan->output_dtypes[0] = x->dtype;
  plan->input_dtypes[2] = x->dtype; /* a has_bias=false placeholder is cast if need be */
  return BP_STATUS_OK;
}
static bp_status_t infer_conv1d(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                                bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def; (void)out;
  return infer_conv("conv1d", 1, in, attrs, plan);
}
static bp_status_t infer_conv2d(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                                bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def; (void)out;
  return infer_conv("conv2d", 2, in, attrs, plan);
}

#define CONV_ATTRS                                                                         \
  {"stride", BP_ATTR_INTS, 0.0, 0, false, 0, "per spatial dim (one value: all); default 1"}, \
  {"padding", BP_ATTR_INTS, 0.0, 0, false, 0,                                                \
   "zeros added on both sides of each spatial dim; default 0"},                              \
  {"dilation", BP_ATTR_INTS, 0.0, 0, false, 0, "kernel element spacing; default 1"},         \
  {"groups", BP_ATTR_INT, 0.0, 1, false, 0, "channel groups"},                               \
  {"padding_same", BP_ATTR_BOOL, 0.0, 0, false, 0,                                           \
   "torch's padding='same' (stride 1 only; padding is then ignored; odd totals pad one "    \
   "more on the right)"},                                                                   \
  HAS_BIAS_ATTR

const bp_op_def_t bp_op_def_conv1d = {
    .name = "conv1d", .summary = "1-D convolution (torch.nn.functional.conv1d).",
    .dtype_rule = "x, weight (and bias) the same integer or float dtype", .num_inputs = 3,
    .num_outputs = 1, .differentiable = true, .form = BP_FORM_AS_IS,
    .slot_names = {"x", "weight", "bias", "out"}, .num_attrs = 6, .attrs = {CONV_ATTRS},
    .infer = infer_conv1d, .signature_ok = sig_same4_float_or_int};

const bp_op_def_t bp_op_def_conv2d = {
    .name = "conv2d", .summary = "2-D convolution (torch.nn.functional.conv2d).",
    .dtype_rule = "x, weight (and bias) the same integer or float dtype", .num_inputs = 3,
    .num_outputs = 1, .differentiable = true, .form = BP_FORM_AS_IS,
    .slot_names = {"x", "weight", "bias", "out"}, .num_attrs = 6, .attrs = {CONV_ATTRS},
    .infer = infer_conv2d, .signature_ok = sig_same4_float_or_int};

/* ---- conv_transpose2d ---- */

static bp_status_t infer_conv_t2d(const bp_op_def_t *def, bp_tensor_t *const *in,
                                  bp_attr_t *attrs, bp_tensor_t *const *out,
                                  bp_op_plan_t *plan) {
  (void)def; (void)out;
  const char *op = "conv_transpose2d";
  const bp_tensor_t *x = in[0], *w = in[1], *b = in[2];
  int64_t stride[2] = {1, 1}, pad[2] = {0, 0}, opad[2] = {0, 0}, dil[2] = {1, 1};
  int64_t groups = attrs[3].value.i;
  bool has_bias = attrs[5].value.b;
  char s1[256], s2[256];
  bp_status_t st = check_dtype(op, x->dtype, is_i64_or_float, "i64 or a float dtype");
  if (!st) st = same_dtype(op, x, w, "weight");
  if (!st && has_bias) st = same_dtype(op, x, b, "bias");
  if (!st) st = spatial(op, &attrs[0], "stride", 2, 1, 1, stride);
  if (!st) st = spatial(op, &attrs[1], "padding", 2, 0, 0, pad);
  if (!st) st = spatial(op, &attrs[2], "output_padding", 2, 0, 0, opad);
  if (!st) st = spatial(op, &attrs[4], "dilation", 2, 1, 1, dil);
  if (st) return st;
  if (groups < 1)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: groups must be >= 1, got %lld", op,
                   (long long)groups);
  for (int i = 0; i < 2; ++i)
    if (opad[i] >= stride[i] && opad[i] >= dil[i])
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_%s: output_padding %lld must be smaller than either stride %lld or "
                     "dilation %lld",
                     op, (long long)opad[i], (long long)stride[i], (long long)dil[i]);
  if (x->ndim != 3 && x->ndim != 4)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: x must be 3-D (unbatched) or 4-D (batched), got %s", op,
                   bp_format_shape(s1, sizeof(s1), x->ndim, x->shape));
  if (w->ndim != 4)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: weight must be 4-D [in_channels, out_channels/groups, kH, kW], got %s",
                   op, bp_format_shape(s1, sizeof(s1), w->ndim, w->shape));
  bool batched = x->ndim == 4;
  int64_t cin = x->shape[batched ? 1 : 0];
  if (cin != w->shape[0] || cin % groups != 0)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: x %s has %lld channels but weight %s has %lld in_channels (with "
                   "groups %lld dividing them)",
                   op, bp_format_shape(s1, sizeof(s1), x->ndim, x->shape), (long long)cin,
                   bp_format_shape(s2, sizeof(s2), w->ndim, w->shape), (long long)w->shape[0],
                   (long long)groups);
  int64_t cout = w->shape[1] * groups;
  if (has_bias && !(b->ndim == 1 && b->shape[0] == cout))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: bias has shape %s (expected [%lld])", op,
                   bp_format_shape(s1, sizeof(s1), b->ndim, b->shape), (long long)cout);
  int32_t n = 0;
  if (batched) plan->output_shape[0][n++] = x->shape[0];
  plan->output_shape[0][n++] = cout;
  for (int i = 0; i < 2; ++i) {
    int64_t size = x->shape[x->ndim - 2 + i], k = w->shape[2 + i];
    int64_t o = (size - 1) * stride[i] - 2 * pad[i] + dil[i] * (k - 1) + opad[i] + 1;
    if (o < 1)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_%s: output size %lld of spatial dim %d is not positive", op,
                     (long long)o, i);
    plan->output_shape[0][n++] = o;
  }
  plan->output_ndim[0] = n;
  plan->input_dtypes[0] = plan->input_dtypes[1] = plan->output_dtypes[0] = x->dtype;
  plan->input_dtypes[2] = x->dtype; /* a has_bias=false placeholder is cast if need be */
  return BP_STATUS_OK;
}
static bool sig_conv_t2d(const bp_dtype_t *d) {
  return is_i64_or_float(d[0]) && bp_dtypes_all_same(d, 4);
}

const bp_op_def_t bp_op_def_conv_transpose2d = {
    .name = "conv_transpose2d",
    .summary = "2-D transposed convolution (torch.nn.functional.conv_transpose2d).",
    .dtype_rule = "x, weight (and bias) the same dtype: i64 or float", .num_inputs = 3,
    .num_outputs = 1, .differentiable = true, .form = BP_FORM_AS_IS,
    .slot_names = {"x", "weight", "bias", "out"}, .num_attrs = 6,
    .attrs = {{"stride", BP_ATTR_INTS, 0.0, 0, false, 0, "per spatial dim; default 1"},
              {"padding", BP_ATTR_INTS, 0.0, 0, false, 0,
               "dilation*(k-1)-padding zeros on both sides; default 0"},
              {"output_padding", BP_ATTR_INTS, 0.0, 0, false, 0,
               "extra size on one side of the output; default 0"},
              {"groups", BP_ATTR_INT, 0.0, 1, false, 0, "channel groups"},
              {"dilation", BP_ATTR_INTS, 0.0, 0, false, 0, "kernel element spacing; default 1"},
              HAS_BIAS_ATTR},
    .infer = infer_conv_t2d, .signature_ok = sig_conv_t2d};

/* ---- pooling ---- */

/* Shared by max_pool2d (with dilation) and avg_pool2d (dil = NULL). */
static bp_status_t infer_pool(const char *op, const bp_tensor_t *x, const bp_attr_t *ks,
                              const bp_attr_t *st_attr, const bp_attr_t *pad_attr,
                              const bp_attr_t *dil_attr, bool ceil_mode, bp_op_plan_t *plan) {
  int64_t k[2] = {1, 1}, s[2] = {1, 1}, p[2] = {0, 0}, d[2] = {1, 1};
  char s1[256];
  if (ks->count == 0)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: kernel_size is required", op);
  bp_status_t st = spatial(op, ks, "kernel_size", 2, 1, 1, k);
  if (!st) st = spatial(op, st_attr, "stride", 2, 1, 1, s);
  if (!st) st = spatial(op, pad_attr, "padding", 2, 0, 0, p);
  if (!st && dil_attr) st = spatial(op, dil_attr, "dilation", 2, 1, 1, d);
  if (st) return st;
  if (st_attr->count == 0) { s[0] = k[0]; s[1] = k[1]; }
  if (x->ndim != 3 && x->ndim != 4)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: x must be 3-D [C, H, W] or 4-D [N, C, H, W], got %s", op,
                   bp_format_shape(s1, sizeof(s1), x->ndim, x->shape));
  for (int i = x->ndim == 4 ? 1 : 0; i < x->ndim; ++i)
    if (x->shape[i] == 0)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_%s: x %s has an empty channel or spatial dim (only the batch dim may "
                     "be 0)", op, bp_format_shape(s1, sizeof(s1), x->ndim, x->shape));
  for (int i = 0; i < 2; ++i) {
    int64_t eff = dil_attr ? d[i] * (k[i] - 1) + 1 : k[i];
    if (p[i] > (dil_attr ? eff : k[i]) / 2)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_%s: padding %lld should be at most half of the %skernel size %lld", op,
                     (long long)p[i], dil_attr ? "effective " : "", (long long)eff);
  }
  memcpy(plan->output_shape[0], x->shape, sizeof(int64_t) * (size_t)(x->ndim - 2));
  for (int i = 0; i < 2; ++i) {
    int64_t size = x->shape[x->ndim - 2 + i];
    int64_t o = bp_pool_output_size(size, k[i], p[i], s[i], d[i], ceil_mode);
    if (o < 1)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_%s: input %s gives output size %lld in spatial dim %d (too small)", op,
                     bp_format_shape(s1, sizeof(s1), x->ndim, x->shape), (long long)o, i);
    plan->output_shape[0][x->ndim - 2 + i] = o;
  }
  plan->output_ndim[0] = x->ndim;
  return BP_STATUS_OK;
}

static bp_status_t infer_max_pool2d(const bp_op_def_t *def, bp_tensor_t *const *in,
                                    bp_attr_t *attrs, bp_tensor_t *const *out,
                                    bp_op_plan_t *plan) {
  (void)def; (void)out;
  const bp_tensor_t *x = in[0];
  bp_status_t st = check_dtype("max_pool2d", x->dtype, bp_dtype_is_float, "a float dtype");
  if (!st)
    st = infer_pool("max_pool2d", x, &attrs[0], &attrs[1], &attrs[2], &attrs[3],
                    attrs[4].value.b, plan);
  if (st) return st;
  plan->output_ndim[1] = plan->output_ndim[0];
  memcpy(plan->output_shape[1], plan->output_shape[0], sizeof(plan->output_shape[0]));
  plan->input_dtypes[0] = plan->output_dtypes[0] = x->dtype;
  plan->output_dtypes[1] = BP_DTYPE_I64;
  return BP_STATUS_OK;
}
static bool sig_max_pool2d(const bp_dtype_t *d) {
  return bp_dtype_is_float(d[0]) && d[1] == d[0] && d[2] == BP_DTYPE_I64;
}

#define POOL_KSP_ATTRS                                                                   \
  {"kernel_size", BP_ATTR_INTS, 0.0, 0, false, 0, "window size (one value: square); required"}, \
  {"stride", BP_ATTR_INTS, 0.0, 0, false, 0, "window step; empty = kernel_size"},          \
  {"padding", BP_ATTR_INTS, 0.0, 0, false, 0,                                              \
   "implicit padding on both sides (at most half the kernel); default 0"}

const bp_op_def_t bp_op_def_max_pool2d = {
    .name = "max_pool2d",
    .summary = "2-D max pooling with indices (torch.nn.functional.max_pool2d, "
               "return_indices=True).",
    .dtype_rule = "x a float dtype; values like x, indices i64 (flat index in each H*W plane)",
    .num_inputs = 1, .num_outputs = 2, .differentiable = true, .form = BP_FORM_AS_IS,
    .slot_names = {"x", "values", "indices"}, .num_attrs = 5,
    .attrs = {POOL_KSP_ATTRS,
              {"dilation", BP_ATTR_INTS, 0.0, 0, false, 0, "window element spacing; default 1"},
              {"ceil_mode", BP_ATTR_BOOL, 0.0, 0, false, 0, "ceil instead of floor for the output size"}},
    .infer = infer_max_pool2d, .signature_ok = sig_max_pool2d};

static bp_status_t infer_avg_pool2d(const bp_op_def_t *def, bp_tensor_t *const *in,
                                    bp_attr_t *attrs, bp_tensor_t *const *out,
                                    bp_op_plan_t *plan) {
  (void)def; (void)out;
  const bp_tensor_t *x = in[0];
  bp_status_t st = check_dtype("avg_pool2d", x->dtype, is_i64_or_float, "i64 or a float dtype");
  if (!st)
    st = infer_pool("avg_pool2d", x, &attrs[0], &attrs[1], &attrs[2], NULL, attrs[3].value.b,
                    plan);
  if (st) return st;
  if (attrs[5].value.i < 0)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_avg_pool2d: divisor_override must be positive (0 = none), got %lld",
                   (long long)attrs[5].value.i);
  plan->input_dtypes[0] = plan->output_dtypes[0] = x->dtype;
  return BP_STATUS_OK;
}
static bool sig_avg_pool2d(const bp_dtype_t *d) { return is_i64_or_float(d[0]) && d[1] == d[0]; }

const bp_op_def_t bp_op_def_avg_pool2d = {
    .name = "avg_pool2d", .summary = "2-D average pooling (torch.nn.functional.avg_pool2d).",
    .dtype_rule = "x i64 or a float dtype; out like x (i64: the sum divided, truncated)",
    .num_inputs = 1, .num_outputs = 1, .differentiable = true, .form = BP_FORM_AS_IS,
    .slot_names = {"x", "out"}, .num_attrs = 6,
    .attrs = {POOL_KSP_ATTRS,
              {"ceil_mode", BP_ATTR_BOOL, 0.0, 0, false, 0, "ceil instead of floor for the output size"},
              {"count_include_pad", BP_ATTR_BOOL, 0.0, 0, true, 0, "count padding zeros in the divisor"},
              {"divisor_override", BP_ATTR_INT, 0.0, 0, false, 0,
               "divide by this instead of the window size; 0 = none (torch's None)"}},
    .infer = infer_avg_pool2d, .signature_ok = sig_avg_pool2d};

static bp_status_t infer_adaptive_avg_pool2d(const bp_op_def_t *def, bp_tensor_t *const *in,
                                             bp_attr_t *attrs, bp_tensor_t *const *out,
                                             bp_op_plan_t *plan) {
  (void)def; (void)out;
  const char *op = "adaptive_avg_pool2d";
  const bp_tensor_t *x = in[0];
  int64_t os[2] = {0, 0};
  char s1[256];
  bp_status_t st = check_dtype(op, x->dtype, bp_dtype_is_float, "a float dtype");
  if (st) return st;
  if (attrs[0].count == 0)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: output_size is required", op);
  if ((st = spatial(op, &attrs[0], "output_size", 2, 0, 0, os))) return st;
  if (x->ndim != 3 && x->ndim != 4)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: x must be 3-D [C, H, W] or 4-D [N, C, H, W], got %s", op,
                   bp_format_shape(s1, sizeof(s1), x->ndim, x->shape));
  for (int i = 1; i < x->ndim; ++i)
    if (x->shape[i] == 0)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_%s: x %s has an empty non-batch dim (expected sizes > 0 after dim 0)",
                     op, bp_format_shape(s1, sizeof(s1), x->ndim, x->shape));
  memcpy(plan->output_shape[0], x->shape, sizeof(int64_t) * (size_t)(x->ndim - 2));
  plan->output_shape[0][x->ndim - 2] = os[0];
  plan->output_shape[0][x->ndim - 1] = os[1];
  plan->output_ndim[0] = x->ndim;
  plan->input_dtypes[0] = plan->output_dtypes[0] = x->dtype;
  return BP_STATUS_OK;
}
static bool sig_float2(const bp_dtype_t *d) { return bp_dtype_is_float(d[0]) && d[1] == d[0]; }

const bp_op_def_t bp_op_def_adaptive_avg_pool2d = {
    .name = "adaptive_avg_pool2d",
    .summary = "2-D adaptive average pooling (torch.nn.functional.adaptive_avg_pool2d).",
    .dtype_rule = "x a float dtype; out like x", .num_inputs = 1, .num_outputs = 1,
    .differentiable = true, .form = BP_FORM_AS_IS, .slot_names = {"x", "out"}, .num_attrs = 1,
    .attrs = {{"output_size", BP_ATTR_INTS, 0.0, 0, false, 0,
               "[H, W] of the output (one value: square); required"}},
    .infer = infer_adaptive_avg_pool2d, .signature_ok = sig_float2};

/* ---- typed entry points (bp_ops_nn.h) ---- */

static void set_ints(bp_attr_t *a, const int64_t *v, uint32_t n) {
  a->count = v ? n : 0;
  a->value.ints = v;
}

/* Runs op with its default attrs changed by the caller; bias slot 2 (when
 * the op has one) falls back to the weight with has_bias false. */
static bp_status_t run_nn(uint32_t op_id, bp_tensor_t **in, bp_attr_t *attrs,
                          bp_tensor_t **out) {
  const bp_op_def_t *def = bp_op_def(op_id);
  if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: out is NULL", def->name);
  bp_tensor_t *res = NULL;
  bp_status_t s = bp_dispatch(op_id, def->num_inputs, in, attrs, 1, &res);
  if (!s) *out = res;
  return s;
}

bp_status_t bp_linear(bp_tensor_t *x, bp_tensor_t *weight, bp_tensor_t *bias, bp_tensor_t **out) {
  bp_attr_t attrs[BP_MAX_ATTRS];
  bp_op_default_attrs(&bp_op_def_linear, attrs);
  attrs[0].value.b = bias != NULL;
  bp_tensor_t *in[3] = {x, weight, bias ? bias : weight};
  return run_nn(BP_OP_LINEAR, in, attrs, out);
}

bp_status_t bp_bmm(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t **out) {
  bp_tensor_t *in[2] = {a, b};
  return run_nn(BP_OP_BMM, in, NULL, out);
}

bp_status_t bp_conv2d(bp_tensor_t *x, bp_tensor_t *weight, bp_tensor_t *bias,
                      const int64_t *stride, const int64_t *padding, int64_t groups,
                      bp_tensor_t **out) {
  bp_attr_t attrs[BP_MAX_ATTRS];
  bp_op_default_attrs(&bp_op_def_conv2d, attrs);
  set_ints(&attrs[0], stride, 2);
  set_ints(&attrs[1], padding, 2);
  attrs[3].value.i = groups;
  attrs[5].value.b = bias != NULL;
  bp_tensor_t *in[3] = {x, weight, bias ? bias : weight};
  return run_nn(BP_OP_CONV2D, in, attrs, out);
}

bp_status_t bp_max_pool2d(bp_tensor_t *x, const int64_t *kernel_size, const int64_t *stride,
                          const int64_t *padding, bp_tensor_t **values, bp_tensor_t **indices) {
  bp_attr_t attrs[BP_MAX_ATTRS];
  bp_op_default_attrs(&bp_op_def_max_pool2d, attrs);
  set_ints(&attrs[0], kernel_size, 2);
  set_ints(&attrs[1], stride, 2);
  set_ints(&attrs[2], padding, 2);
  if (!values || !indices)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_max_pool2d: %s is NULL",
                   values ? "indices" : "values");
  bp_tensor_t *res[2] = {NULL, NULL};
  bp_status_t s = bp_dispatch(BP_OP_MAX_POOL2D, 1, &x, attrs, 2, res);
  if (!s) { *values = res[0]; *indices = res[1]; }
  return s;
}

bp_status_t bp_avg_pool2d(bp_tensor_t *x, const int64_t *kernel_size, const int64_t *stride,
                          const int64_t *padding, bp_tensor_t **out) {
  bp_attr_t attrs[BP_MAX_ATTRS];
  bp_op_default_attrs(&bp_op_def_avg_pool2d, attrs);
  set_ints(&attrs[0], kernel_size, 2);
  set_ints(&attrs[1], stride, 2);
  set_ints(&attrs[2], padding, 2);
  return run_nn(BP_OP_AVG_POOL2D, &x, attrs, out);
}

bp_status_t bp_adaptive_avg_pool2d(bp_tensor_t *x, const int64_t *output_size, bp_tensor_t **out) {
  bp_attr_t attrs[BP_MAX_ATTRS];
  bp_op_default_attrs(&bp_op_def_adaptive_avg_pool2d, attrs);
  set_ints(&attrs[0], output_size, 2);
  return run_nn(BP_OP_ADAPTIVE_AVG_POOL2D, &x, attrs, out);
}
