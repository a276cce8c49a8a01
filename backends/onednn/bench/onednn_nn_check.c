/* onednn_nn_check.c - conv2d, softmax and log_softmax on onednn:0 against
 * ref:0, and the backward ops the conformance suite has no cases for yet
 * (conv2d_backward, softmax_backward, log_softmax_backward).
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
  /* relative to each element, with a floor at 1e-3 of the output's scale:
   * a sum of K terms rounds ~ eps * sqrt(K) * scale, whatever the value */
  double worst = 0, scale = 0;
  for (int64_t i = 0; i < n; ++i)
    if (fabs(y[i]) > scale) scale = fabs(y[i]);
  for (int64_t i = 0; i < n; ++i) {
    double e = fabs(x[i] - y[i]) / (1e-3 * (1 + scale) + fabs(y[i]));
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
      {2, 3, 9, 7, 4, 3, 1, 1, 1}, {1, 4, 8, 8, 6, 3, 2, 0, 2}, {2, 8, 5, 6, 8, 1, 1, 0, 8},
      /* whole channel blocks (16 or 8): the blocked NCHW path */
      {2, 16, 9, 7, 32, 3, 1, 1, 1}, {1, 32, 8, 8, 16, 3, 2, 1, 1}};
  for (int i = 0; i < 5; ++i) {
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
  /* conv2d_backward: N, C, H, W, O, k, stride, pad, groups, padding_same */
  struct { int64_t n, c, h, w, o, k, stride, pad, groups, same; } bs_[] = {
      {2, 3, 9, 7, 4, 3, 1, 1, 1, 0}, {2, 4, 8, 9, 6, 3, 2, 0, 2, 0}, {1, 4, 7, 8, 4, 2, 1, 0, 1, 1},
      /* 8 and more input channels: both passes in oneDNN's own layouts */
      {4, 8, 14, 14, 16, 3, 1, 1, 1, 0}, {2, 16, 9, 7, 32, 3, 2, 1, 1, 0}};
  uint32_t cbw, smb, lsmb;
  CK(bp_op_find("conv2d_backward", &cbw));
  CK(bp_op_find("softmax_backward", &smb));
  CK(bp_op_find("log_softmax_backward", &lsmb));
  for (int i = 0; i < 5; ++i) {
    int64_t ho = bs_[i].same ? bs_[i].h : (bs_[i].h + 2 * bs_[i].pad - bs_[i].k) / bs_[i].stride + 1;
    int64_t wo = bs_[i].same ? bs_[i].w : (bs_[i].w + 2 * bs_[i].pad - bs_[i].k) / bs_[i].stride + 1;
    int64_t xs[4] = {bs_[i].n, bs_[i].c, bs_[i].h, bs_[i].w};
    int64_t ws[4] = {bs_[i].o, bs_[i].c / bs_[i].groups, bs_[i].k, bs_[i].k};
    int64_t gs[4] = {bs_[i].n, bs_[i].o, ho, wo};
    bp_tensor_t *in_r[3] = {rnd(ref, 4, gs, 11), rnd(ref, 4, xs, 12), rnd(ref, 4, ws, 13)}, *in_d[3];
    for (int k = 0; k < 3; ++k) CK(bp_tensor_to(in_r[k], dev, &in_d[k]));
    int64_t st[2] = {bs_[i].stride, bs_[i].stride}, pd[2] = {bs_[i].pad, bs_[i].pad};
    bp_attr_t at[4] = {
        {.name = "stride", .type = BP_ATTR_INTS, .count = 2, .value.ints = st},
        {.name = "padding", .type = BP_ATTR_INTS, .count = 2, .value.ints = pd},
        {.name = "groups", .type = BP_ATTR_INT, .value.i = bs_[i].groups},
        {.name = "padding_same", .type = BP_ATTR_BOOL, .value.b = bs_[i].same != 0}};
    bp_tensor_t *o_r[3] = {NULL}, *o_d[3] = {NULL};
    CK(bp_op_run(cbw, 3, in_r, 4, at, 3, o_r));
    CK(bp_op_run(cbw, 3, in_d, 4, at, 3, o_d));
    CK(bp_device_synchronize(dev));
    const char *what[3] = {"grad_input", "grad_weight", "grad_bias"};
    for (int k = 0; k < 3; ++k) {
      char name[64];
      int64_t n = 1;
      for (int d = 0; d < bp_tensor_ndim(o_r[k]); ++d) n *= bp_tensor_shape(o_r[k])[d];
      snprintf(name, sizeof name, "conv2d_backward case %d %s", i, what[k]);
      bad |= compare(name, o_d[k], o_r[k], n);
      bp_tensor_release(o_r[k]); bp_tensor_release(o_d[k]);
      bp_tensor_release(in_r[k]); bp_tensor_release(in_d[k]);
    }
  }
  for (int lg = 0; lg < 2; ++lg)
    for (int dim = 0; dim < 3; ++dim) {
      int64_t xs[3] = {3, 5, 7};
      bp_tensor_t *x = rnd(ref, 3, xs, 21), *go = rnd(ref, 3, xs, 22), *y, *in_r[2], *in_d[2];
      CK((lg ? bp_log_softmax : bp_softmax)(x, dim, &y));
      in_r[0] = go;
      in_r[1] = y;
      CK(bp_tensor_to(go, dev, &in_d[0]));
      CK(bp_tensor_to(y, dev, &in_d[1]));
      bp_attr_t at = {.name = "dim", .type = BP_ATTR_INT, .value.i = dim};
      bp_tensor_t *o_r = NULL, *o_d = NULL;
      CK(bp_op_run(lg ? lsmb : smb, 2, in_r, 1, &at, 1, &o_r));
      CK(bp_op_run(lg ? lsmb : smb, 2, in_d, 1, &at, 1, &o_d));
      char name[64];
      snprintf(name, sizeof name, "%s_backward dim %d", lg ? "log_softmax" : "softmax", dim);
      bad |= compare(name, o_d, o_r, 105);
      bp_tensor_release(x); bp_tensor_release(go); bp_tensor_release(y); bp_tensor_release(in_d[0]);
      bp_tensor_release(in_d[1]); bp_tensor_release(o_r); bp_tensor_release(o_d);
    }
  /* max/avg_pool2d_backward from the reference's forward; gelu_backward */
  {
    uint32_t mpf, mpb, apb, gb;
    CK(bp_op_find("max_pool2d", &mpf));
    CK(bp_op_find("max_pool2d_backward", &mpb));
    CK(bp_op_find("avg_pool2d_backward", &apb));
    CK(bp_op_find("gelu_backward", &gb));
    int64_t xs[4] = {2, 3, 9, 10};
    int64_t k3[1] = {3}, s2[1] = {2}, p1[1] = {1};
    bp_attr_t pa[3] = {{.name = "kernel_size", .type = BP_ATTR_INTS, .count = 1, .value.ints = k3},
                       {.name = "stride", .type = BP_ATTR_INTS, .count = 1, .value.ints = s2},
                       {.name = "padding", .type = BP_ATTR_INTS, .count = 1, .value.ints = p1}};
    bp_tensor_t *x = rnd(ref, 4, xs, 31), *fo[2] = {NULL, NULL};
    CK(bp_op_run(mpf, 1, &x, 3, pa, 2, fo));
    int64_t n = 1;
    for (int d = 0; d < 4; ++d) n *= bp_tensor_shape(fo[0])[d];
    bp_tensor_t *go = rnd(ref, 4, bp_tensor_shape(fo[0]), 32);
    bp_tensor_t *in_r[3] = {go, x, fo[1]}, *in_d[3];
    for (int k = 0; k < 3; ++k) CK(bp_tensor_to(in_r[k], dev, &in_d[k]));
    for (int m = 0; m < 2; ++m) {
      bp_tensor_t *o_r = NULL, *o_d = NULL;
      CK(bp_op_run(m ? apb : mpb, m ? 2 : 3, in_r, 3, pa, 1, &o_r));
      CK(bp_op_run(m ? apb : mpb, m ? 2 : 3, in_d, 3, pa, 1, &o_d));
      bad |= compare(m ? "avg_pool2d_backward k3 s2 p1" : "max_pool2d_backward k3 s2 p1", o_d, o_r, 2 * 3 * 9 * 10);
      bp_tensor_release(o_r); bp_tensor_release(o_d);
    }
    for (int ap = 0; ap < 2; ++ap) {
      bp_tensor_t *g_in_r[2] = {x, x}, *g_in_d[2] = {in_d[1], in_d[1]}, *o_r = NULL, *o_d = NULL;
      bp_attr_t ga = {.name = "approximate", .type = BP_ATTR_INT, .value.i = ap};
      CK(bp_op_run(gb, 2, g_in_r, 1, &ga, 1, &o_r));
      CK(bp_op_run(gb, 2, g_in_d, 1, &ga, 1, &o_d));
      bad |= compare(ap ? "gelu_backward tanh" : "gelu_backward erf", o_d, o_r, 2 * 3 * 9 * 10);
      bp_tensor_release(o_r); bp_tensor_release(o_d);
    }
    (void)n;
    for (int k = 0; k < 3; ++k) { bp_tensor_release(in_r[k]); bp_tensor_release(in_d[k]); }
    bp_tensor_release(fo[0]);
  }
  /* layer_norm_backward from the reference's forward statistics */
  for (int hw = 0; hw < 2; ++hw) {
    uint32_t lnf, lnb;
    CK(bp_op_find("layer_norm", &lnf));
    CK(bp_op_find("layer_norm_backward", &lnb));
    int64_t xs[3] = {3, 5, 8}, ws[2] = {5, 8}, ns[2] = {5, 8};
    bp_tensor_t *x = rnd(ref, 3, xs, 41), *w = rnd(ref, 2, ws, 42), *b = rnd(ref, 2, ws, 43);
    bp_tensor_t *go = rnd(ref, 3, xs, 44), *fin[3] = {x, w, b}, *fo[3] = {NULL, NULL, NULL};
    bp_attr_t la[3] = {{.name = "normalized_shape", .type = BP_ATTR_INTS, .count = 2, .value.ints = ns},
                       {.name = "has_weight", .type = BP_ATTR_BOOL, .value.b = hw != 0},
                       {.name = "has_bias", .type = BP_ATTR_BOOL, .value.b = true}};
    CK(bp_op_run(lnf, 3, fin, 3, la, 3, fo));
    bp_tensor_t *in_r[5] = {go, x, fo[1], fo[2], w}, *in_d[5];
    for (int k = 0; k < 5; ++k) CK(bp_tensor_to(in_r[k], dev, &in_d[k]));
    bp_tensor_t *o_r[3] = {NULL}, *o_d[3] = {NULL};
    CK(bp_op_run(lnb, 5, in_r, 2, la, 3, o_r));
    CK(bp_op_run(lnb, 5, in_d, 2, la, 3, o_d));
    const int64_t cnt[3] = {120, 40, 40};
    const char *what[3] = {"grad_input", "grad_weight", "grad_bias"};
    for (int k = 0; k < 3; ++k) {
      char name[64];
      snprintf(name, sizeof name, "layer_norm_backward w%d %s", hw, what[k]);
      bad |= compare(name, o_d[k], o_r[k], cnt[k]);
      bp_tensor_release(o_r[k]); bp_tensor_release(o_d[k]);
    }
    for (int k = 0; k < 5; ++k) bp_tensor_release(in_d[k]);
    bp_tensor_release(x); bp_tensor_release(w); bp_tensor_release(b); bp_tensor_release(go);
    for (int k = 0; k < 3; ++k) bp_tensor_release(fo[k]);
  }
  bp_stats_get(&s1);
  printf("fallbacks: %llu\n", (unsigned long long)(s1.fallbacks - s0.fallbacks));
  bp_shutdown();
  return bad;
}
