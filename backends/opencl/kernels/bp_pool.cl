/* bp_pool.cl - max_pool2d, avg_pool2d, adaptive_avg_pool2d and their
 * backward ops, as the reference (reference/src/ref_nn.c,
 * ref_nn_backward.c) defines them. One work item per output element
 * (forward) or per input element (backward: it gathers the outputs whose
 * window holds it, in row-major order; no atomics, deterministic). Any
 * strides; [C, H, W] tensors are [1, C, H, W]. */

/* Must match bp_cl_pool_geom_t (bp_cl_ops_pool.c). */
typedef struct bp_pool_geom {
  long n, c, h, w, oh, ow;
  long xs[4], os[4], is[4]; /* strides (n, c, h, w) of x, out (or grad_output), indices */
  long x_off, o_off, i_off, g_off;
  long gs[4];               /* backward: strides of grad_input */
  long k[2], s[2], p[2], d[2];
  long include_pad, divisor;
} bp_pool_geom_t;

#define OUT_AT(g, nn, cc, y, x) ((g).o_off + (nn) * (g).os[0] + (cc) * (g).os[1] + (y) * (g).os[2] + (x) * (g).os[3])
#define IN_AT(g, nn, cc, y, x) ((g).x_off + (nn) * (g).xs[0] + (cc) * (g).xs[1] + (y) * (g).xs[2] + (x) * (g).xs[3])

#ifndef BP_INT
__kernel void bp_max_pool(__global const BP_T *x, __global BP_T *vo, __global long *io,
                          const bp_pool_geom_t g) {
  const long total = g.n * g.c * g.oh * g.ow;
  for (long i = get_global_id(0); i < total; i += get_global_size(0)) {
    long ow = i % g.ow, r = i / g.ow;
    long oh = r % g.oh;
    r /= g.oh;
    long c = r % g.c, n = r / g.c;
    long h0 = oh * g.s[0] - g.p[0], w0 = ow * g.s[1] - g.p[1];
    long h1 = min(h0 + (g.k[0] - 1) * g.d[0] + 1, g.h), w1 = min(w0 + (g.k[1] - 1) * g.d[1] + 1, g.w);
    while (h0 < 0) h0 += g.d[0];
    while (w0 < 0) w0 += g.d[1];
    BP_CT best = -INFINITY;
    long arg = h0 * g.w + w0;
    for (long ih = h0; ih < h1; ih += g.d[0])
      for (long iw = w0; iw < w1; iw += g.d[1]) {
        BP_CT v = BP_LD(x, IN_AT(g, n, c, ih, iw));
        if (v > best || isnan(v)) {
          best = v;
          arg = ih * g.w + iw;
        }
      }
    BP_ST(vo, OUT_AT(g, n, c, oh, ow), best);
    io[g.i_off + n * g.is[0] + c * g.is[1] + oh * g.is[2] + ow * g.is[3]] = arg;
  }
}
#endif

/* The forward's window of output (oh, ow) clipped to the input, and its
 * divisor (torch's avg_pool2d). False when empty or the divisor is <= 0. */
static inline bool bp_avg_window(const bp_pool_geom_t *g, long oh, long ow, long *h0, long *h1,
                                 long *w0, long *w1, long *div) {
  long a0 = oh * g->s[0] - g->p[0], b0 = ow * g->s[1] - g->p[1];
  long a1 = min(a0 + g->k[0], g->h + g->p[0]), b1 = min(b0 + g->k[1], g->w + g->p[1]);
  long pool_size = (a1 - a0) * (b1 - b0);
  a0 = max(a0, 0L);
  b0 = max(b0, 0L);
  a1 = min(a1, g->h);
  b1 = min(b1, g->w);
  *h0 = a0; *h1 = a1; *w0 = b0; *w1 = b1;
  *div = g->divisor ? g->divisor : g->include_pad ? pool_size : (a1 - a0) * (b1 - b0);
  return a0 < a1 && b0 < b1 && *div > 0;
}

__kernel void bp_avg_pool(__global const BP_T *x, __global BP_T *out, const bp_pool_geom_t g) {
  const long total = g.n * g.c * g.oh * g.ow;
  for (long i = get_global_id(0); i < total; i += get_global_size(0)) {
    long ow = i % g.ow, r = i / g.ow;
    long oh = r % g.oh;
    r /= g.oh;
    long c = r % g.c, n = r / g.c;
    long h0, h1, w0, w1, div;
    bool ok = bp_avg_window(&g, oh, ow, &h0, &h1, &w0, &w1, &div);
#ifdef BP_INT
    ulong sum = 0;
    for (long ih = h0; ih < h1; ++ih)
      for (long iw = w0; iw < w1; ++iw) sum += (ulong)x[IN_AT(g, n, c, ih, iw)];
    out[OUT_AT(g, n, c, oh, ow)] = ok ? (long)sum / div : 0;
#else
    BP_ACC sum = 0;
    for (long ih = h0; ih < h1; ++ih)
      for (long iw = w0; iw < w1; ++iw) sum += (BP_ACC)BP_LD(x, IN_AT(g, n, c, ih, iw));
    BP_STA(out, OUT_AT(g, n, c, oh, ow), ok ? sum / (BP_ACC)div : (BP_ACC)0);
#endif
  }
}

#ifndef BP_INT
__kernel void bp_adaptive_pool(__global const BP_T *x, __global BP_T *out, const bp_pool_geom_t g) {
  const long total = g.n * g.c * g.oh * g.ow;
  for (long i = get_global_id(0); i < total; i += get_global_size(0)) {
    long ow = i % g.ow, r = i / g.ow;
    long oh = r % g.oh;
    r /= g.oh;
    long c = r % g.c, n = r / g.c;
    long h0 = oh * g.h / g.oh, h1 = ((oh + 1) * g.h + g.oh - 1) / g.oh;
    long w0 = ow * g.w / g.ow, w1 = ((ow + 1) * g.w + g.ow - 1) / g.ow;
    BP_ACC sum = 0;
    for (long ih = h0; ih < h1; ++ih)
      for (long iw = w0; iw < w1; ++iw) sum += (BP_ACC)BP_LD(x, IN_AT(g, n, c, ih, iw));
    BP_STA(out, OUT_AT(g, n, c, oh, ow), sum / (BP_ACC)((h1 - h0) * (w1 - w0)));
  }
}

/* ---- backward: work item per grad_input element (n, c, ih, iw) ---- */

#define GIN_AT(g, nn, cc, y, x) ((g).g_off + (nn) * (g).gs[0] + (cc) * (g).gs[1] + (y) * (g).gs[2] + (x) * (g).gs[3])
#define BWD_INDEX(g, i, n, c, ih, iw)      \
  long iw = (i) % (g).w, r_ = (i) / (g).w; \
  long ih = r_ % (g).h;                    \
  r_ /= (g).h;                             \
  long c = r_ % (g).c, n = r_ / (g).c

/* go: grad_output (strides os), idx: indices (strides is). */
__kernel void bp_max_pool_bwd(__global const BP_T *go, __global const long *idx, __global BP_T *gi,
                              const bp_pool_geom_t g) {
  const long total = g.n * g.c * g.h * g.w;
  for (long i = get_global_id(0); i < total; i += get_global_size(0)) {
    BWD_INDEX(g, i, n, c, ih, iw);
    /* outputs whose window reaches (ih, iw): oh * s - p <= ih <= oh * s - p + (k - 1) d */
    long lo_h = ih + g.p[0] - (g.k[0] - 1) * g.d[0], lo_w = iw + g.p[1] - (g.k[1] - 1) * g.d[1];
    long oh0 = lo_h <= 0 ? 0 : (lo_h + g.s[0] - 1) / g.s[0];
    long ow0 = lo_w <= 0 ? 0 : (lo_w + g.s[1] - 1) / g.s[1];
    long oh1 = min((ih + g.p[0]) / g.s[0] + 1, g.oh), ow1 = min((iw + g.p[1]) / g.s[1] + 1, g.ow);
    const long me = ih * g.w + iw;
    BP_ACC sum = 0;
    for (long oh = oh0; oh < oh1; ++oh)
      for (long ow = ow0; ow < ow1; ++ow)
        if (idx[g.i_off + n * g.is[0] + c * g.is[1] + oh * g.is[2] + ow * g.is[3]] == me)
          sum += (BP_ACC)BP_LD(go, OUT_AT(g, n, c, oh, ow));
    BP_STA(gi, GIN_AT(g, n, c, ih, iw), sum);
  }
}

__kernel void bp_avg_pool_bwd(__global const BP_T *go, __global BP_T *gi, const bp_pool_geom_t g) {
  const long total = g.n * g.c * g.h * g.w;
  for (long i = get_global_id(0); i < total; i += get_global_size(0)) {
    BWD_INDEX(g, i, n, c, ih, iw);
    long lo_h = ih + g.p[0] - g.k[0] + 1, lo_w = iw + g.p[1] - g.k[1] + 1;
    long oh0 = lo_h <= 0 ? 0 : (lo_h + g.s[0] - 1) / g.s[0];
    long ow0 = lo_w <= 0 ? 0 : (lo_w + g.s[1] - 1) / g.s[1];
    long oh1 = min((ih + g.p[0]) / g.s[0] + 1, g.oh), ow1 = min((iw + g.p[1]) / g.s[1] + 1, g.ow);
    BP_ACC sum = 0;
    for (long oh = oh0; oh < oh1; ++oh)
      for (long ow = ow0; ow < ow1; ++ow) {
        long h0, h1, w0, w1, div;
        if (!bp_avg_window(&g, oh, ow, &h0, &h1, &w0, &w1, &div)) continue;
        if (ih < h0 || ih >= h1 || iw < w0 || iw >= w1) continue;
        sum += (BP_ACC)BP_LD(go, OUT_AT(g, n, c, oh, ow)) / (BP_ACC)div;
      }
    BP_STA(gi, GIN_AT(g, n, c, ih, iw), sum);
  }
}

__kernel void bp_adaptive_pool_bwd(__global const BP_T *go, __global BP_T *gi, const bp_pool_geom_t g) {
  const long total = g.n * g.c * g.h * g.w;
  for (long i = get_global_id(0); i < total; i += get_global_size(0)) {
    BWD_INDEX(g, i, n, c, ih, iw);
    long oh0 = ih * g.oh / g.h, ow0 = iw * g.ow / g.w;
    while (oh0 > 0 && (oh0 * g.h + g.oh - 1) / g.oh > ih) --oh0; /* h1(oh0 - 1) > ih */
    while (ow0 > 0 && (ow0 * g.w + g.ow - 1) / g.ow > iw) --ow0;
    BP_ACC sum = 0;
    for (long oh = oh0; oh < g.oh && oh * g.h / g.oh <= ih; ++oh) {
      long h0 = oh * g.h / g.oh, h1 = ((oh + 1) * g.h + g.oh - 1) / g.oh;
      if (ih < h0 || ih >= h1) continue;
      for (long ow = ow0; ow < g.ow && ow * g.w / g.ow <= iw; ++ow) {
        long w0 = ow * g.w / g.ow, w1 = ((ow + 1) * g.w + g.ow - 1) / g.ow;
        if (iw < w0 || iw >= w1) continue;
        sum += (BP_ACC)BP_LD(go, OUT_AT(g, n, c, oh, ow)) / (BP_ACC)((h1 - h0) * (w1 - w0));
      }
    }
    BP_STA(gi, GIN_AT(g, n, c, ih, iw), sum);
  }
}
#endif
