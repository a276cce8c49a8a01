/* test_unary.c - the unary elementwise kernels: signatures, layouts, integer
 * wraparound, half types rounding once, NaN handling, attributes. Expected
 * values are written out by hand. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "test_host.h"

TestSuite(unary, .init = th_setup, .fini = th_teardown);

/* Calls op on 1-D contiguous tensors of n elements. */
static bp_status_t unary_n(const char *op, bp_dtype_t tin, const void *x, bp_dtype_t tout,
                           void *out, int64_t n, const bp_attr_t *attrs, uint32_t nattrs) {
  const int64_t shape[1] = {n}, strides[1] = {1};
  bp_tensor_desc_t dx = th_desc(tin, (void *)x, 1, shape, strides);
  bp_tensor_desc_t dout = th_desc(tout, out, 1, shape, strides);
  const bp_tensor_desc_t *ins[1] = {&dx}, *outs[1] = {&dout};
  return th_call(op, ins, 1, outs, 1, attrs, nattrs);
}

static size_t count_kernels(const char *op, bool bool_out) {
  size_t n = 0;
  for (size_t i = 0; i < th_num_kernels; ++i) {
    const th_kernel_t *k = &th_kernels[i];
    if (strcmp(k->op, op)) continue;
    cr_assert_eq(k->num_dtypes, 2u, "%s", op);
    cr_assert_eq(k->dtypes[1], bool_out ? BP_DTYPE_BOOL : k->dtypes[0], "%s", op);
    ++n;
  }
  return n;
}

Test(unary, registered_signatures) {
  static const char *const floats[] = {"exp",  "log",       "log1p", "expm1",      "sqrt",
                                       "rsqrt", "reciprocal", "sin",  "cos",        "tanh",
                                       "sigmoid", "leaky_relu", "elu", "gelu",      "silu",
                                       "softplus", "erf"};
  static const char *const numeric[] = {"neg",  "abs",   "relu", "floor",
                                        "ceil", "round", "trunc", "clamp"};
  for (size_t i = 0; i < sizeof floats / sizeof floats[0]; ++i)
    cr_assert_eq(count_kernels(floats[i], false), 4u, "%s", floats[i]);
  for (size_t i = 0; i < sizeof numeric / sizeof numeric[0]; ++i)
    cr_assert_eq(count_kernels(numeric[i], false), 8u, "%s", numeric[i]);
  cr_assert_eq(count_kernels("sign", false), 9u);
  cr_assert_eq(count_kernels("logical_not", true), 9u);
  cr_assert_eq(count_kernels("isnan", true), 9u);
  cr_assert_eq(count_kernels("isinf", true), 9u);
  const bp_dtype_t neg_bool[2] = {BP_DTYPE_BOOL, BP_DTYPE_BOOL};
  cr_assert_null(th_find("neg", 2, neg_bool));
}

Test(unary, neg_and_abs_wrap_integers) {
  int8_t x8[4] = {-128, 127, -5, 0}, o8[4];
  cr_assert_eq(unary_n("neg", BP_DTYPE_I8, x8, BP_DTYPE_I8, o8, 4, NULL, 0), BP_STATUS_OK);
  const int8_t neg8[4] = {-128, -127, 5, 0};
  cr_assert_eq(memcmp(o8, neg8, 4), 0);
  cr_assert_eq(unary_n("abs", BP_DTYPE_I8, x8, BP_DTYPE_I8, o8, 4, NULL, 0), BP_STATUS_OK);
  const int8_t abs8[4] = {-128, 127, 5, 0};
  cr_assert_eq(memcmp(o8, abs8, 4), 0);
  uint8_t xu[3] = {0, 5, 255}, ou[3];
  cr_assert_eq(unary_n("neg", BP_DTYPE_U8, xu, BP_DTYPE_U8, ou, 3, NULL, 0), BP_STATUS_OK);
  cr_assert(ou[0] == 0 && ou[1] == 251 && ou[2] == 1);
  int64_t x64[2] = {INT64_MIN, -7}, o64[2];
  cr_assert_eq(unary_n("neg", BP_DTYPE_I64, x64, BP_DTYPE_I64, o64, 2, NULL, 0), BP_STATUS_OK);
  cr_assert(o64[0] == INT64_MIN && o64[1] == 7);
  int32_t x32[3] = {-9, 0, 4}, o32[3];
  cr_assert_eq(unary_n("sign", BP_DTYPE_I32, x32, BP_DTYPE_I32, o32, 3, NULL, 0), BP_STATUS_OK);
  cr_assert(o32[0] == -1 && o32[1] == 0 && o32[2] == 1);
  cr_assert_eq(unary_n("relu", BP_DTYPE_I32, x32, BP_DTYPE_I32, o32, 3, NULL, 0), BP_STATUS_OK);
  cr_assert(o32[0] == 0 && o32[1] == 0 && o32[2] == 4);
}

Test(unary, transposed_input_and_strided_output) {
  /* x is stored 3x2 and read as its 2x3 transpose; out has row stride 4. */
  const float x[6] = {0, -1, 1, -2, 2, -3}; /* x^T = [[0,1,2],[-1,-2,-3]] */
  float out[8];
  for (int i = 0; i < 8; ++i) out[i] = 99.0f;
  static const int64_t shape[2] = {2, 3}, xs[2] = {1, 2}, os[2] = {4, 1};
  bp_tensor_desc_t dx = th_desc(BP_DTYPE_F32, (void *)x, 2, shape, xs);
  bp_tensor_desc_t dout = th_desc(BP_DTYPE_F32, out, 2, shape, os);
  const bp_tensor_desc_t *ins[1] = {&dx}, *outs[1] = {&dout};
  cr_assert_eq(th_call("relu", ins, 1, outs, 1, NULL, 0), BP_STATUS_OK);
  const float want[8] = {0, 1, 2, 99, 0, 0, 0, 99};
  for (int i = 0; i < 8; ++i) cr_assert_eq(out[i], want[i], "out[%d] = %g", i, out[i]);
  /* a broadcast (stride 0) input */
  static const int64_t bs[2] = {0, 2};
  bp_tensor_desc_t db = th_desc(BP_DTYPE_F32, (void *)x, 2, shape, bs);
  const bp_tensor_desc_t *bins[1] = {&db};
  cr_assert_eq(th_call("neg", bins, 1, outs, 1, NULL, 0), BP_STATUS_OK);
  const float wantb[8] = {-0.0f, -1, -2, 99, -0.0f, -1, -2, 99};
  for (int i = 0; i < 8; ++i) cr_assert_eq(out[i], wantb[i], "out[%d] = %g", i, out[i]);
}

Test(unary, half_types_compute_in_f32_and_round_once) {
  /* f16 1.0 (0x3c00), 2.0 (0x4000); e = 2.71828 -> 2.71875 (0x4170);
   * e^2 = 7.389 -> 7.390625 (0x4764) */
  uint16_t x[2] = {0x3c00, 0x4000}, out[2];
  cr_assert_eq(unary_n("exp", BP_DTYPE_F16, x, BP_DTYPE_F16, out, 2, NULL, 0), BP_STATUS_OK);
  cr_assert_eq(out[0], 0x4170, "got 0x%04x", out[0]);
  cr_assert_eq(out[1], 0x4764, "got 0x%04x", out[1]);
  /* bf16 1.0 (0x3f80): sigmoid(1) = 0.7310586 -> bf16 0.73046875 (0x3f3b) */
  uint16_t b[1] = {0x3f80}, bo[1];
  cr_assert_eq(unary_n("sigmoid", BP_DTYPE_BF16, b, BP_DTYPE_BF16, bo, 1, NULL, 0), BP_STATUS_OK);
  cr_assert_eq(bo[0], 0x3f3b, "got 0x%04x", bo[0]);
}

Test(unary, nan_inf_and_signed_zero) {
  const float x[5] = {NAN, -0.0f, INFINITY, -INFINITY, -2.0f};
  float out[5];
  cr_assert_eq(unary_n("relu", BP_DTYPE_F32, x, BP_DTYPE_F32, out, 5, NULL, 0), BP_STATUS_OK);
  cr_assert(isnan(out[0]));
  cr_assert(out[1] == 0.0f && signbit(out[1])); /* relu(-0.0) = -0.0, as torch */
  cr_assert(out[2] == INFINITY && out[3] == 0.0f && out[4] == 0.0f);
  cr_assert_eq(unary_n("sign", BP_DTYPE_F32, x, BP_DTYPE_F32, out, 5, NULL, 0), BP_STATUS_OK);
  cr_assert(out[0] == 0.0f && out[1] == 0.0f && out[2] == 1.0f && out[3] == -1.0f && out[4] == -1.0f);
  cr_assert_eq(unary_n("sigmoid", BP_DTYPE_F32, x, BP_DTYPE_F32, out, 5, NULL, 0), BP_STATUS_OK);
  cr_assert(isnan(out[0]) && out[1] == 0.5f && out[2] == 1.0f && out[3] == 0.0f);
  uint8_t p[5];
  cr_assert_eq(unary_n("isnan", BP_DTYPE_F32, x, BP_DTYPE_BOOL, p, 5, NULL, 0), BP_STATUS_OK);
  cr_assert(p[0] == 1 && p[1] == 0 && p[2] == 0 && p[3] == 0 && p[4] == 0);
  cr_assert_eq(unary_n("isinf", BP_DTYPE_F32, x, BP_DTYPE_BOOL, p, 5, NULL, 0), BP_STATUS_OK);
  cr_assert(p[0] == 0 && p[1] == 0 && p[2] == 1 && p[3] == 1 && p[4] == 0);
  cr_assert_eq(unary_n("logical_not", BP_DTYPE_F32, x, BP_DTYPE_BOOL, p, 5, NULL, 0), BP_STATUS_OK);
  cr_assert(p[0] == 0 && p[1] == 1 && p[2] == 0 && p[3] == 0 && p[4] == 0);
  const int32_t xi[2] = {0, INT32_MIN};
  cr_assert_eq(unary_n("isinf", BP_DTYPE_I32, xi, BP_DTYPE_BOOL, p, 2, NULL, 0), BP_STATUS_OK);
  cr_assert(p[0] == 0 && p[1] == 0);
  cr_assert_eq(unary_n("logical_not", BP_DTYPE_I32, xi, BP_DTYPE_BOOL, p, 2, NULL, 0), BP_STATUS_OK);
  cr_assert(p[0] == 1 && p[1] == 0);
}

Test(unary, round_half_to_even_and_decimals) {
  const float x[6] = {0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 2.75f};
  float out[6];
  cr_assert_eq(unary_n("round", BP_DTYPE_F32, x, BP_DTYPE_F32, out, 6, NULL, 0), BP_STATUS_OK);
  const float want[6] = {0, 2, 2, -0.0f, -2, 3};
  for (int i = 0; i < 6; ++i) cr_assert_eq(out[i], want[i], "out[%d] = %g", i, out[i]);
  const double y[3] = {1.25, 25.0, 35.0};
  double o[3];
  bp_attr_t d1 = th_attr_int("decimals", 1), dm1 = th_attr_int("decimals", -1);
  cr_assert_eq(unary_n("round", BP_DTYPE_F64, y, BP_DTYPE_F64, o, 1, &d1, 1), BP_STATUS_OK);
  cr_assert_eq(o[0], 1.2); /* 12.5 rounds to 12 */
  cr_assert_eq(unary_n("round", BP_DTYPE_F64, y + 1, BP_DTYPE_F64, o, 2, &dm1, 1), BP_STATUS_OK);
  cr_assert(o[0] == 20.0 && o[1] == 40.0, "%g %g", o[0], o[1]); /* 2.5 -> 2, 3.5 -> 4 */
  const float fl[3] = {-1.5f, 1.5f, -0.25f};
  cr_assert_eq(unary_n("floor", BP_DTYPE_F32, fl, BP_DTYPE_F32, out, 3, NULL, 0), BP_STATUS_OK);
  cr_assert(out[0] == -2 && out[1] == 1 && out[2] == -1);
  cr_assert_eq(unary_n("ceil", BP_DTYPE_F32, fl, BP_DTYPE_F32, out, 3, NULL, 0), BP_STATUS_OK);
  cr_assert(out[0] == -1 && out[1] == 2 && out[2] == 0);
  cr_assert_eq(unary_n("trunc", BP_DTYPE_F32, fl, BP_DTYPE_F32, out, 3, NULL, 0), BP_STATUS_OK);
  cr_assert(out[0] == -1 && out[1] == 1 && out[2] == 0);
}

Test(unary, clamp_floats_and_integers) {
  bp_attr_t both[4] = {th_attr_float("min", -1.0), th_attr_float("max", 2.0),
                       {.struct_size = sizeof(bp_attr_t), .type = BP_ATTR_BOOL, .name = "has_min",
                        .count = 1, .value.b = true},
                       {.struct_size = sizeof(bp_attr_t), .type = BP_ATTR_BOOL, .name = "has_max",
                        .count = 1, .value.b = true}};
  const float x[4] = {NAN, -5.0f, 0.5f, 7.0f};
  float out[4];
  cr_assert_eq(unary_n("clamp", BP_DTYPE_F32, x, BP_DTYPE_F32, out, 4, both, 4), BP_STATUS_OK);
  cr_assert(isnan(out[0]) && out[1] == -1.0f && out[2] == 0.5f && out[3] == 2.0f);
  /* min > max: every element becomes max */
  both[0].value.f = 3.0;
  cr_assert_eq(unary_n("clamp", BP_DTYPE_F32, x + 1, BP_DTYPE_F32, out, 3, both, 4), BP_STATUS_OK);
  cr_assert(out[0] == 2.0f && out[1] == 2.0f && out[2] == 2.0f);
  /* only min on u8: -5 wraps to 251, as torch converts the scalar */
  both[0].value.f = -5.0;
  both[3].value.b = false;
  const uint8_t u[3] = {0, 250, 255};
  uint8_t uo[3];
  cr_assert_eq(unary_n("clamp", BP_DTYPE_U8, u, BP_DTYPE_U8, uo, 3, both, 4), BP_STATUS_OK);
  cr_assert(uo[0] == 251 && uo[1] == 251 && uo[2] == 255);
  /* only max on i64 */
  both[1].value.f = 10.0;
  both[2].value.b = false;
  both[3].value.b = true;
  const int64_t l[3] = {INT64_MIN, 10, INT64_MAX};
  int64_t lo[3];
  cr_assert_eq(unary_n("clamp", BP_DTYPE_I64, l, BP_DTYPE_I64, lo, 3, both, 4), BP_STATUS_OK);
  cr_assert(lo[0] == INT64_MIN && lo[1] == 10 && lo[2] == 10);
}

Test(unary, activations_with_attributes) {
  const double x[3] = {1.0, -2.0, 30.0};
  double o[3];
  cr_assert_eq(unary_n("gelu", BP_DTYPE_F64, x, BP_DTYPE_F64, o, 2, NULL, 0), BP_STATUS_OK);
  cr_assert(fabs(o[0] - 0.8413447460685429) < 1e-15, "%.17g", o[0]);
  cr_assert(fabs(o[1] - -0.04550026389635842) < 1e-15, "%.17g", o[1]);
  bp_attr_t tanh_mode = th_attr_int("approximate", 1);
  cr_assert_eq(unary_n("gelu", BP_DTYPE_F64, x, BP_DTYPE_F64, o, 1, &tanh_mode, 1), BP_STATUS_OK);
  cr_assert(fabs(o[0] - 0.8411919906082768) < 1e-15, "%.17g", o[0]);
  bp_attr_t slope = th_attr_float("negative_slope", 0.25);
  cr_assert_eq(unary_n("leaky_relu", BP_DTYPE_F64, x, BP_DTYPE_F64, o, 3, &slope, 1), BP_STATUS_OK);
  cr_assert(o[0] == 1.0 && o[1] == -0.5 && o[2] == 30.0);
  bp_attr_t alpha = th_attr_float("alpha", 2.0);
  cr_assert_eq(unary_n("elu", BP_DTYPE_F64, x, BP_DTYPE_F64, o, 2, &alpha, 1), BP_STATUS_OK);
  cr_assert(o[0] == 1.0 && fabs(o[1] - 2.0 * (exp(-2.0) - 1.0)) < 1e-15);
  /* softplus: 30 > threshold 20 is linear; log(1 + e) for 1 */
  cr_assert_eq(unary_n("softplus", BP_DTYPE_F64, x, BP_DTYPE_F64, o, 3, NULL, 0), BP_STATUS_OK);
  cr_assert(fabs(o[0] - 1.3132616875182228) < 1e-15 && o[2] == 30.0, "%.17g", o[0]);
  bp_attr_t sp[2] = {th_attr_float("beta", 2.0), th_attr_float("threshold", 1.0)};
  cr_assert_eq(unary_n("softplus", BP_DTYPE_F64, x, BP_DTYPE_F64, o, 1, sp, 2), BP_STATUS_OK);
  cr_assert_eq(o[0], 1.0); /* beta x = 2 > 1 */
  cr_assert_eq(unary_n("silu", BP_DTYPE_F64, x, BP_DTYPE_F64, o, 1, NULL, 0), BP_STATUS_OK);
  cr_assert(fabs(o[0] - 0.7310585786300049) < 1e-15, "%.17g", o[0]);
}

Test(unary, empty_and_zero_dim) {
  const int64_t shape[1] = {0}, strides[1] = {1};
  bp_tensor_desc_t dx = th_desc(BP_DTYPE_F32, NULL, 1, shape, strides);
  bp_tensor_desc_t dout = th_desc(BP_DTYPE_F32, NULL, 1, shape, strides);
  const bp_tensor_desc_t *ins[1] = {&dx}, *outs[1] = {&dout};
  cr_assert_eq(th_call("exp", ins, 1, outs, 1, NULL, 0), BP_STATUS_OK);
  float x = 4.0f, out = 0.0f;
  bp_tensor_desc_t sx = th_desc(BP_DTYPE_F32, &x, 0, NULL, NULL);
  bp_tensor_desc_t so = th_desc(BP_DTYPE_F32, &out, 0, NULL, NULL);
  const bp_tensor_desc_t *sins[1] = {&sx}, *souts[1] = {&so};
  cr_assert_eq(th_call("rsqrt", sins, 1, souts, 1, NULL, 0), BP_STATUS_OK);
  cr_assert_eq(out, 0.5f);
}

Test(unary, mismatched_dtypes_are_an_internal_error) {
  const float x[1] = {1.0f};
  double out[1];
  const int64_t shape[1] = {1}, strides[1] = {1};
  bp_tensor_desc_t dx = th_desc(BP_DTYPE_F32, (void *)x, 1, shape, strides);
  bp_tensor_desc_t dout = th_desc(BP_DTYPE_F64, out, 1, shape, strides);
  const bp_tensor_desc_t *ins[1] = {&dx}, *outs[1] = {&dout};
  const bp_dtype_t sig[2] = {BP_DTYPE_F32, BP_DTYPE_F32};
  const th_kernel_t *k = th_find("exp", 2, sig);
  cr_assert_not_null(k);
  bp_kernel_call_t call = {.struct_size = sizeof call, .op_name = "exp", .plugin_ctx = th_ctx,
                           .kernel_data = k->kernel_data, .num_inputs = 1, .num_outputs = 1,
                           .inputs = ins, .outputs = outs};
  cr_assert_eq(k->fn(&call), BP_STATUS_INTERNAL);
  cr_assert(strstr(th_last_error, "ref exp") != NULL, "%s", th_last_error);
}
