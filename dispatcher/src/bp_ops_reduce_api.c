/* bp_ops_reduce_api.c - typed entry points of the reductions beyond sum
 * (declared in backplane/bp_ops_reduce2.h). */
#include <string.h>

#include "bp_op_catalog.h"

/* Runs op_id with catalog defaults, then the attrs the caller set. */
static bp_status_t run(uint32_t op_id, bp_tensor_t *x, bp_attr_t *attrs, bp_tensor_t **out0,
                       bp_tensor_t **out1) {
  const bp_op_def_t *def = bp_op_def(op_id);
  if (!out0 || (def->num_outputs > 1 && !out1))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: %s is NULL", def->name,
                   !out0 ? def->slot_names[1] : def->slot_names[2]);
  bp_tensor_t *results[2] = {NULL, NULL};
  bp_status_t s = bp_dispatch(op_id, 1, &x, attrs, def->num_outputs, results);
  if (s) return s;
  *out0 = results[0];
  if (def->num_outputs > 1) *out1 = results[1];
  return BP_STATUS_OK;
}

/* Defaults of op_id's attrs, with dim (list) and keepdim set when the op has
 * them under those names. */
static bp_status_t dims_attrs(uint32_t op_id, uint32_t num_dims, const int64_t *dims, int keepdim,
                              bp_attr_t *attrs) {
  const bp_op_def_t *def = bp_op_def(op_id);
  if (num_dims && !dims)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: dims is NULL but num_dims is %u",
                   def->name, num_dims);
  bp_op_default_attrs(def, attrs);
  for (int i = 0; i < def->num_attrs; ++i) {
    const char *n = def->attrs[i].name;
    if (def->attrs[i].type == BP_ATTR_INTS && !strcmp(n, "dim")) {
      attrs[i].count = num_dims;
      attrs[i].value.ints = dims;
    } else if (def->attrs[i].type == BP_ATTR_BOOL && !strcmp(n, "keepdim")) {
      attrs[i].value.b = keepdim != 0;
    }
  }
  return BP_STATUS_OK;
}

static bp_status_t dims_op(uint32_t op_id, bp_tensor_t *x, uint32_t num_dims, const int64_t *dims,
                           int keepdim, bp_tensor_t **out) {
  bp_attr_t attrs[BP_MAX_ATTRS];
  bp_status_t s = dims_attrs(op_id, num_dims, dims, keepdim, attrs);
  return s ? s : run(op_id, x, attrs, out, NULL);
}

bp_status_t bp_mean(bp_tensor_t *x, uint32_t num_dims, const int64_t *dims, int keepdim,
                    bp_tensor_t **out) {
  return dims_op(BP_OP_MEAN, x, num_dims, dims, keepdim, out);
}
bp_status_t bp_prod(bp_tensor_t *x, uint32_t num_dims, const int64_t *dims, int keepdim,
                    bp_tensor_t **out) {
  return dims_op(BP_OP_PROD, x, num_dims, dims, keepdim, out);
}
bp_status_t bp_amax(bp_tensor_t *x, uint32_t num_dims, const int64_t *dims, int keepdim,
                    bp_tensor_t **out) {
  return dims_op(BP_OP_AMAX, x, num_dims, dims, keepdim, out);
}
bp_status_t bp_amin(bp_tensor_t *x, uint32_t num_dims, const int64_t *dims, int keepdim,
                    bp_tensor_t **out) {
  return dims_op(BP_OP_AMIN, x, num_dims, dims, keepdim, out);
}
bp_status_t bp_logsumexp(bp_tensor_t *x, uint32_t num_dims, const int64_t *dims, int keepdim,
                         bp_tensor_t **out) {
  return dims_op(BP_OP_LOGSUMEXP, x, num_dims, dims, keepdim, out);
}
bp_status_t bp_all(bp_tensor_t *x, uint32_t num_dims, const int64_t *dims, int keepdim,
                   bp_tensor_t **out) {
  return dims_op(BP_OP_ALL, x, num_dims, dims, keepdim, out);
}
bp_status_t bp_any(bp_tensor_t *x, uint32_t num_dims, const int64_t *dims, int keepdim,
                   bp_tensor_t **out) {
  return dims_op(BP_OP_ANY, x, num_dims, dims, keepdim, out);
}

static bp_status_t max_dim(uint32_t op_id, bp_tensor_t *x, int64_t dim, int keepdim,
                           bp_tensor_t **values, bp_tensor_t **indices) {
  bp_attr_t attrs[BP_MAX_ATTRS];
  bp_op_default_attrs(bp_op_def(op_id), attrs);
  attrs[0].value.i = dim;
  attrs[1].value.b = keepdim != 0;
  return run(op_id, x, attrs, values, indices);
}
bp_status_t bp_max_dim(bp_tensor_t *x, int64_t dim, int keepdim, bp_tensor_t **values,
                       bp_tensor_t **indices) {
  return max_dim(BP_OP_MAX, x, dim, keepdim, values, indices);
}
bp_status_t bp_min_dim(bp_tensor_t *x, int64_t dim, int keepdim, bp_tensor_t **values,
                       bp_tensor_t **indices) {
  return max_dim(BP_OP_MIN, x, dim, keepdim, values, indices);
}

static bp_status_t argmax(uint32_t op_id, bp_tensor_t *x, int has_dim, int64_t dim, int keepdim,
                          bp_tensor_t **out) {
  bp_attr_t attrs[BP_MAX_ATTRS];
  bp_op_default_attrs(bp_op_def(op_id), attrs);
  attrs[0].value.i = dim;
  attrs[1].value.b = has_dim != 0;
  attrs[2].value.b = keepdim != 0;
  return run(op_id, x, attrs, out, NULL);
}
bp_status_t bp_argmax(bp_tensor_t *x, int has_dim, int64_t dim, int keepdim, bp_tensor_t **out) {
  return argmax(BP_OP_ARGMAX, x, has_dim, dim, keepdim, out);
}
bp_status_t bp_argmin(bp_tensor_t *x, int has_dim, int64_t dim, int keepdim, bp_tensor_t **out) {
  return argmax(BP_OP_ARGMIN, x, has_dim, dim, keepdim, out);
}

static bp_status_t var(uint32_t op_id, bp_tensor_t *x, uint32_t num_dims, const int64_t *dims,
                       int64_t correction, int keepdim, bp_tensor_t **out) {
  bp_attr_t attrs[BP_MAX_ATTRS];
  bp_status_t s = dims_attrs(op_id, num_dims, dims, keepdim, attrs);
  if (s) return s;
  attrs[1].value.i = correction;
  return run(op_id, x, attrs, out, NULL);
}
bp_status_t bp_var(bp_tensor_t *x, uint32_t num_dims, const int64_t *dims, int64_t correction,
                   int keepdim, bp_tensor_t **out) {
  return var(BP_OP_VAR, x, num_dims, dims, correction, keepdim, out);
}
bp_status_t bp_std(bp_tensor_t *x, uint32_t num_dims, const int64_t *dims, int64_t correction,
                   int keepdim, bp_tensor_t **out) {
  return var(BP_OP_STD, x, num_dims, dims, correction, keepdim, out);
}

bp_status_t bp_norm(bp_tensor_t *x, double p, uint32_t num_dims, const int64_t *dims, int keepdim,
                    bp_tensor_t **out) {
  bp_attr_t attrs[BP_MAX_ATTRS];
  bp_status_t s = dims_attrs(BP_OP_NORM, num_dims, dims, keepdim, attrs);
  if (s) return s;
  attrs[0].value.f = p;
  return run(BP_OP_NORM, x, attrs, out, NULL);
}

static bp_status_t scan(uint32_t op_id, bp_tensor_t *x, int64_t dim, bp_tensor_t **out) {
  bp_attr_t attrs[BP_MAX_ATTRS];
  bp_op_default_attrs(bp_op_def(op_id), attrs);
  attrs[0].value.i = dim;
  return run(op_id, x, attrs, out, NULL);
}
bp_status_t bp_cumsum(bp_tensor_t *x, int64_t dim, bp_tensor_t **out) {
  return scan(BP_OP_CUMSUM, x, dim, out);
}
bp_status_t bp_cumprod(bp_tensor_t *x, int64_t dim, bp_tensor_t **out) {
  return scan(BP_OP_CUMPROD, x, dim, out);
}
