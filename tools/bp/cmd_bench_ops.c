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

/* Best seconds per call over reps calls, after a warm-up; < 0 on failure. */
static double best_s(op_fn_t fn, void *ctx, int reps) {
  if (fn(ctx)) return -1.0;
  double best = INFINITY;
  for (int r = 0; r < reps; ++r) {
    double t0 = now_s();
    if (fn(ctx)) return -1.0;
    double t = now_s() - t0;
    if (t < best) best = t;
  }
  return best;
}

typedef struct ops_ctx {
  bp_tensor_t *a, *b, *out;   /* matmul / elementwise operands */
  bp_tensor_t *x, *w, *bias, *conv_out;
  uint32_t conv_id;
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
} ops_results_t;

static void release_all(ops_ctx_t *c) {
  bp_tensor_release(c->a); bp_tensor_release(c->b); bp_tensor_release(c->out);
  bp_tensor_release(c->x); bp_tensor_release(c->w); bp_tensor_release(c->bias);
  bp_tensor_release(c->conv_out);
  free(c->src); free(c->dst);
  free((void *)c->fa); free((void *)c->fb); free(c->fc);
  memset(c, 0, sizeof(*c));
}

static int measure(bool quick, int reps, ops_results_t *r, const char **what) {
  ops_ctx_t c = {0};
  bp_device_t *dev = NULL;
  int rc = 1;
  *what = "bp_device_get(\"ref:0\")";
  if (bp_device_get("ref:0", &dev)) goto done;

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
  rc = 0;
done:
  release_all(&c);
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
  if (measure(quick, reps, &r, &what)) {
    fprintf(stderr, "bp: bench ops: %s failed: %s\n", what, bp_last_error());
    return BPCLI_EXIT_FAILURE;
  }
  if (json) print_json(&r, reps); else print_table(&r, reps);
  return BPCLI_EXIT_OK;
}
