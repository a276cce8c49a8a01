/* test_binary.c - add, sub, mul, div: layouts, alpha, wraparound, bool. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "test_host.h"

TestSuite(binary, .init = th_setup, .fini = th_teardown);

/* Calls op on 1-D contiguous tensors of n elements. */
static bp_status_t binary_n(const char *op, bp_dtype_t t, const void *a, const void *b,
                            void *out, int64_t n, const bp_attr_t *attrs, uint32_t nattrs) {
  const int64_t shape[1] = {n}, strides[1] = {1};
  bp_tensor_desc_t da = th_desc(t, (void *)a, 1, shape, strides);
  bp_tensor_desc_t db = th_desc(t, (void *)b, 1, shape, strides);
  bp_tensor_desc_t dout = th_desc(t, out, 1, shape, strides);
  const bp_tensor_desc_t *ins[2] = {&da, &db}, *outs[1] = {&dout};
  return th_call(op, ins, 2, outs, 1, attrs, nattrs);
}

Test(binary, add_f32_strided_permuted_broadcast) {
  /* out[i][j] (2x3x4 contiguous) = a[i][j][k] given permuted + b broadcast over i */
  double expect[24];
  float a[24], b[12], out[24];
  for (int i = 0; i < 24; ++i) a[i] = (float)(i * 0.5 - 3.0);
  for (int i = 0; i < 12; ++i) b[i] = (float)(i * i);
  /* a is stored as [k][i][j] (4x2x3); view it as [i][j][k] */
  static const int64_t shape[3] = {2, 3, 4};
  static const int64_t astr[3] = {3, 1, 6};   /* i: 3, j: 1, k: 6 */
  static const int64_t bstr[3] = {0, 4, 1};   /* b is [j][k], broadcast over i */
  static const int64_t ostr[3] = {12, 4, 1};
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) {
        expect[i * 12 + j * 4 + k] = (double)a[k * 6 + i * 3 + j] + 2.0 * b[j * 4 + k];
      }
  bp_tensor_desc_t da = th_desc(BP_DTYPE_F32, a, 3, shape, astr);
  bp_tensor_desc_t db = th_desc(BP_DTYPE_F32, b, 3, shape, bstr);
  bp_tensor_desc_t dout = th_desc(BP_DTYPE_F32, out, 3, shape, ostr);
  const bp_tensor_desc_t *ins[2] = {&da, &db}, *outs[1] = {&dout};
  bp_attr_t alpha = th_attr_float("alpha", 2.0);
  cr_assert_eq(th_call("add", ins, 2, outs, 1, &alpha, 1), BP_STATUS_OK);
  for (int i = 0; i < 24; ++i) cr_assert_eq(out[i], (float)expect[i], "i=%d", i);
  /* sub with alpha 0.5 */
  cr_assert_eq(th_call("sub", ins, 2, outs, 1, (bp_attr_t[]){th_attr_float("alpha", 0.5)}, 1),
               BP_STATUS_OK);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k)
        cr_assert_eq(out[i * 12 + j * 4 + k], a[k * 6 + i * 3 + j] - 0.5f * b[j * 4 + k]);
}

Test(binary, add_one_element_and_scalar_rank0) {
  float a = 1.5f, b = 2.25f, out = 0.0f;
  bp_attr_t alpha = th_attr_float("alpha", 1.0);
  cr_assert_eq(binary_n("add", BP_DTYPE_F32, &a, &b, &out, 1, &alpha, 1), BP_STATUS_OK);
  cr_assert_eq(out, 3.75f);
  bp_tensor_desc_t da = th_desc(BP_DTYPE_F32, &a, 0, NULL, NULL);
  bp_tensor_desc_t db = th_desc(BP_DTYPE_F32, &b, 0, NULL, NULL);
  bp_tensor_desc_t dout = th_desc(BP_DTYPE_F32, &out, 0, NULL, NULL);
  const bp_tensor_desc_t *ins[2] = {&da, &db}, *outs[1] = {&dout};
  cr_assert_eq(th_call("mul", ins, 2, outs, 1, NULL, 0), BP_STATUS_OK);
  cr_assert_eq(out, 3.375f);
  /* in place: out aliases a */
  float v[3] = {1, 2, 3}, w[3] = {10, 20, 30};
  cr_assert_eq(binary_n("add", BP_DTYPE_F32, v, w, v, 3, &alpha, 1), BP_STATUS_OK);
  cr_assert(v[0] == 11 && v[1] == 22 && v[2] == 33);
}

Test(binary, integer_wraparound) {
  const int32_t a[] = {INT32_MAX, INT32_MIN, 7, 46341};
  const int32_t b[] = {1, 1, -3, 46341};
  int32_t out[4];
  bp_attr_t alpha = th_attr_float("alpha", 1.0);
  cr_assert_eq(binary_n("add", BP_DTYPE_I32, a, b, out, 4, &alpha, 1), BP_STATUS_OK);
  cr_assert(out[0] == INT32_MIN && out[1] == INT32_MIN + 1 && out[2] == 4 && out[3] == 92682);
  cr_assert_eq(binary_n("sub", BP_DTYPE_I32, a, b, out, 4, &alpha, 1), BP_STATUS_OK);
  cr_assert(out[0] == INT32_MAX - 1 && out[1] == INT32_MAX && out[2] == 10 && out[3] == 0);
  cr_assert_eq(binary_n("mul", BP_DTYPE_I32, a, b, out, 4, NULL, 0), BP_STATUS_OK);
  /* 46341^2 = 2147488281 = 2^31 + 4633 -> wraps to INT32_MIN + 4633 */
  cr_assert(out[0] == INT32_MAX && out[1] == INT32_MIN && out[2] == -21 &&
            out[3] == INT32_MIN + 4633, "%d", out[3]);
  alpha = th_attr_float("alpha", -3.0);
  cr_assert_eq(binary_n("add", BP_DTYPE_I32, a, b, out, 4, &alpha, 1), BP_STATUS_OK);
  cr_assert(out[0] == INT32_MAX - 3 && out[2] == 16);
  const int64_t la[] = {INT64_MAX, INT64_MIN}, lb[] = {1, 2};
  int64_t lo[2];
  cr_assert_eq(binary_n("mul", BP_DTYPE_I64, la, lb, lo, 2, NULL, 0), BP_STATUS_OK);
  cr_assert(lo[0] == INT64_MAX && lo[1] == 0);
  alpha = th_attr_float("alpha", 1.0);
  cr_assert_eq(binary_n("add", BP_DTYPE_I64, la, lb, lo, 2, &alpha, 1), BP_STATUS_OK);
  cr_assert(lo[0] == INT64_MIN && lo[1] == INT64_MIN + 2);
  const int8_t ca[] = {127, -128, 100}, cb[] = {1, -1, 3};
  int8_t co[3];
  cr_assert_eq(binary_n("add", BP_DTYPE_I8, ca, cb, co, 3, &alpha, 1), BP_STATUS_OK);
  cr_assert(co[0] == -128 && co[1] == 127 && co[2] == 103);
  cr_assert_eq(binary_n("mul", BP_DTYPE_I8, ca, cb, co, 3, NULL, 0), BP_STATUS_OK);
  cr_assert(co[0] == 127 && co[1] == -128 && co[2] == 44); /* 300 mod 256 = 44 */
  const uint8_t ua[] = {250, 3}, ub[] = {10, 5};
  uint8_t uo[2];
  cr_assert_eq(binary_n("add", BP_DTYPE_U8, ua, ub, uo, 2, &alpha, 1), BP_STATUS_OK);
  cr_assert(uo[0] == 4 && uo[1] == 8);
  cr_assert_eq(binary_n("sub", BP_DTYPE_U8, ub, ua, uo, 2, &alpha, 1), BP_STATUS_OK);
  cr_assert(uo[0] == 16 && uo[1] == 2);
}

Test(binary, bool_add_mul) {
  const uint8_t a[] = {0, 0, 1, 1}, b[] = {0, 1, 0, 1};
  uint8_t out[4];
  bp_attr_t alpha = th_attr_float("alpha", 1.0);
  cr_assert_eq(binary_n("add", BP_DTYPE_BOOL, a, b, out, 4, &alpha, 1), BP_STATUS_OK);
  cr_assert(out[0] == 0 && out[1] == 1 && out[2] == 1 && out[3] == 1);
  cr_assert_eq(binary_n("mul", BP_DTYPE_BOOL, a, b, out, 4, NULL, 0), BP_STATUS_OK);
  cr_assert(out[0] == 0 && out[1] == 0 && out[2] == 0 && out[3] == 1);
}

Test(binary, div_ieee_and_halves) {
  const float a[] = {1.0f, -1.0f, 0.0f, 7.0f}, b[] = {0.0f, 0.0f, 0.0f, 2.0f};
  float out[4];
  cr_assert_eq(binary_n("div", BP_DTYPE_F32, a, b, out, 4, NULL, 0), BP_STATUS_OK);
  cr_assert(out[0] == INFINITY && out[1] == -INFINITY && isnan(out[2]) && out[3] == 3.5f);
  const double da[] = {1.0, 1.0}, db[] = {3.0, -0.0};
  double dout[2];
  cr_assert_eq(binary_n("div", BP_DTYPE_F64, da, db, dout, 2, NULL, 0), BP_STATUS_OK);
  cr_assert(dout[0] == 1.0 / 3.0 && dout[1] == -INFINITY);
  /* f16: 1/3 -> 0x3555; 1 / 0 -> inf; 60000 + 10000 -> inf; 1 + 2^-11 ties to 1 */
  const uint16_t ha[] = {0x3c00, 0x3c00, 0x7b53, 0x3c00}, hb[] = {0x4200, 0x0000, 0x70e2, 0x1000};
  uint16_t ho[4];
  cr_assert_eq(binary_n("div", BP_DTYPE_F16, ha, hb, ho, 2, NULL, 0), BP_STATUS_OK);
  cr_assert(ho[0] == 0x3555 && ho[1] == 0x7c00, "%04x", ho[0]);
  bp_attr_t alpha = th_attr_float("alpha", 1.0);
  cr_assert_eq(binary_n("add", BP_DTYPE_F16, ha, hb, ho, 4, &alpha, 1), BP_STATUS_OK);
  cr_assert_eq(ho[2], 0x7c00);
  cr_assert_eq(ho[3], 0x3c00); /* 0x1000 = 2^-11 */
  const uint16_t ba[] = {0x3f80, 0x4000}, bb[] = {0x4040, 0x4040}; /* 1, 2 and 3 */
  uint16_t bo[2];
  cr_assert_eq(binary_n("mul", BP_DTYPE_BF16, ba, bb, bo, 2, NULL, 0), BP_STATUS_OK);
  cr_assert(bo[0] == 0x4040 && bo[1] == 0x40c0);
  cr_assert_eq(binary_n("sub", BP_DTYPE_BF16, ba, bb, bo, 2, &alpha, 1), BP_STATUS_OK);
  cr_assert(bo[0] == 0xc000 && bo[1] == 0xbf80);
}

Test(binary, empty) {
  static const int64_t shape[2] = {4, 0}, strides[2] = {0, 1};
  bp_tensor_desc_t d = th_desc(BP_DTYPE_F64, NULL, 2, shape, strides);
  const bp_tensor_desc_t *ins[2] = {&d, &d}, *outs[1] = {&d};
  cr_assert_eq(th_call("mul", ins, 2, outs, 1, NULL, 0), BP_STATUS_OK);
}
