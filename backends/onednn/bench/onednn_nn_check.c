/* onednn_nn_check.c - conv2d, softmax and log_softmax on onednn:0 against
 * ref:0 (the conformance suite has no generator for these ops yet).
 * Exit status 0 when every result is within 1e-4 relative of the reference. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "backplane/backplane.h"
#include "backplane/bp_ops_nn.h"
#include "backplane/bp_ops_nn2.h"

#define CK(e) do { if ((e)) { fprintf(stderr, "%s: %s\n", #e, bp_last_error()); exit(1); } } while (0)

static bp_tensor_t *rnd(bp_device_t *d, int nd, const int64_t *shape, unsigned seed) {
  int64_t n = 1;
  for (int i = 0; i < nd; ++i) n *= shape[i];
  float *v = malloc((size_t)n * 4);
  srand(seed);
  for (int64_t i = 0; i < n; ++i) v[i] = (float)rand() / RAND_MAX * 2 - 1;
  bp_tensor_t *t;
  CK(bp_tensor_create_from_host(d, BP_DTYPE_F32, nd, shape, v, (size_t)n * 4, &t));
  free(v);
  return t;
}

static int compare(const char *name, bp_tensor_t *a, bp_tensor_t *b, int64_t n) {
  float *x = malloc((size_t)n * 4), *y = malloc((size_t)n * 4);
  CK(bp_tensor_copy_to_host(a, x, (size_t)n * 4));
  CK(bp_tensor_copy_to_host(b, y, (size_t)n * 4));
  double worst = 0;
  for (int64_t i = 0; i < n; ++i) {
    double e = fabs(x[i] - y[i]) / (1e-3 + fabs(y[i]));
    if (!(e <= worst)) worst = e;
  }
  printf("%-40s max rel err %.3g %s\n", name, worst, worst < 1e-4 ? "ok" : "FAIL");
  free(x); free(y);
  return worst < 1e-4 ? 0 : 1;
}

int main(void) {
  CK(bp_init());
  bp_device_t *ref, *dev;
  CK(bp_device_get("ref:0", &ref));
  CK(bp_device_get("onednn:0", &dev));
  int bad = 0;
  bp_stats_t s0, s1;
  bp_stats_get(&s0);
  struct { int64_t n, c, h, w, o, k, stride, pad, groups; } cs[] = {
      {2, 3, 9, 7, 4, 3, 1, 1, 1}, {1, 4, 8, 8, 6, 3, 2, 0, 2}, {2, 8, 5, 6, 8, 1, 1, 0, 8}};
  for (int i = 0; i < 3; ++i) {
    int64_t xs[4] = {cs[i].n, cs[i].c, cs[i].h, cs[i].w};
    int64_t ws[4] = {cs[i].o, cs[i].c / cs[i].groups, cs[i].k, cs[i].k}, bs[1] = {cs[i].o};
    bp_tensor_t *x = rnd(ref, 4, xs, 1), *w = rnd(ref, 4, ws, 2), *b = rnd(ref, 1, bs, 3);
    bp_tensor_t *xd, *wd, *bd, *o1, *o2;
    CK(bp_tensor_to(x, dev, &xd)); CK(bp_tensor_to(w, dev, &wd)); CK(bp_tensor_to(b, dev, &bd));
    int64_t st[2] = {cs[i].stride, cs[i].stride}, pd[2] = {cs[i].pad, cs[i].pad};
    CK(bp_conv2d(x, w, b, st, pd, cs[i].groups, &o1));
    CK(bp_conv2d(xd, wd, bd, st, pd, cs[i].groups, &o2));
    CK(bp_device_synchronize(dev));
    char name[64];
    snprintf(name, sizeof name, "conv2d case %d", i);
    int64_t n = 1;
    for (int d = 0; d < bp_tensor_ndim(o1); ++d) n *= bp_tensor_shape(o1)[d];
    bad |= compare(name, o2, o1, n);
    bp_tensor_release(x); bp_tensor_release(w); bp_tensor_release(b); bp_tensor_release(xd);
    bp_tensor_release(wd); bp_tensor_release(bd); bp_tensor_release(o1); bp_tensor_release(o2);
  }
  for (int lg = 0; lg < 2; ++lg)
    for (int dim = 0; dim < 3; ++dim) {
      int64_t xs[3] = {3, 5, 7};
      bp_tensor_t *x = rnd(ref, 3, xs, 7), *xd, *o1, *o2;
      CK(bp_tensor_to(x, dev, &xd));
      CK((lg ? bp_log_softmax : bp_softmax)(x, dim - 3 + (dim & 1) * 3, &o1));
      CK((lg ? bp_log_softmax : bp_softmax)(xd, dim - 3 + (dim & 1) * 3, &o2));
      char name[64];
      snprintf(name, sizeof name, "%s dim %d", lg ? "log_softmax" : "softmax", dim);
      bad |= compare(name, o2, o1, 105);
      bp_tensor_release(x); bp_tensor_release(xd); bp_tensor_release(o1); bp_tensor_release(o2);
    }
  bp_stats_get(&s1);
  printf("fallbacks: %llu\n", (unsigned long long)(s1.fallbacks - s0.fallbacks));
  bp_shutdown();
  return bad;
}
