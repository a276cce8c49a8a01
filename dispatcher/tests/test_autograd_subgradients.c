/* Gradients at points where the derivative is not defined, which
 * gradcheck cannot check: the values PyTorch chooses (ties share the
 * gradient, kinks give 0), worked out by hand. */
#include "test_helpers.h"

static bp_tensor_t *leaf(int32_t ndim, const int64_t *shape, const float *v) {
  bp_tensor_t *t = tensor_f32(ref_device(), ndim, shape, v);
  BP_CHECK(bp_tensor_set_requires_grad(t, true));
  return t;
}

static void expect_grad(bp_tensor_t *t, const float *want, size_t n, const char *what) {
  float got[16];
  cr_assert_not_null(bp_tensor_grad(t), "%s: no gradient", what);
  read_f32(bp_tensor_grad(t), got, n);
  for (size_t i = 0; i < n; ++i) cr_expect_eq(got[i], want[i], "%s [%zu]: %g, want %g", what, i, got[i], want[i]);
}

static void sum_backward(bp_tensor_t *y) {
  bp_tensor_t *l = NULL;
  BP_CHECK(bp_sum(y, 0, NULL, 0, &l));
  BP_CHECK(bp_backward(l, NULL, NULL));
  bp_tensor_release(l);
}

Test(subgradients, ties_share_the_gradient) {
  const int64_t s4[1] = {4};
  const float a[4] = {1, 2, 3, 2}, b[4] = {1, 5, 0, 2};
  bp_tensor_t *x = leaf(1, s4, a), *y = leaf(1, s4, b), *m = NULL;
  BP_CHECK(bp_maximum(x, y, &m));
  sum_backward(m);
  expect_grad(x, (const float[]){0.5f, 0, 1, 0.5f}, 4, "maximum a");
  expect_grad(y, (const float[]){0.5f, 1, 0, 0.5f}, 4, "maximum b");
  bp_tensor_release(m);
  bp_tensor_clear_grad(x);
  /* amax: the maximum 3 once; with [3, 1, 3, 0] the two 3s get half each */
  const float t[4] = {3, 1, 3, 0};
  bp_tensor_t *z = leaf(1, s4, t), *am = NULL;
  BP_CHECK(bp_amax(z, 0, NULL, 0, &am));
  sum_backward(am);
  expect_grad(z, (const float[]){0.5f, 0, 0.5f, 0}, 4, "amax");
  /* max along a dim: the whole gradient to the index it returns */
  bp_tensor_t *z2 = leaf(1, s4, t), *v = NULL, *idx = NULL;
  BP_CHECK(bp_max_dim(z2, 0, 0, &v, &idx));
  sum_backward(v);
  int64_t first = 0;
  BP_CHECK(bp_tensor_copy_to_host(idx, &first, sizeof(first)));
  float want[4] = {0, 0, 0, 0};
  want[first] = 1;
  expect_grad(z2, want, 4, "max");
  bp_tensor_t *list[] = {x, y, z, am, z2, v, idx};
  for (int i = 0; i < 7; ++i) bp_tensor_release(list[i]);
}

Test(subgradients, kinks_give_zero) {
  const int64_t s3[1] = {3};
  const float v[3] = {0, -1, 2};
  bp_tensor_t *x = leaf(1, s3, v), *y = NULL;
  BP_CHECK(bp_abs(x, &y));
  sum_backward(y);
  expect_grad(x, (const float[]){0, -1, 1}, 3, "abs");
  bp_tensor_release(y);
  bp_tensor_clear_grad(x);
  double lo = 0, hi = 2;
  BP_CHECK(bp_clamp(x, &lo, &hi, &y)); /* at the bounds: gradient passes (torch) */
  sum_backward(y);
  expect_grad(x, (const float[]){1, 0, 1}, 3, "clamp");
  bp_tensor_release(y);
  bp_tensor_clear_grad(x);
  /* norm at 0: 0, not NaN */
  const float zeros[3] = {0, 0, 0};
  bp_tensor_t *z = leaf(1, s3, zeros), *n = NULL;
  BP_CHECK(bp_norm(z, 2.0, 0, NULL, 0, &n));
  BP_CHECK(bp_backward(n, NULL, NULL));
  expect_grad(z, zeros, 3, "norm at 0");
  bp_tensor_release(n);
  /* std of a constant: 0 (torch masks the division by zero) */
  bp_tensor_t *c = leaf(1, s3, (const float[]){2, 2, 2}), *sd = NULL;
  BP_CHECK(bp_std(c, 0, NULL, 1, 0, &sd));
  BP_CHECK(bp_backward(sd, NULL, NULL));
  expect_grad(c, zeros, 3, "std of a constant");
  bp_tensor_t *list[] = {x, z, c, sd};
  for (int i = 0; i < 4; ++i) bp_tensor_release(list[i]);
}
