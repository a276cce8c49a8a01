/* test_vk_pool_paths.c - max_pool2d, avg_pool2d and their backward ops (f32) on
 * vulkan:0 bit-identical to ref:0 on shapes reaching each path of the
 * plugin: on CPU devices the non-overlapping windows (stride >= kernel,
 * dilation 1) take shaders/maxpool_cpu.comp where grad_input is in whole
 * vec4s, overlapping ones too (summed in f64), the rest shaders/maxpool.comp; the forward takes maxpool_cpu.comp
 * for windows up to 8 x 8 where the outputs are in whole vec4s. x holds
 * NaNs, ties and -0. The backward gets ref:0's indices;
 * grad_output holds -0 (the reference's 0 + g is +0). An index outside its
 * window is an error. Off lavapipe, sums over overlapping windows compare
 * within 1e-6 (a GPU may sum in f32). Run with BP_FALLBACK=error and, as a second ctest,
 * with BP_VULKAN_POOL_GPU_PATHS=1 (the GPU choices on lavapipe). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backplane/backplane.h"
#include "backplane/bp_ops_shape.h"

typedef struct pool_case {
  int64_t n, c, h, w, kh, kw, sh, sw, ph, pw, dil;
  bool ceil, unbatched, transposed_go;
} pool_case_t;

static bp_device_t *dev(const char *name) {
  bp_device_t *d = NULL;
  cr_assert_eq(bp_device_get(name, &d), BP_STATUS_OK, "%s", bp_last_error());
  return d;
}

/* Values in [-0.5, 0.5) from a fixed linear congruential sequence, every
 * 7th a -0, every 11th repeating its predecessor (ties) and, with nan, every
 * 37th a NaN. */
static float *values(int64_t count, uint32_t seed, bool nan) {
  float *v = malloc(sizeof(float) * (size_t)(count ? count : 1));
  cr_assert(v != NULL);
  for (int64_t i = 0; i < count; ++i) {
    seed = seed * 1664525u + 1013904223u;
    v[i] = (float)(seed >> 8) / 16777216.0f - 0.5f;
    if (i % 7 == 3) v[i] = -0.0f;
    if (i % 11 == 5 && i > 0) v[i] = v[i - 1];
    if (nan && i % 37 == 20) v[i] = NAN;
  }
  return v;
}

static int64_t numel(bp_tensor_t *t) {
  int64_t n = 1;
  for (int32_t i = 0; i < bp_tensor_ndim(t); ++i) n *= bp_tensor_shape(t)[i];
  return n;
}

static void *host(bp_tensor_t *t, size_t es) {
  size_t bytes = es * (size_t)numel(t);
  void *p = malloc(bytes ? bytes : 1);
  cr_assert(p != NULL);
  cr_assert_eq(bp_tensor_copy_to_host(t, p, bytes), BP_STATUS_OK, "%s", bp_last_error());
  return p;
}

static void expect_same(bp_tensor_t *a, bp_tensor_t *b, size_t es, const char *what) {
  cr_assert_eq(numel(a), numel(b), "%s: sizes differ", what);
  void *x = host(a, es), *y = host(b, es);
  for (int64_t i = 0; i < numel(a); ++i)
    if (memcmp((char *)x + es * (size_t)i, (char *)y + es * (size_t)i, es) != 0) {
      if (es == sizeof(float))
        cr_assert_fail("%s: element %lld is %a on vulkan:0, %a on ref:0", what, (long long)i,
                       (double)((float *)x)[i], (double)((float *)y)[i]);
      cr_assert_fail("%s: element %lld is %lld on vulkan:0, %lld on ref:0", what, (long long)i,
                     (long long)((int64_t *)x)[i], (long long)((int64_t *)y)[i]);
    }
  free(x);
  free(y);
}

/* max |a - b| <= 1e-6 max |b|, NaN where b is NaN: avgpool.comp sums in
 * f32 (the conformance tolerance). */
static void expect_close(bp_tensor_t *a, bp_tensor_t *b, const char *what) {
  int64_t n = numel(b);
  cr_assert_eq(numel(a), n, "%s: sizes differ", what);
  float *x = host(a, sizeof(float)), *y = host(b, sizeof(float));
  double big = 0;
  for (int64_t i = 0; i < n; ++i)
    if (fabs(y[i]) > big) big = fabs(y[i]);
  for (int64_t i = 0; i < n; ++i) {
    bool ok = isnan(y[i]) ? isnan(x[i]) : fabs((double)x[i] - (double)y[i]) <= 1e-6 * big;
    cr_assert(ok, "%s: element %lld is %a on vulkan:0, %a on ref:0", what, (long long)i, (double)x[i], (double)y[i]);
  }
  free(x);
  free(y);
}

/* vulkan:0 is lavapipe: the CPU paths (and f64 for the general shaders) */
static bool lavapipe(void) {
  bp_device_props_t props;
  memset(&props, 0, sizeof props);
  props.struct_size = sizeof props;
  cr_assert_eq(bp_device_query_props(dev("vulkan:0"), &props), BP_STATUS_OK, "%s", bp_last_error());
  return strstr(props.name, "llvmpipe") != NULL;
}

static void check(const pool_case_t *pc) {
  int64_t kk[2] = {pc->kh, pc->kw}, ss[2] = {pc->sh, pc->sw}, pp[2] = {pc->ph, pc->pw}, dd[2] = {pc->dil, pc->dil};
  bp_attr_t attrs[5] = {{0, BP_ATTR_INTS, "kernel_size", 2, {.ints = kk}},
                        {0, BP_ATTR_INTS, "stride", 2, {.ints = ss}},
                        {0, BP_ATTR_INTS, "padding", 2, {.ints = pp}},
                        {0, BP_ATTR_INTS, "dilation", 2, {.ints = dd}},
                        {0, BP_ATTR_BOOL, "ceil_mode", 1, {.b = pc->ceil}}};
  uint32_t fwd, bwd;
  cr_assert_eq(bp_op_find("max_pool2d", &fwd), BP_STATUS_OK);
  cr_assert_eq(bp_op_find("max_pool2d_backward", &bwd), BP_STATUS_OK);
  int64_t xs[4] = {pc->n, pc->c, pc->h, pc->w};
  int nd = pc->unbatched ? 3 : 4, skip = pc->unbatched ? 1 : 0;
  int64_t count = pc->n * pc->c * pc->h * pc->w;
  float *xd = values(count, 5u, true);
  const char *names[2] = {"vulkan:0", "ref:0"};
  bp_tensor_t *x[2], *fo[2][2] = {{NULL}}, *gi[2] = {NULL};
  for (int d = 0; d < 2; ++d) {
    cr_assert_eq(bp_tensor_create_from_host(dev(names[d]), BP_DTYPE_F32, nd, xs + skip, xd,
                                            sizeof(float) * (size_t)count, &x[d]),
                 BP_STATUS_OK, "%s", bp_last_error());
    cr_assert_eq(bp_op_run(fwd, 1, &x[d], 5, attrs, 2, fo[d]), BP_STATUS_OK, "%s: %s", names[d], bp_last_error());
  }
  expect_same(fo[0][0], fo[1][0], sizeof(float), "max_pool2d values");
  expect_same(fo[0][1], fo[1][1], sizeof(int64_t), "max_pool2d indices");
  /* grad_output of the values' shape; indices: ref:0's, on each device */
  int32_t ond = bp_tensor_ndim(fo[1][0]);
  int64_t os[4], gcount = numel(fo[1][0]);
  memcpy(os, bp_tensor_shape(fo[1][0]), sizeof(int64_t) * (size_t)ond);
  float *gd = values(gcount, 9u, false);
  int64_t *id = host(fo[1][1], sizeof(int64_t));
  for (int d = 0; d < 2; ++d) {
    bp_tensor_t *g, *ix;
    cr_assert_eq(bp_tensor_create_from_host(dev(names[d]), BP_DTYPE_F32, ond, os, gd,
                                            sizeof(float) * (size_t)gcount, &g),
                 BP_STATUS_OK, "%s", bp_last_error());
    cr_assert_eq(bp_tensor_create_from_host(dev(names[d]), BP_DTYPE_I64, ond, os, id,
                                            sizeof(int64_t) * (size_t)gcount, &ix),
                 BP_STATUS_OK, "%s", bp_last_error());
    if (pc->transposed_go) { /* grad_output and indices with the last two dims' strides swapped */
      int32_t perm[4] = {0, 1, 2, 3};
      perm[ond - 1] = ond - 2;
      perm[ond - 2] = ond - 1;
      bp_tensor_t *gt = NULL, *it = NULL, *gc = NULL, *ic = NULL;
      cr_assert_eq(bp_tensor_permute(g, perm, &gt), BP_STATUS_OK, "%s", bp_last_error());
      cr_assert_eq(bp_tensor_permute(ix, perm, &it), BP_STATUS_OK, "%s", bp_last_error());
      cr_assert_eq(bp_tensor_contiguous(gt, &gc), BP_STATUS_OK, "%s", bp_last_error());
      cr_assert_eq(bp_tensor_contiguous(it, &ic), BP_STATUS_OK, "%s", bp_last_error());
      bp_tensor_release(g);
      bp_tensor_release(ix);
      bp_tensor_release(gt);
      bp_tensor_release(it);
      cr_assert_eq(bp_tensor_permute(gc, perm, &g), BP_STATUS_OK, "%s", bp_last_error());
      cr_assert_eq(bp_tensor_permute(ic, perm, &ix), BP_STATUS_OK, "%s", bp_last_error());
      bp_tensor_release(gc);
      bp_tensor_release(ic);
    }
    bp_tensor_t *bin[3] = {g, x[d], ix};
    cr_assert_eq(bp_op_run(bwd, 3, bin, 5, attrs, 1, &gi[d]), BP_STATUS_OK, "%s: %s", names[d], bp_last_error());
    cr_assert_eq(bp_device_synchronize(dev(names[d])), BP_STATUS_OK, "%s: %s", names[d], bp_last_error());
    bp_tensor_release(g);
    bp_tensor_release(ix);
  }
  /* overlapping windows: sums, bit-identical where summed in f64 (lavapipe) */
  if (lavapipe() || (pc->kh <= pc->sh && pc->kw <= pc->sw)) expect_same(gi[0], gi[1], sizeof(float), "max_pool2d_backward");
  else expect_close(gi[0], gi[1], "max_pool2d_backward");
  for (int d = 0; d < 2; ++d) {
    bp_tensor_release(x[d]);
    bp_tensor_release(fo[d][0]);
    bp_tensor_release(fo[d][1]);
    bp_tensor_release(gi[d]);
  }
  free(xd);
  free(gd);
  free(id);
}

#define PC(...) check(&(pool_case_t){__VA_ARGS__})

/* bp train's CNN: 2x2 windows on 26x26 and (odd) 11x11 planes */
Test(vulkan_pool_paths, cnn) {
  PC(8, 8, 26, 26, 2, 2, 2, 2, 0, 0, 1, false, false, false);
  PC(8, 16, 11, 11, 2, 2, 2, 2, 0, 0, 1, false, false, false);
}

/* non-overlapping windows: padding, gaps (stride > kernel), rectangles,
 * ceil_mode, unbatched, grad_output with swapped strides */
Test(vulkan_pool_paths, disjoint) {
  PC(2, 3, 10, 13, 3, 3, 3, 3, 1, 1, 1, false, false, false);
  PC(2, 4, 9, 10, 2, 2, 3, 3, 0, 0, 1, false, false, false);
  PC(2, 3, 8, 9, 2, 3, 2, 3, 1, 0, 1, false, false, false);
  PC(2, 2, 5, 7, 2, 2, 2, 2, 0, 0, 1, true, false, false);
  PC(1, 3, 10, 12, 2, 2, 2, 2, 0, 0, 1, false, true, false);
  PC(2, 4, 12, 10, 2, 2, 2, 2, 0, 0, 1, false, false, true);
}

/* overlapping windows (CPU devices: f64 sums over up to 4 x 4 windows) */
Test(vulkan_pool_paths, overlap) {
  PC(2, 3, 9, 10, 3, 3, 1, 1, 1, 1, 1, false, false, false);
  PC(2, 3, 11, 12, 3, 3, 2, 2, 1, 1, 1, false, false, false);
  PC(2, 2, 9, 8, 3, 2, 1, 1, 1, 0, 1, true, false, false);
  PC(1, 4, 12, 10, 4, 4, 1, 1, 2, 2, 1, false, true, true);
}

/* the general backward shader: overlapping windows, dilation, grad_input
 * not in whole vec4s; forward: windows with padding and dilation, ceil_mode,
 * and (maxpool.comp) outputs not in whole vec4s, windows over 8 */
Test(vulkan_pool_paths, general) {
  PC(2, 3, 9, 10, 3, 3, 1, 1, 1, 1, 1, false, false, false);
  PC(2, 3, 9, 10, 2, 2, 2, 2, 0, 0, 2, false, false, false);
  PC(1, 3, 5, 5, 2, 2, 2, 2, 0, 0, 1, false, false, false);
  PC(2, 2, 11, 9, 3, 2, 2, 1, 1, 1, 2, true, false, false);
  PC(1, 3, 5, 5, 3, 3, 1, 1, 1, 1, 1, false, false, false);
  PC(1, 2, 12, 12, 9, 9, 1, 1, 0, 0, 1, false, false, false);
}

/* avg_pool2d and its backward: on CPU devices (f32 windows up to 8 x 8
 * forward, up to 4 x 4 windows per element backward, outputs in whole
 * vec4s) bit-identical (sums and quotients in f64, as the reference);
 * avgpool.comp (GPUs, other cases) within 1e-6 */
typedef struct avg_case {
  int64_t n, c, h, w, kh, kw, sh, sw, ph, pw;
  bool ceil, include_pad;
  int64_t override;
  bool exact_fwd, exact_bwd; /* on CPU devices */
} avg_case_t;

static void check_avg(const avg_case_t *ac) {
  int64_t kk[2] = {ac->kh, ac->kw}, ss[2] = {ac->sh, ac->sw}, pp[2] = {ac->ph, ac->pw};
  bp_attr_t attrs[6] = {{0, BP_ATTR_INTS, "kernel_size", 2, {.ints = kk}},
                        {0, BP_ATTR_INTS, "stride", 2, {.ints = ss}},
                        {0, BP_ATTR_INTS, "padding", 2, {.ints = pp}},
                        {0, BP_ATTR_BOOL, "ceil_mode", 1, {.b = ac->ceil}},
                        {0, BP_ATTR_BOOL, "count_include_pad", 1, {.b = ac->include_pad}},
                        {0, BP_ATTR_INT, "divisor_override", 1, {.i = ac->override}}};
  uint32_t fwd, bwd;
  cr_assert_eq(bp_op_find("avg_pool2d", &fwd), BP_STATUS_OK);
  cr_assert_eq(bp_op_find("avg_pool2d_backward", &bwd), BP_STATUS_OK);
  int64_t xs[4] = {ac->n, ac->c, ac->h, ac->w}, count = ac->n * ac->c * ac->h * ac->w;
  float *xd = values(count, 3u, true);
  xd[0] = -0x1p-149f; /* a tiny negative mean rounds to -0 */
  const char *names[2] = {"vulkan:0", "ref:0"};
  bp_tensor_t *x[2], *o[2] = {NULL}, *gi[2] = {NULL};
  float *gd = NULL;
  for (int d = 0; d < 2; ++d) {
    cr_assert_eq(bp_tensor_create_from_host(dev(names[d]), BP_DTYPE_F32, 4, xs, xd, sizeof(float) * (size_t)count,
                                            &x[d]),
                 BP_STATUS_OK, "%s", bp_last_error());
    cr_assert_eq(bp_op_run(fwd, 1, &x[d], 6, attrs, 1, &o[d]), BP_STATUS_OK, "%s: %s", names[d], bp_last_error());
    int64_t gcount = numel(o[d]);
    if (!gd) gd = values(gcount, 13u, false);
    bp_tensor_t *g;
    cr_assert_eq(bp_tensor_create_from_host(dev(names[d]), BP_DTYPE_F32, 4, bp_tensor_shape(o[d]), gd,
                                            sizeof(float) * (size_t)gcount, &g),
                 BP_STATUS_OK, "%s", bp_last_error());
    bp_tensor_t *bin[2] = {g, x[d]};
    cr_assert_eq(bp_op_run(bwd, 2, bin, 6, attrs, 1, &gi[d]), BP_STATUS_OK, "%s: %s", names[d], bp_last_error());
    cr_assert_eq(bp_device_synchronize(dev(names[d])), BP_STATUS_OK, "%s: %s", names[d], bp_last_error());
    bp_tensor_release(g);
  }
  char what[160];
  snprintf(what, sizeof what, "avg_pool2d x [%lld, %lld, %lld, %lld] kernel %lldx%lld stride %lldx%lld pad %lldx%lld",
           (long long)ac->n, (long long)ac->c, (long long)ac->h, (long long)ac->w, (long long)ac->kh,
           (long long)ac->kw, (long long)ac->sh, (long long)ac->sw, (long long)ac->ph, (long long)ac->pw);
  const char *gpu = getenv("BP_VULKAN_POOL_GPU_PATHS");
  bool cpu = lavapipe() && !(gpu && gpu[0] == '1');
  if (cpu && ac->exact_fwd) expect_same(o[0], o[1], sizeof(float), what);
  else expect_close(o[0], o[1], what);
  strcat(what, " backward");
  if (cpu && ac->exact_bwd) expect_same(gi[0], gi[1], sizeof(float), what);
  else expect_close(gi[0], gi[1], what);
  for (int d = 0; d < 2; ++d) {
    bp_tensor_release(x[d]);
    bp_tensor_release(o[d]);
    bp_tensor_release(gi[d]);
  }
  free(xd);
  free(gd);
}

#define AC(...) check_avg(&(avg_case_t){__VA_ARGS__})

Test(vulkan_pool_paths, avg) {
  AC(8, 8, 26, 26, 2, 2, 2, 2, 0, 0, false, true, 0, true, true);
  AC(2, 3, 9, 10, 3, 3, 1, 1, 1, 1, false, true, 0, true, true);  /* overlap, padding */
  AC(2, 3, 9, 10, 3, 3, 2, 2, 1, 1, true, false, 0, true, true);  /* ceil_mode, pad not counted */
  AC(2, 2, 11, 12, 3, 2, 2, 1, 1, 0, false, true, 5, true, true); /* divisor_override */
  AC(2, 4, 12, 10, 4, 4, 1, 1, 2, 2, false, false, 0, true, true);
  AC(1, 3, 5, 5, 2, 2, 2, 2, 0, 0, false, true, 0, false, false);   /* not in whole vec4s: avgpool.comp */
  AC(1, 2, 12, 12, 9, 9, 1, 1, 0, 0, false, true, 0, false, false); /* 9 x 9: avgpool.comp */
}

/* an index from another window: INVALID_ARGUMENT, never a stray write */
static void expect_index_error(int64_t k, int64_t st, const int64_t bad[4]) {
  int64_t xs[4] = {1, 1, 4, 4}, gs[4] = {1, 1, 2, 2}, kk[2] = {k, k}, ss[2] = {st, st};
  float xd[16] = {0}, gd[4] = {1, 2, 3, 4};
  bp_attr_t attrs[2] = {{0, BP_ATTR_INTS, "kernel_size", 2, {.ints = kk}},
                        {0, BP_ATTR_INTS, "stride", 2, {.ints = ss}}};
  uint32_t bwd;
  cr_assert_eq(bp_op_find("max_pool2d_backward", &bwd), BP_STATUS_OK);
  bp_device_t *d = dev("vulkan:0");
  bp_tensor_t *x, *g, *ix, *gi = NULL;
  cr_assert_eq(bp_tensor_create_from_host(d, BP_DTYPE_F32, 4, xs, xd, sizeof xd, &x), BP_STATUS_OK);
  cr_assert_eq(bp_tensor_create_from_host(d, BP_DTYPE_F32, 4, gs, gd, sizeof gd, &g), BP_STATUS_OK);
  cr_assert_eq(bp_tensor_create_from_host(d, BP_DTYPE_I64, 4, gs, bad, 4 * sizeof(int64_t), &ix), BP_STATUS_OK);
  bp_tensor_t *bin[3] = {g, x, ix};
  bp_status_t s = bp_op_run(bwd, 3, bin, 2, attrs, 1, &gi);
  if (s == BP_STATUS_OK) s = bp_device_synchronize(d);
  cr_assert_eq(s, BP_STATUS_INVALID_ARGUMENT, "got %s (%s)", bp_status_name(s), bp_last_error());
  cr_assert(strstr(bp_last_error(), "max_pool2d_backward") != NULL, "message '%s'", bp_last_error());
  cr_assert_eq(bp_device_synchronize(d), BP_STATUS_OK, "%s", bp_last_error());
  bp_tensor_release(gi);
  bp_tensor_release(x);
  bp_tensor_release(g);
  bp_tensor_release(ix);
}

Test(vulkan_pool_paths, index_outside_window) {
  const int64_t disjoint[4] = {0, 2, 8, 0}; /* 2x2 windows, stride 2: the last names (0, 0) */
  const int64_t overlap[4] = {0, 1, 4, 0};  /* 3x3 windows, stride 1: the last names (0, 0) */
  const int64_t plane[4] = {0, 1, 4, 16};   /* outside the plane */
  expect_index_error(2, 2, disjoint);
  expect_index_error(3, 1, overlap);
  expect_index_error(3, 1, plane);
}
