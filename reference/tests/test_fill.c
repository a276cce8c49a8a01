/* test_fill.c - the fill kernel for every dtype, strided outputs, rank 0. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "test_host.h"

TestSuite(fill, .init = th_setup, .fini = th_teardown);

/* Fills a contiguous 2x3 tensor of `dtype` at `data` with value/value_int. */
static void fill6(bp_dtype_t dtype, void *data, double value, int64_t value_int) {
  static const int64_t shape[2] = {2, 3}, strides[2] = {3, 1};
  bp_tensor_desc_t out = th_desc(dtype, data, 2, shape, strides);
  const bp_tensor_desc_t *outs[1] = {&out};
  bp_attr_t attrs[2] = {th_attr_float("value", value), th_attr_int("value_int", value_int)};
  cr_assert_eq(th_call("fill", NULL, 0, outs, 1, attrs, 2), BP_STATUS_OK);
}

Test(fill, integers_wrap) {
  int64_t i64[6];
  fill6(BP_DTYPE_I64, i64, 0.0, INT64_MAX - 1);
  for (int i = 0; i < 6; ++i) cr_assert_eq(i64[i], INT64_MAX - 1);
  fill6(BP_DTYPE_I64, i64, 0.0, -(INT64_C(1) << 62) - 3);
  for (int i = 0; i < 6; ++i) cr_assert_eq(i64[i], -(INT64_C(1) << 62) - 3);
  int32_t i32[6];
  fill6(BP_DTYPE_I32, i32, 0.0, (INT64_C(1) << 32) + 5);
  for (int i = 0; i < 6; ++i) cr_assert_eq(i32[i], 5);
  uint8_t u8[6];
  fill6(BP_DTYPE_U8, u8, 0.0, 300);
  for (int i = 0; i < 6; ++i) cr_assert_eq(u8[i], 44);
  int8_t i8[6];
  fill6(BP_DTYPE_I8, i8, 0.0, 200);
  for (int i = 0; i < 6; ++i) cr_assert_eq(i8[i], -56);
}

Test(fill, bool_and_floats) {
  uint8_t b[6];
  fill6(BP_DTYPE_BOOL, b, 0.5, 0);
  for (int i = 0; i < 6; ++i) cr_assert_eq(b[i], 1);
  fill6(BP_DTYPE_BOOL, b, 0.0, 7);
  for (int i = 0; i < 6; ++i) cr_assert_eq(b[i], 0);
  float f[6];
  fill6(BP_DTYPE_F32, f, 0.1, 0);
  for (int i = 0; i < 6; ++i) cr_assert_eq(f[i], 0.1f);
  double d[6];
  fill6(BP_DTYPE_F64, d, 0.1, 0);
  for (int i = 0; i < 6; ++i) cr_assert_eq(d[i], 0.1);
  uint16_t h[6];
  fill6(BP_DTYPE_F16, h, 1.0 / 3.0, 0);
  for (int i = 0; i < 6; ++i) cr_assert_eq(h[i], 0x3555);
  fill6(BP_DTYPE_BF16, h, -1.0, 0);
  for (int i = 0; i < 6; ++i) cr_assert_eq(h[i], 0xbf80);
  fill6(BP_DTYPE_F16, h, INFINITY, 0);
  for (int i = 0; i < 6; ++i) cr_assert_eq(h[i], 0x7c00);
}

Test(fill, strided_rank0_and_empty) {
  int32_t buf[12];
  for (int i = 0; i < 12; ++i) buf[i] = -1;
  /* a 2x3 view with strides (6, 2): every other element of buf */
  static const int64_t shape[2] = {2, 3}, strides[2] = {6, 2};
  bp_tensor_desc_t out = th_desc(BP_DTYPE_I32, buf, 2, shape, strides);
  out.byte_offset = sizeof(int32_t); /* start at buf[1] */
  const bp_tensor_desc_t *outs[1] = {&out};
  bp_attr_t attrs[2] = {th_attr_float("value", 0.0), th_attr_int("value_int", 9)};
  cr_assert_eq(th_call("fill", NULL, 0, outs, 1, attrs, 2), BP_STATUS_OK);
  for (int i = 0; i < 12; ++i) cr_assert_eq(buf[i], i % 2 == 1 ? 9 : -1, "i=%d", i);

  double scalar = 0.0;
  bp_tensor_desc_t s = th_desc(BP_DTYPE_F64, &scalar, 0, NULL, NULL);
  const bp_tensor_desc_t *souts[1] = {&s};
  attrs[0] = th_attr_float("value", 2.5);
  cr_assert_eq(th_call("fill", NULL, 0, souts, 1, attrs, 2), BP_STATUS_OK);
  cr_assert_eq(scalar, 2.5);

  static const int64_t eshape[2] = {3, 0}, estrides[2] = {0, 1};
  bp_tensor_desc_t e = th_desc(BP_DTYPE_F32, NULL, 2, eshape, estrides);
  const bp_tensor_desc_t *eouts[1] = {&e};
  cr_assert_eq(th_call("fill", NULL, 0, eouts, 1, attrs, 2), BP_STATUS_OK);
}
