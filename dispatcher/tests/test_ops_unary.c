/* The unary ops through the public API: dtype rules, attributes, the _out
 * and in-place forms, error messages. Expected values are written by hand. */
#include <math.h>
#include <stdint.h>

#include "test_helpers.h"

Test(unary_ops, float_functions_of_integers_give_f32) {
  int64_t s[1] = {3};
  int32_t di[3] = {0, 1, 4};
  bp_tensor_t *x = tensor_of(ref_device(), BP_DTYPE_I32, 1, s, di);
  bp_tensor_t *r = NULL, *e = NULL, *n = NULL;
  BP_CHECK(bp_sqrt(x, &r));
  cr_assert_eq(bp_tensor_dtype(r), BP_DTYPE_F32);
  float out[3];
  read_f32(r, out, 3);
  cr_assert(out[0] == 0.0f && out[1] == 1.0f && out[2] == 2.0f);
  BP_CHECK(bp_exp(x, &e));
  read_f32(e, out, 3);
  cr_assert(out[0] == 1.0f && out[1] == expf(1.0f));
  /* neg keeps the integer dtype */
  BP_CHECK(bp_neg(x, &n));
  cr_assert_eq(bp_tensor_dtype(n), BP_DTYPE_I32);
  int32_t ni[3];
  BP_CHECK(bp_tensor_copy_to_host(n, ni, sizeof ni));
  cr_assert(ni[0] == 0 && ni[1] == -1 && ni[2] == -4);
  bp_tensor_t *list[] = {x, r, e, n};
  for (int i = 0; i < 4; ++i) bp_tensor_release(list[i]);
}

Test(unary_ops, dtype_errors_name_the_op) {
  int64_t s[1] = {2};
  uint8_t db[2] = {1, 0};
  int32_t di[2] = {1, 2};
  bp_tensor_t *b = tensor_of(ref_device(), BP_DTYPE_BOOL, 1, s, db);
  bp_tensor_t *i = tensor_of(ref_device(), BP_DTYPE_I32, 1, s, di);
  bp_tensor_t *out = NULL;
  BP_CHECK_FAILS(bp_neg(b, &out), BP_STATUS_INVALID_ARGUMENT,
                 "bp_neg: x is bool; expected a numeric dtype");
  BP_CHECK_FAILS(bp_relu(b, &out), BP_STATUS_INVALID_ARGUMENT, "bp_relu: x is bool");
  BP_CHECK_FAILS(bp_leaky_relu(i, 0.01, &out), BP_STATUS_INVALID_ARGUMENT,
                 "bp_leaky_relu: x is i32; expected a float dtype");
  BP_CHECK_FAILS(bp_round(i, 1, &out), BP_STATUS_INVALID_ARGUMENT,
                 "bp_round: decimals is 1; integer tensors take only decimals 0");
  BP_CHECK_FAILS(bp_exp(NULL, &out), BP_STATUS_INVALID_ARGUMENT, "bp_exp: x is NULL");
  BP_CHECK_FAILS(bp_exp(i, NULL), BP_STATUS_INVALID_ARGUMENT, "bp_exp: out is NULL");
  BP_CHECK_FAILS(bp_relu_(NULL), BP_STATUS_INVALID_ARGUMENT, "bp_relu_: x is NULL");
  /* in place needs x to hold the result's dtype */
  BP_CHECK_FAILS(bp_exp_(i), BP_STATUS_INVALID_ARGUMENT, "bp_exp: out is i32 but the result is f32");
  cr_assert_null(out);
  /* predicates take every dtype */
  BP_CHECK(bp_logical_not(b, &out));
  cr_assert_eq(bp_tensor_dtype(out), BP_DTYPE_BOOL);
  uint8_t r[2];
  BP_CHECK(bp_tensor_copy_to_host(out, r, 2));
  cr_assert(r[0] == 0 && r[1] == 1);
  bp_tensor_release(out);
  bp_tensor_release(b);
  bp_tensor_release(i);
}

Test(unary_ops, gelu_and_clamp_attribute_checks) {
  int64_t s[1] = {2};
  float df[2] = {1.0f, -1.0f};
  bp_tensor_t *x = tensor_f32(ref_device(), 1, s, df);
  bp_tensor_t *out = NULL;
  BP_CHECK_FAILS(bp_gelu(x, 2, &out), BP_STATUS_INVALID_ARGUMENT,
                 "bp_gelu: approximate is 2; expected 0 ('none') or 1 ('tanh')");
  BP_CHECK_FAILS(bp_clamp(x, NULL, NULL, &out), BP_STATUS_INVALID_ARGUMENT,
                 "bp_clamp: at least one of min or max must be given");
  uint8_t du[2] = {3, 200};
  bp_tensor_t *u = tensor_of(ref_device(), BP_DTYPE_U8, 1, s, du);
  double big = 300.0, lo = 10.0, half = 2.5;
  BP_CHECK_FAILS(bp_clamp(u, &big, NULL, &out), BP_STATUS_INVALID_ARGUMENT,
                 "bp_clamp: min 300 cannot be converted to u8 without overflow");
  /* integral bounds keep u8; a non-integral one gives f32 */
  BP_CHECK(bp_clamp(u, &lo, NULL, &out));
  cr_assert_eq(bp_tensor_dtype(out), BP_DTYPE_U8);
  uint8_t r[2];
  BP_CHECK(bp_tensor_copy_to_host(out, r, 2));
  cr_assert(r[0] == 10 && r[1] == 200);
  bp_tensor_release(out);
  BP_CHECK(bp_clamp(u, NULL, &half, &out));
  cr_assert_eq(bp_tensor_dtype(out), BP_DTYPE_F32);
  float f[2];
  read_f32(out, f, 2);
  cr_assert(f[0] == 2.5f && f[1] == 2.5f);
  bp_tensor_release(out);
  /* bool with integral bounds becomes i64, as torch */
  uint8_t db[2] = {1, 0};
  bp_tensor_t *b = tensor_of(ref_device(), BP_DTYPE_BOOL, 1, s, db);
  double one = 1.0;
  BP_CHECK(bp_clamp(b, NULL, &one, &out));
  cr_assert_eq(bp_tensor_dtype(out), BP_DTYPE_I64);
  bp_tensor_release(out);
  bp_tensor_release(b);
  bp_tensor_release(u);
  bp_tensor_release(x);
}

Test(unary_ops, out_and_in_place_forms) {
  int64_t s[2] = {2, 3};
  float d[6] = {-1, 2, -3, 4, -5, 6};
  bp_tensor_t *x = tensor_f32(ref_device(), 2, s, d);
  /* _out into every other column of a 2x6 tensor */
  int64_t ws[2] = {2, 6};
  bp_tensor_t *wide = NULL, *view = NULL;
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_F32, 2, ws, &wide));
  BP_CHECK(bp_fill(wide, 7.0));
  BP_CHECK(bp_tensor_slice(wide, 1, 0, 6, 2, &view));
  BP_CHECK(bp_abs_out(x, view));
  float w[12];
  read_f32(wide, w, 12);
  const float want[12] = {1, 7, 2, 7, 3, 7, 4, 7, 5, 7, 6, 7};
  for (int i = 0; i < 12; ++i) cr_assert_eq(w[i], want[i], "w[%d] = %g", i, w[i]);
  /* in place */
  BP_CHECK(bp_relu_(x));
  float r[6];
  read_f32(x, r, 6);
  const float wr[6] = {0, 2, 0, 4, 0, 6};
  for (int i = 0; i < 6; ++i) cr_assert_eq(r[i], wr[i]);
  double lo = 1.0, hi = 3.0;
  BP_CHECK(bp_clamp_(x, &lo, &hi));
  read_f32(x, r, 6);
  const float wc[6] = {1, 2, 1, 3, 1, 3};
  for (int i = 0; i < 6; ++i) cr_assert_eq(r[i], wc[i]);
  BP_CHECK(bp_ln_(x));
  read_f32(x, r, 6);
  cr_assert(r[0] == 0.0f && r[1] == logf(2.0f));
  bp_tensor_release(view);
  bp_tensor_release(wide);
  bp_tensor_release(x);
}

Test(unary_ops, generic_op_run_with_named_attrs) {
  uint32_t id = 0;
  BP_CHECK(bp_op_find("softplus", &id));
  int64_t s[1] = {2};
  double d[2] = {1.0, 30.0};
  bp_tensor_t *x = tensor_of(ref_device(), BP_DTYPE_F64, 1, s, d);
  bp_attr_t beta = {.struct_size = sizeof(bp_attr_t), .type = BP_ATTR_INT, .name = "beta",
                    .count = 1, .value.i = 2};
  bp_tensor_t *out[1] = {NULL};
  BP_CHECK(bp_op_run(id, 1, &x, 1, &beta, 1, out));
  double r[2];
  BP_CHECK(bp_tensor_copy_to_host(out[0], r, sizeof r));
  cr_assert(fabs(r[0] - log1p(exp(2.0)) / 2.0) < 1e-15 && r[1] == 30.0);
  bp_tensor_release(out[0]);
  bp_tensor_release(x);
}
