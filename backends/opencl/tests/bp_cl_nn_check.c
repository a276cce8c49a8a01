/* bp_cl_nn_check.c - what the conformance suite does not check of the
 * OpenCL nn kernels:
 *  - an index out of range (one_hot, embedding, gather, scatter_add,
 *    index_select, nll_loss, cross_entropy, embedding_backward) is
 *    INVALID_ARGUMENT at the next bp_device_synchronize, with a message
 *    naming the op and the value, and the synchronize after it is clean;
 *  - batch_norm in training updates running_mean/running_var in place as
 *    ref:0 does.
 * Exit 0 on success, 77 (skipped) when there is no opencl:0. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "backplane/backplane.h"
#include "backplane/bp_ops_nn2.h"

static int failures = 0;

#define CHECK(cond, ...)           \
  do {                             \
    if (!(cond)) {                 \
      printf("FAIL: " __VA_ARGS__); \
      printf("\n");                \
      ++failures;                  \
    }                              \
  } while (0)

static bp_tensor_t *make(bp_device_t *d, bp_dtype_t t, int32_t nd, const int64_t *shape,
                         const void *data, size_t bytes) {
  bp_tensor_t *x = NULL;
  if (bp_tensor_create_from_host(d, t, nd, shape, data, bytes, &x) != BP_STATUS_OK)
    printf("create: %s\n", bp_last_error());
  return x;
}

/* Runs op (by name) on inputs and expects INVALID_ARGUMENT naming `value`
 * by the next synchronize (or from the call itself). */
static void expect_index_error(bp_device_t *d, const char *op, bp_tensor_t **in, uint32_t nin,
                               const bp_attr_t *attrs, uint32_t nattrs, uint32_t nout,
                               const char *value) {
  uint32_t id = 0;
  if (bp_op_find(op, &id) != BP_STATUS_OK) {
    CHECK(0, "%s: no such op", op);
    return;
  }
  bp_tensor_t *out[3] = {NULL, NULL, NULL};
  bp_status_t s = bp_op_run(id, nin, in, nattrs, attrs, nout, out);
  char msg[512] = "";
  if (s == BP_STATUS_OK) {
    s = bp_device_synchronize(d);
    if (s != BP_STATUS_OK) snprintf(msg, sizeof msg, "%s", bp_last_error());
  } else {
    snprintf(msg, sizeof msg, "%s", bp_last_error());
  }
  CHECK(s == BP_STATUS_INVALID_ARGUMENT, "%s: status %d, expected INVALID_ARGUMENT (%s)", op, (int)s, msg);
  CHECK(strstr(msg, op) != NULL && strstr(msg, value) != NULL && strstr(msg, "out of range") != NULL,
        "%s: message does not name the op, the value %s and the range: %s", op, value, msg);
  CHECK(bp_device_synchronize(d) == BP_STATUS_OK, "%s: the synchronize after the error failed: %s", op,
        bp_last_error());
  for (uint32_t i = 0; i < nout; ++i) bp_tensor_release(out[i]);
}

static void check_index_errors(bp_device_t *d) {
  const int64_t s4[1] = {4}, s32[2] = {3, 2}, s24[2] = {2, 4};
  const int64_t bad[4] = {0, 3, 7, 1}, neg[4] = {0, 2, -1, 1};
  const int32_t bad32[4] = {1, 9, 0, 2};
  const float w6[6] = {1, 2, 3, 4, 5, 6}, f8[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  bp_tensor_t *ib = make(d, BP_DTYPE_I64, 1, s4, bad, sizeof bad);
  bp_tensor_t *in = make(d, BP_DTYPE_I64, 1, s4, neg, sizeof neg);
  bp_tensor_t *i32 = make(d, BP_DTYPE_I32, 1, s4, bad32, sizeof bad32);
  bp_tensor_t *w = make(d, BP_DTYPE_F32, 2, s32, w6, sizeof w6);
  bp_tensor_t *x24 = make(d, BP_DTYPE_F32, 2, s24, f8, sizeof f8);
  bp_attr_t nc = {.name = "num_classes", .type = BP_ATTR_INT, .count = 1, .value.i = 5};
  bp_tensor_t *a1[1] = {ib};
  expect_index_error(d, "one_hot", a1, 1, &nc, 1, 1, "7");
  bp_tensor_t *a2[2] = {w, in};
  expect_index_error(d, "embedding", a2, 2, NULL, 0, 1, "-1");
  bp_tensor_t *a3[2] = {w, i32};
  expect_index_error(d, "index_select", a3, 2, NULL, 0, 1, "9");
  /* gather / scatter_add along dim 1 of [2, 4] with index [2, 2] */
  const int64_t s22[2] = {2, 2}, gi[4] = {0, 3, 4, 1};
  const float src4[4] = {1, 1, 1, 1};
  bp_tensor_t *gidx = make(d, BP_DTYPE_I64, 2, s22, gi, sizeof gi);
  bp_tensor_t *src = make(d, BP_DTYPE_F32, 2, s22, src4, sizeof src4);
  bp_attr_t dim1 = {.name = "dim", .type = BP_ATTR_INT, .count = 1, .value.i = 1};
  bp_tensor_t *a4[2] = {x24, gidx};
  expect_index_error(d, "gather", a4, 2, &dim1, 1, 1, "4");
  bp_tensor_t *a5[3] = {x24, gidx, src};
  expect_index_error(d, "scatter_add", a5, 3, &dim1, 1, 1, "4");
  /* nll_loss / cross_entropy: input [2, 4] (N, C), target [2] */
  const int64_t s2[1] = {2}, tg[2] = {1, 4};
  bp_tensor_t *t = make(d, BP_DTYPE_I64, 1, s2, tg, sizeof tg);
  bp_tensor_t *a6[3] = {x24, t, x24};
  expect_index_error(d, "nll_loss", a6, 3, NULL, 0, 2, "4");
  expect_index_error(d, "cross_entropy", a6, 3, NULL, 0, 1, "4");
  /* embedding_backward: grad_output [4, 2], indices [4], 3 rows */
  const float g8[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const int64_t s42[2] = {4, 2};
  bp_tensor_t *g = make(d, BP_DTYPE_F32, 2, s42, g8, sizeof g8);
  bp_attr_t nw = {.name = "num_weights", .type = BP_ATTR_INT, .count = 1, .value.i = 3};
  bp_tensor_t *a7[2] = {g, ib};
  expect_index_error(d, "embedding_backward", a7, 2, &nw, 1, 1, "7");
  bp_tensor_t *all[] = {ib, in, i32, w, x24, gidx, src, t, g};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i) bp_tensor_release(all[i]);
}

/* batch_norm (training) on dev: y and the updated running stats. */
static void batch_norm_on(const char *name, float *y, float *rm_out, float *rv_out) {
  bp_device_t *d = NULL;
  bp_device_get(name, &d);
  float x[24], rm[3] = {0.5f, -1, 2}, rv[3] = {1, 2, 0.5f}, w[3] = {1.5f, 0.5f, 2};
  float b[3] = {0.1f, 0.2f, 0.3f};
  for (int i = 0; i < 24; ++i) x[i] = sinf((float)i * 1.7f) * 3 + (float)i * 0.1f;
  const int64_t xs[3] = {2, 3, 4}, cs[1] = {3};
  bp_tensor_t *xt = make(d, BP_DTYPE_F32, 3, xs, x, sizeof x);
  bp_tensor_t *rmt = make(d, BP_DTYPE_F32, 1, cs, rm, sizeof rm);
  bp_tensor_t *rvt = make(d, BP_DTYPE_F32, 1, cs, rv, sizeof rv);
  bp_tensor_t *wt = make(d, BP_DTYPE_F32, 1, cs, w, sizeof w);
  bp_tensor_t *bt = make(d, BP_DTYPE_F32, 1, cs, b, sizeof b);
  bp_tensor_t *yt = NULL;
  bp_status_t s = bp_batch_norm(xt, wt, bt, rmt, rvt, 1, 0.1, 1e-5, &yt);
  CHECK(s == BP_STATUS_OK, "batch_norm on %s: %s", name, bp_last_error());
  CHECK(bp_device_synchronize(d) == BP_STATUS_OK, "batch_norm on %s: synchronize", name);
  if (s == BP_STATUS_OK) {
    bp_tensor_copy_to_host(yt, y, 24 * sizeof(float));
    bp_tensor_copy_to_host(rmt, rm_out, sizeof rm);
    bp_tensor_copy_to_host(rvt, rv_out, sizeof rv);
  }
  bp_tensor_t *all[] = {xt, rmt, rvt, wt, bt, yt};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i) bp_tensor_release(all[i]);
}

static void check_batch_norm_running_stats(void) {
  float y0[24] = {0}, y1[24] = {0}, m0[3] = {0}, m1[3] = {0}, v0[3] = {0}, v1[3] = {0};
  batch_norm_on("ref:0", y0, m0, v0);
  batch_norm_on("opencl:0", y1, m1, v1);
  for (int i = 0; i < 24; ++i) CHECK(fabsf(y0[i] - y1[i]) <= 1e-5f, "batch_norm y[%d]: %g vs ref %g", i, y1[i], y0[i]);
  for (int i = 0; i < 3; ++i) {
    CHECK(fabsf(m0[i] - m1[i]) <= 1e-6f, "running_mean[%d]: %g vs ref %g", i, m1[i], m0[i]);
    CHECK(fabsf(v0[i] - v1[i]) <= 1e-5f, "running_var[%d]: %g vs ref %g", i, v1[i], v0[i]);
  }
}

int main(void) {
  if (bp_init() != BP_STATUS_OK) {
    printf("bp_init: %s\n", bp_last_error());
    return 1;
  }
  bp_device_t *d = NULL;
  if (bp_device_get("opencl:0", &d) != BP_STATUS_OK) {
    printf("skipped: no opencl:0 (%s)\n", bp_last_error());
    bp_shutdown();
    return 77;
  }
  check_index_errors(d);
  check_batch_norm_running_stats();
  /* No bp_shutdown: it unloads the plugin and PoCL with it, and
   * LeakSanitizer could then no longer match what PoCL keeps for the life
   * of the process to its library (lsan.supp), as with bp train. */
  printf("%s: %d failure(s)\n", failures ? "FAILED" : "passed", failures);
  return failures ? 1 : 0;
}
