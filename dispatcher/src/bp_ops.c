/* bp_ops.c - the public op entry points: bp_op_run and the typed ones. */
#include <string.h>

#include "bp_op_catalog.h"

static const char *attr_type_name(bp_attr_type_t t) {
  switch (t) {
    case BP_ATTR_INT: return "int";
    case BP_ATTR_INTS: return "int list";
    case BP_ATTR_FLOAT: return "float";
    case BP_ATTR_BOOL: return "bool";
    case BP_ATTR_DTYPE: return "dtype";
    default: return "none";
  }
}

/* Resolves caller attributes (any subset, by name) into catalog order. */
static bp_status_t resolve_attrs(const bp_op_def_t *def, uint32_t num_attrs,
                                 const bp_attr_t *attrs, bp_attr_t *out) {
  bp_op_default_attrs(def, out);
  if (num_attrs && !attrs)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: attrs is NULL but num_attrs is %u",
                   def->name, num_attrs);
  for (uint32_t i = 0; i < num_attrs; ++i) {
    const bp_attr_t *a = &attrs[i];
    if (!a->name)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: attrs[%u].name is NULL", def->name, i);
    uint32_t j = 0;
    while (j < def->num_attrs && strcmp(def->attrs[j].name, a->name)) ++j;
    if (j == def->num_attrs)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: no attribute named '%s' (see `bp ops`)",
                     def->name, a->name);
    bp_attr_t *r = &out[j];
    bp_attr_type_t want = def->attrs[j].type;
    if (a->type == want) {
      r->value = a->value;
      r->count = a->type == BP_ATTR_INTS ? a->count : 1;
      if (a->type == BP_ATTR_INTS && a->count && !a->value.ints)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: attribute %s has %u ints but no array",
                       def->name, a->name, a->count);
    } else if (want == BP_ATTR_FLOAT && a->type == BP_ATTR_INT) {
      r->value.f = (double)a->value.i;
    } else {
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: attribute %s is a %s, got a %s",
                     def->name, a->name, attr_type_name(want), attr_type_name(a->type));
    }
  }
  return BP_STATUS_OK;
}

bp_status_t bp_op_run(uint32_t op_id, uint32_t num_inputs, bp_tensor_t *const *inputs,
                      uint32_t num_attrs, const bp_attr_t *attrs, uint32_t num_outputs,
                      bp_tensor_t **outputs) {
  if (op_id >= BP_OP_COUNT)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_op_run: op_id %u out of range (expected < %u)",
                   op_id, (unsigned)BP_OP_COUNT);
  const bp_op_def_t *def = bp_op_def(op_id);
  if (num_inputs && !inputs)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: inputs is NULL", def->name);
  if (!outputs) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: outputs is NULL", def->name);
  bp_attr_t resolved[BP_MAX_ATTRS];
  bp_status_t s = resolve_attrs(def, num_attrs, attrs, resolved);
  if (s) return s;
  return bp_dispatch(op_id, num_inputs, inputs, resolved, num_outputs, outputs);
}

bp_status_t bp_op_query_mutated_inputs(uint32_t op_id, uint32_t num_attrs, const bp_attr_t *attrs,
                                       uint32_t *out_mask) {
  if (op_id >= BP_OP_COUNT)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_op_query_mutated_inputs: op_id %u out of range (expected < %u)", op_id,
                   (unsigned)BP_OP_COUNT);
  if (!out_mask) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_op_query_mutated_inputs: out_mask is NULL");
  const bp_op_def_t *def = bp_op_def(op_id);
  bp_attr_t resolved[BP_MAX_ATTRS];
  bp_status_t s = resolve_attrs(def, num_attrs, attrs, resolved);
  if (s) return s;
  *out_mask = def->mutates ? def->mutates(resolved) : 0u;
  return BP_STATUS_OK;
}

/* ---- typed entry points ---- */

static bp_status_t run_fill(bp_tensor_t *tensor, double value, int64_t value_int) {
  if (!tensor) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_fill: tensor is NULL");
  bp_attr_t attrs[2];
  bp_op_default_attrs(bp_op_def(BP_OP_FILL), attrs);
  attrs[0].value.f = value;
  attrs[1].value.i = value_int;
  return bp_dispatch(BP_OP_FILL, 0, NULL, attrs, 1, &tensor);
}

bp_status_t bp_fill(bp_tensor_t *tensor, double value) {
  /* Integer dtypes take the value truncated toward zero, as torch does; one
   * outside int64 (or NaN) cannot be converted. */
  bool in_range = value >= -9223372036854775808.0 && value < 9223372036854775808.0;
  if (tensor && !in_range && tensor->dtype != BP_DTYPE_BOOL &&
      !(tensor->dtype >= BP_DTYPE_F16 && tensor->dtype <= BP_DTYPE_F64))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_fill: value %g cannot be converted to %s without overflow", value,
                   bp_dtype_name(tensor->dtype));
  return run_fill(tensor, value, in_range ? (int64_t)value : 0);
}

bp_status_t bp_fill_int(bp_tensor_t *tensor, int64_t value) {
  return run_fill(tensor, (double)value, value);
}

bp_status_t bp_copy(bp_tensor_t *dst, bp_tensor_t *src) {
  if (!dst) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_copy: dst is NULL");
  if (!src) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_copy: src is NULL");
  return bp_dispatch(BP_OP_COPY, 1, &src, NULL, 1, &dst);
}

static bp_status_t binary(uint32_t op_id, bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t **out,
                          bool in_place_out) {
  const bp_op_def_t *def = bp_op_def(op_id);
  if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: out is NULL", def->name);
  bp_attr_t attrs[BP_MAX_ATTRS];
  bp_op_default_attrs(def, attrs);
  bp_tensor_t *inputs[2] = {a, b};
  bp_tensor_t *result = in_place_out ? *out : NULL;
  bp_status_t s = bp_dispatch(op_id, 2, inputs, attrs, 1, &result);
  if (!s && !in_place_out) *out = result;
  return s;
}

bp_status_t bp_add(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t **out) {
  return binary(BP_OP_ADD, a, b, out, false);
}
bp_status_t bp_add_out(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t *out) {
  if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_add: out is NULL");
  return binary(BP_OP_ADD, a, b, &out, true);
}
bp_status_t bp_sub(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t **out) {
  return binary(BP_OP_SUB, a, b, out, false);
}
bp_status_t bp_sub_out(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t *out) {
  if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_sub: out is NULL");
  return binary(BP_OP_SUB, a, b, &out, true);
}
bp_status_t bp_mul(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t **out) {
  return binary(BP_OP_MUL, a, b, out, false);
}
bp_status_t bp_mul_out(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t *out) {
  if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_mul: out is NULL");
  return binary(BP_OP_MUL, a, b, &out, true);
}
bp_status_t bp_div(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t **out) {
  return binary(BP_OP_DIV, a, b, out, false);
}
bp_status_t bp_div_out(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t *out) {
  if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_div: out is NULL");
  return binary(BP_OP_DIV, a, b, &out, true);
}
bp_status_t bp_matmul(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t **out) {
  return binary(BP_OP_MATMUL, a, b, out, false);
}
bp_status_t bp_matmul_out(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t *out) {
  if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_matmul: out is NULL");
  return binary(BP_OP_MATMUL, a, b, &out, true);
}

bp_status_t bp_sum(bp_tensor_t *x, uint32_t num_dims, const int64_t *dims, int keepdim,
                   bp_tensor_t **out) {
  if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_sum: out is NULL");
  if (num_dims && !dims)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_sum: dims is NULL but num_dims is %u", num_dims);
  const bp_op_def_t *def = bp_op_def(BP_OP_SUM);
  bp_attr_t attrs[BP_MAX_ATTRS];
  bp_op_default_attrs(def, attrs);
  attrs[0].count = num_dims;
  attrs[0].value.ints = dims;
  attrs[1].value.b = keepdim != 0;
  bp_tensor_t *result = NULL;
  bp_status_t s = bp_dispatch(BP_OP_SUM, 1, &x, attrs, 1, &result);
  if (!s) *out = result;
  return s;
}
