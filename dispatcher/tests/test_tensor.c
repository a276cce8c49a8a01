/* Tensors, views, dtypes: geometry, ownership and argument checks. */
#include <stdint.h>

#include "test_helpers.h"

Test(tensor, create_contiguous_geometry) {
  int64_t shape[3] = {2, 3, 4};
  bp_tensor_t *t = NULL;
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_F32, 3, shape, &t));
  cr_assert_eq(bp_tensor_ndim(t), 3);
  cr_assert_eq(bp_tensor_numel(t), 24);
  cr_assert_eq(bp_tensor_strides(t)[0], 12);
  cr_assert_eq(bp_tensor_strides(t)[1], 4);
  cr_assert_eq(bp_tensor_strides(t)[2], 1);
  cr_assert(bp_tensor_is_contiguous(t));
  cr_assert_str_eq(bp_device_name(bp_tensor_device(t)), "ref:0");
  bp_tensor_release(t);
}

Test(tensor, scalar_and_empty) {
  bp_tensor_t *s = NULL, *e = NULL;
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_I64, 0, NULL, &s));
  cr_assert_eq(bp_tensor_numel(s), 1);
  int64_t shape[2] = {0, 5};
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_F32, 2, shape, &e));
  cr_assert_eq(bp_tensor_numel(e), 0);
  BP_CHECK(bp_tensor_copy_to_host(e, NULL, 0));
  bp_tensor_release(s);
  bp_tensor_release(e);
}

Test(tensor, bad_arguments_are_named) {
  int64_t shape[2] = {2, -1};
  bp_tensor_t *t = NULL;
  BP_CHECK_FAILS(bp_tensor_create(NULL, BP_DTYPE_F32, 1, shape, &t), BP_STATUS_INVALID_ARGUMENT,
                 "bp_tensor_create: device is NULL");
  BP_CHECK_FAILS(bp_tensor_create(ref_device(), BP_DTYPE_F32, 2, shape, &t),
                 BP_STATUS_INVALID_ARGUMENT, "shape[1] is -1");
  BP_CHECK_FAILS(bp_tensor_create(ref_device(), 99, 1, shape, &t), BP_STATUS_INVALID_ARGUMENT,
                 "dtype 99");
  BP_CHECK_FAILS(bp_tensor_create(ref_device(), BP_DTYPE_F32, BP_MAX_DIMS + 1, shape, &t),
                 BP_STATUS_INVALID_ARGUMENT, "ndim 17 out of range");
  BP_CHECK_FAILS(bp_tensor_create(ref_device(), BP_DTYPE_F32, 1, shape, NULL),
                 BP_STATUS_INVALID_ARGUMENT, "out_tensor is NULL");
  cr_assert_null(t);
}

Test(tensor, size_overflow_is_caught) {
  int64_t shape[3] = {INT64_C(1) << 31, INT64_C(1) << 31, 4};
  bp_tensor_t *t = NULL;
  BP_CHECK_FAILS(bp_tensor_create(ref_device(), BP_DTYPE_F64, 3, shape, &t),
                 BP_STATUS_INVALID_ARGUMENT, "overflows");
  int64_t big[1] = {INT64_C(1) << 60};
  BP_CHECK_FAILS(bp_tensor_create(ref_device(), BP_DTYPE_F64, 1, big, &t),
                 BP_STATUS_INVALID_ARGUMENT, "overflows");
  int64_t huge[1] = {INT64_C(1) << 52};
  BP_CHECK_FAILS(bp_tensor_create(ref_device(), BP_DTYPE_U8, 1, huge, &t),
                 BP_STATUS_OUT_OF_MEMORY, "allocating");
}

Test(tensor, from_host_checks_size) {
  int64_t shape[1] = {3};
  float data[3] = {1, 2, 3};
  bp_tensor_t *t = NULL;
  BP_CHECK_FAILS(bp_tensor_create_from_host(ref_device(), BP_DTYPE_F32, 1, shape, data, 8, &t),
                 BP_STATUS_INVALID_ARGUMENT, "nbytes is 8 but the tensor needs 12");
  t = tensor_f32(ref_device(), 1, shape, data);
  float back[3];
  BP_CHECK_FAILS(bp_tensor_copy_to_host(t, back, 4), BP_STATUS_INVALID_ARGUMENT, "nbytes is 4");
  read_f32(t, back, 3);
  cr_assert_eq(back[2], 3.0f);
  bp_tensor_release(t);
}

Test(tensor, permute_slice_expand_views_share_storage) {
  int64_t shape[2] = {2, 3};
  float data[6] = {0, 1, 2, 3, 4, 5};
  bp_tensor_t *t = tensor_f32(ref_device(), 2, shape, data);
  bp_tensor_t *p = NULL, *s = NULL, *e = NULL;
  int32_t perm[2] = {1, 0};
  BP_CHECK(bp_tensor_permute(t, perm, &p));
  cr_assert_eq(bp_tensor_shape(p)[0], 3);
  cr_assert_not(bp_tensor_is_contiguous(p));
  float out[6];
  read_f32(p, out, 6);
  const float transposed[6] = {0, 3, 1, 4, 2, 5};
  for (int i = 0; i < 6; ++i) cr_assert_eq(out[i], transposed[i]);

  BP_CHECK(bp_tensor_slice(t, 1, -2, 100, 1, &s)); /* columns 1..2 */
  cr_assert_eq(bp_tensor_shape(s)[1], 2);
  cr_assert_eq(bp_tensor_offset(s), 1);
  read_f32(s, out, 4);
  const float sliced[4] = {1, 2, 4, 5};
  for (int i = 0; i < 4; ++i) cr_assert_eq(out[i], sliced[i]);
  bp_tensor_release(s);
  BP_CHECK(bp_tensor_slice(t, 1, 0, 3, 2, &s)); /* columns 0 and 2 */
  read_f32(s, out, 4);
  const float stepped[4] = {0, 2, 3, 5};
  for (int i = 0; i < 4; ++i) cr_assert_eq(out[i], stepped[i]);

  bp_tensor_t *row = NULL;
  BP_CHECK(bp_tensor_slice(t, 0, 1, 2, 1, &row)); /* [1,3] */
  int64_t eshape[3] = {2, 2, -1};
  BP_CHECK(bp_tensor_expand(row, 3, eshape, &e));
  cr_assert_eq(bp_tensor_strides(e)[0], 0);
  cr_assert_eq(bp_tensor_strides(e)[1], 0);
  float ex[12];
  read_f32(e, ex, 12);
  for (int i = 0; i < 12; ++i) cr_assert_eq(ex[i], (float)(3 + i % 3));

  /* Releasing the base first leaves the views' storage alive. */
  bp_tensor_release(t);
  read_f32(p, out, 6);
  cr_assert_eq(out[1], 3.0f);
  bp_tensor_release(p);
  bp_tensor_release(s);
  bp_tensor_release(row);
  bp_tensor_release(e);
}

Test(tensor, view_follows_torch_rules) {
  int64_t shape[2] = {4, 6};
  bp_tensor_t *t = NULL, *v = NULL, *p = NULL;
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_F32, 2, shape, &t));
  int64_t vshape[3] = {2, -1, 3};
  BP_CHECK(bp_tensor_view(t, 3, vshape, &v));
  cr_assert_eq(bp_tensor_shape(v)[1], 4);
  cr_assert_eq(bp_tensor_strides(v)[0], 12);
  bp_tensor_release(v);
  int32_t perm[2] = {1, 0};
  BP_CHECK(bp_tensor_permute(t, perm, &p));
  int64_t flat[1] = {24};
  BP_CHECK_FAILS(bp_tensor_view(p, 1, flat, &v), BP_STATUS_INVALID_ARGUMENT,
                 "strides do not allow this view");
  int64_t split[3] = {3, 2, 4}; /* splitting a dim of the transposed view is fine */
  BP_CHECK(bp_tensor_view(p, 3, split, &v));
  cr_assert_eq(bp_tensor_strides(v)[0], 2);
  cr_assert_eq(bp_tensor_strides(v)[1], 1);
  cr_assert_eq(bp_tensor_strides(v)[2], 6);
  bp_tensor_release(v);
  int64_t wrong[1] = {25};
  BP_CHECK_FAILS(bp_tensor_view(t, 1, wrong, &v), BP_STATUS_INVALID_ARGUMENT, "is invalid for");
  bp_tensor_release(p);
  bp_tensor_release(t);
}

Test(tensor, as_strided_stays_in_bounds) {
  int64_t shape[1] = {10};
  bp_tensor_t *t = NULL, *v = NULL;
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_F32, 1, shape, &t));
  int64_t vs[2] = {3, 3}, st[2] = {3, 1};
  BP_CHECK(bp_tensor_as_strided(t, 2, vs, st, 1, &v)); /* reaches element 9 */
  bp_tensor_release(v);
  BP_CHECK_FAILS(bp_tensor_as_strided(t, 2, vs, st, 2, &v), BP_STATUS_INVALID_ARGUMENT,
                 "reaches element 10 but the storage holds 10");
  int64_t neg[2] = {3, -1};
  BP_CHECK_FAILS(bp_tensor_as_strided(t, 2, vs, neg, 0, &v), BP_STATUS_INVALID_ARGUMENT,
                 "strides[1] is -1");
  bp_tensor_release(t);
}

Test(tensor, release_null_and_retain) {
  bp_tensor_release(NULL);
  int64_t shape[1] = {2};
  bp_tensor_t *t = NULL;
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_U8, 1, shape, &t));
  cr_assert_eq(bp_tensor_retain(t), t);
  bp_tensor_release(t);
  cr_assert_eq(bp_tensor_numel(t), 2); /* still alive: one reference left */
  bp_tensor_release(t);
}

Test(dtype, names_and_promotion) {
  bp_dtype_t d;
  BP_CHECK(bp_dtype_from_name("bf16", &d));
  cr_assert_eq(d, BP_DTYPE_BF16);
  BP_CHECK_FAILS(bp_dtype_from_name("f8", &d), BP_STATUS_NOT_FOUND, "unknown dtype 'f8'");
  cr_assert_str_eq(bp_dtype_name(BP_DTYPE_I64), "i64");
  cr_assert_eq(bp_dtype_promote(BP_DTYPE_I32, BP_DTYPE_F16), BP_DTYPE_F16);
  cr_assert_eq(bp_dtype_promote(BP_DTYPE_F16, BP_DTYPE_BF16), BP_DTYPE_F32);
  cr_assert_eq(bp_dtype_promote(BP_DTYPE_BOOL, BP_DTYPE_U8), BP_DTYPE_U8);
  cr_assert_eq(bp_dtype_promote(BP_DTYPE_U8, BP_DTYPE_I8), BP_DTYPE_I32);
  cr_assert_eq(bp_dtype_promote(BP_DTYPE_I64, BP_DTYPE_I32), BP_DTYPE_I64);
  cr_assert_eq(bp_dtype_promote(BP_DTYPE_F64, BP_DTYPE_F32), BP_DTYPE_F64);
  cr_assert_eq(bp_dtype_promote(BP_DTYPE_INVALID, BP_DTYPE_F32), BP_DTYPE_INVALID);
}
