/* Shapes and error messages of the nn1 ops (linear, bmm, conv, pools)
 * through the public API. Expected values written out by hand. */
#include <stdint.h>

#include "test_helpers.h"

Test(ops_nn1, linear_without_bias) {
  int64_t sx[2] = {2, 3}, sw[2] = {2, 3};
  float dx[6] = {1, 2, 3, 4, 5, 6}, dw[6] = {1, 0, 0, 0, 1, 1};
  bp_tensor_t *x = tensor_f32(ref_device(), 2, sx, dx), *w = tensor_f32(ref_device(), 2, sw, dw);
  bp_tensor_t *out = NULL;
  BP_CHECK(bp_linear(x, w, NULL, &out));
  float got[4];
  read_f32(out, got, 4);
  cr_assert(got[0] == 1 && got[1] == 5 && got[2] == 4 && got[3] == 11);
  bp_tensor_release(out);
  out = NULL;
  BP_CHECK_FAILS(bp_linear(w, x, x, &out), BP_STATUS_INVALID_ARGUMENT, "bp_linear: bias has shape");
  bp_tensor_release(x);
  bp_tensor_release(w);
}

Test(ops_nn1, conv2d_shape_and_channel_error) {
  int64_t sx[4] = {2, 4, 9, 8}, sw[4] = {6, 2, 3, 3}, sbad[4] = {6, 3, 3, 3};
  bp_tensor_t *x = NULL, *w = NULL, *bad = NULL, *out = NULL;
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_F32, 4, sx, &x));
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_F32, 4, sw, &w));
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_F32, 4, sbad, &bad));
  BP_CHECK(bp_fill(x, 1.0));
  BP_CHECK(bp_fill(w, 0.5));
  int64_t stride[2] = {2, 1}, pad[2] = {1, 0};
  BP_CHECK(bp_conv2d(x, w, NULL, stride, pad, 2, &out));
  cr_assert_eq(bp_tensor_ndim(out), 4);
  const int64_t *s = bp_tensor_shape(out);
  cr_assert(s[0] == 2 && s[1] == 6 && s[2] == 5 && s[3] == 6, "[%lld,%lld,%lld,%lld]",
            (long long)s[0], (long long)s[1], (long long)s[2], (long long)s[3]);
  bp_tensor_release(out);
  out = NULL;
  BP_CHECK_FAILS(bp_conv2d(x, bad, NULL, NULL, NULL, 2, &out), BP_STATUS_INVALID_ARGUMENT,
                 "bp_conv2d: x [2,4,9,8] has 4 channels but weight [6,3,3,3] with groups 2 expects 6");
  bp_tensor_release(x);
  bp_tensor_release(w);
  bp_tensor_release(bad);
}

Test(ops_nn1, bmm_refuses_broadcast_and_pools_check_padding) {
  int64_t sa[3] = {1, 2, 3}, sb[3] = {2, 3, 4}, sx[4] = {1, 1, 4, 4};
  bp_tensor_t *a = NULL, *b = NULL, *x = NULL, *out = NULL, *idx = NULL;
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_F32, 3, sa, &a));
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_F32, 3, sb, &b));
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_F32, 4, sx, &x));
  BP_CHECK_FAILS(bp_bmm(a, b, &out), BP_STATUS_INVALID_ARGUMENT,
                 "bp_bmm: shapes [1,2,3] and [2,3,4] do not match");
  int64_t k[2] = {2, 2}, p[2] = {2, 2};
  BP_CHECK_FAILS(bp_max_pool2d(x, k, NULL, p, &out, &idx), BP_STATUS_INVALID_ARGUMENT,
                 "bp_max_pool2d: padding 2 should be at most half");
  int64_t os[2] = {3, 2};
  BP_CHECK(bp_fill(x, 2.0));
  BP_CHECK(bp_adaptive_avg_pool2d(x, os, &out));
  cr_assert(bp_tensor_shape(out)[2] == 3 && bp_tensor_shape(out)[3] == 2);
  float got[6];
  read_f32(out, got, 6);
  for (int i = 0; i < 6; ++i) cr_assert_eq(got[i], 2.0f);
  bp_tensor_release(out);
  bp_tensor_release(a);
  bp_tensor_release(b);
  bp_tensor_release(x);
}
