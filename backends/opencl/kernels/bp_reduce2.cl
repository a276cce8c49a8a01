/* bp_reduce2.cl - the reductions beyond sum (mean, prod, amax, amin,
 * max/min with indices, argmax, argmin, var, std, norm, logsumexp, all,
 * any) in one kernel, bp_red2, whose op is a run-time argument: one program
 * per x dtype serves the whole family (few PoCL compiles).
 *
 * Specialised by: BP_T (x's storage), CT (x's class: long, float, double),
 * BP_LD(p, i) (an element as CT), BP_STV(p, i, v) (store a CT value as x's
 * dtype), BP_STA(p, i, v) (store a FACC value as x's dtype), BP_INT (x is
 * bool or an integer).
 *
 * Layout (GPU style): the work-group is L x G work items (L a power of
 * two); lanes 0..L-1 along dim 0 share one output element (dim 1 picks
 * it), each lane walks the reduced elements j = lane, lane + L, ...
 * (neighbouring lanes read neighbouring elements), then the lanes combine
 * through local memory in a tree. L = 1 gives one work item per output.
 * The tree is compiled in only with BP_TREE_ON (the host sets it on GPUs,
 * or everywhere with BP_OPENCL_TREE=1): on CPU devices (PoCL) L is 1 and
 * barrier-free programs compile much faster.
 *
 * Semantics are the reference's (reference/src/ref_reduce2.c): float sums
 * accumulate in FACC (double where the device has cl_khr_fp64, else float),
 * one rounding at the end; max/min families take the first NaN (it stays)
 * and the first index on ties, so combining (value, index) pairs in any
 * tree gives the sequential answer; var divides by max(0, n - correction). */

#ifdef BP_HAS_FP64
#define FACC double
#else
#define FACC float
#endif

#define BP_WG_MAX 256

/* Must match bp_cl_red2_geom_t (bp_cl_ops_reduce2.c). */
typedef struct bp_red2_geom {
  long n_out, n_red, out_nd, red_nd;
  long x_offset;
  long o_offset[2];
  long out_shape[BP_MAX_DIMS];
  long out_stride_x[BP_MAX_DIMS];
  long out_stride_o[2][BP_MAX_DIMS];
  long red_shape[BP_MAX_DIMS];
  long red_stride_x[BP_MAX_DIMS];
} bp_red2_geom_t;

enum {
  R_MEAN, R_PROD, R_AMAX, R_AMIN, R_MAX, R_MIN, R_ARGMAX, R_ARGMIN,
  R_VAR, R_STD, R_NORM, R_LSE, R_ALL, R_ANY
};

#ifdef BP_INT
#define BP_ISNAN(v) 0
#else
#define BP_ISNAN(v) isnan(v)
#endif

/* Does (v, vi) beat (m, mi)? Index -1: no element yet. The first NaN wins
 * and stays; ties keep the smaller index. */
static inline bool bp_better(CT v, long vi, CT m, long mi, bool want_max) {
  if (vi < 0) return false;
  if (mi < 0) return true;
  if (BP_ISNAN(v)) return BP_ISNAN(m) ? vi < mi : true;
  if (BP_ISNAN(m)) return false;
  if (v == m) return vi < mi;
  return want_max ? v > m : v < m;
}

/* Offset (from the output's start in x) of reduced element j. */
static inline long bp_red2_at(const bp_red2_geom_t *g, long j) {
  if (g->red_nd == 1) return j * g->red_stride_x[0];
  long xi = 0, q = j;
  for (int d = (int)g->red_nd - 1; d >= 0; --d) {
    long c = q % g->red_shape[d];
    q /= g->red_shape[d];
    xi += c * g->red_stride_x[d];
  }
  return xi;
}

/* The lanes' sums of v combined; every lane gets the total. */
#ifdef BP_TREE_ON
#define BP_TREE(arr, v, OPX)                                          \
  if (L > 1) {                                                        \
    arr[slot] = (v);                                                  \
    barrier(CLK_LOCAL_MEM_FENCE);                                     \
    for (uint s_ = L >> 1; s_ > 0; s_ >>= 1) {                        \
      if (lane < s_) arr[slot] = OPX(arr[slot], arr[slot + s_]);      \
      barrier(CLK_LOCAL_MEM_FENCE);                                   \
    }                                                                 \
    (v) = arr[base];                                                  \
    barrier(CLK_LOCAL_MEM_FENCE);                                     \
  }
#else
#define BP_TREE(arr, v, OPX) if (0) {\
  }
#endif

#define BP_ADD(a, b) ((a) + (b))
#define BP_MULT(a, b) ((a) * (b))
#define BP_AND(a, b) ((a) & (b))
#define BP_OR(a, b) ((a) | (b))

#define BP_FOR_RED(j, xo) for (long j = lane; active && j < g.n_red; j += L)
#define BP_X(j) BP_LD(x, xo + bp_red2_at(&g, j))

/* The (value, index) extreme of the lanes; every lane gets the winner. */
#ifdef BP_TREE_ON
#define BP_TREE_EXT(m, mi, want_max)                                        \
  if (L > 1) {                                                              \
    lval[slot] = (m);                                                       \
    lidx[slot] = (mi);                                                      \
    barrier(CLK_LOCAL_MEM_FENCE);                                           \
    for (uint s_ = L >> 1; s_ > 0; s_ >>= 1) {                              \
      if (lane < s_ && bp_better(lval[slot + s_], lidx[slot + s_], lval[slot], \
                                 lidx[slot], want_max)) {                   \
        lval[slot] = lval[slot + s_];                                       \
        lidx[slot] = lidx[slot + s_];                                       \
      }                                                                     \
      barrier(CLK_LOCAL_MEM_FENCE);                                         \
    }                                                                       \
    (m) = lval[base];                                                       \
    (mi) = lidx[base];                                                      \
    barrier(CLK_LOCAL_MEM_FENCE);                                           \
  }
#else
#define BP_TREE_EXT(m, mi, want_max) if (0) {\
  }
#endif

/* op: one of R_*; pbits: norm's p (FACC's bits); correction: var/std. */
__kernel void bp_red2(__global uchar *out0, __global uchar *out1, __global const BP_T *x,
                      const bp_red2_geom_t g, const int op, const ulong pbits,
                      const long correction) {
  __local FACC lacc[BP_WG_MAX];
  __local CT lval[BP_WG_MAX];
  __local long lidx[BP_WG_MAX];
  __local int lflag[BP_WG_MAX];
  const uint lane = get_local_id(0), L = get_local_size(0);
  const uint base = get_local_id(1) * L, slot = base + lane;
  const long o = get_global_id(1);
  const bool active = o < g.n_out;
  long xo = g.x_offset, oo0 = g.o_offset[0], oo1 = g.o_offset[1];
  if (active) {
    long r = o;
    for (int d = (int)g.out_nd - 1; d >= 0; --d) {
      long c = r % g.out_shape[d];
      r /= g.out_shape[d];
      xo += c * g.out_stride_x[d];
      oo0 += c * g.out_stride_o[0][d];
      oo1 += c * g.out_stride_o[1][d];
    }
  }
#ifdef BP_HAS_FP64
  const double p = as_double(pbits);
#else
  const float p = as_float((uint)pbits);
#endif

#if defined(BP_G_EXT)
  {
    const bool want_max = op == R_AMAX || op == R_MAX || op == R_ARGMAX;
    CT m = 0;
    long mi = -1;
    BP_FOR_RED(j, xo) {
      CT v = BP_X(j);
      if (bp_better(v, j, m, mi, want_max)) {
        m = v;
        mi = j;
      }
    }
    BP_TREE_EXT(m, mi, want_max);
    if (mi < 0) { /* an empty reduction: 0 and index 0, as the reference */
      m = 0;
      mi = 0;
    }
    if (active && lane == 0) {
      if (op == R_ARGMAX || op == R_ARGMIN) {
        ((__global long *)out0)[oo0] = mi;
      } else {
        BP_STV((__global BP_T *)out0, oo0, m);
        if (op == R_MAX || op == R_MIN) ((__global long *)out1)[oo1] = mi;
      }
    }
  }
#elif defined(BP_G_BOOL)
  {
    const bool all = op == R_ALL;
    int r = all ? 1 : 0;
    BP_FOR_RED(j, xo) {
      const bool t = BP_X(j) != (CT)0; /* NaN is true */
      if (all ? !t : t) r = all ? 0 : 1;
    }
    if (all) {
      BP_TREE(lflag, r, BP_AND);
    } else {
      BP_TREE(lflag, r, BP_OR);
    }
    if (active && lane == 0) out0[oo0] = (uchar)r;
  }
#elif defined(BP_G_PROD) && defined(BP_INT)
  { /* i64: wraps */
    ulong r = 1;
    BP_FOR_RED(j, xo) r *= (ulong)BP_X(j);
#ifdef BP_TREE_ON
    if (L > 1) {
      lidx[slot] = (long)r;
      barrier(CLK_LOCAL_MEM_FENCE);
      for (uint s_ = L >> 1; s_ > 0; s_ >>= 1) {
        if (lane < s_) lidx[slot] = (long)((ulong)lidx[slot] * (ulong)lidx[slot + s_]);
        barrier(CLK_LOCAL_MEM_FENCE);
      }
      r = (ulong)lidx[base];
    }
#endif
    if (active && lane == 0) BP_STV((__global BP_T *)out0, oo0, (long)r);
  }
#elif defined(BP_G_PROD)
  {
    FACC r = 1;
    BP_FOR_RED(j, xo) r *= (FACC)BP_X(j);
    BP_TREE(lacc, r, BP_MULT);
    if (active && lane == 0) BP_STA((__global BP_T *)out0, oo0, r);
  }
#elif defined(BP_G_MOM)
  {
    const FACC n = (FACC)g.n_red;
    FACC s = 0;
    BP_FOR_RED(j, xo) s += (FACC)BP_X(j);
    BP_TREE(lacc, s, BP_ADD);
    const FACC mean = s / n; /* 0/0 = NaN for an empty one */
    FACC q = 0;
    if (op == R_MEAN) q = mean;
    if (op != R_MEAN) {
      BP_FOR_RED(j, xo) {
        const FACC d = (FACC)BP_X(j) - mean;
        q += d * d;
      }
      BP_TREE(lacc, q, BP_ADD);
      FACC div = n - (FACC)correction;
      if (div < 0) div = 0;
      q = q / div;
      if (op == R_STD) q = sqrt(q);
    }
    if (active && lane == 0) BP_STA((__global BP_T *)out0, oo0, q);
  }
#elif defined(BP_G_NORM) && !defined(BP_G_NORMP)
  if (isinf(p)) { /* max |x| or min |x|; NaN propagates */
    CT m = 0;
    long mi = -1;
    BP_FOR_RED(j, xo) {
      CT v = fabs(BP_X(j));
      if (bp_better(v, j, m, mi, p > 0)) {
        m = v;
        mi = j;
      }
    }
    BP_TREE_EXT(m, mi, p > 0);
    if (mi < 0) m = 0;
    if (active && lane == 0) BP_STV((__global BP_T *)out0, oo0, m);
  } else {
    FACC s = 0;
    if (p == 0.0) {
      BP_FOR_RED(j, xo) s += BP_X(j) != (CT)0 ? (FACC)1 : (FACC)0;
    } else if (p == 1.0) {
      BP_FOR_RED(j, xo) s += fabs((FACC)BP_X(j));
    } else if (p == 2.0) {
      BP_FOR_RED(j, xo) {
        const FACC v = (FACC)BP_X(j);
        s += v * v;
      }
    }
    BP_TREE(lacc, s, BP_ADD);
    if (p == 2.0) s = sqrt(s);
    if (active && lane == 0) BP_STA((__global BP_T *)out0, oo0, s);
  }
#elif defined(BP_G_NORMP)
  { /* any other p: its own program (pow is a large function to compile) */
    const FACC fp = (FACC)p;
    FACC s = 0;
    BP_FOR_RED(j, xo) s += pow(fabs((FACC)BP_X(j)), fp);
    BP_TREE(lacc, s, BP_ADD);
    s = pow(s, (FACC)1 / fp);
    if (active && lane == 0) BP_STA((__global BP_T *)out0, oo0, s);
  }
#elif defined(BP_G_LSE)
  {
    /* torch's formula: m = max (NaN propagates), 0 when infinite; then
     * log(sum(exp(x - m))) + m */
    CT m = 0;
    long mi = -1;
    BP_FOR_RED(j, xo) {
      CT v = BP_X(j);
      if (bp_better(v, j, m, mi, true)) {
        m = v;
        mi = j;
      }
    }
    BP_TREE_EXT(m, mi, true);
    FACC fm = mi < 0 || isinf(m) ? (FACC)0 : (FACC)m;
    FACC s = 0;
    /* exp in the compute type (float for f16/bf16/f32: fast on GPUs), the
     * sum in FACC */
    BP_FOR_RED(j, xo) s += (FACC)exp((CT)((FACC)BP_X(j) - fm));
    BP_TREE(lacc, s, BP_ADD);
    if (active && lane == 0) BP_STA((__global BP_T *)out0, oo0, log(s) + fm);
  }
#endif
}
