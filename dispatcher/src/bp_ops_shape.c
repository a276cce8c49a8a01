/* bp_ops_shape.c - catalog entries of the shape family: the view ops (view
 * hook: no kernel; bp_views.c and bp_tensor.c do the work), arange, where,
 * tril/triu (kernels), pad (composite: fill + copy into a slice), cat and
 * stack (variadic composites: copies into slices of the output). */
#include <math.h>
#include <string.h>

#include "bp_op_catalog.h"
#include "bp_op_util.h"
#include "bp_op_util_shape.h"

static bool sig_none(const bp_dtype_t *d) {
  (void)d;
  return false;
}

/* ---- view ops ---- */

/* An int-list attribute as a shape (at most BP_MAX_DIMS entries). */
static bp_status_t attr_list(const bp_op_def_t *def, const bp_attr_t *a, int32_t *out_n) {
  if (a->count > BP_MAX_DIMS)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: %s has %u entries (at most %d)",
                   def->name, a->name, a->count, BP_MAX_DIMS);
  *out_n = (int32_t)a->count;
  return BP_STATUS_OK;
}

static bp_status_t view_view(const bp_op_def_t *def, bp_tensor_t *const *in,
                             const bp_attr_t *attrs, bp_tensor_t **out) {
  int32_t n = 0;
  bp_status_t s = attr_list(def, &attrs[0], &n);
  if (s) return s;
  return def == bp_op_def(BP_OP_RESHAPE) ? bp_tensor_reshape(in[0], n, attrs[0].value.ints, out)
                                         : bp_tensor_view(in[0], n, attrs[0].value.ints, out);
}

static bp_status_t view_expand(const bp_op_def_t *def, bp_tensor_t *const *in,
                               const bp_attr_t *attrs, bp_tensor_t **out) {
  int32_t n = 0;
  bp_status_t s = attr_list(def, &attrs[0], &n);
  if (s) return s;
  return bp_tensor_expand(in[0], n, attrs[0].value.ints, out);
}

static bp_status_t view_permute(const bp_op_def_t *def, bp_tensor_t *const *in,
                                const bp_attr_t *attrs, bp_tensor_t **out) {
  const bp_attr_t *a = &attrs[0];
  if ((int32_t)a->count != in[0]->ndim || a->count > BP_MAX_DIMS)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: dims has %u entries but the tensor has %d dims", def->name, a->count,
                   in[0]->ndim);
  int32_t dims[BP_MAX_DIMS];
  for (uint32_t i = 0; i < a->count; ++i) {
    int32_t d = 0;
    bp_status_t s = bp_shape_wrap_dim("bp_permute", "dims entry", a->value.ints[i],
                                      in[0]->ndim, in[0]->ndim, &d);
    if (s) return s;
    dims[i] = d;
  }
  return bp_tensor_permute(in[0], dims, out);
}

static bp_status_t view_transpose(const bp_op_def_t *def, bp_tensor_t *const *in,
                                  const bp_attr_t *attrs, bp_tensor_t **out) {
  (void)def;
  return bp_tensor_transpose(in[0], attrs[0].value.i, attrs[1].value.i, out);
}

static bp_status_t view_slice(const bp_op_def_t *def, bp_tensor_t *const *in,
                              const bp_attr_t *attrs, bp_tensor_t **out) {
  (void)def;
  int32_t d = 0;
  bp_status_t s = bp_shape_wrap_dim("bp_slice", "dim", attrs[0].value.i, in[0]->ndim,
                                    in[0]->ndim, &d);
  if (s) return s;
  return bp_tensor_slice(in[0], d, attrs[1].value.i, attrs[2].value.i, attrs[3].value.i, out);
}

static bp_status_t view_select(const bp_op_def_t *def, bp_tensor_t *const *in,
                               const bp_attr_t *attrs, bp_tensor_t **out) {
  (void)def;
  return bp_tensor_select(in[0], attrs[0].value.i, attrs[1].value.i, out);
}

static bp_status_t view_narrow(const bp_op_def_t *def, bp_tensor_t *const *in,
                               const bp_attr_t *attrs, bp_tensor_t **out) {
  (void)def;
  return bp_tensor_narrow(in[0], attrs[0].value.i, attrs[1].value.i, attrs[2].value.i, out);
}

static bp_status_t view_squeeze(const bp_op_def_t *def, bp_tensor_t *const *in,
                                const bp_attr_t *attrs, bp_tensor_t **out) {
  (void)def;
  if (attrs[0].count == 0) return bp_tensor_squeeze(in[0], out);
  return bp_tensor_squeeze_dims(in[0], attrs[0].count, attrs[0].value.ints, out);
}

static bp_status_t view_unsqueeze(const bp_op_def_t *def, bp_tensor_t *const *in,
                                  const bp_attr_t *attrs, bp_tensor_t **out) {
  (void)def;
  return bp_tensor_unsqueeze(in[0], attrs[0].value.i, out);
}

static bp_status_t view_flatten(const bp_op_def_t *def, bp_tensor_t *const *in,
                                const bp_attr_t *attrs, bp_tensor_t **out) {
  (void)def;
  return bp_tensor_flatten(in[0], attrs[0].value.i, attrs[1].value.i, out);
}

static bp_status_t view_contiguous(const bp_op_def_t *def, bp_tensor_t *const *in,
                                   const bp_attr_t *attrs, bp_tensor_t **out) {
  (void)def; (void)attrs;
  return bp_tensor_contiguous(in[0], out);
}

#define VIEW_OP(nm, summ, slots_, nattrs, hook, ...)                                        \
  const bp_op_def_t bp_op_def_##nm = {                                                     \
      .name = #nm, .summary = summ, .dtype_rule = "the input's dtype", .num_inputs = 1,    \
      .num_outputs = 1, .differentiable = true, .form = BP_FORM_AS_IS,                     \
      .slot_names = slots_, .num_attrs = nattrs, .attrs = {__VA_ARGS__},                   \
      .signature_ok = sig_none, .view = hook}
#define XO {"input", "out"}

VIEW_OP(view, "The same elements in a new shape, sharing storage; one entry may be -1; "
        "fails when the strides do not allow it (torch.Tensor.view).", XO, 1, view_view,
        {"size", BP_ATTR_INTS, 0.0, 0, false, 0, "the new shape; one entry may be -1"});
VIEW_OP(reshape, "The same elements in a new shape: a view when the strides allow it, else "
        "a contiguous copy (torch.reshape).", XO, 1, view_view,
        {"shape", BP_ATTR_INTS, 0.0, 0, false, 0, "the new shape; one entry may be -1"});
VIEW_OP(permute, "Reorders the dims, a view (torch.permute).", XO, 1, view_permute,
        {"dims", BP_ATTR_INTS, 0.0, 0, false, 0, "a permutation of the dims"});
VIEW_OP(transpose, "Swaps two dims, a view (torch.transpose).", XO, 2, view_transpose,
        {"dim0", BP_ATTR_INT, 0.0, 0, false, 0, "first dim"},
        {"dim1", BP_ATTR_INT, 0.0, 1, false, 0, "second dim"});
VIEW_OP(slice, "Elements start, start+step, ... < end of dim, a view (x[start:end:step]).", XO,
        4, view_slice, {"dim", BP_ATTR_INT, 0.0, 0, false, 0, "the dim to slice"},
        {"start", BP_ATTR_INT, 0.0, 0, false, 0, "first index (Python rules for < 0)"},
        {"end", BP_ATTR_INT, 0.0, INT64_MAX, false, 0,
         "end index, exclusive; INT64_MAX = to the end (Python rules for < 0)"},
        {"step", BP_ATTR_INT, 0.0, 1, false, 0, "step, >= 1"});
VIEW_OP(select, "The slice at index of dim, which goes away, a view (torch.select).", XO, 2,
        view_select, {"dim", BP_ATTR_INT, 0.0, 0, false, 0, "the dim"},
        {"index", BP_ATTR_INT, 0.0, 0, false, 0, "index in the dim; < 0 counts from the end"});
VIEW_OP(narrow, "Elements start .. start+length-1 of dim, a view (torch.narrow).", XO, 3,
        view_narrow, {"dim", BP_ATTR_INT, 0.0, 0, false, 0, "the dim"},
        {"start", BP_ATTR_INT, 0.0, 0, false, 0, "first index; < 0 counts from the end"},
        {"length", BP_ATTR_INT, 0.0, 0, false, 0, "number of elements"});
VIEW_OP(expand, "Broadcasts size-1 dims (and new leading dims) with stride 0, a view "
        "(torch.Tensor.expand).", XO, 1, view_expand,
        {"size", BP_ATTR_INTS, 0.0, 0, false, 0, "the new shape; -1 keeps a dim"});
VIEW_OP(squeeze, "Drops size-1 dims: all, or those listed that have size 1, a view "
        "(torch.squeeze).", XO, 1, view_squeeze,
        {"dim", BP_ATTR_INTS, 0.0, 0, false, 0, "dims to drop if size 1; empty = every size-1 dim"});
VIEW_OP(unsqueeze, "Inserts a size-1 dim, a view (torch.unsqueeze).", XO, 1, view_unsqueeze,
        {"dim", BP_ATTR_INT, 0.0, 0, false, 0, "where the new dim goes, -ndim-1..ndim"});
VIEW_OP(flatten, "Merges dims start_dim..end_dim into one: a view when the strides allow it, "
        "else a contiguous copy (torch.flatten).", XO, 2, view_flatten,
        {"start_dim", BP_ATTR_INT, 0.0, 0, false, 0, "first dim to merge"},
        {"end_dim", BP_ATTR_INT, 0.0, -1, false, 0, "last dim to merge"});
VIEW_OP(contiguous, "The input itself when contiguous, else a contiguous copy "
        "(torch.Tensor.contiguous).", XO, 0, view_contiguous, {NULL, 0, 0.0, 0, false, 0, NULL});

/* ---- arange ---- */

/* torch's arange size rule (RangeFactories.cpp), for out dtype dt. */
static bp_status_t arange_size(bp_dtype_t dt, double start, double end, double step,
                               int64_t *out_size) {
  if (dt == BP_DTYPE_BOOL || !bp_dtype_is_valid(dt))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_arange: out is %s (expected u8, i8, i32, i64, f16, bf16, f32 or f64)",
                   bp_dtype_name(dt));
  if (!isfinite(start) || !isfinite(end))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_arange: unsupported range: %g -> %g", start,
                   end);
  double size_d, xs = start, xe = end, xd = step;
  if (bp_dtype_is_integer(dt)) {
    /* torch reads start, end and step as int64 for integer dtypes. */
    const double lim = 9223372036854775808.0;
    if (!(step > -lim && step < lim) || start <= -lim - 1 || start >= lim || end <= -lim - 1 ||
        end >= lim)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_arange: start %g, end %g or step %g does not fit in int64", start, end,
                     step);
    xs = (double)(int64_t)start;
    xe = (double)(int64_t)end;
    xd = (double)(int64_t)step;
  }
  if (dt == BP_DTYPE_I64)
    size_d = ceil((double)((int64_t)end - (int64_t)start) / (double)(int64_t)step);
  else
    size_d = ceil((end - start) / step);
  if (!(xd > 0 || xd < 0))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_arange: step must be nonzero (got %g)", step);
  if (!((xd > 0 && xe >= xs) || (xd < 0 && xe <= xs)))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_arange: end %g is on the wrong side of start %g for step %g", end, start,
                   step);
  if (!(size_d >= 0 && size_d <= 9.0e18))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_arange: invalid size %g (overflow?)", size_d);
  *out_size = (int64_t)size_d;
  return BP_STATUS_OK;
}

static bp_status_t infer_arange(const bp_op_def_t *def, bp_tensor_t *const *in,
                                bp_attr_t *attrs, bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def; (void)in;
  int64_t n = 0;
  bp_dtype_t dt = out[0]->dtype;
  bp_status_t s = arange_size(dt, attrs[0].value.f, attrs[1].value.f, attrs[2].value.f, &n);
  if (s) return s;
  plan->output_dtypes[0] = dt;
  plan->output_ndim[0] = 1;
  plan->output_shape[0][0] = n;
  return BP_STATUS_OK;
}
static bool sig_arange(const bp_dtype_t *d) {
  return bp_dtype_is_valid(d[0]) && d[0] != BP_DTYPE_BOOL;
}

const bp_op_def_t bp_op_def_arange = {
    .name = "arange",
    .summary = "out[i] = start + i * step for i < ceil((end - start) / step) (torch.arange).",
    .dtype_rule = "out's dtype (not bool); out must have shape [size]", .num_inputs = 0,
    .num_outputs = 1, .outputs_required = true, .differentiable = false,
    .form = BP_FORM_AS_IS, .slot_names = {"out"}, .num_attrs = 3,
    .attrs = {{"start", BP_ATTR_FLOAT, 0.0, 0, false, 0, "first value"},
              {"end", BP_ATTR_FLOAT, 0.0, 0, false, 0, "bound, exclusive"},
              {"step", BP_ATTR_FLOAT, 1.0, 0, false, 0,
               "difference of neighbours, nonzero; integer dtypes truncate start, end and step"}},
    .infer = infer_arange, .signature_ok = sig_arange};

/* ---- where ---- */

static bp_status_t infer_where(const bp_op_def_t *def, bp_tensor_t *const *in,
                               bp_attr_t *attrs, bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)attrs; (void)out; (void)def;
  if (in[0]->dtype != BP_DTYPE_BOOL && in[0]->dtype != BP_DTYPE_U8)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_where: condition is %s (expected bool, or u8 as torch still takes)",
                   bp_dtype_name(in[0]->dtype));
  static const char *const names[] = {"condition", "input", "other"};
  bp_status_t s =
      bp_shape_broadcast_n("bp_where", 3, names, in, &plan->output_ndim[0], plan->output_shape[0]);
  if (s) return s;
  bp_dtype_t dt = bp_result_type(2, in + 1);
  plan->input_dtypes[0] = in[0]->dtype;
  plan->input_dtypes[1] = plan->input_dtypes[2] = plan->output_dtypes[0] = dt;
  return BP_STATUS_OK;
}
static bool sig_where(const bp_dtype_t *d) {
  return (d[0] == BP_DTYPE_BOOL || d[0] == BP_DTYPE_U8) && bp_dtype_is_valid(d[1]) &&
         bp_dtypes_all_same(d + 1, 3);
}

const bp_op_def_t bp_op_def_where = {
    .name = "where", .summary = "out = condition ? input : other, broadcasting (torch.where).",
    .dtype_rule = "condition bool (or u8); out result_type(input, other)", .num_inputs = 3,
    .num_outputs = 1, .differentiable = true, .form = BP_FORM_ELEMENTWISE,
    .slot_names = {"condition", "input", "other", "out"}, .num_attrs = 0,
    .infer = infer_where, .signature_ok = sig_where};

/* ---- tril, triu ---- */

static bp_status_t infer_tri(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                             bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)attrs; (void)out;
  const bp_tensor_t *x = in[0];
  if (x->ndim < 2)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: input has %d dims (expected at least 2)", def->name, x->ndim);
  plan->input_dtypes[0] = plan->output_dtypes[0] = x->dtype;
  plan->output_ndim[0] = x->ndim;
  memcpy(plan->output_shape[0], x->shape, sizeof(int64_t) * (size_t)x->ndim);
  return BP_STATUS_OK;
}
static bool sig_same2(const bp_dtype_t *d) { return bp_dtype_is_valid(d[0]) && d[0] == d[1]; }

#define TRI_OP(nm, summ)                                                                     \
  const bp_op_def_t bp_op_def_##nm = {                                                      \
      .name = #nm, .summary = summ, .dtype_rule = "the input's dtype (any)", .num_inputs = 1, \
      .num_outputs = 1, .differentiable = true, .form = BP_FORM_AS_IS, .slot_names = XO,     \
      .num_attrs = 1,                                                                       \
      .attrs = {{"diagonal", BP_ATTR_INT, 0.0, 0, false, 0,                                 \
                 "0 = main diagonal, > 0 above it, < 0 below it"}},                         \
      .infer = infer_tri, .signature_ok = sig_same2}

TRI_OP(tril, "Keeps elements on and below the diagonal of the last two dims, the rest 0 "
       "(torch.tril).");
TRI_OP(triu, "Keeps elements on and above the diagonal of the last two dims, the rest 0 "
       "(torch.triu).");

/* ---- pad (constant) ---- */

static bp_status_t infer_pad(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                             bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def; (void)out;
  const bp_tensor_t *x = in[0];
  const bp_attr_t *p = &attrs[0];
  if (p->count % 2)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_pad: pad has %u entries (expected an even number: before/after pairs)",
                   p->count);
  if (p->count / 2 > (uint32_t)x->ndim)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_pad: pad has %u entries, too many for a %d-d input (at most %d)", p->count,
                   x->ndim, 2 * x->ndim);
  plan->output_ndim[0] = x->ndim;
  memcpy(plan->output_shape[0], x->shape, sizeof(int64_t) * (size_t)x->ndim);
  for (uint32_t k = 0; k < p->count / 2; ++k) {
    int32_t d = x->ndim - 1 - (int32_t)k;
    int64_t before = p->value.ints[2 * k], after = p->value.ints[2 * k + 1], size;
    if (__builtin_add_overflow(x->shape[d], before, &size) ||
        __builtin_add_overflow(size, after, &size) || size < 0)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_pad: dim %d of size %lld padded by %lld and %lld gives an invalid size",
                     d, (long long)x->shape[d], (long long)before, (long long)after);
    plan->output_shape[0][d] = size;
  }
  plan->input_dtypes[0] = plan->output_dtypes[0] = x->dtype;
  return BP_STATUS_OK;
}

/* out = value everywhere, then the kept part of the input copied into its
 * place (negative pads crop the input). */
static bp_status_t composite_pad(const bp_op_def_t *def, bp_tensor_t *const *in,
                                 const bp_attr_t *attrs, const bp_op_plan_t *plan,
                                 bp_tensor_t *const *out) {
  (void)def; (void)plan;
  bp_tensor_t *x = in[0], *o = out[0];
  double value = attrs[1].value.f;
  bp_status_t s = bp_fill(o, value);
  if (s) return bp_fail_context(s, "bp_pad: value");
  if (o->numel == 0 || x->numel == 0) return BP_STATUS_OK;
  {
    int64_t xs[BP_MAX_DIMS], os[BP_MAX_DIMS];
    int64_t xoff = x->offset, ooff = o->offset;
    for (int32_t d = 0; d < x->ndim; ++d) {
      xs[d] = x->shape[d];
      os[d] = x->shape[d];
    }
    const bp_attr_t *p = &attrs[0];
    for (uint32_t k = 0; k < p->count / 2; ++k) {
      int32_t d = x->ndim - 1 - (int32_t)k;
      int64_t before = p->value.ints[2 * k], after = p->value.ints[2 * k + 1];
      int64_t crop_lo = before < 0 ? -before : 0, crop_hi = after < 0 ? -after : 0;
      int64_t len = x->shape[d] - crop_lo - crop_hi;
      if (len <= 0) return BP_STATUS_OK; /* nothing of the input survives */
      xs[d] = os[d] = len;
      xoff += crop_lo * x->strides[d];
      ooff += (before > 0 ? before : 0) * o->strides[d];
    }
    bp_tensor_t *xv = NULL, *ov = NULL;
    s = bp_tensor_make_view(x, x->ndim, xs, x->strides, xoff, &xv);
    if (!s) s = bp_tensor_make_view(o, o->ndim, os, o->strides, ooff, &ov);
    if (!s) s = bp_copy(ov, xv);
    bp_tensor_release(xv);
    bp_tensor_release(ov);
    if (s) return bp_fail_context(s, "bp_pad");
  }
  return BP_STATUS_OK;
}

const bp_op_def_t bp_op_def_pad = {
    .name = "pad",
    .summary = "Constant padding (torch.nn.functional.pad, mode 'constant'); composite "
               "(fill + copy) on every device.",
    .dtype_rule = "the input's dtype (any)", .num_inputs = 1, .num_outputs = 1,
    .differentiable = true, .form = BP_FORM_AS_IS, .slot_names = XO, .num_attrs = 2,
    .attrs = {{"pad", BP_ATTR_INTS, 0.0, 0, false, 0,
               "(before, after) pairs from the last dim backwards; < 0 crops"},
              {"value", BP_ATTR_FLOAT, 0.0, 0, false, 0,
               "fill value (truncated toward zero for integer dtypes)"}},
    .infer = infer_pad, .signature_ok = sig_none, .composite = composite_pad};

/* ---- cat, stack ---- */

/* torch skips 1-D empty tensors in cat (legacy behaviour) when another
 * tensor has more dims. */
static bool cat_skipped(const bp_tensor_t *t) { return t->ndim == 1 && t->shape[0] == 0; }

static bp_status_t infer_cat(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                             bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def; (void)out;
  uint32_t n = plan->num_inputs;
  int first = -1;
  for (uint32_t i = 0; i < n; ++i) {
    if (in[i]->ndim == 0)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_cat: tensors[%u] is 0-dim (a 0-dim tensor cannot be concatenated)", i);
    if (first < 0 && !cat_skipped(in[i])) first = (int)i;
  }
  if (first < 0) first = 0; /* every tensor is 1-D and empty */
  const bp_tensor_t *ref = in[first];
  int32_t d = 0;
  bp_status_t s = bp_shape_wrap_dim("bp_cat", "dim", attrs[0].value.i, ref->ndim, ref->ndim, &d);
  if (s) return s;
  attrs[0].value.i = d;
  int64_t total = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const bp_tensor_t *t = in[i];
    if (cat_skipped(t) && (int)i != first) continue;
    if (t->ndim != ref->ndim) {
      char a[512], b[512];
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_cat: tensors[%u] has shape %s but tensors[%d] has %s (expected the same "
                     "number of dims)", i, bp_format_shape(a, sizeof(a), t->ndim, t->shape), first,
                     bp_format_shape(b, sizeof(b), ref->ndim, ref->shape));
    }
    for (int32_t k = 0; k < t->ndim; ++k)
      if (k != d && t->shape[k] != ref->shape[k]) {
        char a[512], b[512];
        return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                       "bp_cat: tensors[%u] has shape %s but tensors[%d] has %s: sizes must match "
                       "except in dim %d (dim %d: %lld vs %lld)", i,
                       bp_format_shape(a, sizeof(a), t->ndim, t->shape), first,
                       bp_format_shape(b, sizeof(b), ref->ndim, ref->shape), d, k,
                       (long long)t->shape[k], (long long)ref->shape[k]);
      }
    if (__builtin_add_overflow(total, t->shape[d], &total))
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_cat: the result's dim %d overflows", d);
  }
  plan->output_ndim[0] = ref->ndim;
  memcpy(plan->output_shape[0], ref->shape, sizeof(int64_t) * (size_t)ref->ndim);
  plan->output_shape[0][d] = total;
  plan->output_dtypes[0] = bp_result_type((int)n, in);
  for (uint32_t i = 0; i < n && i < BP_MAX_SLOTS; ++i) plan->input_dtypes[i] = in[i]->dtype;
  return BP_STATUS_OK;
}

/* Copies each input into its slice of the output (bp_copy casts). */
static bp_status_t composite_cat(const bp_op_def_t *def, bp_tensor_t *const *in,
                                 const bp_attr_t *attrs, const bp_op_plan_t *plan,
                                 bp_tensor_t *const *out) {
  (void)def;
  bp_tensor_t *o = out[0];
  int32_t d = (int32_t)attrs[0].value.i;
  int64_t offset = 0;
  for (uint32_t i = 0; i < plan->num_inputs; ++i) {
    bp_tensor_t *t = in[i];
    if (t->ndim != o->ndim) continue; /* a skipped 1-D empty tensor */
    int64_t len = t->shape[d];
    if (len == 0) continue;
    bp_tensor_t *piece = NULL;
    bp_status_t s = bp_tensor_narrow(o, d, offset, len, &piece);
    if (!s) s = bp_copy(piece, t);
    bp_tensor_release(piece);
    if (s) return bp_fail_context(s, "bp_cat: tensors[%u]", i);
    offset += len;
  }
  return BP_STATUS_OK;
}

static bp_status_t infer_stack(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                               bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def; (void)out;
  uint32_t n = plan->num_inputs;
  const bp_tensor_t *ref = in[0];
  for (uint32_t i = 1; i < n; ++i)
    if (in[i]->ndim != ref->ndim ||
        memcmp(in[i]->shape, ref->shape, sizeof(int64_t) * (size_t)ref->ndim)) {
      char a[512], b[512];
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_stack: tensors[%u] has shape %s but tensors[0] has %s (expected equal "
                     "shapes)", i, bp_format_shape(a, sizeof(a), in[i]->ndim, in[i]->shape),
                     bp_format_shape(b, sizeof(b), ref->ndim, ref->shape));
    }
  if (ref->ndim >= BP_MAX_DIMS)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_stack: tensors have %d dims (the most)",
                   ref->ndim);
  int32_t d = 0;
  bp_status_t s =
      bp_shape_wrap_dim("bp_stack", "dim", attrs[0].value.i, ref->ndim, ref->ndim + 1, &d);
  if (s) return s;
  attrs[0].value.i = d;
  int32_t k = 0;
  for (int32_t j = 0; j <= ref->ndim; ++j) {
    if (j == d) plan->output_shape[0][k++] = n;
    if (j < ref->ndim) plan->output_shape[0][k++] = ref->shape[j];
  }
  plan->output_ndim[0] = ref->ndim + 1;
  plan->output_dtypes[0] = bp_result_type((int)n, in);
  for (uint32_t i = 0; i < n && i < BP_MAX_SLOTS; ++i) plan->input_dtypes[i] = in[i]->dtype;
  return BP_STATUS_OK;
}

static bp_status_t composite_stack(const bp_op_def_t *def, bp_tensor_t *const *in,
                                   const bp_attr_t *attrs, const bp_op_plan_t *plan,
                                   bp_tensor_t *const *out) {
  (void)def;
  bp_tensor_t *o = out[0];
  if (o->numel == 0) return BP_STATUS_OK;
  for (uint32_t i = 0; i < plan->num_inputs; ++i) {
    bp_tensor_t *piece = NULL;
    bp_status_t s = bp_tensor_select(o, attrs[0].value.i, i, &piece);
    if (!s) s = bp_copy(piece, in[i]);
    bp_tensor_release(piece);
    if (s) return bp_fail_context(s, "bp_stack: tensors[%u]", i);
  }
  return BP_STATUS_OK;
}

const bp_op_def_t bp_op_def_cat = {
    .name = "cat", .summary = "Concatenates tensors along an existing dim (torch.cat).",
    .dtype_rule = "result_type of all tensors", .num_inputs = 1, .num_outputs = 1,
    .differentiable = true, .form = BP_FORM_AS_IS, .slot_names = {"tensors", "out"},
    .num_attrs = 1, .attrs = {{"dim", BP_ATTR_INT, 0.0, 0, false, 0, "the dim to join along"}},
    .infer = infer_cat, .signature_ok = sig_none, .composite = composite_cat, .variadic = true};

const bp_op_def_t bp_op_def_stack = {
    .name = "stack", .summary = "Stacks equal-shaped tensors along a new dim (torch.stack).",
    .dtype_rule = "result_type of all tensors", .num_inputs = 1, .num_outputs = 1,
    .differentiable = true, .form = BP_FORM_AS_IS, .slot_names = {"tensors", "out"},
    .num_attrs = 1,
    .attrs = {{"dim", BP_ATTR_INT, 0.0, 0, false, 0, "where the new dim goes, -ndim-1..ndim"}},
    .infer = infer_stack, .signature_ok = sig_none, .composite = composite_stack,
    .variadic = true};

/* ---- typed entry points ---- */

static bp_status_t run1(uint32_t op_id, uint32_t nin, bp_tensor_t *const *in, bp_attr_t *attrs,
                        bp_tensor_t **out, bool in_place) {
  const bp_op_def_t *def = bp_op_def(op_id);
  if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: out is NULL", def->name);
  if (nin && !in) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: tensors is NULL", def->name);
  bp_tensor_t *result = in_place ? *out : NULL;
  bp_status_t s = bp_dispatch(op_id, nin, in, attrs, 1, &result);
  if (!s && !in_place) *out = result;
  return s;
}

static void arange_attrs(bp_attr_t *attrs, double start, double end, double step) {
  bp_op_default_attrs(bp_op_def(BP_OP_ARANGE), attrs);
  attrs[0].value.f = start;
  attrs[1].value.f = end;
  attrs[2].value.f = step;
}

bp_status_t bp_arange(bp_device_t *device, double start, double end, double step,
                      bp_dtype_t dtype, bp_tensor_t **out) {
  if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_arange: out is NULL");
  if (dtype == BP_DTYPE_INVALID)
    dtype = start == trunc(start) && end == trunc(end) && step == trunc(step) ? BP_DTYPE_I64
                                                                              : BP_DTYPE_F32;
  int64_t n = 0;
  bp_status_t s = arange_size(dtype, start, end, step, &n);
  bp_tensor_t *t = NULL;
  if (!s) s = bp_tensor_create(device, dtype, 1, &n, &t);
  if (s) return s;
  if ((s = bp_arange_out(start, end, step, t))) {
    bp_tensor_release(t);
    return s;
  }
  *out = t;
  return BP_STATUS_OK;
}

bp_status_t bp_arange_out(double start, double end, double step, bp_tensor_t *out) {
  bp_attr_t attrs[BP_MAX_ATTRS];
  arange_attrs(attrs, start, end, step);
  return run1(BP_OP_ARANGE, 0, NULL, attrs, &out, true);
}

bp_status_t bp_where(bp_tensor_t *cond, bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t **out) {
  bp_tensor_t *in[3] = {cond, a, b};
  return run1(BP_OP_WHERE, 3, in, NULL, out, false);
}
bp_status_t bp_where_out(bp_tensor_t *cond, bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t *out) {
  bp_tensor_t *in[3] = {cond, a, b};
  if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_where: out is NULL");
  return run1(BP_OP_WHERE, 3, in, NULL, &out, true);
}

static bp_status_t tri(uint32_t op_id, bp_tensor_t *x, int64_t diagonal, bp_tensor_t **out) {
  bp_attr_t attrs[BP_MAX_ATTRS];
  bp_op_default_attrs(bp_op_def(op_id), attrs);
  attrs[0].value.i = diagonal;
  return run1(op_id, 1, &x, attrs, out, false);
}
bp_status_t bp_tril(bp_tensor_t *x, int64_t diagonal, bp_tensor_t **out) {
  return tri(BP_OP_TRIL, x, diagonal, out);
}
bp_status_t bp_triu(bp_tensor_t *x, int64_t diagonal, bp_tensor_t **out) {
  return tri(BP_OP_TRIU, x, diagonal, out);
}

bp_status_t bp_pad(bp_tensor_t *x, uint32_t num_pad, const int64_t *pad, double value,
                   bp_tensor_t **out) {
  if (num_pad && !pad)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_pad: pad is NULL but num_pad is %u", num_pad);
  bp_attr_t attrs[BP_MAX_ATTRS];
  bp_op_default_attrs(bp_op_def(BP_OP_PAD), attrs);
  attrs[0].count = num_pad;
  attrs[0].value.ints = pad;
  attrs[1].value.f = value;
  return run1(BP_OP_PAD, 1, &x, attrs, out, false);
}

static bp_status_t join(uint32_t op_id, uint32_t n, bp_tensor_t *const *tensors, int64_t dim,
                        bp_tensor_t **out, bool in_place) {
  bp_attr_t attrs[BP_MAX_ATTRS];
  bp_op_default_attrs(bp_op_def(op_id), attrs);
  attrs[0].value.i = dim;
  return run1(op_id, n, tensors, attrs, out, in_place);
}
bp_status_t bp_cat(uint32_t n, bp_tensor_t *const *tensors, int64_t dim, bp_tensor_t **out) {
  return join(BP_OP_CAT, n, tensors, dim, out, false);
}
bp_status_t bp_cat_out(uint32_t n, bp_tensor_t *const *tensors, int64_t dim, bp_tensor_t *out) {
  if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_cat: out is NULL");
  return join(BP_OP_CAT, n, tensors, dim, &out, true);
}
bp_status_t bp_stack(uint32_t n, bp_tensor_t *const *tensors, int64_t dim, bp_tensor_t **out) {
  return join(BP_OP_STACK, n, tensors, dim, out, false);
}
bp_status_t bp_stack_out(uint32_t n, bp_tensor_t *const *tensors, int64_t dim,
                         bp_tensor_t *out) {
  if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_stack: out is NULL");
  return join(BP_OP_STACK, n, tensors, dim, &out, true);
}
