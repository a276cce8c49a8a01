/* bp_ops_binary2_api.c - the typed entry points of bp_ops_binary2.h. */
#include "bp_op_catalog.h"

/* Runs a binary op with its default attributes, attrs[0] set to attr0 when
 * the op has one (alpha as a float, rounding_mode as an int). out: where a
 * new tensor goes (given == NULL), or given: the tensor to write. */
static bp_status_t run_binary(uint32_t op_id, bp_tensor_t *a, bp_tensor_t *b, double attr0,
                              bp_tensor_t **out, bp_tensor_t *given) {
  const bp_op_def_t *def = bp_op_def(op_id);
  if (!given && !out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: out is NULL", def->name);
  bp_attr_t attrs[BP_MAX_ATTRS];
  bp_op_default_attrs(def, attrs);
  if (def->num_attrs > 0) {
    if (attrs[0].type == BP_ATTR_FLOAT)
      attrs[0].value.f = attr0;
    else
      attrs[0].value.i = (int64_t)attr0;
  }
  bp_tensor_t *inputs[2] = {a, b};
  bp_tensor_t *result = given;
  bp_status_t s = bp_dispatch(op_id, 2, inputs, attrs, 1, &result);
  if (!s && !given) *out = result;
  return s;
}

static bp_status_t run_out(uint32_t op_id, bp_tensor_t *a, bp_tensor_t *b, double attr0,
                           bp_tensor_t *out, const char *slot) {
  if (!out)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: %s is NULL", bp_op_def(op_id)->name, slot);
  return run_binary(op_id, a, b, attr0, NULL, out);
}

bp_status_t bp_add_alpha(bp_tensor_t *a, bp_tensor_t *b, double alpha, bp_tensor_t **out) {
  return run_binary(BP_OP_ADD, a, b, alpha, out, NULL);
}
bp_status_t bp_add_alpha_out(bp_tensor_t *a, bp_tensor_t *b, double alpha, bp_tensor_t *out) {
  return run_out(BP_OP_ADD, a, b, alpha, out, "out");
}
bp_status_t bp_sub_alpha(bp_tensor_t *a, bp_tensor_t *b, double alpha, bp_tensor_t **out) {
  return run_binary(BP_OP_SUB, a, b, alpha, out, NULL);
}
bp_status_t bp_sub_alpha_out(bp_tensor_t *a, bp_tensor_t *b, double alpha, bp_tensor_t *out) {
  return run_out(BP_OP_SUB, a, b, alpha, out, "out");
}
bp_status_t bp_add_inplace(bp_tensor_t *a, bp_tensor_t *b) { return run_out(BP_OP_ADD, a, b, 1.0, a, "a"); }
bp_status_t bp_sub_inplace(bp_tensor_t *a, bp_tensor_t *b) { return run_out(BP_OP_SUB, a, b, 1.0, a, "a"); }
bp_status_t bp_mul_inplace(bp_tensor_t *a, bp_tensor_t *b) { return run_out(BP_OP_MUL, a, b, 0.0, a, "a"); }

bp_status_t bp_div_rounding(bp_tensor_t *a, bp_tensor_t *b, bp_rounding_mode_t mode,
                            bp_tensor_t **out) {
  return run_binary(BP_OP_DIV, a, b, (double)mode, out, NULL);
}
bp_status_t bp_div_rounding_out(bp_tensor_t *a, bp_tensor_t *b, bp_rounding_mode_t mode,
                                bp_tensor_t *out) {
  return run_out(BP_OP_DIV, a, b, (double)mode, out, "out");
}
bp_status_t bp_div_inplace(bp_tensor_t *a, bp_tensor_t *b, bp_rounding_mode_t mode) {
  return run_out(BP_OP_DIV, a, b, (double)mode, a, "a");
}

#define BP_BINARY2_DEFINE(op, ID)                                                   \
  bp_status_t bp_##op(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t **out) {         \
    return run_binary(BP_OP_##ID, a, b, 0.0, out, NULL);                           \
  }                                                                                 \
  bp_status_t bp_##op##_out(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t *out) {    \
    return run_out(BP_OP_##ID, a, b, 0.0, out, "out");                             \
  }
#define BP_BINARY2_DEFINE_INPLACE(op, ID)                                           \
  BP_BINARY2_DEFINE(op, ID)                                                         \
  bp_status_t bp_##op##_inplace(bp_tensor_t *a, bp_tensor_t *b) {                  \
    return run_out(BP_OP_##ID, a, b, 0.0, a, "a");                                 \
  }

BP_BINARY2_DEFINE_INPLACE(remainder, REMAINDER)
BP_BINARY2_DEFINE_INPLACE(pow, POW)
BP_BINARY2_DEFINE_INPLACE(atan2, ATAN2)
BP_BINARY2_DEFINE_INPLACE(bitwise_and, BITWISE_AND)
BP_BINARY2_DEFINE_INPLACE(bitwise_or, BITWISE_OR)
BP_BINARY2_DEFINE_INPLACE(bitwise_xor, BITWISE_XOR)
BP_BINARY2_DEFINE(maximum, MAXIMUM)
BP_BINARY2_DEFINE(minimum, MINIMUM)
BP_BINARY2_DEFINE(eq, EQ)
BP_BINARY2_DEFINE(ne, NE)
BP_BINARY2_DEFINE(lt, LT)
BP_BINARY2_DEFINE(le, LE)
BP_BINARY2_DEFINE(gt, GT)
BP_BINARY2_DEFINE(ge, GE)
BP_BINARY2_DEFINE(logical_and, LOGICAL_AND)
BP_BINARY2_DEFINE(logical_or, LOGICAL_OR)
BP_BINARY2_DEFINE(logical_xor, LOGICAL_XOR)
