/* Autograd through the nn ops: formulas of bp_derivatives_nn.c and the
 * backward ops' argument checks. Expected gradients are worked out by hand. */
#include <math.h>

#include "test_helpers.h"

static bp_tensor_t *param(int32_t ndim, const int64_t *shape, const float *data) {
  bp_tensor_t *t = tensor_f32(ref_device(), ndim, shape, data);
  BP_CHECK(bp_tensor_set_requires_grad(t, true));
  return t;
}

static void read_grad(bp_tensor_t *t, float *out, size_t n) {
  bp_tensor_t *g = bp_tensor_grad(t);
  cr_assert_not_null(g, "no gradient");
  read_f32(g, out, n);
}

Test(autograd_nn, linear_without_bias_leaves_the_placeholder_alone) {
  /* bias NULL: the bias slot holds the weight; its "gradient" must not reach the weight */
  int64_t sx[2] = {1, 2}, sw[2] = {2, 2};
  float xd[2] = {1, 2}, wd[4] = {1, 0, 0, 1};
  bp_tensor_t *x = param(2, sx, xd), *w = param(2, sw, wd), *y = NULL, *l = NULL;
  BP_CHECK(bp_linear(x, w, NULL, &y));
  BP_CHECK(bp_sum(y, 0, NULL, 0, &l));
  BP_CHECK(bp_backward(l, NULL, NULL));
  float gx[2], gw[4];
  read_grad(x, gx, 2);
  read_grad(w, gw, 4);
  cr_assert(gx[0] == 1 && gx[1] == 1, "gx %g %g", gx[0], gx[1]);
  const float want[4] = {1, 2, 1, 2}; /* g^T x, g = ones */
  for (int i = 0; i < 4; ++i) cr_assert_eq(gw[i], want[i], "gw[%d] = %g", i, gw[i]);
  bp_tensor_t *list[] = {x, w, y, l};
  for (int i = 0; i < 4; ++i) bp_tensor_release(list[i]);
}

Test(autograd_nn, cross_entropy_is_softmax_minus_one_hot) {
  int64_t sx[2] = {2, 3}, st[1] = {2};
  float xd[6] = {0, 0, 0, 0, 0, 0};
  int64_t td[2] = {2, 0};
  bp_tensor_t *x = param(2, sx, xd), *t = tensor_of(ref_device(), BP_DTYPE_I64, 1, st, td), *l = NULL;
  BP_CHECK(bp_cross_entropy(x, t, NULL, BP_REDUCTION_MEAN, -100, 0.0, &l));
  BP_CHECK(bp_backward(l, NULL, NULL));
  float g[6];
  read_grad(x, g, 6);
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 3; ++c)
      cr_assert_float_eq(g[n * 3 + c], (1.0f / 3 - (c == td[n] ? 1.0f : 0.0f)) / 2, 1e-6, "[%d][%d] %g", n, c,
                         g[n * 3 + c]);
  bp_tensor_release(x);
  bp_tensor_release(t);
  bp_tensor_release(l);
}

Test(autograd_nn, max_pool2d_routes_the_gradient_to_the_max) {
  int64_t s[4] = {1, 1, 2, 2}, k[2] = {2, 2};
  float xd[4] = {1, 4, 2, 3};
  bp_tensor_t *x = param(4, s, xd), *v = NULL, *i = NULL, *l = NULL;
  BP_CHECK(bp_max_pool2d(x, k, NULL, NULL, &v, &i));
  BP_CHECK(bp_sum(v, 0, NULL, 0, &l));
  BP_CHECK(bp_backward(l, NULL, NULL));
  float g[4];
  read_grad(x, g, 4);
  cr_assert(g[0] == 0 && g[1] == 1 && g[2] == 0 && g[3] == 0, "%g %g %g %g", g[0], g[1], g[2], g[3]);
  bp_tensor_t *list[] = {x, v, i, l};
  for (int j = 0; j < 4; ++j) bp_tensor_release(list[j]);
}

Test(autograd_nn, conv2d_then_softmax_gradients_flow) {
  /* 1x1 kernel of value 2 on [1, 1, 1, 2]: y = 2x + b; softmax over W; loss = y0 of softmax */
  int64_t sx[4] = {1, 1, 1, 2}, sw[4] = {1, 1, 1, 1}, sb[1] = {1};
  float xd[2] = {0.5f, -0.5f}, wd[1] = {2}, bd[1] = {0.25f};
  bp_tensor_t *x = param(4, sx, xd), *w = param(4, sw, wd), *b = param(1, sb, bd);
  bp_tensor_t *y = NULL, *p = NULL, *l = NULL;
  BP_CHECK(bp_conv2d(x, w, b, NULL, NULL, 1, &y));
  BP_CHECK(bp_softmax(y, -1, &p));
  BP_CHECK(bp_sum(p, 0, NULL, 0, &l)); /* softmax sums to 1: every gradient is 0 */
  BP_CHECK(bp_backward(l, NULL, NULL));
  float gx[2], gw[1], gb[1];
  read_grad(x, gx, 2);
  read_grad(w, gw, 1);
  read_grad(b, gb, 1);
  cr_assert_float_eq(gx[0], 0, 1e-6);
  cr_assert_float_eq(gx[1], 0, 1e-6);
  cr_assert_float_eq(gw[0], 0, 1e-6);
  cr_assert_float_eq(gb[0], 0, 1e-6);
  bp_tensor_t *list[] = {x, w, b, y, p, l};
  for (int j = 0; j < 6; ++j) bp_tensor_release(list[j]);
}

Test(autograd_nn, backward_ops_check_their_arguments) {
  uint32_t op = 0;
  BP_CHECK(bp_op_find("conv2d_backward", &op));
  int64_t sg[4] = {1, 2, 4, 4}, sx[4] = {1, 3, 5, 5}, sw[4] = {2, 3, 3, 3};
  float z[75] = {0};
  bp_tensor_t *in[3] = {tensor_f32(ref_device(), 4, sg, z), tensor_f32(ref_device(), 4, sx, z),
                        tensor_f32(ref_device(), 4, sw, z)};
  bp_tensor_t *out[3] = {NULL, NULL, NULL};
  BP_CHECK_FAILS(bp_op_run(op, 3, in, 0, NULL, 3, out), BP_STATUS_INVALID_ARGUMENT,
                 "bp_conv2d_backward: grad_output has shape [1,2,4,4] (expected [1,2,3,3]");
  for (int j = 0; j < 3; ++j) bp_tensor_release(in[j]);
}
