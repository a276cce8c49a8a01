/* test_vk_conv_paths.c - conv2d and conv2d_backward (f32) on vulkan:0
 * against ref:0 on shapes chosen to reach each of the plugin's paths (the
 * conformance shapes reach only some): conv2d_rows and conv2d.comp forward;
 * grad_input through conv2d_rows (stride 1, no groups) or the implicit
 * GEMM (unit and other strides, dilation, groups); grad_weight by row
 * segments (stride 1, rows in whole vec4s) or by column tiles (grad_output
 * read as vec4s or as scalars); many splits; unbatched x. Run with
 * BP_FALLBACK=error (a fallback fails the call) and, as a second ctest,
 * with BP_VULKAN_CONV_GPU_PATHS=1 (the GPU choices on lavapipe). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "backplane/backplane.h"

typedef struct conv_case {
  int64_t n, c, h, w, k, kh, kw, pad, stride, dil, groups;
  bool unbatched;
} conv_case_t;

static bp_device_t *dev(const char *name) {
  bp_device_t *d = NULL;
  cr_assert_eq(bp_device_get(name, &d), BP_STATUS_OK, "%s", bp_last_error());
  return d;
}

/* Values in [-0.5, 0.5) from a fixed linear congruential sequence. */
static float *values(int64_t count, uint32_t seed) {
  float *v = malloc(sizeof(float) * (size_t)count);
  cr_assert(v != NULL);
  for (int64_t i = 0; i < count; ++i) {
    seed = seed * 1664525u + 1013904223u;
    v[i] = (float)(seed >> 8) / 16777216.0f - 0.5f;
  }
  return v;
}

static int64_t numel(bp_tensor_t *t) {
  int64_t n = 1;
  for (int32_t i = 0; i < bp_tensor_ndim(t); ++i) n *= bp_tensor_shape(t)[i];
  return n;
}

/* max |a - b| <= 2e-5 max |b| (f32 sums of at most a few thousand terms;
 * the plugin's order of additions differs from the reference's). */
static void expect_close(bp_tensor_t *a, bp_tensor_t *b, const char *what) {
  int64_t n = numel(b);
  cr_assert_eq(numel(a), n, "%s: sizes differ", what);
  float *x = malloc(sizeof(float) * (size_t)n), *y = malloc(sizeof(float) * (size_t)n);
  cr_assert(x != NULL && y != NULL);
  cr_assert_eq(bp_tensor_copy_to_host(a, x, sizeof(float) * (size_t)n), BP_STATUS_OK, "%s", bp_last_error());
  cr_assert_eq(bp_tensor_copy_to_host(b, y, sizeof(float) * (size_t)n), BP_STATUS_OK, "%s", bp_last_error());
  double big = 0, err = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (fabs(y[i]) > big) big = fabs(y[i]);
    double e = fabs((double)x[i] - (double)y[i]);
    if (!(e <= err)) err = e; /* NaN counts */
  }
  free(x);
  free(y);
  cr_assert(big > 0, "%s: the reference is all zeros", what);
  cr_assert(err <= 2e-5 * big, "%s: max error %g, max |ref| %g", what, err, big);
}

static void check(const conv_case_t *cc) {
  int64_t oh = (cc->h + 2 * cc->pad - cc->dil * (cc->kh - 1) - 1) / cc->stride + 1;
  int64_t ow = (cc->w + 2 * cc->pad - cc->dil * (cc->kw - 1) - 1) / cc->stride + 1;
  int64_t xs[4] = {cc->n, cc->c, cc->h, cc->w}, gs[4] = {cc->n, cc->k, oh, ow};
  int64_t ws[4] = {cc->k, cc->c / cc->groups, cc->kh, cc->kw}, bs[1] = {cc->k};
  int nd = cc->unbatched ? 3 : 4, skip = cc->unbatched ? 1 : 0;
  int64_t counts[4] = {cc->n * cc->c * cc->h * cc->w, ws[0] * ws[1] * ws[2] * ws[3], cc->k, cc->n * cc->k * oh * ow};
  float *data[4];
  for (int i = 0; i < 4; ++i) data[i] = values(counts[i], 17u + (uint32_t)i);
  int64_t st[2] = {cc->stride, cc->stride}, pd[2] = {cc->pad, cc->pad}, dl[2] = {cc->dil, cc->dil};
  bp_attr_t attrs[4] = {{0, BP_ATTR_INTS, "stride", 2, {.ints = st}},
                        {0, BP_ATTR_INTS, "padding", 2, {.ints = pd}},
                        {0, BP_ATTR_INTS, "dilation", 2, {.ints = dl}},
                        {0, BP_ATTR_INT, "groups", 1, {.i = cc->groups}}};
  uint32_t fwd, bwd;
  cr_assert_eq(bp_op_find("conv2d", &fwd), BP_STATUS_OK);
  cr_assert_eq(bp_op_find("conv2d_backward", &bwd), BP_STATUS_OK);
  const char *names[2] = {"vulkan:0", "ref:0"};
  bp_tensor_t *out[2][4] = {{NULL}};
  for (int d = 0; d < 2; ++d) {
    bp_device_t *dv = dev(names[d]);
    const int64_t *shapes[4] = {xs + skip, ws, bs, gs + skip};
    int dims[4] = {nd, 4, 1, nd};
    bp_tensor_t *t[4];
    for (int i = 0; i < 4; ++i)
      cr_assert_eq(bp_tensor_create_from_host(dv, BP_DTYPE_F32, dims[i], shapes[i], data[i],
                                              sizeof(float) * (size_t)counts[i], &t[i]),
                   BP_STATUS_OK, "%s", bp_last_error());
    bp_tensor_t *fin[3] = {t[0], t[1], t[2]}, *bin[3] = {t[3], t[0], t[1]};
    cr_assert_eq(bp_op_run(fwd, 3, fin, 4, attrs, 1, &out[d][0]), BP_STATUS_OK, "%s: %s", names[d], bp_last_error());
    cr_assert_eq(bp_op_run(bwd, 3, bin, 4, attrs, 3, &out[d][1]), BP_STATUS_OK, "%s: %s", names[d],
                 bp_last_error());
    cr_assert_eq(bp_device_synchronize(dv), BP_STATUS_OK, "%s: %s", names[d], bp_last_error());
    for (int i = 0; i < 4; ++i) bp_tensor_release(t[i]);
  }
  const char *what[4] = {"conv2d", "grad_input", "grad_weight", "grad_bias"};
  for (int i = 0; i < 4; ++i) {
    expect_close(out[0][i], out[1][i], what[i]);
    bp_tensor_release(out[0][i]);
    bp_tensor_release(out[1][i]);
  }
  for (int i = 0; i < 4; ++i) free(data[i]);
}

/* stride 1, rows in whole vec4s: conv2d_rows forward and grad_input,
 * grad_weight by row segments */
Test(vulkan_conv_paths, rows) {
  check(&(conv_case_t){2, 16, 12, 16, 8, 3, 3, 1, 1, 1, 1, false});
  check(&(conv_case_t){2, 8, 16, 16, 8, 5, 5, 2, 1, 1, 1, false});
  check(&(conv_case_t){1, 16, 24, 16, 8, 3, 3, 1, 1, 1, 1, true});
}

/* groups: grad_input by the implicit GEMM, grad_weight by row segments */
Test(vulkan_conv_paths, rows_groups) { check(&(conv_case_t){2, 16, 12, 16, 8, 3, 3, 1, 1, 1, 2, false}); }

/* many splits of the grad_weight sum */
Test(vulkan_conv_paths, splits) { check(&(conv_case_t){8, 16, 32, 32, 16, 3, 3, 1, 1, 1, 1, false}); }

/* stride 2, dilation, groups, odd sizes: the general shaders */
Test(vulkan_conv_paths, general) {
  check(&(conv_case_t){3, 6, 17, 19, 10, 3, 3, 2, 2, 1, 2, false});
  check(&(conv_case_t){2, 8, 20, 21, 12, 3, 3, 2, 1, 2, 4, false});
  check(&(conv_case_t){3, 4, 9, 7, 6, 3, 3, 0, 1, 1, 1, false}); /* 7x5 outputs: grad_output as scalars */
  check(&(conv_case_t){16, 1, 28, 28, 8, 3, 3, 1, 1, 1, 1, false}); /* bp train's first CNN layer */
}
