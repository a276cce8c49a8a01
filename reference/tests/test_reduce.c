/* test_reduce.c - sum over dim sets of a non-contiguous 3-D tensor. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "test_host.h"

TestSuite(reduce, .init = th_setup, .fini = th_teardown);

enum { D0 = 3, D1 = 4, D2 = 5 };

/* x[i][j][k] = value(i,j,k), stored permuted as buf[k][i][j] with padding. */
static double value(int i, int j, int k) { return (i + 1) * 100.0 + (j + 1) * 10.0 + (k + 1) + 0.25; }

Test(reduce, sum_dim_sets_f64_noncontiguous) {
  /* storage [k][i][j] with row pitch 6 (one pad) for j */
  static double buf[D2 * D0 * 6];
  for (int i = 0; i < D0; ++i)
    for (int j = 0; j < D1; ++j)
      for (int k = 0; k < D2; ++k) buf[k * D0 * 6 + i * 6 + j] = value(i, j, k);
  static const int64_t xshape[3] = {D0, D1, D2};
  static const int64_t xstr[3] = {6, 1, D0 * 6};
  bp_tensor_desc_t x = th_desc(BP_DTYPE_F64, buf, 3, xshape, xstr);
  for (int mask = 0; mask < 8; ++mask) { /* bit d set: dim d reduced */
    int64_t oshape[3], ostr[3];
    for (int d = 0; d < 3; ++d) oshape[d] = (mask >> d) & 1 ? 1 : xshape[d];
    th_contiguous(3, oshape, ostr);
    double out[D0 * D1 * D2];
    for (int i = 0; i < D0 * D1 * D2; ++i) out[i] = -12345.0;
    bp_tensor_desc_t o = th_desc(BP_DTYPE_F64, out, 3, oshape, ostr);
    const bp_tensor_desc_t *ins[1] = {&x}, *outs[1] = {&o};
    cr_assert_eq(th_call("sum", ins, 1, outs, 1, NULL, 0), BP_STATUS_OK);
    for (int i = 0; i < oshape[0]; ++i)
      for (int j = 0; j < oshape[1]; ++j)
        for (int k = 0; k < oshape[2]; ++k) {
          double want = 0.0;
          for (int a = 0; a < D0; ++a)
            for (int b = 0; b < D1; ++b)
              for (int c = 0; c < D2; ++c)
                if (((mask & 1) || a == i) && ((mask & 2) || b == j) && ((mask & 4) || c == k))
                  want += value(a, b, c);
          double got = out[i * ostr[0] + j * ostr[1] + k * ostr[2]];
          cr_assert_float_eq(got, want, 1e-9, "mask %d at %d,%d,%d: %f vs %f", mask, i, j, k, got, want);
        }
  }
}

Test(reduce, sum_f32_i64_half_and_contiguous_last_dim) {
  /* 2x1000 f32, sum over the last dim and over everything */
  static float x[2000];
  double want_row[2] = {0, 0};
  for (int i = 0; i < 2000; ++i) {
    x[i] = (float)((i % 7) - 3) * 0.125f + 1.0f;
    want_row[i / 1000] += x[i];
  }
  static const int64_t xshape[2] = {2, 1000}, xstr[2] = {1000, 1};
  static const int64_t oshape[2] = {2, 1}, ostr[2] = {1, 1};
  float out[2];
  bp_tensor_desc_t dx = th_desc(BP_DTYPE_F32, x, 2, xshape, xstr);
  bp_tensor_desc_t dout = th_desc(BP_DTYPE_F32, out, 2, oshape, ostr);
  const bp_tensor_desc_t *ins[1] = {&dx}, *outs[1] = {&dout};
  cr_assert_eq(th_call("sum", ins, 1, outs, 1, NULL, 0), BP_STATUS_OK);
  cr_assert(out[0] == (float)want_row[0] && out[1] == (float)want_row[1]);
  static const int64_t allshape[2] = {1, 1};
  bp_tensor_desc_t dall = th_desc(BP_DTYPE_F32, out, 2, allshape, ostr);
  outs[0] = &dall;
  cr_assert_eq(th_call("sum", ins, 1, outs, 1, NULL, 0), BP_STATUS_OK);
  cr_assert_eq(out[0], (float)(want_row[0] + want_row[1]));

  /* i64 wraps */
  const int64_t li[3] = {INT64_MAX, 1, 5};
  int64_t lo = 0;
  static const int64_t s3[1] = {3}, one[1] = {1}, st1[1] = {1};
  bp_tensor_desc_t dl = th_desc(BP_DTYPE_I64, (void *)li, 1, s3, st1);
  bp_tensor_desc_t dlo = th_desc(BP_DTYPE_I64, &lo, 1, one, st1);
  ins[0] = &dl;
  outs[0] = &dlo;
  cr_assert_eq(th_call("sum", ins, 1, outs, 1, NULL, 0), BP_STATUS_OK);
  cr_assert_eq(lo, INT64_MIN + 5);

  /* f16: 2048 + 1 + 1 in double is 2050 (exact in f16), not 2048 as an f16
   * running sum would give */
  const uint16_t h[3] = {0x6800, 0x3c00, 0x3c00};
  uint16_t ho = 0;
  bp_tensor_desc_t dh = th_desc(BP_DTYPE_F16, (void *)h, 1, s3, st1);
  bp_tensor_desc_t dho = th_desc(BP_DTYPE_F16, &ho, 1, one, st1);
  ins[0] = &dh;
  outs[0] = &dho;
  cr_assert_eq(th_call("sum", ins, 1, outs, 1, NULL, 0), BP_STATUS_OK);
  cr_assert_eq(ho, 0x6801);
  const uint16_t b[3] = {0x3f80, 0x4000, 0x4040}; /* bf16 1, 2, 3 */
  dh.dtype = BP_DTYPE_BF16;
  dho.dtype = BP_DTYPE_BF16;
  dh.data = (void *)b;
  cr_assert_eq(th_call("sum", ins, 1, outs, 1, NULL, 0), BP_STATUS_OK);
  cr_assert_eq(ho, 0x40c0);
}

Test(reduce, nothing_reduced_and_empty_extent) {
  const double x[6] = {1, 2, 3, 4, 5, 6};
  double out[6] = {0};
  static const int64_t shape[2] = {2, 3}, str[2] = {3, 1}, tstr[2] = {1, 2};
  bp_tensor_desc_t dx = th_desc(BP_DTYPE_F64, (void *)x, 2, shape, tstr); /* transposed view */
  bp_tensor_desc_t dout = th_desc(BP_DTYPE_F64, out, 2, shape, str);
  const bp_tensor_desc_t *ins[1] = {&dx}, *outs[1] = {&dout};
  cr_assert_eq(th_call("sum", ins, 1, outs, 1, NULL, 0), BP_STATUS_OK);
  const double want[6] = {1, 3, 5, 2, 4, 6};
  cr_assert_arr_eq(out, want, sizeof want);
  /* x is 2x0: summing dim 1 gives zeros; x of size-1 dims only: a copy */
  static const int64_t eshape[2] = {2, 0}, oshape[2] = {2, 1};
  bp_tensor_desc_t de = th_desc(BP_DTYPE_F64, NULL, 2, eshape, str);
  bp_tensor_desc_t deo = th_desc(BP_DTYPE_F64, out, 2, oshape, (const int64_t[]){1, 1});
  ins[0] = &de;
  outs[0] = &deo;
  out[0] = out[1] = 99.0;
  cr_assert_eq(th_call("sum", ins, 1, outs, 1, NULL, 0), BP_STATUS_OK);
  cr_assert(out[0] == 0.0 && out[1] == 0.0);
  int64_t lo[2] = {7, 7};
  de.dtype = deo.dtype = BP_DTYPE_I64;
  deo.data = lo;
  cr_assert_eq(th_call("sum", ins, 1, outs, 1, NULL, 0), BP_STATUS_OK);
  cr_assert(lo[0] == 0 && lo[1] == 0);
  /* out empty too (0x1): nothing to write */
  static const int64_t zshape[2] = {0, 1};
  bp_tensor_desc_t dz = th_desc(BP_DTYPE_F64, NULL, 2, zshape, str);
  ins[0] = &dz;
  outs[0] = &dz;
  cr_assert_eq(th_call("sum", ins, 1, outs, 1, NULL, 0), BP_STATUS_OK);
}
