/* test_copy.c - the copy kernel: casts, rounding of the half types, layouts. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "test_host.h"

TestSuite(copy, .init = th_setup, .fini = th_teardown);

/* Copies n contiguous elements src (dtype s) to dst (dtype d). */
static void copy_n(bp_dtype_t s, const void *src, bp_dtype_t d, void *dst, int64_t n) {
  const int64_t shape[1] = {n}, strides[1] = {1};
  bp_tensor_desc_t in = th_desc(s, (void *)src, 1, shape, strides);
  bp_tensor_desc_t out = th_desc(d, dst, 1, shape, strides);
  const bp_tensor_desc_t *ins[1] = {&in}, *outs[1] = {&out};
  cr_assert_eq(th_call("copy", ins, 1, outs, 1, NULL, 0), BP_STATUS_OK);
}

/* Expected values are what torch 1.13 gives on x86-64 for the same casts
 * (tensor.to(dtype)), written out. */
Test(copy, float_to_int_matches_pytorch_on_x86) {
  const float src[] = {NAN, 1e20f, -1e20f, -3.7f, 3.7f, INFINITY, -INFINITY, -0.5f};
  int32_t i32[8];
  copy_n(BP_DTYPE_F32, src, BP_DTYPE_I32, i32, 8);
  const int32_t want32[] = {INT32_MIN, INT32_MIN, INT32_MIN, -3, 3, INT32_MIN, INT32_MIN, 0};
  cr_assert_arr_eq(i32, want32, sizeof want32);
  int64_t i64[8];
  copy_n(BP_DTYPE_F32, src, BP_DTYPE_I64, i64, 8);
  const int64_t want64[] = {INT64_MIN, INT64_MIN, INT64_MIN, -3, 3, INT64_MIN, INT64_MIN, 0};
  cr_assert_arr_eq(i64, want64, sizeof want64);
  uint8_t u8[8];
  copy_n(BP_DTYPE_F32, src, BP_DTYPE_U8, u8, 8);
  const uint8_t wantu8[] = {0, 0, 0, 253, 3, 0, 0, 0};
  cr_assert_arr_eq(u8, wantu8, sizeof wantu8);
  const double dsrc[] = {-200.0, 127.9, 300.5, -128.9};
  int8_t i8[4];
  copy_n(BP_DTYPE_F64, dsrc, BP_DTYPE_I8, i8, 4);
  const int8_t want8[] = {56, 127, 44, -128};
  cr_assert_arr_eq(i8, want8, sizeof want8);
}

Test(copy, int_to_int_wraps_and_bool) {
  const int64_t src[] = {(INT64_C(1) << 32) + 7, -1, 300, 0};
  int32_t i32[4];
  copy_n(BP_DTYPE_I64, src, BP_DTYPE_I32, i32, 4);
  cr_assert(i32[0] == 7 && i32[1] == -1 && i32[2] == 300 && i32[3] == 0);
  uint8_t u8[4];
  copy_n(BP_DTYPE_I64, src, BP_DTYPE_U8, u8, 4);
  cr_assert(u8[0] == 7 && u8[1] == 255 && u8[2] == 44 && u8[3] == 0);
  const int32_t s32[] = {300, -129};
  int8_t i8[2];
  copy_n(BP_DTYPE_I32, s32, BP_DTYPE_I8, i8, 2);
  cr_assert(i8[0] == 44 && i8[1] == 127);
  uint8_t b[4];
  copy_n(BP_DTYPE_I64, src, BP_DTYPE_BOOL, b, 4);
  cr_assert(b[0] == 1 && b[1] == 1 && b[2] == 1 && b[3] == 0);
  const float fs[] = {NAN, 0.0f, -0.0f, 0.25f};
  copy_n(BP_DTYPE_F32, fs, BP_DTYPE_BOOL, b, 4);
  cr_assert(b[0] == 1 && b[1] == 0 && b[2] == 0 && b[3] == 1);
  const uint8_t bs[] = {1, 0, 1};
  float f[3];
  copy_n(BP_DTYPE_BOOL, bs, BP_DTYPE_F32, f, 3);
  cr_assert(f[0] == 1.0f && f[1] == 0.0f && f[2] == 1.0f);
  int64_t l[3];
  copy_n(BP_DTYPE_BOOL, bs, BP_DTYPE_I64, l, 3);
  cr_assert(l[0] == 1 && l[1] == 0 && l[2] == 1);
}

Test(copy, i64_precision) {
  const int64_t big[] = {(INT64_C(1) << 62) + 1, INT64_MIN, (INT64_C(1) << 53) + 1};
  int64_t same[3];
  copy_n(BP_DTYPE_I64, big, BP_DTYPE_I64, same, 3);
  cr_assert_arr_eq(same, big, sizeof big);
  double d[3];
  copy_n(BP_DTYPE_I64, big, BP_DTYPE_F64, d, 3);
  cr_assert(d[0] == 0x1p62 && d[1] == -0x1p63 && d[2] == 0x1p53);
  /* 2^24 + 1 -> f32 ties to even 2^24; via double no harm, but also 2^53+3: */
  const int64_t mid[] = {(INT64_C(1) << 24) + 1, (INT64_C(1) << 24) + 3,
                         (INT64_C(1) << 54) + (INT64_C(1) << 30) + 1};
  float f[3];
  copy_n(BP_DTYPE_I64, mid, BP_DTYPE_F32, f, 3);
  cr_assert(f[0] == 0x1p24f && f[1] == 0x1p24f + 4.0f, "%a %a", f[0], f[1]);
  /* 2^54 + 2^30 + 1: exactly above the f32 tie (ulp 2^31) -> rounds up. Going
   * through double would first drop the +1 and then tie to even (down). */
  cr_assert(f[2] == 0x1p54f + 0x1p31f, "%a", f[2]);
  /* bf16 has the same trap: 2^40 + 2^32 + 1 must round up to 2^40 + 2^33 */
  const int64_t b16[] = {(INT64_C(1) << 40) + (INT64_C(1) << 32) + 1, (INT64_C(1) << 40) + (INT64_C(1) << 32)};
  uint16_t h[2];
  copy_n(BP_DTYPE_I64, b16, BP_DTYPE_BF16, h, 2);
  cr_assert_eq(h[0], 0x5381); /* 2^40: exponent 167 = 0xa7 -> 0x5380; +1 ulp */
  cr_assert_eq(h[1], 0x5380);
  const float back[] = {0x1p62f, -1e30f};
  int64_t l[2];
  copy_n(BP_DTYPE_F32, back, BP_DTYPE_I64, l, 2);
  cr_assert(l[0] == (INT64_C(1) << 62) && l[1] == INT64_MIN);
}

Test(copy, f32_to_f16_rounding) {
  const float src[] = {1.0f + 0x1p-11f,       /* tie -> even: 1.0 */
                       1.0f + 3 * 0x1p-11f,   /* tie -> even: 1 + 2^-9 */
                       1.0f + 0x1p-11f + 0x1p-20f, /* above tie -> 1 + 2^-10 */
                       65520.0f,              /* rounds to inf */
                       65519.0f,              /* max finite 65504 */
                       -0.0f, 0x1p-24f, 0x1p-25f, 0x1.8p-25f, 0x1p-14f, -INFINITY, 1e-10f};
  const uint16_t want[] = {0x3c00, 0x3c02, 0x3c01, 0x7c00, 0x7bff, 0x8000,
                           0x0001, 0x0000, 0x0001, 0x0400, 0xfc00, 0x0000};
  uint16_t h[12];
  copy_n(BP_DTYPE_F32, src, BP_DTYPE_F16, h, 12);
  for (int i = 0; i < 12; ++i) cr_assert_eq(h[i], want[i], "i=%d got %04x", i, h[i]);
  const float nan_src[] = {NAN, -NAN};
  copy_n(BP_DTYPE_F32, nan_src, BP_DTYPE_F16, h, 2);
  cr_assert((h[0] & 0x7c00) == 0x7c00 && (h[0] & 0x3ff) != 0);
  cr_assert((h[1] & 0x7c00) == 0x7c00 && (h[1] & 0x3ff) != 0 && (h[1] & 0x8000));
  /* f64 source: no double rounding through float */
  const double dsrc[] = {1.0 + 0x1p-11 + 0x1p-40, 65519.9999999};
  copy_n(BP_DTYPE_F64, dsrc, BP_DTYPE_F16, h, 2);
  cr_assert_eq(h[0], 0x3c01);
  cr_assert_eq(h[1], 0x7bff);
}

Test(copy, f16_bf16_to_f32) {
  const uint16_t hs[] = {0x3c00, 0x0001, 0x7c00, 0xc000, 0x7bff, 0x3555};
  float f[6];
  copy_n(BP_DTYPE_F16, hs, BP_DTYPE_F32, f, 6);
  for (int i = 0; i < 6; ++i) cr_assert_eq(f[i], th_f16(hs[i]), "i=%d", i);
  cr_assert(f[1] == 0x1p-24f && f[4] == 65504.0f);
  const uint16_t hnan[] = {0x7e00};
  copy_n(BP_DTYPE_F16, hnan, BP_DTYPE_F32, f, 1);
  cr_assert(isnan(f[0]));
  const uint16_t bs[] = {0x3f80, 0x4049, 0xff80, 0x7fc0};
  copy_n(BP_DTYPE_BF16, bs, BP_DTYPE_F32, f, 4);
  cr_assert(f[0] == 1.0f && f[1] == 3.140625f && f[2] == -INFINITY && isnan(f[3]));
  const float fs[] = {1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f, 3.14159265f, NAN, 3.4e38f};
  uint16_t b[5];
  copy_n(BP_DTYPE_F32, fs, BP_DTYPE_BF16, b, 5);
  cr_assert(b[0] == 0x3f80 && b[1] == 0x3f82 && b[2] == 0x4049, "%04x %04x %04x", b[0], b[1], b[2]);
  cr_assert((b[3] & 0x7f80) == 0x7f80 && (b[3] & 0x7f) != 0);
  cr_assert_eq(b[4], 0x7f80); /* 3.4e38 is above the bf16 max: rounds to inf */
  /* f16 <-> bf16 */
  const uint16_t h2[] = {0x3c00, 0x7bff};
  copy_n(BP_DTYPE_F16, h2, BP_DTYPE_BF16, b, 2);
  cr_assert(b[0] == 0x3f80 && b[1] == 0x4780, "%04x", b[1]); /* 65504 -> 65536 */
}

Test(copy, strided_broadcast_and_empty) {
  /* dst 2x3 contiguous f64 from a transposed 3x2 i32 buffer */
  const int32_t src[6] = {1, 2, 3, 4, 5, 6}; /* as 3x2: [[1,2],[3,4],[5,6]] */
  static const int64_t shape[2] = {2, 3}, tstrides[2] = {1, 2}, cstrides[2] = {3, 1};
  double dst[6];
  bp_tensor_desc_t in = th_desc(BP_DTYPE_I32, (void *)src, 2, shape, tstrides);
  bp_tensor_desc_t out = th_desc(BP_DTYPE_F64, dst, 2, shape, cstrides);
  const bp_tensor_desc_t *ins[1] = {&in}, *outs[1] = {&out};
  cr_assert_eq(th_call("copy", ins, 1, outs, 1, NULL, 0), BP_STATUS_OK);
  const double want[6] = {1, 3, 5, 2, 4, 6};
  cr_assert_arr_eq(dst, want, sizeof want);
  /* same dtype, transposed */
  int32_t d32[6];
  bp_tensor_desc_t out32 = th_desc(BP_DTYPE_I32, d32, 2, shape, cstrides);
  outs[0] = &out32;
  cr_assert_eq(th_call("copy", ins, 1, outs, 1, NULL, 0), BP_STATUS_OK);
  for (int i = 0; i < 6; ++i) cr_assert_eq(d32[i], (int32_t)want[i]);
  /* broadcast a scalar (stride 0) at a byte offset */
  static const int64_t zstrides[2] = {0, 0};
  in = th_desc(BP_DTYPE_I32, (void *)src, 2, shape, zstrides);
  in.byte_offset = 4 * sizeof(int32_t);
  outs[0] = &out;
  cr_assert_eq(th_call("copy", ins, 1, outs, 1, NULL, 0), BP_STATUS_OK);
  for (int i = 0; i < 6; ++i) cr_assert_eq(dst[i], 5.0);
  /* empty */
  static const int64_t eshape[2] = {0, 3};
  bp_tensor_desc_t ein = th_desc(BP_DTYPE_F32, NULL, 2, eshape, cstrides);
  bp_tensor_desc_t eout = th_desc(BP_DTYPE_F16, NULL, 2, eshape, cstrides);
  ins[0] = &ein;
  outs[0] = &eout;
  cr_assert_eq(th_call("copy", ins, 1, outs, 1, NULL, 0), BP_STATUS_OK);
}
