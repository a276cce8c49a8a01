#version 450
// norm.comp - layer_norm, rms_norm, group_norm and batch_norm forward
// (reference/src/ref_nn2_norm.c), one work group of 256 per statistic
// group: mean (not for rms), then the mean of squared deviations, rstd =
// 1 / sqrt(var + eps), then y = (x - mean) * rstd * w + b, all in FT and
// rounded once. src/bp_vk_ops_norm.c maps each op onto group dims and
// element dims, each with strides for the tensors x, y, w, b, mean, rstd,
// running_mean, running_var (bindings 1..8, in this order).
// Words: [0] groups, [1] elements per group, [2] group ndim, [3..10] group
// shape, [11] element ndim, [12..19] element shape, [20 + 8t + d] group
// dim d's stride of tensor t (0..7), [84 + 8t + d] element dim d's stride
// of tensor t (0..3), [116 + t] offsets, [124..125] eps, [126..127]
// momentum (FT: f32 in the first word, or f64), [128] flags: 1 w, 2 b,
// 4 rms (no mean), 8 write mean, 16 write rstd, 32 eval (mean and invstd
// from the running stats), 64 update the running stats.
#include "common.glsl"
#include "ftypes.glsl"
layout(local_size_x = 256) in;
BUF(1, tx);
BUF(2, tw);
BUF(3, tb);
BUF(4, ty);
BUF(5, tm);
BUF(6, tr);
BUF(7, trm);
BUF(8, trv);
shared FT red[256];
uint lid;

FT cst(uint i) {
#if DT == 9
  return packDouble2x32(uvec2(P(i), P(i + 1u)));
#else
  return FT(uintBitsToFloat(P(i)));
#endif
}

FT tree_sum(FT v) {
  red[lid] = v;
  barrier();
  for (uint s = 128u; s > 0u; s >>= 1) {
    if (lid < s) red[lid] += red[lid + s];
    barrier();
  }
  FT r = red[0];
  barrier();
  return r;
}

// Element e's offsets in x, y, w, b (from the group's bases).
void elem(uint e, uvec4 base, out uvec4 off) {
  off = base;
  for (int d = int(P(11)) - 1; d >= 0; --d) {
    uint s = P(12 + d), c = e % s;
    e /= s;
    off += c * uvec4(P(84 + d), P(92 + d), P(100 + d), P(108 + d));
  }
}

void main() {
  uint g = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  if (g >= P(0)) return;  // uniform per work group
  lid = gl_LocalInvocationID.x;
  uint off[8];
  for (uint t = 0u; t < 8u; ++t) off[t] = P(116u + t);
  uint rest = g;
  for (int d = int(P(2)) - 1; d >= 0; --d) {
    uint s = P(3 + d), c = rest % s;
    rest /= s;
    for (uint t = 0u; t < 8u; ++t) off[t] += c * P(20u + 8u * t + uint(d));
  }
  uint M = P(1), flags = P(128);
  uvec4 base = uvec4(off[0], off[1], off[2], off[3]);  // x, y, w, b
  uvec4 o;
  FT mean = FT(0), rstd;
  FT eps = cst(124u);
  if ((flags & 32u) != 0u) {
    mean = LD(trm, off[6]);
    rstd = FT(1) / sqrt(LD(trv, off[7]) + eps);
  } else {
    FT acc = FT(0);
    if ((flags & 4u) == 0u) {
      for (uint e = lid; e < M; e += 256u) {
        elem(e, base, o);
        acc += LD(tx, o.x);
      }
      mean = tree_sum(acc) / FT(M);
    }
    acc = FT(0);
    for (uint e = lid; e < M; e += 256u) {
      elem(e, base, o);
      precise FT v = LD(tx, o.x) - mean;
      acc += v * v;
    }
    FT sq = tree_sum(acc);
    precise FT var = sq / FT(M);
    rstd = FT(1) / sqrt(var + eps);
    if ((flags & 64u) != 0u && lid == 0u) {
      FT mom = cst(126u);
      FT unbiased = M > 1u ? sq / FT(M - 1u) : FT(uintBitsToFloat(0x7fc00000u));
      precise FT rm = (FT(1) - mom) * LD(trm, off[6]) + mom * mean;
      precise FT rv = (FT(1) - mom) * LD(trv, off[7]) + mom * unbiased;
      ST(trm, off[6], rm);
      ST(trv, off[7], rv);
    }
  }
  for (uint e = lid; e < M; e += 256u) {
    elem(e, base, o);
    precise FT v = (LD(tx, o.x) - mean) * rstd;
    if ((flags & 1u) != 0u) v = v * LD(tw, o.z);
    if ((flags & 2u) != 0u) v = v + LD(tb, o.w);
    ST(ty, o.y, v);
  }
  if (lid == 0u) {
    if ((flags & 8u) != 0u) ST(tm, off[4], mean);
    if ((flags & 16u) != 0u) ST(tr, off[5], rstd);
  }
}
