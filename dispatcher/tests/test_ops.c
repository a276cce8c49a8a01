/* The first ops end to end on ref:0: shape inference, broadcasting, type
 * promotion, kernel forms and error messages. Expected values are written
 * out by hand. */
#include <math.h>
#include <stdint.h>

#include "test_helpers.h"

Test(ops, add_broadcasts_rows_and_columns) {
  int64_t sa[2] = {2, 1}, sb[1] = {3};
  float da[2] = {10, 20}, db[3] = {1, 2, 3};
  bp_tensor_t *a = tensor_f32(ref_device(), 2, sa, da);
  bp_tensor_t *b = tensor_f32(ref_device(), 1, sb, db);
  bp_tensor_t *c = NULL;
  BP_CHECK(bp_add(a, b, &c));
  cr_assert_eq(bp_tensor_ndim(c), 2);
  cr_assert_eq(bp_tensor_shape(c)[0], 2);
  cr_assert_eq(bp_tensor_shape(c)[1], 3);
  float out[6];
  read_f32(c, out, 6);
  const float want[6] = {11, 12, 13, 21, 22, 23};
  for (int i = 0; i < 6; ++i) cr_assert_eq(out[i], want[i], "out[%d] = %g", i, out[i]);
  bp_tensor_t *d = NULL;
  BP_CHECK(bp_sub(c, b, &d)); /* back to a, broadcast */
  read_f32(d, out, 6);
  for (int i = 0; i < 6; ++i) cr_assert_eq(out[i], i < 3 ? 10.0f : 20.0f);
  bp_tensor_release(a);
  bp_tensor_release(b);
  bp_tensor_release(c);
  bp_tensor_release(d);
}

Test(ops, broadcast_error_names_shapes_and_dim) {
  int64_t sa[2] = {3, 4}, sb[1] = {5};
  bp_tensor_t *a = NULL, *b = NULL, *c = NULL;
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_F32, 2, sa, &a));
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_F32, 1, sb, &b));
  BP_CHECK_FAILS(bp_add(a, b, &c), BP_STATUS_INVALID_ARGUMENT,
                 "bp_add: shapes [3,4] and [5] cannot broadcast (dim -1: 4 vs 5)");
  cr_assert_null(c);
  BP_CHECK_FAILS(bp_mul(a, NULL, &c), BP_STATUS_INVALID_ARGUMENT, "bp_mul: b is NULL");
  BP_CHECK_FAILS(bp_add(a, b, NULL), BP_STATUS_INVALID_ARGUMENT, "bp_add: out is NULL");
  bp_tensor_release(a);
  bp_tensor_release(b);
}

Test(ops, promotion_int_with_float_and_int_division) {
  int64_t s[1] = {3};
  int32_t di[3] = {1, 2, 7};
  double dd[3] = {0.5, 0.25, 2.0};
  bp_tensor_t *i = tensor_of(ref_device(), BP_DTYPE_I32, 1, s, di);
  bp_tensor_t *d = tensor_of(ref_device(), BP_DTYPE_F64, 1, s, dd);
  bp_tensor_t *sum = NULL, *q = NULL;
  BP_CHECK(bp_add(i, d, &sum));
  cr_assert_eq(bp_tensor_dtype(sum), BP_DTYPE_F64);
  double out[3];
  BP_CHECK(bp_tensor_copy_to_host(sum, out, sizeof(out)));
  cr_assert_eq(out[0], 1.5);
  cr_assert_eq(out[2], 9.0);
  /* int / int is true division in f32, as torch.div. */
  int32_t dj[3] = {2, 4, 2};
  bp_tensor_t *j = tensor_of(ref_device(), BP_DTYPE_I32, 1, s, dj);
  BP_CHECK(bp_div(i, j, &q));
  cr_assert_eq(bp_tensor_dtype(q), BP_DTYPE_F32);
  float fq[3];
  read_f32(q, fq, 3);
  cr_assert_eq(fq[0], 0.5f);
  cr_assert_eq(fq[2], 3.5f);
  bp_tensor_release(i);
  bp_tensor_release(d);
  bp_tensor_release(j);
  bp_tensor_release(sum);
  bp_tensor_release(q);
}

Test(ops, integer_ops_keep_integer_dtype) {
  int64_t s[1] = {2};
  int64_t a[2] = {INT64_C(1) << 40, -3}, b[2] = {3, 5};
  bp_tensor_t *ta = tensor_of(ref_device(), BP_DTYPE_I64, 1, s, a);
  bp_tensor_t *tb = tensor_of(ref_device(), BP_DTYPE_I64, 1, s, b);
  bp_tensor_t *m = NULL;
  BP_CHECK(bp_mul(ta, tb, &m));
  cr_assert_eq(bp_tensor_dtype(m), BP_DTYPE_I64);
  int64_t out[2];
  BP_CHECK(bp_tensor_copy_to_host(m, out, sizeof(out)));
  cr_assert_eq(out[0], INT64_C(3) << 40);
  cr_assert_eq(out[1], -15);
  bp_tensor_release(ta);
  bp_tensor_release(tb);
  bp_tensor_release(m);
}

Test(ops, alpha_through_op_run) {
  int64_t s[1] = {2};
  float a[2] = {1, 2}, b[2] = {10, 20};
  bp_tensor_t *in[2] = {tensor_f32(ref_device(), 1, s, a), tensor_f32(ref_device(), 1, s, b)};
  uint32_t op;
  BP_CHECK(bp_op_find("sub", &op));
  bp_attr_t alpha = {.type = BP_ATTR_FLOAT, .name = "alpha", .count = 1, .value.f = 0.5};
  bp_tensor_t *out[1] = {NULL};
  BP_CHECK(bp_op_run(op, 2, in, 1, &alpha, 1, out));
  float r[2];
  read_f32(out[0], r, 2);
  cr_assert_eq(r[0], -4.0f);
  cr_assert_eq(r[1], -8.0f);
  bp_attr_t bogus = {.type = BP_ATTR_FLOAT, .name = "beta", .count = 1, .value.f = 1};
  bp_tensor_t *out2[1] = {NULL};
  BP_CHECK_FAILS(bp_op_run(op, 2, in, 1, &bogus, 1, out2), BP_STATUS_INVALID_ARGUMENT,
                 "bp_sub: no attribute named 'beta'");
  bp_attr_t wrong_type = {.type = BP_ATTR_BOOL, .name = "alpha", .count = 1, .value.b = true};
  BP_CHECK_FAILS(bp_op_run(op, 2, in, 1, &wrong_type, 1, out2), BP_STATUS_INVALID_ARGUMENT,
                 "attribute alpha is a float, got a bool");
  BP_CHECK_FAILS(bp_op_find("frobnicate", &op), BP_STATUS_NOT_FOUND, "no op named 'frobnicate'");
  BP_CHECK_FAILS(bp_op_run(999, 2, in, 0, NULL, 1, out2), BP_STATUS_INVALID_ARGUMENT,
                 "op_id 999 out of range");
  bp_tensor_release(in[0]);
  bp_tensor_release(in[1]);
  bp_tensor_release(out[0]);
}

Test(ops, out_variant_checks_shape_dtype_and_overlap) {
  int64_t s[2] = {2, 2}, one[1] = {1};
  float a[4] = {1, 2, 3, 4};
  bp_tensor_t *t = tensor_f32(ref_device(), 2, s, a);
  bp_tensor_t *wrong = NULL, *i64 = NULL, *base = NULL, *bcast = NULL;
  int64_t s3[1] = {3};
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_F32, 1, s3, &wrong));
  BP_CHECK_FAILS(bp_add_out(t, t, wrong), BP_STATUS_INVALID_ARGUMENT,
                 "bp_add: out has shape [3] but the result has [2,2]");
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_I64, 2, s, &i64));
  BP_CHECK_FAILS(bp_add_out(t, t, i64), BP_STATUS_INVALID_ARGUMENT,
                 "bp_add: out is i64 but the result is f32");
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_F32, 1, one, &base));
  BP_CHECK(bp_tensor_expand(base, 2, s, &bcast));
  BP_CHECK_FAILS(bp_add_out(t, t, bcast), BP_STATUS_INVALID_ARGUMENT, "written twice");
  /* In place: t = t + t. */
  BP_CHECK(bp_add_out(t, t, t));
  float r[4];
  read_f32(t, r, 4);
  cr_assert_eq(r[3], 8.0f);
  bp_tensor_release(t);
  bp_tensor_release(wrong);
  bp_tensor_release(i64);
  bp_tensor_release(base);
  bp_tensor_release(bcast);
}

Test(ops, fill_and_copy_cast_and_broadcast) {
  int64_t s[2] = {2, 3};
  bp_tensor_t *t = NULL, *i = NULL, *col = NULL, *big = NULL;
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_F32, 2, s, &t));
  BP_CHECK(bp_fill(t, 2.75));
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_I32, 2, s, &i));
  BP_CHECK(bp_copy(i, t));
  int32_t ri[6];
  BP_CHECK(bp_tensor_copy_to_host(i, ri, sizeof(ri)));
  for (int k = 0; k < 6; ++k) cr_assert_eq(ri[k], 2);
  BP_CHECK(bp_fill_int(i, -7));
  BP_CHECK(bp_tensor_copy_to_host(i, ri, sizeof(ri)));
  cr_assert_eq(ri[5], -7);
  int64_t cs[2] = {2, 1};
  float cv[2] = {5, 6};
  col = tensor_f32(ref_device(), 2, cs, cv);
  BP_CHECK(bp_copy(t, col)); /* broadcast along dim 1 */
  float r[6];
  read_f32(t, r, 6);
  cr_assert_eq(r[2], 5.0f);
  cr_assert_eq(r[3], 6.0f);
  int64_t bs[2] = {4, 3};
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_F32, 2, bs, &big));
  BP_CHECK_FAILS(bp_copy(t, big), BP_STATUS_INVALID_ARGUMENT,
                 "bp_copy: src shape [4,3] does not broadcast to dst shape [2,3]");
  BP_CHECK_FAILS(bp_fill(NULL, 1.0), BP_STATUS_INVALID_ARGUMENT, "bp_fill: tensor is NULL");
  bp_tensor_release(t);
  bp_tensor_release(i);
  bp_tensor_release(col);
  bp_tensor_release(big);
}

Test(ops, sum_over_dims_keepdim_and_dtypes) {
  int64_t s[3] = {2, 3, 2};
  float d[12];
  for (int k = 0; k < 12; ++k) d[k] = (float)k;
  bp_tensor_t *x = tensor_f32(ref_device(), 3, s, d);
  bp_tensor_t *all = NULL, *d1 = NULL, *d02 = NULL;
  BP_CHECK(bp_sum(x, 0, NULL, 0, &all));
  cr_assert_eq(bp_tensor_ndim(all), 0);
  float v;
  read_f32(all, &v, 1);
  cr_assert_eq(v, 66.0f);
  int64_t dim1[1] = {-2};
  BP_CHECK(bp_sum(x, 1, dim1, 1, &d1));
  cr_assert_eq(bp_tensor_ndim(d1), 3);
  cr_assert_eq(bp_tensor_shape(d1)[1], 1);
  float r[4];
  read_f32(d1, r, 4);
  const float want1[4] = {0 + 2 + 4, 1 + 3 + 5, 6 + 8 + 10, 7 + 9 + 11};
  for (int k = 0; k < 4; ++k) cr_assert_eq(r[k], want1[k]);
  int64_t dims02[2] = {0, 2};
  BP_CHECK(bp_sum(x, 2, dims02, 0, &d02));
  cr_assert_eq(bp_tensor_ndim(d02), 1);
  float r3[3];
  read_f32(d02, r3, 3);
  cr_assert_eq(r3[0], 0 + 1 + 6 + 7);
  cr_assert_eq(r3[2], 4 + 5 + 10 + 11);
  int64_t dup[2] = {1, -2};
  bp_tensor_t *bad = NULL;
  BP_CHECK_FAILS(bp_sum(x, 2, dup, 0, &bad), BP_STATUS_INVALID_ARGUMENT, "dim 1 appears twice");
  int64_t far[1] = {3};
  BP_CHECK_FAILS(bp_sum(x, 1, far, 0, &bad), BP_STATUS_INVALID_ARGUMENT,
                 "bp_sum: dim 3 out of range for a 3-d tensor (expected -3..2)");
  /* bool and integers sum to i64. */
  uint8_t flags[4] = {1, 0, 1, 1};
  int64_t fs[1] = {4};
  bp_tensor_t *b = tensor_of(ref_device(), BP_DTYPE_BOOL, 1, fs, flags), *bs = NULL;
  BP_CHECK(bp_sum(b, 0, NULL, 0, &bs));
  cr_assert_eq(bp_tensor_dtype(bs), BP_DTYPE_I64);
  int64_t count;
  BP_CHECK(bp_tensor_copy_to_host(bs, &count, sizeof(count)));
  cr_assert_eq(count, 3);
  bp_tensor_release(x);
  bp_tensor_release(all);
  bp_tensor_release(d1);
  bp_tensor_release(d02);
  bp_tensor_release(b);
  bp_tensor_release(bs);
}

Test(ops, sum_of_non_contiguous_view) {
  int64_t s[2] = {2, 3};
  float d[6] = {1, 2, 3, 4, 5, 6};
  bp_tensor_t *x = tensor_f32(ref_device(), 2, s, d), *t = NULL, *r = NULL;
  int32_t perm[2] = {1, 0};
  BP_CHECK(bp_tensor_permute(x, perm, &t)); /* [3,2] */
  int64_t dim[1] = {1};
  BP_CHECK(bp_sum(t, 1, dim, 0, &r));
  float out[3];
  read_f32(r, out, 3);
  cr_assert_eq(out[0], 5.0f);
  cr_assert_eq(out[1], 7.0f);
  cr_assert_eq(out[2], 9.0f);
  bp_tensor_release(x);
  bp_tensor_release(t);
  bp_tensor_release(r);
}

Test(ops, matmul_vector_matrix_and_batched_cases) {
  int64_t sa[2] = {2, 3}, sb[2] = {3, 2}, sv[1] = {3};
  float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {7, 8, 9, 10, 11, 12}, v[3] = {1, 0, -1};
  bp_tensor_t *ta = tensor_f32(ref_device(), 2, sa, a), *tb = tensor_f32(ref_device(), 2, sb, b);
  bp_tensor_t *tv = tensor_f32(ref_device(), 1, sv, v);
  bp_tensor_t *c = NULL, *mv = NULL, *vm = NULL, *dot = NULL;
  BP_CHECK(bp_matmul(ta, tb, &c));
  float r[4];
  read_f32(c, r, 4);
  const float want[4] = {58, 64, 139, 154};
  for (int k = 0; k < 4; ++k) cr_assert_eq(r[k], want[k]);
  BP_CHECK(bp_matmul(ta, tv, &mv)); /* [2,3] @ [3] -> [2] */
  cr_assert_eq(bp_tensor_ndim(mv), 1);
  read_f32(mv, r, 2);
  cr_assert_eq(r[0], -2.0f);
  cr_assert_eq(r[1], -2.0f);
  BP_CHECK(bp_matmul(tv, tb, &vm)); /* [3] @ [3,2] -> [2] */
  read_f32(vm, r, 2);
  cr_assert_eq(r[0], -4.0f);
  cr_assert_eq(r[1], -4.0f);
  BP_CHECK(bp_matmul(tv, tv, &dot));
  cr_assert_eq(bp_tensor_ndim(dot), 0);
  read_f32(dot, r, 1);
  cr_assert_eq(r[0], 2.0f);

  /* [2,1,2,3] @ [3,2] broadcasts b over the batch; [4,2,3] @ [2,3,2] fails. */
  int64_t sba[4] = {2, 1, 2, 3};
  float ba[12];
  for (int k = 0; k < 12; ++k) ba[k] = (float)(k % 6 + 1) * (k < 6 ? 1.0f : -1.0f);
  bp_tensor_t *tba = tensor_f32(ref_device(), 4, sba, ba), *bc = NULL;
  BP_CHECK(bp_matmul(tba, tb, &bc));
  cr_assert_eq(bp_tensor_ndim(bc), 4);
  float rb[8];
  read_f32(bc, rb, 8);
  for (int k = 0; k < 4; ++k) {
    cr_assert_eq(rb[k], want[k]);
    cr_assert_eq(rb[4 + k], -want[k]);
  }
  int64_t s423[3] = {4, 2, 3}, s232[3] = {2, 3, 2};
  bp_tensor_t *x = NULL, *y = NULL, *z = NULL;
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_F32, 3, s423, &x));
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_F32, 3, s232, &y));
  BP_CHECK_FAILS(bp_matmul(x, y, &z), BP_STATUS_INVALID_ARGUMENT, "cannot broadcast (4 vs 2)");
  BP_CHECK_FAILS(bp_matmul(ta, ta, &z), BP_STATUS_INVALID_ARGUMENT,
                 "bp_matmul: shapes [2,3] and [2,3] cannot be multiplied (3 vs 2)");
  bp_tensor_t *d64 = NULL;
  BP_CHECK(bp_tensor_create(ref_device(), BP_DTYPE_F64, 2, sb, &d64));
  BP_CHECK_FAILS(bp_matmul(ta, d64, &z), BP_STATUS_INVALID_ARGUMENT,
                 "a is f32 but b is f64");
  bp_tensor_t *list[] = {ta, tb, tv, c, mv, vm, dot, tba, bc, x, y, d64};
  for (size_t k = 0; k < sizeof(list) / sizeof(list[0]); ++k) bp_tensor_release(list[k]);
}

Test(ops, matmul_transposed_operand) {
  int64_t s23[2] = {2, 3};
  float a[6] = {1, 2, 3, 4, 5, 6};
  float stored[6] = {7, 9, 11, 8, 10, 12}; /* b^T stored row-major */
  bp_tensor_t *ta = tensor_f32(ref_device(), 2, s23, a);
  bp_tensor_t *bt = tensor_f32(ref_device(), 2, s23, stored), *b = NULL, *c = NULL;
  int32_t perm[2] = {1, 0};
  BP_CHECK(bp_tensor_permute(bt, perm, &b)); /* [3,2] = [[7,8],[9,10],[11,12]], strides (1,3) */
  cr_assert_not(bp_tensor_is_contiguous(b));
  BP_CHECK(bp_matmul(ta, b, &c));
  float r[4];
  read_f32(c, r, 4);
  const float want[4] = {58, 64, 139, 154};
  for (int k = 0; k < 4; ++k) cr_assert_eq(r[k], want[k]);
  bp_tensor_release(ta);
  bp_tensor_release(bt);
  bp_tensor_release(b);
  bp_tensor_release(c);
}

Test(ops, scalars_promote_like_pytorch) {
  int64_t s[1] = {2};
  uint16_t h[2] = {0x3c00, 0x4000}; /* f16 1.0, 2.0 */
  int32_t i[2] = {1, 2};
  bp_tensor_t *th = tensor_of(ref_device(), BP_DTYPE_F16, 1, s, h);
  bp_tensor_t *ti = tensor_of(ref_device(), BP_DTYPE_I32, 1, s, i);
  bp_tensor_t *half = NULL, *three = NULL, *r1 = NULL, *r2 = NULL, *r3 = NULL, *r4 = NULL;
  BP_CHECK(bp_tensor_create_scalar(0.5, &half));
  BP_CHECK(bp_tensor_create_scalar_int(3, &three));
  BP_CHECK(bp_mul(th, half, &r1)); /* f16 tensor * float scalar stays f16 */
  cr_assert_eq(bp_tensor_dtype(r1), BP_DTYPE_F16);
  uint16_t hr[2];
  BP_CHECK(bp_tensor_copy_to_host(r1, hr, sizeof(hr)));
  cr_assert_eq(hr[0], 0x3800); /* 0.5 */
  cr_assert_eq(hr[1], 0x3c00); /* 1.0 */
  BP_CHECK(bp_add(ti, half, &r2)); /* i32 + float scalar -> default float f32 */
  cr_assert_eq(bp_tensor_dtype(r2), BP_DTYPE_F32);
  float fr[2];
  read_f32(r2, fr, 2);
  cr_assert_eq(fr[1], 2.5f);
  BP_CHECK(bp_mul(ti, three, &r3)); /* i32 * int scalar stays i32 */
  cr_assert_eq(bp_tensor_dtype(r3), BP_DTYPE_I32);
  double z = 1.5;
  bp_tensor_t *zero_dim = tensor_of(ref_device(), BP_DTYPE_F64, 0, NULL, &z);
  BP_CHECK(bp_add(ti, zero_dim, &r4)); /* i32 + 0-dim f64 tensor -> f64 */
  cr_assert_eq(bp_tensor_dtype(r4), BP_DTYPE_F64);
  double dr[2];
  BP_CHECK(bp_tensor_copy_to_host(r4, dr, sizeof(dr)));
  cr_assert_eq(dr[0], 2.5);
  bp_tensor_t *list[] = {th, ti, half, three, r1, r2, r3, r4, zero_dim};
  for (size_t k = 0; k < sizeof(list) / sizeof(list[0]); ++k) bp_tensor_release(list[k]);
}
