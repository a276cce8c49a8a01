/* bp_random.cl - Backplane's random stream (reference/src/ref_random.h
 * defines it: Philox4x32-10 keyed by (seed, offset), element i at logical
 * row-major index i): uniform, normal (f64 math: only with cl_khr_fp64),
 * dropout and bernoulli, bit-identical to the reference.
 *
 * Specialised by: BP_T (storage), BP_STORE_F(p, i, v) (store a float),
 * BP_LD(p, i) (dropout: x as float or double), BP_F64 (the dtype is f64),
 * BP_OP_UNIFORM / BP_OP_NORMAL / BP_OP_DROPOUT / BP_OP_BERNOULLI (then
 * BP_T is out's storage by element size, BP_TP p's type). The output (and
 * x) come through the elementwise geometry: any strides. */

static inline uint4 bp_philox(ulong counter, ulong seed) {
  uint c0 = (uint)counter, c1 = (uint)(counter >> 32), c2 = 0, c3 = 0;
  uint k0 = (uint)seed, k1 = (uint)(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    const ulong p0 = (ulong)0xD2511F53u * c0;
    const ulong p1 = (ulong)0xCD9E8D57u * c2;
    const uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0;
    const uint n2 = (uint)(p0 >> 32) ^ c3 ^ k1;
    c1 = (uint)p1;
    c3 = (uint)p0;
    c0 = n0;
    c2 = n2;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return (uint4)(c0, c1, c2, c3);
}

static inline uint bp_word(uint4 w, uint k) {
  return k == 0 ? w.x : k == 1 ? w.y : k == 2 ? w.z : w.w;
}

/* p0: seed, p1: offset; fa, fb: from/to, mean/std (as double bits when
 * BP_F64 or normal, else float bits), or dropout's scale and threshold. */
__kernel void bp_random(__global BP_T *out
#ifdef BP_OP_DROPOUT
                        , __global const BP_T *x
#elif defined(BP_OP_BERNOULLI)
                        , __global const BP_TP *x
#endif
                        , const bp_geom_t g, const ulong seed, const ulong offset, const ulong fa,
                        const ulong fb, const int train) {
  for (long i = get_global_id(0); i < g.numel; i += get_global_size(0)) {
    long o0;
    BP_GEOM_OFFSET(g, 0, i, o0);
    const ulong u = (ulong)i;
#if defined(BP_OP_UNIFORM) && defined(BP_F64)
    const uint4 w = bp_philox(offset + u / 2, seed);
    const uint a = (u % 2) ? w.z : w.x, b = (u % 2) ? w.w : w.y;
    const double unit = (double)((((ulong)a << 32) | b) >> 11) * (1.0 / 9007199254740992.0);
    const double from = as_double(fa), to = as_double(fb);
    out[o0] = from + (to - from) * unit;
#elif defined(BP_OP_UNIFORM)
    const uint4 w = bp_philox(offset + u / 4, seed);
    const float unit = (float)(bp_word(w, (uint)(u % 4)) >> 8) * (1.0f / 16777216.0f);
    const float from = as_float((uint)fa), to = as_float((uint)fb);
    BP_STORE_F(out, o0, from + (to - from) * unit);
#elif defined(BP_OP_NORMAL)
    const uint4 w = bp_philox(offset + u / 2, seed);
    const double u1 = (double)(((((ulong)w.x << 32) | w.y) >> 11) + 1) * (1.0 / 9007199254740992.0);
    const double u2 = (double)((((ulong)w.z << 32) | w.w) >> 11) * (1.0 / 9007199254740992.0);
    const double radius = sqrt(-2.0 * log(u1));
    const double theta = 2.0 * 3.141592653589793 * u2;
    const double z = radius * ((u % 2) == 0 ? cos(theta) : sin(theta));
    BP_STORE_D(out, o0, as_double(fa) + as_double(fb) * z);
#elif defined(BP_OP_BERNOULLI)
    /* 1 (fa: its bits in out's dtype) when u24 < p * 2^24: exact in p's
     * precision (bp_bernoulli_check has vetted every p first) */
    long o1;
    BP_GEOM_OFFSET(g, 1, i, o1);
    const uint4 w = bp_philox(offset + u / 4, seed);
    const BP_TP u24 = (BP_TP)(bp_word(w, (uint)(u % 4)) >> 8);
    out[o0] = u24 < x[o1] * (BP_TP)16777216 ? (BP_T)fa : (BP_T)0;
#elif defined(BP_OP_DROPOUT)
    long o1;
    BP_GEOM_OFFSET(g, 1, i, o1);
    if (!train) {
      out[o0] = x[o1];
    } else {
      const uint4 w = bp_philox(offset + u / 4, seed);
      /* kept when u24 < (1 - p) * 2^24; fb is that bound rounded up to an
       * integer (the same test, no f64 needed) */
      const bool keep = (ulong)(bp_word(w, (uint)(u % 4)) >> 8) < fb;
#ifdef BP_F64
      out[o0] = x[o1] * (keep ? as_double(fa) : 0.0);
#else
      BP_STORE_F(out, o0, BP_LD(x, o1) * (keep ? as_float((uint)fa) : 0.0f));
#endif
    }
#endif
  }
}

#ifdef BP_OP_BERNOULLI
/* bad[0] = the smallest logical index whose p is outside [0, 1] (or NaN),
 * capped at INT_MAX; the host sets it to INT_MAX first. */
__kernel void bp_bernoulli_check(__global const BP_TP *x, const bp_geom_t g,
                                 __global int *bad) {
  for (long i = get_global_id(0); i < g.numel; i += get_global_size(0)) {
    long o1;
    BP_GEOM_OFFSET(g, 1, i, o1);
    const BP_TP p = x[o1];
    if (!(p >= (BP_TP)0 && p <= (BP_TP)1)) atomic_min(bad, (int)min(i, (long)INT_MAX));
  }
}
#endif
