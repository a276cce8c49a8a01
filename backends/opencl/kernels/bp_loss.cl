/* bp_loss.cl - nll_loss, cross_entropy, mse_loss,
 * binary_cross_entropy_with_logits, as the reference computes them
 * (reference/src/ref_nn2_loss.c: torch's formulas and order of terms).
 * Pass 1: one work item per sample (or element) computes its loss in
 * BP_ACC, stores it (reduction none) and/or its terms in part[k * count + i].
 * Pass 2 (bp_loss_final): one work group sums the terms in a fixed order
 * (deterministic) and writes the reduced result. */
#define A BP_ACC

/* Offset of sample i (row-major over every dim but the class dim 1). */
static inline long bp_sample_off(const bp_tv_t *x, long i) {
  if (x->nd == 1) return x->off;
  long off = x->off;
  for (int d = (int)x->nd - 1; d >= 0; --d) {
    if (d == 1) continue;
    long n = x->shape[d];
    off += (i % n) * x->st[d];
    i /= n;
  }
  return off;
}

static inline long bp_classes(const bp_tv_t *x) { return x->nd == 1 ? x->shape[0] : x->shape[1]; }
static inline long bp_class_st(const bp_tv_t *x) { return x->nd == 1 ? x->st[0] : x->st[1]; }

/* log-sum-exp of the classes of the sample at xo (NaN when one is NaN). */
static inline A bp_lse(__global const BP_T *x, long xo, long C, long cs) {
  A mx = -INFINITY;
  bool nan = false;
  for (long c = 0; c < C; ++c) {
    A v = (A)BP_LD(x, xo + c * cs);
    if (isnan(v)) nan = true;
    if (v > mx) mx = v;
  }
  if (nan) return NAN;
  A sum = 0;
  for (long c = 0; c < C; ++c) sum += exp((A)BP_LD(x, xo + c * cs) - mx);
  return mx + log(sum);
}

/* nll_loss (ce == 0) and cross_entropy with class targets (ce == 1).
 * part: [0] the nll term, [1] the smoothing term, [2] the target's weight. */
__kernel void bp_nll(__global const BP_T *x, const bp_tv_t xv, __global const long *t,
                     const bp_tv_t tv, __global const BP_T *w, const bp_tv_t wv, const int has_w,
                     const long ignore, const int ce, const A ls, __global BP_T *out,
                     const bp_tv_t ov, const int none, __global A *part, const long count) {
  const long C = bp_classes(&xv), cs = bp_class_st(&xv);
  for (long i = get_global_id(0); i < count; i += get_global_size(0)) {
    const long xo = bp_sample_off(&xv, i);
    const long c = t[bp_tv_at(&tv, i)];
    A nll = 0, smooth = 0, wt = 0, loss;
    if (c != ignore && c >= 0 && c < C) {
      wt = has_w ? (A)BP_LD(w, wv.off + c * wv.st[0]) : (A)1;
      if (ce) {
        const A lse = bp_lse(x, xo, C, cs);
        nll = -wt * ((A)BP_LD(x, xo + c * cs) - lse);
        if (ls > (A)0)
          for (long k = 0; k < C; ++k)
            smooth -= ((A)BP_LD(x, xo + k * cs) - lse) * (has_w ? (A)BP_LD(w, wv.off + k * wv.st[0]) : (A)1);
      } else {
        nll = -wt * (A)BP_LD(x, xo + c * cs);
      }
    }
    loss = ce && ls > (A)0 ? ((A)1 - ls) * nll + smooth * (ls / (A)C) : nll;
    if (none) BP_STA(out, bp_tv_at(&ov, i), loss);
    part[i] = nll;
    part[count + i] = smooth;
    part[2 * count + i] = wt;
  }
}

/* cross_entropy with class probabilities (t shaped like x). part[0]: loss. */
__kernel void bp_ce_probs(__global const BP_T *x, const bp_tv_t xv, __global const BP_T *t,
                          const bp_tv_t tv, __global const BP_T *w, const bp_tv_t wv,
                          const int has_w, const A ls, __global BP_T *out, const bp_tv_t ov,
                          const int none, __global A *part, const long count) {
  const long C = bp_classes(&xv), cs = bp_class_st(&xv), tcs = bp_class_st(&tv);
  for (long i = get_global_id(0); i < count; i += get_global_size(0)) {
    const long xo = bp_sample_off(&xv, i), to = bp_sample_off(&tv, i);
    const A lse = bp_lse(x, xo, C, cs);
    A acc = 0;
    for (long c = 0; c < C; ++c) {
      A p = (A)BP_LD(t, to + c * tcs);
      if (ls > (A)0) p = p * ((A)1 - ls) + ls / (A)C;
      A wc = has_w ? (A)BP_LD(w, wv.off + c * wv.st[0]) : (A)1;
      acc += ((A)BP_LD(x, xo + c * cs) - lse) * p * wc;
    }
    if (none) BP_STA(out, bp_tv_at(&ov, i), -acc);
    part[i] = -acc;
  }
}

/* mse_loss: a and b as views broadcast to the full shape (av, bv), count
 * elements; out row-major over that shape. part[0]: d * d. */
__kernel void bp_mse(__global const BP_T *a, const bp_tv_t av, __global const BP_T *b,
                     const bp_tv_t bv, __global BP_T *out, const bp_tv_t ov, const int none,
                     __global A *part, const long count) {
  for (long i = get_global_id(0); i < count; i += get_global_size(0)) {
    A d = (A)BP_LD(a, bp_tv_at(&av, i)) - (A)BP_LD(b, bp_tv_at(&bv, i));
    if (none) BP_STA(out, bp_tv_at(&ov, i), d * d);
    part[i] = d * d;
  }
}

/* binary_cross_entropy_with_logits: t, w, pw broadcast to x's shape. */
__kernel void bp_bce(__global const BP_T *x, const bp_tv_t xv, __global const BP_T *t,
                     const bp_tv_t tv, __global const BP_T *w, const bp_tv_t wv,
                     __global const BP_T *pw, const bp_tv_t pv, const int has_w, const int has_pw,
                     __global BP_T *out, const bp_tv_t ov, const int none, __global A *part,
                     const long count) {
  for (long i = get_global_id(0); i < count; i += get_global_size(0)) {
    A in = (A)BP_LD(x, bp_tv_at(&xv, i)), tg = (A)BP_LD(t, bp_tv_at(&tv, i));
    A max_val = -in > (A)0 ? -in : (A)0;
    if (isnan(in)) max_val = NAN;
    A lse = log(exp(-max_val) + exp(-in - max_val)) + max_val;
    A loss;
    if (has_pw) {
      A lw = ((A)BP_LD(pw, bp_tv_at(&pv, i)) - (A)1) * tg + (A)1;
      loss = ((A)1 - tg) * in + lw * lse;
    } else {
      loss = ((A)1 - tg) * in + lse;
    }
    if (has_w) loss *= (A)BP_LD(w, bp_tv_at(&wv, i));
    if (none) BP_STA(out, bp_tv_at(&ov, i), loss);
    part[i] = loss;
  }
}

/* Pass 2. mode: 0 none (total weight only), 1 sum, 2 mean over count,
 * 3 mean over the weight sum, 4 cross_entropy sum, 5 cross_entropy mean
 * (class targets: both terms over the weight sum). tw (when has_tw) gets
 * the weight sum. BP_WG (GPUs): one work group sums in local memory; else
 * (CPU devices) one work item, no barriers (which PoCL compiles slowly). */
__kernel void bp_loss_final(__global const A *part, const long count, const int nparts,
                            const int mode, const A ls, const A C, __global BP_T *out,
                            const long out_off, __global BP_T *tw, const long tw_off,
                            const int has_tw, __local A *scratch) {
  A s[3] = {0, 0, 0};
#ifdef BP_WG
  const int j = get_local_id(0), L = get_local_size(0);
  for (int k = 0; k < nparts; ++k) {
    A v = 0;
    for (long i = j; i < count; i += L) v += part[k * count + i];
    scratch[k * L + j] = v;
  }
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int h = L / 2; h > 0; h /= 2) {
    if (j < h)
      for (int k = 0; k < nparts; ++k) scratch[k * L + j] += scratch[k * L + j + h];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (j != 0) return;
  for (int k = 0; k < nparts; ++k) s[k] = scratch[k * L];
#else
  if (get_global_id(0) != 0) return;
  for (int k = 0; k < nparts; ++k)
    for (long i = 0; i < count; ++i) s[k] += part[k * count + i];
#endif
  const A s0 = s[0], s1 = s[1], s2 = s[2];
  A r = s0;
  if (mode == 2) r = s0 / (A)count;
  if (mode == 3) r = s0 / s2;
  if (mode == 4) r = ls > (A)0 ? ((A)1 - ls) * s0 + s1 * (ls / C) : s0;
  if (mode == 5) r = ls > (A)0 ? ((A)1 - ls) * (s0 / s2) + (s1 / s2) * (ls / C) : s0 / s2;
  if (mode != 0) BP_STA(out, out_off, r);
  if (has_tw) BP_STA(tw, tw_off, s2);
}
