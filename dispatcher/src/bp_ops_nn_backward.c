/* bp_ops_nn_backward.c - catalog entries of the backward kernels of the nn
 * ops (family BP_OPS_NN_BACKWARD): the gradients the derivative formulas
 * (bp_derivatives_nn.c) cannot write cheaply with ordinary ops. They are
 * ordinary registered ops, so a backend can accelerate them and the
 * conformance suite tests them; each mirrors an ATen backward op
 * (torch.ops.aten.*) and says which in its summary.
 *
 * Every op takes bf16, f32 or f64 (torch's CPU backward kernels; f16 has
 * none there, except embedding's), all float tensors of one dtype. Index
 * tensors are i64 (max_pool2d's indices) or i32/i64 (embedding). */
#include <string.h>

#include "bp_op_util.h"
#include "bp_op_util_nn2.h"

#define CHECK(expr)          \
  do {                       \
    bp_status_t s_ = (expr); \
    if (s_) return s_;       \
  } while (0)

#define F3 BP_NN2_FLOATS3
#define F3_NAMES BP_NN2_FLOATS3_NAMES

/* ---- shared checks ---- */

/* t has x's dtype (x = grad_output, the first input). */
static bp_status_t same_dtype(const char *op, const char *arg, const bp_tensor_t *t,
                              const bp_tensor_t *g) {
  if (t->dtype != g->dtype)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: %s is %s but grad_output is %s (expected the same dtype)", op, arg,
                   bp_dtype_name(t->dtype), bp_dtype_name(g->dtype));
  return BP_STATUS_OK;
}

static bp_status_t same_shape(const char *op, const char *arg, const bp_tensor_t *t,
                              int32_t ndim, const int64_t *shape, const char *what) {
  if (t->ndim != ndim || memcmp(t->shape, shape, sizeof(int64_t) * (size_t)ndim)) {
    char a[256], b[256];
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: %s has shape %s (expected %s, %s)", op,
                   arg, bp_format_shape(a, sizeof(a), t->ndim, t->shape),
                   bp_format_shape(b, sizeof(b), ndim, shape), what);
  }
  return BP_STATUS_OK;
}

/* grad_output and `second` (input 1) float of one dtype. */
static bp_status_t check_floats(const char *op, bp_tensor_t *const *in, const char *second) {
  CHECK(bp_nn2_check_dtype(op, "grad_output", in[0], F3, F3_NAMES));
  return same_dtype(op, second, in[1], in[0]);
}

static void set_shape(bp_op_plan_t *plan, int k, int32_t ndim, const int64_t *shape) {
  plan->output_ndim[k] = ndim;
  memcpy(plan->output_shape[k], shape, sizeof(int64_t) * (size_t)ndim);
}

static void all_dtypes(bp_op_plan_t *plan, int nin, int nout, bp_dtype_t dt) {
  for (int i = 0; i < nin; ++i) plan->input_dtypes[i] = dt;
  for (int k = 0; k < nout; ++k) plan->output_dtypes[k] = dt;
}

static bool sig_f3_same(const bp_dtype_t *d, int n) {
  return (d[0] == BP_DTYPE_BF16 || d[0] == BP_DTYPE_F32 || d[0] == BP_DTYPE_F64) &&
         bp_dtypes_all_same(d, n);
}
static bool sig_f3_8(const bp_dtype_t *d) { return sig_f3_same(d, 8); }

/* An int-or-tuple attribute over 2 spatial dims (as bp_ops_nn.c). */
static bp_status_t spatial2(const char *op, const bp_attr_t *a, const char *name, int64_t def,
                            int64_t min, int64_t *out) {
  if (a->count > 2)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: %s has %u values (expected 1 or 2, or none for the default)", op,
                   name, a->count);
  for (int i = 0; i < 2; ++i) {
    out[i] = a->count == 0 ? def : a->value.ints[a->count == 1 ? 0 : i];
    if (out[i] < min)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: %s must be >= %lld, got %lld", op, name,
                     (long long)min, (long long)out[i]);
  }
  return BP_STATUS_OK;
}

/* ---- softmax_backward, log_softmax_backward ---- */

static bp_status_t infer_softmax_bw(const bp_op_def_t *def, bp_tensor_t *const *in,
                                    bp_attr_t *attrs, bp_tensor_t *const *out,
                                    bp_op_plan_t *plan) {
  (void)out;
  const char *op = def->name;
  int64_t dim;
  CHECK(check_floats(op, in, "output"));
  CHECK(same_shape(op, "output", in[1], in[0]->ndim, in[0]->shape, "grad_output's shape"));
  CHECK(bp_nn2_wrap_dim(op, "dim", attrs[0].value.i, in[0]->ndim, &dim));
  attrs[0].value.i = dim;
  bp_nn2_same_shape(plan, 0, in[0]);
  all_dtypes(plan, 2, 1, in[0]->dtype);
  return BP_STATUS_OK;
}
static bool sig_f3_all3(const bp_dtype_t *d) { return sig_f3_same(d, 3); }

#define SOFTMAX_BW_ATTRS \
  {{"dim", BP_ATTR_INT, 0.0, -1, false, 0, "the dim softmax normalized over (negative counts from the end)"}}

const bp_op_def_t bp_op_def_softmax_backward = {
    .name = "softmax_backward",
    .summary = "grad_input = output * (grad_output - sum(grad_output * output, dim)), the "
               "gradient of softmax from its output (torch.ops.aten._softmax_backward_data).",
    .dtype_rule = "bf16, f32, f64; grad_output and output the same dtype",
    .num_inputs = 2, .num_outputs = 1, .form = BP_FORM_AS_IS,
    .slot_names = {"grad_output", "output", "grad_input"}, .num_attrs = 1,
    .attrs = SOFTMAX_BW_ATTRS, .infer = infer_softmax_bw, .signature_ok = sig_f3_all3};

const bp_op_def_t bp_op_def_log_softmax_backward = {
    .name = "log_softmax_backward",
    .summary = "grad_input = grad_output - exp(output) * sum(grad_output, dim), the gradient "
               "of log_softmax from its output (torch.ops.aten._log_softmax_backward_data).",
    .dtype_rule = "bf16, f32, f64; grad_output and output the same dtype",
    .num_inputs = 2, .num_outputs = 1, .form = BP_FORM_AS_IS,
    .slot_names = {"grad_output", "output", "grad_input"}, .num_attrs = 1,
    .attrs = SOFTMAX_BW_ATTRS, .infer = infer_softmax_bw, .signature_ok = sig_f3_all3};

/* ---- gelu_backward ---- */

static bp_status_t infer_gelu_bw(const bp_op_def_t *def, bp_tensor_t *const *in,
                                 bp_attr_t *attrs, bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def; (void)out;
  const char *op = "gelu_backward";
  CHECK(check_floats(op, in, "x"));
  if (attrs[0].value.i != 0 && attrs[0].value.i != 1)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_gelu_backward: approximate is %lld; expected 0 ('none') or 1 ('tanh')",
                   (long long)attrs[0].value.i);
  CHECK(same_shape(op, "x", in[1], in[0]->ndim, in[0]->shape, "grad_output's shape"));
  bp_nn2_same_shape(plan, 0, in[0]);
  all_dtypes(plan, 2, 1, in[0]->dtype);
  return BP_STATUS_OK;
}

const bp_op_def_t bp_op_def_gelu_backward = {
    .name = "gelu_backward",
    .summary = "grad_input = grad_output * gelu'(x), exact (erf) or tanh approximation "
               "(torch.ops.aten.gelu_backward).",
    .dtype_rule = "bf16, f32, f64; grad_output and x the same dtype",
    .num_inputs = 2, .num_outputs = 1, .form = BP_FORM_AS_IS,
    .slot_names = {"grad_output", "x", "grad_input"}, .num_attrs = 1,
    .attrs = {{"approximate", BP_ATTR_INT, 0.0, 0, false, 0, "0 none (erf), 1 tanh (torch's approximate)"}},
    .infer = infer_gelu_bw, .signature_ok = sig_f3_all3};

/* ---- conv2d_backward ---- */

static bp_status_t infer_conv2d_bw(const bp_op_def_t *def, bp_tensor_t *const *in,
                                   bp_attr_t *attrs, bp_tensor_t *const *out,
                                   bp_op_plan_t *plan) {
  (void)def; (void)out;
  const char *op = "conv2d_backward";
  const bp_tensor_t *g = in[0], *x = in[1], *w = in[2];
  int64_t stride[2], pad[2], dil[2], groups = attrs[3].value.i;
  bool same = attrs[4].value.b;
  char s1[256], s2[256];
  CHECK(check_floats(op, in, "x"));
  CHECK(same_dtype(op, "weight", w, g));
  CHECK(spatial2(op, &attrs[0], "stride", 1, 1, stride));
  CHECK(spatial2(op, &attrs[1], "padding", 0, 0, pad));
  CHECK(spatial2(op, &attrs[2], "dilation", 1, 1, dil));
  if (groups < 1)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: groups must be >= 1, got %lld", op,
                   (long long)groups);
  if (same && (stride[0] != 1 || stride[1] != 1))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: padding_same (padding='same') needs stride 1", op);
  if (x->ndim != 3 && x->ndim != 4)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: x must be 3-D (unbatched) or 4-D (batched), got %s", op,
                   bp_format_shape(s1, sizeof(s1), x->ndim, x->shape));
  if (w->ndim != 4)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: weight must be 4-D [out_channels, in_channels/groups, kH, kW], got %s",
                   op, bp_format_shape(s1, sizeof(s1), w->ndim, w->shape));
  bool batched = x->ndim == 4;
  int64_t cin = x->shape[batched ? 1 : 0], cout = w->shape[0];
  if (cout % groups != 0 || cin != w->shape[1] * groups)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: x %s and weight %s do not match with groups %lld", op,
                   bp_format_shape(s1, sizeof(s1), x->ndim, x->shape),
                   bp_format_shape(s2, sizeof(s2), w->ndim, w->shape), (long long)groups);
  int64_t oshape[4];
  int32_t n = 0;
  if (batched) oshape[n++] = x->shape[0];
  oshape[n++] = cout;
  for (int i = 0; i < 2; ++i) {
    int64_t size = x->shape[x->ndim - 2 + i], eff = dil[i] * (w->shape[2 + i] - 1) + 1;
    int64_t padded = same ? size + eff - 1 : size + 2 * pad[i];
    if (padded < eff)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_%s: padded input size %lld of spatial dim %d is smaller than the "
                     "dilated kernel size %lld", op, (long long)padded, i, (long long)eff);
    oshape[n++] = same ? size : (padded - eff) / stride[i] + 1;
  }
  CHECK(same_shape(op, "grad_output", g, n, oshape, "conv2d's output shape for x and weight"));
  set_shape(plan, 0, x->ndim, x->shape);
  set_shape(plan, 1, w->ndim, w->shape);
  set_shape(plan, 2, 1, &cout);
  all_dtypes(plan, 3, 3, g->dtype);
  return BP_STATUS_OK;
}
static bool sig_f3_6(const bp_dtype_t *d) { return sig_f3_same(d, 6); }

const bp_op_def_t bp_op_def_conv2d_backward = {
    .name = "conv2d_backward",
    .summary = "The gradients of conv2d for x, weight and bias from grad_output "
               "(torch.ops.aten.convolution_backward, all three outputs). conv1d's gradients "
               "are taken through it as a 2-D convolution of height 1.",
    .dtype_rule = "bf16, f32, f64; every tensor the same dtype",
    .num_inputs = 3, .num_outputs = 3, .form = BP_FORM_AS_IS,
    .slot_names = {"grad_output", "x", "weight", "grad_input", "grad_weight", "grad_bias"},
    .num_attrs = 5,
    .attrs = {{"stride", BP_ATTR_INTS, 0.0, 0, false, 0, "as conv2d's; default 1"},
              {"padding", BP_ATTR_INTS, 0.0, 0, false, 0, "as conv2d's; default 0"},
              {"dilation", BP_ATTR_INTS, 0.0, 0, false, 0, "as conv2d's; default 1"},
              {"groups", BP_ATTR_INT, 0.0, 1, false, 0, "channel groups"},
              {"padding_same", BP_ATTR_BOOL, 0.0, 0, false, 0,
               "conv2d's padding='same' (odd totals pad one more on the right)"}},
    .infer = infer_conv2d_bw, .signature_ok = sig_f3_6};

/* ---- pooling ---- */

/* grad_output [N, C, OH, OW] or [C, OH, OW] against x of the same leading dims. */
static bp_status_t check_pool_grad(const char *op, const bp_tensor_t *g, const bp_tensor_t *x) {
  char s1[256], s2[256];
  if (x->ndim != 3 && x->ndim != 4)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: x must be 3-D [C, H, W] or 4-D [N, C, H, W], got %s", op,
                   bp_format_shape(s1, sizeof(s1), x->ndim, x->shape));
  if (g->ndim != x->ndim || memcmp(g->shape, x->shape, sizeof(int64_t) * (size_t)(x->ndim - 2)))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: grad_output %s does not match x %s (expected the same leading dims)",
                   op, bp_format_shape(s1, sizeof(s1), g->ndim, g->shape),
                   bp_format_shape(s2, sizeof(s2), x->ndim, x->shape));
  return BP_STATUS_OK;
}

/* The pooled shape of x for these attrs must be grad_output's. */
static bp_status_t check_pool_shape(const char *op, const bp_tensor_t *g, const bp_tensor_t *x,
                                    const bp_attr_t *ks, const bp_attr_t *st,
                                    const bp_attr_t *pd, const bp_attr_t *dl, bool ceil_mode) {
  int64_t k[2], s[2], p[2], d[2] = {1, 1};
  if (ks->count == 0)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: kernel_size is required", op);
  CHECK(spatial2(op, ks, "kernel_size", 1, 1, k));
  CHECK(spatial2(op, st, "stride", 1, 1, s));
  CHECK(spatial2(op, pd, "padding", 0, 0, p));
  if (dl) CHECK(spatial2(op, dl, "dilation", 1, 1, d));
  if (st->count == 0) { s[0] = k[0]; s[1] = k[1]; }
  int64_t shape[4];
  memcpy(shape, x->shape, sizeof(int64_t) * (size_t)x->ndim);
  for (int i = 0; i < 2; ++i)
    shape[x->ndim - 2 + i] = bp_pool_output_size(x->shape[x->ndim - 2 + i], k[i], p[i], s[i], d[i], ceil_mode);
  return same_shape(op, "grad_output", g, x->ndim, shape, "the pooled shape of x");
}

static bp_status_t infer_max_pool2d_bw(const bp_op_def_t *def, bp_tensor_t *const *in,
                                       bp_attr_t *attrs, bp_tensor_t *const *out,
                                       bp_op_plan_t *plan) {
  (void)def; (void)out;
  const char *op = "max_pool2d_backward";
  CHECK(check_floats(op, in, "x"));
  CHECK(bp_nn2_check_dtype(op, "indices", in[2], BP_DTYPE_BIT(BP_DTYPE_I64), "i64"));
  CHECK(check_pool_grad(op, in[0], in[1]));
  CHECK(same_shape(op, "indices", in[2], in[0]->ndim, in[0]->shape, "grad_output's shape"));
  CHECK(check_pool_shape(op, in[0], in[1], &attrs[0], &attrs[1], &attrs[2], &attrs[3],
                         attrs[4].value.b));
  bp_nn2_same_shape(plan, 0, in[1]);
  all_dtypes(plan, 2, 1, in[0]->dtype);
  plan->input_dtypes[2] = BP_DTYPE_I64;
  return BP_STATUS_OK;
}
static bool sig_max_pool2d_bw(const bp_dtype_t *d) {
  return sig_f3_same(d, 2) && d[2] == BP_DTYPE_I64 && d[3] == d[0];
}

#define POOL_KSP_ATTRS                                                                     \
  {"kernel_size", BP_ATTR_INTS, 0.0, 0, false, 0, "as the forward's; required"},           \
  {"stride", BP_ATTR_INTS, 0.0, 0, false, 0, "as the forward's; empty = kernel_size"},     \
  {"padding", BP_ATTR_INTS, 0.0, 0, false, 0, "as the forward's; default 0"}

const bp_op_def_t bp_op_def_max_pool2d_backward = {
    .name = "max_pool2d_backward",
    .summary = "The gradient of max_pool2d for x: grad_output added at the saved indices "
               "(torch.ops.aten.max_pool2d_with_indices_backward). The attrs are the "
               "forward's (they fix the expected grad_output shape).",
    .dtype_rule = "bf16, f32, f64; grad_output and x the same dtype, indices i64",
    .num_inputs = 3, .num_outputs = 1, .form = BP_FORM_AS_IS,
    .slot_names = {"grad_output", "x", "indices", "grad_input"}, .num_attrs = 5,
    .attrs = {POOL_KSP_ATTRS,
              {"dilation", BP_ATTR_INTS, 0.0, 0, false, 0, "as the forward's; default 1"},
              {"ceil_mode", BP_ATTR_BOOL, 0.0, 0, false, 0, "as the forward's"}},
    .infer = infer_max_pool2d_bw, .signature_ok = sig_max_pool2d_bw};

static bp_status_t infer_avg_pool2d_bw(const bp_op_def_t *def, bp_tensor_t *const *in,
                                       bp_attr_t *attrs, bp_tensor_t *const *out,
                                       bp_op_plan_t *plan) {
  (void)def; (void)out;
  const char *op = "avg_pool2d_backward";
  CHECK(check_floats(op, in, "x"));
  CHECK(check_pool_grad(op, in[0], in[1]));
  CHECK(check_pool_shape(op, in[0], in[1], &attrs[0], &attrs[1], &attrs[2], NULL,
                         attrs[3].value.b));
  if (attrs[5].value.i < 0)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: divisor_override must be positive (0 = none), got %lld", op,
                   (long long)attrs[5].value.i);
  bp_nn2_same_shape(plan, 0, in[1]);
  all_dtypes(plan, 2, 1, in[0]->dtype);
  return BP_STATUS_OK;
}

const bp_op_def_t bp_op_def_avg_pool2d_backward = {
    .name = "avg_pool2d_backward",
    .summary = "The gradient of avg_pool2d for x (torch.ops.aten.avg_pool2d_backward); the "
               "attrs are the forward's.",
    .dtype_rule = "bf16, f32, f64; grad_output and x the same dtype",
    .num_inputs = 2, .num_outputs = 1, .form = BP_FORM_AS_IS,
    .slot_names = {"grad_output", "x", "grad_input"}, .num_attrs = 6,
    .attrs = {POOL_KSP_ATTRS,
              {"ceil_mode", BP_ATTR_BOOL, 0.0, 0, false, 0, "as the forward's"},
              {"count_include_pad", BP_ATTR_BOOL, 0.0, 0, true, 0, "as the forward's"},
              {"divisor_override", BP_ATTR_INT, 0.0, 0, false, 0, "as the forward's; 0 = none"}},
    .infer = infer_avg_pool2d_bw, .signature_ok = sig_f3_all3};

static bp_status_t infer_adaptive_bw(const bp_op_def_t *def, bp_tensor_t *const *in,
                                     bp_attr_t *attrs, bp_tensor_t *const *out,
                                     bp_op_plan_t *plan) {
  (void)def; (void)out; (void)attrs;
  const char *op = "adaptive_avg_pool2d_backward";
  CHECK(check_floats(op, in, "x"));
  CHECK(check_pool_grad(op, in[0], in[1]));
  for (int i = 1; i < in[1]->ndim; ++i)
    if (in[1]->shape[i] == 0)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: x has an empty non-batch dim", op);
  bp_nn2_same_shape(plan, 0, in[1]);
  all_dtypes(plan, 2, 1, in[0]->dtype);
  return BP_STATUS_OK;
}

const bp_op_def_t bp_op_def_adaptive_avg_pool2d_backward = {
    .name = "adaptive_avg_pool2d_backward",
    .summary = "The gradient of adaptive_avg_pool2d for x; the output size is grad_output's "
               "(torch.ops.aten._adaptive_avg_pool2d_backward).",
    .dtype_rule = "bf16, f32, f64; grad_output and x the same dtype",
    .num_inputs = 2, .num_outputs = 1, .form = BP_FORM_AS_IS,
    .slot_names = {"grad_output", "x", "grad_input"}, .num_attrs = 0,
    .infer = infer_adaptive_bw, .signature_ok = sig_f3_all3};

/* ---- embedding_backward ---- */

#define FLOATS4 (BP_DTYPE_BIT(BP_DTYPE_F16) | F3)

static bp_status_t infer_embedding_bw(const bp_op_def_t *def, bp_tensor_t *const *in,
                                      bp_attr_t *attrs, bp_tensor_t *const *out,
                                      bp_op_plan_t *plan) {
  (void)def; (void)out;
  const char *op = "embedding_backward";
  const bp_tensor_t *g = in[0], *idx = in[1];
  char s1[256], s2[256];
  CHECK(bp_nn2_check_dtype(op, "grad_output", g, FLOATS4, "f16, bf16, f32 or f64"));
  CHECK(bp_nn2_check_dtype(op, "indices", idx, BP_DTYPE_BIT(BP_DTYPE_I32) | BP_DTYPE_BIT(BP_DTYPE_I64),
                           "i32 or i64"));
  int64_t v = attrs[0].value.i;
  if (v < 0)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: num_weights must be >= 0, got %lld", op,
                   (long long)v);
  if (g->ndim != idx->ndim + 1 || memcmp(g->shape, idx->shape, sizeof(int64_t) * (size_t)idx->ndim))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: grad_output %s does not match indices %s (expected indices.shape + [D])",
                   op, bp_format_shape(s1, sizeof(s1), g->ndim, g->shape),
                   bp_format_shape(s2, sizeof(s2), idx->ndim, idx->shape));
  if (attrs[2].value.b) {
    int64_t p = attrs[1].value.i;
    if (p < -v || p >= v)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_%s: padding_idx %lld must be within num_weights (%lld..%lld)", op,
                     (long long)p, (long long)-v, (long long)v - 1);
    if (p < 0) attrs[1].value.i = p + v;
  }
  int64_t shape[2] = {v, g->shape[g->ndim - 1]};
  set_shape(plan, 0, 2, shape);
  plan->input_dtypes[0] = plan->output_dtypes[0] = g->dtype;
  plan->input_dtypes[1] = idx->dtype;
  return BP_STATUS_OK;
}
static bool sig_embedding_bw(const bp_dtype_t *d) {
  return (FLOATS4 & BP_DTYPE_BIT(d[0])) && (d[1] == BP_DTYPE_I32 || d[1] == BP_DTYPE_I64) &&
         d[2] == d[0];
}

const bp_op_def_t bp_op_def_embedding_backward = {
    .name = "embedding_backward",
    .summary = "The gradient of embedding for weight: grad_output rows summed into the rows "
               "their indices name, the padding_idx row left zero "
               "(torch.ops.aten.embedding_dense_backward, scale_grad_by_freq false).",
    .dtype_rule = "grad_output f16, bf16, f32 or f64 (grad_weight the same); indices i32 or i64",
    .num_inputs = 2, .num_outputs = 1, .form = BP_FORM_AS_IS,
    .slot_names = {"grad_output", "indices", "grad_weight"}, .num_attrs = 3,
    .attrs = {{"num_weights", BP_ATTR_INT, 0.0, 0, false, 0, "rows of the weight (V)"},
              {"padding_idx", BP_ATTR_INT, 0.0, 0, false, 0,
               "row whose gradient stays zero (negative counts from the end)"},
              {"has_padding_idx", BP_ATTR_BOOL, 0.0, 0, false, 0, "padding_idx is given"}},
    .infer = infer_embedding_bw, .signature_ok = sig_embedding_bw};

/* ---- layer_norm_backward, group_norm_backward, batch_norm_backward ---- */

/* An optional weight: when has_weight, shape `ndim/shape` and g's dtype. */
static bp_status_t opt_weight(const char *op, const bp_tensor_t *w, bool has, int32_t ndim,
                              const int64_t *shape, const bp_tensor_t *g) {
  if (!has) return BP_STATUS_OK;
  CHECK(same_dtype(op, "weight", w, g));
  return same_shape(op, "weight", w, ndim, shape, "one value per normalized element/channel");
}

static bp_status_t stats_numel(const char *op, const char *arg, const bp_tensor_t *t,
                               int64_t expected, const bp_tensor_t *g) {
  CHECK(same_dtype(op, arg, t, g));
  int64_t n = 1;
  for (int32_t d = 0; d < t->ndim; ++d) n *= t->shape[d];
  if (n != expected)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: %s has %lld elements (expected %lld, as the forward returns it)", op,
                   arg, (long long)n, (long long)expected);
  return BP_STATUS_OK;
}

static bp_status_t infer_layer_norm_bw(const bp_op_def_t *def, bp_tensor_t *const *in,
                                       bp_attr_t *attrs, bp_tensor_t *const *out,
                                       bp_op_plan_t *plan) {
  (void)def; (void)out;
  const char *op = "layer_norm_backward";
  const bp_tensor_t *g = in[0], *x = in[1];
  const bp_attr_t *ns = &attrs[0];
  char a[256], b[256];
  CHECK(check_floats(op, in, "x"));
  CHECK(same_shape(op, "x", x, g->ndim, g->shape, "grad_output's shape"));
  int32_t k = (int32_t)ns->count;
  bool ok = k >= 1 && k <= x->ndim;
  for (int32_t i = 0; ok && i < k; ++i) ok = ns->value.ints[i] == x->shape[x->ndim - k + i];
  if (!ok)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: x of shape %s does not end with normalized_shape %s", op,
                   bp_format_shape(a, sizeof(a), x->ndim, x->shape),
                   bp_format_shape(b, sizeof(b), k, ns->value.ints));
  int64_t rows = 1;
  for (int32_t d = 0; d < x->ndim - k; ++d) rows *= x->shape[d];
  CHECK(stats_numel(op, "mean", in[2], rows, g));
  CHECK(stats_numel(op, "rstd", in[3], rows, g));
  CHECK(opt_weight(op, in[4], attrs[1].value.b, k, ns->value.ints, g));
  bp_nn2_same_shape(plan, 0, x);
  set_shape(plan, 1, k, ns->value.ints);
  set_shape(plan, 2, k, ns->value.ints);
  all_dtypes(plan, 5, 3, g->dtype);
  return BP_STATUS_OK;
}

const bp_op_def_t bp_op_def_layer_norm_backward = {
    .name = "layer_norm_backward",
    .summary = "The gradients of layer_norm for x, weight and bias from the saved mean and "
               "rstd (torch.ops.aten.native_layer_norm_backward). Without a weight "
               "(has_weight false, weight a placeholder) it counts as ones.",
    .dtype_rule = "bf16, f32, f64; every tensor the same dtype",
    .num_inputs = 5, .num_outputs = 3, .form = BP_FORM_AS_IS,
    .slot_names = {"grad_output", "x", "mean", "rstd", "weight", "grad_input", "grad_weight",
                   "grad_bias"},
    .num_attrs = 2,
    .attrs = {{"normalized_shape", BP_ATTR_INTS, 0.0, 0, false, 0, "as the forward's"},
              {"has_weight", BP_ATTR_BOOL, 0.0, 0, false, 0, "weight is given (else a placeholder)"}},
    .infer = infer_layer_norm_bw, .signature_ok = sig_f3_8};

static bp_status_t infer_group_norm_bw(const bp_op_def_t *def, bp_tensor_t *const *in,
                                       bp_attr_t *attrs, bp_tensor_t *const *out,
                                       bp_op_plan_t *plan) {
  (void)def; (void)out;
  const char *op = "group_norm_backward";
  const bp_tensor_t *g = in[0], *x = in[1];
  int64_t groups = attrs[0].value.i;
  CHECK(check_floats(op, in, "x"));
  CHECK(same_shape(op, "x", x, g->ndim, g->shape, "grad_output's shape"));
  if (x->ndim < 2)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: x is %d-d (expected [N, C, ...])", op, x->ndim);
  int64_t c = x->shape[1];
  if (groups <= 0 || c % groups)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: num_groups %lld must be positive and divide the %lld channels", op,
                   (long long)groups, (long long)c);
  CHECK(stats_numel(op, "mean", in[2], x->shape[0] * groups, g));
  CHECK(stats_numel(op, "rstd", in[3], x->shape[0] * groups, g));
  CHECK(opt_weight(op, in[4], attrs[1].value.b, 1, &c, g));
  bp_nn2_same_shape(plan, 0, x);
  set_shape(plan, 1, 1, &c);
  set_shape(plan, 2, 1, &c);
  all_dtypes(plan, 5, 3, g->dtype);
  return BP_STATUS_OK;
}

const bp_op_def_t bp_op_def_group_norm_backward = {
    .name = "group_norm_backward",
    .summary = "The gradients of group_norm for x, weight and bias from the saved mean and "
               "rstd [N, G] (torch.ops.aten.native_group_norm_backward).",
    .dtype_rule = "bf16, f32, f64; every tensor the same dtype",
    .num_inputs = 5, .num_outputs = 3, .form = BP_FORM_AS_IS,
    .slot_names = {"grad_output", "x", "mean", "rstd", "weight", "grad_input", "grad_weight",
                   "grad_bias"},
    .num_attrs = 2,
    .attrs = {{"num_groups", BP_ATTR_INT, 0.0, 0, false, 0, "as the forward's"},
              {"has_weight", BP_ATTR_BOOL, 0.0, 0, false, 0, "weight is given (else a placeholder)"}},
    .infer = infer_group_norm_bw, .signature_ok = sig_f3_8};

static bp_status_t infer_batch_norm_bw(const bp_op_def_t *def, bp_tensor_t *const *in,
                                       bp_attr_t *attrs, bp_tensor_t *const *out,
                                       bp_op_plan_t *plan) {
  (void)def; (void)out;
  const char *op = "batch_norm_backward";
  const bp_tensor_t *g = in[0], *x = in[1];
  CHECK(check_floats(op, in, "x"));
  CHECK(same_shape(op, "x", x, g->ndim, g->shape, "grad_output's shape"));
  if (x->ndim < 2)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: x is %d-d (expected [N, C, ...])", op, x->ndim);
  int64_t c = x->shape[1];
  CHECK(opt_weight(op, in[2], attrs[1].value.b, 1, &c, g));
  CHECK(same_dtype(op, "save_mean", in[3], g));
  CHECK(same_shape(op, "save_mean", in[3], 1, &c, "one value per channel"));
  CHECK(same_dtype(op, "save_invstd", in[4], g));
  CHECK(same_shape(op, "save_invstd", in[4], 1, &c, "one value per channel"));
  bp_nn2_same_shape(plan, 0, x);
  set_shape(plan, 1, 1, &c);
  set_shape(plan, 2, 1, &c);
  all_dtypes(plan, 5, 3, g->dtype);
  return BP_STATUS_OK;
}

const bp_op_def_t bp_op_def_batch_norm_backward = {
    .name = "batch_norm_backward",
    .summary = "The gradients of batch_norm for x, weight and bias "
               "(torch.ops.aten.native_batch_norm_backward). save_mean/save_invstd are the "
               "forward's: the batch statistics when training (the gradient then flows "
               "through them), the running mean and 1/sqrt(running_var + eps) in eval.",
    .dtype_rule = "bf16, f32, f64; every tensor the same dtype",
    .num_inputs = 5, .num_outputs = 3, .form = BP_FORM_AS_IS,
    .slot_names = {"grad_output", "x", "weight", "save_mean", "save_invstd", "grad_input",
                   "grad_weight", "grad_bias"},
    .num_attrs = 2,
    .attrs = {{"training", BP_ATTR_BOOL, 0.0, 0, false, 0, "as the forward's"},
              {"has_weight", BP_ATTR_BOOL, 0.0, 0, false, 0, "weight is given (else a placeholder)"}},
    .infer = infer_batch_norm_bw, .signature_ok = sig_f3_8};
