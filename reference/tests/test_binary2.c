/* test_binary2.c - div rounding modes, remainder, pow, maximum/minimum,
 * atan2, comparisons, logical and bitwise ops of the reference backend:
 * registrations, integer edge values, NaN, layouts. Expected values are
 * written out by hand. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "test_host.h"

TestSuite(binary2, .init = th_setup, .fini = th_teardown);

/* Calls op on 1-D contiguous tensors of n elements; out has dtype ot. */
static bp_status_t call_n(const char *op, bp_dtype_t t, bp_dtype_t ot, const void *a,
                          const void *b, void *out, int64_t n, const bp_attr_t *attrs,
                          uint32_t nattrs) {
  const int64_t shape[1] = {n}, strides[1] = {1};
  bp_tensor_desc_t da = th_desc(t, (void *)a, 1, shape, strides);
  bp_tensor_desc_t db = th_desc(t, (void *)b, 1, shape, strides);
  bp_tensor_desc_t dout = th_desc(ot, out, 1, shape, strides);
  const bp_tensor_desc_t *ins[2] = {&da, &db}, *outs[1] = {&dout};
  return th_call(op, ins, 2, outs, 1, attrs, nattrs);
}

static bp_status_t div_mode(bp_dtype_t t, const void *a, const void *b, void *out, int64_t n,
                            int64_t mode) {
  bp_attr_t m = th_attr_int("rounding_mode", mode);
  return call_n("div", t, t, a, b, out, n, &m, 1);
}

static size_t count_kernels(const char *op) {
  size_t n = 0;
  for (size_t i = 0; i < th_num_kernels; ++i) n += strcmp(th_kernels[i].op, op) == 0;
  return n;
}

Test(binary2, registered_signatures) {
  cr_assert_eq(count_kernels("div"), 8u); /* every numeric dtype */
  cr_assert_eq(count_kernels("remainder"), 8u);
  cr_assert_eq(count_kernels("pow"), 8u);
  cr_assert_eq(count_kernels("maximum"), 9u);
  cr_assert_eq(count_kernels("minimum"), 9u);
  cr_assert_eq(count_kernels("atan2"), 4u);
  static const char *const to_bool[] = {"eq", "ne", "lt", "le", "gt", "ge",
                                        "logical_and", "logical_or", "logical_xor"};
  for (size_t i = 0; i < sizeof to_bool / sizeof to_bool[0]; ++i) {
    cr_assert_eq(count_kernels(to_bool[i]), 9u, "%s", to_bool[i]);
    for (bp_dtype_t t = BP_DTYPE_BOOL; t <= BP_DTYPE_F64; ++t)
      cr_assert_not_null(th_find(to_bool[i], 3, (bp_dtype_t[]){t, t, BP_DTYPE_BOOL}));
  }
  static const char *const bitwise[] = {"bitwise_and", "bitwise_or", "bitwise_xor"};
  for (size_t i = 0; i < 3; ++i) {
    cr_assert_eq(count_kernels(bitwise[i]), 5u, "%s", bitwise[i]);
    cr_assert_null(th_find(bitwise[i], 3, (bp_dtype_t[]){BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32}));
  }
  cr_assert_null(th_find("remainder", 3, (bp_dtype_t[]){BP_DTYPE_BOOL, BP_DTYPE_BOOL, BP_DTYPE_BOOL}));
  cr_assert_null(th_find("atan2", 3, (bp_dtype_t[]){BP_DTYPE_I32, BP_DTYPE_I32, BP_DTYPE_I32}));
}

Test(binary2, int_div_trunc_floor_and_int_min) {
  const int32_t a[] = {7, -7, 7, -7, INT32_MIN, INT32_MIN, INT32_MAX, 0};
  const int32_t b[] = {2, 2, -2, -2, -1, 1, -1, 5};
  int32_t out[8];
  cr_assert_eq(div_mode(BP_DTYPE_I32, a, b, out, 8, 1), BP_STATUS_OK);
  const int32_t trunc_want[] = {3, -3, -3, 3, INT32_MIN, INT32_MIN, -INT32_MAX, 0};
  for (int i = 0; i < 8; ++i) cr_assert_eq(out[i], trunc_want[i], "trunc i=%d: %d", i, out[i]);
  cr_assert_eq(div_mode(BP_DTYPE_I32, a, b, out, 8, 2), BP_STATUS_OK);
  const int32_t floor_want[] = {3, -4, -4, 3, INT32_MIN, INT32_MIN, -INT32_MAX, 0};
  for (int i = 0; i < 8; ++i) cr_assert_eq(out[i], floor_want[i], "floor i=%d: %d", i, out[i]);

  const int64_t la[] = {INT64_MIN, -9, INT64_MIN}, lb[] = {-1, 4, 3};
  int64_t lo[3];
  cr_assert_eq(div_mode(BP_DTYPE_I64, la, lb, lo, 3, 2), BP_STATUS_OK);
  cr_assert(lo[0] == INT64_MIN && lo[1] == -3 && lo[2] == -3074457345618258603LL, "%lld",
            (long long)lo[2]);
  const int8_t ca[] = {-128, -128, 127}, cb[] = {-1, 3, -2};
  int8_t co[3];
  cr_assert_eq(div_mode(BP_DTYPE_I8, ca, cb, co, 3, 2), BP_STATUS_OK);
  cr_assert(co[0] == -128 && co[1] == -43 && co[2] == -64);
  const uint8_t ua[] = {255, 7}, ub[] = {2, 255};
  uint8_t uo[2];
  cr_assert_eq(div_mode(BP_DTYPE_U8, ua, ub, uo, 2, 2), BP_STATUS_OK);
  cr_assert(uo[0] == 127 && uo[1] == 0);
}

Test(binary2, integer_division_by_zero_is_invalid_argument) {
  const int32_t a[] = {1, 2, 3}, b[] = {1, 0, 1};
  int32_t out[3];
  cr_assert_eq(div_mode(BP_DTYPE_I32, a, b, out, 3, 1), BP_STATUS_INVALID_ARGUMENT);
  cr_assert(strstr(th_last_error, "bp_div: integer division by zero"), "%s", th_last_error);
  cr_assert_eq(div_mode(BP_DTYPE_I32, a, b, out, 3, 2), BP_STATUS_INVALID_ARGUMENT);
  cr_assert_eq(call_n("remainder", BP_DTYPE_I32, BP_DTYPE_I32, a, b, out, 3, NULL, 0),
               BP_STATUS_INVALID_ARGUMENT);
  cr_assert(strstr(th_last_error, "bp_remainder: integer division by zero"), "%s", th_last_error);
  const uint8_t ua[] = {1}, ub[] = {0};
  uint8_t uo[1];
  cr_assert_eq(call_n("remainder", BP_DTYPE_U8, BP_DTYPE_U8, ua, ub, uo, 1, NULL, 0),
               BP_STATUS_INVALID_ARGUMENT);
  /* an integer kernel asked for true division is a host bug */
  cr_assert_eq(div_mode(BP_DTYPE_I32, a, a, out, 3, 0), BP_STATUS_INTERNAL);
  /* float division by zero is IEEE */
  const float fa[] = {1.0f, -1.0f, 0.0f}, fb[] = {0.0f, 0.0f, 0.0f};
  float fo[3];
  cr_assert_eq(div_mode(BP_DTYPE_F32, fa, fb, fo, 3, 2), BP_STATUS_OK);
  cr_assert(fo[0] == INFINITY && fo[1] == -INFINITY && isnan(fo[2]));
}

Test(binary2, float_div_floor_trunc) {
  const double a[] = {7.0, -7.0, 7.5, -7.5, -0.5, 0.5, -1.0, 1.0, 5.0};
  const double b[] = {2.0, 2.0, -2.0, 2.0, 2.0, -2.0, INFINITY, INFINITY, 0.1};
  double out[9];
  cr_assert_eq(div_mode(BP_DTYPE_F64, a, b, out, 9, 2), BP_STATUS_OK);
  const double fl[] = {3.0, -4.0, -4.0, -4.0, -1.0, -1.0, -1.0, 0.0, 49.0};
  for (int i = 0; i < 9; ++i) cr_assert_eq(out[i], fl[i], "floor i=%d: %g", i, out[i]);
  cr_assert(!signbit(out[7]));
  cr_assert_eq(div_mode(BP_DTYPE_F64, a, b, out, 9, 1), BP_STATUS_OK);
  const double tr[] = {3.0, -3.0, -3.0, -3.0, -0.0, -0.0, -0.0, 0.0, 50.0};
  for (int i = 0; i < 9; ++i) cr_assert_eq(out[i], tr[i], "trunc i=%d: %g", i, out[i]);
  cr_assert(signbit(out[4]) && signbit(out[6]));
  /* f16: 7 / 2 floor = 3 (0x4200), -7 / 2 floor = -4 (0xc400) */
  const uint16_t ha[] = {0x4700, 0xc700}, hb[] = {0x4000, 0x4000};
  uint16_t ho[2];
  cr_assert_eq(div_mode(BP_DTYPE_F16, ha, hb, ho, 2, 2), BP_STATUS_OK);
  cr_assert(ho[0] == 0x4200 && ho[1] == 0xc400, "%04x %04x", ho[0], ho[1]);
}

Test(binary2, remainder_sign_of_divisor) {
  const int32_t a[] = {5, -5, 5, -5, INT32_MIN, 0};
  const int32_t b[] = {3, 3, -3, -3, -1, -7};
  int32_t out[6];
  cr_assert_eq(call_n("remainder", BP_DTYPE_I32, BP_DTYPE_I32, a, b, out, 6, NULL, 0), BP_STATUS_OK);
  const int32_t want[] = {2, 1, -1, -2, 0, 0};
  for (int i = 0; i < 6; ++i) cr_assert_eq(out[i], want[i], "i=%d: %d", i, out[i]);
  const int8_t ca[] = {-128, 127}, cb[] = {127, -128};
  int8_t co[2];
  cr_assert_eq(call_n("remainder", BP_DTYPE_I8, BP_DTYPE_I8, ca, cb, co, 2, NULL, 0), BP_STATUS_OK);
  cr_assert(co[0] == 126 && co[1] == -1, "%d %d", co[0], co[1]);
  const float fa[] = {5.0f, -5.0f, 5.0f, -0.0f, 3.0f, 1.0f, -1.0f, 5.0f, INFINITY};
  const float fb[] = {3.0f, 3.0f, -3.0f, 2.0f, INFINITY, -INFINITY, INFINITY, 0.0f, 2.0f};
  float fo[9];
  cr_assert_eq(call_n("remainder", BP_DTYPE_F32, BP_DTYPE_F32, fa, fb, fo, 9, NULL, 0), BP_STATUS_OK);
  cr_assert(fo[0] == 2.0f && fo[1] == 1.0f && fo[2] == -1.0f);
  cr_assert(fo[3] == 0.0f && signbit(fo[3]));
  cr_assert(fo[4] == 3.0f && fo[5] == -INFINITY && fo[6] == INFINITY);
  cr_assert(isnan(fo[7]) && isnan(fo[8]));
}

Test(binary2, integer_pow) {
  const int32_t a[] = {0, 2, 3, 2, 1, -1, -1, 0, 5, -2};
  const int32_t b[] = {0, 10, 0, 31, -5, -1, -2, -1, -3, 3};
  int32_t out[10];
  cr_assert_eq(call_n("pow", BP_DTYPE_I32, BP_DTYPE_I32, a, b, out, 10, NULL, 0), BP_STATUS_OK);
  const int32_t want[] = {1, 1024, 1, INT32_MIN, 1, -1, 1, 0, 0, -8};
  for (int i = 0; i < 10; ++i) cr_assert_eq(out[i], want[i], "i=%d: %d", i, out[i]);
  /* 3^5 = 243 wraps in i8 to -13; u8 2^8 = 0, 3^4 = 81 */
  const int8_t ca[] = {3}, cb[] = {5};
  int8_t co[1];
  cr_assert_eq(call_n("pow", BP_DTYPE_I8, BP_DTYPE_I8, ca, cb, co, 1, NULL, 0), BP_STATUS_OK);
  cr_assert_eq(co[0], -13);
  const uint8_t ua[] = {2, 3}, ub[] = {8, 4};
  uint8_t uo[2];
  cr_assert_eq(call_n("pow", BP_DTYPE_U8, BP_DTYPE_U8, ua, ub, uo, 2, NULL, 0), BP_STATUS_OK);
  cr_assert(uo[0] == 0 && uo[1] == 81);
  /* 3^40 mod 2^64 = 12157665459056928801 - 0 (fits: 3^40 < 2^64) */
  const int64_t la[] = {3, 2}, lb[] = {40, 63};
  int64_t lo[2];
  cr_assert_eq(call_n("pow", BP_DTYPE_I64, BP_DTYPE_I64, la, lb, lo, 2, NULL, 0), BP_STATUS_OK);
  cr_assert_eq((uint64_t)lo[0], 12157665459056928801ULL);
  cr_assert_eq(lo[1], INT64_MIN);
  const double fa[] = {0.0, 2.0, -8.0, 4.0}, fb[] = {0.0, -1.0, 1.0 / 3.0, 0.5};
  double fo[4];
  cr_assert_eq(call_n("pow", BP_DTYPE_F64, BP_DTYPE_F64, fa, fb, fo, 4, NULL, 0), BP_STATUS_OK);
  cr_assert(fo[0] == 1.0 && fo[1] == 0.5 && isnan(fo[2]) && fo[3] == 2.0);
}

Test(binary2, maximum_minimum_nan_and_bool) {
  const float a[] = {1.0f, NAN, 3.0f, -INFINITY}, b[] = {NAN, 2.0f, -3.0f, 0.0f};
  float out[4];
  cr_assert_eq(call_n("maximum", BP_DTYPE_F32, BP_DTYPE_F32, a, b, out, 4, NULL, 0), BP_STATUS_OK);
  cr_assert(isnan(out[0]) && isnan(out[1]) && out[2] == 3.0f && out[3] == 0.0f);
  cr_assert_eq(call_n("minimum", BP_DTYPE_F32, BP_DTYPE_F32, a, b, out, 4, NULL, 0), BP_STATUS_OK);
  cr_assert(isnan(out[0]) && isnan(out[1]) && out[2] == -3.0f && out[3] == -INFINITY);
  /* bf16 NaN (0x7fc0) propagates; 1 vs 2 */
  const uint16_t ha[] = {0x7fc0, 0x3f80}, hb[] = {0x3f80, 0x4000};
  uint16_t ho[2];
  cr_assert_eq(call_n("maximum", BP_DTYPE_BF16, BP_DTYPE_BF16, ha, hb, ho, 2, NULL, 0), BP_STATUS_OK);
  cr_assert(((ho[0] & 0x7f80) == 0x7f80 && (ho[0] & 0x7f)) && ho[1] == 0x4000);
  const uint8_t ba[] = {0, 0, 1, 1}, bb[] = {0, 1, 0, 1};
  uint8_t bo[4];
  cr_assert_eq(call_n("maximum", BP_DTYPE_BOOL, BP_DTYPE_BOOL, ba, bb, bo, 4, NULL, 0), BP_STATUS_OK);
  cr_assert(bo[0] == 0 && bo[1] == 1 && bo[2] == 1 && bo[3] == 1);
  cr_assert_eq(call_n("minimum", BP_DTYPE_BOOL, BP_DTYPE_BOOL, ba, bb, bo, 4, NULL, 0), BP_STATUS_OK);
  cr_assert(bo[0] == 0 && bo[1] == 0 && bo[2] == 0 && bo[3] == 1);
  const int64_t la[] = {INT64_MIN, 5}, lb[] = {INT64_MAX, -5};
  int64_t lo[2];
  cr_assert_eq(call_n("minimum", BP_DTYPE_I64, BP_DTYPE_I64, la, lb, lo, 2, NULL, 0), BP_STATUS_OK);
  cr_assert(lo[0] == INT64_MIN && lo[1] == -5);
}

Test(binary2, atan2_quadrants) {
  const double y[] = {1.0, 1.0, -1.0, 0.0, -0.0, 0.0}, x[] = {1.0, -1.0, -1.0, -1.0, -1.0, 0.0};
  double out[6];
  cr_assert_eq(call_n("atan2", BP_DTYPE_F64, BP_DTYPE_F64, y, x, out, 6, NULL, 0), BP_STATUS_OK);
  const double pi = 3.14159265358979323846;
  cr_assert(fabs(out[0] - pi / 4) < 1e-15 && fabs(out[1] - 3 * pi / 4) < 1e-15);
  cr_assert(fabs(out[2] + 3 * pi / 4) < 1e-15);
  cr_assert(out[3] == pi && out[4] == -pi && out[5] == 0.0);
}

Test(binary2, comparisons_with_nan_and_broadcast) {
  /* a [2,3] transposed in memory, b [3] broadcast: a[i][j] vs b[j] */
  const float a_mem[6] = {1.0f, 4.0f, 2.0f, NAN, 3.0f, 6.0f}; /* stored [j][i] */
  const float b[3] = {1.0f, 2.0f, 9.0f};
  static const int64_t shape[2] = {2, 3};
  static const int64_t astr[2] = {1, 2}, bstr[2] = {0, 1}, ostr[2] = {3, 1};
  uint8_t out[6];
  bp_tensor_desc_t da = th_desc(BP_DTYPE_F32, (void *)a_mem, 2, shape, astr);
  bp_tensor_desc_t db = th_desc(BP_DTYPE_F32, (void *)b, 2, shape, bstr);
  bp_tensor_desc_t dout = th_desc(BP_DTYPE_BOOL, out, 2, shape, ostr);
  const bp_tensor_desc_t *ins[2] = {&da, &db}, *outs[1] = {&dout};
  /* a = [[1, 2, 3], [4, NaN, 6]] */
  static const struct {
    const char *op;
    uint8_t want[6];
  } cases[] = {
      {"eq", {1, 1, 0, 0, 0, 0}}, {"ne", {0, 0, 1, 1, 1, 1}}, {"lt", {0, 0, 1, 0, 0, 1}},
      {"le", {1, 1, 1, 0, 0, 1}}, {"gt", {0, 0, 0, 1, 0, 0}}, {"ge", {1, 1, 0, 1, 0, 0}},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
    memset(out, 7, sizeof out);
    cr_assert_eq(th_call(cases[c].op, ins, 2, outs, 1, NULL, 0), BP_STATUS_OK);
    for (int i = 0; i < 6; ++i)
      cr_assert_eq(out[i], cases[c].want[i], "%s i=%d: %d", cases[c].op, i, out[i]);
  }
  /* -0.0 == 0.0; f16 compares exactly */
  const uint16_t ha[] = {0x8000, 0x3c01}, hb[] = {0x0000, 0x3c00};
  uint8_t ho[2];
  cr_assert_eq(call_n("eq", BP_DTYPE_F16, BP_DTYPE_BOOL, ha, hb, ho, 2, NULL, 0), BP_STATUS_OK);
  cr_assert(ho[0] == 1 && ho[1] == 0);
  const int64_t la[] = {INT64_MAX, INT64_MIN}, lb[] = {INT64_MAX - 1, INT64_MIN};
  uint8_t lo[2];
  cr_assert_eq(call_n("gt", BP_DTYPE_I64, BP_DTYPE_BOOL, la, lb, lo, 2, NULL, 0), BP_STATUS_OK);
  cr_assert(lo[0] == 1 && lo[1] == 0);
}

Test(binary2, logical_ops_treat_nonzero_and_nan_as_true) {
  const double a[] = {0.0, -0.0, NAN, 2.0, 0.0}, b[] = {1.0, 1.0, 1.0, 1e-310, 0.0};
  uint8_t out[5];
  cr_assert_eq(call_n("logical_and", BP_DTYPE_F64, BP_DTYPE_BOOL, a, b, out, 5, NULL, 0), BP_STATUS_OK);
  cr_assert(out[0] == 0 && out[1] == 0 && out[2] == 1 && out[3] == 1 && out[4] == 0);
  cr_assert_eq(call_n("logical_or", BP_DTYPE_F64, BP_DTYPE_BOOL, a, b, out, 5, NULL, 0), BP_STATUS_OK);
  cr_assert(out[0] == 1 && out[1] == 1 && out[2] == 1 && out[3] == 1 && out[4] == 0);
  cr_assert_eq(call_n("logical_xor", BP_DTYPE_F64, BP_DTYPE_BOOL, a, b, out, 5, NULL, 0), BP_STATUS_OK);
  cr_assert(out[0] == 1 && out[1] == 1 && out[2] == 0 && out[3] == 0 && out[4] == 0);
  const int8_t ia[] = {0, -128, 3}, ib[] = {5, 0, -1};
  cr_assert_eq(call_n("logical_xor", BP_DTYPE_I8, BP_DTYPE_BOOL, ia, ib, out, 3, NULL, 0), BP_STATUS_OK);
  cr_assert(out[0] == 1 && out[1] == 1 && out[2] == 0);
}

Test(binary2, bitwise_ops) {
  const int32_t a[] = {12, -1, INT32_MIN}, b[] = {10, 0x0f0f, -1};
  int32_t out[3];
  cr_assert_eq(call_n("bitwise_and", BP_DTYPE_I32, BP_DTYPE_I32, a, b, out, 3, NULL, 0), BP_STATUS_OK);
  cr_assert(out[0] == 8 && out[1] == 0x0f0f && out[2] == INT32_MIN);
  cr_assert_eq(call_n("bitwise_or", BP_DTYPE_I32, BP_DTYPE_I32, a, b, out, 3, NULL, 0), BP_STATUS_OK);
  cr_assert(out[0] == 14 && out[1] == -1 && out[2] == -1);
  cr_assert_eq(call_n("bitwise_xor", BP_DTYPE_I32, BP_DTYPE_I32, a, b, out, 3, NULL, 0), BP_STATUS_OK);
  cr_assert(out[0] == 6 && out[1] == ~0x0f0f && out[2] == INT32_MAX);
  const uint8_t ba[] = {0, 0, 1, 1}, bb[] = {0, 1, 0, 1};
  uint8_t bo[4];
  cr_assert_eq(call_n("bitwise_xor", BP_DTYPE_BOOL, BP_DTYPE_BOOL, ba, bb, bo, 4, NULL, 0), BP_STATUS_OK);
  cr_assert(bo[0] == 0 && bo[1] == 1 && bo[2] == 1 && bo[3] == 0);
}

Test(binary2, empty_and_rank0) {
  static const int64_t shape[2] = {4, 0}, strides[2] = {0, 1};
  bp_tensor_desc_t d = th_desc(BP_DTYPE_I32, NULL, 2, shape, strides);
  bp_tensor_desc_t o = th_desc(BP_DTYPE_BOOL, NULL, 2, shape, strides);
  const bp_tensor_desc_t *ins[2] = {&d, &d}, *outs[1] = {&o}, *same[1] = {&d};
  cr_assert_eq(th_call("lt", ins, 2, outs, 1, NULL, 0), BP_STATUS_OK);
  bp_attr_t m = th_attr_int("rounding_mode", 2);
  cr_assert_eq(th_call("div", ins, 2, same, 1, &m, 1), BP_STATUS_OK); /* no elements: no error */
  int64_t x = -7, y = 2, r = 0;
  bp_tensor_desc_t dx = th_desc(BP_DTYPE_I64, &x, 0, NULL, NULL);
  bp_tensor_desc_t dy = th_desc(BP_DTYPE_I64, &y, 0, NULL, NULL);
  bp_tensor_desc_t dr = th_desc(BP_DTYPE_I64, &r, 0, NULL, NULL);
  const bp_tensor_desc_t *ins0[2] = {&dx, &dy}, *outs0[1] = {&dr};
  cr_assert_eq(th_call("remainder", ins0, 2, outs0, 1, NULL, 0), BP_STATUS_OK);
  cr_assert_eq(r, 1);
}
