/* The nn2 family through the public API: typed entry points, optional
 * tensors, in-place running stats, index errors and inference messages.
 * Expected values are written out by hand or from plain loops here. */
#include <math.h>
#include <stdint.h>

#include "test_helpers.h"

static bp_tensor_t *i64_tensor(int32_t ndim, const int64_t *shape, const int64_t *data) {
  return tensor_of(ref_device(), BP_DTYPE_I64, ndim, shape, data);
}

Test(ops_nn2, batch_norm_training_updates_running_stats_in_place) {
  /* x [4, 1]: mean 2.5, biased var 1.25, unbiased 5/3 */
  int64_t sx[2] = {4, 1}, sc[1] = {1};
  float dx[4] = {1, 2, 3, 4}, zero[1] = {0}, one[1] = {1};
  bp_tensor_t *x = tensor_f32(ref_device(), 2, sx, dx);
  bp_tensor_t *rm = tensor_f32(ref_device(), 1, sc, zero), *rv = tensor_f32(ref_device(), 1, sc, one);
  bp_tensor_t *y = NULL;
  BP_CHECK(bp_batch_norm(x, NULL, NULL, rm, rv, 1, 0.5, 0.0, &y));
  float out[4], m, v;
  read_f32(y, out, 4);
  for (int i = 0; i < 4; ++i)
    cr_assert_float_eq(out[i], (dx[i] - 2.5) / sqrt(1.25), 1e-6, "y[%d] = %g", i, out[i]);
  read_f32(rm, &m, 1);
  read_f32(rv, &v, 1);
  cr_assert_float_eq(m, 0.5 * 0 + 0.5 * 2.5, 1e-6);
  cr_assert_float_eq(v, 0.5 * 1 + 0.5 * (5.0 / 3.0), 1e-6);
  bp_tensor_release(y);
  /* eval: the running stats normalize, nothing is updated */
  BP_CHECK(bp_batch_norm(x, NULL, NULL, rm, rv, 0, 0.5, 0.0, &y));
  read_f32(y, out, 4);
  cr_assert_float_eq(out[0], (1 - 1.25) / sqrt(v), 1e-6);
  float m2;
  read_f32(rm, &m2, 1);
  cr_assert_eq(m2, m);
  bp_tensor_release(y);
  y = NULL;
  BP_CHECK_FAILS(bp_batch_norm(x, NULL, NULL, NULL, NULL, 0, 0.1, 1e-5, &y), BP_STATUS_INVALID_ARGUMENT,
                 "bp_batch_norm: running_mean and running_var are required when training is false");
  BP_CHECK_FAILS(bp_batch_norm(x, NULL, NULL, rm, NULL, 1, 0.1, 1e-5, &y), BP_STATUS_INVALID_ARGUMENT,
                 "must both be given");
  cr_assert_null(y);
  bp_tensor_release(x);
  bp_tensor_release(rm);
  bp_tensor_release(rv);
}

Test(ops_nn2, layer_norm_values_and_shape_errors) {
  int64_t sx[2] = {2, 2}, sw[1] = {2};
  float dx[4] = {1, 3, -2, 2}, dw[2] = {2, 1}, db[2] = {0.5f, 0};
  bp_tensor_t *x = tensor_f32(ref_device(), 2, sx, dx);
  bp_tensor_t *w = tensor_f32(ref_device(), 1, sw, dw), *b = tensor_f32(ref_device(), 1, sw, db);
  bp_tensor_t *y = NULL;
  int64_t ns[1] = {2};
  BP_CHECK(bp_layer_norm(x, 1, ns, w, b, 0.0, &y));
  float out[4];
  read_f32(y, out, 4);
  const float want[4] = {-2 + 0.5f, 1, -2 + 0.5f, 1}; /* rows normalize to [-1, 1] */
  for (int i = 0; i < 4; ++i) cr_assert_float_eq(out[i], want[i], 1e-6, "y[%d] = %g", i, out[i]);
  bp_tensor_release(y);
  y = NULL;
  int64_t bad[1] = {3};
  BP_CHECK_FAILS(bp_layer_norm(x, 1, bad, NULL, NULL, 1e-5, &y), BP_STATUS_INVALID_ARGUMENT,
                 "bp_layer_norm: x of shape [2,2] does not end with normalized_shape [3]");
  BP_CHECK_FAILS(bp_group_norm(x, 3, NULL, NULL, 1e-5, &y), BP_STATUS_INVALID_ARGUMENT,
                 "bp_group_norm: num_groups 3 must be positive and divide the 2 channels");
  int64_t s3[1] = {3};
  float d3[3] = {1, 1, 1};
  bp_tensor_t *w3 = tensor_f32(ref_device(), 1, s3, d3);
  BP_CHECK_FAILS(bp_layer_norm(x, 1, ns, w3, NULL, 1e-5, &y), BP_STATUS_INVALID_ARGUMENT,
                 "bp_layer_norm: weight has shape [3] (expected normalized_shape [2])");
  cr_assert_null(y);
  bp_tensor_release(x);
  bp_tensor_release(w);
  bp_tensor_release(b);
  bp_tensor_release(w3);
}

Test(ops_nn2, softmax_rows_and_dim_error) {
  int64_t s[2] = {2, 2};
  float d[4] = {0, 0, 1000, 1000 + logf(3.0f)};
  bp_tensor_t *x = tensor_f32(ref_device(), 2, s, d), *y = NULL, *ly = NULL;
  BP_CHECK(bp_softmax(x, -1, &y));
  BP_CHECK(bp_log_softmax(x, 1, &ly));
  float out[4], lout[4];
  read_f32(y, out, 4);
  read_f32(ly, lout, 4);
  cr_assert_float_eq(out[0], 0.5, 1e-6);
  cr_assert_float_eq(out[2], 0.25, 1e-4);
  cr_assert_float_eq(out[3], 0.75, 1e-4);
  cr_assert_float_eq(lout[1], logf(0.5f), 1e-6);
  bp_tensor_t *z = NULL;
  BP_CHECK_FAILS(bp_softmax(x, 2, &z), BP_STATUS_INVALID_ARGUMENT,
                 "bp_softmax: dim 2 out of range for a 2-d tensor (expected -2..1)");
  bp_tensor_release(x);
  bp_tensor_release(y);
  bp_tensor_release(ly);
}

Test(ops_nn2, index_ops_reject_out_of_range_indices) {
  int64_t sx[2] = {2, 3};
  float dx[6] = {0, 1, 2, 3, 4, 5};
  bp_tensor_t *x = tensor_f32(ref_device(), 2, sx, dx), *out = NULL;
  int64_t si[2] = {1, 2}, di[2] = {2, 0};
  bp_tensor_t *idx = i64_tensor(2, si, di);
  BP_CHECK_FAILS(bp_gather(x, 0, idx, &out), BP_STATUS_INVALID_ARGUMENT,
                 "bp_gather: index 2 is out of range (expected 0..1, size 2)");
  BP_CHECK(bp_gather(x, 1, idx, &out));
  float g[2];
  read_f32(out, g, 2);
  cr_assert(g[0] == 2 && g[1] == 0);
  bp_tensor_release(out);
  out = NULL;
  int64_t s1[1] = {2}, bad[2] = {1, -1};
  bp_tensor_t *bidx = i64_tensor(1, s1, bad);
  BP_CHECK_FAILS(bp_index_select(x, 1, bidx, &out), BP_STATUS_INVALID_ARGUMENT,
                 "bp_index_select: index -1 is out of range (expected 0..2, size 3)");
  BP_CHECK_FAILS(bp_embedding(x, bidx, &out), BP_STATUS_INVALID_ARGUMENT,
                 "bp_embedding: index -1 is out of range (expected 0..1, size 2)");
  cr_assert_null(out);
  int64_t t[2] = {0, 7};
  bp_tensor_t *target = i64_tensor(1, s1, t);
  BP_CHECK_FAILS(bp_cross_entropy(x, target, NULL, BP_REDUCTION_MEAN, -100, 0.0, &out),
                 BP_STATUS_INVALID_ARGUMENT, "bp_cross_entropy: target 7 is out of bounds (expected 0..2 or ignore_index)");
  bp_tensor_release(x);
  bp_tensor_release(idx);
  bp_tensor_release(bidx);
  bp_tensor_release(target);
}

Test(ops_nn2, one_hot_infers_classes_and_scatter_add_wraps) {
  int64_t s[1] = {3}, d[3] = {2, 0, 4};
  bp_tensor_t *x = i64_tensor(1, s, d), *out = NULL;
  BP_CHECK(bp_one_hot(x, -1, &out));
  cr_assert_eq(bp_tensor_shape(out)[1], 5);
  int64_t oh[15];
  BP_CHECK(bp_tensor_copy_to_host(out, oh, sizeof(oh)));
  for (int i = 0; i < 3; ++i)
    for (int c = 0; c < 5; ++c) cr_assert_eq(oh[i * 5 + c], c == d[i]);
  bp_tensor_release(out);
  out = NULL;
  BP_CHECK_FAILS(bp_one_hot(x, 3, &out), BP_STATUS_INVALID_ARGUMENT, "bp_one_hot: class value 4 is out of range");

  int64_t s2[1] = {2}, dself[2] = {INT64_MAX, 5}, idx[3] = {0, 0, 1}, src[3] = {1, 2, -7};
  bp_tensor_t *self = i64_tensor(1, s2, dself), *index = i64_tensor(1, s, idx), *source = i64_tensor(1, s, src);
  BP_CHECK(bp_scatter_add(self, 0, index, source, &out));
  int64_t r[2];
  BP_CHECK(bp_tensor_copy_to_host(out, r, sizeof(r)));
  cr_assert_eq(r[0], INT64_MIN + 2);
  cr_assert_eq(r[1], -2);
  bp_tensor_release(out);
  bp_tensor_release(x);
  bp_tensor_release(self);
  bp_tensor_release(index);
  bp_tensor_release(source);
}

Test(ops_nn2, losses_by_hand) {
  /* nll over log-probs [2, 3], target {1, ignored}: mean = -x[0][1] */
  int64_t sx[2] = {2, 3}, st[1] = {2};
  float dx[6] = {-1, -2, -3, -4, -5, -6};
  int64_t dt[2] = {1, -100};
  bp_tensor_t *x = tensor_f32(ref_device(), 2, sx, dx), *t = i64_tensor(1, st, dt), *out = NULL;
  BP_CHECK(bp_nll_loss(x, t, NULL, BP_REDUCTION_MEAN, -100, &out));
  cr_assert_eq(bp_tensor_ndim(out), 0);
  float v;
  read_f32(out, &v, 1);
  cr_assert_float_eq(v, 2.0, 1e-6);
  bp_tensor_release(out);
  /* mse with broadcasting, sum: (1-0)^2 + (2-0)^2 + (3-1)^2 + (4-1)^2... */
  int64_t sa[2] = {2, 2}, sb[2] = {2, 1};
  float da[4] = {1, 2, 3, 4}, db[2] = {0, 1};
  bp_tensor_t *a = tensor_f32(ref_device(), 2, sa, da), *b = tensor_f32(ref_device(), 2, sb, db);
  BP_CHECK(bp_mse_loss(a, b, BP_REDUCTION_SUM, &out));
  read_f32(out, &v, 1);
  cr_assert_float_eq(v, 1 + 4 + 4 + 9, 1e-6);
  bp_tensor_release(out);
  out = NULL;
  BP_CHECK_FAILS(bp_mse_loss(a, b, (bp_reduction_t)3, &out), BP_STATUS_INVALID_ARGUMENT,
                 "bp_mse_loss: reduction 3 is not one of 0 (none), 1 (mean), 2 (sum)");
  /* bce with logits at 0: log(2) per element */
  BP_CHECK(bp_binary_cross_entropy_with_logits(b, b, NULL, NULL, BP_REDUCTION_NONE, &out));
  float e[2];
  read_f32(out, e, 2);
  cr_assert_float_eq(e[0], logf(2.0f), 1e-6);
  cr_assert_float_eq(e[1], log1pf(expf(-1.0f)), 1e-6);
  bp_tensor_release(out);
  bp_tensor_release(x);
  bp_tensor_release(t);
  bp_tensor_release(a);
  bp_tensor_release(b);
}

Test(ops_nn2, sdpa_causal_first_query_sees_only_the_first_key) {
  int64_t s[2] = {2, 1};
  float q[2] = {1, 1}, k[2] = {0, 0}, v[2] = {10, 20};
  bp_tensor_t *tq = tensor_f32(ref_device(), 2, s, q), *tk = tensor_f32(ref_device(), 2, s, k);
  bp_tensor_t *tv = tensor_f32(ref_device(), 2, s, v), *out = NULL;
  BP_CHECK(bp_scaled_dot_product_attention(tq, tk, tv, NULL, 1, 0.0, &out));
  float o[2];
  read_f32(out, o, 2);
  cr_assert_float_eq(o[0], 10, 1e-6); /* only key 0 */
  cr_assert_float_eq(o[1], 15, 1e-6); /* equal scores: the mean */
  bp_tensor_release(out);
  out = NULL;
  bool m[4] = {true, true, true, false};
  int64_t sm[2] = {2, 2};
  bp_tensor_t *mask = tensor_of(ref_device(), BP_DTYPE_BOOL, 2, sm, m);
  BP_CHECK_FAILS(bp_scaled_dot_product_attention(tq, tk, tv, mask, 1, 0.0, &out), BP_STATUS_INVALID_ARGUMENT,
                 "attn_mask must not be given with is_causal");
  BP_CHECK(bp_scaled_dot_product_attention(tq, tk, tv, mask, 0, 0.0, &out));
  read_f32(out, o, 2);
  cr_assert_float_eq(o[0], 15, 1e-6);
  cr_assert_float_eq(o[1], 10, 1e-6);
  bp_tensor_release(out);
  bp_tensor_release(tq);
  bp_tensor_release(tk);
  bp_tensor_release(tv);
  bp_tensor_release(mask);
}
