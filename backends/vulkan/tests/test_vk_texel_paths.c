/* test_vk_texel_paths.c - the fast paths of CPU devices (vec4 texel reads:
 * src/bp_vk_texel_ew.c, bp_vk_texel_sum.c, bp_vk_texel_norm.c,
 * bp_vk_texel_softmax.c) and the buffer copy/fill of dense copies and
 * fills agree with ref:0 on every layout they take (one or two merged
 * dims, broadcast and strided inputs, tails, offsets, gapped outputs) and
 * on layouts next to them that must take the general shaders (odd
 * offsets, rows not in whole vec4s, partial words). On a GPU the same
 * calls run the general shaders (and the buffer copy/fill) and must agree
 * too. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backplane/backplane.h"
#include "backplane/bp_ops_reduce2.h"

static bp_device_t *dev(const char *name) {
  bp_device_t *d = NULL;
  cr_assert_eq(bp_device_get(name, &d), BP_STATUS_OK, "%s", bp_last_error());
  return d;
}

/* n floats in [-2, 2) with a few exact values, from a fixed LCG. */
static float *data(int64_t n, uint32_t seed) {
  float *p = malloc((size_t)(n ? n : 1) * sizeof *p);
  cr_assert(p);
  uint32_t s = seed * 2654435761u + 1u;
  for (int64_t i = 0; i < n; ++i) {
    s = s * 1664525u + 1013904223u;
    p[i] = (float)((s >> 8) & 0xffff) / 16384.0f - 2.0f;
  }
  return p;
}

/* A strided view over a fresh storage of `storage` floats on device d. */
static bp_tensor_t *view(bp_device_t *d, const float *host, int64_t storage, int32_t ndim, const int64_t *shape,
                         const int64_t *strides, int64_t offset) {
  bp_tensor_t *base = NULL, *v = NULL;
  cr_assert_eq(bp_tensor_create_from_host(d, BP_DTYPE_F32, 1, &storage, host, (size_t)storage * 4, &base),
               BP_STATUS_OK, "%s", bp_last_error());
  cr_assert_eq(bp_tensor_as_strided(base, ndim, shape, strides, offset, &v), BP_STATUS_OK, "%s", bp_last_error());
  bp_tensor_release(base);
  return v;
}

static float *to_host(bp_tensor_t *t) {
  int64_t n = bp_tensor_numel(t);
  float *p = malloc((size_t)(n ? n : 1) * 4);
  cr_assert(p);
  cr_assert_eq(bp_tensor_copy_to_host(t, p, (size_t)n * 4), BP_STATUS_OK, "%s", bp_last_error());
  return p;
}

typedef struct layout {
  int32_t ndim;
  int64_t shape[3], strides[3], offset, storage;
} layout_t;

enum { OP_ADD, OP_MUL, OP_NEG, OP_DIV, OP_DIV_TRUNC, OP_DIV_FLOOR };

/* out = a op b (or -a) on vulkan:0 and ref:0, out a view of layout lo;
 * the results must be bit-identical (one IEEE operation each). */
static void check_ew(int op, layout_t la, layout_t lb, layout_t lo, const char *what) {
  const char *names[2] = {"vulkan:0", "ref:0"};
  float *res[2];
  float *ha = data(la.storage, 1), *hb = data(lb.storage, 2), *ho = data(lo.storage, 3);
  for (int k = 0; k < 2; ++k) {
    bp_device_t *d = dev(names[k]);
    bp_tensor_t *a = view(d, ha, la.storage, la.ndim, la.shape, la.strides, la.offset);
    bp_tensor_t *b = view(d, hb, lb.storage, lb.ndim, lb.shape, lb.strides, lb.offset);
    bp_tensor_t *o = view(d, ho, lo.storage, lo.ndim, lo.shape, lo.strides, lo.offset);
    bp_status_t s;
    if (op == OP_ADD) {
      s = bp_add_out(a, b, o);
    } else if (op == OP_MUL) {
      s = bp_mul_out(a, b, o);
    } else if (op == OP_NEG) {
      uint32_t id = 0;
      cr_assert_eq(bp_op_find("neg", &id), BP_STATUS_OK);
      s = bp_op_run(id, 1, &a, 0, NULL, 1, &o);
    } else {
      uint32_t id = 0;
      cr_assert_eq(bp_op_find("div", &id), BP_STATUS_OK);
      bp_attr_t mode = {.struct_size = sizeof(bp_attr_t), .name = "rounding_mode", .type = BP_ATTR_INT,
                        .value.i = op - OP_DIV};
      bp_tensor_t *in[2] = {a, b};
      s = bp_op_run(id, 2, in, 1, &mode, 1, &o);
    }
    cr_assert_eq(s, BP_STATUS_OK, "%s on %s: %s", what, names[k], bp_last_error());
    res[k] = to_host(o);
    bp_tensor_release(a);
    bp_tensor_release(b);
    bp_tensor_release(o);
  }
  int64_t n = 1;
  for (int32_t i = 0; i < lo.ndim; ++i) n *= lo.shape[i];
  for (int64_t i = 0; i < n; ++i)
    cr_assert(memcmp(&res[0][i], &res[1][i], 4) == 0, "%s: element %lld: vulkan %.9g, ref %.9g", what,
              (long long)i, (double)res[0][i], (double)res[1][i]);
  free(res[0]);
  free(res[1]);
  free(ha);
  free(hb);
  free(ho);
}

#define L1(n, off) ((layout_t){1, {n}, {1}, off, (n) + (off)})
#define L2(r, c, sr, sc, off, st) ((layout_t){2, {r, c}, {sr, sc}, off, st})

Test(vulkan_texel_paths, elementwise_one_dim) {
  int64_t sizes[] = {4, 3, 5, 8, 1001, 4099, 65536 + 7};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; ++i) {
    int64_t n = sizes[i];
    check_ew(OP_ADD, L1(n, 0), L1(n, 0), L1(n, 0), "add 1-d");
    check_ew(OP_MUL, L1(n, 4), L1(n, 8), L1(n, 4), "mul 1-d, offsets in vec4s");
    check_ew(OP_MUL, L1(n, 1), L1(n, 0), L1(n, 0), "mul 1-d, odd offset");
    check_ew(OP_NEG, L1(n, 4), L1(n, 0), L1(n, 0), "neg 1-d");
    check_ew(OP_DIV, L1(n, 0), L1(n, 0), L1(n, 0), "div 1-d");
    check_ew(OP_DIV_TRUNC, L1(n, 0), L1(n, 4), L1(n, 0), "div trunc 1-d");
    check_ew(OP_DIV_FLOOR, L1(n, 0), L1(n, 0), L1(n, 4), "div floor 1-d");
    check_ew(OP_ADD, L1(n, 0), ((layout_t){1, {n}, {0}, 5, 8}), L1(n, 0), "add scalar broadcast");
    check_ew(OP_ADD, ((layout_t){1, {n}, {0}, 2, 8}), L1(n, 0), L1(n, 4), "add scalar broadcast first");
  }
}

Test(vulkan_texel_paths, elementwise_two_dims) {
  int64_t r = 33, c = 64;
  check_ew(OP_ADD, L2(r, c, c, 1, 0, r * c), L2(r, c, 0, 1, 4, c + 4), L2(r, c, c, 1, 0, r * c), "row broadcast");
  check_ew(OP_ADD, L2(r, c, c, 1, 0, r * c), L2(r, c, 1, 0, 3, r + 3), L2(r, c, c, 1, 0, r * c), "column broadcast");
  check_ew(OP_MUL, L2(r, c, 1, 0, 0, r), L2(r, c, 0, 1, 0, c), L2(r, c, c, 1, 0, r * c), "outer product");
  check_ew(OP_MUL, L2(r, c, 72, 1, 4, 72 * r), L2(r, c, c, 1, 0, r * c), L2(r, c, 68, 1, 8, 68 * r + 8),
           "gapped rows");
  check_ew(OP_NEG, L2(r, c, 68, 1, 0, 68 * r), L2(r, c, c, 1, 0, r * c), L2(r, c, 72, 1, 4, 72 * r + 4),
           "neg gapped rows");
  check_ew(OP_ADD, L2(r, 6, 6, 1, 0, r * 6), L2(r, 6, 0, 1, 0, 6), L2(r, 6, 6, 1, 0, r * 6), "rows of 6");
  check_ew(OP_ADD, L2(r, c, 66, 1, 0, 66 * r), L2(r, c, c, 1, 0, r * c), L2(r, c, c, 1, 0, r * c),
           "row stride not in vec4s");
  check_ew(OP_ADD, L2(r, c, 1, r, 0, r * c), L2(r, c, c, 1, 0, r * c), L2(r, c, c, 1, 0, r * c), "transposed");
}

/* sum (or mean) over dims of a view on vulkan:0 against ref:0 (which sums
 * in double): within n eps of the sum of magnitudes, as conformance
 * allows. */
static void check_red(bool mean, layout_t lx, uint32_t ndims, const int64_t *dims, const char *what) {
  const char *names[2] = {"vulkan:0", "ref:0"};
  float *res[2];
  float *hx = data(lx.storage, 7);
  int64_t nout = 0, n = 1;
  for (int32_t i = 0; i < lx.ndim; ++i) n *= lx.shape[i];
  for (int k = 0; k < 2; ++k) {
    bp_device_t *d = dev(names[k]);
    bp_tensor_t *x = view(d, hx, lx.storage, lx.ndim, lx.shape, lx.strides, lx.offset), *o = NULL;
    bp_status_t s = mean ? bp_mean(x, ndims, dims, 0, &o) : bp_sum(x, ndims, dims, 0, &o);
    cr_assert_eq(s, BP_STATUS_OK, "%s on %s: %s", what, names[k], bp_last_error());
    nout = bp_tensor_numel(o);
    res[k] = to_host(o);
    bp_tensor_release(x);
    bp_tensor_release(o);
  }
  double terms = nout ? (double)n / (double)nout : 0.0;
  for (int64_t i = 0; i < nout; ++i) {
    double tol = (terms + 2.0) * FLT_EPSILON * 2.0 * (mean ? 1.0 : terms) + FLT_MIN; /* |x| < 2 */
    cr_assert(fabs((double)res[0][i] - (double)res[1][i]) <= tol, "%s: output %lld: vulkan %.9g, ref %.9g", what,
              (long long)i, (double)res[0][i], (double)res[1][i]);
  }
  free(res[0]);
  free(res[1]);
  free(hx);
}

static void check_sum(layout_t lx, uint32_t ndims, const int64_t *dims, const char *what) {
  check_red(false, lx, ndims, dims, what);
  check_red(true, lx, ndims, dims, what);
}

Test(vulkan_texel_paths, sum_and_mean) {
  int64_t sizes[] = {1, 3, 4, 5, 255, 256, 257, 1023, 1024, 65537, 300001};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; ++i) {
    check_sum(L1(sizes[i], 0), 0, NULL, "sum of all");
    check_sum(L1(sizes[i], 4), 0, NULL, "sum of all, offset in vec4s");
    check_sum(L1(sizes[i], 3), 0, NULL, "sum of all, odd offset");
  }
  int64_t d1[1] = {1}, d0[1] = {0}, d12[2] = {1, 2};
  check_sum(L2(37, 1030, 1032, 1, 4, 37 * 1032 + 4), 1, d1, "row sums, gapped rows");
  check_sum(L2(37, 1030, 1030, 1, 0, 37 * 1030), 1, d1, "row sums, rows not in vec4s");
  check_sum(L2(37, 1030, 1030, 1, 0, 37 * 1030), 1, d0, "column sums");
  check_sum(((layout_t){3, {6, 5, 260}, {1300, 260, 1}, 0, 6 * 1300}), 2, d12, "sum of inner dims");
  check_sum(((layout_t){3, {6, 5, 260}, {1300, 260, 1}, 0, 6 * 1300}), 1, d1, "sum of a middle dim");
  check_sum(L2(5, 200000, 200000, 1, 0, 5 * 200000), 1, d1, "long rows");
}

/* layer_norm (rms false) or rms_norm over the last `kd` dims of a view on
 * vulkan:0 against ref:0 (statistics in double): y, mean and rstd within
 * (M + 6) eps relative, as conformance allows. */
static void check_norm(bool rms, layout_t lx, int32_t kd, bool affine, layout_t ly, const char *what) {
  const char *names[2] = {"vulkan:0", "ref:0"};
  float *res[2][3];
  int64_t nout[3] = {0, 0, 0};
  float *hx = data(lx.storage, 11), *hw = data(64 * 1024, 12), *hy = data(ly.storage, 13);
  int64_t m = 1;
  for (int32_t i = lx.ndim - kd; i < lx.ndim; ++i) m *= lx.shape[i];
  int64_t stat[3];
  for (int32_t i = 0; i < lx.ndim; ++i) stat[i] = i < lx.ndim - kd ? lx.shape[i] : 1;
  int64_t norm_shape[3];
  memcpy(norm_shape, lx.shape + lx.ndim - kd, (size_t)kd * sizeof *norm_shape);
  uint32_t id = 0;
  cr_assert_eq(bp_op_find(rms ? "rms_norm" : "layer_norm", &id), BP_STATUS_OK);
  for (int k = 0; k < 2; ++k) {
    bp_device_t *d = dev(names[k]);
    bp_tensor_t *x = view(d, hx, lx.storage, lx.ndim, lx.shape, lx.strides, lx.offset);
    bp_tensor_t *y = view(d, hy, ly.storage, ly.ndim, ly.shape, ly.strides, ly.offset);
    bp_tensor_t *w = NULL, *b = NULL, *mean = NULL, *rstd = NULL;
    cr_assert_eq(bp_tensor_create_from_host(d, BP_DTYPE_F32, kd, norm_shape, hw, (size_t)m * 4, &w), BP_STATUS_OK);
    cr_assert_eq(bp_tensor_create_from_host(d, BP_DTYPE_F32, kd, norm_shape, hw + m, (size_t)m * 4, &b),
                 BP_STATUS_OK);
    cr_assert_eq(bp_tensor_create(d, BP_DTYPE_F32, lx.ndim, stat, &mean), BP_STATUS_OK);
    cr_assert_eq(bp_tensor_create(d, BP_DTYPE_F32, lx.ndim, stat, &rstd), BP_STATUS_OK);
    bp_attr_t attrs[4] = {
        {.struct_size = sizeof(bp_attr_t), .name = "normalized_shape", .type = BP_ATTR_INTS, .count = (uint32_t)kd,
         .value.ints = norm_shape},
        {.struct_size = sizeof(bp_attr_t), .name = "has_weight", .type = BP_ATTR_BOOL, .value.b = affine},
        {.struct_size = sizeof(bp_attr_t), .name = "has_bias", .type = BP_ATTR_BOOL, .value.b = affine},
        {.struct_size = sizeof(bp_attr_t), .name = "eps", .type = BP_ATTR_FLOAT, .value.f = 1e-3}};
    bp_status_t s;
    if (rms) {
      bp_tensor_t *in[2] = {x, w}, *out[2] = {y, rstd};
      s = bp_op_run(id, 2, in, 2, attrs, 2, out);
    } else {
      bp_tensor_t *in[3] = {x, w, b}, *out[3] = {y, mean, rstd};
      s = bp_op_run(id, 3, in, 4, attrs, 3, out);
    }
    cr_assert_eq(s, BP_STATUS_OK, "%s on %s: %s", what, names[k], bp_last_error());
    bp_tensor_t *outs[3] = {y, mean, rstd};
    for (int j = 0; j < 3; ++j) {
      nout[j] = bp_tensor_numel(outs[j]);
      res[k][j] = to_host(outs[j]);
    }
    bp_tensor_release(x);
    bp_tensor_release(y);
    bp_tensor_release(w);
    bp_tensor_release(b);
    bp_tensor_release(mean);
    bp_tensor_release(rstd);
  }
  double tol = ((double)m + 6.0) * FLT_EPSILON;
  for (int j = 0; j < 3; ++j) {
    if (rms && j == 1) continue;
    for (int64_t i = 0; i < nout[j]; ++i) {
      double e = res[1][j][i], g = res[0][j][i];
      cr_assert(fabs(g - e) <= tol * (1.0 + fabs(e)), "%s: output %d element %lld: vulkan %.9g, ref %.9g", what, j,
                (long long)i, g, e);
    }
  }
  for (int k = 0; k < 2; ++k)
    for (int j = 0; j < 3; ++j) free(res[k][j]);
  free(hx);
  free(hw);
  free(hy);
}

Test(vulkan_texel_paths, layer_norm_and_rms_norm) {
  for (int rms = 0; rms < 2; ++rms) {
    check_norm(rms, L2(37, 64, 64, 1, 0, 37 * 64), 1, true, L2(37, 64, 64, 1, 0, 37 * 64), "rows of 64");
    check_norm(rms, L2(37, 64, 64, 1, 0, 37 * 64), 1, false, L2(37, 64, 64, 1, 0, 37 * 64), "no weight");
    check_norm(rms, L2(9, 1028, 1036, 1, 4, 9 * 1036 + 4), 1, true, L2(9, 1028, 1032, 1, 8, 9 * 1032 + 8),
               "gapped rows");
    check_norm(rms, L2(37, 6, 6, 1, 0, 37 * 6), 1, true, L2(37, 6, 6, 1, 0, 37 * 6), "rows of 6");
    check_norm(rms, L2(37, 64, 66, 1, 0, 37 * 66), 1, true, L2(37, 64, 64, 1, 0, 37 * 64), "rows not on vec4s");
    check_norm(rms, L2(37, 64, 1, 37, 0, 37 * 64), 1, true, L2(37, 64, 64, 1, 0, 37 * 64), "transposed");
    check_norm(rms, ((layout_t){3, {5, 3, 8}, {24, 8, 1}, 0, 120}), 2, true,
               ((layout_t){3, {5, 3, 8}, {24, 8, 1}, 0, 120}), "two normalized dims");
    check_norm(rms, ((layout_t){3, {2, 3, 8}, {32, 8, 1}, 0, 64}), 1, true,
               ((layout_t){3, {2, 3, 8}, {24, 8, 1}, 0, 48}), "two leading dims that do not merge");
  }
}

/* softmax / log_softmax along `dim` of a view on vulkan:0 against ref:0:
 * within (M + 6) eps relative, as conformance allows. */
static void check_softmax(bool log, layout_t lx, int64_t dim, layout_t ly, const char *what) {
  const char *names[2] = {"vulkan:0", "ref:0"};
  float *res[2];
  float *hx = data(lx.storage, 21), *hy = data(ly.storage, 22);
  if (lx.storage > 10) hx[lx.offset + 5] = 40.0f; /* a large term: exp(x - max) matters */
  uint32_t id = 0;
  cr_assert_eq(bp_op_find(log ? "log_softmax" : "softmax", &id), BP_STATUS_OK);
  bp_attr_t attr = {.struct_size = sizeof(bp_attr_t), .name = "dim", .type = BP_ATTR_INT, .value.i = dim};
  int64_t n = 0;
  for (int k = 0; k < 2; ++k) {
    bp_device_t *d = dev(names[k]);
    bp_tensor_t *x = view(d, hx, lx.storage, lx.ndim, lx.shape, lx.strides, lx.offset);
    bp_tensor_t *y = view(d, hy, ly.storage, ly.ndim, ly.shape, ly.strides, ly.offset);
    cr_assert_eq(bp_op_run(id, 1, &x, 1, &attr, 1, &y), BP_STATUS_OK, "%s on %s: %s", what, names[k],
                 bp_last_error());
    n = bp_tensor_numel(y);
    res[k] = to_host(y);
    bp_tensor_release(x);
    bp_tensor_release(y);
  }
  double tol = ((double)lx.shape[dim] + 6.0) * FLT_EPSILON;
  for (int64_t i = 0; i < n; ++i) {
    double e = res[1][i], g = res[0][i];
    cr_assert(fabs(g - e) <= tol * (1.0 + fabs(e)), "%s: element %lld: vulkan %.9g, ref %.9g", what, (long long)i,
              g, e);
  }
  free(res[0]);
  free(res[1]);
  free(hx);
  free(hy);
}

Test(vulkan_texel_paths, softmax_and_log_softmax) {
  for (int log = 0; log < 2; ++log) {
    check_softmax(log, L2(37, 64, 64, 1, 0, 37 * 64), 1, L2(37, 64, 64, 1, 0, 37 * 64), "rows of 64");
    check_softmax(log, L2(9, 1028, 1036, 1, 4, 9 * 1036 + 4), 1, L2(9, 1028, 1032, 1, 8, 9 * 1032 + 8),
                  "gapped rows");
    check_softmax(log, L2(37, 6, 6, 1, 0, 37 * 6), 1, L2(37, 6, 6, 1, 0, 37 * 6), "rows of 6");
    check_softmax(log, L2(37, 64, 64, 1, 0, 37 * 64), 0, L2(37, 64, 64, 1, 0, 37 * 64), "along dim 0");
    check_softmax(log, ((layout_t){3, {2, 3, 8}, {32, 8, 1}, 0, 64}), 2, ((layout_t){3, {2, 3, 8}, {24, 8, 1}, 0, 48}),
                  "leading dims that do not merge");
    check_softmax(log, ((layout_t){3, {2, 3, 8}, {24, 8, 1}, 4, 52}), 2, ((layout_t){3, {2, 3, 8}, {24, 8, 1}, 0, 48}),
                  "three dims");
  }
}

/* dst = src (bp_copy, one 4-byte dtype) on vulkan:0 and ref:0 from random
 * bits (NaN payloads included): bit-identical. */
static void check_copy(bp_dtype_t dt, layout_t ls, layout_t ld, const char *what) {
  const char *names[2] = {"vulkan:0", "ref:0"};
  uint32_t *res[2];
  uint32_t *hs = (uint32_t *)data(ls.storage, 31), *hd = (uint32_t *)data(ld.storage, 32);
  for (int64_t i = 0; i < ls.storage; ++i) hs[i] = hs[i] * 2654435761u ^ (uint32_t)i; /* any bits */
  int64_t n = 0;
  for (int k = 0; k < 2; ++k) {
    bp_device_t *d = dev(names[k]);
    bp_tensor_t *bs = NULL, *bd = NULL, *s = NULL, *t = NULL;
    cr_assert_eq(bp_tensor_create_from_host(d, dt, 1, &ls.storage, hs, (size_t)ls.storage * 4, &bs), BP_STATUS_OK);
    cr_assert_eq(bp_tensor_create_from_host(d, dt, 1, &ld.storage, hd, (size_t)ld.storage * 4, &bd), BP_STATUS_OK);
    cr_assert_eq(bp_tensor_as_strided(bs, ls.ndim, ls.shape, ls.strides, ls.offset, &s), BP_STATUS_OK);
    cr_assert_eq(bp_tensor_as_strided(bd, ld.ndim, ld.shape, ld.strides, ld.offset, &t), BP_STATUS_OK);
    cr_assert_eq(bp_copy(t, s), BP_STATUS_OK, "%s on %s: %s", what, names[k], bp_last_error());
    n = bp_tensor_numel(bd);
    res[k] = malloc((size_t)n * 4);
    cr_assert(res[k]);
    cr_assert_eq(bp_tensor_copy_to_host(bd, res[k], (size_t)n * 4), BP_STATUS_OK);
    bp_tensor_release(s);
    bp_tensor_release(t);
    bp_tensor_release(bs);
    bp_tensor_release(bd);
  }
  for (int64_t i = 0; i < n; ++i)
    cr_assert_eq(res[0][i], res[1][i], "%s: word %lld: vulkan %08x, ref %08x", what, (long long)i, res[0][i],
                 res[1][i]);
  free(res[0]);
  free(res[1]);
  free(hs);
  free(hd);
}

Test(vulkan_texel_paths, raw_copy) {
  bp_dtype_t dts[2] = {BP_DTYPE_F32, BP_DTYPE_I32};
  for (int i = 0; i < 2; ++i) {
    bp_dtype_t dt = dts[i];
    check_copy(dt, L1(1001, 0), L1(1001, 4), "1-d");
    check_copy(dt, L1(1001, 3), L1(1001, 0), "1-d, odd source offset");
    check_copy(dt, L1(1001, 0), L1(1001, 1), "1-d, odd destination offset");
    check_copy(dt, L2(33, 64, 1, 33, 0, 33 * 64), L2(33, 64, 64, 1, 0, 33 * 64), "transposed source");
    check_copy(dt, L2(33, 64, 0, 1, 8, 72), L2(33, 64, 68, 1, 4, 68 * 33 + 4), "broadcast rows, gapped");
    check_copy(dt, L2(33, 64, 1, 0, 2, 40), L2(33, 64, 64, 1, 0, 33 * 64), "broadcast columns");
    check_copy(dt, L2(33, 6, 6, 1, 0, 33 * 6), L2(33, 6, 8, 1, 0, 33 * 8), "rows of 6");
  }
}

/* bp_fill of a view of `n` elements at element `off` of a fresh storage of
 * n + off + 3 elements on vulkan:0 and ref:0: every byte of the storage
 * identical (dense word-aligned fills take the driver's buffer fill, the
 * rest the shader; neither may touch the bytes around). */
static void check_fill(bp_dtype_t dt, int64_t n, int64_t off, double v, const char *what) {
  const char *names[2] = {"vulkan:0", "ref:0"};
  size_t es = bp_abi_dtype_size(dt);
  int64_t storage = n + off + 3;
  size_t bytes = (size_t)storage * es;
  unsigned char *res[2], *init = malloc(bytes);
  cr_assert(init);
  memset(init, 0x5a, bytes);
  for (int k = 0; k < 2; ++k) {
    bp_device_t *d = dev(names[k]);
    bp_tensor_t *base = NULL, *t = NULL;
    int64_t one = 1;
    cr_assert_eq(bp_tensor_create_from_host(d, dt, 1, &storage, init, bytes, &base), BP_STATUS_OK);
    cr_assert_eq(bp_tensor_as_strided(base, 1, &n, &one, off, &t), BP_STATUS_OK);
    cr_assert_eq(bp_fill(t, v), BP_STATUS_OK, "%s on %s: %s", what, names[k], bp_last_error());
    res[k] = malloc(bytes);
    cr_assert(res[k]);
    cr_assert_eq(bp_tensor_copy_to_host(base, res[k], bytes), BP_STATUS_OK);
    bp_tensor_release(t);
    bp_tensor_release(base);
  }
  for (size_t i = 0; i < bytes; ++i)
    cr_assert_eq(res[0][i], res[1][i], "%s: byte %zu: vulkan %02x, ref %02x", what, i, res[0][i], res[1][i]);
  free(res[0]);
  free(res[1]);
  free(init);
}

Test(vulkan_texel_paths, fill) {
  check_fill(BP_DTYPE_F32, 1001, 0, 1.5, "f32");
  check_fill(BP_DTYPE_F32, 1001, 3, -2.0, "f32 at an odd offset");
  check_fill(BP_DTYPE_U8, 1000, 4, 7, "u8, whole words");
  check_fill(BP_DTYPE_U8, 1001, 4, 7, "u8, a partial word");
  check_fill(BP_DTYPE_U8, 1000, 1, 7, "u8, off a word");
  check_fill(BP_DTYPE_BF16, 1000, 2, 3.25, "bf16, whole words");
  check_fill(BP_DTYPE_F16, 1000, 1, 3.25, "f16, off a word");
  check_fill(BP_DTYPE_F64, 1000, 1, 0.0, "f64 zeros");
  check_fill(BP_DTYPE_F64, 1000, 1, 1.5, "f64 with unequal halves");
  check_fill(BP_DTYPE_I64, 1000, 0, -1, "i64 -1");
}

/* out = op(a, b) for a comparison, or op(a) for a predicate (nin 1), bool
 * out, on vulkan:0 and ref:0, a and b with a few NaNs, infinities, zeros
 * and ties: every byte of out's storage identical. */
static void check_cmp_n(const char *op, uint32_t nin, layout_t la, layout_t lb, layout_t lo, const char *what) {
  const char *names[2] = {"vulkan:0", "ref:0"};
  unsigned char *res[2];
  float *ha = data(la.storage, 41), *hb = data(lb.storage, 42);
  for (int64_t i = 0; i < la.storage; i += 7) ha[i] = NAN;
  for (int64_t i = 3; i < la.storage; i += 11) ha[i] = i % 2 ? INFINITY : -INFINITY;
  for (int64_t i = 2; i < la.storage; i += 13) ha[i] = i % 2 ? 0.0f : -0.0f;
  for (int64_t i = 0; i < lb.storage && i < la.storage; i += 5) hb[i] = ha[i];
  unsigned char *ho = malloc((size_t)lo.storage);
  cr_assert(ho);
  memset(ho, 0x5a, (size_t)lo.storage);
  uint32_t id = 0;
  cr_assert_eq(bp_op_find(op, &id), BP_STATUS_OK);
  for (int k = 0; k < 2; ++k) {
    bp_device_t *d = dev(names[k]);
    bp_tensor_t *a = view(d, ha, la.storage, la.ndim, la.shape, la.strides, la.offset);
    bp_tensor_t *b = view(d, hb, lb.storage, lb.ndim, lb.shape, lb.strides, lb.offset);
    bp_tensor_t *base = NULL, *o = NULL;
    cr_assert_eq(bp_tensor_create_from_host(d, BP_DTYPE_BOOL, 1, &lo.storage, ho, (size_t)lo.storage, &base),
                 BP_STATUS_OK);
    cr_assert_eq(bp_tensor_as_strided(base, lo.ndim, lo.shape, lo.strides, lo.offset, &o), BP_STATUS_OK);
    bp_tensor_t *in[2] = {a, b};
    cr_assert_eq(bp_op_run(id, nin, in, 0, NULL, 1, &o), BP_STATUS_OK, "%s %s on %s: %s", op, what, names[k],
                 bp_last_error());
    res[k] = malloc((size_t)lo.storage);
    cr_assert(res[k]);
    cr_assert_eq(bp_tensor_copy_to_host(base, res[k], (size_t)lo.storage), BP_STATUS_OK);
    bp_tensor_release(a);
    bp_tensor_release(b);
    bp_tensor_release(o);
    bp_tensor_release(base);
  }
  for (int64_t i = 0; i < lo.storage; ++i)
    cr_assert_eq(res[0][i], res[1][i], "%s %s: byte %lld: vulkan %u, ref %u", op, what, (long long)i, res[0][i],
                 res[1][i]);
  free(res[0]);
  free(res[1]);
  free(ha);
  free(hb);
  free(ho);
}

static void check_cmp(const char *op, layout_t la, layout_t lb, layout_t lo, const char *what) {
  check_cmp_n(op, 2, la, lb, lo, what);
}

Test(vulkan_texel_paths, predicates) {
  const char *ops[] = {"isnan", "isinf", "logical_not"};
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; ++i) {
    check_cmp_n(ops[i], 1, L1(1001, 0), L1(1, 0), L1(1001, 0), "1-d");
    check_cmp_n(ops[i], 1, L1(1001, 1), L1(1, 0), L1(1001, 4), "1-d, offsets");
    check_cmp_n(ops[i], 1, L1(1001, 0), L1(1, 0), L1(1001, 1), "1-d, out off a word");
    check_cmp_n(ops[i], 1, L2(33, 64, 1, 33, 0, 33 * 64), L1(1, 0), L2(33, 64, 68, 1, 4, 68 * 33 + 4),
                "transposed, gapped out");
  }
}

Test(vulkan_texel_paths, comparisons) {
  const char *ops[] = {"eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor"};
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; ++i) {
    check_cmp(ops[i], L1(1001, 0), L1(1001, 0), L1(1001, 0), "1-d");
    check_cmp(ops[i], L1(1001, 4), L1(1001, 1), L1(1001, 8), "1-d, offsets");
    check_cmp(ops[i], L1(1001, 0), L1(1001, 0), L1(1001, 3), "1-d, out off a word");
    check_cmp(ops[i], L2(33, 64, 64, 1, 0, 33 * 64), L2(33, 64, 0, 1, 0, 64), L2(33, 64, 68, 1, 4, 68 * 33 + 4),
              "row broadcast, gapped out");
    check_cmp(ops[i], L2(33, 64, 1, 33, 0, 33 * 64), L2(33, 64, 1, 0, 0, 33), L2(33, 64, 64, 1, 0, 33 * 64),
              "transposed, column broadcast");
  }
}

/* softmax_backward / log_softmax_backward along `dim`: grad_output and
 * output of layout lx, grad_input of layout ly, on vulkan:0 and ref:0:
 * within (M + 6) eps relative to the sum of magnitudes. */
static void check_softmax_bw(bool log, layout_t lx, int64_t dim, layout_t ly, const char *what) {
  const char *names[2] = {"vulkan:0", "ref:0"};
  float *res[2];
  float *hg = data(lx.storage, 51), *hy = data(lx.storage, 52), *ho = data(ly.storage, 53);
  for (int64_t i = 0; i < lx.storage; ++i) hy[i] = log ? hy[i] - 3.0f : (hy[i] + 2.0f) / 4.0f;
  uint32_t id = 0;
  cr_assert_eq(bp_op_find(log ? "log_softmax_backward" : "softmax_backward", &id), BP_STATUS_OK);
  bp_attr_t attr = {.struct_size = sizeof(bp_attr_t), .name = "dim", .type = BP_ATTR_INT, .value.i = dim};
  int64_t n = 0;
  for (int k = 0; k < 2; ++k) {
    bp_device_t *d = dev(names[k]);
    bp_tensor_t *g = view(d, hg, lx.storage, lx.ndim, lx.shape, lx.strides, lx.offset);
    bp_tensor_t *y = view(d, hy, lx.storage, lx.ndim, lx.shape, lx.strides, lx.offset);
    bp_tensor_t *o = view(d, ho, ly.storage, ly.ndim, ly.shape, ly.strides, ly.offset);
    bp_tensor_t *in[2] = {g, y};
    cr_assert_eq(bp_op_run(id, 2, in, 1, &attr, 1, &o), BP_STATUS_OK, "%s on %s: %s", what, names[k],
                 bp_last_error());
    n = bp_tensor_numel(o);
    res[k] = to_host(o);
    bp_tensor_release(g);
    bp_tensor_release(y);
    bp_tensor_release(o);
  }
  double tol = ((double)lx.shape[dim] + 6.0) * FLT_EPSILON * 4.0 * (double)lx.shape[dim];
  for (int64_t i = 0; i < n; ++i) {
    double e = res[1][i], g = res[0][i];
    cr_assert(fabs(g - e) <= tol, "%s: element %lld: vulkan %.9g, ref %.9g", what, (long long)i, g, e);
  }
  free(res[0]);
  free(res[1]);
  free(hg);
  free(hy);
  free(ho);
}

Test(vulkan_texel_paths, softmax_backward) {
  for (int log = 0; log < 2; ++log) {
    check_softmax_bw(log, L2(37, 64, 64, 1, 0, 37 * 64), 1, L2(37, 64, 64, 1, 0, 37 * 64), "rows of 64");
    check_softmax_bw(log, L2(9, 1028, 1036, 1, 4, 9 * 1036 + 4), 1, L2(9, 1028, 1032, 1, 8, 9 * 1032 + 8),
                     "gapped rows");
    check_softmax_bw(log, L2(37, 6, 6, 1, 0, 37 * 6), 1, L2(37, 6, 6, 1, 0, 37 * 6), "rows of 6");
    check_softmax_bw(log, L2(37, 64, 64, 1, 0, 37 * 64), 0, L2(37, 64, 64, 1, 0, 37 * 64), "along dim 0");
  }
}

/* sgd_step (adam false: momentum 0.9, weight decay, nesterov) or
 * adamw_step on n f32 elements at element offset `off` of their storages,
 * in place (outputs = inputs) or not; returns every output's n values. */
static float *run_optim(const char *devname, bool adam, int64_t n, int64_t off, bool in_place, int64_t step) {
  bp_device_t *d = dev(devname);
  int nin = adam ? 4 : 3, nout = adam ? 3 : 2;
  int64_t storage = n + off, one = 1;
  bp_tensor_t *in[4], *out[3], *bases[7];
  for (int k = 0; k < nin + nout; ++k) {
    float *vals = data(n, 61 + (uint32_t)(k < nin ? k : k - nin + 1)), *h = data(storage, 60);
    for (int64_t i = 0; i < n; ++i) h[off + i] = k == 3 && adam ? vals[i] * vals[i] : vals[i]; /* exp_avg_sq >= 0 */
    free(vals);
    cr_assert_eq(bp_tensor_create_from_host(d, BP_DTYPE_F32, 1, &storage, h, (size_t)storage * 4, &bases[k]),
                 BP_STATUS_OK);
    free(h);
    bp_tensor_t *v = NULL;
    cr_assert_eq(bp_tensor_as_strided(bases[k], 1, &n, &one, off, &v), BP_STATUS_OK);
    if (k < nin) in[k] = v;
    else out[k - nin] = v;
  }
  if (in_place) {
    for (int k = 0; k < nout; ++k) {
      bp_tensor_release(out[k]);
      out[k] = bp_tensor_retain(in[k == 0 ? 0 : k + 1]);
    }
  }
  uint32_t id = 0;
  cr_assert_eq(bp_op_find(adam ? "adamw_step" : "sgd_step", &id), BP_STATUS_OK);
  bp_attr_t attrs[5] = {
      {.struct_size = sizeof(bp_attr_t), .name = "lr", .type = BP_ATTR_FLOAT, .value.f = 0.01},
      {.struct_size = sizeof(bp_attr_t), .name = "weight_decay", .type = BP_ATTR_FLOAT, .value.f = 0.05},
      {.struct_size = sizeof(bp_attr_t), .name = "step", .type = BP_ATTR_INT, .value.i = step},
      {.struct_size = sizeof(bp_attr_t), .name = "momentum", .type = BP_ATTR_FLOAT, .value.f = 0.9},
      {.struct_size = sizeof(bp_attr_t), .name = "nesterov", .type = BP_ATTR_BOOL, .value.b = true}};
  cr_assert_eq(bp_op_run(id, (uint32_t)nin, in, adam ? 3 : 5, attrs, (uint32_t)nout, out), BP_STATUS_OK,
               "%s on %s: %s", adam ? "adamw_step" : "sgd_step", devname, bp_last_error());
  float *res = malloc((size_t)(n * nout) * 4);
  cr_assert(res);
  for (int k = 0; k < nout; ++k)
    cr_assert_eq(bp_tensor_copy_to_host(out[k], res + k * n, (size_t)n * 4), BP_STATUS_OK);
  for (int k = 0; k < nin; ++k) bp_tensor_release(in[k]);
  for (int k = 0; k < nout; ++k) bp_tensor_release(out[k]);
  for (int k = 0; k < nin + nout; ++k) bp_tensor_release(bases[k]);
  return res;
}

/* vulkan:0 at a vec4 offset (the vec4 variant on CPU devices) and at an
 * odd one (the general shader) give the same bits (the same f32
 * operations); both within 16 eps of ref:0 (which rounds fewer times), as
 * conformance's k-term relative rule allows. */
static void check_optim(bool adam, int64_t n, bool in_place, int64_t step) {
  int nout = adam ? 3 : 2;
  float *v4 = run_optim("vulkan:0", adam, n, 4, in_place, step), *v1 = run_optim("vulkan:0", adam, n, 1, in_place, step);
  float *r = run_optim("ref:0", adam, n, 4, in_place, step);
  for (int64_t i = 0; i < n * nout; ++i) {
    cr_assert(memcmp(&v4[i], &v1[i], 4) == 0, "%s n %lld: value %lld: vec4 %.9g, general %.9g",
              adam ? "adamw" : "sgd", (long long)n, (long long)i, (double)v4[i], (double)v1[i]);
    cr_assert(fabs((double)v4[i] - (double)r[i]) <= 16 * FLT_EPSILON * (fabs((double)r[i]) + 1.0),
              "%s n %lld: value %lld: vulkan %.9g, ref %.9g", adam ? "adamw" : "sgd", (long long)n, (long long)i,
              (double)v4[i], (double)r[i]);
  }
  free(v4);
  free(v1);
  free(r);
}

Test(vulkan_texel_paths, optimizers) {
  for (int adam = 0; adam < 2; ++adam) {
    check_optim(adam, 1000, false, 1);
    check_optim(adam, 1000, true, 3);
    check_optim(adam, 1001, true, 2);
    check_optim(adam, 4, false, 5);
  }
}

/* gelu_backward of n values at element offset `off` of fresh storages. */
static float *run_gelu_bw(const char *devname, int64_t n, int64_t off, int64_t approximate) {
  bp_device_t *d = dev(devname);
  int64_t storage = n + off, one = 1;
  bp_tensor_t *t[3], *bases[3];
  for (int k = 0; k < 3; ++k) {
    float *vals = data(n, 71 + (uint32_t)k), *h = data(storage, 70);
    for (int64_t i = 0; i < n; ++i) h[off + i] = vals[i] * 2.0f;
    free(vals);
    cr_assert_eq(bp_tensor_create_from_host(d, BP_DTYPE_F32, 1, &storage, h, (size_t)storage * 4, &bases[k]),
                 BP_STATUS_OK);
    free(h);
    cr_assert_eq(bp_tensor_as_strided(bases[k], 1, &n, &one, off, &t[k]), BP_STATUS_OK);
  }
  uint32_t id = 0;
  cr_assert_eq(bp_op_find("gelu_backward", &id), BP_STATUS_OK);
  bp_attr_t attr = {.struct_size = sizeof(bp_attr_t), .name = "approximate", .type = BP_ATTR_INT,
                    .value.i = approximate};
  cr_assert_eq(bp_op_run(id, 2, t, 1, &attr, 1, &t[2]), BP_STATUS_OK, "gelu_backward on %s: %s", devname,
               bp_last_error());
  float *res = to_host(t[2]);
  for (int k = 0; k < 3; ++k) {
    bp_tensor_release(t[k]);
    bp_tensor_release(bases[k]);
  }
  return res;
}

Test(vulkan_texel_paths, gelu_backward) {
  for (int64_t approx = 0; approx < 2; ++approx) {
    int64_t n = 1003;
    float *v4 = run_gelu_bw("vulkan:0", n, 4, approx), *v1 = run_gelu_bw("vulkan:0", n, 1, approx);
    float *r = run_gelu_bw("ref:0", n, 4, approx);
    for (int64_t i = 0; i < n; ++i) {
      cr_assert(memcmp(&v4[i], &v1[i], 4) == 0, "approximate %lld: element %lld: vec4 %.9g, general %.9g",
                (long long)approx, (long long)i, (double)v4[i], (double)v1[i]);
      /* a sanity bound only: lavapipe's tanh is ~1e-4 off (the general
       * shader's results are the same bits, checked above) */
      cr_assert(fabs((double)v4[i] - (double)r[i]) <= 1e-3 * (fabs((double)r[i]) + 0.01),
                "approximate %lld: element %lld: vulkan %.9g, ref %.9g", (long long)approx, (long long)i,
                (double)v4[i], (double)r[i]);
    }
    free(v4);
    free(v1);
    free(r);
  }
}
