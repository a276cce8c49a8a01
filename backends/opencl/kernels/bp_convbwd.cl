/* bp_convbwd.cl - conv2d_backward as reference/src/ref_nn_backward.c
 * defines it, by gathering (no atomics, the same bits every run):
 *   grad_input[n, c, ih, iw]   = sum over oc of c's group, kh, kw with
 *                                ih = oh*s - p + kh*d (and iw alike) of g * w
 *   grad_weight[oc, ci, kh, kw] = sum over n, oh, ow of g * x
 *   grad_bias[oc]              = sum over n, oh, ow of g
 * in BP_ACC, one work item per output element. */

/* Must match bp_cl_cbw_geom_t (bp_cl_ops_convbwd.c). */
typedef struct bp_cbw_geom {
  long n, c, h, w, cout, cg, coutg, kh, kw, oh, ow;
  long s[2], p[2], d[2];
  long gs[4], xs[4], ws[4], gis[4], gws[4], gbs;
  long g_off, x_off, w_off, gi_off, gw_off, gb_off;
} bp_cbw_geom_t;

#ifdef BP_K_CONVBWD
__kernel void bp_conv_bwd_input(__global const BP_T *go, __global const BP_T *wt,
                                __global BP_T *gi, const bp_cbw_geom_t q) {
  const long total = q.n * q.c * q.h * q.w;
  for (long e = get_global_id(0); e < total; e += get_global_size(0)) {
    long iw = e % q.w, r = e / q.w;
    long ih = r % q.h;
    r /= q.h;
    long c = r % q.c, n = r / q.c;
    long grp = c / q.cg, ci = c % q.cg;
    const long oc0 = grp * q.coutg;
    BP_ACC acc = 0;
    /* each (kh, kw) that reaches (ih, iw) from an output, then the group's
     * output channels (the reference sums oc outermost: any order is
     * within the k-term tolerance) */
    for (long a = 0; a < q.kh; ++a) {
      long th = ih + q.p[0] - a * q.d[0];
      if (th < 0 || th % q.s[0]) continue;
      long oh = th / q.s[0];
      if (oh >= q.oh) continue;
      for (long b = 0; b < q.kw; ++b) {
        long tw = iw + q.p[1] - b * q.d[1];
        if (tw < 0 || tw % q.s[1]) continue;
        long ow = tw / q.s[1];
        if (ow >= q.ow) continue;
        long go_o = q.g_off + n * q.gs[0] + oc0 * q.gs[1] + oh * q.gs[2] + ow * q.gs[3];
        long w_o = q.w_off + oc0 * q.ws[0] + ci * q.ws[1] + a * q.ws[2] + b * q.ws[3];
        for (long k = 0; k < q.coutg; ++k, go_o += q.gs[1], w_o += q.ws[0])
          acc += (BP_ACC)BP_LD(go, go_o) * (BP_ACC)BP_LD(wt, w_o);
      }
    }
    BP_STA(gi, q.gi_off + n * q.gis[0] + c * q.gis[1] + ih * q.gis[2] + iw * q.gis[3], acc);
  }
}

/* First output index o with o * s - p + k * d >= 0, and the end of those
 * with o * s - p + k * d < size (the outputs whose tap k lands inside). */
static inline long bp_tap_lo(long s, long p, long kd) {
  long num = p - kd;
  return num <= 0 ? 0 : (num + s - 1) / s;
}
static inline long bp_tap_hi(long s, long p, long kd, long size, long out) {
  long num = size + p - kd;
  long hi = num <= 0 ? 0 : (num + s - 1) / s;
  return min(hi, out);
}

/* Weight gradient, one work item per (oc, ci, kh, kw) and part p of the
 * images: part p sums images p, p + P, ...; P == 1 stores, else the part
 * goes to part[e * P + p] for bp_conv_bwd_final. */
__kernel void bp_conv_bwd_weight(__global const BP_T *go, __global const BP_T *x,
                                 __global BP_T *gw, const bp_cbw_geom_t q, const long parts,
                                 __global BP_ACC *part) {
  const long total = q.cout * q.cg * q.kh * q.kw;
  const long p = get_global_id(1);
  for (long e = get_global_id(0); e < total; e += get_global_size(0)) {
    long b = e % q.kw, r = e / q.kw;
    long a = r % q.kh;
    r /= q.kh;
    long ci = r % q.cg, oc = r / q.cg;
    long c = (oc / q.coutg) * q.cg + ci;
    const long oh0 = bp_tap_lo(q.s[0], q.p[0], a * q.d[0]);
    const long oh1 = bp_tap_hi(q.s[0], q.p[0], a * q.d[0], q.h, q.oh);
    const long ow0 = bp_tap_lo(q.s[1], q.p[1], b * q.d[1]);
    const long ow1 = bp_tap_hi(q.s[1], q.p[1], b * q.d[1], q.w, q.ow);
    BP_ACC acc = 0;
    for (long n = p; n < q.n; n += parts)
      for (long oh = oh0; oh < oh1; ++oh) {
        const long ih = oh * q.s[0] - q.p[0] + a * q.d[0];
        long go_o = q.g_off + n * q.gs[0] + oc * q.gs[1] + oh * q.gs[2] + ow0 * q.gs[3];
        long x_o = q.x_off + n * q.xs[0] + c * q.xs[1] + ih * q.xs[2] +
                   (ow0 * q.s[1] - q.p[1] + b * q.d[1]) * q.xs[3];
        const long xst = q.s[1] * q.xs[3];
        for (long ow = ow0; ow < ow1; ++ow, go_o += q.gs[3], x_o += xst)
          acc += (BP_ACC)BP_LD(go, go_o) * (BP_ACC)BP_LD(x, x_o);
      }
    if (parts == 1)
      BP_STA(gw, q.gw_off + oc * q.gws[0] + ci * q.gws[1] + a * q.gws[2] + b * q.gws[3], acc);
    else
      part[e * parts + p] = acc;
  }
}

__kernel void bp_conv_bwd_final(__global BP_T *gw, const bp_cbw_geom_t q, const long parts,
                                __global const BP_ACC *part) {
  const long total = q.cout * q.cg * q.kh * q.kw;
  for (long e = get_global_id(0); e < total; e += get_global_size(0)) {
    long b = e % q.kw, r = e / q.kw;
    long a = r % q.kh;
    r /= q.kh;
    long ci = r % q.cg, oc = r / q.cg;
    BP_ACC acc = 0;
    for (long p = 0; p < parts; ++p) acc += part[e * parts + p];
    BP_STA(gw, q.gw_off + oc * q.gws[0] + ci * q.gws[1] + a * q.gws[2] + b * q.gws[3], acc);
  }
}

__kernel void bp_conv_bwd_bias(__global const BP_T *go, __global BP_T *gb, const bp_cbw_geom_t q) {
  for (long oc = get_global_id(0); oc < q.cout; oc += get_global_size(0)) {
    BP_ACC acc = 0;
    for (long n = 0; n < q.n; ++n)
      for (long oh = 0; oh < q.oh; ++oh)
        for (long ow = 0; ow < q.ow; ++ow)
          acc += (BP_ACC)BP_LD(go, q.g_off + n * q.gs[0] + oc * q.gs[1] + oh * q.gs[2] + ow * q.gs[3]);
    BP_STA(gb, q.gb_off + oc * q.gbs, acc);
  }
}
#endif

#ifdef BP_K_CONVT
/* conv_transpose2d, one work item per output element (reference/src/ref_nn.c):
 *   out[n, co, oh, ow] = bias[co] + sum over kh, kw, ci of co's group with
 *   oh + p - kh*d = ih*s (and ow alike) of x[n, ci, ih, iw] * w[ci, co % coutg, kh, kw].
 * Uses q's fields: n, c (C_in), h, w (input), cout, coutg, kh, kw, oh, ow,
 * s, p, d; xs/x_off (x), ws/w_off (weight [C_in, C_out/groups, KH, KW]),
 * gis/gi_off (out), gbs/gb_off (bias). Integers wrap (ulong). */
#ifdef BP_INTEGER
#define BP_CACC ulong
#define BP_CLD(p, i) ((ulong)BP_LD(p, i))
#else
#define BP_CACC BP_ACC
#define BP_CLD(p, i) ((BP_ACC)BP_LD(p, i))
#endif
__kernel void bp_conv_transpose(__global const BP_T *x, __global const BP_T *wt,
                                __global const BP_T *bias, __global BP_T *out,
                                const bp_cbw_geom_t q, const int has_bias) {
  const long total = q.n * q.cout * q.oh * q.ow;
  const long groups = q.cout / q.coutg, cing = q.c / groups;
  for (long e = get_global_id(0); e < total; e += get_global_size(0)) {
    long ow = e % q.ow, r = e / q.ow;
    long oh = r % q.oh;
    r /= q.oh;
    long co = r % q.cout, n = r / q.cout;
    long g = co / q.coutg, cw = co % q.coutg;
    BP_CACC acc = has_bias ? BP_CLD(bias, q.gb_off + co * q.gbs) : (BP_CACC)0;
    for (long a = 0; a < q.kh; ++a) {
      long th = oh + q.p[0] - a * q.d[0];
      if (th < 0 || th % q.s[0]) continue;
      long ih = th / q.s[0];
      if (ih >= q.h) continue;
      for (long b = 0; b < q.kw; ++b) {
        long tw = ow + q.p[1] - b * q.d[1];
        if (tw < 0 || tw % q.s[1]) continue;
        long iw = tw / q.s[1];
        if (iw >= q.w) continue;
        for (long ci = g * cing; ci < (g + 1) * cing; ++ci)
          acc += BP_CLD(x, q.x_off + n * q.xs[0] + ci * q.xs[1] + ih * q.xs[2] + iw * q.xs[3]) *
                 BP_CLD(wt, q.w_off + ci * q.ws[0] + cw * q.ws[1] + a * q.ws[2] + b * q.ws[3]);
      }
    }
#ifdef BP_INTEGER
    out[q.gi_off + n * q.gis[0] + co * q.gis[1] + oh * q.gis[2] + ow * q.gis[3]] = (long)acc;
#else
    BP_STA(out, q.gi_off + n * q.gis[0] + co * q.gis[1] + oh * q.gis[2] + ow * q.gis[3], acc);
#endif
  }
}
#endif
