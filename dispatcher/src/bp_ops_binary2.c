/* bp_ops_binary2.c - catalog entries of the binary elementwise ops beyond
 * add/sub/mul/div: remainder, pow, maximum, minimum, atan2, the comparisons,
 * the logical and the bitwise ops. Every one broadcasts and promotes with
 * PyTorch's result_type (wrapped scalars and 0-dim tensors included). */
#include <string.h>

#include "bp_op_catalog.h"
#include "bp_op_util.h"
#include "bp_op_util_binary.h"

/* True when t is a wrapped integer scalar (bp_tensor_create_scalar_int)
 * holding a negative value. */
static bool is_negative_int_scalar(bp_tensor_t *t) {
  if (!t->wrapped_number || !bp_dtype_is_integer(t->dtype) || t->dtype == BP_DTYPE_U8) return false;
  union {
    int8_t i8;
    int32_t i32;
    int64_t i64;
  } v;
  memset(&v, 0, sizeof(v));
  if (bp_tensor_copy_to_host(t, &v, bp_dtype_size(t->dtype)) != BP_STATUS_OK) return false;
  switch (t->dtype) {
    case BP_DTYPE_I8: return v.i8 < 0;
    case BP_DTYPE_I32: return v.i32 < 0;
    default: return v.i64 < 0;
  }
}

/* remainder, pow: numeric result_type (not bool); half results with mixed
 * operands compute in f32. */
static bp_status_t infer_arith(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                               bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)attrs;
  (void)out;
  bp_dtype_t dt = bp_result_type(2, in);
  if (dt == BP_DTYPE_BOOL)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: a and b are bool; expected a numeric dtype (cast to an integer "
                   "dtype first)", def->name);
  /* torch.pow(Tensor, Scalar) refuses a negative integer scalar exponent
   * of an integral base; a tensor exponent gives 0, 1 or -1 instead. */
  if (def == bp_op_def(BP_OP_POW) && !bp_dtype_is_float(dt) &&
      (bp_dtype_is_integer(in[0]->dtype) || in[0]->dtype == BP_DTYPE_BOOL) &&
      is_negative_int_scalar(in[1]))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_pow: b is a negative integer scalar and a is %s: integers to negative "
                   "integer powers are not allowed (use a float exponent)",
                   bp_dtype_name(in[0]->dtype));
  bp_status_t status = bp_binary_plan(def, in, dt, dt, plan);
  if (status) return status;
  bp_binary_half_opmath(in, dt, plan);
  return BP_STATUS_OK;
}

/* atan2: floating result_type; integers and bool give f32. */
static bp_status_t infer_float_op(const bp_op_def_t *def, bp_tensor_t *const *in,
                                  bp_attr_t *attrs, bp_tensor_t *const *out,
                                  bp_op_plan_t *plan) {
  (void)attrs;
  (void)out;
  bp_dtype_t dt = bp_result_type(2, in);
  if (!bp_dtype_is_float(dt)) dt = BP_DTYPE_F32;
  bp_status_t status = bp_binary_plan(def, in, dt, dt, plan);
  if (status) return status;
  bp_binary_half_opmath(in, dt, plan);
  return BP_STATUS_OK;
}

/* maximum, minimum: result_type, computed in it (exact for every dtype). */
static bp_status_t infer_same(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                              bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)attrs;
  (void)out;
  bp_dtype_t dt = bp_result_type(2, in);
  return bp_binary_plan(def, in, dt, dt, plan);
}

/* Comparisons and logical ops: both operands cast to result_type (so an
 * i32 tensor compares with 2.5 in f32, and a u8 tensor with -1 as 255),
 * output bool. */
static bp_status_t infer_to_bool(const bp_op_def_t *def, bp_tensor_t *const *in,
                                 bp_attr_t *attrs, bp_tensor_t *const *out,
                                 bp_op_plan_t *plan) {
  (void)attrs;
  (void)out;
  return bp_binary_plan(def, in, bp_result_type(2, in), BP_DTYPE_BOOL, plan);
}

/* Bitwise ops: result_type, which must be bool or an integer. */
static bp_status_t infer_bitwise(const bp_op_def_t *def, bp_tensor_t *const *in,
                                 bp_attr_t *attrs, bp_tensor_t *const *out,
                                 bp_op_plan_t *plan) {
  (void)attrs;
  (void)out;
  bp_dtype_t dt = bp_result_type(2, in);
  if (bp_dtype_is_float(dt))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: a (%s) and b (%s) promote to %s; expected bool or integer operands",
                   def->name, bp_dtype_name(in[0]->dtype), bp_dtype_name(in[1]->dtype),
                   bp_dtype_name(dt));
  return bp_binary_plan(def, in, dt, dt, plan);
}

static bool sig_numeric(const bp_dtype_t *d) {
  return bp_dtype_is_valid(d[0]) && d[0] != BP_DTYPE_BOOL && bp_dtypes_all_same(d, 3);
}
static bool sig_any(const bp_dtype_t *d) { return bp_dtype_is_valid(d[0]) && bp_dtypes_all_same(d, 3); }
static bool sig_float(const bp_dtype_t *d) { return bp_dtype_is_float(d[0]) && bp_dtypes_all_same(d, 3); }
static bool sig_to_bool(const bp_dtype_t *d) {
  return bp_dtype_is_valid(d[0]) && d[1] == d[0] && d[2] == BP_DTYPE_BOOL;
}
static bool sig_bitwise(const bp_dtype_t *d) {
  return (d[0] == BP_DTYPE_BOOL || bp_dtype_is_integer(d[0])) && bp_dtypes_all_same(d, 3);
}

#define BINARY2_DEF(sym, summary_, rule, infer_, sig)                                      \
  const bp_op_def_t bp_op_def_##sym = {                                                    \
      .name = #sym, .summary = summary_, .dtype_rule = rule, .num_inputs = 2,              \
      .num_outputs = 1, .differentiable = DIFFERENTIABLE, .form = BP_FORM_ELEMENTWISE,     \
      .slot_names = {"a", "b", "out"}, .num_attrs = 0, .infer = infer_, .signature_ok = sig}

#define DIFFERENTIABLE true
BINARY2_DEF(remainder,
            "out = a - floor(a / b) * b, with the sign of b (torch.remainder, Python's %).",
            "result_type(a, b); not bool; integer division by zero is an error", infer_arith,
            sig_numeric);
BINARY2_DEF(pow, "out = a ** b (torch.pow); 0 ** 0 = 1.",
            "result_type(a, b); not bool; integer a with a negative integer scalar b is an "
            "error, a negative tensor exponent gives 0 (or 1, -1 for a = 1, -1)",
            infer_arith, sig_numeric);
BINARY2_DEF(maximum, "out = max(a, b) elementwise; NaN propagates (torch.maximum).",
            "result_type(a, b)", infer_same, sig_any);
BINARY2_DEF(minimum, "out = min(a, b) elementwise; NaN propagates (torch.minimum).",
            "result_type(a, b)", infer_same, sig_any);
BINARY2_DEF(atan2, "out = atan2(a, b), the angle of (b, a) (torch.atan2).",
            "result_type(a, b); bool and integers give f32", infer_float_op, sig_float);
#undef DIFFERENTIABLE

#define DIFFERENTIABLE false
#define CMP_RULE "bool; compares in result_type(a, b)"
BINARY2_DEF(eq, "out = a == b (torch.eq).", CMP_RULE, infer_to_bool, sig_to_bool);
BINARY2_DEF(ne, "out = a != b (torch.ne); NaN != anything.", CMP_RULE, infer_to_bool, sig_to_bool);
BINARY2_DEF(lt, "out = a < b (torch.lt).", CMP_RULE, infer_to_bool, sig_to_bool);
BINARY2_DEF(le, "out = a <= b (torch.le).", CMP_RULE, infer_to_bool, sig_to_bool);
BINARY2_DEF(gt, "out = a > b (torch.gt).", CMP_RULE, infer_to_bool, sig_to_bool);
BINARY2_DEF(ge, "out = a >= b (torch.ge).", CMP_RULE, infer_to_bool, sig_to_bool);
#undef CMP_RULE
#define LOGICAL_RULE "bool; operands cast to result_type(a, b), nonzero (and NaN) is true"
BINARY2_DEF(logical_and, "out = (a != 0) and (b != 0) (torch.logical_and).", LOGICAL_RULE,
            infer_to_bool, sig_to_bool);
BINARY2_DEF(logical_or, "out = (a != 0) or (b != 0) (torch.logical_or).", LOGICAL_RULE,
            infer_to_bool, sig_to_bool);
BINARY2_DEF(logical_xor, "out = (a != 0) xor (b != 0) (torch.logical_xor).", LOGICAL_RULE,
            infer_to_bool, sig_to_bool);
#undef LOGICAL_RULE
#define BITWISE_RULE "result_type(a, b); bool or integer only"
BINARY2_DEF(bitwise_and, "out = a & b (torch.bitwise_and).", BITWISE_RULE, infer_bitwise,
            sig_bitwise);
BINARY2_DEF(bitwise_or, "out = a | b (torch.bitwise_or).", BITWISE_RULE, infer_bitwise,
            sig_bitwise);
BINARY2_DEF(bitwise_xor, "out = a ^ b (torch.bitwise_xor).", BITWISE_RULE, infer_bitwise,
            sig_bitwise);
#undef BITWISE_RULE
#undef DIFFERENTIABLE
