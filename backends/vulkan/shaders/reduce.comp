#version 450
// reduce.comp - the reductions beyond sum (reference/src/ref_reduce2.c),
// one work group of 256 per output element (outputs in keepdim form):
// OPD 0 mean, 1 prod, 2 amax, 3 amin, 4 max, 5 min, 6 argmax, 7 argmin,
// 8 var, 9 std, 10 norm, 11 logsumexp, 12 all, 13 any. x is DT_A, out DT_O;
// max/min write their indices (i64) at binding 3. Floats accumulate in f32
// (f64 for f64) and are rounded once; integers in int64 (prod wraps).
// Each invocation walks reduced elements lid, lid + 256, ... in row-major
// order, so the extremes keep torch's rules exactly: the first NaN wins, on
// ties the first index. Words: [0] outputs, [1] terms, [2] kept ndim,
// [3..10] kept shape, [11..18] kept x strides, [19..26] kept out0 strides,
// [27..34] kept out1 strides, [35] reduced ndim, [36..43] reduced shape,
// [44..51] reduced x strides, [52] x offset, [53] out0 offset, [54] out1
// offset, [55] norm p (f32), [56] correction (int).
#include "common.glsl"
#include "types.glsl"
#include "fmath.glsl"
layout(local_size_x = 256) in;
#if OPD == 4 || OPD == 5
layout(std430, set = 0, binding = 3) buffer BufI { int64_t di[]; };
#endif
#if DT_A == 9
#define ACC double
#define ISF 1
#elif DT_A >= 6
#define ACC float
#define ISF 1
#else
#define ACC int64_t
#define ISF 0
#endif
#if ISF
ACC ld(uint i) { return ACC(LOADF_A(i)); }
bool isnanv(ACC v) { return isnan(v); }
#else
ACC ld(uint i) { return ACC(LOADI_A(i)); }
bool isnanv(ACC v) { return false; }
#endif
#define NONE 0xffffffffu

shared ACC sv[256];
shared uint si[256];
uint lid, in_base, rnd;

uint xoff(uint r) {
  uint off = in_base;
  for (int d = int(rnd) - 1; d >= 0; --d) {
    uint s = P(36 + d), c = r % s;
    r /= s;
    off += c * P(44 + d);
  }
  return off;
}

ACC tree_sum(ACC v) {
  sv[lid] = v;
  barrier();
  for (uint s = 128u; s > 0u; s >>= 1) {
    if (lid < s) sv[lid] += sv[lid + s];
    barrier();
  }
  ACC r = sv[0];
  barrier();
  return r;
}

// b (index ib) replaces the running extreme a (index ia)?
bool better(ACC a, uint ia, ACC b, uint ib, bool want_max) {
  if (ib == NONE) return false;
  if (ia == NONE) return true;
  if (isnanv(a)) return isnanv(b) && ib < ia;
  if (isnanv(b)) return true;
  if (want_max ? b > a : b < a) return true;
  return b == a && ib < ia;
}

// The extreme of the terms (|x| when absval) and its index; NONE: no terms.
void extreme(uint terms, bool want_max, bool absval, out ACC best, out uint bi) {
  best = ACC(0);
  bi = NONE;
  for (uint r = lid; r < terms; r += 256u) {
    ACC v = ld(xoff(r));
    if (absval) v = abs(v);
    if (better(best, bi, v, r, want_max)) {
      best = v;
      bi = r;
    }
  }
  sv[lid] = best;
  si[lid] = bi;
  barrier();
  for (uint s = 128u; s > 0u; s >>= 1) {
    if (lid < s && better(sv[lid], si[lid], sv[lid + s], si[lid + s], want_max)) {
      sv[lid] = sv[lid + s];
      si[lid] = si[lid + s];
    }
    barrier();
  }
  best = sv[0];
  bi = si[0];
  barrier();
}

void main() {
  uint out_idx = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  if (out_idx >= P(0)) return;  // uniform per work group
  lid = gl_LocalInvocationID.x;
  in_base = P(52);
  rnd = P(35);
  uint o0 = P(53), o1 = P(54), rest = out_idx;
  for (int d = int(P(2)) - 1; d >= 0; --d) {
    uint s = P(3 + d), c = rest % s;
    rest /= s;
    in_base += c * P(11 + d);
    o0 += c * P(19 + d);
    o1 += c * P(27 + d);
  }
  uint terms = P(1);
#if OPD == 0 || OPD == 8 || OPD == 9
  ACC acc = ACC(0);
  for (uint r = lid; r < terms; r += 256u) acc += ld(xoff(r));
  precise ACC mean = tree_sum(acc) / ACC(terms);
#if OPD == 0
  if (lid == 0u) STOREF_O(o0, mean);
#else
  acc = ACC(0);
  for (uint r = lid; r < terms; r += 256u) {
    precise ACC dv = ld(xoff(r)) - mean;
    acc += dv * dv;
  }
  ACC ss = tree_sum(acc);
  ACC div = max(ACC(terms) - ACC(int(P(56))), ACC(0));
  precise ACC var = ss / div;
  if (lid == 0u) {
#if OPD == 9
    STOREF_O(o0, sqrt(var));
#else
    STOREF_O(o0, var);
#endif
  }
#endif
#elif OPD == 1
  ACC acc = ACC(1);
  for (uint r = lid; r < terms; r += 256u) acc *= ld(xoff(r));
  sv[lid] = acc;
  barrier();
  for (uint s = 128u; s > 0u; s >>= 1) {
    if (lid < s) sv[lid] *= sv[lid + s];
    barrier();
  }
  if (lid == 0u) {
#if ISF
    STOREF_O(o0, sv[0]);
#else
    STOREI_O(o0, sv[0]);
#endif
  }
#elif OPD >= 2 && OPD <= 7
  bool want_max = OPD == 2 || OPD == 4 || OPD == 6;
  ACC best;
  uint bi;
  extreme(terms, want_max, false, best, bi);
  if (lid == 0u) {
    if (bi == NONE) bi = 0u;
#if OPD == 6 || OPD == 7
    dO[o0] = int64_t(bi);
#else
#if ISF
    STOREF_O(o0, best);
#else
    STOREI_O(o0, best);
#endif
#if OPD == 4 || OPD == 5
    di[o1] = int64_t(bi);
#endif
#endif
  }
#elif OPD == 10
  float p = uintBitsToFloat(P(55));
  ACC r;
  if (isinf(p)) {
    uint bi;
    extreme(terms, p > 0.0, true, r, bi);
  } else {
    ACC acc = ACC(0);
    for (uint q = lid; q < terms; q += 256u) {
      ACC v = ld(xoff(q));
      if (p == 0.0) acc += v != ACC(0) ? ACC(1) : ACC(0);
      else if (p == 1.0) acc += abs(v);
      else acc += v * v;
    }
    r = tree_sum(acc);
    if (p == 2.0) r = sqrt(r);
  }
  if (lid == 0u) STOREF_O(o0, r);
#elif OPD == 11
  ACC m;
  uint bi;
  extreme(terms, true, false, m, bi);
  if (bi == NONE || isinf(m)) m = ACC(0);
  ACC acc = ACC(0);
  for (uint r = lid; r < terms; r += 256u) acc += exp(ld(xoff(r)) - m);
  ACC s = tree_sum(acc);
  if (lid == 0u) STOREF_O(o0, bp_log(s) + m);
#else
  bool all = OPD == 12;
  int64_t acc = all ? int64_t(1) : int64_t(0);
  for (uint r = lid; r < terms; r += 256u) {
    bool t = ld(xoff(r)) != ACC(0);  // NaN is true
    if (all ? !t : t) acc = all ? int64_t(0) : int64_t(1);
  }
  sv[lid] = ACC(acc);
  barrier();
  for (uint s = 128u; s > 0u; s >>= 1) {
    if (lid < s) sv[lid] = all ? min(sv[lid], sv[lid + s]) : max(sv[lid], sv[lid + s]);
    barrier();
  }
  if (lid == 0u) STOREI_O(o0, int(sv[0] != ACC(0)));
#endif
}
