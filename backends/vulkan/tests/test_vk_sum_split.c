/* test_vk_sum_split.c - sums of many terms into few outputs take the split
 * path on vulkan:0 (partial sums per work group in a scratch buffer, then a
 * second pass; src/bp_vk_kernels.c k_sum_split). Its result must match
 * ref:0: exactly for i64, within the sum's rounding for f32/f64, per row
 * (3 outputs) and over everything (1 output). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backplane/backplane.h"

#define ROWS 3
#define COLS 70001 /* 70001 terms per row: above the split threshold */

static bp_device_t *dev(const char *name) {
  bp_device_t *d = NULL;
  cr_assert_eq(bp_device_get(name, &d), BP_STATUS_OK, "%s", bp_last_error());
  return d;
}

/* sum over dims (NULL: all) of the same data on vulkan:0 and ref:0. */
static void compare(bp_dtype_t dt, const void *data, size_t esize, uint32_t ndims, const int64_t *dims) {
  int64_t shape[2] = {ROWS, COLS};
  double got[ROWS], want[ROWS];
  int64_t got_i[ROWS], want_i[ROWS];
  for (int which = 0; which < 2; ++which) {
    bp_tensor_t *x = NULL, *s = NULL;
    cr_assert_eq(bp_tensor_create_from_host(dev(which ? "ref:0" : "vulkan:0"), dt, 2, shape, data,
                                            (size_t)ROWS * COLS * esize, &x),
                 BP_STATUS_OK, "%s", bp_last_error());
    cr_assert_eq(bp_sum(x, ndims, dims, 0, &s), BP_STATUS_OK, "%s", bp_last_error());
    size_t n = ndims ? ROWS : 1;
    void *dst = dt == BP_DTYPE_I64 ? (void *)(which ? want_i : got_i) : (void *)(which ? want : got);
    if (dt == BP_DTYPE_F32) {
      float tmp[ROWS];
      cr_assert_eq(bp_tensor_copy_to_host(s, tmp, n * 4), BP_STATUS_OK, "%s", bp_last_error());
      for (size_t i = 0; i < n; ++i) ((double *)dst)[i] = tmp[i];
    } else {
      cr_assert_eq(bp_tensor_copy_to_host(s, dst, n * 8), BP_STATUS_OK, "%s", bp_last_error());
    }
    bp_tensor_release(s);
    bp_tensor_release(x);
  }
  size_t n = ndims ? ROWS : 1;
  for (size_t i = 0; i < n; ++i) {
    if (dt == BP_DTYPE_I64) {
      cr_assert_eq(got_i[i], want_i[i], "i64 sum %zu: %lld vs %lld", i, (long long)got_i[i],
                   (long long)want_i[i]);
    } else {
      double tol = (dt == BP_DTYPE_F32 ? 1e-6 : 1e-14) * (double)COLS * ROWS;
      cr_assert(fabs(got[i] - want[i]) <= tol * (1.0 + fabs(want[i])), "sum %zu: %.17g vs %.17g", i, got[i],
                want[i]);
    }
  }
}

Test(vulkan_sum_split, f32_f64_i64_rows_and_all) {
  size_t n = (size_t)ROWS * COLS;
  float *f = malloc(n * sizeof *f);
  double *g = malloc(n * sizeof *g);
  int64_t *k = malloc(n * sizeof *k);
  cr_assert(f && g && k);
  uint32_t r = 12345u;
  for (size_t i = 0; i < n; ++i) {
    r = r * 1664525u + 1013904223u;
    f[i] = (float)((r >> 8) % 2001) / 1000.0f - 1.0f + (float)(i / COLS); /* rows differ */
    g[i] = f[i];
    k[i] = (int64_t)(r >> 4) - (1 << 27);
  }
  int64_t dim1[1] = {1};
  compare(BP_DTYPE_F32, f, 4, 1, dim1);
  compare(BP_DTYPE_F32, f, 4, 0, NULL);
  compare(BP_DTYPE_F64, g, 8, 1, dim1);
  compare(BP_DTYPE_F64, g, 8, 0, NULL);
  compare(BP_DTYPE_I64, k, 8, 1, dim1);
  compare(BP_DTYPE_I64, k, 8, 0, NULL);
  free(f);
  free(g);
  free(k);
}
