/* test_random.c - Philox4x32-10 against Random123's known answers, and the
 * random kernels: first elements written out from those answers, the same
 * bits for any split of the elements (what makes every thread count agree),
 * strides that change nothing, bernoulli's exact threshold, dropout. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "../src/ref_random.h"
#include "test_host.h"

TestSuite(random, .init = th_setup, .fini = th_teardown);

Test(random, philox_known_answers) {
  /* Random123 kat_vectors, philox4x32_10. */
  static const uint32_t ctr[3][4] = {{0, 0, 0, 0},
                                     {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                                     {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}};
  static const uint32_t key[3][2] = {{0, 0}, {0xffffffff, 0xffffffff}, {0xa4093822, 0x299f31d0}};
  static const uint32_t want[3][4] = {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
                                      {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
                                      {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}};
  for (int v = 0; v < 3; ++v) {
    uint32_t out[4];
    bp_ref_philox4x32_10(ctr[v], key[v][0], key[v][1], out);
    for (int k = 0; k < 4; ++k) cr_assert_eq(out[k], want[v][k], "vector %d word %d: %08x", v, k, out[k]);
  }
  /* seed (k1 << 32 | k0) and counter (c1 << 32 | c0) map onto key and counter. */
  uint32_t out[4];
  bp_ref_random_block(0xffffffffffffffffull, 0xfffffffffffffffeull, 1, out);
  uint32_t direct[4];
  static const uint32_t c[4] = {0xffffffff, 0xffffffff, 0, 0};
  bp_ref_philox4x32_10(c, 0xffffffff, 0xffffffff, direct);
  cr_assert_eq(memcmp(out, direct, sizeof out), 0);
}

/* Runs a no-input random op (uniform/normal) on a 1-D f32 or f64 view. */
static void gen1(const char *op, bp_dtype_t dtype, void *data, int64_t first, int64_t n,
                 double a, double b, int64_t seed, int64_t offset) {
  int64_t shape[1] = {n}, strides[1] = {1};
  bp_tensor_desc_t out = th_desc(dtype, data, 1, shape, strides);
  out.byte_offset = (uint64_t)first * bp_abi_dtype_size(dtype);
  const bp_tensor_desc_t *outs[1] = {&out};
  bool normal = strcmp(op, "normal") == 0;
  bp_attr_t attrs[4] = {th_attr_float(normal ? "mean" : "from", a), th_attr_float(normal ? "std" : "to", b),
                        th_attr_int("seed", seed), th_attr_int("offset", offset)};
  cr_assert_eq(th_call(op, NULL, 0, outs, 1, attrs, 4), BP_STATUS_OK, "%s", th_last_error);
}

Test(random, uniform_first_elements_from_the_known_answer) {
  /* seed 0, offset 0: block 0 is the first known answer. */
  float f[4];
  gen1("uniform", BP_DTYPE_F32, f, 0, 4, 0.0, 1.0, 0, 0);
  cr_assert_eq(f[0], (float)(0x6627e8d5u >> 8) / 16777216.0f);
  cr_assert_eq(f[1], (float)(0xe169c58du >> 8) / 16777216.0f);
  cr_assert_eq(f[3], (float)(0x9b00dbd8u >> 8) / 16777216.0f);
  /* from + (to - from) * u in f32 */
  gen1("uniform", BP_DTYPE_F32, f, 0, 4, -2.0, 6.0, 0, 0);
  cr_assert_eq(f[2], -2.0f + 8.0f * ((float)(0xbc57ac4cu >> 8) / 16777216.0f));
  /* f64: 53 bits from words 0 and 1, then 2 and 3 */
  double d[2];
  gen1("uniform", BP_DTYPE_F64, d, 0, 2, 0.0, 1.0, 0, 0);
  cr_assert_eq(d[0], (double)((0x6627e8d5ull << 21) | (0xe169c58du >> 11)) / 9007199254740992.0);
  cr_assert_eq(d[1], (double)((0xbc57ac4cull << 21) | (0x9b00dbd8u >> 11)) / 9007199254740992.0);
}

Test(random, any_split_gives_the_same_bits) {
  /* One call over 37 elements, or three calls over [0, 8), [8, 20),
   * [20, 37) with the offset advanced by the blocks before each: what
   * threads or work groups of any backend do. */
  enum { N = 37 };
  float whole[N], parts[N];
  gen1("uniform", BP_DTYPE_F32, whole, 0, N, -1.0, 1.0, 99, 5);
  gen1("uniform", BP_DTYPE_F32, parts, 0, 8, -1.0, 1.0, 99, 5);
  gen1("uniform", BP_DTYPE_F32, parts, 8, 12, -1.0, 1.0, 99, 5 + 2);
  gen1("uniform", BP_DTYPE_F32, parts, 20, 17, -1.0, 1.0, 99, 5 + 5);
  cr_assert_eq(memcmp(whole, parts, sizeof whole), 0);
  double dwhole[N], dparts[N];
  gen1("normal", BP_DTYPE_F64, dwhole, 0, N, 1.0, 3.0, -4, 1);
  gen1("normal", BP_DTYPE_F64, dparts, 0, 6, 1.0, 3.0, -4, 1);
  gen1("normal", BP_DTYPE_F64, dparts, 6, 31, 1.0, 3.0, -4, 1 + 3);
  cr_assert_eq(memcmp(dwhole, dparts, sizeof dwhole), 0);
  gen1("uniform", BP_DTYPE_F64, dwhole, 0, N, 0.0, 1.0, 7, 0);
  gen1("uniform", BP_DTYPE_F64, dparts, 0, 10, 0.0, 1.0, 7, 0);
  gen1("uniform", BP_DTYPE_F64, dparts, 10, 27, 0.0, 1.0, 7, 5);
  cr_assert_eq(memcmp(dwhole, dparts, sizeof dwhole), 0);
  /* another offset, another stream */
  gen1("uniform", BP_DTYPE_F32, parts, 0, N, -1.0, 1.0, 99, 6);
  cr_assert_neq(memcmp(whole, parts, sizeof whole), 0);
}

Test(random, strides_change_nothing) {
  /* A 3x4 output stored transposed (strides 1, 3) gets, at [r][c], what a
   * contiguous one gets at [r][c]. */
  float c[12], t[12];
  static const int64_t shape[2] = {3, 4}, cs[2] = {4, 1}, ts[2] = {1, 3};
  bp_attr_t attrs[4] = {th_attr_float("mean", 0.0), th_attr_float("std", 1.0), th_attr_int("seed", 5),
                        th_attr_int("offset", 0)};
  bp_tensor_desc_t oc = th_desc(BP_DTYPE_F32, c, 2, shape, cs), ot = th_desc(BP_DTYPE_F32, t, 2, shape, ts);
  const bp_tensor_desc_t *outc[1] = {&oc}, *outt[1] = {&ot};
  cr_assert_eq(th_call("normal", NULL, 0, outc, 1, attrs, 4), BP_STATUS_OK);
  cr_assert_eq(th_call("normal", NULL, 0, outt, 1, attrs, 4), BP_STATUS_OK);
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 4; ++k) cr_assert_eq(c[r * 4 + k], t[k * 3 + r], "[%d][%d]", r, k);
}

static bp_status_t bernoulli1(const float *p, int64_t pstride, uint8_t *out, int64_t n, int64_t seed) {
  int64_t shape[1] = {n}, ps[1] = {pstride}, os[1] = {1};
  bp_tensor_desc_t pd = th_desc(BP_DTYPE_F32, (void *)p, 1, shape, ps);
  bp_tensor_desc_t od = th_desc(BP_DTYPE_BOOL, out, 1, shape, os);
  const bp_tensor_desc_t *ins[1] = {&pd}, *outs[1] = {&od};
  bp_attr_t attrs[2] = {th_attr_int("seed", seed), th_attr_int("offset", 0)};
  return th_call("bernoulli", ins, 1, outs, 1, attrs, 2);
}

Test(random, bernoulli_threshold_is_exact) {
  /* seed 0, offset 0: element 0 draws u = (0x6627e8d5 >> 8) * 2^-24. */
  const float u0 = (float)(0x6627e8d5u >> 8) / 16777216.0f;
  float p[4] = {u0, nextafterf(u0, 1.0f), 0.0f, 1.0f};
  uint8_t out[4];
  cr_assert_eq(bernoulli1(&p[0], 0, out, 1, 0), BP_STATUS_OK);
  cr_assert_eq(out[0], 0, "u < p is false when u == p");
  cr_assert_eq(bernoulli1(&p[1], 0, out, 1, 0), BP_STATUS_OK);
  cr_assert_eq(out[0], 1);
  float zeros[1] = {0.0f}, ones[1] = {1.0f};
  cr_assert_eq(bernoulli1(zeros, 0, out, 4, 3), BP_STATUS_OK); /* p broadcast (stride 0) */
  for (int i = 0; i < 4; ++i) cr_assert_eq(out[i], 0);
  cr_assert_eq(bernoulli1(ones, 0, out, 4, 3), BP_STATUS_OK);
  for (int i = 0; i < 4; ++i) cr_assert_eq(out[i], 1);
  float bad[2] = {0.5f, NAN};
  cr_assert_eq(bernoulli1(bad, 1, out, 2, 3), BP_STATUS_INVALID_ARGUMENT);
  cr_assert(strstr(th_last_error, "p must be in [0, 1]") != NULL, "%s", th_last_error);
}

static void dropout1(const double *x, double *out, int64_t n, double p, bool train) {
  int64_t shape[1] = {n}, s[1] = {1};
  bp_tensor_desc_t xd = th_desc(BP_DTYPE_F64, (void *)x, 1, shape, s);
  bp_tensor_desc_t od = th_desc(BP_DTYPE_F64, out, 1, shape, s);
  const bp_tensor_desc_t *ins[1] = {&xd}, *outs[1] = {&od};
  bp_attr_t train_attr = th_attr_int("train", 0);
  train_attr.type = BP_ATTR_BOOL;
  train_attr.value.b = train;
  bp_attr_t attrs[4] = {th_attr_float("p", p), train_attr, th_attr_int("seed", 0),
                        th_attr_int("offset", 0)};
  cr_assert_eq(th_call("dropout", ins, 1, outs, 1, attrs, 4), BP_STATUS_OK, "%s", th_last_error);
}

Test(random, dropout_scales_drops_and_eval_is_identity) {
  double x[4] = {1.0, -2.0, INFINITY, 3.0}, out[4];
  dropout1(x, out, 4, 0.3, false);
  cr_assert_eq(memcmp(x, out, sizeof x), 0);
  dropout1(x, out, 4, 1.0, true);
  cr_assert_eq(out[0], 0.0);
  cr_assert(signbit(out[1]), "-2 * 0 is -0");
  cr_assert(isnan(out[2]), "inf * 0 is NaN, as torch's x * noise");
  /* seed 0, offset 0, p = 0.5: words 0x6627e8d5 (u ~ 0.40, kept),
   * 0xe169c58d (~ 0.88, dropped), 0xbc57ac4c (~ 0.74, dropped),
   * 0x9b00dbd8 (~ 0.61, dropped). */
  dropout1(x, out, 4, 0.5, true);
  cr_assert_eq(out[0], 2.0);
  cr_assert(out[1] == 0.0 && signbit(out[1]));
  cr_assert(isnan(out[2]));
  cr_assert_eq(out[3], 0.0);
}

Test(random, registered_signatures) {
  static const bp_dtype_t floats[4] = {BP_DTYPE_F16, BP_DTYPE_BF16, BP_DTYPE_F32, BP_DTYPE_F64};
  for (int i = 0; i < 4; ++i) {
    cr_assert_not_null(th_find("uniform", 1, &floats[i]));
    cr_assert_not_null(th_find("normal", 1, &floats[i]));
    const bp_dtype_t same[2] = {floats[i], floats[i]};
    cr_assert_not_null(th_find("dropout", 2, same));
  }
  /* bernoulli: p in f32 or f64, out any of the nine dtypes */
  for (bp_dtype_t out = BP_DTYPE_BOOL; out <= BP_DTYPE_F64; ++out) {
    const bp_dtype_t p32[2] = {BP_DTYPE_F32, out}, p64[2] = {BP_DTYPE_F64, out};
    cr_assert_not_null(th_find("bernoulli", 2, p32));
    cr_assert_not_null(th_find("bernoulli", 2, p64));
  }
  size_t n = 0;
  for (size_t i = 0; i < th_num_kernels; ++i)
    n += !strcmp(th_kernels[i].op, "uniform") || !strcmp(th_kernels[i].op, "normal") ||
         !strcmp(th_kernels[i].op, "bernoulli") || !strcmp(th_kernels[i].op, "dropout");
  cr_assert_eq(n, 4u + 4 + 4 + 18);
}
