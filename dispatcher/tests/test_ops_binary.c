/* test_ops_binary.c - the binary family through the public API: dtype
 * promotion with scalars and 0-dim tensors, div's rounding modes, errors
 * and their messages, _out and in-place forms. */
#include <math.h>

#include "test_helpers.h"

static bp_tensor_t *i32_tensor(int32_t ndim, const int64_t *shape, const int32_t *v) {
  return tensor_of(ref_device(), BP_DTYPE_I32, ndim, shape, v);
}
static bp_tensor_t *scalar_f(double v) {
  bp_tensor_t *t = NULL;
  BP_CHECK(bp_tensor_create_scalar(v, &t));
  return t;
}
static bp_tensor_t *scalar_i(int64_t v) {
  bp_tensor_t *t = NULL;
  BP_CHECK(bp_tensor_create_scalar_int(v, &t));
  return t;
}
static uint32_t op_id(const char *name) {
  uint32_t id = 0;
  BP_CHECK(bp_op_find(name, &id));
  return id;
}

Test(ops_binary, div_rounding_modes_keep_integer_dtype) {
  const int64_t s[1] = {4};
  const int32_t av[4] = {7, -7, 7, -7}, bv[4] = {2, 2, -2, -2};
  bp_tensor_t *a = i32_tensor(1, s, av), *b = i32_tensor(1, s, bv), *t = NULL, *f = NULL, *d = NULL;
  BP_CHECK(bp_div_rounding(a, b, BP_ROUNDING_TRUNC, &t));
  BP_CHECK(bp_div_rounding(a, b, BP_ROUNDING_FLOOR, &f));
  BP_CHECK(bp_div_rounding(a, b, BP_ROUNDING_NONE, &d));
  cr_assert_eq(bp_tensor_dtype(t), BP_DTYPE_I32);
  cr_assert_eq(bp_tensor_dtype(f), BP_DTYPE_I32);
  cr_assert_eq(bp_tensor_dtype(d), BP_DTYPE_F32);
  int32_t tv[4], fv[4];
  float dv[4];
  BP_CHECK(bp_tensor_copy_to_host(t, tv, sizeof tv));
  BP_CHECK(bp_tensor_copy_to_host(f, fv, sizeof fv));
  read_f32(d, dv, 4);
  cr_assert(tv[0] == 3 && tv[1] == -3 && tv[2] == -3 && tv[3] == 3);
  cr_assert(fv[0] == 3 && fv[1] == -4 && fv[2] == -4 && fv[3] == 3);
  cr_assert(dv[0] == 3.5f && dv[1] == -3.5f);
  /* through bp_op_run with the attribute by name; a float scalar divisor
   * gives the default float dtype */
  bp_tensor_t *half = scalar_f(2.0), *in[2] = {a, half}, *out[1] = {NULL};
  bp_attr_t mode = {.name = "rounding_mode", .type = BP_ATTR_INT, .value.i = 2};
  BP_CHECK(bp_op_run(op_id("div"), 2, in, 1, &mode, 1, out));
  cr_assert_eq(bp_tensor_dtype(out[0]), BP_DTYPE_F32);
  float ov[4];
  read_f32(out[0], ov, 4);
  cr_assert(ov[0] == 3.0f && ov[1] == -4.0f);
  mode.value.i = 3;
  bp_tensor_t *bad[1] = {NULL};
  BP_CHECK_FAILS(bp_op_run(op_id("div"), 2, in, 1, &mode, 1, bad), BP_STATUS_INVALID_ARGUMENT,
                 "bp_div: rounding_mode 3 is not 0 (none), 1 (trunc) or 2 (floor)");
  bp_tensor_t *list[] = {a, b, t, f, d, half, out[0]};
  for (size_t k = 0; k < sizeof list / sizeof list[0]; ++k) bp_tensor_release(list[k]);
}

Test(ops_binary, integer_division_by_zero_is_invalid_argument) {
  const int64_t s[1] = {3};
  const int32_t av[3] = {1, 2, 3}, bv[3] = {1, 0, 1};
  bp_tensor_t *a = i32_tensor(1, s, av), *b = i32_tensor(1, s, bv), *r = NULL;
  BP_CHECK_FAILS(bp_div_rounding(a, b, BP_ROUNDING_FLOOR, &r), BP_STATUS_INVALID_ARGUMENT,
                 "bp_div: integer division by zero");
  cr_assert_null(r);
  BP_CHECK_FAILS(bp_remainder(a, b, &r), BP_STATUS_INVALID_ARGUMENT,
                 "bp_remainder: integer division by zero");
  bp_tensor_t *zero = scalar_i(0);
  BP_CHECK_FAILS(bp_remainder(a, zero, &r), BP_STATUS_INVALID_ARGUMENT,
                 "bp_remainder: integer division by zero");
  /* true division of integers is float division: 2 / 0 = inf */
  BP_CHECK(bp_div(a, b, &r));
  float v[3];
  read_f32(r, v, 3);
  cr_assert(v[0] == 1.0f && v[1] == INFINITY);
  bp_tensor_release(r);
  /* INT_MIN / -1 wraps */
  const int32_t mv[1] = {INT32_MIN};
  const int64_t s1[1] = {1};
  bp_tensor_t *m = i32_tensor(1, s1, mv), *neg = scalar_i(-1), *q = NULL, *rem = NULL;
  BP_CHECK(bp_div_rounding(m, neg, BP_ROUNDING_TRUNC, &q));
  BP_CHECK(bp_remainder(m, neg, &rem));
  int32_t qv, rv;
  BP_CHECK(bp_tensor_copy_to_host(q, &qv, sizeof qv));
  BP_CHECK(bp_tensor_copy_to_host(rem, &rv, sizeof rv));
  cr_assert(qv == INT32_MIN && rv == 0);
  bp_tensor_t *list[] = {a, b, zero, m, neg, q, rem};
  for (size_t k = 0; k < sizeof list / sizeof list[0]; ++k) bp_tensor_release(list[k]);
}

Test(ops_binary, scalar_and_zero_dim_promotion) {
  const int64_t s[1] = {2};
  const int32_t iv[2] = {1, 3};
  const uint16_t hv[2] = {0x3c00, 0x4000}; /* f16 1, 2 */
  bp_tensor_t *ti = i32_tensor(1, s, iv), *th = tensor_of(ref_device(), BP_DTYPE_F16, 1, s, hv);
  bp_tensor_t *f = scalar_f(2.5), *i = scalar_i(2), *r = NULL;
  double z = 2.0;
  bp_tensor_t *zd = tensor_of(ref_device(), BP_DTYPE_F64, 0, NULL, &z);
  /* i32 < 2.5 compares in f32: [1 < 2.5, 3 < 2.5] */
  BP_CHECK(bp_lt(ti, f, &r));
  cr_assert_eq(bp_tensor_dtype(r), BP_DTYPE_BOOL);
  uint8_t bv[2];
  BP_CHECK(bp_tensor_copy_to_host(r, bv, 2));
  cr_assert(bv[0] == 1 && bv[1] == 0);
  bp_tensor_release(r);
  /* eq with 2.5 is false for every integer (not 2 == 2) */
  const int32_t twos[2] = {2, 3};
  bp_tensor_t *t2 = i32_tensor(1, s, twos);
  BP_CHECK(bp_eq(t2, f, &r));
  BP_CHECK(bp_tensor_copy_to_host(r, bv, 2));
  cr_assert(bv[0] == 0 && bv[1] == 0);
  bp_tensor_release(r);
  struct {
    bp_status_t (*fn)(bp_tensor_t *, bp_tensor_t *, bp_tensor_t **);
    bp_tensor_t *a, *b;
    bp_dtype_t want;
  } cases[] = {
      {bp_pow, th, f, BP_DTYPE_F16},        /* f16 tensor ** double scalar stays f16 */
      {bp_pow, ti, i, BP_DTYPE_I32},        /* i32 ** int scalar stays i32 */
      {bp_pow, ti, f, BP_DTYPE_F32},        /* i32 ** float scalar: default f32 */
      {bp_pow, ti, zd, BP_DTYPE_F64},       /* i32 ** 0-dim f64: f64 */
      {bp_remainder, th, zd, BP_DTYPE_F16}, /* 0-dim of the same category does not widen */
      {bp_maximum, ti, f, BP_DTYPE_F32},
      {bp_minimum, ti, zd, BP_DTYPE_F64},
      {bp_atan2, ti, i, BP_DTYPE_F32},      /* integers give f32 */
      {bp_atan2, ti, zd, BP_DTYPE_F64},
      {bp_logical_xor, th, zd, BP_DTYPE_BOOL},
      {bp_bitwise_or, ti, i, BP_DTYPE_I32},
      {bp_ge, th, zd, BP_DTYPE_BOOL},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
    BP_CHECK(cases[k].fn(cases[k].a, cases[k].b, &r));
    cr_assert_eq(bp_tensor_dtype(r), cases[k].want, "case %zu: %s", k, bp_dtype_name(bp_tensor_dtype(r)));
    bp_tensor_release(r);
  }
  /* f16 ** 2.5 computes in f32 and rounds once: 2 ** 2.5 = 5.657 -> f16 0x45a8 */
  BP_CHECK(bp_pow(th, f, &r));
  uint16_t hr[2];
  BP_CHECK(bp_tensor_copy_to_host(r, hr, sizeof hr));
  cr_assert(hr[0] == 0x3c00 && hr[1] == 0x45a8, "%04x %04x", hr[0], hr[1]);
  bp_tensor_release(r);
  bp_tensor_t *list[] = {ti, th, f, i, zd, t2};
  for (size_t k = 0; k < sizeof list / sizeof list[0]; ++k) bp_tensor_release(list[k]);
}

Test(ops_binary, dtype_errors_name_op_and_operands) {
  const int64_t s[1] = {2};
  const float fv[2] = {1, 2};
  const int32_t iv[2] = {2, 3};
  const uint8_t bv[2] = {1, 0};
  bp_tensor_t *tf = tensor_f32(ref_device(), 1, s, fv), *ti = i32_tensor(1, s, iv);
  bp_tensor_t *tb = tensor_of(ref_device(), BP_DTYPE_BOOL, 1, s, bv), *r = NULL;
  bp_tensor_t *neg = scalar_i(-2), *fneg = scalar_f(-2.0);
  BP_CHECK_FAILS(bp_bitwise_and(tf, ti, &r), BP_STATUS_INVALID_ARGUMENT,
                 "bp_bitwise_and: a (f32) and b (i32) promote to f32; expected bool or integer");
  BP_CHECK_FAILS(bp_bitwise_xor(ti, fneg, &r), BP_STATUS_INVALID_ARGUMENT, "bp_bitwise_xor:");
  BP_CHECK_FAILS(bp_remainder(tb, tb, &r), BP_STATUS_INVALID_ARGUMENT,
                 "bp_remainder: a and b are bool; expected a numeric dtype");
  BP_CHECK_FAILS(bp_pow(tb, tb, &r), BP_STATUS_INVALID_ARGUMENT, "bp_pow: a and b are bool");
  BP_CHECK_FAILS(bp_div_rounding(tb, tb, BP_ROUNDING_TRUNC, &r), BP_STATUS_INVALID_ARGUMENT,
                 "bp_div: rounding_mode trunc is not supported for bool tensors");
  /* integer ** negative integer scalar: torch's error; a float exponent or
   * a tensor exponent is fine */
  BP_CHECK_FAILS(bp_pow(ti, neg, &r), BP_STATUS_INVALID_ARGUMENT,
                 "integers to negative integer powers are not allowed");
  BP_CHECK_FAILS(bp_pow(tb, neg, &r), BP_STATUS_INVALID_ARGUMENT, "bp_pow: b is a negative");
  BP_CHECK(bp_pow(ti, fneg, &r));
  cr_assert_eq(bp_tensor_dtype(r), BP_DTYPE_F32);
  bp_tensor_release(r);
  const int32_t ev[2] = {-1, -2};
  bp_tensor_t *te = i32_tensor(1, s, ev);
  BP_CHECK(bp_pow(ti, te, &r)); /* 2 ** -1 = 0, 3 ** -2 = 0 */
  int32_t pv[2];
  BP_CHECK(bp_tensor_copy_to_host(r, pv, sizeof pv));
  cr_assert(pv[0] == 0 && pv[1] == 0);
  bp_tensor_release(r);
  BP_CHECK(bp_pow(tf, neg, &r)); /* f32 ** -2 */
  float fr[2];
  read_f32(r, fr, 2);
  cr_assert(fr[0] == 1.0f && fr[1] == 0.25f);
  bp_tensor_release(r);
  /* broadcasting errors name the op */
  const int64_t s3[1] = {3};
  const int32_t v3[3] = {1, 2, 3};
  bp_tensor_t *t3 = i32_tensor(1, s3, v3);
  BP_CHECK_FAILS(bp_maximum(ti, t3, &r), BP_STATUS_INVALID_ARGUMENT,
                 "bp_maximum: shapes [2] and [3] cannot broadcast");
  BP_CHECK_FAILS(bp_eq(ti, NULL, &r), BP_STATUS_INVALID_ARGUMENT, "bp_eq: b is NULL");
  BP_CHECK_FAILS(bp_eq(ti, ti, NULL), BP_STATUS_INVALID_ARGUMENT, "bp_eq: out is NULL");
  bp_tensor_t *list[] = {tf, ti, tb, neg, fneg, te, t3};
  for (size_t k = 0; k < sizeof list / sizeof list[0]; ++k) bp_tensor_release(list[k]);
}

Test(ops_binary, out_and_inplace_forms) {
  const int64_t s[2] = {2, 3}, srow[1] = {3};
  const int32_t av[6] = {1, 2, 3, 4, 5, 6}, bv[3] = {2, 3, 4};
  bp_tensor_t *a = i32_tensor(2, s, av), *b = i32_tensor(1, srow, bv);
  /* in place: a = a ** b (b broadcast over rows) */
  BP_CHECK(bp_pow_inplace(a, b));
  int32_t got[6];
  BP_CHECK(bp_tensor_copy_to_host(a, got, sizeof got));
  const int32_t want[6] = {1, 8, 81, 16, 125, 1296};
  for (int k = 0; k < 6; ++k) cr_assert_eq(got[k], want[k], "k=%d: %d", k, got[k]);
  BP_CHECK(bp_remainder_inplace(a, b)); /* [1 % 2, 8 % 3, 81 % 4, 16 % 2, 125 % 3, 1296 % 4] */
  BP_CHECK(bp_tensor_copy_to_host(a, got, sizeof got));
  cr_assert(got[0] == 1 && got[1] == 2 && got[2] == 1 && got[3] == 0 && got[4] == 2 && got[5] == 0);
  BP_CHECK(bp_bitwise_or_inplace(a, b));
  BP_CHECK(bp_tensor_copy_to_host(a, got, sizeof got));
  cr_assert(got[0] == 3 && got[1] == 3 && got[2] == 5 && got[3] == 2 && got[4] == 3 && got[5] == 4);
  BP_CHECK(bp_div_inplace(a, b, BP_ROUNDING_FLOOR));
  BP_CHECK(bp_tensor_copy_to_host(a, got, sizeof got));
  cr_assert(got[0] == 1 && got[1] == 1 && got[2] == 1 && got[3] == 1 && got[4] == 1 && got[5] == 1);
  /* true division in place into an i32 tensor: the result is f32 */
  BP_CHECK_FAILS(bp_div_inplace(a, b, BP_ROUNDING_NONE), BP_STATUS_INVALID_ARGUMENT,
                 "bp_div: out is i32 but the result is f32");
  BP_CHECK_FAILS(bp_atan2_inplace(a, b), BP_STATUS_INVALID_ARGUMENT, "bp_atan2: out is i32");
  /* b cannot take the broadcast result in place */
  BP_CHECK_FAILS(bp_add_inplace(b, a), BP_STATUS_INVALID_ARGUMENT, "bp_add: out has shape [3]");

  /* _out into a transposed bool view */
  bp_tensor_t *base = NULL, *outt = NULL;
  const int64_t s32[2] = {3, 2};
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_BOOL, 2, s32, &base));
  BP_CHECK(bp_tensor_permute(base, (int32_t[]){1, 0}, &outt));
  const int32_t cv[6] = {0, 5, 0, 1, 9, 0};
  bp_tensor_t *c = i32_tensor(2, s, cv);
  BP_CHECK(bp_gt_out(c, b, outt)); /* c > [2, 3, 4] */
  uint8_t m[6];
  BP_CHECK(bp_tensor_copy_to_host(outt, m, sizeof m));
  cr_assert(m[0] == 0 && m[1] == 1 && m[2] == 0 && m[3] == 0 && m[4] == 1 && m[5] == 0);
  BP_CHECK(bp_logical_and_out(c, b, outt));
  BP_CHECK(bp_tensor_copy_to_host(outt, m, sizeof m));
  cr_assert(m[0] == 0 && m[1] == 1 && m[2] == 0 && m[3] == 1 && m[4] == 1 && m[5] == 0);
  BP_CHECK_FAILS(bp_maximum_out(c, b, outt), BP_STATUS_INVALID_ARGUMENT,
                 "bp_maximum: out is bool but the result is i32");

  /* sub with alpha and add with alpha into out */
  bp_tensor_t *o = NULL;
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_I32, 2, s, &o));
  BP_CHECK(bp_sub_alpha_out(c, b, 2.0, o)); /* c - 2 b */
  BP_CHECK(bp_tensor_copy_to_host(o, got, sizeof got));
  cr_assert(got[0] == -4 && got[1] == -1 && got[2] == -8 && got[3] == -3 && got[4] == 3 && got[5] == -8);
  BP_CHECK_FAILS(bp_add_alpha_out(c, b, 0.5, o), BP_STATUS_INVALID_ARGUMENT,
                 "bp_add: alpha 0.5 must be an integer for i32 tensors");
  bp_tensor_t *list[] = {a, b, base, outt, c, o};
  for (size_t k = 0; k < sizeof list / sizeof list[0]; ++k) bp_tensor_release(list[k]);
}

Test(ops_binary, nan_propagates_through_maximum_minimum) {
  const int64_t s[1] = {3};
  const float av[3] = {NAN, 1.0f, -0.0f}, bv[3] = {1.0f, NAN, 0.0f};
  bp_tensor_t *a = tensor_f32(ref_device(), 1, s, av), *b = tensor_f32(ref_device(), 1, s, bv);
  bp_tensor_t *mx = NULL, *mn = NULL;
  BP_CHECK(bp_maximum(a, b, &mx));
  BP_CHECK(bp_minimum(a, b, &mn));
  float x[3], n[3];
  read_f32(mx, x, 3);
  read_f32(mn, n, 3);
  cr_assert(isnan(x[0]) && isnan(x[1]) && x[2] == 0.0f);
  cr_assert(isnan(n[0]) && isnan(n[1]) && n[2] == 0.0f);
  bp_tensor_t *list[] = {a, b, mx, mn};
  for (size_t k = 0; k < sizeof list / sizeof list[0]; ++k) bp_tensor_release(list[k]);
}
