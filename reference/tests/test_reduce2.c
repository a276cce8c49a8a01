/* test_reduce2.c - the reductions beyond sum and the scans, through the
 * plugin ABI: bounded-error float sums, NaN propagation, first indices,
 * non-contiguous inputs and outputs, empty reductions. Expected values are
 * written out or come from plain loops here. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "test_host.h"

TestSuite(reduce2, .init = th_setup, .fini = th_teardown);

static const int64_t ST1[1] = {1};
static const int64_t ONE[1] = {1};

/* Calls op on a 1-D f64 x of n elements (stride `stride`) reduced to one
 * f64. */
static double reduce_f64(const char *op, const double *x, int64_t n, int64_t stride,
                         const bp_attr_t *attrs, uint32_t nattrs) {
  int64_t shape[1] = {n}, str[1] = {stride};
  double out = -12345.0;
  bp_tensor_desc_t dx = th_desc(BP_DTYPE_F64, (void *)x, 1, shape, str);
  bp_tensor_desc_t dout = th_desc(BP_DTYPE_F64, &out, 1, ONE, ST1);
  const bp_tensor_desc_t *ins[1] = {&dx}, *outs[1] = {&dout};
  cr_assert_eq(th_call(op, ins, 1, outs, 1, attrs, nattrs), BP_STATUS_OK, "%s: %s", op,
               th_last_error);
  return out;
}

Test(reduce2, f64_sums_have_bounded_error) {
  /* 1 followed by 2^20 copies of 2^-53: a running sum stays at 1 (each
   * addition rounds away) and misses 2^-33. Blocked pairwise summation can
   * lose at most the small values that share a block with the 1 (fewer
   * than 128); every other block and their pairwise sums are exact. */
  enum { N = (1 << 20) + 1 };
  static double x[N], y[2 * N];
  for (int i = 0; i < N; ++i) x[i] = ldexp(1.0, -53);
  x[0] = 1.0;
  for (int i = 0; i < 2 * N; ++i) y[i] = i % 2 ? -99.0 : x[i / 2]; /* stride 2 */
  const double exact = 1.0 + ldexp(1.0, -33), bound = ldexp(128.0, -53);
  double got = reduce_f64("sum", x, N, 1, NULL, 0); /* contiguous: blocked path */
  cr_assert(fabs(got - exact) <= bound, "sum %.17g, exact %.17g", got, exact);
  got = reduce_f64("sum", y, N, 2, NULL, 0); /* strided: element by element */
  cr_assert(fabs(got - exact) <= bound, "strided sum %.17g, exact %.17g", got, exact);
  got = reduce_f64("mean", y, N, 2, NULL, 0) * (double)N;
  cr_assert(fabs(got - exact) <= 2 * bound, "mean * N %.17g, exact %.17g", got, exact);
  bp_attr_t p1 = th_attr_float("p", 1.0); /* norm p=1 uses the same accumulator */
  got = reduce_f64("norm", x, N, 1, &p1, 1);
  cr_assert(fabs(got - exact) <= bound, "norm %.17g, exact %.17g", got, exact);
  cr_assert(got > 1.0); /* a running sum would give exactly 1 */
}

Test(reduce2, amax_amin_propagate_nan_and_max_gives_first_index) {
  const double x[6] = {1.0, NAN, 3.0, NAN, -INFINITY, 3.0};
  cr_assert(isnan(reduce_f64("amax", x, 6, 1, NULL, 0)));
  cr_assert(isnan(reduce_f64("amin", x, 6, 1, NULL, 0)));
  cr_assert_eq(reduce_f64("amax", x + 4, 2, 1, NULL, 0), 3.0);
  cr_assert_eq(reduce_f64("amin", x + 4, 2, 1, NULL, 0), -INFINITY);
  /* max over dim 1 of a transposed 2x3 view of [[1,NaN],[3,NaN],[-inf,3]]:
   * rows of the view are x[0], x[2], x[4] and x[1], x[3], x[5] */
  static const int64_t shape[2] = {2, 3}, str[2] = {1, 2};
  bp_tensor_desc_t dx = th_desc(BP_DTYPE_F64, (void *)x, 2, shape, str);
  double val[4] = {0, 0, 0, 0};
  int64_t idx[4] = {-1, -1, -1, -1};
  static const int64_t oshape[2] = {2, 1}, ostr[2] = {2, 1}; /* every other element */
  bp_tensor_desc_t dv = th_desc(BP_DTYPE_F64, val, 2, oshape, ostr);
  bp_tensor_desc_t di = th_desc(BP_DTYPE_I64, idx, 2, oshape, ostr);
  const bp_tensor_desc_t *ins[1] = {&dx}, *outs[2] = {&dv, &di};
  cr_assert_eq(th_call("max", ins, 1, outs, 2, NULL, 0), BP_STATUS_OK);
  cr_assert(val[0] == 3.0 && idx[0] == 1, "%g %lld", val[0], (long long)idx[0]);
  cr_assert(isnan(val[2]) && idx[2] == 0);
  cr_assert(val[1] == 0 && idx[1] == -1 && idx[3] == -1); /* gaps untouched */
  cr_assert_eq(th_call("min", ins, 1, outs, 2, NULL, 0), BP_STATUS_OK);
  cr_assert(val[0] == -INFINITY && idx[0] == 2);
  cr_assert(isnan(val[2]) && idx[2] == 0);
  /* argmax of the flattened view: logical order 1, 3, -inf, NaN, NaN, 3 */
  int64_t a = -1;
  static const int64_t allshape[2] = {1, 1};
  bp_tensor_desc_t da = th_desc(BP_DTYPE_I64, &a, 2, allshape, ostr);
  outs[0] = &da;
  cr_assert_eq(th_call("argmax", ins, 1, outs, 1, NULL, 0), BP_STATUS_OK);
  cr_assert_eq(a, 3);
  /* ties in integers: the first */
  const int32_t t[5] = {4, 9, 2, 9, 2};
  static const int64_t s5[1] = {5};
  bp_tensor_desc_t dt = th_desc(BP_DTYPE_I32, (void *)t, 1, s5, ST1);
  bp_tensor_desc_t da1 = th_desc(BP_DTYPE_I64, &a, 1, ONE, ST1);
  ins[0] = &dt;
  outs[0] = &da1;
  cr_assert_eq(th_call("argmax", ins, 1, outs, 1, NULL, 0), BP_STATUS_OK);
  cr_assert_eq(a, 1);
  cr_assert_eq(th_call("argmin", ins, 1, outs, 1, NULL, 0), BP_STATUS_OK);
  cr_assert_eq(a, 2);
}

Test(reduce2, var_std_norm_logsumexp_values) {
  const double x[4] = {2.0, 4.0, 4.0, 6.0}; /* mean 4, m2 = 8 */
  bp_attr_t c = th_attr_int("correction", 1);
  cr_assert_float_eq(reduce_f64("var", x, 4, 1, &c, 1), 8.0 / 3.0, 1e-15);
  c = th_attr_int("correction", 0);
  cr_assert_float_eq(reduce_f64("std", x, 4, 1, &c, 1), sqrt(2.0), 1e-15);
  c = th_attr_int("correction", 4);
  cr_assert(isinf(reduce_f64("var", x, 4, 1, &c, 1)));
  c = th_attr_int("correction", 1);
  cr_assert(isnan(reduce_f64("var", x, 1, 1, &c, 1))); /* one element: 0 / 0 */
  bp_attr_t p = th_attr_float("p", 2.0);
  cr_assert_float_eq(reduce_f64("norm", x, 4, 1, &p, 1), sqrt(72.0), 1e-14);
  p = th_attr_float("p", 3.0);
  cr_assert_float_eq(reduce_f64("norm", x, 4, 1, &p, 1), cbrt(8.0 + 64 + 64 + 216), 1e-13);
  p = th_attr_float("p", -INFINITY);
  cr_assert_eq(reduce_f64("norm", x, 4, 1, &p, 1), 2.0);
  p = th_attr_float("p", 0.0);
  const double z[3] = {0.0, -0.0, NAN};
  cr_assert_eq(reduce_f64("norm", z, 3, 1, &p, 1), 1.0); /* NaN is non-zero */
  /* logsumexp: large values stay finite; -inf rows give -inf; +inf gives inf */
  const double big[2] = {1000.0, 1000.0};
  cr_assert_float_eq(reduce_f64("logsumexp", big, 2, 1, NULL, 0), 1000.0 + log(2.0), 1e-12);
  const double ninf[2] = {-INFINITY, -INFINITY};
  double r = reduce_f64("logsumexp", ninf, 2, 1, NULL, 0);
  cr_assert(isinf(r) && r < 0);
  const double pinf[2] = {INFINITY, 1.0};
  r = reduce_f64("logsumexp", pinf, 2, 1, NULL, 0);
  cr_assert(isinf(r) && r > 0);
  /* mean of nothing is NaN, prod of nothing 1 */
  cr_assert(isnan(reduce_f64("mean", NULL, 0, 1, NULL, 0)));
  cr_assert_eq(reduce_f64("prod", NULL, 0, 1, NULL, 0), 1.0);
}

Test(reduce2, all_any_truthiness_and_u8) {
  const uint16_t h[3] = {0x8000, 0x7e00, 0x0000}; /* f16 -0.0, NaN, 0.0 */
  static const int64_t s3[1] = {3}, s2[1] = {2};
  uint8_t out = 7;
  bp_tensor_desc_t dh = th_desc(BP_DTYPE_F16, (void *)h, 1, s3, ST1);
  bp_tensor_desc_t dout = th_desc(BP_DTYPE_BOOL, &out, 1, ONE, ST1);
  const bp_tensor_desc_t *ins[1] = {&dh}, *outs[1] = {&dout};
  cr_assert_eq(th_call("any", ins, 1, outs, 1, NULL, 0), BP_STATUS_OK);
  cr_assert_eq(out, 1); /* NaN */
  dh.shape = s2; /* -0.0 and NaN only: NaN is true, -0.0 false */
  cr_assert_eq(th_call("all", ins, 1, outs, 1, NULL, 0), BP_STATUS_OK);
  cr_assert_eq(out, 0);
  const uint8_t u[2] = {3, 200};
  bp_tensor_desc_t du = th_desc(BP_DTYPE_U8, (void *)u, 1, s2, ST1);
  bp_tensor_desc_t duo = th_desc(BP_DTYPE_U8, &out, 1, ONE, ST1);
  ins[0] = &du;
  outs[0] = &duo;
  cr_assert_eq(th_call("all", ins, 1, outs, 1, NULL, 0), BP_STATUS_OK);
  cr_assert_eq(out, 1);
}

Test(reduce2, scans_wrap_compensate_and_take_strides) {
  /* i64 cumsum wraps */
  const int64_t li[3] = {INT64_MAX, 1, 1};
  int64_t lo[3];
  static const int64_t s3[1] = {3};
  bp_tensor_desc_t dl = th_desc(BP_DTYPE_I64, (void *)li, 1, s3, ST1);
  bp_tensor_desc_t dlo = th_desc(BP_DTYPE_I64, lo, 1, s3, ST1);
  const bp_tensor_desc_t *ins[1] = {&dl}, *outs[1] = {&dlo};
  bp_attr_t dim = th_attr_int("dim", 0);
  cr_assert_eq(th_call("cumsum", ins, 1, outs, 1, &dim, 1), BP_STATUS_OK);
  cr_assert(lo[0] == INT64_MAX && lo[1] == INT64_MIN && lo[2] == INT64_MIN + 1);
  /* f64 cumsum: 1 then 2^-53 many times; the compensated running sum is
   * exact where a plain one stays at 1 */
  enum { N = 4096 };
  static double x[N], y[N];
  for (int i = 0; i < N; ++i) x[i] = ldexp(1.0, -53);
  x[0] = 1.0;
  static const int64_t sn[1] = {N};
  bp_tensor_desc_t dx = th_desc(BP_DTYPE_F64, x, 1, sn, ST1);
  bp_tensor_desc_t dy = th_desc(BP_DTYPE_F64, y, 1, sn, ST1);
  ins[0] = &dx;
  outs[0] = &dy;
  cr_assert_eq(th_call("cumsum", ins, 1, outs, 1, &dim, 1), BP_STATUS_OK);
  cr_assert_eq(y[N - 1], 1.0 + ldexp((double)(N - 1), -53));
  /* cumprod along dim 0 of a transposed 2x3 f32 view, into a strided out */
  const float f[6] = {1, 2, 3, 4, 5, 6}; /* view[i][j] = f[j * 2 + i] */
  float o[12];
  for (int i = 0; i < 12; ++i) o[i] = -1.0f;
  static const int64_t shape[2] = {2, 3}, tstr[2] = {1, 2}, ostr[2] = {6, 2};
  bp_tensor_desc_t df = th_desc(BP_DTYPE_F32, (void *)f, 2, shape, tstr);
  bp_tensor_desc_t dfo = th_desc(BP_DTYPE_F32, o, 2, shape, ostr);
  ins[0] = &df;
  outs[0] = &dfo;
  cr_assert_eq(th_call("cumprod", ins, 1, outs, 1, &dim, 1), BP_STATUS_OK);
  /* view rows: [1, 3, 5] and [2, 4, 6]; cumprod down dim 0: [1,3,5], [2,12,30] */
  const float want[12] = {1, -1, 3, -1, 5, -1, 2, -1, 12, -1, 30, -1};
  cr_assert_arr_eq(o, want, sizeof want);
}

Test(reduce2, registered_signatures) {
  size_t n = 0;
  for (size_t i = 0; i < th_num_kernels; ++i) {
    const th_kernel_t *k = &th_kernels[i];
    const bp_dtype_t *d = k->dtypes;
    bool fl = d[0] >= BP_DTYPE_F16 && d[0] <= BP_DTYPE_F64;
    if (!strcmp(k->op, "mean") || !strcmp(k->op, "var") || !strcmp(k->op, "std") ||
        !strcmp(k->op, "norm") || !strcmp(k->op, "logsumexp")) {
      cr_assert(k->num_dtypes == 2 && fl && d[0] == d[1], "%s", k->op);
    } else if (!strcmp(k->op, "prod") || !strcmp(k->op, "cumsum") || !strcmp(k->op, "cumprod")) {
      cr_assert(k->num_dtypes == 2 && (fl || d[0] == BP_DTYPE_I64) && d[0] == d[1], "%s", k->op);
    } else if (!strcmp(k->op, "amax") || !strcmp(k->op, "amin")) {
      cr_assert(k->num_dtypes == 2 && d[0] == d[1]);
    } else if (!strcmp(k->op, "max") || !strcmp(k->op, "min")) {
      cr_assert(k->num_dtypes == 3 && d[0] == d[1] && d[2] == BP_DTYPE_I64);
    } else if (!strcmp(k->op, "argmax") || !strcmp(k->op, "argmin")) {
      cr_assert(k->num_dtypes == 2 && d[0] != BP_DTYPE_BOOL && d[1] == BP_DTYPE_I64);
    } else if (!strcmp(k->op, "all") || !strcmp(k->op, "any")) {
      cr_assert(k->num_dtypes == 2 && d[1] == (d[0] == BP_DTYPE_U8 ? BP_DTYPE_U8 : BP_DTYPE_BOOL));
    } else {
      continue;
    }
    ++n;
  }
  /* mean var std norm logsumexp: 4 each; prod cumsum cumprod: 5; amax amin
   * max min all any: 9; argmax argmin: 8 */
  cr_assert_eq(n, 5u * 4 + 3 * 5 + 6 * 9 + 2 * 8);
}
