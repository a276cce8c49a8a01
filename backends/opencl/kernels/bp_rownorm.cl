/* bp_rownorm.cl - ops that normalise rows: softmax, log_softmax, their
 * backward ops, layer_norm and layer_norm_backward.
 *
 * A "row" is what one statistic covers (softmax: the elements along dim;
 * layer_norm: the trailing normalized dims); "outer" indexes the rows.
 * Geometry (bp_row_geom_t): operand k sits at off[k] + the outer offset of
 * the row (ostride[k]) + the inner offset of the element (istride[k]); a
 * stride array is zero where an operand does not vary (layer_norm's weight
 * over rows, its mean over a row's elements).
 *
 * Layout as bp_reduce2.cl: L lanes per row walk its elements
 * (i = lane, lane + L, ...) and combine through local memory in a tree
 * (L = 1: one work item per row, no barriers). The tree is compiled in
 * only with BP_TREE_ON (GPUs, or BP_OPENCL_TREE=1), as in bp_reduce2.cl.
 * Statistics accumulate in FACC (double where the device has cl_khr_fp64), as the reference
 * (reference/src/ref_nn2_norm.c, ref_nn_backward_norm.c) does in double.
 *
 * Specialised by: BP_T (storage), BP_LD(p, i) (an element as CT, the
 * compute type: float for bf16/f32, double for f64), BP_STA(p, i, v)
 * (store a FACC value), and one of BP_G_SOFTMAX, BP_G_SMBW, BP_G_LN,
 * BP_G_LNBW (one small program each). */

#ifdef BP_HAS_FP64
#define FACC double
#else
#define FACC float
#endif

#define BP_WG_MAX 256
#define BP_ROW_DIMS 6

/* Must match bp_cl_row_geom_t (bp_cl_ops_rownorm.c). */
typedef struct bp_row_geom {
  long n_rows, n_in, out_nd, in_nd;
  long off[6];
  long oshape[BP_ROW_DIMS];
  long ostride[6][BP_ROW_DIMS];
  long ishape[BP_ROW_DIMS];
  long istride[4][BP_ROW_DIMS];
} bp_row_geom_t;

/* Offsets of outer index r in operands 0..n-1 (added to o[]). */
static inline void bp_row_outer(const bp_row_geom_t *g, long r, long *o, int n) {
  for (int k = 0; k < n; ++k) o[k] = g->off[k];
  for (int d = (int)g->out_nd - 1; d >= 0; --d) {
    const long c = r % g->oshape[d];
    r /= g->oshape[d];
    for (int k = 0; k < n; ++k) o[k] += c * g->ostride[k][d];
  }
}

/* Inner offset of element i in operand k (k < 4). */
static inline long bp_row_inner(const bp_row_geom_t *g, int k, long i) {
  if (g->in_nd == 1) return i * g->istride[k][0];
  long off = 0;
  for (int d = (int)g->in_nd - 1; d >= 0; --d) {
    const long c = i % g->ishape[d];
    i /= g->ishape[d];
    off += c * g->istride[k][d];
  }
  return off;
}

#ifdef BP_TREE_ON
#define BP_TREE(v, OPX)                                               \
  if (L > 1) {                                                        \
    lacc[slot] = (v);                                                 \
    barrier(CLK_LOCAL_MEM_FENCE);                                     \
    for (uint s_ = L >> 1; s_ > 0; s_ >>= 1) {                        \
      if (lane < s_) lacc[slot] = OPX(lacc[slot], lacc[slot + s_]);   \
      barrier(CLK_LOCAL_MEM_FENCE);                                   \
    }                                                                 \
    (v) = lacc[base];                                                 \
    barrier(CLK_LOCAL_MEM_FENCE);                                     \
  }
#else
#define BP_TREE(v, OPX) if (0) {\
  }
#endif
#define BP_ADD(a, b) ((a) + (b))
/* max that propagates NaN */
#define BP_NMAX(a, b) (isnan(a) ? (a) : isnan(b) ? (b) : (b) > (a) ? (b) : (a))

#define BP_ROW_SETUP(nops)                                            \
  __local FACC lacc[BP_WG_MAX];                                       \
  const uint lane = get_local_id(0), L = get_local_size(0);           \
  const uint base = get_local_id(1) * L, slot = base + lane;          \
  const long row = get_global_id(1);                                  \
  const bool active = row < g.n_rows;                                 \
  long o[6];                                                          \
  bp_row_outer(&g, active ? row : 0, o, nops);

#define BP_FOR_IN(i) for (long i = lane; active && i < g.n_in; i += L)

#if defined(BP_G_SOFTMAX)
/* operands: 0 x, 1 y */
__kernel void bp_softmax(__global BP_T *y, __global const BP_T *x, const bp_row_geom_t g,
                         const int log_out) {
  BP_ROW_SETUP(2)
  FACC mx = -INFINITY;
  BP_FOR_IN(i) {
    const FACC v = (FACC)BP_LD(x, o[0] + bp_row_inner(&g, 0, i));
    mx = BP_NMAX(mx, v);
  }
  BP_TREE(mx, BP_NMAX);
  FACC sum = 0;
#ifdef BP_CT_STORED
  /* y holds CT exactly (f32, f64): keep exp(x - max) there for the last
   * pass instead of computing it twice (x is read before y is written at
   * each element, so y may alias x) */
  if (!log_out) {
    BP_FOR_IN(i) {
      const CT e = exp((CT)((FACC)BP_LD(x, o[0] + bp_row_inner(&g, 0, i)) - mx));
      y[o[1] + bp_row_inner(&g, 1, i)] = e;
      sum += (FACC)e;
    }
    BP_TREE(sum, BP_ADD);
    BP_FOR_IN(i) {
      const long yi = o[1] + bp_row_inner(&g, 1, i);
      BP_STA(y, yi, (FACC)y[yi] / sum);
    }
    return;
  }
#endif
  BP_FOR_IN(i) sum += (FACC)exp((CT)((FACC)BP_LD(x, o[0] + bp_row_inner(&g, 0, i)) - mx));
  BP_TREE(sum, BP_ADD);
  const FACC lse = log(sum);
  BP_FOR_IN(i) {
    const FACC v = (FACC)BP_LD(x, o[0] + bp_row_inner(&g, 0, i)) - mx;
    BP_STA(y, o[1] + bp_row_inner(&g, 1, i), log_out ? v - lse : (FACC)exp((CT)v) / sum);
  }
}
#endif

#if defined(BP_G_SMBW)
/* operands: 0 grad_output, 1 output, 2 grad_input */
__kernel void bp_softmax_bw(__global BP_T *gx, __global const BP_T *gy, __global const BP_T *y,
                            const bp_row_geom_t g, const int log_out) {
  BP_ROW_SETUP(3)
  FACC sum = 0;
  BP_FOR_IN(i) {
    const FACC gv = (FACC)BP_LD(gy, o[0] + bp_row_inner(&g, 0, i));
    sum += log_out ? gv : gv * (FACC)BP_LD(y, o[1] + bp_row_inner(&g, 1, i));
  }
  BP_TREE(sum, BP_ADD);
  BP_FOR_IN(i) {
    const FACC gv = (FACC)BP_LD(gy, o[0] + bp_row_inner(&g, 0, i));
    const FACC yv = (FACC)BP_LD(y, o[1] + bp_row_inner(&g, 1, i));
    BP_STA(gx, o[2] + bp_row_inner(&g, 2, i), log_out ? gv - exp(yv) * sum : yv * (gv - sum));
  }
}
#endif

#if defined(BP_G_LN)
/* operands: 0 x, 1 y, 2 weight, 3 bias (inner), 4 mean, 5 rstd (outer) */
__kernel void bp_layer_norm(__global BP_T *y, __global BP_T *mean_out, __global BP_T *rstd_out,
                            __global const BP_T *x, __global const BP_T *w,
                            __global const BP_T *b, const bp_row_geom_t g, const FACC eps,
                            const int has_w, const int has_b) {
  BP_ROW_SETUP(6)
  FACC s = 0;
  BP_FOR_IN(i) s += (FACC)BP_LD(x, o[0] + bp_row_inner(&g, 0, i));
  BP_TREE(s, BP_ADD);
  const FACC n = (FACC)g.n_in;
  const FACC mean = s / n; /* an empty row: NaN */
  FACC q = 0;
  BP_FOR_IN(i) {
    const FACC d = (FACC)BP_LD(x, o[0] + bp_row_inner(&g, 0, i)) - mean;
    q += d * d;
  }
  BP_TREE(q, BP_ADD);
  const FACC rstd = (FACC)1 / sqrt(q / n + eps);
  BP_FOR_IN(i) {
    FACC v = ((FACC)BP_LD(x, o[0] + bp_row_inner(&g, 0, i)) - mean) * rstd;
    if (has_w) v *= (FACC)BP_LD(w, o[2] + bp_row_inner(&g, 2, i));
    if (has_b) v += (FACC)BP_LD(b, o[3] + bp_row_inner(&g, 3, i));
    BP_STA(y, o[1] + bp_row_inner(&g, 1, i), v);
  }
  if (active && lane == 0) {
    BP_STA(mean_out, o[4], mean);
    BP_STA(rstd_out, o[5], rstd);
  }
}
#endif

#if defined(BP_G_LNBW)
/* Rows: operands 0 grad_output, 1 x, 2 grad_input, 3 weight (inner),
 * 4 mean, 5 rstd (outer). grad_input = rstd * (dxhat - mean(dxhat)
 * - xhat * mean(dxhat * xhat)), dxhat = grad_output * weight. */
__kernel void bp_layer_norm_bw(__global BP_T *gx, __global const BP_T *gy,
                               __global const BP_T *x, __global const BP_T *mean_in,
                               __global const BP_T *rstd_in, __global const BP_T *w,
                               const bp_row_geom_t g, const int has_w) {
  BP_ROW_SETUP(6)
  const FACC mean = active ? (FACC)BP_LD(mean_in, o[4]) : 0;
  const FACC rstd = active ? (FACC)BP_LD(rstd_in, o[5]) : 0;
  FACC sd = 0, sdx = 0;
  BP_FOR_IN(i) {
    const FACC xhat = ((FACC)BP_LD(x, o[1] + bp_row_inner(&g, 1, i)) - mean) * rstd;
    FACC dxhat = (FACC)BP_LD(gy, o[0] + bp_row_inner(&g, 0, i));
    if (has_w) dxhat *= (FACC)BP_LD(w, o[3] + bp_row_inner(&g, 3, i));
    sd += dxhat;
    sdx += dxhat * xhat;
  }
  BP_TREE(sd, BP_ADD);
  BP_TREE(sdx, BP_ADD);
  const FACC n = (FACC)g.n_in;
  const FACC md = sd / n, mdx = sdx / n;
  BP_FOR_IN(i) {
    const FACC xhat = ((FACC)BP_LD(x, o[1] + bp_row_inner(&g, 1, i)) - mean) * rstd;
    FACC dxhat = (FACC)BP_LD(gy, o[0] + bp_row_inner(&g, 0, i));
    if (has_w) dxhat *= (FACC)BP_LD(w, o[3] + bp_row_inner(&g, 3, i));
    BP_STA(gx, o[2] + bp_row_inner(&g, 2, i), rstd * (dxhat - md - xhat * mdx));
  }
}

/* Columns: work item c (dim 1) is element c of every row; its lanes walk
 * the rows r. Operands as above but 2 grad_weight, 3 grad_bias (inner):
 * grad_weight[c] = sum_r grad_output * xhat, grad_bias[c] = sum_r
 * grad_output. */
__kernel void bp_layer_norm_bw_cols(__global BP_T *gw, __global BP_T *gb,
                                    __global const BP_T *gy, __global const BP_T *x,
                                    __global const BP_T *mean_in, __global const BP_T *rstd_in,
                                    const bp_row_geom_t g) {
  __local FACC lacc[BP_WG_MAX];
  const uint lane = get_local_id(0), L = get_local_size(0);
  const uint base = get_local_id(1) * L, slot = base + lane;
  const long c = get_global_id(1);
  const bool active = c < g.n_in;
  long ci[4];
  for (int k = 0; k < 4; ++k) ci[k] = active ? bp_row_inner(&g, k, c) : 0;
  FACC sw = 0, sb = 0;
  for (long r = lane; active && r < g.n_rows; r += L) {
    long o[6];
    bp_row_outer(&g, r, o, 6);
    const FACC gv = (FACC)BP_LD(gy, o[0] + ci[0]);
    const FACC xhat = ((FACC)BP_LD(x, o[1] + ci[1]) - (FACC)BP_LD(mean_in, o[4])) *
                      (FACC)BP_LD(rstd_in, o[5]);
    sw += gv * xhat;
    sb += gv;
  }
  BP_TREE(sw, BP_ADD);
  BP_TREE(sb, BP_ADD);
  if (active && lane == 0) {
    BP_STA(gw, g.off[2] + ci[2], sw);
    BP_STA(gb, g.off[3] + ci[3], sb);
  }
}
#endif

#if defined(BP_G_SCAN)
/* cumsum / cumprod along the inner dim. operands: 0 x, 1 out. Floats
 * accumulate in FACC and every output rounds once; cumsum compensates its
 * running sum (Neumaier) as the reference (ref_reduce2_scan.c); i64 wraps.
 * One work item per line; with the tree (GPUs), L lanes per line each scan
 * a contiguous chunk: chunk totals, an exclusive prefix over the lanes (lane
 * 0, in order), then each lane rescans its chunk from its prefix. */
#define BP_SCAN_X(i) BP_LD(x, o[0] + bp_row_inner(&g, 0, i))
#define BP_SCAN_O(i) (o[1] + bp_row_inner(&g, 1, i))
/* One Neumaier step: s + c is the running sum. */
#define BP_NEUMAIER(s, c, v)                                                  \
  do {                                                                        \
    const FACC t_ = (s) + (v);                                                \
    if (isfinite(t_))                                                         \
      (c) += fabs(s) >= fabs(v) ? ((s) - t_) + (v) : ((v) - t_) + (s);        \
    else                                                                      \
      (c) = 0; /* inf or NaN from here on: nothing to compensate */           \
    (s) = t_;                                                                 \
  } while (0)

__kernel void bp_scan(__global BP_T *out, __global const BP_T *x, const bp_row_geom_t g,
                      const int is_prod) {
  const uint lane = get_local_id(0), L = get_local_size(0);
  const uint base = get_local_id(1) * L, slot = base + lane;
  const long row = get_global_id(1);
  const bool active = row < g.n_rows;
  long o[6];
  bp_row_outer(&g, active ? row : 0, o, 2);
  const long chunk = (g.n_in + (long)L - 1) / (long)L;
  const long i0 = active ? min((long)lane * chunk, g.n_in) : 0;
  const long i1 = active ? min(i0 + chunk, g.n_in) : 0;
#ifdef BP_INT
  ulong pre = is_prod ? 1 : 0;
#ifdef BP_TREE_ON
  __local ulong lint[BP_WG_MAX];
  if (L > 1) {
    ulong t = pre;
    for (long i = i0; i < i1; ++i) t = is_prod ? t * (ulong)BP_SCAN_X(i) : t + (ulong)BP_SCAN_X(i);
    lint[slot] = t;
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lane == 0) {
      ulong acc = pre;
      for (uint k = 0; k < L; ++k) {
        const ulong tk = lint[base + k];
        lint[base + k] = acc;
        acc = is_prod ? acc * tk : acc + tk;
      }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    pre = lint[slot];
  }
#endif
  ulong acc = pre;
  for (long i = i0; i < i1; ++i) {
    const ulong v = (ulong)BP_SCAN_X(i);
    acc = is_prod ? acc * v : acc + v;
    out[BP_SCAN_O(i)] = (long)acc;
  }
#else
  FACC pre_s = is_prod ? 1 : 0, pre_c = 0;
#ifdef BP_TREE_ON
  __local FACC ls[BP_WG_MAX];
  __local FACC lc[BP_WG_MAX];
  if (L > 1) {
    FACC s = pre_s, c = 0;
    for (long i = i0; i < i1; ++i) {
      const FACC v = (FACC)BP_SCAN_X(i);
      if (is_prod) s *= v;
      else BP_NEUMAIER(s, c, v);
    }
    ls[slot] = s;
    lc[slot] = c;
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lane == 0) {
      FACC as = pre_s, ac = 0;
      for (uint k = 0; k < L; ++k) {
        const FACC ts = ls[base + k], tc = lc[base + k];
        ls[base + k] = as;
        lc[base + k] = ac;
        if (is_prod) {
          as *= ts;
        } else {
          BP_NEUMAIER(as, ac, ts);
          if (isfinite(as)) ac += tc;
        }
      }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    pre_s = ls[slot];
    pre_c = lc[slot];
  }
#endif
  if (is_prod) {
    FACC acc = pre_s;
    for (long i = i0; i < i1; ++i) {
      acc *= (FACC)BP_SCAN_X(i);
      BP_STA(out, BP_SCAN_O(i), acc);
    }
  } else {
    FACC s = pre_s, c = pre_c;
    for (long i = i0; i < i1; ++i) {
      const FACC v = (FACC)BP_SCAN_X(i);
      BP_NEUMAIER(s, c, v);
      BP_STA(out, BP_SCAN_O(i), isfinite(s) ? s + c : s);
    }
  }
#endif
}
#endif
