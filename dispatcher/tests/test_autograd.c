/* Autograd: recording, the engine, views, errors. Expected gradients are
 * worked out by hand. */
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

Test(autograd, mul_add_sum_with_broadcast_and_reuse) {
  int64_t s23[2] = {2, 3}, s3[1] = {3};
  float xd[6] = {1, 2, 3, 4, 5, 6}, wd[3] = {10, 20, 30};
  bp_tensor_t *x = param(2, s23, xd), *w = param(1, s3, wd);
  bp_tensor_t *xw = NULL, *xx = NULL, *y = NULL, *loss = NULL;
  BP_CHECK(bp_mul(x, w, &xw));      /* w broadcast over rows */
  BP_CHECK(bp_mul(x, x, &xx));      /* x used twice */
  BP_CHECK(bp_add(xw, xx, &y));
  BP_CHECK(bp_sum(y, 0, NULL, 0, &loss));
  cr_assert_str_eq(bp_tensor_grad_fn_name(loss), "sum");
  cr_assert(bp_tensor_is_leaf(x) && !bp_tensor_is_leaf(y));
  BP_CHECK(bp_backward(loss, NULL, NULL));
  float gx[6], gw[3];
  read_grad(x, gx, 6);
  read_grad(w, gw, 3);
  for (int i = 0; i < 6; ++i) cr_assert_eq(gx[i], wd[i % 3] + 2 * xd[i], "gx[%d] = %g", i, gx[i]);
  for (int j = 0; j < 3; ++j) cr_assert_eq(gw[j], xd[j] + xd[3 + j]);
  /* Gradients accumulate over backward passes; a second pass needs the graph. */
  BP_CHECK_FAILS(bp_backward(loss, NULL, NULL), BP_STATUS_FAILED_PRECONDITION,
                 "was freed by an earlier backward");
  bp_tensor_t *list[] = {x, w, xw, xx, y, loss};
  for (int i = 0; i < 6; ++i) bp_tensor_release(list[i]);
}

Test(autograd, retain_graph_accumulates) {
  int64_t s[1] = {2};
  float xd[2] = {3, -1};
  bp_tensor_t *x = param(1, s, xd), *y = NULL, *l = NULL;
  BP_CHECK(bp_exp(x, &y));
  BP_CHECK(bp_sum(y, 0, NULL, 0, &l));
  bp_backward_options_t keep = {.struct_size = sizeof(keep), .retain_graph = true};
  BP_CHECK(bp_backward(l, NULL, &keep));
  BP_CHECK(bp_backward(l, NULL, NULL));
  float g[2];
  read_grad(x, g, 2);
  cr_assert_float_eq(g[0], 2 * expf(3.0f), 1e-3);
  cr_assert_float_eq(g[1], 2 * expf(-1.0f), 1e-6);
  bp_tensor_release(x);
  bp_tensor_release(y);
  bp_tensor_release(l);
}

Test(autograd, matmul_gradients) {
  int64_t sa[2] = {2, 3}, sb[2] = {3, 2};
  float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, 0, 1, 1, 1};
  bp_tensor_t *ta = param(2, sa, a), *tb = param(2, sb, b), *c = NULL, *l = NULL;
  BP_CHECK(bp_matmul(ta, tb, &c));
  BP_CHECK(bp_sum(c, 0, NULL, 0, &l));
  BP_CHECK(bp_backward(l, NULL, NULL));
  /* d sum(A B) / dA = 1 B^T: row sums of B for each column k; dB = A^T 1. */
  float ga[6], gb[6];
  read_grad(ta, ga, 6);
  read_grad(tb, gb, 6);
  const float want_a[6] = {1, 1, 2, 1, 1, 2}, want_b[6] = {5, 5, 7, 7, 9, 9};
  for (int i = 0; i < 6; ++i) {
    cr_assert_eq(ga[i], want_a[i], "ga[%d]", i);
    cr_assert_eq(gb[i], want_b[i], "gb[%d]", i);
  }
  bp_tensor_t *list[] = {ta, tb, c, l};
  for (int i = 0; i < 4; ++i) bp_tensor_release(list[i]);
}

Test(autograd, views_route_gradients) {
  int64_t s[2] = {2, 3};
  float xd[6] = {0, 1, 2, 3, 4, 5};
  bp_tensor_t *x = param(2, s, xd), *t = NULL, *col = NULL, *sq = NULL, *l = NULL;
  int32_t perm[2] = {1, 0};
  BP_CHECK(bp_tensor_permute(x, perm, &t));       /* [3,2] */
  BP_CHECK(bp_tensor_slice(t, 0, 1, 3, 1, &col)); /* rows 1..2 of x^T: x[:,1:3]^T */
  BP_CHECK(bp_mul(col, col, &sq));
  BP_CHECK(bp_sum(sq, 0, NULL, 0, &l));
  BP_CHECK(bp_backward(l, NULL, NULL));
  float g[6];
  read_grad(x, g, 6);
  const float want[6] = {0, 2, 4, 0, 8, 10};
  for (int i = 0; i < 6; ++i) cr_assert_eq(g[i], want[i], "g[%d] = %g", i, g[i]);
  bp_tensor_t *list[] = {x, t, col, sq, l};
  for (int i = 0; i < 5; ++i) bp_tensor_release(list[i]);
}

Test(autograd, expand_sums_back) {
  int64_t s1[2] = {1, 3}, s43[2] = {4, 3};
  float xd[3] = {1, 2, 3};
  bp_tensor_t *x = param(2, s1, xd), *e = NULL, *l = NULL;
  BP_CHECK(bp_tensor_expand(x, 2, s43, &e));
  BP_CHECK(bp_sum(e, 0, NULL, 0, &l));
  BP_CHECK(bp_backward(l, NULL, NULL));
  float g[3];
  read_grad(x, g, 3);
  for (int i = 0; i < 3; ++i) cr_assert_eq(g[i], 4.0f);
  bp_tensor_release(x);
  bp_tensor_release(e);
  bp_tensor_release(l);
}

Test(autograd, inplace_modification_of_saved_tensor_is_caught) {
  int64_t s[1] = {3};
  float xd[3] = {1, 2, 3};
  bp_tensor_t *x = param(1, s, xd), *y = NULL, *z = NULL, *l = NULL;
  BP_CHECK(bp_mul(x, x, &y));   /* saves x */
  BP_CHECK(bp_exp(y, &z));      /* saves z = exp(y) */
  BP_CHECK(bp_sum(z, 0, NULL, 0, &l));
  bp_no_grad_enter();
  BP_CHECK(bp_fill(z, 0.0));    /* z changes after exp saved it */
  bp_no_grad_exit();
  BP_CHECK_FAILS(bp_backward(l, NULL, NULL), BP_STATUS_FAILED_PRECONDITION,
                 "output 0 of exp, saved for backward, was modified by an in-place operation");
  bp_tensor_t *list[] = {x, y, z, l};
  for (int i = 0; i < 4; ++i) bp_tensor_release(list[i]);
}

Test(autograd, no_grad_detach_and_errors) {
  int64_t s[1] = {2};
  float xd[2] = {1, 2};
  bp_tensor_t *x = param(1, s, xd), *y = NULL, *d = NULL, *z = NULL, *idx = NULL;
  bp_no_grad_enter();
  bp_no_grad_enter();
  cr_assert_not(bp_grad_is_enabled());
  BP_CHECK(bp_mul(x, x, &y));
  bp_no_grad_exit();
  cr_assert_not(bp_grad_is_enabled(), "the guards nest");
  bp_no_grad_exit();
  cr_assert(bp_grad_is_enabled());
  cr_assert_not(bp_tensor_requires_grad(y));
  BP_CHECK_FAILS(bp_backward(y, NULL, NULL), BP_STATUS_INVALID_ARGUMENT, "does not require grad");
  BP_CHECK(bp_tensor_detach(x, &d));
  cr_assert_not(bp_tensor_requires_grad(d));
  BP_CHECK(bp_mul(x, d, &z));
  BP_CHECK_FAILS(bp_backward(z, NULL, NULL), BP_STATUS_INVALID_ARGUMENT,
                 "grad_output may be NULL only for an output of one element");
  /* Writing in place into a leaf that requires grad is refused up front. */
  BP_CHECK_FAILS(bp_add_out(x, x, x), BP_STATUS_INVALID_ARGUMENT,
                 "writes in place into a leaf tensor that requires grad");
  int64_t i2[1] = {2};
  BP_CHECK_FAILS(bp_tensor_set_requires_grad(z, false), BP_STATUS_FAILED_PRECONDITION,
                 "only leaf tensors");
  int64_t iv[2] = {1, 2};
  idx = tensor_of(ref_device(), BP_DTYPE_I64, 1, i2, iv);
  BP_CHECK_FAILS(bp_tensor_set_requires_grad(idx, true), BP_STATUS_INVALID_ARGUMENT,
                 "only floating-point tensors can require grad");
  bp_tensor_t *list[] = {x, y, d, z, idx};
  for (int i = 0; i < 5; ++i) bp_tensor_release(list[i]);
}

Test(autograd, retain_grad_of_non_leaf) {
  int64_t s[1] = {2};
  float xd[2] = {1, 2};
  bp_tensor_t *x = param(1, s, xd), *y = NULL, *z = NULL, *l = NULL;
  BP_CHECK(bp_mul(x, x, &y));
  BP_CHECK(bp_tensor_retain_grad(y));
  BP_CHECK(bp_tanh(y, &z));
  BP_CHECK(bp_sum(z, 0, NULL, 0, &l));
  BP_CHECK(bp_backward(l, NULL, NULL));
  float gy[2], gx[2];
  read_grad(y, gy, 2);
  read_grad(x, gx, 2);
  for (int i = 0; i < 2; ++i) {
    float t = tanhf(xd[i] * xd[i]);
    cr_assert_float_eq(gy[i], 1 - t * t, 1e-6);
    cr_assert_float_eq(gx[i], (1 - t * t) * 2 * xd[i], 1e-6);
  }
  bp_tensor_t *list[] = {x, y, z, l};
  for (int i = 0; i < 4; ++i) bp_tensor_release(list[i]);
}

Test(autograd, dropout_gradient_uses_the_same_mask) {
  int64_t s[1] = {64};
  float xd[64];
  for (int i = 0; i < 64; ++i) xd[i] = (float)(i + 1);
  bp_tensor_t *x = param(1, s, xd), *y = NULL, *l = NULL;
  uint32_t op;
  BP_CHECK(bp_op_find("dropout", &op));
  bp_attr_t attrs[3] = {
      {.type = BP_ATTR_FLOAT, .name = "p", .count = 1, .value.f = 0.25},
      {.type = BP_ATTR_INT, .name = "seed", .count = 1, .value.i = 7},
      {.type = BP_ATTR_INT, .name = "offset", .count = 1, .value.i = 3},
  };
  bp_tensor_t *out[1] = {NULL};
  BP_CHECK(bp_op_run(op, 1, &x, 3, attrs, 1, out));
  y = out[0];
  BP_CHECK(bp_sum(y, 0, NULL, 0, &l));
  BP_CHECK(bp_backward(l, NULL, NULL));
  float yv[64], g[64];
  read_f32(y, yv, 64);
  read_grad(x, g, 64);
  int kept = 0;
  for (int i = 0; i < 64; ++i) {
    /* kept elements: y = x / 0.75 and dy/dx = 1/0.75; dropped: both 0 */
    if (yv[i] != 0.0f) {
      ++kept;
      cr_assert_float_eq(g[i], 1.0f / 0.75f, 1e-6, "g[%d] = %g", i, g[i]);
    } else {
      cr_assert_eq(g[i], 0.0f, "g[%d] = %g", i, g[i]);
    }
  }
  cr_assert(kept > 30 && kept < 64, "kept %d of 64", kept);
  bp_tensor_release(x);
  bp_tensor_release(y);
  bp_tensor_release(l);
}
