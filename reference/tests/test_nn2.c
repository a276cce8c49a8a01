/* test_nn2.c - nn2 reference kernels through the ABI on non-contiguous
 * descriptors; expected values from plain loops here. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "test_host.h"

TestSuite(nn2, .init = th_setup, .fini = th_teardown);

Test(nn2, softmax_over_a_transposed_dim) {
  /* x logical [3][2] stored as buf[j][i] (transposed); softmax over dim 0 */
  static double buf[6] = {0.0, 1.0, 2.0, -1.0, 0.5, 3.0}; /* x[i][j] = buf[j * 3 + i] */
  static const int64_t shape[2] = {3, 2}, xs[2] = {1, 3}, os[2] = {2, 1};
  double out[6];
  bp_tensor_desc_t x = th_desc(BP_DTYPE_F64, buf, 2, shape, xs);
  bp_tensor_desc_t o = th_desc(BP_DTYPE_F64, out, 2, shape, os);
  bp_attr_t attrs[2] = {th_attr_int("dim", 0), th_attr_int("dtype", 0)};
  attrs[1].type = BP_ATTR_DTYPE;
  const bp_tensor_desc_t *ins[1] = {&x}, *outs[1] = {&o};
  cr_assert_eq(th_call("softmax", ins, 1, outs, 1, attrs, 2), BP_STATUS_OK);
  for (int j = 0; j < 2; ++j) {
    double sum = 0;
    for (int i = 0; i < 3; ++i) sum += exp(buf[j * 3 + i]);
    for (int i = 0; i < 3; ++i)
      cr_assert_float_eq(out[i * 2 + j], exp(buf[j * 3 + i]) / sum, 1e-12, "[%d][%d]", i, j);
  }
}

Test(nn2, gather_checks_every_index) {
  static float x[4] = {1, 2, 3, 4};
  static int64_t idx[2] = {3, 4};
  static const int64_t s4[1] = {4}, s2[1] = {2}, st[1] = {1};
  float out[2] = {0, 0};
  bp_tensor_desc_t dx = th_desc(BP_DTYPE_F32, x, 1, s4, st);
  bp_tensor_desc_t di = th_desc(BP_DTYPE_I64, idx, 1, s2, st);
  bp_tensor_desc_t dout = th_desc(BP_DTYPE_F32, out, 1, s2, st);
  bp_attr_t dim = th_attr_int("dim", 0);
  const bp_tensor_desc_t *ins[2] = {&dx, &di}, *outs[1] = {&dout};
  cr_assert_eq(th_call("gather", ins, 2, outs, 1, &dim, 1), BP_STATUS_INVALID_ARGUMENT);
  cr_assert(strstr(th_last_error, "index 4 is out of range (expected 0..3, size 4)"), "%s", th_last_error);
  idx[1] = 0;
  cr_assert_eq(th_call("gather", ins, 2, outs, 1, &dim, 1), BP_STATUS_OK);
  cr_assert(out[0] == 4 && out[1] == 1);
}

Test(nn2, layer_norm_strided_rows_in_double) {
  /* x [2, 3] with row pitch 4; normalize over the last dim, no affine */
  static double buf[8] = {1, 2, 6, -9, 0, 0, 3, -9};
  static const int64_t shape[2] = {2, 3}, xs[2] = {4, 1}, cs[2] = {3, 1};
  static const int64_t sshape[2] = {2, 1}, sst[2] = {1, 1}, ph[1] = {0}, pst[1] = {1};
  double y[6], mean[2], rstd[2];
  bp_tensor_desc_t dx = th_desc(BP_DTYPE_F64, buf, 2, shape, xs);
  bp_tensor_desc_t dw = th_desc(BP_DTYPE_F64, NULL, 1, ph, pst);
  bp_tensor_desc_t dy = th_desc(BP_DTYPE_F64, y, 2, shape, cs);
  bp_tensor_desc_t dm = th_desc(BP_DTYPE_F64, mean, 2, sshape, sst);
  bp_tensor_desc_t dr = th_desc(BP_DTYPE_F64, rstd, 2, sshape, sst);
  static const int64_t ns[1] = {3};
  bp_attr_t attrs[4] = {th_attr_int("normalized_shape", 0), th_attr_float("eps", 0.0),
                        th_attr_int("has_weight", 0), th_attr_int("has_bias", 0)};
  attrs[0].type = BP_ATTR_INTS;
  attrs[0].count = 1;
  attrs[0].value.ints = ns;
  attrs[2].type = attrs[3].type = BP_ATTR_BOOL;
  attrs[2].value.b = attrs[3].value.b = false;
  const bp_tensor_desc_t *ins[3] = {&dx, &dw, &dw}, *outs[3] = {&dy, &dm, &dr};
  cr_assert_eq(th_call("layer_norm", ins, 3, outs, 3, attrs, 4), BP_STATUS_OK);
  for (int r = 0; r < 2; ++r) {
    double m = 0, v = 0;
    for (int c = 0; c < 3; ++c) m += buf[r * 4 + c] / 3;
    for (int c = 0; c < 3; ++c) v += (buf[r * 4 + c] - m) * (buf[r * 4 + c] - m) / 3;
    cr_assert_float_eq(mean[r], m, 1e-12);
    cr_assert_float_eq(rstd[r], 1 / sqrt(v), 1e-12);
    for (int c = 0; c < 3; ++c) cr_assert_float_eq(y[r * 3 + c], (buf[r * 4 + c] - m) / sqrt(v), 1e-12);
  }
}
