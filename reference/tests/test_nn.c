/* test_nn.c - the blocked GEMM (through matmul), conv2d, pools; expected
 * values from plain loops written here or by hand. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_host.h"

TestSuite(nn, .init = th_setup, .fini = th_teardown);

static bp_attr_t attr_ints(const char *name, const int64_t *v, uint32_t n) {
  bp_attr_t a;
  memset(&a, 0, sizeof(a));
  a.struct_size = sizeof(a);
  a.name = name;
  a.type = BP_ATTR_INTS;
  a.count = n;
  a.value.ints = v;
  return a;
}
static bp_attr_t attr_bool(const char *name, bool v) {
  bp_attr_t a;
  memset(&a, 0, sizeof(a));
  a.struct_size = sizeof(a);
  a.name = name;
  a.type = BP_ATTR_BOOL;
  a.count = 1;
  a.value.b = v;
  return a;
}

/* Crosses the K block (256), leaves partial micro-tiles in M and N, reads a
 * transposed and writes a strided (every other column) output. */
Test(nn, blocked_gemm_matches_plain_loop) {
  enum { M = 37, K = 300, N = 45 };
  float *a = malloc(sizeof(float) * K * M), *b = malloc(sizeof(float) * K * N);
  float *out = malloc(sizeof(float) * M * N * 2);
  for (int i = 0; i < K * M; ++i) a[i] = (float)((i * 7 % 13) - 6) / 8.0f;
  for (int i = 0; i < K * N; ++i) b[i] = (float)((i * 5 % 11) - 5) / 4.0f;
  static const int64_t as[2] = {M, K}, bs[2] = {K, N}, os[2] = {M, N};
  static const int64_t ast[2] = {1, M}, bst[2] = {N, 1}, ost[2] = {2 * N, 2};
  bp_tensor_desc_t da = th_desc(BP_DTYPE_F32, a, 2, as, ast);
  bp_tensor_desc_t db = th_desc(BP_DTYPE_F32, b, 2, bs, bst);
  bp_tensor_desc_t dout = th_desc(BP_DTYPE_F32, out, 2, os, ost);
  const bp_tensor_desc_t *ins[2] = {&da, &db}, *outs[1] = {&dout};
  cr_assert_eq(th_call("matmul", ins, 2, outs, 1, NULL, 0), BP_STATUS_OK);
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      double want = 0.0; /* exact: the products are short dyadic fractions */
      for (int k = 0; k < K; ++k) want += (double)a[k * M + i] * b[k * N + j];
      cr_assert_eq(out[i * 2 * N + j * 2], (float)want, "out[%d, %d] = %g, want %g", i, j,
                   out[i * 2 * N + j * 2], want);
    }
  free(a);
  free(b);
  free(out);
}

/* conv2d with groups 2, stride 2, padding 1, dilation 2 and a bias. */
Test(nn, conv2d_matches_plain_loop) {
  enum { NB = 2, C = 4, H = 7, W = 6, K = 6, G = 2, KH = 3, KW = 2, S = 2, P = 1, D = 2 };
  enum { OH = (H + 2 * P - D * (KH - 1) - 1) / S + 1, OW = (W + 2 * P - D * (KW - 1) - 1) / S + 1 };
  double x[NB * C * H * W], w[K * (C / G) * KH * KW], bias[K], out[NB * K * OH * OW];
  for (int i = 0; i < NB * C * H * W; ++i) x[i] = (i % 9) - 4.0;
  for (int i = 0; i < K * (C / G) * KH * KW; ++i) w[i] = (i % 5) * 0.5 - 1.0;
  for (int i = 0; i < K; ++i) bias[i] = i * 0.25;
  int64_t xs[4] = {NB, C, H, W}, ws[4] = {K, C / G, KH, KW}, bs[1] = {K}, os[4] = {NB, K, OH, OW};
  int64_t xst[4], wst[4], bst[1] = {1}, ost[4];
  th_contiguous(4, xs, xst);
  th_contiguous(4, ws, wst);
  th_contiguous(4, os, ost);
  bp_tensor_desc_t dx = th_desc(BP_DTYPE_F64, x, 4, xs, xst), dw = th_desc(BP_DTYPE_F64, w, 4, ws, wst);
  bp_tensor_desc_t db = th_desc(BP_DTYPE_F64, bias, 1, bs, bst), dout = th_desc(BP_DTYPE_F64, out, 4, os, ost);
  static const int64_t stride = S, pad = P, dil = D;
  bp_attr_t attrs[6] = {attr_ints("stride", &stride, 1), attr_ints("padding", &pad, 1),
                        attr_ints("dilation", &dil, 1), th_attr_int("groups", G),
                        attr_bool("padding_same", false), attr_bool("has_bias", true)};
  const bp_tensor_desc_t *ins[3] = {&dx, &dw, &db}, *outs[1] = {&dout};
  cr_assert_eq(th_call("conv2d", ins, 3, outs, 1, attrs, 6), BP_STATUS_OK);
  for (int n = 0; n < NB; ++n)
    for (int k = 0; k < K; ++k)
      for (int oh = 0; oh < OH; ++oh)
        for (int ow = 0; ow < OW; ++ow) {
          double want = bias[k];
          int g = k / (K / G);
          for (int c = 0; c < C / G; ++c)
            for (int kh = 0; kh < KH; ++kh)
              for (int kw = 0; kw < KW; ++kw) {
                int ih = oh * S - P + kh * D, iw = ow * S - P + kw * D;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                want += x[((n * C + g * (C / G) + c) * H + ih) * W + iw] *
                        w[((k * (C / G) + c) * KH + kh) * KW + kw];
              }
          cr_assert_float_eq(out[((n * K + k) * OH + oh) * OW + ow], want, 1e-12);
        }
}

Test(nn, max_pool2d_padding_nan_and_indices) {
  /* 1x1x3x3, kernel 2, stride 2, padding 1 -> 2x2 windows. */
  float x[9] = {1, 5, 2, -3, NAN, 4, 7, 0, -1};
  float v[4];
  int64_t idx[4];
  int64_t xs[4] = {1, 1, 3, 3}, os[4] = {1, 1, 2, 2}, xst[4], ost[4];
  th_contiguous(4, xs, xst);
  th_contiguous(4, os, ost);
  bp_tensor_desc_t dx = th_desc(BP_DTYPE_F32, x, 4, xs, xst);
  bp_tensor_desc_t dv = th_desc(BP_DTYPE_F32, v, 4, os, ost), di = th_desc(BP_DTYPE_I64, idx, 4, os, ost);
  static const int64_t k = 2, s = 2, p = 1;
  bp_attr_t attrs[5] = {attr_ints("kernel_size", &k, 1), attr_ints("stride", &s, 1),
                        attr_ints("padding", &p, 1), attr_ints("dilation", NULL, 0),
                        attr_bool("ceil_mode", false)};
  const bp_tensor_desc_t *ins[1] = {&dx}, *outs[2] = {&dv, &di};
  cr_assert_eq(th_call("max_pool2d", ins, 1, outs, 2, attrs, 5), BP_STATUS_OK);
  /* windows: {1}, {5,2}, {-3,7}, {NaN,4,0,-1} */
  cr_assert(v[0] == 1 && idx[0] == 0);
  cr_assert(v[1] == 5 && idx[1] == 1);
  cr_assert(v[2] == 7 && idx[2] == 6);
  cr_assert(isnan(v[3]) && idx[3] == 4);
}

Test(nn, avg_pool2d_count_include_pad_false) {
  double x[4] = {1, 2, 3, 4}, out[9];
  int64_t xs[4] = {1, 1, 2, 2}, os[4] = {1, 1, 3, 3}, xst[4], ost[4];
  th_contiguous(4, xs, xst);
  th_contiguous(4, os, ost);
  bp_tensor_desc_t dx = th_desc(BP_DTYPE_F64, x, 4, xs, xst), dout = th_desc(BP_DTYPE_F64, out, 4, os, ost);
  static const int64_t k = 2, s = 1, p = 1;
  bp_attr_t attrs[6] = {attr_ints("kernel_size", &k, 1), attr_ints("stride", &s, 1),
                        attr_ints("padding", &p, 1), attr_bool("ceil_mode", false),
                        attr_bool("count_include_pad", false), th_attr_int("divisor_override", 0)};
  const bp_tensor_desc_t *ins[1] = {&dx}, *outs[1] = {&dout};
  cr_assert_eq(th_call("avg_pool2d", ins, 1, outs, 1, attrs, 6), BP_STATUS_OK);
  /* windows cover rows {0}, {0,1}, {1} and the same columns; only real
   * elements are counted */
  const double want[9] = {1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4};
  for (int i = 0; i < 9; ++i) cr_assert_float_eq(out[i], want[i], 1e-15, "out[%d] = %g", i, out[i]);
}
