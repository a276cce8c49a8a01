/* The shape family through the public API: view geometry (shapes, strides,
 * offsets, shared storage), reshape's view-or-copy rule, split and chunk,
 * cat/stack/pad/where/arange/tril results and error messages. Expected
 * values are written out by hand. */
#include <stdint.h>

#include "test_helpers.h"

static void assert_geometry(bp_tensor_t *t, int32_t ndim, const int64_t *shape,
                            const int64_t *strides, int64_t offset) {
  cr_assert_eq(bp_tensor_ndim(t), ndim);
  for (int32_t i = 0; i < ndim; ++i) {
    cr_assert_eq(bp_tensor_shape(t)[i], shape[i], "shape[%d] = %lld", i,
                 (long long)bp_tensor_shape(t)[i]);
    cr_assert_eq(bp_tensor_strides(t)[i], strides[i], "strides[%d] = %lld", i,
                 (long long)bp_tensor_strides(t)[i]);
  }
  cr_assert_eq(bp_tensor_offset(t), offset);
}

/* A [2,3,4] f32 tensor holding 0..23. */
static bp_tensor_t *iota234(void) {
  float d[24];
  for (int i = 0; i < 24; ++i) d[i] = (float)i;
  int64_t s[3] = {2, 3, 4};
  return tensor_f32(ref_device(), 3, s, d);
}

static void assert_values(bp_tensor_t *t, const float *want, size_t n) {
  float got[64];
  read_f32(t, got, n);
  for (size_t i = 0; i < n; ++i) cr_assert_eq(got[i], want[i], "[%zu] = %g", i, got[i]);
}

Test(ops_shape, transpose_select_narrow_geometry) {
  bp_tensor_t *x = iota234(), *t = NULL, *s = NULL, *n = NULL;
  BP_CHECK(bp_tensor_transpose(x, 0, -1, &t));
  assert_geometry(t, 3, (int64_t[]){4, 3, 2}, (int64_t[]){1, 4, 12}, 0);
  BP_CHECK(bp_tensor_select(x, 1, -1, &s));
  assert_geometry(s, 2, (int64_t[]){2, 4}, (int64_t[]){12, 1}, 8);
  assert_values(s, (float[]){8, 9, 10, 11, 20, 21, 22, 23}, 8);
  BP_CHECK(bp_tensor_narrow(x, 2, -3, 2, &n));
  assert_geometry(n, 3, (int64_t[]){2, 3, 2}, (int64_t[]){12, 4, 1}, 1);
  /* Views share storage: a write through the base shows in the view. */
  BP_CHECK(bp_fill(x, 5.0));
  assert_values(s, (float[]){5, 5, 5, 5, 5, 5, 5, 5}, 8);
  bp_tensor_release(x);
  bp_tensor_release(t);
  bp_tensor_release(s);
  bp_tensor_release(n);
}

Test(ops_shape, squeeze_unsqueeze_flatten_geometry) {
  int64_t s[4] = {1, 3, 1, 2};
  bp_tensor_t *x = NULL, *a = NULL, *b = NULL, *c = NULL, *f = NULL;
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_F32, 4, s, &x));
  BP_CHECK(bp_tensor_squeeze(x, &a));
  assert_geometry(a, 2, (int64_t[]){3, 2}, (int64_t[]){2, 1}, 0);
  BP_CHECK(bp_tensor_squeeze_dims(x, 2, (int64_t[]){-2, 1}, &b)); /* dim 1 has size 3: kept */
  assert_geometry(b, 3, (int64_t[]){1, 3, 2}, (int64_t[]){6, 2, 1}, 0);
  BP_CHECK(bp_tensor_unsqueeze(a, -1, &c));
  assert_geometry(c, 3, (int64_t[]){3, 2, 1}, (int64_t[]){2, 1, 1}, 0);
  BP_CHECK(bp_tensor_flatten(x, 1, -1, &f));
  assert_geometry(f, 2, (int64_t[]){1, 6}, (int64_t[]){6, 1}, 0);
  bp_tensor_t *list[] = {x, a, b, c, f};
  for (int i = 0; i < 5; ++i) bp_tensor_release(list[i]);
}

Test(ops_shape, dim_errors_name_the_function_and_range) {
  bp_tensor_t *x = iota234(), *v = NULL;
  BP_CHECK_FAILS(bp_tensor_transpose(x, 3, 0, &v), BP_STATUS_INVALID_ARGUMENT,
                 "bp_tensor_transpose: dim0 3 out of range for a 3-d tensor (expected -3..2)");
  BP_CHECK_FAILS(bp_tensor_select(x, 0, 2, &v), BP_STATUS_INVALID_ARGUMENT,
                 "bp_tensor_select: index 2 out of range for dim 0 of size 2 (expected -2..1)");
  BP_CHECK_FAILS(bp_tensor_narrow(x, 1, 2, 2, &v), BP_STATUS_INVALID_ARGUMENT,
                 "bp_tensor_narrow: length 2 with start 2 exceeds dim 1 of size 3");
  BP_CHECK_FAILS(bp_tensor_unsqueeze(x, 4, &v), BP_STATUS_INVALID_ARGUMENT,
                 "bp_tensor_unsqueeze: dim 4 out of range for a 3-d tensor (expected -4..3)");
  BP_CHECK_FAILS(bp_tensor_flatten(x, 2, 1, &v), BP_STATUS_INVALID_ARGUMENT,
                 "bp_tensor_flatten: start_dim 2 comes after end_dim 1");
  BP_CHECK_FAILS(bp_tensor_reshape(x, 2, (int64_t[]){5, -1}, &v), BP_STATUS_INVALID_ARGUMENT,
                 "bp_tensor_reshape: cannot infer the -1 dim");
  BP_CHECK_FAILS(bp_tensor_reshape(x, 1, (int64_t[]){25}, &v), BP_STATUS_INVALID_ARGUMENT,
                 "bp_tensor_reshape: shape [25] is invalid for [2,3,4] (24 elements)");
  cr_assert_null(v);
  /* Through the catalog: the op's name and attribute. */
  uint32_t op = 0;
  BP_CHECK(bp_op_find("select", &op));
  bp_attr_t attrs[2] = {{.type = BP_ATTR_INT, .name = "dim", .count = 1, .value.i = -4},
                        {.type = BP_ATTR_INT, .name = "index", .count = 1, .value.i = 0}};
  BP_CHECK_FAILS(bp_op_run(op, 1, &x, 2, attrs, 1, &v), BP_STATUS_INVALID_ARGUMENT,
                 "dim -4 out of range for a 3-d tensor (expected -3..2)");
  bp_tensor_release(x);
}

Test(ops_shape, reshape_views_when_it_can_and_copies_when_it_must) {
  bp_tensor_t *x = iota234(), *v = NULL, *t = NULL, *c = NULL, *same = NULL;
  BP_CHECK(bp_tensor_reshape(x, 2, (int64_t[]){6, -1}, &v));
  assert_geometry(v, 2, (int64_t[]){6, 4}, (int64_t[]){4, 1}, 0);
  BP_CHECK(bp_tensor_transpose(x, 1, 2, &t)); /* [2,4,3], not viewable as [2,12] */
  BP_CHECK_FAILS(bp_tensor_view(t, 2, (int64_t[]){2, 12}, &c), BP_STATUS_INVALID_ARGUMENT,
                 "strides do not allow this view");
  BP_CHECK(bp_tensor_reshape(t, 2, (int64_t[]){2, 12}, &c));
  assert_geometry(c, 2, (int64_t[]){2, 12}, (int64_t[]){12, 1}, 0);
  float want[24];
  for (int b = 0, k = 0; b < 2; ++b)
    for (int j = 0; j < 4; ++j)
      for (int i = 0; i < 3; ++i) want[k++] = (float)(b * 12 + i * 4 + j);
  assert_values(c, want, 24);
  /* The copy does not follow the base; the view does. */
  BP_CHECK(bp_fill(x, -1.0));
  assert_values(c, want, 24);
  float got[24];
  read_f32(v, got, 24);
  cr_assert_eq(got[0], -1.0f);
  /* contiguous: the same tensor when contiguous, else a copy. */
  BP_CHECK(bp_tensor_contiguous(x, &same));
  cr_assert_eq(same, x);
  bp_tensor_release(same);
  BP_CHECK(bp_tensor_contiguous(t, &same));
  cr_assert_neq(same, t);
  cr_assert(bp_tensor_is_contiguous(same));
  bp_tensor_t *list[] = {x, v, t, c, same};
  for (int i = 0; i < 5; ++i) bp_tensor_release(list[i]);
}

Test(ops_shape, split_and_chunk) {
  bp_tensor_t *x = iota234(), *v[4] = {NULL};
  uint32_t n = 0;
  BP_CHECK(bp_tensor_split(x, 3, 2, v, 4, &n));
  cr_assert_eq(n, 2u);
  assert_geometry(v[0], 3, (int64_t[]){2, 3, 3}, (int64_t[]){12, 4, 1}, 0);
  assert_geometry(v[1], 3, (int64_t[]){2, 3, 1}, (int64_t[]){12, 4, 1}, 3);
  bp_tensor_release(v[0]);
  bp_tensor_release(v[1]);
  BP_CHECK_FAILS(bp_tensor_split(x, 1, 1, v, 2, &n), BP_STATUS_INVALID_ARGUMENT,
                 "bp_tensor_split: makes 3 views but out_views holds 2");
  BP_CHECK_FAILS(bp_tensor_split(x, 0, 1, v, 4, &n), BP_STATUS_INVALID_ARGUMENT,
                 "split_size 0 is invalid for dim 1 of size 3");
  BP_CHECK(bp_tensor_chunk(x, 3, 1, v, 4, &n));
  cr_assert_eq(n, 3u);
  assert_geometry(v[2], 3, (int64_t[]){2, 1, 4}, (int64_t[]){12, 4, 1}, 8);
  for (uint32_t i = 0; i < n; ++i) bp_tensor_release(v[i]);
  BP_CHECK(bp_tensor_chunk(x, 4, 2, v, 4, &n)); /* split_size 1: four pieces */
  cr_assert_eq(n, 4u);
  for (uint32_t i = 0; i < n; ++i) bp_tensor_release(v[i]);
  BP_CHECK(bp_tensor_split_sizes(x, 2, (int64_t[]){1, 2}, -2, v));
  assert_geometry(v[1], 3, (int64_t[]){2, 2, 4}, (int64_t[]){12, 4, 1}, 4);
  bp_tensor_release(v[0]);
  bp_tensor_release(v[1]);
  BP_CHECK_FAILS(bp_tensor_split_sizes(x, 2, (int64_t[]){1, 1}, 1, v), BP_STATUS_INVALID_ARGUMENT,
                 "sizes add up to 2 but dim 1 has size 3");
  bp_tensor_release(x);
}

Test(ops_shape, cat_and_stack_values_and_errors) {
  int64_t s23[2] = {2, 3}, s13[2] = {1, 3}, s24[2] = {2, 4};
  bp_tensor_t *a = tensor_f32(ref_device(), 2, s23, (float[]){1, 2, 3, 4, 5, 6});
  bp_tensor_t *b = tensor_f32(ref_device(), 2, s13, (float[]){7, 8, 9});
  int32_t bi[3] = {10, 20, 30};
  bp_tensor_t *i = tensor_of(ref_device(), BP_DTYPE_I32, 2, s13, bi);
  bp_tensor_t *c = NULL, *s = NULL, *bad = NULL;
  BP_CHECK(bp_cat(3, (bp_tensor_t *[]){a, b, i}, 0, &c));
  assert_geometry(c, 2, (int64_t[]){4, 3}, (int64_t[]){3, 1}, 0);
  assert_values(c, (float[]){1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30}, 12);
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_F32, 2, s24, &bad));
  BP_CHECK_FAILS(bp_cat(2, (bp_tensor_t *[]){a, bad}, 0, &s), BP_STATUS_INVALID_ARGUMENT,
                 "bp_cat: tensors[1] has shape [2,4] but tensors[0] has [2,3]: sizes must match "
                 "except in dim 0 (dim 1: 4 vs 3)");
  BP_CHECK(bp_stack(2, (bp_tensor_t *[]){b, i}, -1, &s));
  assert_geometry(s, 3, (int64_t[]){1, 3, 2}, (int64_t[]){6, 2, 1}, 0);
  assert_values(s, (float[]){7, 10, 8, 20, 9, 30}, 6);
  bp_tensor_t *s2 = NULL;
  BP_CHECK_FAILS(bp_stack(2, (bp_tensor_t *[]){a, b}, 0, &s2), BP_STATUS_INVALID_ARGUMENT,
                 "bp_stack: tensors[1] has shape [1,3] but tensors[0] has [2,3]");
  BP_CHECK_FAILS(bp_stack(2, (bp_tensor_t *[]){b, b}, 4, &s2), BP_STATUS_INVALID_ARGUMENT,
                 "bp_stack: dim 4 out of range for a 2-d tensor (expected -3..2)");
  cr_assert_null(s2);
  bp_tensor_t *list[] = {a, b, i, c, s, bad};
  for (int k = 0; k < 6; ++k) bp_tensor_release(list[k]);
}

Test(ops_shape, pad_where_tril_arange) {
  int64_t s22[2] = {2, 2};
  bp_tensor_t *x = tensor_f32(ref_device(), 2, s22, (float[]){1, 2, 3, 4});
  bp_tensor_t *p = NULL, *w = NULL, *t = NULL, *r = NULL;
  BP_CHECK(bp_pad(x, 4, (int64_t[]){1, -1, 0, 1}, 9.0, &p)); /* last dim: +1 before, crop 1 after */
  assert_geometry(p, 2, (int64_t[]){3, 2}, (int64_t[]){2, 1}, 0);
  assert_values(p, (float[]){9, 1, 9, 3, 9, 9}, 6);
  BP_CHECK_FAILS(bp_pad(x, 3, (int64_t[]){1, 1, 1}, 0.0, &r), BP_STATUS_INVALID_ARGUMENT,
                 "bp_pad: pad has 3 entries (expected an even number");
  bool cond_d[2] = {true, false};
  int64_t s2[1] = {2};
  bp_tensor_t *cond = tensor_of(ref_device(), BP_DTYPE_BOOL, 1, s2, cond_d);
  bp_tensor_t *zero = NULL;
  BP_CHECK(bp_tensor_create_scalar(0.5, &zero));
  BP_CHECK(bp_where(cond, x, zero, &w));
  assert_values(w, (float[]){1, 0.5f, 3, 0.5f}, 4);
  BP_CHECK_FAILS(bp_where(x, x, x, &r), BP_STATUS_INVALID_ARGUMENT,
                 "bp_where: condition is f32 (expected bool");
  BP_CHECK(bp_tril(x, 0, &t));
  assert_values(t, (float[]){1, 0, 3, 4}, 4);
  BP_CHECK_FAILS(bp_triu(cond, 0, &r), BP_STATUS_INVALID_ARGUMENT,
                 "bp_triu: input has 1 dims (expected at least 2)");
  BP_CHECK(bp_arange(ref_device(), 1, 2, 0.25, BP_DTYPE_INVALID, &r));
  cr_assert_eq(bp_tensor_dtype(r), BP_DTYPE_F32);
  assert_values(r, (float[]){1, 1.25f, 1.5f, 1.75f}, 4);
  bp_tensor_release(r);
  BP_CHECK(bp_arange(ref_device(), 0, 5, 2, BP_DTYPE_INVALID, &r));
  cr_assert_eq(bp_tensor_dtype(r), BP_DTYPE_I64);
  int64_t gi[3];
  BP_CHECK(bp_tensor_copy_to_host(r, gi, sizeof gi));
  cr_assert(gi[0] == 0 && gi[1] == 2 && gi[2] == 4);
  bp_tensor_t *r2 = NULL;
  BP_CHECK_FAILS(bp_arange(ref_device(), 0, 5, -1, BP_DTYPE_F32, &r2), BP_STATUS_INVALID_ARGUMENT,
                 "bp_arange: end 5 is on the wrong side of start 0 for step -1");
  BP_CHECK_FAILS(bp_arange_out(0, 5, 1, t), BP_STATUS_INVALID_ARGUMENT,
                 "bp_arange: out has shape [2,2] but the result has [5]");
  bp_tensor_t *list[] = {x, p, w, t, r, cond, zero};
  for (int k = 0; k < 7; ++k) bp_tensor_release(list[k]);
}

Test(ops_shape, view_ops_refuse_given_outputs) {
  bp_tensor_t *x = iota234(), *out = iota234();
  uint32_t op = 0;
  BP_CHECK(bp_op_find("transpose", &op));
  BP_CHECK_FAILS(bp_op_run(op, 1, &x, 0, NULL, 1, &out), BP_STATUS_INVALID_ARGUMENT,
                 "bp_transpose: is a view op");
  bp_tensor_release(x);
  bp_tensor_release(out);
}
