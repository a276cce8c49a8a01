#version 450
// xent.comp - cross_entropy (reference/src/ref_nn2_loss.c) with class
// targets (PROBS 0: i64) or class probabilities (PROBS 1: x's dtype and
// shape), and nll_loss (PROBS 2: class targets, x already log-probabilities,
// total_weight written too). Tensors: x, target, weight, out (, total_weight). Each invocation takes samples
// i, i + stride, ...: with reduction none one per sample (many work
// groups), else one work group of 256 whose partial sums are added in a
// tree. Words: [0] samples, [1] classes, [2] x class stride, [3] x offset,
// [4] sample ndim, [5..12] sample shape, [13..20] x sample strides,
// [21..28] target sample strides, [29] target offset, [30] target class
// stride, [31] weight offset, [32] weight stride, [33] out offset,
// [34..41] out strides, [42] reduction, [43..44] ignore_index, [45] label
// smoothing (f32), [46] has_weight, [48] total_weight offset (nll_loss,
// which runs as one work group), [51] check word (a class target outside
// [0, classes) that is not ignore_index).
#define BP_PARAMS_WRITABLE 1
#include "common.glsl"
#include "ftypes.glsl"
#include "fmath.glsl"
layout(local_size_x = 256) in;
BUF(1, tx);
#if PROBS == 1
BUF(2, tt);
#else
IBUF(2, tt);
#endif
BUF(3, tw);
BUF(4, to);
#if PROBS == 2
BUF(5, ttw);
#endif
shared FT red[3][256];

FT weight(uint c) { return P(46) != 0u ? LD(tw, P(31) + c * P(32)) : FT(1); }

void main() {
  uint lid = gl_LocalInvocationID.x;
  uint count = P(0), C = P(1), cs = P(2), red_mode = P(42);
  uint stride = gl_NumWorkGroups.x * gl_NumWorkGroups.y * 256u;
  int64_t ignore = int64_t(packUint2x32(uvec2(P(43), P(44))));
  FT ls = FT(uintBitsToFloat(P(45))), fc = FT(C);
  FT nll_sum = FT(0), smooth_sum = FT(0), wsum = FT(0);
  for (uint i = bp_linear_id(); i < count; i += stride) {
    uint xo = P(3), to_ = P(29), oo = P(33), r = i;
    for (int d = int(P(4)) - 1; d >= 0; --d) {
      uint s = P(5 + d), k = r % s;
      r /= s;
      xo += k * P(13 + d);
      to_ += k * P(21 + d);
      oo += k * P(34 + d);
    }
#if PROBS == 2
    FT lse = FT(0);
#else
    FT mx = FT(uintBitsToFloat(0xff800000u));
    bool nan = false;
    for (uint c = 0u; c < C; ++c) {
      FT v = LD(tx, xo + c * cs);
      if (isnan(v)) nan = true;
      if (v > mx) mx = v;
    }
    FT lse;
    if (nan) {
      lse = FT(uintBitsToFloat(0x7fc00000u));
    } else {
      FT sum = FT(0);
      for (uint c = 0u; c < C; ++c) sum += exp(LD(tx, xo + c * cs) - mx);
      lse = mx + bp_log(sum);
    }
#endif
    FT loss;
#if PROBS == 1
    FT acc = FT(0);
    for (uint c = 0u; c < C; ++c) {
      FT p = LD(tt, to_ + c * P(30));
      if (ls > FT(0)) p = p * (FT(1) - ls) + ls / fc;
      acc += (LD(tx, xo + c * cs) - lse) * p * weight(c);
    }
    loss = -acc;
    nll_sum += loss;
#else
    int64_t c = tt[to_];
    FT nll = FT(0), smo = FT(0);
    if (c != ignore && (c < int64_t(0) || c >= int64_t(C))) {
      P(51) = 1u;
    } else if (c != ignore) {
      FT wt = weight(uint(c));
      nll = -wt * (LD(tx, xo + uint(c) * cs) - lse);
      wsum += wt;
      if (PROBS == 0 && ls > FT(0))
        for (uint k = 0u; k < C; ++k) smo -= (LD(tx, xo + k * cs) - lse) * weight(k);
    }
    nll_sum += nll;
    smooth_sum += smo;
    loss = ls > FT(0) ? (FT(1) - ls) * nll + smo * (ls / fc) : nll;
#endif
    if (red_mode == 0u) ST(to, oo, loss);
  }
#if PROBS != 2
  if (red_mode == 0u) return;
#endif
  red[0][lid] = nll_sum;
  red[1][lid] = smooth_sum;
  red[2][lid] = wsum;
  barrier();
  for (uint s = 128u; s > 0u; s >>= 1) {
    if (lid < s)
      for (int q = 0; q < 3; ++q) red[q][lid] += red[q][lid + s];
    barrier();
  }
  if (lid != 0u) return;
  nll_sum = red[0][0];
  smooth_sum = red[1][0];
  wsum = red[2][0];
  FT res;
#if PROBS == 2
  if (red_mode == 0u) {
    ST(ttw, P(48), wsum);
    return;
  }
  res = red_mode == 1u ? nll_sum / wsum : nll_sum;
  ST(ttw, P(48), wsum);
#elif PROBS == 1
  res = red_mode == 1u ? nll_sum / FT(count) : nll_sum;
#else
  if (red_mode == 2u) {
    res = ls > FT(0) ? (FT(1) - ls) * nll_sum + smooth_sum * (ls / fc) : nll_sum;
  } else {
    FT nll = nll_sum / wsum, smo = smooth_sum / wsum;
    res = ls > FT(0) ? (FT(1) - ls) * nll + smo * (ls / fc) : nll;
  }
#endif
  ST(to, P(33), res);
}
