/* Gradcheck (finite differences in f64) of every derivative formula of the
 * unary, binary, shape and reduce families, and of bp_gradcheck itself:
 * that it reports a wrong gradient naming the input and element, and
 * refuses what it cannot check. Inputs are chosen away from kinks (0 for
 * abs and relu, ties for max, integers for floor). */
#include <math.h>

#include "test_helpers.h"

/* ---- helpers ---- */

static bp_tensor_t *f64(int32_t ndim, const int64_t *shape, const double *data) {
  return tensor_of(ref_device(), BP_DTYPE_F64, ndim, shape, data);
}

/* n values in [lo, hi) (a fixed sequence), at least `gap` away from 0 and
 * from every multiple of `avoid` (when avoid > 0, e.g. 0.5 keeps floor and
 * round away from their jumps). */
static void fill_values(double *v, int n, double lo, double hi, double gap, double avoid, int seed) {
  uint32_t state = 2463534242u + (uint32_t)seed * 7919u;
  for (int i = 0; i < n; ++i) {
    double x;
    for (;;) {
      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      x = lo + (hi - lo) * ((double)(state % 100000) / 100000.0);
      bool ok = fabs(x) >= gap;
      if (avoid > 0) {
        double r = fmod(fabs(x), avoid);
        ok = ok && r > 0.05 && r < avoid - 0.05;
      }
      if (ok) break;
    }
    v[i] = x;
  }
}

static bp_tensor_t *rnd(int32_t ndim, const int64_t *shape, double lo, double hi, double gap,
                        double avoid, int seed) {
  int64_t n = 1;
  for (int32_t i = 0; i < ndim; ++i) n *= shape[i];
  double v[256];
  cr_assert(n <= 256);
  fill_values(v, (int)n, lo, hi, gap, avoid, seed);
  return f64(ndim, shape, v);
}

static uint32_t op_id(const char *name) {
  uint32_t id = 0;
  BP_CHECK(bp_op_find(name, &id));
  return id;
}

static bp_attr_t a_int(const char *name, int64_t v) {
  return (bp_attr_t){.struct_size = sizeof(bp_attr_t), .type = BP_ATTR_INT, .name = name, .count = 1, .value.i = v};
}
static bp_attr_t a_float(const char *name, double v) {
  return (bp_attr_t){.struct_size = sizeof(bp_attr_t), .type = BP_ATTR_FLOAT, .name = name, .count = 1, .value.f = v};
}
static bp_attr_t a_bool(const char *name, bool v) {
  return (bp_attr_t){.struct_size = sizeof(bp_attr_t), .type = BP_ATTR_BOOL, .name = name, .count = 1, .value.b = v};
}
static bp_attr_t a_ints(const char *name, uint32_t n, const int64_t *v) {
  return (bp_attr_t){.struct_size = sizeof(bp_attr_t), .type = BP_ATTR_INTS, .name = name, .count = n, .value.ints = v};
}

/* Gradchecks op on the inputs (released after) with attrs. */
static void check(const char *op, uint32_t ni, bp_tensor_t **in, uint32_t na, const bp_attr_t *attrs) {
  bp_status_t s = bp_gradcheck(op_id(op), ni, in, na, attrs, NULL);
  cr_expect_eq(s, BP_STATUS_OK, "gradcheck of %s: %s (%s)", op, bp_status_name(s), bp_last_error());
  for (uint32_t i = 0; i < ni; ++i) bp_tensor_release(in[i]);
}

static const int64_t s23[2] = {2, 3}, s3[1] = {3}, s234[3] = {2, 3, 4}, s34[2] = {3, 4};

/* ---- unary ---- */

static void unary(const char *op, double lo, double hi, double gap, double avoid, uint32_t na,
                  const bp_attr_t *attrs) {
  bp_tensor_t *x = rnd(2, s23, lo, hi, gap, avoid, 1);
  check(op, 1, &x, na, attrs);
}

Test(gradcheck, unary_smooth) {
  const char *anywhere[] = {"neg", "exp", "expm1", "sin", "cos", "tanh", "sigmoid", "silu", "erf",
                            "reciprocal"};
  for (size_t i = 0; i < sizeof(anywhere) / sizeof(anywhere[0]); ++i)
    unary(anywhere[i], -2, 2, 0.2, 0, 0, NULL);
  const char *positive[] = {"log", "sqrt", "rsqrt"};
  for (size_t i = 0; i < 3; ++i) unary(positive[i], 0.3, 3, 0, 0, 0, NULL);
  unary("log1p", -0.7, 3, 0, 0, 0, NULL);
}

Test(gradcheck, unary_kinks_and_attrs) {
  unary("abs", -2, 2, 0.1, 0, 0, NULL);
  unary("relu", -2, 2, 0.1, 0, 0, NULL);
  bp_attr_t slope = a_float("negative_slope", 0.2);
  unary("leaky_relu", -2, 2, 0.1, 0, 1, &slope);
  bp_attr_t alpha = a_float("alpha", 1.5);
  unary("elu", -2, 2, 0.1, 0, 1, &alpha);
  bp_attr_t sp[2] = {a_float("beta", 2.0), a_float("threshold", 1.5)};
  unary("softplus", -2, 2, 0.1, 0.75, 2, sp); /* beta x != threshold: x != 0.75 */
  unary("softplus", -2, 2, 0.1, 0, 0, NULL);
  bp_attr_t both[4] = {a_float("min", -0.5), a_float("max", 0.75), a_bool("has_min", true),
                       a_bool("has_max", true)};
  unary("clamp", -2, 2, 0.1, 0.25, 4, both); /* the bounds are multiples of 0.25 */
  unary("clamp", -2, 2, 0.1, 0.25, 2, (bp_attr_t[]){a_float("min", -0.5), a_bool("has_min", true)});
  unary("clamp", -2, 2, 0.1, 0.25, 2, (bp_attr_t[]){a_float("max", 0.75), a_bool("has_max", true)});
}

Test(gradcheck, piecewise_constant_ops_have_zero_gradients) {
  const char *ops[] = {"sign", "floor", "ceil", "round", "trunc"};
  for (size_t i = 0; i < 5; ++i) unary(ops[i], -3, 3, 0.1, 0.5, 0, NULL);
  /* the gradient is zeros (a tensor), as torch gives */
  bp_tensor_t *x = rnd(1, s3, -3, 3, 0.1, 0.5, 2), *y = NULL, *l = NULL;
  BP_CHECK(bp_tensor_set_requires_grad(x, true));
  BP_CHECK(bp_floor(x, &y));
  BP_CHECK(bp_sum(y, 0, NULL, 0, &l));
  BP_CHECK(bp_backward(l, NULL, NULL));
  cr_assert_not_null(bp_tensor_grad(x));
  double g[3];
  BP_CHECK(bp_tensor_copy_to_host(bp_tensor_grad(x), g, sizeof(g)));
  for (int i = 0; i < 3; ++i) cr_assert_eq(g[i], 0.0);
  bp_tensor_release(x);
  bp_tensor_release(y);
  bp_tensor_release(l);
}

/* ---- binary ---- */

static void binary(const char *op, double lo, double hi, double gap, uint32_t na, const bp_attr_t *attrs) {
  /* same shapes, then b broadcast along rows */
  bp_tensor_t *in[2] = {rnd(2, s23, lo, hi, gap, 0, 3), rnd(2, s23, lo, hi, gap, 0, 4)};
  check(op, 2, in, na, attrs);
  bp_tensor_t *in2[2] = {rnd(2, s23, lo, hi, gap, 0, 5), rnd(1, s3, lo, hi, gap, 0, 6)};
  check(op, 2, in2, na, attrs);
}

Test(gradcheck, binary) {
  binary("add", -2, 2, 0, 0, NULL);
  bp_attr_t alpha = a_float("alpha", 2.5);
  binary("add", -2, 2, 0, 1, &alpha);
  binary("sub", -2, 2, 0, 1, &alpha);
  binary("mul", -2, 2, 0, 0, NULL);
  binary("div", -2, 2, 0.3, 0, NULL);
  binary("atan2", -2, 2, 0.3, 0, NULL);
  binary("pow", 0.3, 2, 0, 0, NULL); /* a > 0: real results, log(a) defined */
  binary("maximum", -2, 2, 0, 0, NULL); /* distinct values: no ties */
  binary("minimum", -2, 2, 0, 0, NULL);
}

Test(gradcheck, remainder_and_pow_with_scalars) {
  /* a / b kept away from integers, where remainder jumps */
  double a[6] = {0.7, -1.3, 2.2, 3.4, -0.45, 5.1}, b[6] = {0.5, 0.6, -0.9, 1.5, 0.4, -2.0};
  bp_tensor_t *in[2] = {f64(2, s23, a), f64(2, s23, b)};
  check("remainder", 2, in, 0, NULL);
  /* pow with a scalar exponent (not checked: it is a scalar operand) */
  bp_tensor_t *x = rnd(2, s23, 0.3, 2, 0, 0, 7), *e = NULL;
  BP_CHECK(bp_tensor_create_scalar(2.5, &e));
  BP_CHECK(bp_tensor_set_requires_grad(x, true));
  bp_tensor_t *in2[2] = {x, e};
  check("pow", 2, in2, 0, NULL);
  /* integer exponent 0 gives gradient 0, also at a = 0 */
  double z[3] = {0.0, 1.5, -2.0};
  bp_tensor_t *x0 = f64(1, s3, z), *e0 = NULL;
  BP_CHECK(bp_tensor_create_scalar(0.0, &e0));
  BP_CHECK(bp_tensor_set_requires_grad(x0, true));
  bp_tensor_t *in3[2] = {x0, e0};
  check("pow", 2, in3, 0, NULL);
}

Test(gradcheck, div_with_rounding_mode_is_zero) {
  double a[6] = {0.7, -1.3, 2.2, 3.4, -0.45, 5.1}, b[6] = {0.5, 0.6, -0.9, 1.5, 0.4, -2.0};
  bp_tensor_t *in[2] = {f64(2, s23, a), f64(2, s23, b)};
  bp_attr_t mode = a_int("rounding_mode", 2);
  check("div", 2, in, 1, &mode);
}

/* ---- shape ---- */

Test(gradcheck, where_tril_triu_pad) {
  bool cond[6] = {true, false, true, false, false, true};
  bp_tensor_t *in[3] = {tensor_of(ref_device(), BP_DTYPE_BOOL, 2, s23, cond), rnd(2, s23, -2, 2, 0, 0, 8),
                        rnd(1, s3, -2, 2, 0, 0, 9)};
  check("where", 3, in, 0, NULL);
  for (int64_t d = -1; d <= 1; ++d) {
    bp_attr_t diag = a_int("diagonal", d);
    bp_tensor_t *x = rnd(2, s34, -2, 2, 0, 0, 10);
    check("tril", 1, &x, 1, &diag);
    x = rnd(3, s234, -2, 2, 0, 0, 11);
    check("triu", 1, &x, 1, &diag);
  }
  const int64_t grow[4] = {1, 2, 0, 1}, crop[4] = {-1, 1, 1, -1};
  bp_attr_t pa[2] = {a_ints("pad", 4, grow), a_float("value", 0.5)};
  bp_tensor_t *x = rnd(2, s23, -2, 2, 0, 0, 12);
  check("pad", 1, &x, 2, pa);
  bp_attr_t pc = a_ints("pad", 4, crop);
  x = rnd(2, s23, -2, 2, 0, 0, 13);
  check("pad", 1, &x, 1, &pc);
}

Test(gradcheck, cat_and_stack) {
  const int64_t s21[2] = {2, 1}, s0[1] = {0};
  bp_tensor_t *in[4] = {rnd(2, s23, -2, 2, 0, 0, 14), rnd(2, s21, -2, 2, 0, 0, 15),
                        f64(1, s0, NULL), rnd(2, s23, -2, 2, 0, 0, 16)};
  bp_attr_t dim = a_int("dim", -1);
  check("cat", 4, in, 1, &dim);
  bp_tensor_t *in0[2] = {rnd(2, s23, -2, 2, 0, 0, 17), rnd(2, s23, -2, 2, 0, 0, 18)};
  check("cat", 2, in0, 0, NULL);
  for (int64_t d = -3; d <= 2; ++d) {
    bp_tensor_t *st[3] = {rnd(2, s23, -2, 2, 0, 0, 19), rnd(2, s23, -2, 2, 0, 0, 20),
                          rnd(2, s23, -2, 2, 0, 0, 21)};
    bp_attr_t sd = a_int("dim", d);
    check("stack", 3, st, 1, &sd);
  }
}

Test(gradcheck, views) {
  const int64_t perm[3] = {2, 0, 1}, shape[2] = {4, 6}, big[4] = {2, 2, 3, 4}, sq[1] = {1};
  const int64_t s1[3] = {2, 1, 4};
  bp_tensor_t *x;
  x = rnd(3, s234, -2, 2, 0, 0, 22);
  check("permute", 1, &x, 1, (bp_attr_t[]){a_ints("dims", 3, perm)});
  x = rnd(3, s234, -2, 2, 0, 0, 23);
  check("reshape", 1, &x, 1, (bp_attr_t[]){a_ints("shape", 2, shape)});
  x = rnd(3, s234, -2, 2, 0, 0, 24);
  check("transpose", 1, &x, 2, (bp_attr_t[]){a_int("dim0", 0), a_int("dim1", 2)});
  x = rnd(3, s234, -2, 2, 0, 0, 25);
  check("slice", 1, &x, 4, (bp_attr_t[]){a_int("dim", 2), a_int("start", 1), a_int("end", 4), a_int("step", 2)});
  x = rnd(3, s234, -2, 2, 0, 0, 26);
  check("select", 1, &x, 2, (bp_attr_t[]){a_int("dim", 1), a_int("index", 2)});
  x = rnd(3, s234, -2, 2, 0, 0, 27);
  check("narrow", 1, &x, 3, (bp_attr_t[]){a_int("dim", 2), a_int("start", 1), a_int("length", 2)});
  x = rnd(3, s234, -2, 2, 0, 0, 28);
  check("expand", 1, &x, 1, (bp_attr_t[]){a_ints("size", 4, big)});
  x = rnd(3, s1, -2, 2, 0, 0, 29);
  check("squeeze", 1, &x, 1, (bp_attr_t[]){a_ints("dim", 1, sq)});
  x = rnd(3, s234, -2, 2, 0, 0, 30);
  check("unsqueeze", 1, &x, 1, (bp_attr_t[]){a_int("dim", -1)});
  x = rnd(3, s234, -2, 2, 0, 0, 31);
  check("flatten", 1, &x, 1, (bp_attr_t[]){a_int("start_dim", 1)});
}

/* copy writes into a given output: checked through bp_gradcheck_fn. */
static bp_status_t copy_fn(void *user, uint32_t ni, bp_tensor_t *const *in, uint32_t no, bp_tensor_t **out) {
  (void)user; (void)ni; (void)no;
  bp_tensor_t *dst = NULL, *t = NULL;
  int32_t perm[2] = {1, 0};
  bp_status_t s = bp_tensor_create(ref_device(), BP_DTYPE_F64, 2, (int64_t[]){3, 2}, &dst);
  if (!s) s = bp_tensor_permute(dst, perm, &t); /* a non-contiguous destination */
  if (!s) s = bp_copy(t, in[0]);
  bp_tensor_release(dst);
  if (s) bp_tensor_release(t);
  else out[0] = t;
  return s;
}

Test(gradcheck, copy_into_a_strided_output) {
  bp_tensor_t *x = rnd(2, s23, -2, 2, 0, 0, 32);
  bp_status_t s = bp_gradcheck_fn("copy", copy_fn, NULL, 1, &x, 1, NULL);
  cr_expect_eq(s, BP_STATUS_OK, "%s", bp_last_error());
  bp_tensor_release(x);
}

/* ---- reduce ---- */

static void reduce(const char *op, double lo, double hi, double gap, uint32_t na, const bp_attr_t *attrs, int seed) {
  bp_tensor_t *x = rnd(3, s234, lo, hi, gap, 0, seed);
  check(op, 1, &x, na, attrs);
}

Test(gradcheck, reductions) {
  const int64_t d1[1] = {1}, d02[2] = {0, -1};
  const char *ops[] = {"sum", "mean", "prod", "amax", "amin", "logsumexp", "var", "std"};
  for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); ++i) {
    reduce(ops[i], 0.5, 1.5, 0, 0, NULL, 33);
    reduce(ops[i], -2, 2, 0.2, 2, (bp_attr_t[]){a_ints("dim", 1, d1), a_bool("keepdim", true)}, 34);
    reduce(ops[i], -2, 2, 0.2, 1, (bp_attr_t[]){a_ints("dim", 2, d02)}, 35);
  }
  reduce("var", -2, 2, 0, 2, (bp_attr_t[]){a_ints("dim", 1, d1), a_int("correction", 0)}, 36);
  reduce("std", -2, 2, 0, 2, (bp_attr_t[]){a_ints("dim", 2, d02), a_int("correction", 2)}, 37);
  const double ps[] = {2.0, 3.0, 1.0, 0.5, INFINITY, -INFINITY, 0.0};
  for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); ++i) {
    reduce("norm", -2, 2, 0.2, 1, (bp_attr_t[]){a_float("p", ps[i])}, 38);
    reduce("norm", -2, 2, 0.2, 3, (bp_attr_t[]){a_float("p", ps[i]), a_ints("dim", 1, d1), a_bool("keepdim", true)}, 39);
  }
  for (int64_t d = -3; d <= 2; ++d) {
    reduce("max", -2, 2, 0, 1, (bp_attr_t[]){a_int("dim", d)}, 40);
    reduce("min", -2, 2, 0, 2, (bp_attr_t[]){a_int("dim", d), a_bool("keepdim", true)}, 41);
    reduce("cumsum", -2, 2, 0, 1, (bp_attr_t[]){a_int("dim", d)}, 42);
    reduce("cumprod", -2, 2, 0.2, 1, (bp_attr_t[]){a_int("dim", d)}, 43);
  }
}

Test(gradcheck, prod_and_cumprod_with_zeros) {
  /* row 0: one zero; row 1: two zeros; row 2: none */
  double v[12] = {0.5, 0.0, 1.5, -2.0, 0.0, 3.0, 0.0, 0.7, 1.1, -0.9, 1.3, 0.8};
  const int64_t d1[1] = {1};
  for (int dim = 0; dim < 2; ++dim) {
    bp_tensor_t *x = f64(2, s34, v);
    check("prod", 1, &x, 1, (bp_attr_t[]){a_ints("dim", 1, dim ? d1 : (const int64_t[]){0})});
    x = f64(2, s34, v);
    check("cumprod", 1, &x, 1, (bp_attr_t[]){a_int("dim", dim)});
  }
  bp_tensor_t *x = f64(2, s34, v);
  check("prod", 1, &x, 0, NULL); /* all dims: two zeros overall */
}

Test(gradcheck, matmul_ranks) {
  const int64_t s2[1] = {2}, s32[2] = {3, 2}, s243[3] = {2, 4, 3};
  bp_tensor_t *in1[2] = {rnd(2, s23, -2, 2, 0, 0, 44), rnd(2, s32, -2, 2, 0, 0, 45)};
  check("matmul", 2, in1, 0, NULL);
  bp_tensor_t *in2[2] = {rnd(1, s2, -2, 2, 0, 0, 46), rnd(2, s23, -2, 2, 0, 0, 47)};
  check("matmul", 2, in2, 0, NULL);
  bp_tensor_t *in3[2] = {rnd(3, s243, -2, 2, 0, 0, 48), rnd(1, s3, -2, 2, 0, 0, 49)};
  check("matmul", 2, in3, 0, NULL);
  bp_tensor_t *in4[2] = {rnd(3, s243, -2, 2, 0, 0, 50), rnd(2, s32, -2, 2, 0, 0, 51)};
  check("matmul", 2, in4, 0, NULL);
}

/* ---- bp_gradcheck itself ---- */

/* x * detach(x): the recorded graph sees only one factor, so backward gives
 * x where the true derivative is 2x; gradcheck must say so. */
static bp_status_t wrong_fn(void *user, uint32_t ni, bp_tensor_t *const *in, uint32_t no, bp_tensor_t **out) {
  (void)user; (void)ni; (void)no;
  bp_tensor_t *d = NULL;
  bp_status_t s = bp_tensor_detach(in[1], &d);
  if (!s) s = bp_mul(in[1], d, &out[0]);
  bp_tensor_release(d);
  return s;
}

Test(gradcheck, reports_the_disagreeing_element) {
  double xv[6] = {1, 2, 3, 4, 5, 6};
  bp_tensor_t *in[2] = {f64(1, s3, xv), f64(2, s23, xv)};
  BP_CHECK_FAILS(bp_gradcheck_fn("square", wrong_fn, NULL, 2, in, 1, NULL),
                 BP_STATUS_FAILED_PRECONDITION,
                 "bp_gradcheck: square: d output0[0,0] / d input1[0,0] (input 1): analytical 1, "
                 "numerical 2");
  cr_assert(strstr(bp_last_error(), "6 of 54 entries disagree"), "%s", bp_last_error());
  /* with a tolerance that admits it, it passes */
  bp_gradcheck_options_t o;
  bp_gradcheck_options_init(&o);
  cr_assert_eq(o.eps, 1e-6);
  cr_assert_eq(o.atol, 1e-5);
  cr_assert_eq(o.rtol, 1e-3);
  o.atol = 10;
  BP_CHECK(bp_gradcheck_fn("square", wrong_fn, NULL, 2, in, 1, &o));
  /* op form: names the slot */
  double bad[3] = {1, 2, 3};
  bp_tensor_t *pw[2] = {f64(1, s3, bad), f64(1, s3, bad)};
  BP_CHECK(bp_gradcheck(op_id("mul"), 2, pw, 0, NULL, NULL));
  bp_tensor_release(in[0]);
  bp_tensor_release(in[1]);
  bp_tensor_release(pw[0]);
  bp_tensor_release(pw[1]);
}

Test(gradcheck, refuses_what_it_cannot_check) {
  float xf[3] = {1, 2, 3};
  bp_tensor_t *x = tensor_f32(ref_device(), 1, s3, xf);
  BP_CHECK(bp_tensor_set_requires_grad(x, true));
  BP_CHECK_FAILS(bp_gradcheck(op_id("exp"), 1, &x, 0, NULL, NULL), BP_STATUS_INVALID_ARGUMENT,
                 "bp_gradcheck: exp: input 0 (x) is f32; gradcheck needs f64 inputs");
  bp_tensor_t *y = tensor_f32(ref_device(), 1, s3, xf);
  BP_CHECK_FAILS(bp_gradcheck(op_id("exp"), 1, &y, 0, NULL, NULL), BP_STATUS_INVALID_ARGUMENT,
                 "no input to check");
  bp_gradcheck_options_t o = {.struct_size = 4};
  BP_CHECK_FAILS(bp_gradcheck(op_id("exp"), 1, &y, 0, NULL, &o), BP_STATUS_INVALID_ARGUMENT,
                 "opts->struct_size is 4");
  BP_CHECK_FAILS(bp_gradcheck(100000, 1, &y, 0, NULL, NULL), BP_STATUS_INVALID_ARGUMENT, "out of range");
  double v[3] = {1, 2, 3};
  bp_tensor_t *z = f64(1, s3, v);
  bp_no_grad_enter();
  BP_CHECK_FAILS(bp_gradcheck(op_id("exp"), 1, &z, 0, NULL, NULL), BP_STATUS_FAILED_PRECONDITION,
                 "grad mode is off");
  bp_no_grad_exit();
  /* errors of the op come through with context */
  BP_CHECK_FAILS(bp_gradcheck(op_id("exp"), 1, &z, 1, (bp_attr_t[]){a_int("nope", 1)}, NULL),
                 BP_STATUS_INVALID_ARGUMENT, "no attribute named 'nope'");
  bp_tensor_release(x);
  bp_tensor_release(y);
  bp_tensor_release(z);
}

/* Non-differentiable ops: the catalog says so, and their integer or bool
 * outputs carry no gradient, so asking for one is a clear error. */
Test(gradcheck, non_differentiable_ops) {
  const char *nondiff[] = {"argmax", "argmin", "eq", "ne", "lt", "le", "gt", "ge", "logical_and",
                           "logical_or", "logical_xor", "logical_not", "isnan", "isinf", "all",
                           "any", "bitwise_and", "bitwise_or", "bitwise_xor", "arange", "fill"};
  for (size_t i = 0; i < sizeof(nondiff) / sizeof(nondiff[0]); ++i) {
    bp_op_info_t info = {.struct_size = sizeof(info)};
    BP_CHECK(bp_op_query_info(op_id(nondiff[i]), &info));
    cr_expect_eq(info.differentiable, 0, "%s is marked differentiable", nondiff[i]);
  }
  double v[3] = {1, 3, 2};
  bp_tensor_t *x = f64(1, s3, v), *am = NULL, *gt = NULL;
  BP_CHECK(bp_tensor_set_requires_grad(x, true));
  BP_CHECK(bp_argmax(x, 0, 0, 0, &am));
  BP_CHECK_FAILS(bp_backward(am, NULL, NULL), BP_STATUS_INVALID_ARGUMENT, "does not require grad");
  BP_CHECK(bp_gt(x, x, &gt));
  cr_assert_not(bp_tensor_requires_grad(gt));
  bp_tensor_release(x);
  bp_tensor_release(am);
  bp_tensor_release(gt);
}
