/* onednn_anchor.c - libbp_onednn_anchor.so: oneDNN called directly, the
 * anchor of `bp bench ops --device onednn:0` (tools/bp/onednn_anchor.h).
 * Links oneDNN only; bp opens it for that bench alone. Each case creates its
 * primitives once (as the plugin's cache does) and times the calls: the
 * best of reps after a warm-up, waiting on the stream each call. */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dnnl.h>
#include <omp.h>

#include "onednn_anchor.h"

#define EXPORT __attribute__((visibility("default")))
#define MAX_STEPS 4
#define MAX_ARGS 6

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A case: up to MAX_STEPS primitives run in order, each with its args. */
typedef struct step {
  dnnl_primitive_t prim;
  int n;
  dnnl_exec_arg_t args[MAX_ARGS];
} step_t;

typedef struct bench {
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  int nsteps;
  step_t steps[MAX_STEPS];
  int nmem;
  dnnl_memory_t mem[16];
  bool ok;
} bench_t;

static bool bench_init(bench_t *b) {
  memset(b, 0, sizeof *b);
  b->ok = dnnl_engine_create(&b->engine, dnnl_cpu, 0) == dnnl_success &&
          dnnl_stream_create(&b->stream, b->engine, dnnl_stream_default_flags) == dnnl_success;
  return b->ok;
}

/* A memory object (library-allocated, filled with small values) for md. */
static dnnl_memory_t bench_mem(bench_t *b, const dnnl_memory_desc_t *md) {
  dnnl_memory_t m = NULL;
  if (!b->ok || b->nmem == 16 || dnnl_memory_create(&m, md, b->engine, DNNL_MEMORY_ALLOCATE)) {
    b->ok = false;
    return NULL;
  }
  void *p = NULL;
  dnnl_memory_get_data_handle(m, &p);
  size_t size = dnnl_memory_desc_get_size(md);
  if (md->data_type == dnnl_f32) {
    float *f = p;
    for (size_t i = 0; i < size / 4; ++i) f[i] = 0.25f + (float)(i % 7) * 0.125f;
  } else {
    memset(p, 0, size);
  }
  b->mem[b->nmem++] = m;
  return m;
}

/* Adds a step made from pd (which it destroys) with (arg, memory) pairs. */
static void bench_step(bench_t *b, dnnl_primitive_desc_t pd, int n, const int *argk,
                       const dnnl_memory_t *mems) {
  if (!b->ok || pd == NULL || b->nsteps == MAX_STEPS) {
    b->ok = false;
    if (pd) dnnl_primitive_desc_destroy(pd);
    return;
  }
  step_t *s = &b->steps[b->nsteps++];
  b->ok = dnnl_primitive_create(&s->prim, pd) == dnnl_success;
  dnnl_primitive_desc_destroy(pd);
  for (int i = 0; i < n; ++i) s->args[i] = (dnnl_exec_arg_t){argk[i], mems[i]};
  s->n = n;
}

static double bench_run(bench_t *b, int first, int last, int reps) {
  if (!b->ok) return -1.0;
  double best = INFINITY;
  for (int r = -1; r < reps; ++r) {
    double t0 = now_s();
    for (int i = first; i < last; ++i)
      if (dnnl_primitive_execute(b->steps[i].prim, b->stream, b->steps[i].n, b->steps[i].args))
        return -1.0;
    if (dnnl_stream_wait(b->stream)) return -1.0;
    double t = now_s() - t0;
    if (r >= 0 && t < best) best = t;
  }
  return best;
}

static void bench_free(bench_t *b) {
  for (int i = 0; i < b->nsteps; ++i) dnnl_primitive_destroy(b->steps[i].prim);
  for (int i = 0; i < b->nmem; ++i) dnnl_memory_destroy(b->mem[i]);
  if (b->stream) dnnl_stream_destroy(b->stream);
  if (b->engine) dnnl_engine_destroy(b->engine);
}

static void md_tag(bench_t *b, dnnl_memory_desc_t *md, int nd, const int64_t *dims,
                   dnnl_format_tag_t tag) {
  dnnl_dims_t d;
  for (int i = 0; i < nd; ++i) d[i] = dims[i];
  if (dnnl_memory_desc_init_by_tag(md, nd, d, dnnl_f32, tag)) b->ok = false;
}

static dnnl_primitive_desc_t make_pd(bench_t *b, const void *desc) {
  dnnl_primitive_desc_t pd = NULL;
  if (b->ok && dnnl_primitive_desc_create(&pd, desc, NULL, b->engine, NULL)) pd = NULL;
  return pd;
}

static dnnl_primitive_desc_t make_reorder(bench_t *b, const dnnl_memory_desc_t *from,
                                          const dnnl_memory_desc_t *to) {
  dnnl_primitive_desc_t pd = NULL;
  if (b->ok && dnnl_reorder_primitive_desc_create(&pd, from, b->engine, to, b->engine, NULL)) pd = NULL;
  return pd;
}

EXPORT const char *bpcli_onednn_version(void) {
  static char v[32];
  const dnnl_version_t *d = dnnl_version();
  snprintf(v, sizeof v, "%d.%d.%d", d->major, d->minor, d->patch);
  return v;
}

/* oneDNN's OpenMP threads for the calling thread: the count the next
 * primitives are made and run with (n > 0 sets it first). libgomp's setting
 * is per calling thread and shared by every module in the process, the
 * plugin included, so this is also the count the plugin runs with unless
 * its num_threads option pins one. */
EXPORT int bpcli_onednn_threads(int n) {
  if (n > 0) omp_set_num_threads(n);
  return omp_get_max_threads();
}

EXPORT double bpcli_onednn_matmul(int64_t n, int reps) {
  bench_t b;
  bench_init(&b);
  const int64_t d[2] = {n, n};
  dnnl_memory_desc_t md;
  md_tag(&b, &md, 2, d, dnnl_ab);
  dnnl_matmul_desc_t desc;
  if (b.ok && dnnl_matmul_desc_init(&desc, &md, &md, NULL, &md)) b.ok = false;
  const int argk[3] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST};
  dnnl_memory_t m[3] = {bench_mem(&b, &md), bench_mem(&b, &md), bench_mem(&b, &md)};
  bench_step(&b, make_pd(&b, &desc), 3, argk, m);
  double t = bench_run(&b, 0, 1, reps);
  bench_free(&b);
  return t;
}

EXPORT double bpcli_onednn_conv2d(const int64_t dims[6], int reps, double *conv_only_s) {
  bench_t b;
  bench_init(&b);
  const int64_t nn = dims[0], c = dims[1], h = dims[2], w = dims[3], k = dims[4], ks = dims[5];
  const int64_t xs[4] = {nn, c, h, w}, ws[4] = {k, c, ks, ks}, os[4] = {nn, k, h, w}, bs[1] = {k};
  dnnl_memory_desc_t x_any, w_any, o_any, x_user, w_user, o_user, b_md;
  /* src and dst in channel blocks of 16 (8 on AVX2) where the channel
   * counts are whole blocks, else oneDNN's choice: the fastest way found to
   * run NCHW tensors (its own choice, channels-last, reorders twice as
   * slowly), and what the plugin does */
  const dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
  const int64_t blk = (isa & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core ? 16
                      : (isa & dnnl_cpu_isa_avx2) == dnnl_cpu_isa_avx2            ? 8
                                                                                   : 0;
  const dnnl_format_tag_t act = blk && c % blk == 0 && k % blk == 0
                                    ? (blk == 16 ? dnnl_nChw16c : dnnl_nChw8c)
                                    : dnnl_format_tag_any;
  md_tag(&b, &x_any, 4, xs, act);
  md_tag(&b, &w_any, 4, ws, dnnl_format_tag_any);
  md_tag(&b, &o_any, 4, os, act);
  md_tag(&b, &x_user, 4, xs, dnnl_abcd);
  md_tag(&b, &w_user, 4, ws, dnnl_abcd);
  md_tag(&b, &o_user, 4, os, dnnl_abcd);
  md_tag(&b, &b_md, 1, bs, dnnl_a);
  const dnnl_dims_t strides = {1, 1}, pad = {ks / 2, ks / 2};
  dnnl_convolution_desc_t desc;
  if (b.ok && dnnl_convolution_forward_desc_init(&desc, dnnl_forward_inference,
                                                 dnnl_convolution_direct, &x_any, &w_any, &b_md,
                                                 &o_any, strides, pad, pad))
    b.ok = false;
  dnnl_primitive_desc_t pd = make_pd(&b, &desc);
  double t = -1.0;
  if (pd) {
    const dnnl_memory_desc_t *xi = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *wi = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *oi = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    dnnl_memory_t xu = bench_mem(&b, &x_user), wu = bench_mem(&b, &w_user), ou = bench_mem(&b, &o_user);
    dnnl_memory_t xm = bench_mem(&b, xi), wm = bench_mem(&b, wi), om = bench_mem(&b, oi);
    dnnl_memory_t bm = bench_mem(&b, &b_md);
    const int rk[2] = {DNNL_ARG_FROM, DNNL_ARG_TO};
    const int ck[4] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST};
    /* steps: src in, weights in, conv, dst out (the conv is step 2) */
    bench_step(&b, make_reorder(&b, &x_user, xi), 2, rk, (dnnl_memory_t[]){xu, xm});
    bench_step(&b, make_reorder(&b, &w_user, wi), 2, rk, (dnnl_memory_t[]){wu, wm});
    bench_step(&b, pd, 4, ck, (dnnl_memory_t[]){xm, wm, bm, om});
    pd = NULL;
    bench_step(&b, make_reorder(&b, oi, &o_user), 2, rk, (dnnl_memory_t[]){om, ou});
    t = bench_run(&b, 0, 4, reps);
    if (conv_only_s) *conv_only_s = bench_run(&b, 2, 3, reps);
  }
  bench_free(&b);
  return t;
}

EXPORT double bpcli_onednn_softmax(int64_t rows, int64_t cols, int reps) {
  bench_t b;
  bench_init(&b);
  const int64_t d[2] = {rows, cols};
  dnnl_memory_desc_t md;
  md_tag(&b, &md, 2, d, dnnl_ab);
  dnnl_softmax_v2_desc_t desc;
  if (b.ok && dnnl_softmax_v2_forward_desc_init(&desc, dnnl_forward_inference, dnnl_softmax_accurate,
                                                &md, &md, 1))
    b.ok = false;
  const int argk[2] = {DNNL_ARG_SRC, DNNL_ARG_DST};
  dnnl_memory_t m[2] = {bench_mem(&b, &md), bench_mem(&b, &md)};
  bench_step(&b, make_pd(&b, &desc), 2, argk, m);
  double t = bench_run(&b, 0, 1, reps);
  bench_free(&b);
  return t;
}

EXPORT double bpcli_onednn_layer_norm(int64_t rows, int64_t cols, int reps) {
  bench_t b;
  bench_init(&b);
  const int64_t d[2] = {rows, cols};
  dnnl_memory_desc_t md, sd, cd;
  md_tag(&b, &md, 2, d, dnnl_ab);
  md_tag(&b, &sd, 1, &rows, dnnl_a);
  md_tag(&b, &cd, 1, &cols, dnnl_a);
  dnnl_layer_normalization_desc_t desc;
  if (b.ok && dnnl_layer_normalization_forward_desc_init(&desc, dnnl_forward_training, &md, NULL,
                                                         1e-5f, dnnl_use_scale | dnnl_use_shift))
    b.ok = false;
  const int argk[6] = {DNNL_ARG_SRC, DNNL_ARG_DST, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE,
                       DNNL_ARG_SCALE, DNNL_ARG_SHIFT};
  dnnl_memory_t m[6] = {bench_mem(&b, &md), bench_mem(&b, &md), bench_mem(&b, &sd),
                        bench_mem(&b, &sd), bench_mem(&b, &cd), bench_mem(&b, &cd)};
  bench_step(&b, make_pd(&b, &desc), 6, argk, m);
  double t = bench_run(&b, 0, 1, reps);
  bench_free(&b);
  return t;
}
