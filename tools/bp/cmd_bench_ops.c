/*
 * cmd_bench_ops.c - `bp bench ops`: the speed of the reference backend's
 * kernels on realistic sizes, through the public API on ref:0, beside
 * anchors measured in the same run: single-threaded OpenBLAS cblas_sgemm for
 * matmul (when bp was built with libopenblas-dev) and memcpy of the same
 * bytes for the memory-bound ops.
 *
 * Method: one warm-up call, then the best (minimum) of R timed calls.
 * Targets (issue 3): f32 matmul 1024^3 at >= 0.5x OpenBLAS's GFLOP/s;
 * conv2d runs through the same GEMM (im2col); contiguous elementwise ops at
 * >= 0.5x memcpy's bandwidth.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bp_cli.h"
#include "json.h"
#include "onednn_anchor.h"
#ifdef BP_HAVE_OPENBLAS
#include <cblas.h>
void openblas_set_num_threads(int num_threads);
#endif

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef int (*op_fn_t)(void *ctx);

/* The device under test: its queued work is waited for in each timed call
 * (a plugin's kernels may run asynchronously, ABI-14). */
static bp_device_t *g_bench_dev;
static int run_synced(op_fn_t fn, void *ctx) {
  return fn(ctx) || (g_bench_dev != NULL && bp_device_synchronize(g_bench_dev) != 0);
}

/* Best seconds per call over reps calls, after a warm-up; < 0 on failure. */
static double best_s(op_fn_t fn, void *ctx, int reps) {
  if (run_synced(fn, ctx)) return -1.0;
  double best = INFINITY;
  for (int r = 0; r < reps; ++r) {
    double t0 = now_s();
    if (run_synced(fn, ctx)) return -1.0;
    double t = now_s() - t0;
    if (t < best) best = t;
  }
  return best;
}

typedef struct ops_ctx {
  bp_tensor_t *a, *b, *out;   /* matmul / elementwise operands */
  bp_tensor_t *x, *w, *bias, *conv_out;
  bp_tensor_t *nx, *ny, *nw, *nb, *nmean, *nrstd; /* softmax / layer_norm */
  uint32_t conv_id, softmax_id, ln_id;
  int64_t nn_cols;
  int64_t conv_pad;
  void *src, *dst;            /* memcpy buffers */
  size_t bytes;
  const float *fa, *fb;       /* OpenBLAS operands */
  float *fc;
  int n;
} ops_ctx_t;

static int do_matmul(void *p) { ops_ctx_t *c = p; return bp_matmul_out(c->a, c->b, c->out) != 0; }
static int do_add(void *p) { ops_ctx_t *c = p; return bp_add_out(c->a, c->b, c->out) != 0; }
static int do_mul(void *p) { ops_ctx_t *c = p; return bp_mul_out(c->a, c->b, c->out) != 0; }
static int do_sum(void *p) {
  ops_ctx_t *c = p;
  bp_tensor_t *r = NULL;
  int rc = bp_sum(c->a, 0, NULL, 0, &r) != 0;
  bp_tensor_release(r);
  return rc;
}
static int do_memcpy(void *p) {
  ops_ctx_t *c = p;
  memcpy(c->dst, c->src, c->bytes);
  /* keep the copy observable */
  return ((volatile unsigned char *)c->dst)[c->bytes / 2] == 0x5a && c->bytes == 1;
}
static int do_conv(void *p) {
  ops_ctx_t *c = p;
  bp_tensor_t *in[3] = {c->x, c->w, c->bias};
  bp_tensor_t *out[1] = {c->conv_out};
  int64_t pad = c->conv_pad;
  bp_attr_t attr = {.struct_size = sizeof(bp_attr_t), .name = "padding", .type = BP_ATTR_INTS,
                    .count = 1, .value.ints = &pad};
  return bp_op_run(c->conv_id, 3, in, 1, &attr, 1, out) != 0;
}
static int do_softmax(void *p) {
  ops_ctx_t *c = p;
  int64_t dim = -1;
  bp_attr_t attr = {.struct_size = sizeof(bp_attr_t), .name = "dim", .type = BP_ATTR_INT,
                    .value.i = dim};
  return bp_op_run(c->softmax_id, 1, &c->nx, 1, &attr, 1, &c->ny) != 0;
}
static int do_layer_norm(void *p) {
  ops_ctx_t *c = p;
  bp_tensor_t *in[3] = {c->nx, c->nw, c->nb}, *out[3] = {c->ny, c->nmean, c->nrstd};
  bp_attr_t attrs[3] = {
      {.struct_size = sizeof(bp_attr_t), .name = "normalized_shape", .type = BP_ATTR_INTS,
       .count = 1, .value.ints = &c->nn_cols},
      {.struct_size = sizeof(bp_attr_t), .name = "has_weight", .type = BP_ATTR_BOOL, .value.b = true},
      {.struct_size = sizeof(bp_attr_t), .name = "has_bias", .type = BP_ATTR_BOOL, .value.b = true}};
  return bp_op_run(c->ln_id, 3, in, 3, attrs, 3, out) != 0;
}
#ifdef BP_HAVE_OPENBLAS
static int do_sgemm(void *p) {
  ops_ctx_t *c = p;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, c->n, c->n, c->n, 1.0f, c->fa, c->n,
              c->fb, c->n, 0.0f, c->fc, c->n);
  return 0;
}
#endif

static bp_status_t make(bp_device_t *dev, int32_t ndim, const int64_t *shape, double v,
                        bp_tensor_t **t) {
  bp_status_t s = bp_tensor_create(dev, BP_DTYPE_F32, ndim, shape, t);
  return s ? s : bp_fill(*t, v);
}

typedef struct ops_results {
  int mm_n;
  double mm_gflops, blas_gflops;      /* blas < 0: not measured */
  const char *blas_why;
  int64_t conv[6];                    /* N, C, H, W, K, kernel */
  double conv_gflops;
  int64_t elems;
  double add_gbs, mul_gbs, memcpy_gbs, sum_gbs;
  int64_t nn_rows, nn_cols;           /* softmax / layer_norm over the last dim */
  double softmax_gbs, ln_gbs;         /* 0: not measured */
} ops_results_t;

static void release_all(ops_ctx_t *c) {
  bp_tensor_release(c->a); bp_tensor_release(c->b); bp_tensor_release(c->out);
  bp_tensor_release(c->x); bp_tensor_release(c->w); bp_tensor_release(c->bias);
  bp_tensor_release(c->conv_out);
  bp_tensor_release(c->nx); bp_tensor_release(c->ny); bp_tensor_release(c->nw);
  bp_tensor_release(c->nb); bp_tensor_release(c->nmean); bp_tensor_release(c->nrstd);
  free(c->src); free(c->dst);
  free((void *)c->fa); free((void *)c->fb); free(c->fc);
  memset(c, 0, sizeof(*c));
}

/* softmax and layer_norm over the last dim of [rows, cols] (bp bench ops
 * --device); GB/s counts one read and one write of x. */
static int measure_nn(bp_device_t *dev, ops_ctx_t *c, bool quick, int reps, ops_results_t *r,
                      const char **what) {
  int64_t rows = quick ? 512 : 4096, cols = 1024;
  int64_t xs[2] = {rows, cols}, stat[2] = {rows, 1};
  r->nn_rows = rows;
  r->nn_cols = c->nn_cols = cols;
  *what = "softmax / layer_norm operands";
  if (bp_op_find("softmax", &c->softmax_id) || bp_op_find("layer_norm", &c->ln_id) ||
      make(dev, 2, xs, 0.5, &c->nx) || make(dev, 2, xs, 0, &c->ny) ||
      make(dev, 1, &cols, 1.0, &c->nw) || make(dev, 1, &cols, 0.0, &c->nb) ||
      make(dev, 2, stat, 0, &c->nmean) || make(dev, 2, stat, 0, &c->nrstd))
    return 1;
  double bytes = 2.0 * 4.0 * (double)(rows * cols), t;
  *what = "softmax";
  if ((t = best_s(do_softmax, c, reps)) < 0) return 1;
  r->softmax_gbs = bytes / t * 1e-9;
  *what = "layer_norm";
  if ((t = best_s(do_layer_norm, c, reps)) < 0) return 1;
  r->ln_gbs = bytes / t * 1e-9;
  return 0;
}

static int measure(const char *device, bool quick, int reps, bool nn, ops_results_t *r,
                   const char **what) {
  ops_ctx_t c = {0};
  bp_device_t *dev = NULL;
  int rc = 1;
  *what = "bp_device_get";
  if (bp_device_get(device, &dev)) goto done;
  g_bench_dev = dev;

  /* matmul n^3 f32, and OpenBLAS on the same sizes */
  int n = quick ? 256 : 1024;
  r->mm_n = n;
  int64_t sq[2] = {n, n};
  *what = "matmul operands";
  if (make(dev, 2, sq, 0.5, &c.a) || make(dev, 2, sq, 0.25, &c.b) || make(dev, 2, sq, 0, &c.out))
    goto done;
  *what = "bp_matmul_out";
  double t = best_s(do_matmul, &c, reps);
  if (t < 0) goto done;
  r->mm_gflops = 2.0 * n * n * n / t * 1e-9;
  r->blas_gflops = -1.0;
  r->blas_why = "bp was built without OpenBLAS (install libopenblas-dev and reconfigure)";
#ifdef BP_HAVE_OPENBLAS
  {
    size_t bytes = sizeof(float) * (size_t)n * (size_t)n;
    float *fa = malloc(bytes), *fb = malloc(bytes), *fc = malloc(bytes);
    c.fa = fa; c.fb = fb; c.fc = fc; c.n = n;
    *what = "OpenBLAS buffers";
    if (!fa || !fb || !fc) goto done;
    for (size_t i = 0; i < (size_t)n * (size_t)n; ++i) { fa[i] = 0.5f; fb[i] = 0.25f; }
    openblas_set_num_threads(1);
    double tb = best_s(do_sgemm, &c, reps);
    r->blas_gflops = 2.0 * n * n * n / tb * 1e-9;
    r->blas_why = NULL;
  }
#endif
  bp_tensor_release(c.a); bp_tensor_release(c.b); bp_tensor_release(c.out);
  c.a = c.b = c.out = NULL;

  /* conv2d 3x3, padding 1 */
  int64_t cn = quick ? 1 : 8, cc = 64, ch = quick ? 28 : 56, ck = 64;
  int64_t xs[4] = {cn, cc, ch, ch}, ws[4] = {ck, cc, 3, 3}, bs[1] = {ck}, os[4] = {cn, ck, ch, ch};
  memcpy(r->conv, (int64_t[6]){cn, cc, ch, ch, ck, 3}, sizeof(r->conv));
  *what = "conv2d operands";
  if (bp_op_find("conv2d", &c.conv_id) || make(dev, 4, xs, 0.5, &c.x) ||
      make(dev, 4, ws, 0.125, &c.w) || make(dev, 1, bs, 1.0, &c.bias) ||
      make(dev, 4, os, 0, &c.conv_out))
    goto done;
  c.conv_pad = 1;
  *what = "conv2d";
  t = best_s(do_conv, &c, reps);
  if (t < 0) goto done;
  r->conv_gflops = 2.0 * (double)(cn * ck * ch * ch) * (double)(cc * 9) / t * 1e-9;

  /* elementwise and sum on `elems` contiguous f32, memcpy of the same bytes */
  int64_t elems = quick ? (1 << 20) : (1 << 24);
  r->elems = elems;
  double bytes = 4.0 * (double)elems;
  *what = "elementwise operands";
  if (make(dev, 1, &elems, 1.5, &c.a) || make(dev, 1, &elems, 2.5, &c.b) ||
      make(dev, 1, &elems, 0, &c.out))
    goto done;
  *what = "bp_add_out";
  if ((t = best_s(do_add, &c, reps)) < 0) goto done;
  r->add_gbs = 3.0 * bytes / t * 1e-9;
  *what = "bp_mul_out";
  if ((t = best_s(do_mul, &c, reps)) < 0) goto done;
  r->mul_gbs = 3.0 * bytes / t * 1e-9;
  *what = "bp_sum";
  if ((t = best_s(do_sum, &c, reps)) < 0) goto done;
  r->sum_gbs = bytes / t * 1e-9;
  *what = "memcpy buffers";
  c.bytes = (size_t)bytes;
  c.src = malloc(c.bytes);
  c.dst = malloc(c.bytes);
  if (!c.src || !c.dst) goto done;
  memset(c.src, 1, c.bytes);
  t = best_s(do_memcpy, &c, reps);
  r->memcpy_gbs = 2.0 * bytes / t * 1e-9;
  if (nn && measure_nn(dev, &c, quick, reps, r, what)) goto done;
  rc = 0;
done:
  release_all(&c);
  g_bench_dev = NULL;
  return rc;
}

static void print_table(const ops_results_t *r, int reps) {
#ifdef BPCLI_SANITIZED
  printf("warning: this bp was built with BP_SANITIZE=ON; the numbers are meaningless\n");
#endif
  printf("bench ops: reference kernels on ref:0 (one thread), best of %d\n", reps);
  printf("  %-40s %10.1f GFLOP/s", "matmul f32 (n^3)", r->mm_gflops);
  if (r->blas_gflops > 0)
    printf("   OpenBLAS 1 thread %7.1f GFLOP/s  ratio %.2f (target >= 0.5: %s)", r->blas_gflops,
           r->mm_gflops / r->blas_gflops, r->mm_gflops >= 0.5 * r->blas_gflops ? "met" : "NOT met");
  printf("\n    n = %d\n", r->mm_n);
  printf("  %-40s %10.1f GFLOP/s   (im2col + the same GEMM)\n", "conv2d f32 3x3 pad 1", r->conv_gflops);
  printf("    x [%lld, %lld, %lld, %lld], %lld filters\n", (long long)r->conv[0], (long long)r->conv[1],
         (long long)r->conv[2], (long long)r->conv[3], (long long)r->conv[4]);
  printf("  %-40s %10.1f GB/s      memcpy %.1f GB/s\n", "memcpy (read + write)", r->memcpy_gbs,
         r->memcpy_gbs);
  const char *names[2] = {"add f32 (2 reads + 1 write)", "mul f32 (2 reads + 1 write)"};
  double v[2] = {r->add_gbs, r->mul_gbs};
  for (int i = 0; i < 2; ++i)
    printf("  %-40s %10.1f GB/s      ratio to memcpy %.2f (target >= 0.5: %s)\n", names[i], v[i],
           v[i] / r->memcpy_gbs, v[i] >= 0.5 * r->memcpy_gbs ? "met" : "NOT met");
  printf("  %-40s %10.1f GB/s\n", "sum f32 (all elements)", r->sum_gbs);
  printf("    %lld elements\n", (long long)r->elems);
  if (r->blas_gflops <= 0) printf("OpenBLAS: not measured: %s\n", r->blas_why);
}

static void print_json(const ops_results_t *r, int reps) {
  bpcli_json_t j;
  bpcli_json_init(&j, stdout);
  bpcli_json_object_begin(&j);
  bpcli_json_kv_string(&j, "bench", "ops");
  bpcli_json_kv_string(&j, "device", "ref:0");
  bpcli_json_kv_uint(&j, "reps", (uint64_t)reps);
  bpcli_json_kv_string(&j, "build_type", BPCLI_BUILD_TYPE);
  bpcli_json_kv_uint(&j, "matmul_n", (uint64_t)r->mm_n);
  bpcli_json_kv_double(&j, "matmul_gflops", r->mm_gflops);
  bpcli_json_key(&j, "openblas_gflops");
  if (r->blas_gflops > 0) bpcli_json_double(&j, r->blas_gflops); else bpcli_json_null(&j);
  bpcli_json_key(&j, "matmul_ratio");
  if (r->blas_gflops > 0) bpcli_json_double(&j, r->mm_gflops / r->blas_gflops); else bpcli_json_null(&j);
  bpcli_json_kv_double(&j, "conv2d_gflops", r->conv_gflops);
  bpcli_json_kv_uint(&j, "elements", (uint64_t)r->elems);
  bpcli_json_kv_double(&j, "memcpy_gbs", r->memcpy_gbs);
  bpcli_json_kv_double(&j, "add_gbs", r->add_gbs);
  bpcli_json_kv_double(&j, "add_ratio", r->add_gbs / r->memcpy_gbs);
  bpcli_json_kv_double(&j, "mul_gbs", r->mul_gbs);
  bpcli_json_kv_double(&j, "mul_ratio", r->mul_gbs / r->memcpy_gbs);
  bpcli_json_kv_double(&j, "sum_gbs", r->sum_gbs);
  bpcli_json_object_end(&j);
  bpcli_json_finish(&j);
}

int bpcli_bench_ops(bool quick, int reps, bool json) {
  if (!bpcli_runtime_start()) return BPCLI_EXIT_FAILURE;
  ops_results_t r = {0};
  const char *what = "";
  if (measure("ref:0", quick, reps, false, &r, &what)) {
    fprintf(stderr, "bp: bench ops: %s failed: %s\n", what, bp_last_error());
    return BPCLI_EXIT_FAILURE;
  }
  if (json) print_json(&r, reps); else print_table(&r, reps);
  return BPCLI_EXIT_OK;
}

/* The direct-oneDNN anchor for `--device onednn:N`: the same sizes through
 * oneDNN alone (libbp_onednn_anchor.so), at the thread count the plugin ran
 * with. direct[] in seconds per call. */
typedef struct anchor_results {
  bool have;
  char why[256];
  const char *version;
  int threads;
  double matmul_s, conv_s, conv_only_s, softmax_s, ln_s;
} anchor_results_t;

static void measure_onednn(const bpcli_onednn_anchor_t *m, const ops_results_t *dev, int reps,
                           anchor_results_t *a) {
  a->version = m->version();
  a->threads = m->threads(0);
  a->matmul_s = m->matmul(dev->mm_n, reps);
  a->conv_s = m->conv2d(dev->conv, reps, &a->conv_only_s);
  a->softmax_s = m->softmax(dev->nn_rows, dev->nn_cols, reps);
  a->ln_s = m->layer_norm(dev->nn_rows, dev->nn_cols, reps);
  a->have = a->matmul_s > 0 && a->conv_s > 0 && a->softmax_s > 0 && a->ln_s > 0;
  if (!a->have) snprintf(a->why, sizeof a->why, "a oneDNN call failed in the anchor");
}

enum { NROWS = 7 };
static const char *const row_keys[NROWS] = {"matmul_gflops", "conv2d_gflops", "softmax_gbs",
                                             "layer_norm_gbs", "add_gbs", "mul_gbs", "sum_gbs"};

/* One pass's rows: the device, oneDNN direct (0: none) and ref:0. */
typedef struct pass_rows {
  int threads; /* the device's and the anchor's; 0: unknown (not a oneDNN device) */
  double d[NROWS], direct[NROWS], conv_only;
} pass_rows_t;

static void fill_rows(const ops_results_t *dev, const anchor_results_t *an, pass_rows_t *p) {
  const double mm_flop = 2.0 * dev->mm_n * dev->mm_n * dev->mm_n;
  const double conv_flop = 2.0 * (double)(dev->conv[0] * dev->conv[4] * dev->conv[2] * dev->conv[3]) *
                           (double)(dev->conv[1] * dev->conv[5] * dev->conv[5]);
  const double nn_bytes = 2.0 * 4.0 * (double)(dev->nn_rows * dev->nn_cols);
  const double d[NROWS] = {dev->mm_gflops, dev->conv_gflops, dev->softmax_gbs, dev->ln_gbs,
                           dev->add_gbs, dev->mul_gbs, dev->sum_gbs};
  memcpy(p->d, d, sizeof d);
  memset(p->direct, 0, sizeof p->direct);
  p->threads = an->threads;
  p->conv_only = 0;
  if (!an->have) return;
  p->direct[0] = mm_flop / an->matmul_s * 1e-9;
  p->direct[1] = conv_flop / an->conv_s * 1e-9;
  p->direct[2] = nn_bytes / an->softmax_s * 1e-9;
  p->direct[3] = nn_bytes / an->ln_s * 1e-9;
  p->conv_only = conv_flop / an->conv_only_s * 1e-9;
}

static void print_pass(const char *device, const pass_rows_t *p, const double *rf) {
  static const char *const labels[NROWS] = {"matmul f32 (n^3)", "conv2d f32 3x3 pad 1",
                                            "softmax f32 (last dim)", "layer_norm f32 (last dim)",
                                            "add f32", "mul f32", "sum f32 (all elements)"};
  static const char *const units[NROWS] = {"GFLOP/s", "GFLOP/s", "GB/s", "GB/s",
                                           "GB/s",    "GB/s",    "GB/s"};
  char hd[64], hx[64];
  if (p->threads > 0) {
    snprintf(hd, sizeof hd, "%s %dT", device, p->threads);
    snprintf(hx, sizeof hx, "oneDNN direct %dT", p->threads);
  } else {
    snprintf(hd, sizeof hd, "%s", device);
    snprintf(hx, sizeof hx, "oneDNN direct");
  }
  printf("  %-26s %16s %18s %16s %9s %9s\n", "", hd, hx, "ref:0 1T", "/direct", "/ref");
  for (int i = 0; i < NROWS; ++i) {
    printf("  %-26s %8.2f %-7s", labels[i], p->d[i], units[i]);
    if (p->direct[i] > 0) printf("   %8.2f %-7s", p->direct[i], units[i]); else printf(" %18s", "-");
    printf(" %8.2f %-7s", rf[i], units[i]);
    if (p->direct[i] > 0) printf(" %8.2fx", p->d[i] / p->direct[i]); else printf(" %9s", "");
    printf(" %8.2fx\n", p->d[i] / rf[i]);
  }
  if (p->conv_only > 0)
    printf("    oneDNN direct %dT, the convolution alone in its own layouts (no NCHW reorders): "
           "%.2f GFLOP/s\n", p->threads, p->conv_only);
}

static void json_pass(bpcli_json_t *j, const pass_rows_t *p, const char *suffix) {
  char key[80];
  for (int i = 0; i < NROWS; ++i) {
    snprintf(key, sizeof key, "%s%s", row_keys[i], suffix);
    bpcli_json_kv_double(j, key, p->d[i]);
    if (p->direct[i] > 0) {
      snprintf(key, sizeof key, "direct_%s%s", row_keys[i], suffix);
      bpcli_json_kv_double(j, key, p->direct[i]);
    }
  }
  if (p->threads > 0) {
    snprintf(key, sizeof key, "threads%s", suffix);
    bpcli_json_kv_uint(j, key, (uint64_t)p->threads);
  }
}

/* The best of two measurements: the higher rate of each row (the first
 * copied whole). */
static void best_ops(ops_results_t *acc, const ops_results_t *r, bool first) {
  if (first) {
    *acc = *r;
    return;
  }
  double *const a[] = {&acc->mm_gflops, &acc->blas_gflops, &acc->conv_gflops, &acc->add_gbs,
                       &acc->mul_gbs,   &acc->memcpy_gbs,  &acc->sum_gbs,     &acc->softmax_gbs,
                       &acc->ln_gbs};
  const double b[] = {r->mm_gflops, r->blas_gflops, r->conv_gflops, r->add_gbs, r->mul_gbs,
                      r->memcpy_gbs, r->sum_gbs, r->softmax_gbs, r->ln_gbs};
  for (size_t i = 0; i < sizeof b / sizeof b[0]; ++i)
    if (b[i] > *a[i]) *a[i] = b[i];
}

/* The same for the anchor: the shorter time of each case. */
static void best_anchor(anchor_results_t *acc, const anchor_results_t *r, bool first) {
  if (first || !acc->have) {
    if (first || r->have) *acc = *r;
    return;
  }
  if (!r->have) return;
  double *const a[] = {&acc->matmul_s, &acc->conv_s, &acc->conv_only_s, &acc->softmax_s, &acc->ln_s};
  const double b[] = {r->matmul_s, r->conv_s, r->conv_only_s, r->softmax_s, r->ln_s};
  for (size_t i = 0; i < sizeof b / sizeof b[0]; ++i)
    if (b[i] < *a[i]) *a[i] = b[i];
}

/* `bp bench ops --device DEV`: the same measurements on DEV, beside ref:0
 * measured in the same run (same sizes, same process; ref:0 is one thread),
 * and for onednn:N beside oneDNN called directly with the same thread count:
 * first at the plugin's own count (OpenMP's default, the machine's cores, or
 * BP_NUM_THREADS), then, when that is not 1, both again at one thread. */
int bpcli_bench_ops_device(const char *device, bool quick, int reps, bool json) {
  if (!bpcli_runtime_start()) return BPCLI_EXIT_FAILURE;
  ops_results_t ref = {0}, dev = {0}, dev1 = {0};
  const char *what = "";
  const char *failed_on = "ref:0";
  const bool onednn = !strncmp(device, "onednn:", 7);
  bpcli_onednn_anchor_t m;
  anchor_results_t an = {.have = false}, an1 = {.have = false};
  char one_why[256] = "";
  bool have_anchor = false, one_pass = false;
  int threads_default = 0;
  snprintf(an.why, sizeof an.why, "only for onednn devices");
  if (onednn) {
    have_anchor = bpcli_onednn_anchor_open(&m, an.why, sizeof an.why);
    if (have_anchor) threads_default = m.threads(0);
  }
  /* Rounds of (ref:0, the device, oneDNN direct), the best of each kept:
   * on shared cores the load changes within seconds, and measuring one
   * after the other in turn gives each the same chances. */
  const int rounds = reps >= 6 ? 3 : 1, rr = (reps + rounds - 1) / rounds;
  for (int round = 0; round < rounds; ++round) {
    ops_results_t t = {0};
    failed_on = "ref:0";
    if (measure("ref:0", quick, rr, true, &t, &what)) goto failed;
    best_ops(&ref, &t, round == 0);
    failed_on = device;
    if (measure(device, quick, rr, true, &t, &what)) goto failed;
    best_ops(&dev, &t, round == 0);
    /* The plugin's option pins its count on this thread: the anchor reads
     * it back and runs at the same count. */
    if (have_anchor) {
      anchor_results_t ta = {.have = false};
      measure_onednn(&m, &dev, rr, &ta);
      best_anchor(&an, &ta, round == 0);
    }
  }
  if (have_anchor) {
    if (an.threads == 1) {
      snprintf(one_why, sizeof one_why, "the pass above ran at one thread");
    } else {
      m.threads(1);
      for (int round = 0; round < rounds && !one_why[0]; ++round) {
        ops_results_t t = {0};
        if (measure(device, quick, rr, true, &t, &what)) {
          fprintf(stderr, "bp: bench ops: %s on %s (one thread) failed: %s\n", what, device,
                  bp_last_error());
          return BPCLI_EXIT_FAILURE;
        }
        best_ops(&dev1, &t, round == 0);
        if (m.threads(0) != 1) {
          snprintf(one_why, sizeof one_why,
                   "the plugin is pinned to %d threads by its num_threads option "
                   "(BP_ONEDNN_NUM_THREADS / BP_NUM_THREADS)", m.threads(0));
          break;
        }
        anchor_results_t ta = {.have = false};
        measure_onednn(&m, &dev1, rr, &ta);
        best_anchor(&an1, &ta, round == 0);
      }
      one_pass = !one_why[0];
      m.threads(an.threads);
    }
  }
  pass_rows_t rows, rows1;
  fill_rows(&dev, &an, &rows);
  fill_rows(&dev1, &an1, &rows1);
  const double rf[NROWS] = {ref.mm_gflops, ref.conv_gflops, ref.softmax_gbs, ref.ln_gbs,
                            ref.add_gbs, ref.mul_gbs, ref.sum_gbs};
  const char *pinned_by = getenv("BP_ONEDNN_NUM_THREADS") ? "BP_ONEDNN_NUM_THREADS"
                          : getenv("BP_NUM_THREADS")      ? "BP_NUM_THREADS"
                                                          : NULL;
  if (json) {
    bpcli_json_t j;
    bpcli_json_init(&j, stdout);
    bpcli_json_object_begin(&j);
    bpcli_json_kv_string(&j, "bench", "ops");
    bpcli_json_kv_string(&j, "device", device);
    bpcli_json_kv_uint(&j, "reps", (uint64_t)reps);
    bpcli_json_kv_string(&j, "build_type", BPCLI_BUILD_TYPE);
    bpcli_json_kv_uint(&j, "matmul_n", (uint64_t)dev.mm_n);
    bpcli_json_kv_uint(&j, "elements", (uint64_t)dev.elems);
    bpcli_json_kv_uint(&j, "ref_threads", 1);
    json_pass(&j, &rows, "");
    for (int i = 0; i < NROWS; ++i) {
      char key[64];
      snprintf(key, sizeof key, "ref_%s", row_keys[i]);
      bpcli_json_kv_double(&j, key, rf[i]);
    }
    if (one_pass) json_pass(&j, &rows1, "_1t");
    bpcli_json_key(&j, "openblas_gflops");
    if (ref.blas_gflops > 0) bpcli_json_double(&j, ref.blas_gflops); else bpcli_json_null(&j);
    bpcli_json_object_end(&j);
    bpcli_json_finish(&j);
    return BPCLI_EXIT_OK;
  }
#ifdef BPCLI_SANITIZED
  printf("warning: this bp was built with BP_SANITIZE=ON; the numbers are meaningless\n");
#endif
  printf("bench ops: %s beside ref:0%s, best of %d (%d rounds taking turns), synchronized per "
         "call\n", device, an.have ? " and oneDNN called directly" : "", rounds * rr, rounds);
  if (an.have) {
    printf("threads (T): ref:0 1 (its kernels are single-threaded); %s and oneDNN direct %d (%s)\n",
           device, an.threads,
           pinned_by ? pinned_by
                     : "OpenMP's default: the cores this process may use; BP_NUM_THREADS sets it");
    if (!pinned_by && an.threads != threads_default)
      printf("  (OpenMP's default on this thread was %d)\n", threads_default);
  }
  print_pass(device, &rows, rf);
  if (one_pass) {
    printf("the same at one thread (%s and oneDNN direct 1T, ref:0 from above):\n", device);
    print_pass(device, &rows1, rf);
  } else if (an.have) {
    printf("one-thread pass: not run: %s\n", one_why);
  }
  printf("    matmul n = %d; conv2d x [%lld, %lld, %lld, %lld], %lld filters; softmax/layer_norm "
         "[%lld, %lld]; %lld elements\n",
         dev.mm_n, (long long)dev.conv[0], (long long)dev.conv[1], (long long)dev.conv[2],
         (long long)dev.conv[3], (long long)dev.conv[4], (long long)dev.nn_rows,
         (long long)dev.nn_cols, (long long)dev.elems);
  if (ref.blas_gflops > 0)
    printf("    OpenBLAS 1 thread: %.1f GFLOP/s (%s matmul / OpenBLAS %.2fx)\n", ref.blas_gflops,
           device, dev.mm_gflops / ref.blas_gflops);
  if (an.have)
    printf("    oneDNN %s direct: the same layouts as the plugin's tensors (conv2d NCHW in and "
           "out, reordered to and from channel blocks of 16 per call); layer_norm with scale, shift, "
           "mean and variance out\n",
           an.version);
  else
    printf("    oneDNN direct: not measured: %s\n", an.why);
  return BPCLI_EXIT_OK;
failed:
  fprintf(stderr, "bp: bench ops: %s on %s failed: %s\n", what, failed_on, bp_last_error());
  return BPCLI_EXIT_FAILURE;
}
