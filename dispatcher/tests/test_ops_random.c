/* Random ops through the public API: generators (same seed, same bits;
 * offsets advance by the counters used; a split across calls gives the same
 * bits as one call), the default generator, bernoulli into any dtype,
 * dropout's mask, and the error messages. */
#include <math.h>
#include <stdint.h>

#include "test_helpers.h"

static bp_tensor_t *empty(bp_dtype_t dtype, int32_t ndim, const int64_t *shape) {
  bp_tensor_t *t = NULL;
  BP_CHECK(bp_tensor_create(ref_device(), dtype, ndim, shape, &t));
  return t;
}

Test(ops_random, same_seed_same_bits_and_offsets_advance) {
  int64_t shape[1] = {10};
  bp_tensor_t *a = empty(BP_DTYPE_F32, 1, shape), *b = empty(BP_DTYPE_F32, 1, shape);
  bp_generator_t g1, g2;
  bp_generator_initialize(&g1, 1234);
  bp_generator_initialize(&g2, 1234);
  BP_CHECK(bp_uniform(a, -1.0, 1.0, &g1));
  BP_CHECK(bp_uniform(b, -1.0, 1.0, &g2));
  float va[10], vb[10];
  read_f32(a, va, 10);
  read_f32(b, vb, 10);
  cr_assert_eq(memcmp(va, vb, sizeof va), 0);
  for (int i = 0; i < 10; ++i) cr_assert(va[i] >= -1.0f && va[i] < 1.0f);
  cr_assert_eq(g1.offset, 3); /* ceil(10 / 4) counters */
  BP_CHECK(bp_uniform(b, -1.0, 1.0, &g2)); /* the next numbers */
  read_f32(b, vb, 10);
  cr_assert_neq(memcmp(va, vb, sizeof va), 0);
  cr_assert_eq(g2.offset, 6);
  bp_tensor_t *d = empty(BP_DTYPE_F64, 1, shape);
  BP_CHECK(bp_normal(d, 0.0, 1.0, &g1));
  cr_assert_eq(g1.offset, 3 + 5); /* ceil(10 / 2) */
  bp_tensor_release(a);
  bp_tensor_release(b);
  bp_tensor_release(d);
}

Test(ops_random, a_split_across_calls_gives_the_same_bits) {
  /* 12 elements in one call, or [0, 8) then [8, 12) with one generator. */
  int64_t shape[1] = {12};
  bp_tensor_t *whole = empty(BP_DTYPE_F32, 1, shape), *parts = empty(BP_DTYPE_F32, 1, shape);
  bp_tensor_t *lo = NULL, *hi = NULL;
  BP_CHECK(bp_tensor_slice(parts, 0, 0, 8, 1, &lo));
  BP_CHECK(bp_tensor_slice(parts, 0, 8, 12, 1, &hi));
  bp_generator_t g;
  bp_generator_initialize(&g, 77);
  BP_CHECK(bp_normal(whole, 2.0, 0.5, &g));
  bp_generator_initialize(&g, 77);
  BP_CHECK(bp_normal(lo, 2.0, 0.5, &g));
  BP_CHECK(bp_normal(hi, 2.0, 0.5, &g));
  float w[12], p[12];
  read_f32(whole, w, 12);
  read_f32(parts, p, 12);
  cr_assert_eq(memcmp(w, p, sizeof w), 0);
  bp_tensor_release(lo);
  bp_tensor_release(hi);
  bp_tensor_release(whole);
  bp_tensor_release(parts);
}

Test(ops_random, default_generator) {
  int64_t shape[1] = {5};
  bp_tensor_t *a = empty(BP_DTYPE_F64, 1, shape), *b = empty(BP_DTYPE_F64, 1, shape);
  bp_manual_seed(42);
  BP_CHECK(bp_uniform(a, 0.0, 1.0, NULL));
  bp_generator_t state;
  bp_default_generator_get(&state);
  cr_assert_eq(state.seed, 42);
  cr_assert_eq(state.offset, 3); /* f64: ceil(5 / 2) */
  bp_generator_t g;
  bp_generator_initialize(&g, 42);
  BP_CHECK(bp_uniform(b, 0.0, 1.0, &g));
  double va[5], vb[5];
  BP_CHECK(bp_tensor_copy_to_host(a, va, sizeof va));
  BP_CHECK(bp_tensor_copy_to_host(b, vb, sizeof vb));
  cr_assert_eq(memcmp(va, vb, sizeof va), 0);
  bp_tensor_release(a);
  bp_tensor_release(b);
}

Test(ops_random, bernoulli_into_any_dtype_and_dropout_mask) {
  int64_t shape[2] = {3, 8};
  bp_tensor_t *mask = empty(BP_DTYPE_BOOL, 2, shape), *ints = empty(BP_DTYPE_I32, 2, shape);
  bp_generator_t g;
  bp_generator_initialize(&g, 9);
  BP_CHECK(bp_bernoulli_p(mask, 0.75, &g));
  cr_assert_eq(g.offset, 6);
  bp_generator_initialize(&g, 9);
  BP_CHECK(bp_bernoulli_p(ints, 0.75, &g));
  uint8_t m[24];
  int32_t k[24];
  BP_CHECK(bp_tensor_copy_to_host(mask, m, sizeof m));
  BP_CHECK(bp_tensor_copy_to_host(ints, k, sizeof k));
  for (int i = 0; i < 24; ++i) cr_assert_eq(m[i], (uint8_t)k[i]);
  /* dropout(p = 0.25) keeps exactly where bernoulli(0.75) gives 1 */
  float ones[24];
  for (int i = 0; i < 24; ++i) ones[i] = 1.0f;
  bp_tensor_t *x = tensor_f32(ref_device(), 2, shape, ones), *y = NULL;
  bp_generator_initialize(&g, 9);
  BP_CHECK(bp_dropout(x, 0.25, 1, &g, &y));
  cr_assert_eq(g.offset, 6);
  float v[24];
  read_f32(y, v, 24);
  for (int i = 0; i < 24; ++i) cr_assert_eq(v[i], m[i] ? 1.0f / 0.75f : 0.0f, "element %d", i);
  bp_tensor_release(y);
  y = NULL;
  BP_CHECK(bp_dropout(x, 0.25, 0, &g, &y)); /* eval: identity, nothing drawn */
  read_f32(y, v, 24);
  for (int i = 0; i < 24; ++i) cr_assert_eq(v[i], 1.0f);
  cr_assert_eq(g.offset, 6);
  /* bernoulli of a tensor of probabilities: p's dtype and shape */
  bp_tensor_t *b = NULL;
  BP_CHECK(bp_bernoulli(x, &g, &b));
  cr_assert_eq(bp_tensor_dtype(b), BP_DTYPE_F32);
  read_f32(b, v, 24);
  for (int i = 0; i < 24; ++i) cr_assert_eq(v[i], 1.0f);
  bp_tensor_release(b);
  bp_tensor_release(y);
  bp_tensor_release(x);
  bp_tensor_release(mask);
  bp_tensor_release(ints);
}

Test(ops_random, errors_name_the_op_and_leave_the_generator) {
  int64_t shape[1] = {4};
  bp_tensor_t *i = empty(BP_DTYPE_I32, 1, shape), *f = empty(BP_DTYPE_F32, 1, shape), *o = NULL;
  bp_generator_t g;
  bp_generator_initialize(&g, 1);
  BP_CHECK_FAILS(bp_uniform(i, 0.0, 1.0, &g), BP_STATUS_INVALID_ARGUMENT,
                 "bp_uniform: out must be a float tensor (f16, bf16, f32, f64), got i32");
  BP_CHECK_FAILS(bp_uniform(f, 1.0, 0.0, &g), BP_STATUS_INVALID_ARGUMENT,
                 "bp_uniform: expects a [from, to) range, but found from=1 > to=0");
  BP_CHECK_FAILS(bp_uniform(f, 0.0, INFINITY, &g), BP_STATUS_INVALID_ARGUMENT,
                 "bp_uniform: from and to must be finite");
  BP_CHECK_FAILS(bp_normal(f, 0.0, -1.0, &g), BP_STATUS_INVALID_ARGUMENT,
                 "bp_normal: std must be >= 0, got -1");
  BP_CHECK_FAILS(bp_bernoulli(i, &g, &o), BP_STATUS_INVALID_ARGUMENT,
                 "bp_bernoulli: p must be a float tensor (f16, bf16, f32, f64), got i32");
  BP_CHECK_FAILS(bp_bernoulli_p(f, 1.5, &g), BP_STATUS_INVALID_ARGUMENT,
                 "bp_bernoulli: p must be in [0, 1], got 1.5");
  BP_CHECK_FAILS(bp_dropout(f, -0.5, 1, &g, &o), BP_STATUS_INVALID_ARGUMENT,
                 "bp_dropout: p must be in [0, 1], got -0.5");
  BP_CHECK_FAILS(bp_dropout(i, 0.5, 1, &g, &o), BP_STATUS_INVALID_ARGUMENT,
                 "bp_dropout: x must be a float tensor");
  BP_CHECK_FAILS(bp_uniform(NULL, 0.0, 1.0, &g), BP_STATUS_INVALID_ARGUMENT, "bp_uniform: out is NULL");
  cr_assert_null(o);
  cr_assert_eq(g.offset, 0);
  int64_t two[1] = {2};
  bp_tensor_t *p2 = empty(BP_DTYPE_F32, 1, two);
  BP_CHECK_FAILS(bp_bernoulli_out(p2, &g, f), BP_STATUS_INVALID_ARGUMENT,
                 "bp_bernoulli: p shape [2] does not broadcast to out shape [4]");
  bp_tensor_release(p2);
  bp_tensor_release(i);
  bp_tensor_release(f);
}
