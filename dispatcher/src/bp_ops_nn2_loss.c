/* bp_ops_nn2_loss.c - catalog entries of the losses (nll_loss,
 * cross_entropy, mse_loss, binary_cross_entropy_with_logits) and of
 * scaled_dot_product_attention. Reductions are an int enum as torch's
 * strings: 0 none, 1 mean, 2 sum. Optional tensors follow the has_<arg>
 * scheme of bp_op_util_nn2.h. */
#include <math.h>
#include <string.h>

#include "bp_op_util.h"
#include "bp_op_util_nn2.h"

#define CHECK(expr)                 \
  do {                              \
    bp_status_t s_ = (expr);        \
    if (s_) return s_;              \
  } while (0)

#define REDUCTION_ATTR                                                                     \
  {"reduction", BP_ATTR_INT, 0.0, 1, false, 0, "0 none, 1 mean, 2 sum (torch's 'none', 'mean', 'sum')"}

static bool sig_floats_same(const bp_dtype_t *d, int n) {
  return (d[0] == BP_DTYPE_BF16 || d[0] == BP_DTYPE_F32 || d[0] == BP_DTYPE_F64) &&
         bp_dtypes_all_same(d, n);
}

/* Class-index target of input [C] / [N, C, d...]: 0-d / [N, d...]. Sets
 * *out_c to C. */
static bp_status_t check_class_target(const char *op, const bp_tensor_t *x, const bp_tensor_t *t,
                                      int64_t *out_c) {
  char a[256], b[256];
  if (x->ndim < 1)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: input is 0-d (expected [C] or [N, C, ...])", op);
  *out_c = x->ndim == 1 ? x->shape[0] : x->shape[1];
  bool ok = t->ndim == (x->ndim == 1 ? 0 : x->ndim - 1);
  for (int32_t d = 0; ok && d < t->ndim; ++d) ok = t->shape[d] == x->shape[d == 0 ? 0 : d + 1];
  if (!ok)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: target has shape %s but input has %s (expected input's shape without "
                   "the class dim 1)", op, bp_format_shape(a, sizeof(a), t->ndim, t->shape),
                   bp_format_shape(b, sizeof(b), x->ndim, x->shape));
  return BP_STATUS_OK;
}

/* Unreduced loss shape: target's (class indices) */
static void loss_shape(bp_op_plan_t *plan, int k, int64_t reduction, int32_t ndim,
                       const int64_t *shape) {
  if (reduction == 0) {
    plan->output_ndim[k] = ndim;
    memcpy(plan->output_shape[k], shape, sizeof(int64_t) * (size_t)ndim);
  } else {
    plan->output_ndim[k] = 0;
  }
}

/* ---- nll_loss ---- */

static bp_status_t infer_nll_loss(const bp_op_def_t *def, bp_tensor_t *const *in,
                                  bp_attr_t *attrs, bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def; (void)out;
  const char *op = "nll_loss";
  const bp_tensor_t *x = in[0], *t = in[1];
  int64_t reduction = attrs[0].value.i, c;
  CHECK(bp_nn2_check_reduction(op, reduction));
  CHECK(bp_nn2_check_dtype(op, "input", x, BP_NN2_FLOATS3, BP_NN2_FLOATS3_NAMES));
  CHECK(bp_nn2_check_dtype(op, "target", t, BP_DTYPE_BIT(BP_DTYPE_I64), "i64 class indices"));
  CHECK(check_class_target(op, x, t, &c));
  if (attrs[2].value.b) CHECK(bp_nn2_check_param(op, "weight", in[2], c, x->dtype));
  plan->input_dtypes[0] = plan->input_dtypes[2] = x->dtype;
  plan->input_dtypes[1] = BP_DTYPE_I64;
  loss_shape(plan, 0, reduction, t->ndim, t->shape);
  plan->output_ndim[1] = 0;
  plan->output_dtypes[0] = plan->output_dtypes[1] = x->dtype;
  return BP_STATUS_OK;
}
static bool sig_nll_loss(const bp_dtype_t *d) {
  const bp_dtype_t f[4] = {d[0], d[2], d[3], d[4]};
  return d[1] == BP_DTYPE_I64 && sig_floats_same(f, 4);
}

const bp_op_def_t bp_op_def_nll_loss = {
    .name = "nll_loss",
    .summary = "Negative log likelihood of log-probabilities input [C] or [N, C, d...] at class "
               "indices target (torch.nn.functional.nll_loss); total_weight is the sum of the "
               "weights of the counted targets (the mean's divisor). Optional class weight: "
               "has_weight attr, placeholder tensor when absent. A target outside [0, C) that is "
               "not ignore_index is an error.",
    .dtype_rule = "input bf16, f32, f64 (weight and outputs the same); target i64",
    .num_inputs = 3, .num_outputs = 2, .differentiable = true, .form = BP_FORM_AS_IS,
    .slot_names = {"input", "target", "weight", "out", "total_weight"},
    .num_attrs = 3,
    .attrs = {REDUCTION_ATTR,
              {"ignore_index", BP_ATTR_INT, 0.0, -100, false, 0, "targets equal to it count for nothing"},
              {"has_weight", BP_ATTR_BOOL, 0.0, 0, false, 0, "weight [C] is given (else a placeholder)"}},
    .infer = infer_nll_loss, .signature_ok = sig_nll_loss};

/* ---- cross_entropy ---- */

static bp_status_t infer_cross_entropy(const bp_op_def_t *def, bp_tensor_t *const *in,
                                       bp_attr_t *attrs, bp_tensor_t *const *out,
                                       bp_op_plan_t *plan) {
  (void)def; (void)out;
  const char *op = "cross_entropy";
  const bp_tensor_t *x = in[0], *t = in[1];
  int64_t reduction = attrs[0].value.i, c;
  double ls = attrs[2].value.f;
  CHECK(bp_nn2_check_reduction(op, reduction));
  CHECK(bp_nn2_check_dtype(op, "input", x, BP_NN2_FLOATS3, BP_NN2_FLOATS3_NAMES));
  if (!(ls >= 0.0 && ls <= 1.0))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_cross_entropy: label_smoothing %g must be between 0.0 and 1.0", ls);
  if (x->ndim < 1)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_cross_entropy: input is 0-d (expected [C] or [N, C, ...])");
  int32_t lndim;
  int64_t lshape[BP_MAX_DIMS];
  if (t->dtype == BP_DTYPE_I64) {
    CHECK(check_class_target(op, x, t, &c));
    lndim = t->ndim;
    memcpy(lshape, t->shape, sizeof(int64_t) * (size_t)t->ndim);
  } else if (t->dtype == x->dtype) {
    char a[256], b[256];
    if (t->ndim != x->ndim || memcmp(t->shape, x->shape, sizeof(int64_t) * (size_t)x->ndim))
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_cross_entropy: probability target has shape %s but input has %s (expected the same)",
                     bp_format_shape(a, sizeof(a), t->ndim, t->shape),
                     bp_format_shape(b, sizeof(b), x->ndim, x->shape));
    c = x->ndim == 1 ? x->shape[0] : x->shape[1];
    lndim = x->ndim - 1;
    for (int32_t d = 0, j = 0; d < x->ndim; ++d)
      if (d != (x->ndim == 1 ? 0 : 1)) lshape[j++] = x->shape[d];
  } else {
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_cross_entropy: target is %s (expected i64 class indices or %s probabilities)",
                   bp_dtype_name(t->dtype), bp_dtype_name(x->dtype));
  }
  if (attrs[3].value.b) CHECK(bp_nn2_check_param(op, "weight", in[2], c, x->dtype));
  plan->input_dtypes[0] = plan->input_dtypes[2] = x->dtype;
  plan->input_dtypes[1] = t->dtype;
  loss_shape(plan, 0, reduction, lndim, lshape);
  plan->output_dtypes[0] = x->dtype;
  return BP_STATUS_OK;
}
static bool sig_cross_entropy(const bp_dtype_t *d) {
  const bp_dtype_t f[3] = {d[0], d[2], d[3]};
  return (d[1] == BP_DTYPE_I64 || d[1] == d[0]) && sig_floats_same(f, 3);
}

const bp_op_def_t bp_op_def_cross_entropy = {
    .name = "cross_entropy",
    .summary = "log_softmax over the class dim, then the negative log likelihood "
               "(torch.nn.functional.cross_entropy): target holds class indices (i64, shaped "
               "like nll_loss's) or class probabilities (input's dtype and shape). "
               "label_smoothing as torch. Optional class weight: has_weight attr, placeholder "
               "tensor when absent.",
    .dtype_rule = "input bf16, f32, f64 (weight, probabilities and out the same); class target i64",
    .num_inputs = 3, .num_outputs = 1, .differentiable = true, .form = BP_FORM_AS_IS,
    .slot_names = {"input", "target", "weight", "out"},
    .num_attrs = 4,
    .attrs = {REDUCTION_ATTR,
              {"ignore_index", BP_ATTR_INT, 0.0, -100, false, 0,
               "class targets equal to it count for nothing"},
              {"label_smoothing", BP_ATTR_FLOAT, 0.0, 0, false, 0, "in [0, 1]: mixes the target with uniform"},
              {"has_weight", BP_ATTR_BOOL, 0.0, 0, false, 0, "weight [C] is given (else a placeholder)"}},
    .infer = infer_cross_entropy, .signature_ok = sig_cross_entropy};

/* ---- mse_loss ---- */

static bp_status_t infer_mse_loss(const bp_op_def_t *def, bp_tensor_t *const *in,
                                  bp_attr_t *attrs, bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def; (void)out;
  int64_t reduction = attrs[0].value.i;
  CHECK(bp_nn2_check_reduction("mse_loss", reduction));
  bp_dtype_t dt = bp_result_type(2, in);
  if (dt != BP_DTYPE_F16 && dt != BP_DTYPE_F32 && dt != BP_DTYPE_F64)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_mse_loss: input %s and target %s compute in %s (expected f16, f32 or f64)",
                   bp_dtype_name(in[0]->dtype), bp_dtype_name(in[1]->dtype), bp_dtype_name(dt));
  int32_t ndim;
  int64_t shape[BP_MAX_DIMS];
  CHECK(bp_broadcast_shapes("mse_loss", in[0], in[1], &ndim, shape));
  plan->input_dtypes[0] = plan->input_dtypes[1] = plan->output_dtypes[0] = dt;
  loss_shape(plan, 0, reduction, ndim, shape);
  return BP_STATUS_OK;
}
static bool sig_mse_loss(const bp_dtype_t *d) {
  return (d[0] == BP_DTYPE_F16 || d[0] == BP_DTYPE_F32 || d[0] == BP_DTYPE_F64) &&
         bp_dtypes_all_same(d, 3);
}

const bp_op_def_t bp_op_def_mse_loss = {
    .name = "mse_loss",
    .summary = "(input - target)^2, broadcast, reduced per reduction (torch.nn.functional.mse_loss).",
    .dtype_rule = "result type of input and target: f16, f32 or f64",
    .num_inputs = 2, .num_outputs = 1, .differentiable = true, .form = BP_FORM_AS_IS,
    .slot_names = {"input", "target", "out"},
    .num_attrs = 1, .attrs = {REDUCTION_ATTR},
    .infer = infer_mse_loss, .signature_ok = sig_mse_loss};

/* ---- binary_cross_entropy_with_logits ---- */

static bp_status_t infer_bce_logits(const bp_op_def_t *def, bp_tensor_t *const *in,
                                    bp_attr_t *attrs, bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def; (void)out;
  const char *op = "binary_cross_entropy_with_logits";
  const bp_tensor_t *x = in[0], *t = in[1];
  int64_t reduction = attrs[0].value.i;
  char a[256], b[256];
  CHECK(bp_nn2_check_reduction(op, reduction));
  CHECK(bp_nn2_check_dtype(op, "input", x, BP_NN2_FLOATS3, BP_NN2_FLOATS3_NAMES));
  if (t->ndim != x->ndim || memcmp(t->shape, x->shape, sizeof(int64_t) * (size_t)x->ndim))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: target size %s must be the same as input size %s", op,
                   bp_format_shape(a, sizeof(a), t->ndim, t->shape),
                   bp_format_shape(b, sizeof(b), x->ndim, x->shape));
  static const char *names[4] = {"input", "target", "weight", "pos_weight"};
  for (int i = 1; i < 4; ++i) {
    plan->input_dtypes[i] = x->dtype;
    if (i >= 2 && !attrs[i - 1].value.b) continue;
    if (in[i]->dtype != x->dtype)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: %s is %s (expected %s, the input's dtype)", op,
                     names[i], bp_dtype_name(in[i]->dtype), bp_dtype_name(x->dtype));
    if (!bp_nn2_broadcasts(in[i], x->ndim, x->shape))
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: %s of shape %s does not broadcast to input's %s", op,
                     names[i], bp_format_shape(a, sizeof(a), in[i]->ndim, in[i]->shape),
                     bp_format_shape(b, sizeof(b), x->ndim, x->shape));
  }
  plan->input_dtypes[0] = plan->output_dtypes[0] = x->dtype;
  loss_shape(plan, 0, reduction, x->ndim, x->shape);
  return BP_STATUS_OK;
}
static bool sig_bce_logits(const bp_dtype_t *d) { return sig_floats_same(d, 5); }

const bp_op_def_t bp_op_def_binary_cross_entropy_with_logits = {
    .name = "binary_cross_entropy_with_logits",
    .summary = "Sigmoid then binary cross entropy, stable "
               "(torch.nn.functional.binary_cross_entropy_with_logits); weight and pos_weight "
               "broadcast to input. Optional weight/pos_weight: has_<arg> attrs, placeholder "
               "tensors when absent.",
    .dtype_rule = "bf16, f32, f64; every tensor the dtype of input",
    .num_inputs = 4, .num_outputs = 1, .differentiable = true, .form = BP_FORM_AS_IS,
    .slot_names = {"input", "target", "weight", "pos_weight", "out"},
    .num_attrs = 3,
    .attrs = {REDUCTION_ATTR,
              {"has_weight", BP_ATTR_BOOL, 0.0, 0, false, 0, "weight is given (else a placeholder)"},
              {"has_pos_weight", BP_ATTR_BOOL, 0.0, 0, false, 0, "pos_weight is given (else a placeholder)"}},
    .infer = infer_bce_logits, .signature_ok = sig_bce_logits};

/* ---- scaled_dot_product_attention ---- */

static bp_status_t infer_sdpa(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                              bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def; (void)out;
  const char *op = "scaled_dot_product_attention";
  const bp_tensor_t *q = in[0], *k = in[1], *v = in[2], *m = in[3];
  bool causal = attrs[0].value.b, has_mask = attrs[3].value.b;
  char a[256], b[256], c[256];
  CHECK(bp_nn2_check_dtype(op, "query", q, BP_NN2_FLOATS3, BP_NN2_FLOATS3_NAMES));
  for (int i = 1; i < 3; ++i)
    if (in[i]->dtype != q->dtype)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: %s is %s but query is %s (expected the same dtype)", op,
                     i == 1 ? "key" : "value", bp_dtype_name(in[i]->dtype), bp_dtype_name(q->dtype));
  if (q->ndim < 2 || k->ndim < 2 || v->ndim < 2)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: query, key and value are %d-d, %d-d, %d-d (expected [..., L, E], [..., S, E], [..., S, Ev])",
                   op, q->ndim, k->ndim, v->ndim);
  int64_t L = q->shape[q->ndim - 2], E = q->shape[q->ndim - 1];
  int64_t S = k->shape[k->ndim - 2];
  if (k->shape[k->ndim - 1] != E || v->shape[v->ndim - 2] != S)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: query %s, key %s and value %s do not fit [..., L, E], [..., S, E], [..., S, Ev]", op,
                   bp_format_shape(a, sizeof(a), q->ndim, q->shape), bp_format_shape(b, sizeof(b), k->ndim, k->shape),
                   bp_format_shape(c, sizeof(c), v->ndim, v->shape));
  /* batch dims: broadcast of the three */
  int32_t nb = 0;
  int64_t batch[BP_MAX_DIMS];
  for (int i = 0; i < 3; ++i) if (in[i]->ndim - 2 > nb) nb = in[i]->ndim - 2;
  for (int32_t d = 0; d < nb; ++d) {
    int64_t s = 1;
    for (int i = 0; i < 3; ++i) {
      int32_t j = d - (nb - (in[i]->ndim - 2));
      int64_t e = j >= 0 ? in[i]->shape[j] : 1;
      if (e != 1 && s != 1 && e != s)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: batch dims of query %s, key %s and value %s cannot broadcast", op,
                       bp_format_shape(a, sizeof(a), q->ndim, q->shape), bp_format_shape(b, sizeof(b), k->ndim, k->shape),
                       bp_format_shape(c, sizeof(c), v->ndim, v->shape));
      if (e != 1) s = e;
    }
    batch[d] = s;
  }
  if (attrs[2].value.f != 0.0)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: dropout_p %g must be 0 (dropout belongs to the random family)", op, attrs[2].value.f);
  if (causal && has_mask)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: attn_mask must not be given with is_causal", op);
  plan->input_dtypes[3] = q->dtype;
  if (has_mask) {
    if (m->dtype != BP_DTYPE_BOOL && m->dtype != q->dtype)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: attn_mask is %s (expected bool or %s, query's dtype)", op,
                     bp_dtype_name(m->dtype), bp_dtype_name(q->dtype));
    int64_t ms[BP_MAX_DIMS];
    memcpy(ms, batch, sizeof(int64_t) * (size_t)nb);
    ms[nb] = L;
    ms[nb + 1] = S;
    if (!bp_nn2_broadcasts(m, nb + 2, ms))
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: attn_mask of shape %s does not broadcast to %s", op,
                     bp_format_shape(a, sizeof(a), m->ndim, m->shape), bp_format_shape(b, sizeof(b), nb + 2, ms));
    plan->input_dtypes[3] = m->dtype;
  }
  if (attrs[1].value.f == 0.0) attrs[1].value.f = 1.0 / sqrt((double)E);
  plan->input_dtypes[0] = plan->input_dtypes[1] = plan->input_dtypes[2] = q->dtype;
  plan->output_dtypes[0] = q->dtype;
  plan->output_ndim[0] = nb + 2;
  memcpy(plan->output_shape[0], batch, sizeof(int64_t) * (size_t)nb);
  plan->output_shape[0][nb] = L;
  plan->output_shape[0][nb + 1] = v->shape[v->ndim - 1];
  return BP_STATUS_OK;
}
static bool sig_sdpa(const bp_dtype_t *d) {
  const bp_dtype_t f[4] = {d[0], d[1], d[2], d[4]};
  return sig_floats_same(f, 4) && (d[3] == d[0] || d[3] == BP_DTYPE_BOOL);
}

const bp_op_def_t bp_op_def_scaled_dot_product_attention = {
    .name = "scaled_dot_product_attention",
    .summary = "softmax(query @ key^T * scale + mask) @ value "
               "(torch.nn.functional.scaled_dot_product_attention); batch dims broadcast. "
               "attn_mask: bool (true = attend) or additive float, broadcast to [..., L, S]; "
               "optional: has_attn_mask attr, placeholder tensor when absent. is_causal masks "
               "key j > query i. A row with every key masked gives NaN, as torch.",
    .dtype_rule = "bf16, f32, f64; query, key, value and out one dtype; attn_mask bool or that dtype",
    .num_inputs = 4, .num_outputs = 1, .differentiable = true, .form = BP_FORM_AS_IS,
    .slot_names = {"query", "key", "value", "attn_mask", "out"},
    .num_attrs = 4,
    .attrs = {{"is_causal", BP_ATTR_BOOL, 0.0, 0, false, 0, "mask keys after the query (top-left aligned)"},
              {"scale", BP_ATTR_FLOAT, 0.0, 0, false, 0, "0 = 1/sqrt(E) (infer sets it)"},
              {"dropout_p", BP_ATTR_FLOAT, 0.0, 0, false, 0, "must be 0 (dropout: random family)"},
              {"has_attn_mask", BP_ATTR_BOOL, 0.0, 0, false, 0, "attn_mask is given (else a placeholder)"}},
    .infer = infer_sdpa, .signature_ok = sig_sdpa};
