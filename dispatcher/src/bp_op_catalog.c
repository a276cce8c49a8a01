/* bp_op_catalog.c - the op catalog: one entry per op, with its inference. */
#include <string.h>

#include "bp_op_catalog.h"

/* ---- dtype sets used by the rules ---- */

static bool is_float(bp_dtype_t d) {
  return d == BP_DTYPE_F16 || d == BP_DTYPE_BF16 || d == BP_DTYPE_F32 || d == BP_DTYPE_F64;
}
static bool is_valid(bp_dtype_t d) { return d > BP_DTYPE_INVALID && d < BP_DTYPE_COUNT_V1_0; }
static bool all_same(const bp_dtype_t *d, int n) {
  for (int i = 1; i < n; ++i)
    if (d[i] != d[0]) return false;
  return true;
}

/* ---- shape helpers ---- */

static bp_status_t broadcast_shapes(const char *op, const bp_tensor_t *a,
                                    const bp_tensor_t *b, int32_t *out_ndim,
                                    int64_t *out_shape) {
  int32_t n = a->ndim > b->ndim ? a->ndim : b->ndim;
  for (int32_t i = 0; i < n; ++i) {
    int32_t ia = a->ndim - n + i, ib = b->ndim - n + i;
    int64_t sa = ia >= 0 ? a->shape[ia] : 1;
    int64_t sb = ib >= 0 ? b->shape[ib] : 1;
    if (sa != sb && sa != 1 && sb != 1) {
      char bufa[256], bufb[256];
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_%s: shapes %s and %s cannot broadcast (dim %d: %lld vs %lld)", op,
                     bp_format_shape(bufa, sizeof(bufa), a->ndim, a->shape),
                     bp_format_shape(bufb, sizeof(bufb), b->ndim, b->shape), i - n,
                     (long long)sa, (long long)sb);
    }
    out_shape[i] = sa == 1 ? sb : sa;
  }
  *out_ndim = n;
  return BP_STATUS_OK;
}

/* True when `from` broadcasts to exactly `to_ndim`/`to_shape`. */
static bool broadcasts_to(const bp_tensor_t *from, int32_t to_ndim, const int64_t *to_shape) {
  if (from->ndim > to_ndim) return false;
  for (int32_t i = 0; i < from->ndim; ++i) {
    int64_t s = from->shape[i], t = to_shape[to_ndim - from->ndim + i];
    if (s != t && s != 1) return false;
  }
  return true;
}

/* ---- fill ---- */

static bp_status_t infer_fill(const bp_op_def_t *def, bp_tensor_t *const *in,
                              const bp_attr_t *attrs, bp_tensor_t *const *out,
                              bp_op_plan_t *plan) {
  (void)def; (void)in; (void)attrs;
  plan->output_dtypes[0] = out[0]->dtype;
  plan->output_ndim[0] = out[0]->ndim;
  memcpy(plan->output_shape[0], out[0]->shape, sizeof(int64_t) * (size_t)out[0]->ndim);
  return BP_STATUS_OK;
}
static bool sig_fill(const bp_dtype_t *d) { return is_valid(d[0]); }

/* ---- copy ---- */

static bp_status_t infer_copy(const bp_op_def_t *def, bp_tensor_t *const *in,
                              const bp_attr_t *attrs, bp_tensor_t *const *out,
                              bp_op_plan_t *plan) {
  (void)def; (void)attrs;
  if (!broadcasts_to(in[0], out[0]->ndim, out[0]->shape)) {
    char bufa[256], bufb[256];
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_copy: src shape %s does not broadcast to dst shape %s",
                   bp_format_shape(bufa, sizeof(bufa), in[0]->ndim, in[0]->shape),
                   bp_format_shape(bufb, sizeof(bufb), out[0]->ndim, out[0]->shape));
  }
  plan->input_dtypes[0] = in[0]->dtype;
  plan->output_dtypes[0] = out[0]->dtype;
  plan->output_ndim[0] = out[0]->ndim;
  memcpy(plan->output_shape[0], out[0]->shape, sizeof(int64_t) * (size_t)out[0]->ndim);
  return BP_STATUS_OK;
}
static bool sig_copy(const bp_dtype_t *d) { return is_valid(d[0]) && is_valid(d[1]); }

/* ---- add, sub, mul, div ---- */

static bp_status_t infer_binary(const bp_op_def_t *def, bp_tensor_t *const *in,
                                const bp_attr_t *attrs, bp_tensor_t *const *out,
                                bp_op_plan_t *plan) {
  (void)out;
  bp_status_t status =
      broadcast_shapes(def->name, in[0], in[1], &plan->output_ndim[0], plan->output_shape[0]);
  if (status) return status;
  bp_dtype_t dt = bp_dtype_promote(in[0]->dtype, in[1]->dtype);
  const bp_op_def_t *defs = bp_op_def(0);
  bool is_add = def == &defs[BP_OP_ADD], is_sub = def == &defs[BP_OP_SUB];
  if (def == &defs[BP_OP_DIV] && !is_float(dt)) dt = BP_DTYPE_F32;
  if (is_sub && dt == BP_DTYPE_BOOL)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_sub: subtracting bool tensors is not supported (expected a "
                   "numeric dtype; cast to an integer dtype first)");
  if (is_add || is_sub) {
    double alpha = attrs[0].value.f;
    if (!is_float(dt) && alpha != (double)(int64_t)alpha)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_%s: alpha %g must be an integer for %s tensors", def->name, alpha,
                     bp_dtype_name(dt));
    if (dt == BP_DTYPE_BOOL && alpha != 1.0)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_add: alpha must be 1 for bool tensors (got %g)", alpha);
  }
  plan->input_dtypes[0] = plan->input_dtypes[1] = plan->output_dtypes[0] = dt;
  return BP_STATUS_OK;
}
static bool sig_add(const bp_dtype_t *d) { return is_valid(d[0]) && all_same(d, 3); }
static bool sig_sub(const bp_dtype_t *d) {
  return is_valid(d[0]) && d[0] != BP_DTYPE_BOOL && all_same(d, 3);
}
static bool sig_div(const bp_dtype_t *d) { return is_float(d[0]) && all_same(d, 3); }

/* ---- sum ---- */

static bp_status_t infer_sum(const bp_op_def_t *def, bp_tensor_t *const *in,
                             const bp_attr_t *attrs, bp_tensor_t *const *out,
                             bp_op_plan_t *plan) {
  (void)def; (void)out;
  const bp_tensor_t *x = in[0];
  const bp_attr_t *dim = &attrs[0];
  bool keepdim = attrs[1].value.b;
  bp_dtype_t dtype = attrs[2].value.dtype;
  uint64_t mask = 0;
  if (dim->count == 0) {
    mask = x->ndim >= 64 ? ~0ull : ((1ull << x->ndim) - 1);
  } else {
    for (uint32_t i = 0; i < dim->count; ++i) {
      int64_t d = dim->value.ints[i];
      int64_t rank = x->ndim > 0 ? x->ndim : 1;
      if (d < -rank || d >= rank)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                       "bp_sum: dim %lld out of range for a %d-d tensor (expected %lld..%lld)",
                       (long long)d, x->ndim, (long long)-rank, (long long)rank - 1);
      if (d < 0) d += rank;
      if (x->ndim == 0) continue; /* dim 0 of a scalar: nothing to reduce */
      if (mask & (1ull << d))
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_sum: dim %lld appears twice in dim",
                       (long long)d);
      mask |= 1ull << d;
    }
  }
  if (dtype != BP_DTYPE_INVALID && !is_valid(dtype))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_sum: dtype attribute %u is not a dtype",
                   (unsigned)dtype);
  if (dtype == BP_DTYPE_INVALID) dtype = is_float(x->dtype) ? x->dtype : BP_DTYPE_I64;
  if (dtype == BP_DTYPE_BOOL || (!is_float(dtype) && dtype != BP_DTYPE_I64))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_sum: dtype %s is not supported (expected i64, f16, bf16, f32 or f64)",
                   bp_dtype_name(dtype));
  int32_t n = 0;
  for (int32_t d = 0; d < x->ndim; ++d) {
    if (mask & (1ull << d)) {
      if (keepdim) plan->output_shape[0][n++] = 1;
    } else {
      plan->output_shape[0][n++] = x->shape[d];
    }
  }
  plan->output_ndim[0] = n;
  plan->reduce_mask = mask;
  plan->input_dtypes[0] = plan->output_dtypes[0] = dtype;
  return BP_STATUS_OK;
}
static bool sig_sum(const bp_dtype_t *d) {
  return (is_float(d[0]) || d[0] == BP_DTYPE_I64) && d[0] == d[1];
}

/* ---- matmul ---- */

static bp_status_t infer_matmul(const bp_op_def_t *def, bp_tensor_t *const *in,
                                const bp_attr_t *attrs, bp_tensor_t *const *out,
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
  return is_valid(d[0]) && d[0] != BP_DTYPE_BOOL && all_same(d, 3);
}

/* ---- the table ---- */

#define ALPHA_ATTR {"alpha", BP_ATTR_FLOAT, 1.0, 0, false, 0, "multiplier of b"}

static const bp_op_def_t catalog[BP_OP_COUNT] = {
    [BP_OP_FILL] = {
        .name = "fill", .summary = "Sets every element of out to value (torch.Tensor.fill_).",
        .dtype_rule = "out's dtype", .num_inputs = 0, .num_outputs = 1,
        .outputs_required = true, .differentiable = false, .form = BP_FORM_ELEMENTWISE,
        .slot_names = {"out"}, .num_attrs = 2,
        .attrs = {{"value", BP_ATTR_FLOAT, 0.0, 0, false, 0, "value for float and bool dtypes"},
                  {"value_int", BP_ATTR_INT, 0.0, 0, false, 0, "value for integer dtypes"}},
        .infer = infer_fill, .signature_ok = sig_fill},
    [BP_OP_COPY] = {
        .name = "copy", .summary = "dst = src with broadcasting and casting (torch.Tensor.copy_).",
        .dtype_rule = "any src dtype to any dst dtype", .num_inputs = 1, .num_outputs = 1,
        .outputs_required = true, .differentiable = true, .form = BP_FORM_ELEMENTWISE,
        .slot_names = {"src", "dst"}, .num_attrs = 0, .infer = infer_copy,
        .signature_ok = sig_copy},
    [BP_OP_ADD] = {
        .name = "add", .summary = "out = a + alpha * b (torch.add).",
        .dtype_rule = "promote(a, b)", .num_inputs = 2, .num_outputs = 1,
        .differentiable = true, .form = BP_FORM_ELEMENTWISE, .slot_names = {"a", "b", "out"},
        .num_attrs = 1, .attrs = {ALPHA_ATTR}, .infer = infer_binary, .signature_ok = sig_add},
    [BP_OP_SUB] = {
        .name = "sub", .summary = "out = a - alpha * b (torch.sub).",
        .dtype_rule = "promote(a, b); not bool", .num_inputs = 2, .num_outputs = 1,
        .differentiable = true, .form = BP_FORM_ELEMENTWISE, .slot_names = {"a", "b", "out"},
        .num_attrs = 1, .attrs = {ALPHA_ATTR}, .infer = infer_binary, .signature_ok = sig_sub},
    [BP_OP_MUL] = {
        .name = "mul", .summary = "out = a * b (torch.mul).", .dtype_rule = "promote(a, b)",
        .num_inputs = 2, .num_outputs = 1, .differentiable = true,
        .form = BP_FORM_ELEMENTWISE, .slot_names = {"a", "b", "out"}, .num_attrs = 0,
        .infer = infer_binary, .signature_ok = sig_add},
    [BP_OP_DIV] = {
        .name = "div", .summary = "out = a / b, true division (torch.div).",
        .dtype_rule = "promote(a, b); integers give f32", .num_inputs = 2, .num_outputs = 1,
        .differentiable = true, .form = BP_FORM_ELEMENTWISE, .slot_names = {"a", "b", "out"},
        .num_attrs = 0, .infer = infer_binary, .signature_ok = sig_div},
    [BP_OP_SUM] = {
        .name = "sum", .summary = "Sum over dims, all when dim is empty (torch.sum).",
        .dtype_rule = "dtype if given; else floats keep theirs, bool and integers give i64",
        .num_inputs = 1, .num_outputs = 1, .differentiable = true, .form = BP_FORM_REDUCE,
        .slot_names = {"x", "out"}, .num_attrs = 3,
        .attrs = {{"dim", BP_ATTR_INTS, 0.0, 0, false, 0, "dims to reduce; empty = all"},
                  {"keepdim", BP_ATTR_BOOL, 0.0, 0, false, 0, "keep reduced dims as size 1"},
                  {"dtype", BP_ATTR_DTYPE, 0.0, 0, false, BP_DTYPE_INVALID,
                   "accumulate and return in this dtype"}},
        .infer = infer_sum, .signature_ok = sig_sum},
    [BP_OP_MATMUL] = {
        .name = "matmul", .summary = "Matrix product with broadcast batch dims (torch.matmul).",
        .dtype_rule = "a and b the same dtype, not bool", .num_inputs = 2, .num_outputs = 1,
        .differentiable = true, .form = BP_FORM_MATMUL, .slot_names = {"a", "b", "out"},
        .num_attrs = 0, .infer = infer_matmul, .signature_ok = sig_matmul},
};

const bp_op_def_t *bp_op_def(uint32_t op_id) { return &catalog[op_id]; }

void bp_op_default_attrs(const bp_op_def_t *def, bp_attr_t *attrs) {
  for (uint32_t i = 0; i < def->num_attrs; ++i) {
    const bp_attr_def_t *ad = &def->attrs[i];
    bp_attr_t *a = &attrs[i];
    memset(a, 0, sizeof(*a));
    a->struct_size = sizeof(*a);
    a->name = ad->name;
    a->type = ad->type;
    a->count = 1;
    switch (ad->type) {
      case BP_ATTR_INT: a->value.i = ad->default_int; break;
      case BP_ATTR_FLOAT: a->value.f = ad->default_float; break;
      case BP_ATTR_BOOL: a->value.b = ad->default_bool; break;
      case BP_ATTR_DTYPE: a->value.dtype = ad->default_dtype; break;
      case BP_ATTR_INTS: a->count = 0; a->value.ints = NULL; break;
      default: break;
    }
  }
}

uint32_t bp_op_count(void) { return BP_OP_COUNT; }

const char *bp_op_name(uint32_t op_id) {
  return op_id < BP_OP_COUNT ? catalog[op_id].name : NULL;
}

bp_status_t bp_op_find(const char *name, uint32_t *out_op_id) {
  if (!name) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_op_find: name is NULL");
  if (!out_op_id) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_op_find: out_op_id is NULL");
  for (uint32_t i = 0; i < BP_OP_COUNT; ++i) {
    if (!strcmp(catalog[i].name, name)) {
      *out_op_id = i;
      return BP_STATUS_OK;
    }
  }
  return bp_fail(BP_STATUS_NOT_FOUND, "bp_op_find: no op named '%s' in the catalog", name);
}

static const char *form_name(bp_op_form_t form) {
  switch (form) {
    case BP_FORM_REDUCE: return "reduce";
    case BP_FORM_MATMUL: return "matmul";
    default: return "elementwise";
  }
}

bp_status_t bp_op_query_info(uint32_t op_id, bp_op_info_t *out_info) {
  if (op_id >= BP_OP_COUNT)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_op_query_info: op_id %u out of range (expected < %u)",
                   op_id, (unsigned)BP_OP_COUNT);
  if (!out_info || out_info->struct_size < sizeof(bp_op_info_t))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_op_query_info: out_info is NULL or its struct_size is not sizeof(bp_op_info_t)");
  const bp_op_def_t *d = &catalog[op_id];
  *out_info = (bp_op_info_t){
      .struct_size = sizeof(bp_op_info_t),
      .name = d->name,
      .summary = d->summary,
      .dtype_rule = d->dtype_rule,
      .form = form_name(d->form),
      .num_inputs = d->num_inputs,
      .num_outputs = d->num_outputs,
      .num_attrs = d->num_attrs,
      .outputs_required = d->outputs_required,
      .differentiable = d->differentiable,
  };
  return BP_STATUS_OK;
}

const char *bp_op_slot_name(uint32_t op_id, uint32_t slot) {
  if (op_id >= BP_OP_COUNT) return NULL;
  const bp_op_def_t *d = &catalog[op_id];
  return slot < (uint32_t)d->num_inputs + d->num_outputs ? d->slot_names[slot] : NULL;
}

bp_status_t bp_op_query_attr(uint32_t op_id, uint32_t index, bp_attr_t *out_default,
                             const char **out_doc) {
  if (op_id >= BP_OP_COUNT || index >= catalog[op_id].num_attrs)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_op_query_attr: op %u has no attribute %u", op_id,
                   index);
  if (!out_default)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_op_query_attr: out_default is NULL");
  bp_attr_t all[BP_MAX_ATTRS];
  bp_op_default_attrs(&catalog[op_id], all);
  *out_default = all[index];
  if (out_doc) *out_doc = catalog[op_id].attrs[index].doc;
  return BP_STATUS_OK;
}
