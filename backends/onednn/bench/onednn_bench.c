/* onednn_bench.c - the oneDNN plugin beside its anchors, in one run:
 *
 *   plugin   Backplane's public API on onednn:0 (dispatch + plugin + oneDNN)
 *   direct   the same oneDNN primitive called directly, without Backplane
 *   ref      Backplane's reference backend (ref:0)
 *   openblas cblas_sgemm (matmul only), when built with OpenBLAS
 *
 * for matmul (1024^3 f32) and add (1M f32); conv2d (N=8, C=64, 56x56, 3x3),
 * softmax and layer_norm are timed directly only until the catalog has those
 * ops (docs/ops.md). Times are the median of repeated runs after a warm-up.
 * This is the standalone form of `bp bench ops --device onednn:0`, kept
 * until that command exists in main.
 *
 *   onednn_bench [--reps N] [--no-ref]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dnnl.h>

#include "backplane/backplane.h"
#ifdef BP_BENCH_OPENBLAS
#include <cblas.h>
#endif

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef void (*bench_fn)(void *arg);

/* Median seconds of reps runs of fn after one warm-up run. */
static double time_median(bench_fn fn, void *arg, int reps) {
  fn(arg);
  double t[64];
  if (reps > 64) reps = 64;
  for (int i = 0; i < reps; ++i) {
    double t0 = now();
    fn(arg);
    t[i] = now() - t0;
  }
  qsort(t, (size_t)reps, sizeof t[0], cmp_double);
  return t[reps / 2];
}

#define CHECK_BP(expr)                                                          \
  do {                                                                          \
    bp_status_t s_ = (expr);                                                    \
    if (s_) {                                                                   \
      fprintf(stderr, "onednn_bench: %s failed: %s\n", #expr, bp_last_error()); \
      exit(1);                                                                  \
    }                                                                           \
  } while (0)
#define CHECK_DNNL(expr)                                                         \
  do {                                                                           \
    if ((expr) != dnnl_success) {                                                \
      fprintf(stderr, "onednn_bench: %s failed\n", #expr);                       \
      exit(1);                                                                   \
    }                                                                            \
  } while (0)

/* ---- Backplane ---- */

typedef struct bp_case {
  const char *op;
  bp_tensor_t *a, *b, *out;
  bp_device_t *dev;
} bp_case_t;

static void run_bp(void *varg) {
  bp_case_t *c = varg;
  if (strcmp(c->op, "matmul") == 0) CHECK_BP(bp_matmul_out(c->a, c->b, c->out));
  else CHECK_BP(bp_add_out(c->a, c->b, c->out));
  CHECK_BP(bp_device_synchronize(c->dev));
}

static double time_bp(const char *device, const char *op, int ndim, const int64_t *sa,
                      const int64_t *sb, const int64_t *so, int reps) {
  bp_device_t *dev = NULL;
  if (bp_device_get(device, &dev)) return -1;
  bp_case_t c = {.op = op, .dev = dev};
  CHECK_BP(bp_tensor_create(dev, BP_DTYPE_F32, ndim, sa, &c.a));
  CHECK_BP(bp_tensor_create(dev, BP_DTYPE_F32, ndim, sb, &c.b));
  CHECK_BP(bp_tensor_create(dev, BP_DTYPE_F32, ndim, so, &c.out));
  CHECK_BP(bp_fill(c.a, 0.5));
  CHECK_BP(bp_fill(c.b, 0.25));
  double t = time_median(run_bp, &c, reps);
  bp_tensor_release(c.a);
  bp_tensor_release(c.b);
  bp_tensor_release(c.out);
  return t;
}

/* ---- oneDNN directly ---- */

typedef struct dnnl_case {
  dnnl_primitive_t prim;
  dnnl_stream_t stream;
  int nargs;
  dnnl_exec_arg_t args[8];
} dnnl_case_t;

static void run_dnnl(void *varg) {
  dnnl_case_t *c = varg;
  CHECK_DNNL(dnnl_primitive_execute(c->prim, c->stream, c->nargs, c->args));
  CHECK_DNNL(dnnl_stream_wait(c->stream));
}

static dnnl_engine_t g_engine;
static dnnl_stream_t g_stream;

static void md_plain(dnnl_memory_desc_t *md, int nd, const dnnl_dim_t *dims) {
  dnnl_dims_t d, s;
  int64_t stride = 1;
  for (int i = nd - 1; i >= 0; --i) {
    d[i] = dims[i];
    s[i] = stride;
    stride *= dims[i];
  }
  CHECK_DNNL(dnnl_memory_desc_init_by_strides(md, nd, d, dnnl_f32, s));
}

/* Creates the primitive from op_desc and memory for each (arg, md); times it. */
static double time_dnnl(const void *op_desc, int n, const int *argk, const dnnl_memory_desc_t *mds,
                        int reps) {
  dnnl_primitive_desc_t pd;
  dnnl_case_t c = {.stream = g_stream, .nargs = 0};
  CHECK_DNNL(dnnl_primitive_desc_create(&pd, op_desc, NULL, g_engine, NULL));
  CHECK_DNNL(dnnl_primitive_create(&c.prim, pd));
  void *bufs[8] = {0};
  for (int i = 0; i < n; ++i) {
    /* Optimized layouts (any) resolve to what the primitive chose. */
    const dnnl_memory_desc_t *md = &mds[i];
    if (mds[i].format_kind == dnnl_format_kind_any)
      md = dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, argk[i]);
    size_t size = dnnl_memory_desc_get_size(md);
    bufs[i] = aligned_alloc(64, (size + 63) & ~(size_t)63);
    memset(bufs[i], 0, size);
    dnnl_memory_t m;
    CHECK_DNNL(dnnl_memory_create(&m, md, g_engine, bufs[i]));
    c.args[c.nargs].arg = argk[i];
    c.args[c.nargs].memory = m;
    c.nargs++;
  }
  double t = time_median(run_dnnl, &c, reps);
  for (int i = 0; i < c.nargs; ++i) dnnl_memory_destroy(c.args[i].memory);
  for (int i = 0; i < n; ++i) free(bufs[i]);
  dnnl_primitive_destroy(c.prim);
  dnnl_primitive_desc_destroy(pd);
  return t;
}

#ifdef BP_BENCH_OPENBLAS
typedef struct blas_case { float *a, *b, *c; int n; } blas_case_t;
static void run_blas(void *varg) {
  blas_case_t *c = varg;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, c->n, c->n, c->n, 1.0f, c->a, c->n,
              c->b, c->n, 0.0f, c->c, c->n);
}
#endif

static void row(const char *name, double plugin, double direct, double ref, double blas) {
  printf("%-34s", name);
  if (plugin > 0) printf(" %10.3f ms", plugin * 1e3); else printf(" %13s", "-");
  if (direct > 0) printf(" %10.3f ms", direct * 1e3); else printf(" %13s", "-");
  if (ref > 0) printf(" %10.3f ms", ref * 1e3); else printf(" %13s", "-");
  if (blas > 0) printf(" %10.3f ms", blas * 1e3); else printf(" %13s", "-");
  if (plugin > 0 && direct > 0) printf("   plugin/direct %.3f", plugin / direct);
  if (plugin > 0 && ref > 0) printf("   ref/plugin %.1fx", ref / plugin);
  if (plugin > 0 && blas > 0) printf("   blas/plugin %.2f", blas / plugin);
  printf("\n");
}

int main(int argc, char **argv) {
  int reps = 15;
  bool with_ref = true;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) reps = atoi(argv[++i]);
    else if (strcmp(argv[i], "--no-ref") == 0) with_ref = false;
    else {
      fprintf(stderr, "usage: onednn_bench [--reps N] [--no-ref]\n");
      return 2;
    }
  }
  CHECK_BP(bp_init());
  CHECK_DNNL(dnnl_engine_create(&g_engine, dnnl_cpu, 0));
  CHECK_DNNL(dnnl_stream_create(&g_stream, g_engine, dnnl_stream_default_flags));
  const dnnl_version_t *v = dnnl_version();
  printf("oneDNN %d.%d.%d; median of %d runs; times in ms\n", v->major, v->minor, v->patch, reps);
  printf("%-34s %13s %13s %13s %13s\n", "case", "onednn:0", "oneDNN direct", "ref:0", "OpenBLAS");

  /* matmul 1024^3 */
  {
    const int64_t s[2] = {1024, 1024};
    double plugin = time_bp("onednn:0", "matmul", 2, s, s, s, reps);
    dnnl_dim_t d[2] = {1024, 1024};
    dnnl_memory_desc_t mds[3];
    for (int i = 0; i < 3; ++i) md_plain(&mds[i], 2, d);
    dnnl_matmul_desc_t mm;
    CHECK_DNNL(dnnl_matmul_desc_init(&mm, &mds[0], &mds[1], NULL, &mds[2]));
    const int argk[3] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST};
    double direct = time_dnnl(&mm, 3, argk, mds, reps);
    double ref = with_ref ? time_bp("ref:0", "matmul", 2, s, s, s, 1) : -1;
    double blas = -1;
#ifdef BP_BENCH_OPENBLAS
    blas_case_t bc = {calloc(1 << 20, 4), calloc(1 << 20, 4), calloc(1 << 20, 4), 1024};
    blas = time_median(run_blas, &bc, reps);
    free(bc.a); free(bc.b); free(bc.c);
#endif
    row("matmul f32 1024x1024x1024", plugin, direct, ref, blas);
  }
  /* add 1M */
  {
    const int64_t s[2] = {1024, 1024};
    double plugin = time_bp("onednn:0", "add", 2, s, s, s, reps);
    dnnl_dim_t d[2] = {1024, 1024};
    dnnl_memory_desc_t mds[3];
    for (int i = 0; i < 3; ++i) md_plain(&mds[i], 2, d);
    dnnl_binary_desc_t bd;
    CHECK_DNNL(dnnl_binary_desc_init(&bd, dnnl_binary_add, &mds[0], &mds[1], &mds[2]));
    const int argk[3] = {DNNL_ARG_SRC_0, DNNL_ARG_SRC_1, DNNL_ARG_DST};
    double direct = time_dnnl(&bd, 3, argk, mds, reps);
    double ref = with_ref ? time_bp("ref:0", "add", 2, s, s, s, reps) : -1;
    row("add f32 1024x1024", plugin, direct, ref, -1);
  }
  /* conv2d N=8 C=64 56x56 3x3 pad 1 (direct only until the catalog has it) */
  {
    dnnl_dim_t src[4] = {8, 64, 56, 56}, wei[4] = {64, 64, 3, 3}, dst[4] = {8, 64, 56, 56};
    dnnl_memory_desc_t mds[3];
    dnnl_dims_t ds, dw, dd;
    memcpy(ds, src, sizeof src); memcpy(dw, wei, sizeof wei); memcpy(dd, dst, sizeof dst);
    CHECK_DNNL(dnnl_memory_desc_init_by_tag(&mds[0], 4, ds, dnnl_f32, dnnl_format_tag_any));
    CHECK_DNNL(dnnl_memory_desc_init_by_tag(&mds[1], 4, dw, dnnl_f32, dnnl_format_tag_any));
    CHECK_DNNL(dnnl_memory_desc_init_by_tag(&mds[2], 4, dd, dnnl_f32, dnnl_format_tag_any));
    dnnl_convolution_desc_t cd;
    dnnl_dims_t strides = {1, 1}, pad = {1, 1};
    CHECK_DNNL(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct,
                                                  &mds[0], &mds[1], NULL, &mds[2], strides, pad, pad));
    const int argk[3] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST};
    double direct = time_dnnl(&cd, 3, argk, mds, reps);
    row("conv2d f32 8x64x56x56 3x3 (blocked)", -1, direct, -1, -1);
    /* NCHW in and out, as Backplane's tensors are */
    md_plain(&mds[0], 4, src); md_plain(&mds[2], 4, dst);
    CHECK_DNNL(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct,
                                                  &mds[0], &mds[1], NULL, &mds[2], strides, pad, pad));
    direct = time_dnnl(&cd, 3, argk, mds, reps);
    row("conv2d f32 8x64x56x56 3x3 (nchw)", -1, direct, -1, -1);
  }
  /* softmax and layer_norm over the last dim of [4096, 1024] */
  {
    dnnl_dim_t d[2] = {4096, 1024};
    dnnl_memory_desc_t mds[2];
    md_plain(&mds[0], 2, d);
    md_plain(&mds[1], 2, d);
    dnnl_softmax_desc_t sd;
    CHECK_DNNL(dnnl_softmax_forward_desc_init(&sd, dnnl_forward_inference, &mds[0], 1));
    const int argk[2] = {DNNL_ARG_SRC, DNNL_ARG_DST};
    row("softmax f32 4096x1024 dim 1", -1, time_dnnl(&sd, 2, argk, mds, reps), -1, -1);
    dnnl_layer_normalization_desc_t ld;
    CHECK_DNNL(dnnl_layer_normalization_forward_desc_init(&ld, dnnl_forward_inference, &mds[0],
                                                          NULL, 1e-5f, 0));
    row("layer_norm f32 4096x1024", -1, time_dnnl(&ld, 2, argk, mds, reps), -1, -1);
  }
  dnnl_stream_destroy(g_stream);
  dnnl_engine_destroy(g_engine);
  bp_shutdown();
  return 0;
}
