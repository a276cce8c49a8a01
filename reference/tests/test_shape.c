/* test_shape.c - the reference kernels of the shape family: registered
 * signatures, where with stride-0 operands, triu on a transposed input,
 * arange wrapping for integers. */
#include <criterion/criterion.h>
#include <string.h>

#include "test_host.h"

TestSuite(shape, .init = th_setup, .fini = th_teardown);

Test(shape, signatures) {
  for (bp_dtype_t t = BP_DTYPE_BOOL; t <= BP_DTYPE_F64; ++t) {
    bp_dtype_t w[4] = {BP_DTYPE_BOOL, t, t, t}, two[2] = {t, t};
    cr_assert_not_null(th_find("where", 4, w), "where %u", t);
    w[0] = BP_DTYPE_U8;
    cr_assert_not_null(th_find("where", 4, w), "where u8 cond %u", t);
    cr_assert_not_null(th_find("tril", 2, two));
    cr_assert_not_null(th_find("triu", 2, two));
    cr_assert(t == BP_DTYPE_BOOL ? th_find("arange", 1, &t) == NULL
                                 : th_find("arange", 1, &t) != NULL);
  }
}

Test(shape, where_broadcast_operand) {
  uint8_t cond[4] = {1, 0, 0, 1};
  int32_t a[2] = {10, 20}, b = -1, out[4];
  const int64_t shape[2] = {2, 2}, cs[2] = {2, 1}, as[2] = {0, 1}, bs[2] = {0, 0};
  bp_tensor_desc_t dc = th_desc(BP_DTYPE_BOOL, cond, 2, shape, cs);
  bp_tensor_desc_t da = th_desc(BP_DTYPE_I32, a, 2, shape, as);
  bp_tensor_desc_t db = th_desc(BP_DTYPE_I32, &b, 2, shape, bs);
  bp_tensor_desc_t dout = th_desc(BP_DTYPE_I32, out, 2, shape, cs);
  const bp_tensor_desc_t *ins[3] = {&dc, &da, &db}, *outs[1] = {&dout};
  cr_assert_eq(th_call("where", ins, 3, outs, 1, NULL, 0), BP_STATUS_OK);
  const int32_t want[4] = {10, -1, -1, 20};
  for (int i = 0; i < 4; ++i) cr_assert_eq(out[i], want[i], "out[%d] = %d", i, out[i]);
}

Test(shape, triu_transposed_input) {
  /* x = [[1,2,3],[4,5,6],[7,8,9]] stored column-major. */
  double x[9] = {1, 4, 7, 2, 5, 8, 3, 6, 9}, out[9];
  const int64_t shape[2] = {3, 3}, xs[2] = {1, 3}, os[2] = {3, 1};
  bp_tensor_desc_t dx = th_desc(BP_DTYPE_F64, x, 2, shape, xs);
  bp_tensor_desc_t dout = th_desc(BP_DTYPE_F64, out, 2, shape, os);
  const bp_tensor_desc_t *ins[1] = {&dx}, *outs[1] = {&dout};
  bp_attr_t diag = th_attr_int("diagonal", 1);
  cr_assert_eq(th_call("triu", ins, 1, outs, 1, &diag, 1), BP_STATUS_OK);
  const double want[9] = {0, 2, 3, 0, 0, 6, 0, 0, 0};
  for (int i = 0; i < 9; ++i) cr_assert_eq(out[i], want[i], "out[%d] = %g", i, out[i]);
}

Test(shape, arange_integers_wrap) {
  int8_t out[4];
  const int64_t shape[1] = {4}, strides[1] = {1};
  bp_tensor_desc_t dout = th_desc(BP_DTYPE_I8, out, 1, shape, strides);
  const bp_tensor_desc_t *outs[1] = {&dout};
  bp_attr_t attrs[3] = {th_attr_float("start", 126), th_attr_float("end", 130),
                        th_attr_float("step", 1)};
  cr_assert_eq(th_call("arange", NULL, 0, outs, 1, attrs, 3), BP_STATUS_OK);
  const int8_t want[4] = {126, 127, -128, -127};
  for (int i = 0; i < 4; ++i) cr_assert_eq(out[i], want[i], "out[%d] = %d", i, out[i]);
}
