/* test_nn_backward.c - the backward kernels of the nn ops through the ABI,
 * on non-contiguous descriptors; expected values from plain loops here. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "test_host.h"

TestSuite(nn_backward, .init = th_setup, .fini = th_teardown);

static bp_attr_t attr_bool(const char *name, bool v) {
  bp_attr_t a = th_attr_int(name, 0);
  a.type = BP_ATTR_BOOL;
  a.value.b = v;
  return a;
}

static bp_attr_t attr_ints(const char *name, const int64_t *v, uint32_t n) {
  bp_attr_t a = th_attr_int(name, 0);
  a.type = BP_ATTR_INTS;
  a.count = n;
  a.value.ints = v;
  return a;
}

Test(nn_backward, softmax_backward_over_a_transposed_dim) {
  /* g and y logical [3][2] stored transposed; dim 0 */
  static double g[6] = {0.5, -1.0, 2.0, 1.0, 0.0, -0.5}, y[6] = {0.2, 0.3, 0.5, 0.1, 0.6, 0.3};
  static const int64_t shape[2] = {3, 2}, ts[2] = {1, 3}, cs[2] = {2, 1};
  double out[6];
  bp_tensor_desc_t dg = th_desc(BP_DTYPE_F64, g, 2, shape, ts), dy = th_desc(BP_DTYPE_F64, y, 2, shape, ts);
  bp_tensor_desc_t dout = th_desc(BP_DTYPE_F64, out, 2, shape, cs);
  bp_attr_t dim = th_attr_int("dim", 0);
  const bp_tensor_desc_t *ins[2] = {&dg, &dy}, *outs[1] = {&dout};
  cr_assert_eq(th_call("softmax_backward", ins, 2, outs, 1, &dim, 1), BP_STATUS_OK);
  for (int j = 0; j < 2; ++j) {
    double dot = 0;
    for (int i = 0; i < 3; ++i) dot += g[j * 3 + i] * y[j * 3 + i];
    for (int i = 0; i < 3; ++i)
      cr_assert_float_eq(out[i * 2 + j], y[j * 3 + i] * (g[j * 3 + i] - dot), 1e-12, "[%d][%d]", i, j);
  }
  cr_assert_eq(th_call("log_softmax_backward", ins, 2, outs, 1, &dim, 1), BP_STATUS_OK);
  for (int j = 0; j < 2; ++j) {
    double sum = 0;
    for (int i = 0; i < 3; ++i) sum += g[j * 3 + i];
    for (int i = 0; i < 3; ++i)
      cr_assert_float_eq(out[i * 2 + j], g[j * 3 + i] - exp(y[j * 3 + i]) * sum, 1e-12);
  }
}

Test(nn_backward, max_pool2d_backward_adds_repeated_indices_and_checks_them) {
  /* x [1, 1, 2, 3]; grad_output [1, 1, 1, 2] with both indices at 4 */
  static float g[2] = {1.5f, 2.0f}, x[6];
  static int64_t idx[2] = {4, 4};
  static const int64_t xs[4] = {1, 1, 2, 3}, xst[4] = {6, 6, 3, 1}, gs[4] = {1, 1, 1, 2}, gst[4] = {2, 2, 2, 1};
  float out[6];
  bp_tensor_desc_t dg = th_desc(BP_DTYPE_F32, g, 4, gs, gst), dx = th_desc(BP_DTYPE_F32, x, 4, xs, xst);
  bp_tensor_desc_t di = th_desc(BP_DTYPE_I64, idx, 4, gs, gst), dout = th_desc(BP_DTYPE_F32, out, 4, xs, xst);
  static const int64_t k[1] = {2};
  bp_attr_t attrs[5] = {attr_ints("kernel_size", k, 1), attr_ints("stride", NULL, 0), attr_ints("padding", NULL, 0),
                        attr_ints("dilation", NULL, 0), attr_bool("ceil_mode", true)};
  const bp_tensor_desc_t *ins[3] = {&dg, &dx, &di}, *outs[1] = {&dout};
  cr_assert_eq(th_call("max_pool2d_backward", ins, 3, outs, 1, attrs, 5), BP_STATUS_OK);
  for (int i = 0; i < 6; ++i) cr_assert_eq(out[i], i == 4 ? 3.5f : 0.0f, "[%d] %g", i, out[i]);
  idx[1] = 6;
  cr_assert_eq(th_call("max_pool2d_backward", ins, 3, outs, 1, attrs, 5), BP_STATUS_INVALID_ARGUMENT);
  cr_assert(strstr(th_last_error, "index 6 out of range"), "%s", th_last_error);
}

Test(nn_backward, conv2d_backward_matches_plain_loops) {
  /* x [1, 2, 3, 3], weight [2, 1, 2, 2] (groups 2), stride 1, padding 1 -> g [1, 2, 4, 4] */
  double x[18], w[8], g[32], gx[18], gw[8], gb[2];
  for (int i = 0; i < 18; ++i) x[i] = sin(i + 1.0);
  for (int i = 0; i < 8; ++i) w[i] = cos(i * 0.7);
  for (int i = 0; i < 32; ++i) g[i] = 0.1 * i - 1.0;
  static const int64_t xs[4] = {1, 2, 3, 3}, ws[4] = {2, 1, 2, 2}, gs[4] = {1, 2, 4, 4}, bs[1] = {2};
  int64_t xst[4], wst[4], gst[4], bst[1] = {1};
  th_contiguous(4, xs, xst);
  th_contiguous(4, ws, wst);
  th_contiguous(4, gs, gst);
  bp_tensor_desc_t dg = th_desc(BP_DTYPE_F64, g, 4, gs, gst), dx = th_desc(BP_DTYPE_F64, x, 4, xs, xst);
  bp_tensor_desc_t dw = th_desc(BP_DTYPE_F64, w, 4, ws, wst);
  bp_tensor_desc_t dgx = th_desc(BP_DTYPE_F64, gx, 4, xs, xst), dgw = th_desc(BP_DTYPE_F64, gw, 4, ws, wst);
  bp_tensor_desc_t dgb = th_desc(BP_DTYPE_F64, gb, 1, bs, bst);
  static const int64_t one[1] = {1};
  bp_attr_t attrs[5] = {attr_ints("stride", NULL, 0), attr_ints("padding", one, 1), attr_ints("dilation", NULL, 0),
                        th_attr_int("groups", 2), attr_bool("padding_same", false)};
  const bp_tensor_desc_t *ins[3] = {&dg, &dx, &dw}, *outs[3] = {&dgx, &dgw, &dgb};
  cr_assert_eq(th_call("conv2d_backward", ins, 3, outs, 3, attrs, 5), BP_STATUS_OK, "%s", th_last_error);
  double ex[18] = {0}, ew[8] = {0}, eb[2] = {0};
  for (int c = 0; c < 2; ++c)
    for (int oh = 0; oh < 4; ++oh)
      for (int ow = 0; ow < 4; ++ow) {
        double gv = g[(c * 4 + oh) * 4 + ow];
        eb[c] += gv;
        for (int a = 0; a < 2; ++a)
          for (int b = 0; b < 2; ++b) {
            int ih = oh - 1 + a, iw = ow - 1 + b;
            if (ih < 0 || ih > 2 || iw < 0 || iw > 2) continue;
            ex[(c * 3 + ih) * 3 + iw] += gv * w[(c * 2 + a) * 2 + b];
            ew[(c * 2 + a) * 2 + b] += gv * x[(c * 3 + ih) * 3 + iw];
          }
      }
  for (int i = 0; i < 18; ++i) cr_assert_float_eq(gx[i], ex[i], 1e-12, "gx[%d]", i);
  for (int i = 0; i < 8; ++i) cr_assert_float_eq(gw[i], ew[i], 1e-12, "gw[%d]", i);
  for (int i = 0; i < 2; ++i) cr_assert_float_eq(gb[i], eb[i], 1e-12, "gb[%d]", i);
}

Test(nn_backward, embedding_backward_skips_padding_idx) {
  static float g[6] = {1, 2, 3, 4, 5, 6}; /* [3 indices][2] */
  static int32_t idx[3] = {1, 0, 1};
  static const int64_t gs[2] = {3, 2}, gst[2] = {2, 1}, is[1] = {3}, ist[1] = {1}, os[2] = {3, 2}, ost[2] = {2, 1};
  float out[6];
  bp_tensor_desc_t dg = th_desc(BP_DTYPE_F32, g, 2, gs, gst), di = th_desc(BP_DTYPE_I32, idx, 1, is, ist);
  bp_tensor_desc_t dout = th_desc(BP_DTYPE_F32, out, 2, os, ost);
  bp_attr_t attrs[3] = {th_attr_int("num_weights", 3), th_attr_int("padding_idx", 0), attr_bool("has_padding_idx", true)};
  const bp_tensor_desc_t *ins[2] = {&dg, &di}, *outs[1] = {&dout};
  cr_assert_eq(th_call("embedding_backward", ins, 2, outs, 1, attrs, 3), BP_STATUS_OK);
  const float want[6] = {0, 0, 1 + 5, 2 + 6, 0, 0};
  for (int i = 0; i < 6; ++i) cr_assert_eq(out[i], want[i], "[%d] %g", i, out[i]);
}

Test(nn_backward, batch_norm_backward_eval_is_a_scale) {
  /* x [2, 2]; eval: gx = g * w * invstd, gw = sum g * (x - mean) * invstd, gb = sum g */
  static double g[4] = {1, 2, 3, 4}, x[4] = {0.5, -1, 2, 3}, w[2] = {2, -1}, m[2] = {0.5, 1}, inv[2] = {0.5, 2};
  static const int64_t s2[2] = {2, 2}, st2[2] = {2, 1}, s1[1] = {2}, st1[1] = {1};
  double gx[4], gw[2], gb[2];
  bp_tensor_desc_t d[8] = {th_desc(BP_DTYPE_F64, g, 2, s2, st2), th_desc(BP_DTYPE_F64, x, 2, s2, st2),
                           th_desc(BP_DTYPE_F64, w, 1, s1, st1), th_desc(BP_DTYPE_F64, m, 1, s1, st1),
                           th_desc(BP_DTYPE_F64, inv, 1, s1, st1), th_desc(BP_DTYPE_F64, gx, 2, s2, st2),
                           th_desc(BP_DTYPE_F64, gw, 1, s1, st1), th_desc(BP_DTYPE_F64, gb, 1, s1, st1)};
  bp_attr_t attrs[2] = {attr_bool("training", false), attr_bool("has_weight", true)};
  const bp_tensor_desc_t *ins[5] = {&d[0], &d[1], &d[2], &d[3], &d[4]}, *outs[3] = {&d[5], &d[6], &d[7]};
  cr_assert_eq(th_call("batch_norm_backward", ins, 5, outs, 3, attrs, 2), BP_STATUS_OK);
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 2; ++c) cr_assert_float_eq(gx[n * 2 + c], g[n * 2 + c] * w[c] * inv[c], 1e-12);
  for (int c = 0; c < 2; ++c) {
    double ew = 0, eb = 0;
    for (int n = 0; n < 2; ++n) {
      ew += g[n * 2 + c] * (x[n * 2 + c] - m[c]) * inv[c];
      eb += g[n * 2 + c];
    }
    cr_assert_float_eq(gw[c], ew, 1e-12);
    cr_assert_float_eq(gb[c], eb, 1e-12);
  }
}
