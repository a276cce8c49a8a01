/* Optimizer ops through the public API: bp_sgd_step / bp_adamw_step update
 * in place a leaf that requires grad (grad mode off inside), with values
 * from a plain loop here; the raw op refuses to write into such a leaf with
 * grad mode on; argument errors name the op and the argument. */
#include <math.h>

#include "test_helpers.h"

Test(ops_train, sgd_momentum_in_place_on_a_leaf_that_requires_grad) {
  int64_t shape[1] = {3};
  float p0[3] = {1.0f, -2.0f, 0.5f}, g[3] = {0.1f, 0.2f, -0.3f}, zero[3] = {0};
  bp_tensor_t *p = tensor_f32(ref_device(), 1, shape, p0);
  bp_tensor_t *gt = tensor_f32(ref_device(), 1, shape, g);
  bp_tensor_t *buf = tensor_f32(ref_device(), 1, shape, zero);
  BP_CHECK(bp_tensor_set_requires_grad(p, true));
  bp_sgd_options_t o;
  bp_sgd_options_initialize(&o);
  o.lr = 0.1;
  o.momentum = 0.9;
  o.dampening = 0.5;
  o.weight_decay = 0.01;
  double want_p[3], want_b[3];
  for (int i = 0; i < 3; ++i) {
    want_p[i] = p0[i];
    want_b[i] = 0.0;
  }
  for (int step = 1; step <= 3; ++step) {
    BP_CHECK(bp_sgd_step(p, gt, buf, &o, step));
    for (int i = 0; i < 3; ++i) {
      double d = g[i] + 0.01 * (float)want_p[i];
      want_b[i] = step == 1 ? d : 0.9 * (float)want_b[i] + 0.5 * d;
      want_p[i] = (float)want_p[i] - 0.1 * (float)want_b[i];
    }
  }
  float got_p[3], got_b[3];
  read_f32(p, got_p, 3);
  read_f32(buf, got_b, 3);
  for (int i = 0; i < 3; ++i) {
    cr_assert_float_eq(got_p[i], want_p[i], 1e-6);
    cr_assert_float_eq(got_b[i], want_b[i], 1e-6);
  }
  cr_assert(bp_tensor_requires_grad(p));
  bp_tensor_release(p);
  bp_tensor_release(gt);
  bp_tensor_release(buf);
}

Test(ops_train, adamw_first_step_moves_each_element_by_about_lr) {
  int64_t shape[1] = {4};
  float p0[4] = {1.0f, -1.0f, 0.0f, 2.0f}, g[4] = {0.5f, -0.25f, 3.0f, -4.0f}, zero[4] = {0};
  bp_tensor_t *p = tensor_f32(ref_device(), 1, shape, p0);
  bp_tensor_t *gt = tensor_f32(ref_device(), 1, shape, g);
  bp_tensor_t *m = tensor_f32(ref_device(), 1, shape, zero);
  bp_tensor_t *v = tensor_f32(ref_device(), 1, shape, zero);
  bp_adamw_options_t o;
  bp_adamw_options_initialize(&o);
  o.lr = 0.01;
  BP_CHECK(bp_adamw_step(p, gt, m, v, &o, 1));
  float got[4], gm[4], gv[4];
  read_f32(p, got, 4);
  read_f32(m, gm, 4);
  read_f32(v, gv, 4);
  for (int i = 0; i < 4; ++i) {
    /* Step 1: m_hat = g, v_hat = g^2, so the update is lr * sign(g). */
    double want = p0[i] * (1.0 - 0.01 * 0.01) - 0.01 * g[i] / (fabs(g[i]) + 1e-8);
    cr_assert_float_eq(got[i], want, 1e-6, "element %d: %g vs %g", i, got[i], want);
    cr_assert_float_eq(gm[i], 0.1 * g[i], 1e-7);
    cr_assert_float_eq(gv[i], 0.001 * g[i] * g[i], 1e-7);
  }
  bp_tensor_release(p);
  bp_tensor_release(gt);
  bp_tensor_release(m);
  bp_tensor_release(v);
}

Test(ops_train, errors_name_the_op_and_argument) {
  int64_t shape[1] = {3}, other[1] = {4};
  float z[4] = {0};
  bp_tensor_t *p = tensor_f32(ref_device(), 1, shape, z);
  bp_tensor_t *g4 = tensor_f32(ref_device(), 1, other, z);
  bp_tensor_t *b = tensor_f32(ref_device(), 1, shape, z);
  bp_sgd_options_t o;
  bp_sgd_options_initialize(&o);
  BP_CHECK_FAILS(bp_sgd_step(p, g4, b, &o, 1), BP_STATUS_INVALID_ARGUMENT, "bp_sgd_step: grad has shape");
  o.lr = -1.0;
  BP_CHECK_FAILS(bp_sgd_step(p, b, b, &o, 1), BP_STATUS_INVALID_ARGUMENT, "bp_sgd_step: lr");
  o.lr = 0.1;
  o.nesterov = true;
  BP_CHECK_FAILS(bp_sgd_step(p, b, b, &o, 1), BP_STATUS_INVALID_ARGUMENT, "bp_sgd_step: nesterov");
  o.nesterov = false;
  BP_CHECK_FAILS(bp_sgd_step(p, b, b, &o, 0), BP_STATUS_INVALID_ARGUMENT, "bp_sgd_step: step");
  BP_CHECK_FAILS(bp_sgd_step(p, NULL, b, &o, 1), BP_STATUS_INVALID_ARGUMENT, "bp_sgd_step: grad is NULL");
  bp_adamw_options_t a;
  bp_adamw_options_initialize(&a);
  a.beta2 = 1.0;
  BP_CHECK_FAILS(bp_adamw_step(p, b, b, b, &a, 1), BP_STATUS_INVALID_ARGUMENT, "bp_adamw_step: beta2");
  int32_t iz[3] = {0};
  bp_tensor_t *pi = tensor_of(ref_device(), BP_DTYPE_I32, 1, shape, iz);
  bp_adamw_options_initialize(&a);
  BP_CHECK_FAILS(bp_adamw_step(pi, pi, pi, pi, &a, 1), BP_STATUS_INVALID_ARGUMENT,
                 "bp_adamw_step: param is i32");
  /* The raw op with grad mode on refuses to overwrite a leaf that requires grad. */
  BP_CHECK(bp_tensor_set_requires_grad(p, true));
  uint32_t id;
  BP_CHECK(bp_op_find("sgd_step", &id));
  bp_tensor_t *in[3] = {p, b, b}, *out[2] = {p, b};
  BP_CHECK_FAILS(bp_op_run(id, 3, in, 0, NULL, 2, out), BP_STATUS_INVALID_ARGUMENT,
                 "leaf tensor that requires grad");
  bp_tensor_release(p);
  bp_tensor_release(g4);
  bp_tensor_release(b);
  bp_tensor_release(pi);
}
