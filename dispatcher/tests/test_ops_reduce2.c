/* The reductions beyond sum through the public API on ref:0: output shapes
 * and dtypes, keepdim, negative dims, empty reductions, error messages, the
 * typed entry points and _out through bp_op_run. Expected values are written
 * out by hand. */
#include <math.h>
#include <stdint.h>

#include "test_helpers.h"

/* x = [[1, 5, 2], [7, 0, 7]] (f32) */
static bp_tensor_t *small(void) {
  static const float d[6] = {1, 5, 2, 7, 0, 7};
  int64_t s[2] = {2, 3};
  return tensor_f32(ref_device(), 2, s, d);
}

static int64_t read_i64(bp_tensor_t *t, int64_t *out, size_t n) {
  cr_assert_eq(bp_tensor_dtype(t), BP_DTYPE_I64);
  cr_assert_eq((size_t)bp_tensor_numel(t), n);
  BP_CHECK(bp_tensor_copy_to_host(t, out, n * sizeof(int64_t)));
  return out[0];
}

Test(ops_reduce2, mean_prod_amax_amin_shapes_and_values) {
  bp_tensor_t *x = small(), *r = NULL;
  int64_t d1[1] = {-1};
  float v[3];
  BP_CHECK(bp_mean(x, 1, d1, 0, &r));
  cr_assert_eq(bp_tensor_ndim(r), 1);
  read_f32(r, v, 2);
  cr_assert_float_eq(v[0], 8.0f / 3.0f, 1e-6);
  cr_assert_float_eq(v[1], 14.0f / 3.0f, 1e-6);
  bp_tensor_release(r);
  BP_CHECK(bp_prod(x, 0, NULL, 1, &r));
  cr_assert_eq(bp_tensor_ndim(r), 2);
  read_f32(r, v, 1);
  cr_assert_eq(v[0], 0.0f);
  bp_tensor_release(r);
  int64_t d0[1] = {0};
  BP_CHECK(bp_amax(x, 1, d0, 1, &r));
  cr_assert_eq(bp_tensor_shape(r)[0], 1);
  cr_assert_eq(bp_tensor_shape(r)[1], 3);
  read_f32(r, v, 3);
  cr_assert(v[0] == 7 && v[1] == 5 && v[2] == 7);
  bp_tensor_release(r);
  BP_CHECK(bp_amin(x, 0, NULL, 0, &r));
  cr_assert_eq(bp_tensor_ndim(r), 0);
  read_f32(r, v, 1);
  cr_assert_eq(v[0], 0.0f);
  bp_tensor_release(r);
  bp_tensor_release(x);
}

Test(ops_reduce2, mean_needs_floats_prod_of_ints_is_i64) {
  int32_t d[4] = {2, 3, -1, 4};
  int64_t s[1] = {4};
  bp_tensor_t *x = tensor_of(ref_device(), BP_DTYPE_I32, 1, s, d), *r = NULL;
  BP_CHECK_FAILS(bp_mean(x, 0, NULL, 0, &r), BP_STATUS_INVALID_ARGUMENT,
                 "bp_mean: x is i32; mean needs a floating point x");
  BP_CHECK(bp_prod(x, 0, NULL, 0, &r));
  int64_t p;
  cr_assert_eq(read_i64(r, &p, 1), -24);
  bp_tensor_release(r);
  bp_tensor_release(x);
}

Test(ops_reduce2, max_dim_values_and_first_index) {
  bp_tensor_t *x = small(), *val = NULL, *idx = NULL;
  BP_CHECK(bp_max_dim(x, -1, 0, &val, &idx));
  float v[2];
  int64_t i[2];
  read_f32(val, v, 2);
  read_i64(idx, i, 2);
  cr_assert(v[0] == 5 && v[1] == 7);
  cr_assert(i[0] == 1 && i[1] == 0); /* the first 7 */
  bp_tensor_release(val);
  bp_tensor_release(idx);
  BP_CHECK(bp_min_dim(x, 0, 1, &val, &idx));
  cr_assert_eq(bp_tensor_ndim(idx), 2);
  int64_t j[3];
  read_i64(idx, j, 3);
  cr_assert(j[0] == 0 && j[1] == 1 && j[2] == 0);
  bp_tensor_release(val);
  bp_tensor_release(idx);
  BP_CHECK_FAILS(bp_max_dim(x, 2, 0, &val, &idx), BP_STATUS_INVALID_ARGUMENT,
                 "bp_max: dim 2 out of range for a 2-d tensor (expected -2..1)");
  BP_CHECK_FAILS(bp_max_dim(x, 0, 0, &val, NULL), BP_STATUS_INVALID_ARGUMENT,
                 "bp_max: indices is NULL");
  bp_tensor_release(x);
}

Test(ops_reduce2, argmax_flattened_and_along_dim) {
  bp_tensor_t *x = small(), *r = NULL;
  int64_t i[3];
  BP_CHECK(bp_argmax(x, 0, 0, 0, &r));
  cr_assert_eq(bp_tensor_ndim(r), 0);
  cr_assert_eq(read_i64(r, i, 1), 3);
  bp_tensor_release(r);
  BP_CHECK(bp_argmin(x, 1, 1, 1, &r));
  cr_assert_eq(bp_tensor_ndim(r), 2);
  read_i64(r, i, 2);
  cr_assert(i[0] == 0 && i[1] == 1);
  bp_tensor_release(r);
  /* transposed view: argmax of the flattened [[1,7],[5,0],[2,7]] is 1 */
  bp_tensor_t *t = NULL;
  BP_CHECK(bp_tensor_permute(x, (const int32_t[]){1, 0}, &t));
  BP_CHECK(bp_argmax(t, 0, 0, 0, &r));
  cr_assert_eq(read_i64(r, i, 1), 1);
  bp_tensor_release(r);
  bp_tensor_release(t);
  bp_tensor_release(x);
}

Test(ops_reduce2, empty_reductions_follow_torch) {
  int64_t s[2] = {0, 3};
  bp_tensor_t *e = NULL, *r = NULL, *i = NULL;
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_F32, 2, s, &e));
  int64_t d0[1] = {0}, d1[1] = {1};
  float v[3];
  BP_CHECK(bp_mean(e, 1, d0, 0, &r));
  read_f32(r, v, 3);
  cr_assert(isnan(v[0]) && isnan(v[2]));
  bp_tensor_release(r);
  BP_CHECK(bp_prod(e, 1, d0, 0, &r));
  read_f32(r, v, 3);
  cr_assert(v[0] == 1.0f && v[2] == 1.0f);
  bp_tensor_release(r);
  BP_CHECK(bp_logsumexp(e, 1, d0, 0, &r));
  read_f32(r, v, 3);
  cr_assert(isinf(v[1]) && v[1] < 0);
  bp_tensor_release(r);
  BP_CHECK(bp_all(e, 1, d0, 0, &r));
  cr_assert_eq(bp_tensor_dtype(r), BP_DTYPE_BOOL);
  uint8_t b[3];
  BP_CHECK(bp_tensor_copy_to_host(r, b, 3));
  cr_assert(b[0] == 1 && b[1] == 1 && b[2] == 1);
  bp_tensor_release(r);
  BP_CHECK(bp_any(e, 1, d0, 0, &r));
  BP_CHECK(bp_tensor_copy_to_host(r, b, 3));
  cr_assert(b[0] == 0 && b[1] == 0 && b[2] == 0);
  bp_tensor_release(r);
  BP_CHECK_FAILS(bp_amax(e, 1, d0, 0, &r), BP_STATUS_INVALID_ARGUMENT,
                 "bp_amax: x: expected reduction dim 0 to have non-zero size");
  BP_CHECK_FAILS(bp_argmax(e, 0, 0, 0, &r), BP_STATUS_INVALID_ARGUMENT,
                 "bp_argmax: x: expected reduction dim 0 to have non-zero size");
  BP_CHECK_FAILS(bp_norm(e, INFINITY, 1, d0, 0, &r), BP_STATUS_INVALID_ARGUMENT,
                 "bp_norm: x: expected reduction dim 0");
  BP_CHECK(bp_norm(e, 2.0, 1, d0, 0, &r));
  read_f32(r, v, 3);
  cr_assert(v[0] == 0.0f);
  bp_tensor_release(r);
  /* reducing the non-empty dim of an empty tensor gives an empty result */
  BP_CHECK(bp_max_dim(e, 1, 0, &r, &i));
  cr_assert_eq(bp_tensor_numel(r), 0);
  cr_assert_eq(bp_tensor_shape(i)[0], 0);
  bp_tensor_release(r);
  bp_tensor_release(i);
  (void)d1;
  bp_tensor_release(e);
}

Test(ops_reduce2, var_std_norm_and_errors) {
  bp_tensor_t *x = small(), *r = NULL;
  int64_t d1[1] = {1};
  float v[2];
  BP_CHECK(bp_var(x, 1, d1, 1, 0, &r)); /* [1,5,2]: mean 8/3, m2 = 26/3 */
  read_f32(r, v, 2);
  cr_assert_float_eq(v[0], 13.0f / 3.0f, 1e-5);
  cr_assert_float_eq(v[1], 49.0f / 3.0f, 1e-5);
  bp_tensor_release(r);
  BP_CHECK(bp_std(x, 1, d1, 0, 0, &r));
  read_f32(r, v, 2);
  cr_assert_float_eq(v[0], sqrtf(26.0f / 9.0f), 1e-5);
  bp_tensor_release(r);
  BP_CHECK(bp_var(x, 1, d1, 3, 0, &r)); /* N - correction = 0: m2 / 0 */
  read_f32(r, v, 2);
  cr_assert(isinf(v[0]) && v[0] > 0);
  bp_tensor_release(r);
  BP_CHECK(bp_norm(x, 1.0, 0, NULL, 0, &r));
  read_f32(r, v, 1);
  cr_assert_eq(v[0], 22.0f);
  bp_tensor_release(r);
  BP_CHECK(bp_norm(x, INFINITY, 1, d1, 0, &r));
  read_f32(r, v, 2);
  cr_assert(v[0] == 5.0f && v[1] == 7.0f);
  bp_tensor_release(r);
  int64_t s[1] = {2};
  int64_t id[2] = {1, 2};
  bp_tensor_t *n = tensor_of(ref_device(), BP_DTYPE_I64, 1, s, id);
  BP_CHECK_FAILS(bp_var(n, 0, NULL, 1, 0, &r), BP_STATUS_INVALID_ARGUMENT,
                 "bp_var: x is i64; expected a floating point dtype");
  BP_CHECK_FAILS(bp_norm(n, 2.0, 0, NULL, 0, &r), BP_STATUS_INVALID_ARGUMENT,
                 "bp_norm: x is i64");
  BP_CHECK(bp_logsumexp(n, 0, NULL, 0, &r)); /* ints give f32 */
  cr_assert_eq(bp_tensor_dtype(r), BP_DTYPE_F32);
  read_f32(r, v, 1);
  cr_assert_float_eq(v[0], (float)(2.0 + log1p(exp(-1.0))), 1e-6);
  bp_tensor_release(r);
  BP_CHECK_FAILS(bp_all(n, 2, (const int64_t[]){0, -1}, 0, &r), BP_STATUS_INVALID_ARGUMENT,
                 "bp_all: dim 0 appears twice");
  bp_tensor_release(n);
  bp_tensor_release(x);
}

Test(ops_reduce2, cumsum_cumprod_dims_dtypes_and_out) {
  bp_tensor_t *x = small(), *r = NULL;
  float v[6];
  BP_CHECK(bp_cumsum(x, -1, &r));
  cr_assert_eq(bp_tensor_ndim(r), 2);
  read_f32(r, v, 6);
  const float want[6] = {1, 6, 8, 7, 7, 14};
  for (int k = 0; k < 6; ++k) cr_assert_eq(v[k], want[k]);
  bp_tensor_release(r);
  BP_CHECK(bp_cumprod(x, 0, &r));
  read_f32(r, v, 6);
  const float wantp[6] = {1, 5, 2, 7, 0, 14};
  for (int k = 0; k < 6; ++k) cr_assert_eq(v[k], wantp[k]);
  bp_tensor_release(r);
  BP_CHECK_FAILS(bp_cumsum(x, 2, &r), BP_STATUS_INVALID_ARGUMENT,
                 "bp_cumsum: dim 2 out of range for a 2-d tensor (expected -2..1)");
  /* bool gives i64; an _out through bp_op_run into a transposed view */
  uint8_t b[6] = {1, 0, 1, 1, 1, 0};
  int64_t s[2] = {2, 3}, st[2] = {3, 2};
  bp_tensor_t *bx = tensor_of(ref_device(), BP_DTYPE_BOOL, 2, s, b), *o = NULL, *ov = NULL;
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_I64, 2, st, &o));
  BP_CHECK(bp_tensor_permute(o, (const int32_t[]){1, 0}, &ov));
  uint32_t op;
  BP_CHECK(bp_op_find("cumsum", &op));
  bp_attr_t a = {.struct_size = sizeof a, .type = BP_ATTR_INT, .name = "dim", .count = 1,
                 .value.i = 1};
  BP_CHECK(bp_op_run(op, 1, &bx, 1, &a, 1, &ov));
  int64_t got[6];
  BP_CHECK(bp_tensor_copy_to_host(o, got, sizeof got)); /* o is [3, 2]: out transposed */
  const int64_t wantb[6] = {1, 1, 1, 2, 2, 2};
  for (int k = 0; k < 6; ++k) cr_assert_eq(got[k], wantb[k], "at %d: %lld", k, (long long)got[k]);
  bp_tensor_release(ov);
  bp_tensor_release(o);
  bp_tensor_release(bx);
  bp_tensor_release(x);
}
