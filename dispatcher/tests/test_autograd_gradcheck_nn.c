/* Gradcheck (finite differences in f64, bp_gradcheck with PyTorch's
 * defaults) of every derivative formula of the nn and linalg families
 * (linear, bmm, convolutions, pools, norms, softmax, indexing, losses,
 * attention), of the activations with nn formulas (gelu, silu, softplus,
 * elu, leaky_relu), of dropout, view and contiguous; and a catalog-wide
 * guard: every op the catalog marks differentiable must be listed in
 * `covered` below with the test that gradchecks it (this file or
 * test_autograd_gradcheck.c), so a new differentiable op without a
 * gradcheck fails `gradcheck_nn.every_differentiable_op_is_gradchecked`.
 *
 * Inputs are small (Jacobians of a few hundred entries) and away from kinks:
 * distinct values for max_pool2d (no ties), x != 0 for elu and leaky_relu,
 * beta x != threshold for softplus. Ops with auxiliary outputs (the saved
 * statistics of the norms) are checked on their first output only, as
 * torch.autograd.gradcheck of F.batch_norm/F.layer_norm/... does: their
 * formulas (like torch's) do not differentiate the statistics. */
#include <math.h>
#include <stdio.h>

#include "test_helpers.h"

/* ---- helpers ---- */

static bp_tensor_t *f64(int32_t ndim, const int64_t *shape, const double *data) {
  return tensor_of(ref_device(), BP_DTYPE_F64, ndim, shape, data);
}

static bp_tensor_t *i64(int32_t ndim, const int64_t *shape, const int64_t *data) {
  return tensor_of(ref_device(), BP_DTYPE_I64, ndim, shape, data);
}

/* n values in [lo, hi) (a fixed xorshift sequence), at least `gap` away
 * from 0. */
static void fill_values(double *v, int64_t n, double lo, double hi, double gap, int seed) {
  uint32_t state = 2463534242u + (uint32_t)seed * 7919u;
  for (int64_t i = 0; i < n; ++i) {
    double x;
    do {
      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      x = lo + (hi - lo) * ((double)(state % 100000) / 100000.0);
    } while (fabs(x) < gap);
    v[i] = x;
  }
}

static int64_t numel(int32_t ndim, const int64_t *shape) {
  int64_t n = 1;
  for (int32_t i = 0; i < ndim; ++i) n *= shape[i];
  return n;
}

#define MAXN 512

static bp_tensor_t *rnd(int32_t ndim, const int64_t *shape, double lo, double hi, int seed) {
  double v[MAXN];
  int64_t n = numel(ndim, shape);
  cr_assert(n <= MAXN);
  fill_values(v, n, lo, hi, 0, seed);
  return f64(ndim, shape, v);
}

/* Values in [-2, 2] at least 0.1 away from 0 (kinks of elu, leaky_relu). */
static bp_tensor_t *rnd_nz(int32_t ndim, const int64_t *shape, int seed) {
  double v[MAXN];
  int64_t n = numel(ndim, shape);
  cr_assert(n <= MAXN);
  fill_values(v, n, -2, 2, 0.1, seed);
  return f64(ndim, shape, v);
}

/* Distinct values (a permutation of a grid with step 0.1), so that max
 * pooling windows have no ties: eps 1e-6 never reorders them. */
static bp_tensor_t *distinct(int32_t ndim, const int64_t *shape, int seed) {
  double v[MAXN];
  int64_t n = numel(ndim, shape);
  cr_assert(n <= MAXN);
  int64_t mul = 37 + 2 * seed; /* odd and prime to the sizes used: a permutation */
  while (n % mul == 0 || mul % 2 == 0) ++mul;
  for (int64_t i = 0; i < n; ++i) v[i] = 0.1 * (double)((i * mul) % n) - 0.05 * (double)n + 0.013;
  return f64(ndim, shape, v);
}

static bp_tensor_t *req(bp_tensor_t *t) {
  BP_CHECK(bp_tensor_set_requires_grad(t, true));
  return t;
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

#define N_(a) (uint32_t)(sizeof(a) / sizeof((a)[0]))

/* Releases the inputs. */
static void release(uint32_t ni, bp_tensor_t **in) {
  for (uint32_t i = 0; i < ni; ++i) bp_tensor_release(in[i]);
}

/* Gradchecks op on the inputs (released after) with attrs; `what` names the
 * case in a failure. Checked inputs: those marked with req(), else every
 * f64 input. */
static void check(const char *what, const char *op, uint32_t ni, bp_tensor_t **in, uint32_t na,
                  const bp_attr_t *attrs) {
  bp_status_t s = bp_gradcheck(op_id(op), ni, in, na, attrs, NULL);
  cr_expect_eq(s, BP_STATUS_OK, "gradcheck of %s (%s): %s (%s)", op, what, bp_status_name(s),
               bp_last_error());
  release(ni, in);
}

/* An op with auxiliary outputs, checked on its first output only. */
typedef struct first_call {
  uint32_t op_id, num_attrs;
  const bp_attr_t *attrs;
} first_call_t;

static bp_status_t run_first(void *user, uint32_t ni, bp_tensor_t *const *in, uint32_t no,
                             bp_tensor_t **out) {
  (void)no;
  const first_call_t *c = user;
  bp_op_info_t info = {.struct_size = sizeof(info)};
  bp_status_t s = bp_op_query_info(c->op_id, &info);
  bp_tensor_t *all[8] = {NULL};
  if (!s) s = bp_op_run(c->op_id, ni, in, c->num_attrs, c->attrs, info.num_outputs, all);
  for (uint32_t k = 1; k < info.num_outputs; ++k) bp_tensor_release(all[k]);
  out[0] = all[0];
  return s;
}

static void check_first(const char *what, const char *op, uint32_t ni, bp_tensor_t **in, uint32_t na,
                        const bp_attr_t *attrs) {
  first_call_t c = {op_id(op), na, attrs};
  bp_status_t s = bp_gradcheck_fn(op, run_first, &c, ni, in, 1, NULL);
  cr_expect_eq(s, BP_STATUS_OK, "gradcheck of %s (%s): %s (%s)", op, what, bp_status_name(s),
               bp_last_error());
  release(ni, in);
}

/* ---- linear, bmm ---- */

Test(gradcheck_nn, linear_and_bmm) {
  const int64_t sx[2] = {2, 3}, sx3[3] = {2, 2, 3}, sw[2] = {4, 3}, sb[1] = {4};
  bp_tensor_t *in[3] = {rnd(2, sx, -2, 2, 1), rnd(2, sw, -2, 2, 2), rnd(1, sb, -2, 2, 3)};
  check("bias", "linear", 3, in, 0, NULL);
  bp_tensor_t *in3[3] = {rnd(3, sx3, -2, 2, 4), rnd(2, sw, -2, 2, 5), rnd(1, sb, -2, 2, 6)};
  check("3-d x, bias", "linear", 3, in3, 0, NULL);
  /* no bias: the bias slot holds a placeholder (its gradient is zero) */
  bp_tensor_t *nb[3] = {rnd(3, sx3, -2, 2, 7), rnd(2, sw, -2, 2, 8), rnd(2, sw, -2, 2, 9)};
  bp_attr_t no_bias = a_bool("has_bias", false);
  check("no bias", "linear", 3, nb, 1, &no_bias);
  /* a 1-d x */
  bp_tensor_t *v1[3] = {rnd(1, (int64_t[]){3}, -2, 2, 10), rnd(2, sw, -2, 2, 11), rnd(1, sb, -2, 2, 12)};
  check("1-d x", "linear", 3, v1, 0, NULL);

  const int64_t sa[3] = {2, 2, 3}, sbb[3] = {2, 3, 4};
  bp_tensor_t *bm[2] = {rnd(3, sa, -2, 2, 13), rnd(3, sbb, -2, 2, 14)};
  check("bmm", "bmm", 2, bm, 0, NULL);
}

/* ---- convolutions ---- */

Test(gradcheck_nn, conv1d) {
  const int64_t sx[3] = {2, 4, 7}, sw[3] = {4, 2, 3}, sb[1] = {4}, two[1] = {2}, one[1] = {1};
  bp_attr_t a[5] = {a_ints("stride", 1, two), a_ints("padding", 1, one), a_ints("dilation", 1, two),
                    a_int("groups", 2), a_bool("has_bias", true)};
  bp_tensor_t *in[3] = {rnd(3, sx, -2, 2, 20), rnd(3, sw, -1, 1, 21), rnd(1, sb, -1, 1, 22)};
  check("stride 2, padding 1, dilation 2, groups 2, bias", "conv1d", 3, in, 5, a);
  const int64_t sw1[3] = {3, 4, 2};
  bp_attr_t same[2] = {a_bool("padding_same", true), a_bool("has_bias", false)};
  bp_tensor_t *in2[3] = {rnd(3, sx, -2, 2, 23), rnd(3, sw1, -1, 1, 24), rnd(3, sw1, -1, 1, 25)};
  check("padding same (even kernel), no bias", "conv1d", 3, in2, 2, same);
}

Test(gradcheck_nn, conv2d) {
  const int64_t sx[4] = {1, 4, 5, 5}, sw[4] = {4, 2, 3, 3}, sb[1] = {4}, two[1] = {2}, one[1] = {1};
  bp_attr_t a[4] = {a_ints("stride", 1, two), a_ints("padding", 1, one), a_ints("dilation", 1, two),
                    a_int("groups", 2)};
  bp_tensor_t *in[3] = {rnd(4, sx, -2, 2, 30), rnd(4, sw, -1, 1, 31), rnd(1, sb, -1, 1, 32)};
  check("stride 2, padding 1, dilation 2, groups 2, bias", "conv2d", 3, in, 4, a);
  /* per-dim stride, padding and dilation; batch 2; groups 1 */
  const int64_t sx2[4] = {2, 2, 4, 5}, sw2[4] = {3, 2, 2, 3}, sb2[1] = {3};
  const int64_t st[2] = {1, 2}, pd[2] = {1, 0}, dl[2] = {2, 1};
  bp_attr_t b[3] = {a_ints("stride", 2, st), a_ints("padding", 2, pd), a_ints("dilation", 2, dl)};
  bp_tensor_t *in2[3] = {rnd(4, sx2, -2, 2, 33), rnd(4, sw2, -1, 1, 34), rnd(1, sb2, -1, 1, 35)};
  check("stride [1,2], padding [1,0], dilation [2,1]", "conv2d", 3, in2, 3, b);
  /* depthwise (groups = channels), no bias */
  const int64_t sw3[4] = {4, 1, 3, 3};
  bp_attr_t c[2] = {a_int("groups", 4), a_bool("has_bias", false)};
  bp_tensor_t *in3[3] = {rnd(4, sx, -2, 2, 36), rnd(4, sw3, -1, 1, 37), rnd(4, sw3, -1, 1, 38)};
  check("depthwise, no bias", "conv2d", 3, in3, 2, c);
  /* padding same with an even kernel (odd total padding) */
  const int64_t sx4[4] = {1, 2, 4, 4}, sw4[4] = {2, 2, 2, 3}, sb4[1] = {2};
  bp_attr_t d = a_bool("padding_same", true);
  bp_tensor_t *in4[3] = {rnd(4, sx4, -2, 2, 39), rnd(4, sw4, -1, 1, 40), rnd(1, sb4, -1, 1, 41)};
  check("padding same, even kernel", "conv2d", 3, in4, 1, &d);
}

Test(gradcheck_nn, conv_transpose2d) {
  /* weight [C_in, C_out / groups, kH, kW] */
  const int64_t sx[4] = {1, 4, 3, 3}, sw[4] = {4, 2, 3, 3}, sb[1] = {4}, two[1] = {2}, one[1] = {1};
  bp_attr_t a[4] = {a_ints("stride", 1, two), a_ints("padding", 1, one), a_ints("output_padding", 1, one),
                    a_int("groups", 2)};
  bp_tensor_t *in[3] = {rnd(4, sx, -2, 2, 50), rnd(4, sw, -1, 1, 51), rnd(1, sb, -1, 1, 52)};
  check("stride 2, padding 1, output_padding 1, groups 2, bias", "conv_transpose2d", 3, in, 4, a);
  const int64_t sx2[4] = {2, 2, 3, 2}, sw2[4] = {2, 3, 2, 2}, sb2[1] = {3};
  const int64_t st[2] = {2, 1}, op[2] = {1, 0}, dl[2] = {1, 2};
  bp_attr_t b[3] = {a_ints("stride", 2, st), a_ints("output_padding", 2, op), a_ints("dilation", 2, dl)};
  bp_tensor_t *in2[3] = {rnd(4, sx2, -2, 2, 53), rnd(4, sw2, -1, 1, 54), rnd(1, sb2, -1, 1, 55)};
  check("stride [2,1], output_padding [1,0], dilation [1,2]", "conv_transpose2d", 3, in2, 3, b);
  bp_attr_t nb = a_bool("has_bias", false);
  bp_tensor_t *in3[3] = {rnd(4, sx2, -2, 2, 56), rnd(4, sw2, -1, 1, 57), rnd(4, sw2, -1, 1, 58)};
  check("no bias", "conv_transpose2d", 3, in3, 1, &nb);
  /* a 3-d x (no batch dim) */
  const int64_t sx4[3] = {2, 3, 2};
  bp_tensor_t *in4[3] = {rnd(3, sx4, -2, 2, 59), rnd(4, sw2, -1, 1, 60), rnd(1, sb2, -1, 1, 61)};
  check("unbatched", "conv_transpose2d", 3, in4, 0, NULL);
}

/* ---- pools ---- */

Test(gradcheck_nn, max_pool2d) {
  const int64_t sx[4] = {1, 2, 5, 5}, k2[1] = {2}, k3[1] = {3}, one[1] = {1}, two[1] = {2};
  bp_tensor_t *x = distinct(4, sx, 0);
  check("kernel 2", "max_pool2d", 1, &x, 1, (bp_attr_t[]){a_ints("kernel_size", 1, k2)});
  x = distinct(4, sx, 1);
  check("kernel 3, stride 2, padding 1, ceil_mode", "max_pool2d", 1, &x, 4,
        (bp_attr_t[]){a_ints("kernel_size", 1, k3), a_ints("stride", 1, two), a_ints("padding", 1, one),
                      a_bool("ceil_mode", true)});
  x = distinct(4, sx, 2);
  check("kernel 2, stride 1, dilation 2 (overlapping windows)", "max_pool2d", 1, &x, 3,
        (bp_attr_t[]){a_ints("kernel_size", 1, k2), a_ints("stride", 1, one), a_ints("dilation", 1, two)});
  const int64_t sx3[3] = {2, 4, 5}, kr[2] = {2, 3}, sr[2] = {1, 2};
  x = distinct(3, sx3, 3);
  check("unbatched, kernel [2,3], stride [1,2]", "max_pool2d", 1, &x, 2,
        (bp_attr_t[]){a_ints("kernel_size", 2, kr), a_ints("stride", 2, sr)});
}

Test(gradcheck_nn, avg_pool2d) {
  const int64_t sx[4] = {1, 2, 5, 5}, k2[1] = {2}, k3[1] = {3}, one[1] = {1}, two[1] = {2};
  bp_tensor_t *x = rnd(4, sx, -2, 2, 70);
  check("kernel 2", "avg_pool2d", 1, &x, 1, (bp_attr_t[]){a_ints("kernel_size", 1, k2)});
  x = rnd(4, sx, -2, 2, 71);
  check("kernel 3, stride 2, padding 1, ceil_mode, count_include_pad false", "avg_pool2d", 1, &x, 5,
        (bp_attr_t[]){a_ints("kernel_size", 1, k3), a_ints("stride", 1, two), a_ints("padding", 1, one),
                      a_bool("ceil_mode", true), a_bool("count_include_pad", false)});
  x = rnd(4, sx, -2, 2, 72);
  check("kernel 3, stride 2, padding 1, count_include_pad", "avg_pool2d", 1, &x, 3,
        (bp_attr_t[]){a_ints("kernel_size", 1, k3), a_ints("stride", 1, two), a_ints("padding", 1, one)});
  x = rnd(4, sx, -2, 2, 73);
  check("kernel 2, stride 1, divisor_override 3", "avg_pool2d", 1, &x, 3,
        (bp_attr_t[]){a_ints("kernel_size", 1, k2), a_ints("stride", 1, one), a_int("divisor_override", 3)});
}

Test(gradcheck_nn, adaptive_avg_pool2d) {
  const int64_t sx[4] = {1, 2, 5, 7}, o34[2] = {3, 4}, o1[1] = {1}, o2[2] = {5, 2};
  bp_tensor_t *x = rnd(4, sx, -2, 2, 80);
  check("5x7 -> 3x4 (overlapping windows)", "adaptive_avg_pool2d", 1, &x, 1,
        (bp_attr_t[]){a_ints("output_size", 2, o34)});
  x = rnd(4, sx, -2, 2, 81);
  check("global", "adaptive_avg_pool2d", 1, &x, 1, (bp_attr_t[]){a_ints("output_size", 1, o1)});
  const int64_t sx3[3] = {2, 5, 4};
  x = rnd(3, sx3, -2, 2, 82);
  check("unbatched 5x4 -> 5x2", "adaptive_avg_pool2d", 1, &x, 1, (bp_attr_t[]){a_ints("output_size", 2, o2)});
}

/* ---- norms ---- */

Test(gradcheck_nn, batch_norm) {
  const int64_t sx[4] = {3, 2, 2, 2}, sc[1] = {2}, sx2[2] = {4, 3}, sc3[1] = {3};
  double rm[2] = {0.3, -0.2}, rv[2] = {0.8, 1.7};
  /* training, affine, with running stats (updated in place: not checked) */
  bp_tensor_t *in[5] = {req(rnd(4, sx, -2, 2, 90)), req(rnd(1, sc, 0.5, 1.5, 91)), req(rnd(1, sc, -1, 1, 92)),
                        f64(1, sc, rm), f64(1, sc, rv)};
  bp_attr_t tr[4] = {a_bool("training", true), a_bool("has_weight", true), a_bool("has_bias", true),
                     a_bool("has_running_stats", true)};
  check_first("training, affine, running stats", "batch_norm", 5, in, 4, tr);
  /* training, no affine, no running stats, [N, C] */
  bp_tensor_t *in2[5] = {req(rnd(2, sx2, -2, 2, 93)), rnd(1, sc3, 1, 2, 94), rnd(1, sc3, 1, 2, 95),
                         rnd(1, sc3, 1, 2, 96), rnd(1, sc3, 1, 2, 97)};
  check_first("training, [N, C], no affine", "batch_norm", 5, in2, 1,
              (bp_attr_t[]){a_bool("training", true)});
  /* eval with running stats, affine */
  bp_tensor_t *in3[5] = {req(rnd(4, sx, -2, 2, 98)), req(rnd(1, sc, 0.5, 1.5, 99)), req(rnd(1, sc, -1, 1, 100)),
                         f64(1, sc, rm), f64(1, sc, rv)};
  bp_attr_t ev[4] = {a_bool("training", false), a_bool("has_weight", true), a_bool("has_bias", true),
                     a_bool("has_running_stats", true)};
  check_first("eval, affine", "batch_norm", 5, in3, 4, ev);
  /* eval, weight only, eps 0.1 */
  bp_tensor_t *in4[5] = {req(rnd(4, sx, -2, 2, 101)), req(rnd(1, sc, 0.5, 1.5, 102)), f64(1, sc, rm),
                         f64(1, sc, rm), f64(1, sc, rv)};
  bp_attr_t ev2[4] = {a_bool("training", false), a_bool("has_weight", true), a_bool("has_running_stats", true),
                      a_float("eps", 0.1)};
  check_first("eval, weight only, eps 0.1", "batch_norm", 5, in4, 4, ev2);
}

Test(gradcheck_nn, layer_group_rms_norm) {
  const int64_t sx[3] = {2, 3, 4}, s34[2] = {3, 4}, s4[1] = {4};
  bp_attr_t ln[3] = {a_ints("normalized_shape", 2, s34), a_bool("has_weight", true), a_bool("has_bias", true)};
  bp_tensor_t *in[3] = {rnd(3, sx, -2, 2, 110), rnd(2, s34, 0.5, 1.5, 111), rnd(2, s34, -1, 1, 112)};
  check_first("over [3,4], affine", "layer_norm", 3, in, 3, ln);
  bp_attr_t ln2[2] = {a_ints("normalized_shape", 1, s4), a_float("eps", 0.01)};
  bp_tensor_t *in2[3] = {req(rnd(3, sx, -2, 2, 113)), rnd(1, s4, 1, 2, 114), rnd(1, s4, 1, 2, 115)};
  check_first("over [4], no affine, eps 0.01", "layer_norm", 3, in2, 2, ln2);
  bp_attr_t ln3[2] = {a_ints("normalized_shape", 1, s4), a_bool("has_weight", true)};
  bp_tensor_t *in3[3] = {req(rnd(3, sx, -2, 2, 116)), req(rnd(1, s4, 0.5, 1.5, 117)), rnd(1, s4, 1, 2, 118)};
  check_first("over [4], weight only", "layer_norm", 3, in3, 2, ln3);

  const int64_t gx[3] = {2, 4, 3}, gc[1] = {4}, gx4[4] = {1, 6, 2, 2}, gc6[1] = {6};
  bp_attr_t gn[3] = {a_int("num_groups", 2), a_bool("has_weight", true), a_bool("has_bias", true)};
  bp_tensor_t *g1[3] = {rnd(3, gx, -2, 2, 120), rnd(1, gc, 0.5, 1.5, 121), rnd(1, gc, -1, 1, 122)};
  check_first("2 groups, affine", "group_norm", 3, g1, 3, gn);
  bp_attr_t gn2[2] = {a_int("num_groups", 3), a_float("eps", 0.01)};
  bp_tensor_t *g2[3] = {req(rnd(4, gx4, -2, 2, 123)), rnd(1, gc6, 1, 2, 124), rnd(1, gc6, 1, 2, 125)};
  check_first("3 groups, [N, C, H, W], no affine", "group_norm", 3, g2, 2, gn2);

  bp_attr_t rn[3] = {a_ints("normalized_shape", 1, s4), a_bool("has_weight", true), a_float("eps", 1e-3)};
  bp_attr_t rn_eps[4] = {rn[0], rn[1], rn[2], a_bool("has_eps", true)};
  bp_tensor_t *r1[2] = {rnd(3, sx, -2, 2, 130), rnd(1, s4, 0.5, 1.5, 131)};
  check_first("over [4], weight, eps 1e-3", "rms_norm", 2, r1, 4, rn_eps);
  bp_attr_t rn2 = a_ints("normalized_shape", 2, s34);
  bp_tensor_t *r2[2] = {req(rnd(3, sx, -2, 2, 132)), rnd(2, s34, 1, 2, 133)};
  check_first("over [3,4], default eps, no weight", "rms_norm", 2, r2, 1, &rn2);
}

/* ---- softmax, activations, dropout ---- */

Test(gradcheck_nn, softmax_and_log_softmax) {
  const int64_t sx[3] = {2, 3, 4};
  const char *ops[2] = {"softmax", "log_softmax"};
  for (int o = 0; o < 2; ++o)
    for (int64_t d = -3; d <= 2; ++d) {
      bp_tensor_t *x = rnd(3, sx, -3, 3, 140 + (int)d);
      check("dim", ops[o], 1, &x, 1, (bp_attr_t[]){a_int("dim", d)});
    }
  bp_tensor_t *x = rnd(1, (int64_t[]){5}, -3, 3, 150);
  check("1-d, dtype f64", "softmax", 1, &x, 2, (bp_attr_t[]){a_int("dim", 0), (bp_attr_t){.struct_size = sizeof(bp_attr_t), .type = BP_ATTR_DTYPE, .name = "dtype",
                                                        .count = 1, .value.dtype = BP_DTYPE_F64}});
}

Test(gradcheck_nn, activations) {
  const int64_t s[2] = {3, 4};
  bp_tensor_t *x;
  for (int64_t ap = 0; ap <= 1; ++ap) {
    x = rnd(2, s, -3, 3, 160 + (int)ap);
    check(ap ? "tanh" : "erf", "gelu", 1, &x, 1, (bp_attr_t[]){a_int("approximate", ap)});
  }
  x = rnd(2, s, -4, 4, 162);
  check("", "silu", 1, &x, 0, NULL);
  /* softplus: beta x away from the threshold */
  x = rnd(2, s, -2, 2, 163);
  check("defaults", "softplus", 1, &x, 0, NULL);
  double sp[12] = {-1.9, -1.1, -0.4, 0.2, 0.6, 0.74, 0.76, 1.3, 1.9, -0.05, 0.05, 1.0};
  x = f64(2, s, sp);
  check("beta 2, threshold 3 (linear above x = 1.5)", "softplus", 1, &x, 2,
        (bp_attr_t[]){a_float("beta", 2.0), a_float("threshold", 3.0)});
  x = rnd_nz(2, s, 164);
  check("alpha 1", "elu", 1, &x, 0, NULL);
  x = rnd_nz(2, s, 165);
  check("alpha 0.5", "elu", 1, &x, 1, (bp_attr_t[]){a_float("alpha", 0.5)});
  x = rnd_nz(2, s, 166);
  check("default slope", "leaky_relu", 1, &x, 0, NULL);
  x = rnd_nz(2, s, 167);
  check("slope 0.3", "leaky_relu", 1, &x, 1, (bp_attr_t[]){a_float("negative_slope", 0.3)});
}

Test(gradcheck_nn, dropout) {
  const int64_t s[2] = {4, 5};
  bp_tensor_t *x = rnd(2, s, -2, 2, 170);
  check("train false", "dropout", 1, &x, 2, (bp_attr_t[]){a_float("p", 0.4), a_bool("train", false)});
  /* train with a fixed seed and offset: the mask is a function of them, the
   * same in every forward and in the backward (which redraws it) */
  x = rnd(2, s, -2, 2, 171);
  check("train, p 0.4, seed 7, offset 3", "dropout", 1, &x, 4,
        (bp_attr_t[]){a_float("p", 0.4), a_bool("train", true), a_int("seed", 7), a_int("offset", 3)});
  x = rnd(2, s, -2, 2, 172);
  check("train, p 0 (identity)", "dropout", 1, &x, 2, (bp_attr_t[]){a_float("p", 0.0), a_int("seed", 1)});
  /* the mask really drops something (or the check above proves little) */
  double ones[20];
  for (int i = 0; i < 20; ++i) ones[i] = 1.0;
  bp_tensor_t *o = f64(2, s, ones), *y[1] = {NULL};
  bp_attr_t a[4] = {a_float("p", 0.4), a_bool("train", true), a_int("seed", 7), a_int("offset", 3)};
  BP_CHECK(bp_op_run(op_id("dropout"), 1, &o, 4, a, 1, y));
  double v[20];
  BP_CHECK(bp_tensor_copy_to_host(y[0], v, sizeof v));
  int zeros = 0;
  for (int i = 0; i < 20; ++i) zeros += v[i] == 0.0;
  cr_expect(zeros > 0 && zeros < 20, "dropout p 0.4 zeroed %d of 20", zeros);
  bp_tensor_release(o);
  bp_tensor_release(y[0]);
}

/* ---- indexing ---- */

Test(gradcheck_nn, embedding_gather_scatter_index_select) {
  const int64_t sw[2] = {5, 3}, si[2] = {2, 3};
  const int64_t idx[6] = {4, 0, 2, 2, 4, 1}; /* repeats: gradients add up */
  bp_tensor_t *in[2] = {rnd(2, sw, -2, 2, 180), i64(2, si, idx)};
  check("weight, repeated indices", "embedding", 2, in, 0, NULL);
  /* padding_idx zeroes that row's gradient (torch's gradcheck of it would
   * fail by design): checked with the padding row not indexed */
  const int64_t idx2[6] = {4, 0, 2, 2, 4, 0};
  bp_tensor_t *in2[2] = {rnd(2, sw, -2, 2, 181), i64(2, si, idx2)};
  check("padding_idx not indexed", "embedding", 2, in2, 2,
        (bp_attr_t[]){a_int("padding_idx", -2), a_bool("has_padding_idx", true)});

  const int64_t sx[2] = {3, 4}, sg[2] = {2, 4}, sg1[2] = {3, 2};
  const int64_t g0[8] = {2, 0, 1, 2, 2, 2, 0, 1}, g1[6] = {3, 3, 0, 1, 2, 0};
  bp_tensor_t *ga[2] = {rnd(2, sx, -2, 2, 182), i64(2, sg, g0)};
  check("dim 0", "gather", 2, ga, 1, (bp_attr_t[]){a_int("dim", 0)});
  bp_tensor_t *gb[2] = {rnd(2, sx, -2, 2, 183), i64(2, sg1, g1)};
  check("dim -1", "gather", 2, gb, 1, (bp_attr_t[]){a_int("dim", -1)});

  /* scatter_add: self [3,4], index [2,3] (smaller than src [2,4] in dim 1:
   * src's last column is never read, its gradient 0) */
  const int64_t s23[2] = {2, 3}, s24[2] = {2, 4}, sc0[6] = {2, 0, 2, 1, 2, 0};
  bp_tensor_t *sa[3] = {rnd(2, sx, -2, 2, 184), i64(2, s23, sc0), rnd(2, s24, -2, 2, 185)};
  check("dim 0, index smaller than src", "scatter_add", 3, sa, 1, (bp_attr_t[]){a_int("dim", 0)});
  const int64_t sc1[6] = {3, 3, 0, 1, 1, 1};
  bp_tensor_t *sb[3] = {rnd(2, sx, -2, 2, 186), i64(2, s23, sc1), rnd(2, s23, -2, 2, 187)};
  check("dim 1, same shapes as index", "scatter_add", 3, sb, 1, (bp_attr_t[]){a_int("dim", 1)});

  const int64_t s3[1] = {3}, is0[3] = {2, 0, 2}, s43[2] = {4, 3};
  bp_tensor_t *ia[2] = {rnd(2, s43, -2, 2, 188), i64(1, s3, is0)};
  check("dim 0, repeated", "index_select", 2, ia, 1, (bp_attr_t[]){a_int("dim", 0)});
  const int32_t is1[3] = {1, 1, 0};
  bp_tensor_t *ib[2] = {rnd(2, s43, -2, 2, 189), tensor_of(ref_device(), BP_DTYPE_I32, 1, s3, is1)};
  check("dim -1, i32 index", "index_select", 2, ib, 1, (bp_attr_t[]){a_int("dim", -1)});
  const int64_t is2 = 3;
  bp_tensor_t *ic[2] = {rnd(2, s43, -2, 2, 190), i64(0, NULL, &is2)};
  check("0-d index", "index_select", 2, ic, 1, (bp_attr_t[]){a_int("dim", 0)});
}

/* ---- losses ---- */

Test(gradcheck_nn, nll_loss) {
  const int64_t sx[2] = {4, 3}, st[1] = {4}, sc[1] = {3};
  const int64_t t[4] = {2, 0, 1, 2}, tign[4] = {2, -100, 1, 0};
  for (int64_t r = 0; r <= 2; ++r) {
    bp_tensor_t *in[3] = {req(rnd(2, sx, -3, -0.1, 200)), i64(1, st, t), rnd(1, sc, 0.5, 2, 201)};
    check("weight", "nll_loss", 3, in, 2, (bp_attr_t[]){a_int("reduction", r), a_bool("has_weight", true)});
    bp_tensor_t *in2[3] = {req(rnd(2, sx, -3, -0.1, 202)), i64(1, st, tign), rnd(1, sc, 0.5, 2, 203)};
    check("no weight, ignore_index", "nll_loss", 3, in2, 1, (bp_attr_t[]){a_int("reduction", r)});
  }
  /* [N, C, d] with a class weight and an ignored target */
  const int64_t sx3[3] = {2, 3, 2}, st3[2] = {2, 2}, t3[4] = {1, 2, 0, 1};
  bp_tensor_t *in3[3] = {req(rnd(3, sx3, -3, -0.1, 204)), i64(2, st3, t3), rnd(1, sc, 0.5, 2, 205)};
  check("[N, C, d], weight, ignore_index 2", "nll_loss", 3, in3, 3,
        (bp_attr_t[]){a_bool("has_weight", true), a_int("ignore_index", 2), a_int("reduction", 1)});
  /* unbatched: input [C], 0-d target */
  const int64_t t0 = 1;
  bp_tensor_t *in4[3] = {req(rnd(1, sc, -3, -0.1, 206)), i64(0, NULL, &t0), rnd(1, sc, 0.5, 2, 207)};
  check("unbatched", "nll_loss", 3, in4, 0, NULL);
}

Test(gradcheck_nn, cross_entropy) {
  const int64_t sx[2] = {4, 3}, st[1] = {4}, sc[1] = {3};
  const int64_t t[4] = {2, 0, 1, 2}, tign[4] = {2, 1, -100, 0};
  for (int64_t r = 0; r <= 2; ++r) {
    bp_tensor_t *in[3] = {req(rnd(2, sx, -3, 3, 210)), i64(1, st, t), rnd(1, sc, 0.5, 2, 211)};
    check("class targets, weight", "cross_entropy", 3, in, 2,
          (bp_attr_t[]){a_int("reduction", r), a_bool("has_weight", true)});
    bp_tensor_t *in2[3] = {req(rnd(2, sx, -3, 3, 212)), i64(1, st, tign), rnd(1, sc, 0.5, 2, 213)};
    check("class targets, weight, ignore_index, label smoothing 0.2", "cross_entropy", 3, in2, 3,
          (bp_attr_t[]){a_int("reduction", r), a_bool("has_weight", true), a_float("label_smoothing", 0.2)});
    bp_tensor_t *in3[3] = {req(rnd(2, sx, -3, 3, 214)), i64(1, st, tign), rnd(1, sc, 0.5, 2, 215)};
    check("class targets, label smoothing 0.1, no weight", "cross_entropy", 3, in3, 2,
          (bp_attr_t[]){a_int("reduction", r), a_float("label_smoothing", 0.1)});
  }
  /* [N, C, d] */
  const int64_t sx3[3] = {2, 3, 2}, st3[2] = {2, 2}, t3[4] = {1, 2, 0, 1};
  bp_tensor_t *in4[3] = {req(rnd(3, sx3, -3, 3, 216)), i64(2, st3, t3), rnd(1, sc, 0.5, 2, 217)};
  check("[N, C, d], label smoothing", "cross_entropy", 3, in4, 1, (bp_attr_t[]){a_float("label_smoothing", 0.3)});
  /* probability targets (rows sum to 1), with and without smoothing and weight */
  double p[12] = {0.2, 0.5, 0.3, 0.1, 0.1, 0.8, 0.6, 0.3, 0.1, 0.25, 0.25, 0.5};
  for (int64_t r = 0; r <= 2; ++r) {
    bp_tensor_t *in5[3] = {req(rnd(2, sx, -3, 3, 218)), f64(2, sx, p), rnd(1, sc, 0.5, 2, 219)};
    check("probability targets", "cross_entropy", 3, in5, 1, (bp_attr_t[]){a_int("reduction", r)});
    bp_tensor_t *in6[3] = {req(rnd(2, sx, -3, 3, 220)), f64(2, sx, p), rnd(1, sc, 0.5, 2, 221)};
    check("probability targets, weight, label smoothing 0.15", "cross_entropy", 3, in6, 3,
          (bp_attr_t[]){a_int("reduction", r), a_bool("has_weight", true), a_float("label_smoothing", 0.15)});
    /* the target probabilities are differentiable too (as in torch) */
    bp_tensor_t *in7[3] = {req(rnd(2, sx, -3, 3, 222)), req(f64(2, sx, p)), rnd(1, sc, 0.5, 2, 223)};
    check("d/d probability targets, weight, label smoothing 0.15", "cross_entropy", 3, in7, 3,
          (bp_attr_t[]){a_int("reduction", r), a_bool("has_weight", true), a_float("label_smoothing", 0.15)});
  }
}

Test(gradcheck_nn, mse_and_bce_with_logits) {
  const int64_t s[2] = {3, 4}, s4[1] = {4};
  for (int64_t r = 0; r <= 2; ++r) {
    bp_tensor_t *in[2] = {rnd(2, s, -2, 2, 230), rnd(2, s, -2, 2, 231)};
    check("input and target", "mse_loss", 2, in, 1, (bp_attr_t[]){a_int("reduction", r)});
    bp_tensor_t *in2[2] = {rnd(2, s, -2, 2, 232), rnd(1, s4, -2, 2, 233)};
    check("target broadcast", "mse_loss", 2, in2, 1, (bp_attr_t[]){a_int("reduction", r)});

    /* every f64 input checked: input, target (in [0, 1]), weight, pos_weight */
    bp_tensor_t *b[4] = {rnd(2, s, -3, 3, 234), rnd(2, s, 0.05, 0.95, 235), rnd(2, s, 0.5, 2, 236),
                         rnd(1, s4, 0.5, 3, 237)};
    check("weight, pos_weight", "binary_cross_entropy_with_logits", 4, b, 3,
          (bp_attr_t[]){a_int("reduction", r), a_bool("has_weight", true), a_bool("has_pos_weight", true)});
    bp_tensor_t *b2[4] = {rnd(2, s, -3, 3, 238), rnd(2, s, 0.05, 0.95, 239), rnd(2, s, 0.5, 2, 240),
                          rnd(2, s, 0.5, 2, 241)};
    check("no weights", "binary_cross_entropy_with_logits", 4, b2, 1, (bp_attr_t[]){a_int("reduction", r)});
  }
  /* a weight that broadcasts ([4] over [3, 4]) */
  bp_tensor_t *b3[4] = {rnd(2, s, -3, 3, 242), rnd(2, s, 0.05, 0.95, 243), rnd(1, s4, 0.5, 2, 244),
                        rnd(1, s4, 0.5, 2, 245)};
  check("broadcast weight", "binary_cross_entropy_with_logits", 4, b3, 1, (bp_attr_t[]){a_bool("has_weight", true)});
}

/* ---- attention ---- */

Test(gradcheck_nn, scaled_dot_product_attention) {
  const int64_t sq[3] = {2, 3, 4}, sk[3] = {2, 4, 4}, sv[3] = {2, 4, 2}, sm[2] = {3, 4};
  /* plain (the mask slot a placeholder: its gradient is zero) */
  bp_tensor_t *in[4] = {req(rnd(3, sq, -1, 1, 250)), req(rnd(3, sk, -1, 1, 251)), req(rnd(3, sv, -1, 1, 252)),
                        rnd(2, sm, -1, 1, 253)};
  check("no mask", "scaled_dot_product_attention", 4, in, 0, NULL);
  /* an additive float mask, checked too, broadcast over the batch */
  bp_tensor_t *in2[4] = {rnd(3, sq, -1, 1, 254), rnd(3, sk, -1, 1, 255), rnd(3, sv, -1, 1, 256),
                         rnd(2, sm, -1, 1, 257)};
  check("float mask, scale 0.7", "scaled_dot_product_attention", 4, in2, 2,
        (bp_attr_t[]){a_bool("has_attn_mask", true), a_float("scale", 0.7)});
  /* causal (query i sees keys 0..i; a mask with it is an error, as torch) */
  bp_tensor_t *in3[4] = {req(rnd(3, sq, -1, 1, 258)), req(rnd(3, sk, -1, 1, 259)), req(rnd(3, sv, -1, 1, 260)),
                         rnd(2, sm, -1, 1, 261)};
  check("causal", "scaled_dot_product_attention", 4, in3, 1, (bp_attr_t[]){a_bool("is_causal", true)});
  /* a bool mask (every row keeps a key) */
  const bool bm[12] = {true, false, true, false, false, true, true, true, true, false, false, false};
  bp_tensor_t *in5[4] = {req(rnd(3, sq, -1, 1, 266)), req(rnd(3, sk, -1, 1, 267)), req(rnd(3, sv, -1, 1, 268)),
                         tensor_of(ref_device(), BP_DTYPE_BOOL, 2, sm, bm)};
  check("bool mask", "scaled_dot_product_attention", 4, in5, 1, (bp_attr_t[]){a_bool("has_attn_mask", true)});
}

/* ---- views the other file does not cover ---- */

static bp_status_t transpose_contiguous(void *user, uint32_t ni, bp_tensor_t *const *in, uint32_t no,
                                        bp_tensor_t **out) {
  (void)user; (void)ni; (void)no;
  bp_tensor_t *t = NULL;
  bp_status_t s = bp_tensor_transpose(in[0], 0, 1, &t);
  if (!s) s = bp_op_run(op_id("contiguous"), 1, &t, 0, NULL, 1, out);
  bp_tensor_release(t);
  return s;
}

Test(gradcheck_nn, view_and_contiguous) {
  const int64_t s[2] = {3, 4}, sz[3] = {2, -1, 3};
  bp_tensor_t *x = rnd(2, s, -2, 2, 270);
  check("[3,4] -> [2,2,3]", "view", 1, &x, 1, (bp_attr_t[]){a_ints("size", 3, sz)});
  x = rnd(2, s, -2, 2, 271);
  check("already contiguous", "contiguous", 1, &x, 0, NULL);
  x = rnd(2, s, -2, 2, 272);
  bp_status_t st = bp_gradcheck_fn("contiguous of a transpose", transpose_contiguous, NULL, 1, &x, 1, NULL);
  cr_expect_eq(st, BP_STATUS_OK, "%s", bp_last_error());
  bp_tensor_release(x);
}

/* contiguous of a contiguous tensor is the tensor itself (torch: x.contiguous()
 * is x): nothing is recorded, a leaf stays a leaf (no node making the tensor
 * its own grad_fn, which LSan reported as a leak) and its gradient is g. */
Test(gradcheck_nn, contiguous_of_a_contiguous_leaf_is_the_leaf) {
  const int64_t s[2] = {2, 3};
  bp_tensor_t *x = req(rnd(2, s, -2, 2, 273)), *y[1] = {NULL}, *l = NULL;
  BP_CHECK(bp_op_run(op_id("contiguous"), 1, &x, 0, NULL, 1, y));
  cr_assert_eq(y[0], x);
  cr_expect(bp_tensor_is_leaf(x), "contiguous made its input a non-leaf (%s)", bp_tensor_grad_fn_name(x));
  BP_CHECK(bp_sum(y[0], 0, NULL, 0, &l));
  BP_CHECK(bp_backward(l, NULL, NULL));
  double g[6];
  cr_assert_not_null(bp_tensor_grad(x));
  BP_CHECK(bp_tensor_copy_to_host(bp_tensor_grad(x), g, sizeof g));
  for (int i = 0; i < 6; ++i) cr_expect_eq(g[i], 1.0);
  bp_tensor_release(y[0]);
  bp_tensor_release(l);
  bp_tensor_release(x);
}

/* ---- the guard: every differentiable catalog op is gradchecked ---- */

/* Each differentiable op and the test that gradchecks it. Adding a
 * differentiable op to the catalog: add its gradcheck, then its row. */
static const struct {
  const char *op, *test;
} covered[] = {
    /* test_autograd_gradcheck.c */
    {"copy", "gradcheck.copy_into_a_strided_output"},
    {"reshape", "gradcheck.views"},
    {"permute", "gradcheck.views"},
    {"transpose", "gradcheck.views"},
    {"slice", "gradcheck.views"},
    {"select", "gradcheck.views"},
    {"narrow", "gradcheck.views"},
    {"expand", "gradcheck.views"},
    {"squeeze", "gradcheck.views"},
    {"unsqueeze", "gradcheck.views"},
    {"flatten", "gradcheck.views"},
    {"where", "gradcheck.where_tril_triu_pad"},
    {"tril", "gradcheck.where_tril_triu_pad"},
    {"triu", "gradcheck.where_tril_triu_pad"},
    {"pad", "gradcheck.where_tril_triu_pad"},
    {"cat", "gradcheck.cat_and_stack"},
    {"stack", "gradcheck.cat_and_stack"},
    {"neg", "gradcheck.unary_smooth"},
    {"exp", "gradcheck.unary_smooth"},
    {"expm1", "gradcheck.unary_smooth"},
    {"sin", "gradcheck.unary_smooth"},
    {"cos", "gradcheck.unary_smooth"},
    {"tanh", "gradcheck.unary_smooth"},
    {"sigmoid", "gradcheck.unary_smooth"},
    {"erf", "gradcheck.unary_smooth"},
    {"reciprocal", "gradcheck.unary_smooth"},
    {"log", "gradcheck.unary_smooth"},
    {"sqrt", "gradcheck.unary_smooth"},
    {"rsqrt", "gradcheck.unary_smooth"},
    {"log1p", "gradcheck.unary_smooth"},
    {"abs", "gradcheck.unary_kinks_and_attrs"},
    {"relu", "gradcheck.unary_kinks_and_attrs"},
    {"clamp", "gradcheck.unary_kinks_and_attrs"},
    {"sign", "gradcheck.piecewise_constant_ops_have_zero_gradients"},
    {"floor", "gradcheck.piecewise_constant_ops_have_zero_gradients"},
    {"ceil", "gradcheck.piecewise_constant_ops_have_zero_gradients"},
    {"round", "gradcheck.piecewise_constant_ops_have_zero_gradients"},
    {"trunc", "gradcheck.piecewise_constant_ops_have_zero_gradients"},
    {"add", "gradcheck.binary"},
    {"sub", "gradcheck.binary"},
    {"mul", "gradcheck.binary"},
    {"div", "gradcheck.binary"},
    {"atan2", "gradcheck.binary"},
    {"pow", "gradcheck.binary"},
    {"maximum", "gradcheck.binary"},
    {"minimum", "gradcheck.binary"},
    {"remainder", "gradcheck.remainder_and_pow_with_scalars"},
    {"sum", "gradcheck.reductions"},
    {"mean", "gradcheck.reductions"},
    {"prod", "gradcheck.reductions"},
    {"amax", "gradcheck.reductions"},
    {"amin", "gradcheck.reductions"},
    {"max", "gradcheck.reductions"},
    {"min", "gradcheck.reductions"},
    {"var", "gradcheck.reductions"},
    {"std", "gradcheck.reductions"},
    {"norm", "gradcheck.reductions"},
    {"logsumexp", "gradcheck.reductions"},
    {"cumsum", "gradcheck.reductions"},
    {"cumprod", "gradcheck.reductions"},
    {"matmul", "gradcheck.matmul_ranks"},
    /* this file */
    {"view", "gradcheck_nn.view_and_contiguous"},
    {"contiguous", "gradcheck_nn.view_and_contiguous"},
    {"linear", "gradcheck_nn.linear_and_bmm"},
    {"bmm", "gradcheck_nn.linear_and_bmm"},
    {"conv1d", "gradcheck_nn.conv1d"},
    {"conv2d", "gradcheck_nn.conv2d"},
    {"conv_transpose2d", "gradcheck_nn.conv_transpose2d"},
    {"max_pool2d", "gradcheck_nn.max_pool2d"},
    {"avg_pool2d", "gradcheck_nn.avg_pool2d"},
    {"adaptive_avg_pool2d", "gradcheck_nn.adaptive_avg_pool2d"},
    {"batch_norm", "gradcheck_nn.batch_norm"},
    {"layer_norm", "gradcheck_nn.layer_group_rms_norm"},
    {"group_norm", "gradcheck_nn.layer_group_rms_norm"},
    {"rms_norm", "gradcheck_nn.layer_group_rms_norm"},
    {"softmax", "gradcheck_nn.softmax_and_log_softmax"},
    {"log_softmax", "gradcheck_nn.softmax_and_log_softmax"},
    {"gelu", "gradcheck_nn.activations"},
    {"silu", "gradcheck_nn.activations"},
    {"softplus", "gradcheck_nn.activations"},
    {"elu", "gradcheck_nn.activations"},
    {"leaky_relu", "gradcheck_nn.activations"},
    {"dropout", "gradcheck_nn.dropout"},
    {"embedding", "gradcheck_nn.embedding_gather_scatter_index_select"},
    {"gather", "gradcheck_nn.embedding_gather_scatter_index_select"},
    {"scatter_add", "gradcheck_nn.embedding_gather_scatter_index_select"},
    {"index_select", "gradcheck_nn.embedding_gather_scatter_index_select"},
    {"nll_loss", "gradcheck_nn.nll_loss"},
    {"cross_entropy", "gradcheck_nn.cross_entropy"},
    {"mse_loss", "gradcheck_nn.mse_and_bce_with_logits"},
    {"binary_cross_entropy_with_logits", "gradcheck_nn.mse_and_bce_with_logits"},
    {"scaled_dot_product_attention", "gradcheck_nn.scaled_dot_product_attention"},
};

Test(gradcheck_nn, every_differentiable_op_is_gradchecked) {
  char missing[4096] = "", stale[1024] = "";
  int n_missing = 0, n_stale = 0, n_diff = 0;
  uint32_t n = bp_op_count();
  for (uint32_t id = 0; id < n; ++id) {
    bp_op_info_t info = {.struct_size = sizeof(info)};
    BP_CHECK(bp_op_query_info(id, &info));
    if (!info.differentiable) continue;
    ++n_diff;
    bool found = false;
    for (size_t i = 0; i < N_(covered) && !found; ++i) found = !strcmp(covered[i].op, info.name);
    if (!found) {
      ++n_missing;
      size_t used = strlen(missing);
      snprintf(missing + used, sizeof(missing) - used, "%s%s", used ? ", " : "", info.name);
    }
  }
  /* rows naming an op that is gone or no longer differentiable */
  for (size_t i = 0; i < N_(covered); ++i) {
    uint32_t id = 0;
    bp_op_info_t info = {.struct_size = sizeof(info)};
    bool ok = bp_op_find(covered[i].op, &id) == BP_STATUS_OK && bp_op_query_info(id, &info) == BP_STATUS_OK &&
              info.differentiable;
    if (!ok) {
      ++n_stale;
      size_t used = strlen(stale);
      snprintf(stale + used, sizeof(stale) - used, "%s%s", used ? ", " : "", covered[i].op);
    }
  }
  cr_expect_eq(n_missing, 0,
               "%d differentiable op(s) with no gradcheck test: %s (add a gradcheck to "
               "dispatcher/tests/test_autograd_gradcheck*.c and a row to `covered`)",
               n_missing, missing);
  cr_expect_eq(n_stale, 0, "%d row(s) of `covered` name no differentiable op: %s", n_stale, stale);
  cr_expect_eq((size_t)n_diff, N_(covered) - (size_t)n_stale, "duplicate rows in `covered`");
}
